"""An order that passes from near its ship-by time to past it is one drift that escalates.

Through real runs (a ``Syncer`` per run, a moving clock, a ``jsonl`` sink and a sink in
Chinese): operators get "opened" (warning), then one "escalated" (critical) for the same drift
occurrence, never a "resolved" for an order that got worse; it resolves once the order ships.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import pytest
from marshmallow import Schema

from erpsync.core.aspects.ship_by import ShipByObservation, ship_by_drifts
from erpsync.core.connector import Connector
from erpsync.core.models import Records, Severity, Warehouse
from erpsync.core.orders import SellerOrder
from erpsync.core.store import Store
from erpsync.plugins import hookimpl
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sync import Syncer

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ORDER = "5769000000000000901"
DUE = T0 + timedelta(hours=5)


class Orders(Connector):
    """Seller Center's orders awaiting shipment, held in memory: one order until it ships."""

    type = "ship-by-seller"
    role = "seller"
    shipped: ClassVar[bool] = False

    class Options(Schema):
        pass

    def read_orders(
        self,
        *,
        statuses: Sequence[str] = (),
        updated_since: datetime | None = None,
        updated_before: datetime | None = None,
    ) -> Records[SellerOrder]:
        status = "AWAITING_COLLECTION" if Orders.shipped else "AWAITING_SHIPMENT"
        order = SellerOrder(ORDER, status, T0 - timedelta(days=2), T0 - timedelta(days=3), DUE, "WH-1")
        return Records((order,) if not statuses or status in statuses else ())

    def list_warehouses(self) -> Records[Warehouse]:
        return Records()  # a seller connector reads warehouses; ship_by needs them only for extensions

    def check(self) -> str:
        return "memory"


class Plugin:
    @hookimpl
    def register_connectors(self, register):
        register(Orders)


CONFIG = (
    '[[shops]]\nname = "s"\naspects = ["ship_by"]\n'
    '[shops.seller]\ntype = "ship-by-seller"\n[shops.erp]\ntype = "files"\npath = "erp"\n'
    "[alerting]\nremind_after_hours = 24\n"
    '[[alerts]]\ntype = "jsonl"\npath = "en.jsonl"\n'
    '[[alerts]]\ntype = "jsonl"\nname = "zh"\nlanguage = "zh"\npath = "zh.jsonl"\n'
    '[[alerts]]\ntype = "jsonl"\nname = "critical-only"\nmin_severity = "critical"\npath = "critical.jsonl"\n'
)


class World:
    def __init__(self, path: Path) -> None:
        self.path, self.now = path, T0
        self.pm = get_plugin_manager(entrypoints=False, extra=[Plugin()])
        self.registry = build_registry(self.pm)
        (path / "erp").mkdir()
        (path / "erpsync.toml").write_text(CONFIG, encoding="utf-8")

    def run(self, *, at: datetime) -> None:
        self.now = at
        syncer = Syncer(
            load_settings(self.path / "erpsync.toml", self.registry),
            pm=self.pm,
            registry=self.registry,
            clock=lambda: self.now,
        )
        syncer.run()
        syncer.close()

    def events(self, name: str) -> list[dict]:
        file = self.path / name
        return [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines()] if file.exists() else []

    def store(self) -> Store:
        return Store.open(f"sqlite:///{self.path / '.erpsync' / 'state.db'}")


@pytest.fixture
def world(tmp_path: Path):
    Orders.shipped = False
    yield World(tmp_path)
    Orders.shipped = False


def test_near_then_overdue_is_one_drift_that_escalates_and_resolves_once_shipped(world: World) -> None:
    world.run(at=T0)  # 5 h left: near
    world.run(at=T0 + timedelta(hours=1))  # still near: nothing new
    with world.store() as store:
        (near,) = store.drifts.list_open("s")
    assert (near.kind, near.severity) == ("ship_by_near", Severity.WARNING)

    world.run(at=DUE + timedelta(minutes=30))  # past the deadline
    with world.store() as store:
        (overdue,) = store.drifts.list_open("s")
    assert (overdue.id, overdue.fingerprint) == (near.id, near.fingerprint)  # the same drift occurrence
    assert (overdue.kind, overdue.severity, overdue.opened_at) == ("ship_by_overdue", Severity.CRITICAL, T0)

    world.run(at=DUE + timedelta(hours=1))  # still overdue: nothing new
    Orders.shipped = True
    world.run(at=DUE + timedelta(hours=2))

    events = world.events("en.jsonl")
    assert [(e["event"], e["kind"], e["severity"]) for e in events] == [
        ("opened", "ship_by_near", "warning"),
        ("escalated", "ship_by_overdue", "critical"),
        ("resolved", "ship_by_overdue", "critical"),
    ]
    assert len({e["fingerprint"] for e in events}) == 1
    assert events[1]["message"].startswith(f"order {ORDER} missed its latest ship time")
    assert events[1]["first_seen"] == T0.isoformat()  # when the drift opened, not when it escalated
    zh = world.events("zh.jsonl")
    assert [e["event"] for e in zh] == ["opened", "escalated", "resolved"]
    assert zh[1]["message"].startswith(f"订单 {ORDER} 已超过最晚发货时间")
    # a sink that wants only critical alerts hears of the order once it is critical
    assert [e["event"] for e in world.events("critical.jsonl")] == ["escalated", "resolved"]


def test_near_and_overdue_of_one_order_share_a_fingerprint() -> None:
    def drift(now: datetime):
        order = SellerOrder(ORDER, "AWAITING_SHIPMENT", T0, T0, DUE, "WH-1")
        (found,) = ship_by_drifts("ship_by", ShipByObservation(shop="s", now=now, orders=[order]))
        return found

    near, overdue = drift(T0), drift(DUE + timedelta(minutes=1))
    assert (near.kind, overdue.kind) == ("ship_by_near", "ship_by_overdue")
    assert near.fingerprint == overdue.fingerprint
    other = ship_by_drifts(
        "ship_by",
        ShipByObservation(shop="s", now=T0, orders=[SellerOrder("other", "AWAITING_SHIPMENT", T0, T0, DUE, "WH-1")]),
    )
    assert other[0].fingerprint != near.fingerprint
