"""Order statuses from the sandbox into the files ERP: recorded once, cancellations warned, cursor kept."""

from __future__ import annotations

import csv

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
