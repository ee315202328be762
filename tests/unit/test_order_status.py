"""Order statuses into the ERP: the pure diff and plan, and the files ERP's orders file."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from erpsync.connectors.files import FilesErp
from erpsync.core.aspects.base import ObserveContext
from erpsync.core.aspects.order_status import (
    OrderStatusAspect,
    OrderStatusObservation,
    not_found_again,
    order_status_drifts,
)
from erpsync.core.connector import ShopContext
from erpsync.core.errors import NotFoundError, PermanentError
from erpsync.core.models import Records, Severity
from erpsync.core.orders import ErpOrderStatus, SellerOrder, latest_per_order

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
T1, T2 = NOW - timedelta(hours=2), NOW - timedelta(hours=1)


def obs(orders: list[SellerOrder], recorded: list[ErpOrderStatus]) -> OrderStatusObservation:
    return OrderStatusObservation(shop="acme", now=NOW, orders=orders, recorded={r.order_id: r for r in recorded})


def test_only_updates_the_erp_has_not_recorded_are_drift() -> None:
    orders = [
        SellerOrder("o-new", "AWAITING_SHIPMENT", T2),  # unknown to the ERP
        SellerOrder("o-moved", "IN_TRANSIT", T2),  # the ERP has an older status
        SellerOrder("o-same", "DELIVERED", T2),  # already recorded
        SellerOrder("o-ahead", "AWAITING_COLLECTION", T1),  # the ERP holds a later update
        SellerOrder("o-gone", "CANCELLED", T2),
    ]
    recorded = [
        ErpOrderStatus("o-moved", "AWAITING_COLLECTION", T1),
        ErpOrderStatus("o-same", "DELIVERED", T1),
        ErpOrderStatus("o-ahead", "IN_TRANSIT", T2),
        ErpOrderStatus("o-gone", "AWAITING_SHIPMENT", None),
    ]
    drifts = order_status_drifts("order_status", obs(orders, recorded))
    assert [(d.subject, d.seller_value, d.erp_value, d.severity) for d in drifts] == [
        ("o-new", "AWAITING_SHIPMENT", None, Severity.INFO),
        ("o-moved", "IN_TRANSIT", "AWAITING_COLLECTION", Severity.INFO),
        ("o-gone", "CANCELLED", "AWAITING_SHIPMENT", Severity.WARNING),
    ]
    assert drifts[2].message == "order o-gone is CANCELLED in Seller Center; the ERP still has AWAITING_SHIPMENT"
    assert drifts[0].summary is not None and drifts[0].summary.zh.endswith("ERP 尚无其状态")


def test_plan_records_the_status_as_of_its_update_when_seller_center_wins() -> None:
    o = obs([SellerOrder("o-1", "CANCELLED", T2)], [])
    aspect = OrderStatusAspect()
    drifts = aspect.diff(o)
    (action,) = aspect.plan(drifts, lambda d: "seller", o)
    assert (action.kind, action.target, action.subject) == ("set_order_status", "erp", "o-1")
    assert json.loads(action.value or "") == {"status": "CANCELLED", "updated_at": T2.isoformat()}
    assert aspect.plan(drifts, lambda d: "report", o) == []


def erp(tmp_path: Path, orders: str | None = "orders.csv") -> FilesErp:
    (tmp_path / "erp").mkdir(exist_ok=True)
    (tmp_path / "erp" / "warehouses.csv").write_text("id\nE1\n", encoding="utf-8")
    options = {"path": "erp"} | ({"orders": orders} if orders else {})
    return FilesErp(FilesErp.Options().load(options), shop=ShopContext(name="acme", base_dir=tmp_path))


@pytest.mark.parametrize("name", ["orders.csv", "orders.json"])
def test_files_erp_records_statuses_and_keeps_its_own_columns(tmp_path: Path, name: str) -> None:
    book = erp(tmp_path, name)
    assert book.order_statuses(["o-1"]).items == ()  # no file yet: nothing recorded
    book.set_order_status("o-1", "AWAITING_SHIPMENT", T1)
    book.set_order_status("o-2", "CANCELLED", T2)
    book.set_order_status("o-1", "IN_TRANSIT", T2)
    found = {r.order_id: (r.status, r.updated_at) for r in book.order_statuses(["o-1", "o-2", "o-9"]).items}
    assert found == {"o-1": ("IN_TRANSIT", T2), "o-2": ("CANCELLED", T2)}
    path = tmp_path / "erp" / name
    if name.endswith(".csv"):
        path.write_text(
            path.read_text(encoding="utf-8").replace("order_id,", "buyer,order_id,", 1).replace("\no-", "\nX,o-")
        )
    book.set_order_status("o-2", "CANCELLED", T2 + timedelta(minutes=1))
    text = path.read_text(encoding="utf-8")
    assert text.count("o-2") == 1 and (name.endswith(".json") or "X,o-1" in text)


def test_files_erp_in_a_batch_writes_once_and_not_at_all_on_error(tmp_path: Path) -> None:
    book = erp(tmp_path)
    with book.batch():
        book.set_order_status("o-1", "CANCELLED", T1)
        book.set_order_status("o-2", "CANCELLED", T1)
        assert not (tmp_path / "erp" / "orders.csv").exists()  # queued until the batch closes
    assert len(book.order_statuses(["o-1", "o-2"]).items) == 2
    with pytest.raises(RuntimeError), book.batch():
        book.set_order_status("o-3", "CANCELLED", T1)
        raise RuntimeError("the host stopped")
    assert book.order_statuses(["o-3"]).items == ()
    book.set_order_status("o-4", "CANCELLED", T1)  # no batch left open: written at once
    assert len(book.order_statuses(["o-4"]).items) == 1


def test_files_erp_without_the_option_keeps_no_statuses(tmp_path: Path) -> None:
    book = erp(tmp_path, None)
    assert book.order_statuses(["o-1"]) is None
    with pytest.raises(PermanentError, match="keeps no order statuses"):
        book.set_order_status("o-1", "CANCELLED", T1)


def test_a_malformed_row_is_named_and_the_others_come(tmp_path: Path) -> None:
    book = erp(tmp_path)
    (tmp_path / "erp" / "orders.csv").write_text(
        "order_id,status,updated_at\no-1,CANCELLED,yesterday\no-2,DELIVERED,2026-03-01T07:00:00+00:00\n",
        encoding="utf-8",
    )
    read = book.order_statuses(["o-1", "o-2"])
    assert [r.order_id for r in read.items] == ["o-2"]
    (error,) = read.errors
    assert "orders.csv:2" in str(error) and "updated_at" in str(error)


def test_a_read_reports_the_bad_rows_of_the_orders_asked_about_and_those_of_no_order(tmp_path: Path) -> None:
    """A bad row of another order was reported too, and its error held the order_status aspect's
    read position for good: an order typed by hand last year stopped every cursor after it."""
    book = erp(tmp_path)
    (tmp_path / "erp" / "orders.csv").write_text(
        "order_id,status,updated_at\n"
        "o-old,DELIVERED,2025-01-05 10:00\n"  # no UTC offset, and not asked about
        "o-old,DELIVERED,\n"  # given twice, not asked about
        "o-1,CANCELLED,yesterday\n"
        ",UNPAID,\n"  # no order id: it may be any order's
        "o-2,UNPAID,,a cell with no column\n",  # no cell of it can be trusted, its id neither
        encoding="utf-8",
    )
    read = book.order_statuses(["o-1"])
    assert read.items == ()
    assert [(e.source.rsplit(":", 1)[1], e.record_id, e.field) for e in read.errors if e.source] == [
        ("4", "o-1", "updated_at"),
        ("5", None, "order_id"),
        ("6", None, None),
    ]


def test_an_order_given_twice_or_a_row_longer_than_the_header_is_named_not_read(tmp_path: Path) -> None:
    book = erp(tmp_path)
    (tmp_path / "erp" / "orders.csv").write_text(
        "order_id,status,updated_at\no-1,CANCELLED,\no-2,UNPAID,,a cell with no column\no-1,DELIVERED,\n",
        encoding="utf-8",
    )
    read = book.order_statuses(["o-1", "o-2"])
    assert read.items == ()  # which of its rows the ERP means is not known (test_files_orders_repeated.py)
    assert sorted((e.source.rsplit(":", 1)[1], e.field, e.reason.split(":")[0]) for e in read.errors if e.source) == [
        ("2", "order_id", "rows of this order differ"),
        ("3", None, "row has more cells than the header"),
        ("4", "order_id", "rows of this order differ"),
    ]


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_a_rewrite_changes_the_written_cells_only(tmp_path: Path, bom: bytes) -> None:
    """Two columns without a name, a blank line, CRLF and a BOM all stay: rows are written back
    cell by cell, not by column name (two unnamed columns would have merged)."""
    book = erp(tmp_path)
    path = tmp_path / "erp" / "orders.csv"
    path.write_bytes(bom + b"order_id,status,updated_at,,\r\no-1,UNPAID,,note-a,note-b\r\n\r\no-3,UNPAID,,,x\r\n")
    book.set_order_status("o-3", "CANCELLED", T1)
    book.set_order_status("o-2", "SHIPPED", T2)
    assert path.read_bytes() == bom + (
        b"order_id,status,updated_at,,\r\no-1,UNPAID,,note-a,note-b\r\n\r\n"
        + f"o-3,CANCELLED,{T1.isoformat()},,x\r\no-2,SHIPPED,{T2.isoformat()},,\r\n".encode()
    )


def test_a_json_rewrite_keeps_the_bom_and_line_endings(tmp_path: Path) -> None:
    book = erp(tmp_path, "orders.json")
    path = tmp_path / "erp" / "orders.json"
    path.write_bytes(b'\xef\xbb\xbf[\r\n  {"order_id": "o-1", "status": "UNPAID"}\r\n]\r\n')
    book.set_order_status("o-1", "CANCELLED", T1)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf[\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert [r.status for r in book.order_statuses(["o-1"]).items] == ["CANCELLED"]


class Seller:
    """A seller side that lists two orders (plain data: the aspect's reading is under test)."""

    type = "seller"

    def read_orders(self, *, statuses=(), updated_since=None, updated_before=None) -> Records[SellerOrder]:
        return Records((SellerOrder("o-mine", "CANCELLED", T2), SellerOrder("o-other", "IN_TRANSIT", T2)), ())


class OwnOrdersBook:
    """An ERP holding only the orders imported into it: o-mine, with no status recorded yet."""

    type = "erp"
    own_orders_only = True

    def order_statuses(self, order_ids: list[str]) -> Records[ErpOrderStatus]:
        return Records(tuple(ErpOrderStatus(i, "", None) for i in order_ids if i == "o-mine"), ())

    def set_order_status(self, order_id: str, status: str, updated_at: datetime) -> None:
        raise AssertionError("not called by observe")


def test_an_erp_of_its_own_orders_only_is_asked_about_the_orders_it_holds() -> None:
    aspect = OrderStatusAspect()
    ctx = ObserveContext(shop="acme", seller=Seller(), erp=OwnOrdersBook(), now=NOW, memory=None)  # type: ignore[arg-type]
    observed = aspect.observe(ctx)
    assert [o.id for o in observed.orders] == ["o-mine"] and observed.scope == {"o-mine"}
    (drift,) = aspect.diff(observed)
    assert (drift.subject, drift.seller_value, drift.erp_value) == ("o-mine", "CANCELLED", None)
    # an ERP that records any order it is told of gets both
    OwnOrdersBook.own_orders_only = False
    try:
        assert {o.id for o in aspect.observe(ctx).orders} == {"o-mine", "o-other"}
    finally:
        OwnOrdersBook.own_orders_only = True


def test_a_different_status_recorded_as_of_the_same_second_is_still_drift() -> None:
    """Update times have one-second resolution: two statuses in one second share one. The ERP's
    record of that second used to count as 'this update seen', leaving the stale status for good."""
    o = obs([SellerOrder("o-1", "CANCELLED", T2)], [ErpOrderStatus("o-1", "AWAITING_SHIPMENT", T2)])
    (drift,) = order_status_drifts("order_status", o)
    assert (drift.subject, drift.seller_value, drift.erp_value) == ("o-1", "CANCELLED", "AWAITING_SHIPMENT")
    same = obs([SellerOrder("o-1", "CANCELLED", T2)], [ErpOrderStatus("o-1", "CANCELLED", T2)])
    assert order_status_drifts("order_status", same) == []


class _Seller:
    def __init__(self, *orders: SellerOrder) -> None:
        self.orders = orders

    def read_orders(self, *, statuses=(), updated_since=None, updated_before=None) -> Records[SellerOrder]:
        return Records(self.orders)


class _Book:
    def order_statuses(self, order_ids) -> Records[ErpOrderStatus]:
        return Records(tuple(ErpOrderStatus(i, "AWAITING_SHIPMENT", T1) for i in order_ids))

    def set_order_status(self, order_id, status, updated_at) -> None:
        raise AssertionError("observe writes nothing")


def test_a_status_the_client_does_not_know_is_a_note_never_written() -> None:
    """UNKNOWN used to be planned as the ERP's new status: the word 'UNKNOWN' over a real one."""
    raw = "status 'AWAITING_PICKUP_CONFIRMATION' is not a value this client knows: read as UNKNOWN"
    seller = _Seller(SellerOrder("o-new", "UNKNOWN", T2, notes=(raw,)), SellerOrder("o-1", "CANCELLED", T2))
    aspect = OrderStatusAspect()
    o = aspect.observe(ObserveContext(shop="acme", seller=seller, erp=_Book(), now=NOW, memory=None))  # type: ignore[arg-type]
    assert o.notes == [f"order o-new: status not recorded in the ERP: {raw}"]
    assert o.scope == {"o-1"}  # an open drift of o-new neither resolves nor changes
    (action,) = aspect.plan(aspect.diff(o), lambda d: "seller", o)
    assert (action.subject, json.loads(action.value or "")["status"]) == ("o-1", "CANCELLED")
    assert order_status_drifts("order_status", obs([SellerOrder("o-new", "UNKNOWN", T2)], [])) == []


def test_a_cursor_older_than_the_lookback_is_read_from_with_a_note() -> None:
    """The cursor used to be overridden by ``now - lookback_days``: after a long outage, the
    changes in the gap were never read, without a word, and the cursor then jumped to now."""
    cursor = NOW - timedelta(days=10)
    seen: list[datetime | None] = []

    class Seller(_Seller):
        def read_orders(self, *, statuses=(), updated_since=None, updated_before=None) -> Records[SellerOrder]:
            seen.append(updated_since)
            return super().read_orders()

    class Empty(_Book):
        def order_statuses(self, order_ids) -> Records[ErpOrderStatus]:
            return Records(())

    seller = Seller(SellerOrder("o-1", "CANCELLED", NOW - timedelta(days=8)))
    aspect = OrderStatusAspect()
    ctx = ObserveContext(shop="acme", seller=seller, erp=Empty(), now=NOW, memory=None, cursor=cursor.isoformat())  # type: ignore[arg-type]
    o = aspect.observe(ctx)
    assert seen == [cursor - timedelta(minutes=10)]
    assert [d.subject for d in aspect.diff(o)] == ["o-1"]
    (note,) = o.notes
    assert note.startswith(
        "order statuses read from 2026-02-19 15:50 Beijing time (10 days back, beyond lookback_days)"
    )
    recent = ObserveContext(shop="acme", seller=seller, erp=_Book(), now=NOW, memory=None, cursor=T1.isoformat())  # type: ignore[arg-type]
    assert aspect.observe(recent).notes == [] and seen[-1] == T1 - timedelta(minutes=10)


class _SellerById(_Seller):
    def __init__(self, *orders: SellerOrder, known: tuple[SellerOrder, ...] = ()) -> None:
        super().__init__(*orders)
        self.known: tuple[SellerOrder, ...] = known
        self.asked: list[list[str]] = []

    def read_orders_by_id(self, order_ids) -> Records[SellerOrder]:
        self.asked.append(list(order_ids))
        return Records(tuple(o for o in self.known if o.id in order_ids))


def test_the_orders_of_open_drifts_are_read_by_id_whatever_the_cursor() -> None:
    """Only the orders updated since the cursor were read, so an open drift's order was read again
    only while the cursor stayed before it: the cursor could not move while a drift stayed open."""
    old = SellerOrder("o-old", "CANCELLED", NOW - timedelta(days=30))
    stale = SellerOrder("o-1", "AWAITING_SHIPMENT", NOW - timedelta(days=30))
    newer = SellerOrder("o-1", "IN_TRANSIT", T2)  # the window's read of o-1 is the later one
    seller = _SellerById(newer, known=(old, stale))
    aspect = OrderStatusAspect()
    open_subjects = frozenset({"o-old", "o-1", "o-gone"})
    ctx = ObserveContext(shop="acme", seller=seller, erp=_Book(), now=NOW, memory=None, cursor=T1.isoformat())  # type: ignore[arg-type]
    ctx.open_subjects = open_subjects
    o = aspect.observe(ctx)
    assert seller.asked == [["o-1", "o-gone", "o-old"]]
    assert {x.id: x.status for x in o.orders} == {"o-old": "CANCELLED", "o-1": "IN_TRANSIT"}
    assert o.scope == {"o-old", "o-1"}  # o-gone's drift stays open, with a note
    assert o.notes == ["orders of open drifts not found by id in Seller Center: o-gone; their drifts stay open"]
    assert o.open_drifts_reread and o.cursor == NOW.isoformat()
    # a seller that cannot read by id: its open drifts hold the cursor (the old rule)
    assert not aspect.observe(replace(ctx, seller=_Seller(newer))).open_drifts_reread


def test_the_status_read_by_id_wins_a_tie_of_update_time_with_the_list() -> None:
    """Two changes in one second share an update time. The list read's snapshot of it was kept
    over the by-id read made after it, so the status read now lost, and nothing was written."""
    listed = SellerOrder("o-1", "AWAITING_SHIPMENT", T2)
    now_read = SellerOrder("o-1", "CANCELLED", T2)  # Get Order Detail, after the list: the same second
    seller = _SellerById(listed, known=(now_read,))
    aspect = OrderStatusAspect()
    ctx = ObserveContext(shop="acme", seller=seller, erp=_Book(), now=NOW, memory=None, cursor=T1.isoformat())  # type: ignore[arg-type]
    ctx.open_subjects = frozenset({"o-1"})
    o = aspect.observe(ctx)
    assert [(x.id, x.status) for x in o.orders] == [("o-1", "CANCELLED")]
    (action,) = aspect.plan(aspect.diff(o), lambda d: "seller", o)
    assert json.loads(action.value or "")["status"] == "CANCELLED"


def test_latest_per_order_keeps_the_later_read_of_one_update_time() -> None:
    first, second = SellerOrder("o-1", "AWAITING_SHIPMENT", T2), SellerOrder("o-1", "PARTIALLY_SHIPPING", T2)
    assert latest_per_order([first, second]) == {"o-1": second}
    assert latest_per_order([second, first]) == {"o-1": first}
    newer = SellerOrder("o-1", "IN_TRANSIT", NOW)
    assert latest_per_order([newer, first]) == {"o-1": newer}  # a later update time wins, whenever read


def test_not_found_again_names_at_most_ten() -> None:
    found = [SellerOrder("o-00", "CANCELLED", T2)]
    assert not_found_again(frozenset({"o-00"}), found) == []
    (note,) = not_found_again(frozenset(f"o-{i:02d}" for i in range(13)), found)
    assert note.startswith("orders of open drifts not found by id in Seller Center: o-01, o-02,")
    assert "o-10 and 2 more; their drifts stay open" in note


def test_a_read_by_id_seller_center_refuses_is_a_note_naming_the_refused_orders() -> None:
    """Get Order Detail answers 21008111 for an order not this seller's (a shop re-pointed to
    another account): a NotFoundError stopping every run of the shop would be worse. Each id is
    then asked alone; one refused alone cannot be read, so its drift stays open, named in a note."""

    class Refusing(_SellerById):
        def read_orders_by_id(self, order_ids) -> Records[SellerOrder]:
            raise NotFoundError("the order or package does not belong to this seller")

    seller = Refusing(SellerOrder("o-1", "CANCELLED", T2))
    ctx = ObserveContext(
        shop="acme", seller=seller, erp=_Book(), now=NOW, memory=None, open_subjects=frozenset({"o-x"})
    )  # type: ignore[arg-type]
    o = OrderStatusAspect().observe(ctx)
    assert o.scope == {"o-1"} and o.open_drifts_reread
    assert o.notes == [
        "orders of open drifts refused by Seller Center as not this seller's: o-x; "
        "their drifts stay open, as they cannot be read"
    ]
