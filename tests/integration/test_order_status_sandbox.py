"""Order statuses from the sandbox into the files ERP: recorded once, cancellations warned, cursor kept;
with the report policy, open drifts read again by id while the cursor moves."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta

import pytest
from pickup_world import open_world

from erpsync.core.store import Store

pytestmark = pytest.mark.integration


@pytest.fixture
def world(demo_ws, pm, registry):
    with open_world(demo_ws, pm, registry) as w:
        w.set_erp({"WH-DG": "DROP OFF", "WH-SZ": "PICK UP"})
        text = w.ws.config.read_text(encoding="utf-8")
        w.ws.config.write_text(
            text.replace('path = "erp"\n', 'path = "erp"\norders = "orders.csv"\n'), encoding="utf-8"
        )
        yield w


def recorded(world) -> dict[str, str]:
    with (world.ws.root / "erp" / "orders.csv").open(encoding="utf-8", newline="") as fh:
        return {row["order_id"]: row["status"] for row in csv.DictReader(fh)}


def statuses(world) -> dict[str, str]:
    return {o["id"]: o["status"] for o in world.ws.admin("GET", "state")["orders"]}


def test_recorded_once_then_only_what_changed(world):
    plan = world.run(aspects=("order_status",))
    seller = statuses(world)
    assert {d.subject for d in plan.drifts} == set(seller)
    assert not (world.ws.root / "erp" / "orders.csv").exists()  # a plan writes nothing

    applied = world.run(apply=True, aspects=("order_status",))
    assert applied.exit_code == 0, [a.detail for s in applied.shops for r in s.aspects for a in r.actions]
    assert recorded(world) == seller
    assert world.run(aspects=("order_status",)).drifts == []  # (order, update time) already recorded

    world.advance(minutes=30)
    order_id = next(iter(seller))
    world.ws.admin("POST", f"orders/{order_id}/status", {"status": "CANCELLED"})
    world.advance(minutes=1)
    report = world.run(apply=True, aspects=("order_status",))
    (drift,) = report.drifts
    assert (drift.subject, drift.seller_value, drift.severity.value) == (order_id, "CANCELLED", "warning")
    assert recorded(world)[order_id] == "CANCELLED"


def test_the_cursor_moves_only_after_an_apply_run(world):
    store_path = world.ws.root / ".erpsync" / "state.db"
    world.run(aspects=("order_status",))
    with Store.open(f"sqlite:///{store_path}") as store:
        assert store.cursors.get("shop", "order_status") is None
    world.run(apply=True, aspects=("order_status",))
    with Store.open(f"sqlite:///{store_path}") as store:
        assert store.cursors.get("shop", "order_status") is not None


def cursor(world) -> str | None:
    with Store.open(f"sqlite:///{world.ws.root / '.erpsync' / 'state.db'}") as store:
        return store.cursors.get("shop", "order_status")


def open_drifts(world) -> dict[str, str | None]:
    with Store.open(f"sqlite:///{world.ws.root / '.erpsync' / 'state.db'}") as store:
        return {d.subject: d.seller_value for d in store.drifts.list_open("shop", aspect="order_status")}


def test_with_report_an_open_drift_no_longer_holds_the_cursor_and_its_order_is_read_by_id(world):
    """Under the report policy nothing is written, so every drift stayed open and the cursor never
    moved: each run read further back. Now each run reads the open drifts' orders by id (Get Order
    Detail) and the cursor moves; a drift resolves once the ERP agrees, and no change is lost."""
    world.ws.config.write_text(
        world.ws.config.read_text(encoding="utf-8") + '\n[policy]\norder_status = "report"\n', encoding="utf-8"
    )
    first = world.run(apply=True, aspects=("order_status",))
    seller = statuses(world)
    assert open_drifts(world) == seller and not (world.ws.root / "erp" / "orders.csv").exists()
    moved = cursor(world)
    assert moved is not None

    # days later: the ERP records one order by hand; another is cancelled while its drift is open
    world.advance(days=2)
    by_hand, cancelled = sorted(seller)[:2]
    order = next(o for o in world.ws.admin("GET", "state")["orders"] if o["id"] == by_hand)
    assert datetime.fromtimestamp(order["update_time"], UTC) < datetime.fromisoformat(moved) - timedelta(hours=1)
    updated_at = datetime.fromtimestamp(order["update_time"], UTC).isoformat()
    (world.ws.root / "erp" / "orders.csv").write_text(
        f"order_id,status,updated_at\n{by_hand},{seller[by_hand]},{updated_at}\n", encoding="utf-8"
    )
    world.ws.admin("POST", f"orders/{cancelled}/status", {"status": "CANCELLED"})
    world.advance(minutes=1)
    second = world.run(apply=True, aspects=("order_status",))
    (aspect,) = second.shops[0].aspects
    assert aspect.notes == [] and second.exit_code == first.exit_code
    # read by id though it changed long before the cursor: its drift resolved
    assert open_drifts(world) == {**{k: v for k, v in seller.items() if k != by_hand}, cancelled: "CANCELLED"}
    assert cursor(world) is not None and cursor(world) > moved  # ISO 8601 in UTC: sorts as time
    assert recorded(world) == {by_hand: seller[by_hand]}  # report: nothing written
