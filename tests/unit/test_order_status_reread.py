"""A correction the read after the writes did not read again is not verified.

The re-read can leave an order out without failing: Seller Center refuses its list read as
unauthorised (``observe`` notes it and reads nothing), or answers the order as a malformed record.
Such a write is neither verified nor failed: its drift stays open, the report says so, and a
seller that cannot read orders by id keeps the cursor before the order, so the next run reads it
again. The host (``Syncer``) with the real store and the in-memory connectors of
``order_status_fakes``; plus the pure fold (``verify``)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from order_status_fakes import T0, Book, Orders, OrdersById, by_id_syncer, order_status, syncer

from erpsync.core.aspects.verify import Reread, verify
from erpsync.core.errors import AuthError, ConnectorError, RecordError
from erpsync.core.models import Action, ActionResult, AspectReport, Drift, Records, Severity
from erpsync.core.orders import SellerOrder
from erpsync.core.store import DriftChanges
from erpsync.render import report_json, summary
from erpsync.render_html import report_page

REFUSED = "re-reading after the writes: order statuses not mirrored: Seller Center refused to list orders ("


def _second_read(monkeypatch, answer) -> None:
    """Seller Center lists the orders once; the re-read's list read gets ``answer()`` (raised or
    returned)."""
    real, calls = Orders.read_orders, {"n": 0}

    def second(self, **kw):
        calls["n"] += 1
        return answer() if calls["n"] > 1 else real(self, **kw)

    monkeypatch.setattr(Orders, "read_orders", second)


def _raise(error: Exception):
    def answer():
        raise error

    return answer


def _reread_refused(monkeypatch) -> None:
    """The re-read's list read is refused as unauthorised."""
    _second_read(monkeypatch, _raise(AuthError("access token revoked", connector="orders-seller")))


def _reread_malformed(monkeypatch) -> None:
    """The re-read answers o-1 as a malformed record."""
    error = RecordError("bad update_time", record="order 'o-1'", record_id="o-1")
    _second_read(monkeypatch, lambda: Records((), (error,)))


def _reread_failed(monkeypatch) -> None:
    """The re-read fails (a 503 after retries): no re-read is made at all."""
    _second_read(monkeypatch, _raise(ConnectorError("503 Service Unavailable", connector="orders-seller")))


def _not_verified(report: AspectReport) -> None:
    """The write reads as made, not as verified: the drift shows the ERP as read before it."""
    assert [(r.status, r.detail) for r in report.actions] == [
        ("applied", "written, not verified: the read after the writes did not read it again")
    ]
    assert any(n.startswith("1 correction(s) written but not verified") and "(o-1)" in n for n in report.notes)
    assert [(d.subject, d.erp_value) for d in report.drifts] == [("o-1", None)]
    assert report.resolved == []


@pytest.mark.parametrize("reread", [_reread_refused, _reread_malformed])
def test_a_write_the_reread_left_out_keeps_the_cursor_of_a_seller_without_by_id_reads(
    tmp_path, monkeypatch, reread
) -> None:
    """A cancellation written into an ERP that does not keep it: had the cursor moved past o-1,
    nothing would read it again and the cancellation would be lost."""
    sync, clock = syncer(tmp_path)
    Orders.orders = (SellerOrder("o-1", "CANCELLED", T0 - timedelta(minutes=30)),)
    Book.keeps = False  # the write does not stick, and the re-read does not see it
    reread(monkeypatch)
    report = order_status(sync)
    _not_verified(report)
    assert sync.store.cursors.get("s", "order_status") is None
    assert sync.store.drifts.open_subjects("s", "order_status") == frozenset({"o-1"})
    assert report.notes[-1] == (
        "read position not moved: the corrections written were not all read again after the writes (see "
        "the note naming them), and a record whose correction did not hold is read again only while the "
        "read position stays before it; the next run reads again as a first run does (no position kept yet)"
    )
    monkeypatch.undo()
    Book.keeps = True
    clock.now = T0 + timedelta(hours=1)
    report = order_status(sync)  # the list read reaches o-1 again
    assert [r.status for r in report.actions] == ["applied"] and Book.held["o-1"].status == "CANCELLED"
    assert sync.store.drifts.open_subjects("s", "order_status") == frozenset()
    assert sync.store.cursors.get("s", "order_status") == clock.now.isoformat()


@pytest.mark.parametrize(("reread", "exit_code"), [(_reread_refused, 2), (_reread_malformed, 1), (_reread_failed, 2)])
def test_a_write_not_verified_is_still_open_in_the_summary_the_exit_code_and_the_reports(
    tmp_path, monkeypatch, reread, exit_code
) -> None:
    """Its drift stays open in the store, so the run says so as for a drift not fixed (exit 2,
    not in sync; 1 when the re-read answered the order malformed, an error of the run), and the
    table calls the write written, not fixed; the write still counts as made."""
    sync, _ = syncer(tmp_path)
    Orders.orders = (SellerOrder("o-1", "CANCELLED", T0 - timedelta(minutes=30)),)
    Book.keeps = False
    reread(monkeypatch)
    run = sync.run(apply=True)
    (result,) = next(a for a in run.shops[0].aspects if a.aspect == "order_status").actions
    assert result.status == "applied"  # the write was made, and counts as one
    assert sync.store.drifts.open_subjects("s", "order_status") == frozenset({"o-1"})
    assert [d.subject for d in run.outstanding] == ["o-1"]
    assert "1 drift(s) found on 1 shop(s); 0 fixed, 1 still open." in summary(run)
    assert run.exit_code == exit_code, run.errors
    document = report_json(run)
    (drift,) = [d for a in document["shops"][0]["aspects"] for d in a["drifts"]]
    assert document["in_sync"] is False and drift["action"]["unverified"] is True
    (row,) = report_page(run).sections[0].rows
    assert row.cells[-1] == "written to ERP, not verified" and result.unverified
    assert report_page(run, "zh").sections[0].rows[0].cells[-1] == "ERP 已写入，未经验证"


def test_the_notes_of_a_refused_reread_reach_the_report(tmp_path, monkeypatch) -> None:
    sync, _ = syncer(tmp_path)
    Orders.orders = (SellerOrder("o-1", "CANCELLED", T0 - timedelta(minutes=30)),)
    _reread_refused(monkeypatch)
    report = order_status(sync)
    assert any(n.startswith(REFUSED) and "access token revoked" in n for n in report.notes), report.notes


def test_the_record_error_that_left_an_order_out_of_the_reread_reaches_the_report(tmp_path, monkeypatch) -> None:
    sync, _ = syncer(tmp_path)
    Orders.orders = (SellerOrder("o-1", "CANCELLED", T0 - timedelta(minutes=30)),)
    _reread_malformed(monkeypatch)
    run = sync.run(apply=True)
    assert run.errors == ["s/order_status: re-reading after the writes: order 'o-1': bad update_time"]
    assert run.exit_code == 1


def test_a_record_error_the_first_read_reported_is_not_repeated_by_the_reread() -> None:
    """Neither the same error again nor another about the same record (a re-read may word it anew:
    a binding written between the reads), while one about a record the first read had no error for
    is reported, once; an error naming no record counts as reported only by the same text."""
    report = AspectReport("order_status", record_errors=["orders: order 'o-1': bad", "orders: unreadable"])
    errors = [
        ("orders: order 'o-1'", "orders: order 'o-1': bad"),
        ("orders: order 'o-1'", "orders: order 'o-1': bad in another way"),
        ("orders: order 'o-2'", "orders: order 'o-2': bad"),
        ("orders: order 'o-2'", "orders: order 'o-2': bad"),
        ("", "orders: unreadable"),
        ("", "orders: unreadable again"),
    ]
    verify(report, Reread([], DriftChanges(), record_errors=errors))
    assert report.record_errors == [
        "orders: order 'o-1': bad",
        "orders: unreadable",
        "re-reading after the writes: orders: order 'o-2': bad",
        "re-reading after the writes: orders: unreadable again",
    ]


def test_a_write_the_reread_left_out_is_not_verified_for_a_by_id_reader(tmp_path, monkeypatch) -> None:
    """Its cursor moves, as every open drift's order is read by id the next run, but the report
    does not call the write verified, and its drift stays open for that read."""
    sync, clock = by_id_syncer(tmp_path, policy="seller")
    Orders.orders = (SellerOrder("o-1", "CANCELLED", T0 - timedelta(minutes=30)),)
    Book.keeps = False
    _reread_refused(monkeypatch)
    report = order_status(sync)
    _not_verified(report)
    assert sync.store.cursors.get("s", "order_status") == T0.isoformat()
    assert sync.store.drifts.open_subjects("s", "order_status") == frozenset({"o-1"})
    monkeypatch.undo()
    Book.keeps = True
    clock.now = T0 + timedelta(hours=1)
    report = order_status(sync)
    assert OrdersById.asked[-1] == ["o-1"] and Book.held["o-1"].status == "CANCELLED"
    assert sync.store.drifts.open_subjects("s", "order_status") == frozenset()


def _drift(subject: str, kind: str = "status_not_mirrored") -> Drift:
    return Drift("s", "order_status", kind, subject, "status", "CANCELLED", None, Severity.INFO, subject)


def _applied(drift: Drift) -> ActionResult:
    action = Action(
        "s", "order_status", "set_order_status", "erp", drift.subject, "status", "CANCELLED", "", (drift.fingerprint,)
    )
    return ActionResult(action, "applied")


def test_verify_calls_a_write_verified_only_when_the_reread_read_its_record() -> None:
    read, left_out = _drift("o-1"), _drift("o-2")
    report = AspectReport("order_status", drifts=[read, left_out])
    report.actions = [_applied(read), _applied(left_out)]
    changes = DriftChanges()
    reread = Reread([], changes, scope={"o-1"}, notes=["why"])
    assert verify(report, reread) is False
    assert [r.detail is None for r in report.actions] == [True, False]
    assert [d.erp_value for d in report.drifts] == ["CANCELLED", None]
    assert "re-reading after the writes: why" in report.notes
    assert any("did not read their record again (o-2)" in n for n in report.notes), report.notes
    everything = AspectReport("order_status", drifts=[left_out], actions=[_applied(left_out)])
    assert verify(everything, Reread([], changes)) is True  # scope None: everything was read
    assert verify(AspectReport("order_status", actions=[_applied(read)]), None) is False


def test_the_notes_of_the_first_read_are_redacted_as_the_rereads_are(tmp_path, monkeypatch) -> None:
    """A note made from a refusal's text can carry whatever the system echoed back, a configured
    secret included: the report, its alerts and its logs never show one."""
    secret = "tok-9f8e7d6c5b4a39281706"
    sync, _ = syncer(tmp_path)
    sync.settings = dataclasses.replace(sync.settings, secrets=(secret,))
    Orders.orders = (SellerOrder("o-1", "CANCELLED", T0 - timedelta(minutes=30)),)
    monkeypatch.setattr(Orders, "read_orders", lambda self, **kw: _raise(AuthError(f"token {secret} revoked"))())
    report = order_status(sync)
    assert any("Seller Center refused to list orders" in n for n in report.notes), report.notes
    assert not [n for n in report.notes if secret in n], report.notes
