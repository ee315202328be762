"""When the order_status cursor may move: only once every order read is in the ERP as read.

The host (``Syncer``) with the real store and plugin manager, an in-memory seller that lists
orders, and an in-memory ERP book; plus the pure rule (``every_drift_corrected``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import ClassVar

from marshmallow import Schema

from erpsync.core.aspects.verify import every_drift_corrected
from erpsync.core.connector import Connector
from erpsync.core.models import Action, ActionResult, AspectReport, Drift, Records, Severity
from erpsync.core.orders import ErpOrderStatus, SellerOrder
from erpsync.plugins import hookimpl
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sync import Syncer

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class Orders(Connector):
    type = "orders-seller"
    role = "seller"
    orders: tuple[SellerOrder, ...] = ()
    reads: ClassVar[list[datetime | None]] = []

    class Options(Schema):
        pass

    def read_orders(self, *, statuses=(), updated_since=None, updated_before=None):
        Orders.reads.append(updated_since)
        return Records(
            tuple(
                o
                for o in Orders.orders
                if (updated_since is None or o.update_time >= updated_since)
                and (updated_before is None or o.update_time < updated_before)
            )
        )

    def list_warehouses(self):
        return Records(())

    def check(self) -> str:
        return "orders"


class Book(Connector):
    """An ERP order book; ``keeps`` False: it accepts a write and keeps nothing (a field that
    silently ignores writes)."""

    type = "order-book"
    role = "erp"
    held: ClassVar[dict[str, ErpOrderStatus]] = {}
    keeps = True

    class Options(Schema):
        pass

    def order_statuses(self, order_ids):
        return Records(tuple(Book.held[i] for i in order_ids if i in Book.held))

    def set_order_status(self, order_id, status, updated_at):
        if Book.keeps:
            Book.held[order_id] = ErpOrderStatus(order_id, status, updated_at)

    def list_warehouses(self):
        return Records(())

    def check(self) -> str:
        return "book"


class Plugin:
    @hookimpl
    def register_connectors(self, register):
        register(Orders)
        register(Book)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def syncer(tmp_path, policy: str = "seller") -> tuple[Syncer, Clock]:
    Orders.orders, Orders.reads, Book.held, Book.keeps = (), [], {}, True
    (tmp_path / "erpsync.toml").write_text(
        '[[shops]]\nname = "s"\naspects = ["order_status"]\n[shops.seller]\ntype = "orders-seller"\n'
        f'[shops.erp]\ntype = "order-book"\n[policy]\norder_status = "{policy}"\n',
        encoding="utf-8",
    )
    pm = get_plugin_manager(entrypoints=False, extra=[Plugin()])
    registry = build_registry(pm)
    clock = Clock()
    return Syncer(load_settings(tmp_path / "erpsync.toml", registry), pm=pm, registry=registry, clock=clock), clock


def order_status(sync: Syncer) -> AspectReport:
    return next(a for a in sync.run(apply=True).shops[0].aspects if a.aspect == "order_status")


def test_a_write_the_reread_finds_did_not_stick_keeps_the_cursor(tmp_path) -> None:
    """The cursor was stored before the re-read turned the write into 'failed': the next run
    started after the order, which was then never read, nor its status written, again."""
    sync, clock = syncer(tmp_path)
    Orders.orders = (SellerOrder("o-1", "CANCELLED", T0 - timedelta(minutes=5)),)
    Book.keeps = False
    aspect = order_status(sync)
    assert [r.status for r in aspect.actions] == ["failed"]
    assert sync.store.cursors.get("s", "order_status") is None
    Book.keeps = True
    clock.now = T0 + timedelta(hours=1)
    aspect = order_status(sync)
    assert [r.status for r in aspect.actions] == ["applied"]
    assert Book.held["o-1"].status == "CANCELLED"
    assert sync.store.cursors.get("s", "order_status") == clock.now.isoformat()


def test_a_drift_left_open_by_policy_keeps_its_order_read_until_it_resolves(tmp_path) -> None:
    """With nothing planned, 'every action applied' held for no actions, so the cursor moved past
    the order and its alert could never resolve, even once the ERP was put right by hand."""
    sync, clock = syncer(tmp_path, policy="report")
    Orders.orders = (SellerOrder("o-1", "CANCELLED", T0 - timedelta(minutes=5)),)
    sync.run(apply=True)
    assert [d.subject for d in sync.store.drifts.list_open("s", aspect="order_status")] == ["o-1"]
    assert sync.store.cursors.get("s", "order_status") is None
    Book.held["o-1"] = ErpOrderStatus("o-1", "CANCELLED", T0 - timedelta(minutes=5))  # fixed by hand
    clock.now = T0 + timedelta(hours=1)
    aspect = order_status(sync)
    assert aspect.resolved and sync.store.drifts.list_open("s", aspect="order_status") == []
    assert sync.store.cursors.get("s", "order_status") == clock.now.isoformat()


def _drift(subject: str) -> Drift:
    return Drift("s", "order_status", "status_not_mirrored", subject, "status", "X", None, Severity.INFO, "m")


def _result(drift: Drift, status: str) -> ActionResult:
    action = Action(
        "s", "order_status", "set_order_status", "erp", drift.subject, "status", "X", "d", (drift.fingerprint,)
    )
    return ActionResult(action, status)  # type: ignore[arg-type]


def test_every_drift_corrected() -> None:
    a, b = _drift("o-1"), _drift("o-2")
    assert every_drift_corrected(AspectReport("order_status"))
    assert every_drift_corrected(AspectReport("order_status", drifts=[a], actions=[_result(a, "applied")]))
    assert not every_drift_corrected(AspectReport("order_status", drifts=[a], actions=[_result(a, "failed")]))
    assert not every_drift_corrected(AspectReport("order_status", drifts=[a, b], actions=[_result(a, "applied")]))
    assert not every_drift_corrected(AspectReport("order_status", drifts=[a]))  # left open: nothing planned
