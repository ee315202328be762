"""Order statuses that used to be lost: an order the ERP imports after its status change was read,
a by-id read refused as unauthorised, and an open drift that fell out of a cursor-less read.

The host (``Syncer``) with the real store and the in-memory connectors of ``order_status_fakes``;
then the aspect alone against the Odoo connector (on ``odoo_fixtures``' fake server) and the files ERP."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from odoo_fixtures import make_connector, serving
from order_status_fakes import T0, Book, Orders, OrdersById, OwnBook, by_id_syncer, order_status, syncer

from erpsync.connectors.files import FilesErp
from erpsync.core.aspects.base import ObserveContext
from erpsync.core.aspects.order_status import OrderStatusAspect, OrderStatusObservation
from erpsync.core.connector import ShopContext
from erpsync.core.errors import AuthError
from erpsync.core.models import Records
from erpsync.core.orders import ErpOrderStatus, SellerOrder


def test_an_order_the_erp_imports_after_its_cancellation_was_read_still_gets_it(tmp_path) -> None:
    """The run that read the cancellation found no sale order for it (not the ERP's own), the
    cursor moved past it, and no later run read it again: the ERP shipped a cancelled order."""
    sync, clock = by_id_syncer(tmp_path, policy="seller", erp=OwnBook.type)
    Orders.orders = (SellerOrder("o-1", "CANCELLED", T0 - timedelta(minutes=30)),)
    assert order_status(sync).drifts == []  # not imported yet: nothing to record it in
    clock.now = T0 + timedelta(hours=2)
    OwnBook.imported.add("o-1")  # the ERP's order import runs late
    aspect = order_status(sync)
    assert Orders.reads[-1] == T0 - timedelta(minutes=10)  # the window no longer holds o-1
    assert OrdersById.asked[-1] == ["o-1"] and [r.status for r in aspect.actions] == ["applied"]
    assert Book.held["o-1"].status == "CANCELLED"
    clock.now = T0 + timedelta(hours=3)  # recorded: no longer read by id
    asked = len(OrdersById.asked)
    order_status(sync)
    assert len(OrdersById.asked) == asked


def test_erpsync_waits_for_a_late_import_as_long_as_import_wait_hours_says(tmp_path) -> None:
    sync, clock = by_id_syncer(tmp_path, policy="seller", erp=OwnBook.type, table="import_wait_hours = 6")
    Orders.orders = (SellerOrder("o-1", "CANCELLED", T0 - timedelta(minutes=30)),)
    order_status(sync)
    for hours in (2, 4):  # still waited for: read by id each run
        clock.now = T0 + timedelta(hours=hours)
        order_status(sync)
        assert OrdersById.asked[-1] == ["o-1"]
    clock.now = T0 + timedelta(hours=7)  # six hours after its change: no longer waited for
    asked = len(OrdersById.asked)
    order_status(sync)
    OwnBook.imported.add("o-1")
    clock.now = T0 + timedelta(hours=8)
    assert order_status(sync).drifts == [] and len(OrdersById.asked) == asked


def test_a_seller_that_cannot_read_by_id_reads_a_late_import_again_from_its_cursor(tmp_path) -> None:
    """Without by-id reads, the cursor stays at the oldest order awaited, within the wait."""
    sync, clock = syncer(tmp_path, policy="seller", erp=OwnBook.type)
    Orders.orders = (SellerOrder("o-1", "CANCELLED", T0 - timedelta(minutes=30)),)
    order_status(sync)
    clock.now = T0 + timedelta(hours=2)
    OwnBook.imported.add("o-1")
    assert [r.status for r in order_status(sync).actions] == ["applied"]
    assert Orders.reads[-1] == T0 - timedelta(minutes=40)
    assert Book.held["o-1"].status == "CANCELLED"
    assert sync.store.cursors.get("s", "order_status") == clock.now.isoformat()


def test_an_erp_that_records_any_order_leaves_nothing_awaited(tmp_path) -> None:
    sync, _clock = by_id_syncer(tmp_path, policy="seller")
    Orders.orders = (SellerOrder("o-1", "CANCELLED", T0 - timedelta(minutes=30)),)
    order_status(sync)
    assert sync.store.cursors.get("s", "order_status") == T0.isoformat()  # a plain position, as before
    assert Book.held["o-1"].status == "CANCELLED"


def test_a_read_by_id_refused_as_unauthorised_leaves_the_list_read_in_use(tmp_path, monkeypatch) -> None:
    """Get Order Detail documents 10006402 "permission denied" (Get Order List does not): one
    refusal there used to make the aspect read nothing at all, run after run, with a note saying
    Seller Center refused to list orders."""
    sync, clock = by_id_syncer(tmp_path, policy="report")
    Orders.orders = (SellerOrder("o-1", "CANCELLED", T0 - timedelta(minutes=30)),)
    order_status(sync)  # o-1's drift is left open by policy

    def refuse(self, ids):
        raise AuthError("10006402: permission denied")

    monkeypatch.setattr(OrdersById, "read_orders_by_id", refuse)
    Orders.orders = (*Orders.orders, SellerOrder("o-2", "CANCELLED", T0 + timedelta(hours=1)))
    clock.now = T0 + timedelta(hours=2)
    aspect = order_status(sync)
    assert {d.subject for d in aspect.drifts} == {"o-2"}  # the list read is compared as usual
    assert {d.subject for d in sync.store.drifts.list_open("s", aspect="order_status")} == {"o-1", "o-2"}
    assert aspect.notes == [
        "orders of open drifts (their drifts stay open) not read again: Seller Center refused to read "
        "orders by id (10006402: permission denied)",
        "read position not moved: a drift was left open or a correction not made, and its record is read again "
        "only while the read position stays before it; the next run reads again from the position kept before",
    ]
    assert sync.store.cursors.get("s", "order_status") == T0.isoformat()  # o-2 is left open: held


@pytest.mark.parametrize("by_id", [False, True])
def test_an_open_drift_that_fell_out_of_a_first_read_is_named(tmp_path, by_id: bool) -> None:
    """Without by-id reads and with no cursor yet (a drift left open holds it), each run reads
    lookback_days: an open drift's order that changed before that was never read again, silently."""
    sync, clock = by_id_syncer(tmp_path, policy="report") if by_id else syncer(tmp_path, policy="report")
    Orders.orders = (SellerOrder("o-1", "CANCELLED", T0 - timedelta(days=6)),)
    order_status(sync)
    clock.now = T0 + timedelta(days=2)
    Book.held["o-1"] = ErpOrderStatus("o-1", "CANCELLED", T0 - timedelta(days=6))  # fixed by hand
    aspect = order_status(sync)
    if by_id:  # read by id: resolves
        assert aspect.resolved and aspect.notes == []
        return
    assert not aspect.resolved
    assert aspect.notes == [
        "orders of open drifts not read again (not changed since 2026-02-24 16:00 Beijing time, where this "
        "read starts, and this seller cannot read orders by id): o-1; their drifts stay open until the "
        "order changes again"
    ]


def test_an_order_awaited_while_reads_by_id_are_refused_is_still_awaited(tmp_path, monkeypatch) -> None:
    sync, clock = by_id_syncer(tmp_path, policy="seller", erp=OwnBook.type)
    Orders.orders = (SellerOrder("o-1", "CANCELLED", T0 - timedelta(minutes=30)),)
    order_status(sync)
    with monkeypatch.context() as refused:
        refused.setattr(OrdersById, "read_orders_by_id", lambda self, ids: (_ for _ in ()).throw(AuthError("no")))
        clock.now = T0 + timedelta(hours=1)
        order_status(sync)
    OwnBook.imported.add("o-1")
    clock.now = T0 + timedelta(hours=2)
    assert [r.status for r in order_status(sync).actions] == ["applied"]
    assert Book.held["o-1"].status == "CANCELLED"


def test_the_awaited_orders_are_read_by_id_with_the_open_drifts_in_one_call(tmp_path) -> None:
    sync, clock = by_id_syncer(tmp_path, policy="report", erp=OwnBook.type)
    OwnBook.imported.add("o-1")
    Orders.orders = (
        SellerOrder("o-1", "CANCELLED", T0 - timedelta(minutes=30)),
        SellerOrder("o-2", "CANCELLED", T0 - timedelta(minutes=20)),
    )
    order_status(sync)
    clock.now = T0 + timedelta(hours=1)
    aspect = order_status(sync)
    assert OrdersById.asked == [["o-1", "o-2"]] and aspect.notes == []
    # an awaited order Seller Center no longer returns is simply no longer awaited, without a note
    Orders.orders = Orders.orders[:1]
    clock.now = T0 + timedelta(hours=2)
    assert order_status(sync).notes == []
    clock.now = T0 + timedelta(hours=3)
    order_status(sync)
    assert OrdersById.asked[-1] == ["o-1"]


def test_a_cursor_written_by_an_earlier_version_is_read_as_before(tmp_path) -> None:
    sync, clock = by_id_syncer(tmp_path, policy="seller", erp=OwnBook.type)
    sync.store.cursors.put("s", "order_status", T0.isoformat(), now=T0)
    clock.now = T0 + timedelta(hours=1)
    Orders.orders = ()
    assert order_status(sync).error is None and Orders.reads == [T0 - timedelta(minutes=10)]


class _SellerById:
    """A seller that lists ``listed`` and reads ``known`` by id."""

    def __init__(self, listed: tuple[SellerOrder, ...], known: tuple[SellerOrder, ...]) -> None:
        self.listed, self.known = listed, known

    def read_orders(self, *, statuses=(), updated_since=None, updated_before=None) -> Records[SellerOrder]:
        return Records(self.listed)

    def read_orders_by_id(self, order_ids) -> Records[SellerOrder]:
        return Records(tuple(o for o in self.known if o.id in order_ids))


def _observe(seller: _SellerById, erp: object, now: datetime, cursor: str | None) -> OrderStatusObservation:
    ctx = ObserveContext(shop="shop", seller=seller, erp=erp, now=now, memory=None, cursor=cursor)  # type: ignore[arg-type]
    return OrderStatusAspect().observe(ctx)


def test_odoo_gets_the_cancellation_of_a_sale_order_imported_after_it_was_read() -> None:
    cancelled = SellerOrder("5769001", "CANCELLED", T0 - timedelta(minutes=30))
    with serving() as odoo:
        odoo.add_field("sale.order", "x_status")
        odoo.add_field("sale.order", "x_status_at")
        connector = make_connector("json2", order_status_field="x_status", order_updated_field="x_status_at")
        first = _observe(_SellerById((cancelled,), (cancelled,)), connector, T0, None)
        assert first.orders == [] and first.cursor is not None
        odoo.create("sale.order", {"name": "S1", "client_order_ref": "5769001"})  # the import runs late
        later = _observe(_SellerById((), (cancelled,)), connector, T0 + timedelta(hours=2), first.cursor)
        aspect = OrderStatusAspect()
        (action,) = aspect.plan(aspect.diff(later), lambda d: "seller", later)
        aspect.apply(action, _SellerById((), ()), connector)  # type: ignore[arg-type]
        (order,) = odoo.records["sale.order"].values()
        assert order["x_status"] == "CANCELLED"


def test_the_files_erp_records_any_order_so_none_is_awaited(tmp_path) -> None:
    (tmp_path / "erp").mkdir()
    (tmp_path / "erp" / "warehouses.csv").write_text("id\nE1\n", encoding="utf-8")
    files = FilesErp(
        FilesErp.Options().load({"path": "erp", "orders": "orders.csv"}), shop=ShopContext("shop", tmp_path)
    )
    cancelled = SellerOrder("5769001", "CANCELLED", T0 - timedelta(minutes=30))
    observed = _observe(_SellerById((cancelled,), (cancelled,)), files, T0, None)
    assert [o.id for o in observed.orders] == ["5769001"] and observed.cursor == T0.isoformat()


def test_an_order_awaited_while_reads_by_id_stay_refused_is_reached_by_the_list_read(tmp_path, monkeypatch) -> None:
    """With every by-id read refused (an app without Get Order Detail permission), the cursor
    moved to now while the awaited order waited for a by-id read that never came: once
    import_wait_hours passed, the late import's cancellation was lost. The read position now
    stays at the oldest awaited order, as for a seller that cannot read by id."""
    sync, clock = by_id_syncer(tmp_path, policy="seller", erp=OwnBook.type)
    Orders.orders = (SellerOrder("o-1", "CANCELLED", T0 - timedelta(minutes=30)),)
    order_status(sync)  # not imported yet: awaited

    def refuse(self, ids):
        raise AuthError("10006402: permission denied")

    monkeypatch.setattr(OrdersById, "read_orders_by_id", refuse)
    clock.now = T0 + timedelta(hours=2)
    aspect = order_status(sync)
    assert aspect.notes == [
        "orders awaited for the ERP's import (the list read reaches back to them) not read again: "
        "Seller Center refused to read orders by id (10006402: permission denied)"
    ]
    OwnBook.imported.add("o-1")  # the ERP imports it late
    for hours in (4, 8):
        clock.now = T0 + timedelta(hours=hours)
        order_status(sync)
    assert Book.held["o-1"].status == "CANCELLED"  # the cancellation reached the ERP
