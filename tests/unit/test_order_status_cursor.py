"""When the order_status cursor may move: once every order read is in the ERP as read, or is an
open drift whose order the next run reads again by id.

The host (``Syncer``) with the real store and plugin manager and the in-memory seller and ERP
book of ``order_status_fakes``; plus the pure rules (``every_drift_corrected``, ``cursor_may_move``)."""

from __future__ import annotations

from datetime import timedelta

from order_status_fakes import (
    T0,
    Book,
    Clock,
    Orders,
    OrdersById,
    Plugin,
    by_id_syncer,
    order_status,
    syncer,
)

from erpsync.core.aspects.order_reads import OrderCursor, cursor_text, next_position, parse_cursor
from erpsync.core.aspects.order_status import read_halving
from erpsync.core.aspects.verify import cursor_may_move, every_drift_corrected
from erpsync.core.errors import NotFoundError, RecordError, TemporaryError
from erpsync.core.models import Action, ActionResult, AspectReport, Drift, Records, Severity
from erpsync.core.orders import ErpOrderStatus, SellerOrder
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sync import Syncer


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


def _reread_fails(monkeypatch) -> None:
    """The ERP answers the probe and the read of a run, then fails the re-read after the writes."""
    reads = {"n": 0}
    real = Book.order_statuses

    def flaky(self, ids):
        reads["n"] += 1
        if reads["n"] > 2:
            raise TemporaryError("ERP down", connector="order-book", operation="read order statuses")
        return real(self, ids)

    monkeypatch.setattr(Book, "order_statuses", flaky)


def test_a_write_the_reread_could_not_verify_keeps_the_cursor(tmp_path, monkeypatch) -> None:
    """A seller that cannot read orders by id: the write read "applied" with no re-read to confirm
    it, and the cursor moved past the order; had the write not held, its drift stayed open and
    nothing read the order again until it changed."""
    sync, clock = syncer(tmp_path)
    Orders.orders = (SellerOrder("o-1", "CANCELLED", T0 - timedelta(minutes=30)),)
    Book.keeps = False  # the write does not stick, and no re-read sees it
    _reread_fails(monkeypatch)
    report = order_status(sync)
    assert [r.status for r in report.actions] == ["applied"]
    assert any(n.startswith("could not re-read to verify the corrections") for n in report.notes)
    assert sync.store.cursors.get("s", "order_status") is None
    assert report.notes[-1] == (
        "read position not moved: the corrections written could not be re-read to verify them, and a "
        "record whose correction did not hold is read again only while the read position stays before "
        "it; the next run reads again as a first run does (no position kept yet)"
    )
    monkeypatch.undo()
    Book.keeps = True
    clock.now = T0 + timedelta(hours=1)
    aspect = order_status(sync)  # o-1 is read again, written, and its drift resolves
    assert [r.status for r in aspect.actions] == ["applied"] and Book.held["o-1"].status == "CANCELLED"
    assert sync.store.drifts.open_subjects("s", "order_status") == frozenset()
    assert sync.store.cursors.get("s", "order_status") == clock.now.isoformat()


def test_a_write_the_reread_could_not_verify_does_not_hold_the_cursor_of_a_by_id_reader(tmp_path, monkeypatch) -> None:
    """Its drift stays open (nothing resolves without the re-read), so the next run reads the order by id."""
    sync, clock = by_id_syncer(tmp_path, policy="seller")
    Orders.orders = (SellerOrder("o-1", "CANCELLED", T0 - timedelta(minutes=30)),)
    _reread_fails(monkeypatch)
    order_status(sync)
    assert sync.store.cursors.get("s", "order_status") == T0.isoformat()
    monkeypatch.undo()
    clock.now = T0 + timedelta(hours=1)
    aspect = order_status(sync)
    assert OrdersById.asked[-1] == ["o-1"] and aspect.resolved and aspect.actions == []
    assert sync.store.drifts.open_subjects("s", "order_status") == frozenset()


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
    unseen = _result(a, "applied")
    unseen.unverified = True  # written, but not read again: its drift stays open
    assert not every_drift_corrected(AspectReport("order_status", drifts=[a], actions=[unseen]))


def test_a_drift_left_open_by_policy_no_longer_holds_the_cursor_when_its_order_is_read_by_id(tmp_path) -> None:
    """The cursor stayed where it was while any drift was open, so each run read further back,
    without bound. Now the open drift's order is read by id each run and the cursor moves."""
    sync, clock = by_id_syncer(tmp_path, policy="report")
    Orders.orders = (SellerOrder("o-1", "CANCELLED", T0 - timedelta(minutes=5)),)
    sync.run(apply=True)
    assert sync.store.cursors.get("s", "order_status") == T0.isoformat()
    assert OrdersById.asked == []  # nothing was open yet
    for day in (1, 2, 3):  # the window stays the time since the last run; o-1 is read by id
        clock.now = T0 + timedelta(days=day)
        aspect = order_status(sync)
        assert Orders.reads[-1] == T0 + timedelta(days=day - 1, minutes=-10) and aspect.notes == []
        assert OrdersById.asked[-1] == ["o-1"] and not aspect.resolved
        assert sync.store.cursors.get("s", "order_status") == clock.now.isoformat()
    # a change made while the drift is open is not lost: o-2 by the window, o-1's own by id
    Orders.orders = (
        SellerOrder("o-1", "DELIVERED", T0 + timedelta(days=3, hours=1)),
        SellerOrder("o-2", "CANCELLED", T0 + timedelta(days=3, hours=2)),
    )
    clock.now = T0 + timedelta(days=4)
    order_status(sync)
    open_now = {d.subject: d.seller_value for d in sync.store.drifts.list_open("s", aspect="order_status")}
    assert open_now == {"o-1": "DELIVERED", "o-2": "CANCELLED"}
    # the ERP is put right by hand long after o-1's last change: read by id, its drift resolves
    Book.held["o-1"] = ErpOrderStatus("o-1", "DELIVERED", T0 + timedelta(days=3, hours=1))
    clock.now = T0 + timedelta(days=9)
    aspect = order_status(sync)
    assert OrdersById.asked[-1] == ["o-1", "o-2"] and aspect.notes == []
    assert [d.subject for d in sync.store.drifts.list_open("s", aspect="order_status")] == ["o-2"]


def test_a_write_that_keeps_failing_no_longer_holds_the_cursor_when_its_order_is_read_by_id(tmp_path) -> None:
    """A failed write leaves its drift open in the store, so the next run reads its order by id
    and writes it again, however far the cursor moved."""
    sync, clock = by_id_syncer(tmp_path, policy="seller")
    Orders.orders = (SellerOrder("o-1", "CANCELLED", T0 - timedelta(minutes=5)),)
    Book.keeps = False
    assert [r.status for r in order_status(sync).actions] == ["failed"]
    assert sync.store.cursors.get("s", "order_status") == T0.isoformat()
    clock.now = T0 + timedelta(days=2)
    assert [r.status for r in order_status(sync).actions] == ["failed"]
    assert Orders.reads[-1] == T0 - timedelta(minutes=10)  # not back to where o-1 was first read
    Book.keeps = True
    clock.now = T0 + timedelta(days=4)
    aspect = order_status(sync)
    assert [r.status for r in aspect.actions] == ["applied"] and OrdersById.asked[-1] == ["o-1"]
    assert Book.held["o-1"].status == "CANCELLED" and sync.store.drifts.list_open("s") == []


def test_a_record_error_still_holds_the_cursor_with_the_read_by_id(tmp_path, monkeypatch) -> None:
    """An error that does not name its order by ``record_id`` (a plugin's seller, say, whose text
    names it for people only) may be about any order: only a read from the old position reaches it."""
    sync, clock = by_id_syncer(tmp_path, policy="report")
    Orders.orders = (SellerOrder("o-1", "CANCELLED", T0 - timedelta(minutes=5)),)
    sync.run(apply=True)
    bad = RecordError("order o-9: update_time is not a Unix time", source="test")
    monkeypatch.setattr(OrdersById, "read_orders_by_id", lambda self, ids: Records((), (bad,)))
    clock.now = T0 + timedelta(days=1)
    order_status(sync)
    assert sync.store.cursors.get("s", "order_status") == T0.isoformat()


def test_an_order_refused_as_another_sellers_leaves_the_other_open_drifts_read_by_id(tmp_path, monkeypatch) -> None:
    """Get Order Detail refuses a whole call naming one order not this seller's (21008111). The
    list is then halved until the refused id stands alone: the refused order's drift stays open
    with a note, and the others are read as usual, so one fixed by hand resolves while the cursor
    moves on."""
    sync, clock = by_id_syncer(tmp_path, policy="report")
    Orders.orders = (SellerOrder("o-1", "CANCELLED", T0 - timedelta(minutes=5)),)
    sync.run(apply=True)
    Orders.orders = (*Orders.orders, SellerOrder("x-9", "CANCELLED", T0 + timedelta(hours=1)))
    clock.now = T0 + timedelta(days=1)
    order_status(sync)

    def refuse(self, ids):
        OrdersById.asked.append(list(ids))
        if "x-9" in ids:
            raise NotFoundError("21008111: the order or package does not belong to this seller")
        return Records(tuple(o for o in Orders.orders if o.id in ids))

    monkeypatch.setattr(OrdersById, "read_orders_by_id", refuse)
    Book.held["o-1"] = ErpOrderStatus("o-1", "CANCELLED", T0 - timedelta(minutes=5))  # fixed by hand
    OrdersById.asked = []
    clock.now = T0 + timedelta(days=2)
    aspect = order_status(sync)
    assert OrdersById.asked == [["o-1", "x-9"], ["o-1"], ["x-9"]]  # halved only after the refusal
    assert sync.store.cursors.get("s", "order_status") == clock.now.isoformat()
    assert [d.subject for d in sync.store.drifts.list_open("s", aspect="order_status")] == ["x-9"]
    assert aspect.notes == [
        "orders of open drifts refused by Seller Center as not this seller's: x-9; "
        "their drifts stay open, as they cannot be read"
    ]


def test_a_refused_read_by_id_is_halved_until_the_refused_ids_stand_alone() -> None:
    """Not one call per open drift: a few more calls per refused order."""
    asked: list[list[str]] = []

    class Seller:
        def read_orders_by_id(self, ids: list[str]) -> Records[SellerOrder]:
            asked.append(list(ids))
            if "g" in ids:
                raise NotFoundError("21008111: the order or package does not belong to this seller")
            return Records(tuple(SellerOrder(i, "CANCELLED", T0) for i in ids))

    refused: list[str] = []
    found = read_halving(Seller(), list("abcdefgh"), refused)  # type: ignore[arg-type]
    assert refused == ["g"] and [o.id for o in found.items] == list("abcdefh")
    assert asked == [list("abcdefgh"), list("abcd"), list("efgh"), list("ef"), list("gh"), ["g"], ["h"]]


def test_cursor_may_move() -> None:
    a = _drift("o-1")
    left_open = AspectReport("order_status", drifts=[a])
    failed = AspectReport("order_status", drifts=[a], actions=[_result(a, "failed")])
    applied = AspectReport("order_status", drifts=[a], actions=[_result(a, "applied")])
    assert not cursor_may_move(left_open, open_drifts_reread=False, verified=True)
    assert not cursor_may_move(failed, open_drifts_reread=False, verified=True)
    assert cursor_may_move(left_open, open_drifts_reread=True, verified=True)
    assert cursor_may_move(failed, open_drifts_reread=True, verified=True)
    assert cursor_may_move(AspectReport("order_status"), open_drifts_reread=False, verified=True)
    assert cursor_may_move(applied, open_drifts_reread=False, verified=True)
    # written, but the re-read after the writes could not be made: only a by-id read reaches it again
    assert not cursor_may_move(applied, open_drifts_reread=False, verified=False)
    assert cursor_may_move(applied, open_drifts_reread=True, verified=False)


def files_syncer(tmp_path, rows: str) -> tuple[Syncer, Clock]:
    """A Syncer of one shop "s" running order_status: a seller reading by id, the files ERP with
    ``rows`` in its orders file."""
    Orders.orders, Orders.reads, OrdersById.asked = (), [], []
    (tmp_path / "erp").mkdir()
    (tmp_path / "erp" / "warehouses.csv").write_text("id\nE1\n", encoding="utf-8")
    (tmp_path / "erp" / "orders.csv").write_text("order_id,status,updated_at\n" + rows, encoding="utf-8")
    (tmp_path / "erpsync.toml").write_text(
        '[[shops]]\nname = "s"\naspects = ["order_status"]\n[shops.seller]\ntype = "orders-by-id-seller"\n'
        '[shops.erp]\ntype = "files"\npath = "erp"\norders = "orders.csv"\n',
        encoding="utf-8",
    )
    pm = get_plugin_manager(entrypoints=False, extra=[Plugin()])
    registry = build_registry(pm)
    clock = Clock()
    return Syncer(load_settings(tmp_path / "erpsync.toml", registry), pm=pm, registry=registry, clock=clock), clock


#: a row an operator typed by hand, without a UTC offset, for an order erpsync never asks about
UNRELATED_BAD_ROW = "o-old,DELIVERED,2025-01-05 10:00\n"


def test_a_bad_erp_row_of_another_order_does_not_hold_the_cursor(tmp_path) -> None:
    """Its error held the cursor on every run: none was ever stored, and each run read a first
    run's lookback_days again, silently."""
    sync, clock = files_syncer(tmp_path, UNRELATED_BAD_ROW)
    for day in range(3):
        clock.now = T0 + timedelta(days=day)
        Orders.orders = (*Orders.orders, SellerOrder(f"o-{day}", "AWAITING_SHIPMENT", clock.now - timedelta(hours=1)))
        report = order_status(sync)
        assert [r.status for r in report.actions] == ["applied"] and report.record_errors == []
        assert sync.store.cursors.get("s", "order_status") == clock.now.isoformat()
    assert Orders.reads[-1] == T0 + timedelta(days=1, minutes=-10)  # from the last run, not a lookback back


def test_a_cancellation_made_during_an_outage_is_recorded_whatever_other_orders_rows_hold(tmp_path) -> None:
    """With the cursor never stored, a run after an outage longer than lookback_days read from a
    week back only, and a cancellation made on the outage's first day was never recorded."""
    sync, clock = files_syncer(tmp_path, UNRELATED_BAD_ROW)
    Orders.orders = (SellerOrder("o-1", "AWAITING_SHIPMENT", T0 - timedelta(hours=1)),)
    order_status(sync)
    Orders.orders = (SellerOrder("o-1", "CANCELLED", T0 + timedelta(days=1)),)
    clock.now = T0 + timedelta(days=9)
    order_status(sync)
    assert f"o-1,CANCELLED,{(T0 + timedelta(days=1)).isoformat()}" in (tmp_path / "erp" / "orders.csv").read_text()


def test_a_seller_center_order_that_stays_malformed_is_read_by_id_and_no_longer_holds_the_cursor(
    tmp_path, monkeypatch
) -> None:
    """Any record error held the cursor: one order whose update_time Seller Center gave in
    milliseconds, for as long as it did, kept every run reading further back, and a cancellation
    of another order made longer ago than lookback_days before the first run that kept a cursor
    was never recorded. Now the order is read again by id each run, and the cursor moves."""
    sync, clock = by_id_syncer(tmp_path, policy="seller")
    broken = {"o-bad"}

    def bad(order_id: str) -> RecordError:
        return RecordError("1772352000000 is out of range", record=f"order {order_id}", record_id=order_id)

    def listed(self, *, statuses=(), updated_since=None, updated_before=None):
        Orders.reads.append(updated_since)
        good = tuple(o for o in Orders.orders if updated_since <= o.update_time < updated_before)
        return Records(good, tuple(bad(i) for i in sorted(broken) if clock.now == T0))

    def by_id(self, ids):
        OrdersById.asked.append(list(ids))
        return Records(
            tuple(o for o in Orders.orders if o.id in ids and o.id not in broken),
            tuple(bad(i) for i in sorted(broken) if i in ids),
        )

    monkeypatch.setattr(OrdersById, "read_orders", listed)
    monkeypatch.setattr(OrdersById, "read_orders_by_id", by_id)
    Orders.orders = (SellerOrder("o-1", "AWAITING_SHIPMENT", T0 - timedelta(hours=1)),)
    first = order_status(sync)
    assert first.record_errors == ["order o-bad: 1772352000000 is out of range"] and first.notes == []
    assert sync.store.cursors.get("s", "order_status") == f'{{"position": "{T0.isoformat()}", "unread": ["o-bad"]}}'
    for day in (1, 2):  # still malformed: read by id, named again, and the cursor moves all the same
        clock.now = T0 + timedelta(days=day)
        assert order_status(sync).record_errors == ["order o-bad: 1772352000000 is out of range"]
        assert OrdersById.asked[-1] == ["o-bad"] and Orders.reads[-1] == clock.now - timedelta(days=1, minutes=10)
    Orders.orders = (
        SellerOrder("o-1", "CANCELLED", T0 + timedelta(days=2, hours=1)),
        SellerOrder("o-bad", "CANCELLED", T0 - timedelta(hours=2)),
    )
    broken.clear()  # Seller Center fixed it; meanwhile erpsync was down for longer than lookback_days
    clock.now = T0 + timedelta(days=12)
    report = order_status(sync)
    assert report.record_errors == [] and Orders.reads[-1] == T0 + timedelta(days=2, minutes=-10)
    assert {i: s.status for i, s in Book.held.items()} == {"o-1": "CANCELLED", "o-bad": "CANCELLED"}
    assert sync.store.cursors.get("s", "order_status") == clock.now.isoformat()


def test_an_order_seller_center_gives_without_a_readable_id_holds_the_cursor_and_says_so(tmp_path, monkeypatch) -> None:
    """Nothing but a read from the old position reaches it again; that cursor stayed put silently."""
    sync, _clock = by_id_syncer(tmp_path, policy="seller")
    nameless = RecordError("missing", record="order #3", field="id")
    monkeypatch.setattr(OrdersById, "read_orders", lambda self, **_: Records((), (nameless,)))
    report = order_status(sync)
    assert sync.store.cursors.get("s", "order_status") is None
    assert report.notes == [
        "read position not moved: Seller Center returned 1 order(s) whose id could not be read (record errors), "
        "so only a read from the old position reaches them again; the next run reads again as a first run does "
        "(no position kept yet)"
    ]


def test_an_erp_row_without_an_order_id_does_not_hold_the_cursor(tmp_path) -> None:
    """Whichever order it is about is compared as having nothing recorded (written, or left an
    open drift read by id), so nothing needs the old position: the row is reported, no more."""
    sync, _clock = files_syncer(tmp_path, ",DELIVERED,2025-01-05T10:00:00+08:00\n")
    Orders.orders = (SellerOrder("o-1", "CANCELLED", T0 - timedelta(hours=1)),)
    report = order_status(sync)
    assert [r.status for r in report.actions] == ["applied"] and len(report.record_errors) == 1
    assert sync.store.cursors.get("s", "order_status") == T0.isoformat() and report.notes == []


def test_the_erps_bad_row_of_an_order_read_has_the_order_read_again_by_id(tmp_path) -> None:
    sync, clock = files_syncer(tmp_path, "o-1,AWAITING_SHIPMENT,yesterday\n")
    Orders.orders = (SellerOrder("o-1", "CANCELLED", T0 - timedelta(hours=1)),)
    report = order_status(sync)
    assert [r.status for r in report.actions] == ["applied"]  # the row written over with the status read
    assert sync.store.cursors.get("s", "order_status") == f'{{"position": "{T0.isoformat()}", "unread": ["o-1"]}}'
    clock.now = T0 + timedelta(days=1)
    report = order_status(sync)
    assert OrdersById.asked[-1] == ["o-1"] and report.record_errors == [] and report.actions == []
    assert sync.store.cursors.get("s", "order_status") == clock.now.isoformat()


def test_a_run_whose_open_drifts_hold_the_cursor_says_so(tmp_path) -> None:
    """A seller that cannot read orders by id: the read reaches back to the drift left open, and
    each run says the position did not move, so a read that reaches further back is no surprise."""
    sync, clock = syncer(tmp_path, policy="report")
    Orders.orders = (SellerOrder("o-1", "CANCELLED", T0 - timedelta(minutes=5)),)
    kept = (
        "read position not moved: a drift was left open or a correction not made, and its record is read again "
        "only while the read position stays before it; the next run reads again "
    )
    assert order_status(sync).notes == [kept + "as a first run does (no position kept yet)"]
    Book.held["o-1"] = ErpOrderStatus("o-1", "CANCELLED", T0 - timedelta(minutes=5))
    order_status(sync)
    Orders.orders = (SellerOrder("o-2", "CANCELLED", T0 + timedelta(minutes=5)),)
    clock.now = T0 + timedelta(hours=1)
    assert order_status(sync).notes == [kept + "from the position kept before"]
    dry = next(a for a in sync.run(apply=False).shops[0].aspects if a.aspect == "order_status")
    assert dry.notes == []  # a dry run never moves it: nothing to say


def test_next_position() -> None:
    """Which record errors hold the read position: only those of orders no by-id read can reach."""
    named = RecordError("out of range", record="order o-2", record_id="o-2")
    nameless = RecordError("missing", record="order #3", field="id")
    erp_row = RecordError("not a time", record="order 'o-1'", record_id="o-1")
    was = OrderCursor(T0, {}, frozenset({"o-9"}))
    now = T0 + timedelta(hours=1)

    def position(seller=(), erp=(), *, by_id_reader=True, by_id=True, cursor=was):
        text, held = next_position(cursor, now, {}, (list(seller), list(erp)), by_id_reader=by_id_reader, by_id=by_id)
        return (parse_cursor(text).unread, None) if text else (None, held.split(" (")[0].split(",")[0])

    assert position() == (frozenset(), None)  # o-9 was read by id this run and named by no error: done
    assert position([named], [erp_row]) == (frozenset({"o-1", "o-2"}), None)
    assert position([nameless]) == (None, "Seller Center returned 1 order(s) whose id could not be read")
    assert position(by_id=False) == (None, "1 order(s) named by record errors could not be read again by id this run")
    assert position(by_id=False, cursor=OrderCursor(T0)) == (frozenset(), None)
    assert position([named], by_id_reader=False) == (None, "1 order(s) Seller Center returned could not be read")
    assert position(erp=[erp_row], by_id_reader=False, cursor=OrderCursor(T0)) == (frozenset(), None)


def test_the_cursor_keeps_the_unread_orders_beside_the_awaited_ones() -> None:
    text = cursor_text(T0, {"o-1": T0}, {"o-3", "o-2"})
    assert parse_cursor(text) == OrderCursor(T0, {"o-1": T0}, frozenset({"o-2", "o-3"}))
    assert cursor_text(T0, {}, ()) == T0.isoformat()  # as earlier versions wrote it
    assert parse_cursor(cursor_text(T0, {"o-1": T0})) == OrderCursor(T0, {"o-1": T0})
