"""After ``--apply``: what re-reading the corrected records says about each correction.

A write that returned without error has not yet been seen to stick: an ERP may normalise or
revert a value, and Seller Center may refuse part of an edit silently. So the host observes the
aspect again after its writes (``Syncer._reread``) and this module folds that observation into
the aspect's report:

- a correction whose drifts are gone is verified: its rows show the values after the fix (the
  written value on the corrected side), and the drifts' resolved alerts go out in this run;
- a correction whose drift is still there failed: the row shows the values re-read, and the
  run says so (exit 1) rather than "fixed";
- a correction whose record the re-read did not read again at all (its drift's subject out of
  the re-read's ``Observation.scope``: a read refused, or the record answered malformed) is
  neither: its write stands as applied, but nothing saw it hold, so it is marked ``unverified``:
  its drift stays open, reads as before the write and counts as still open
  (``RunReport.outstanding``: exit 2), a note names it, and the run counts as not verified
  (:func:`cursor_may_move`);
- a drift the write itself opened is added to the report (and alerted like any other).

No re-read at all (a side could not be read again, or the run was stopped first) leaves every
write of the aspect unverified, as one whose record the re-read left out.

The re-read's own notes and record errors (why it read less than asked: an order answered
malformed) join the report's, less those the first read reported already; its record errors
are errors of the run (exit 1), as the first read's are.

Only then can an aspect that reads changes since a cursor move it (:func:`cursor_may_move`).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field, replace

from erpsync.core.models import Action, ActionResult, AspectReport, Drift
from erpsync.core.store import DriftChanges

__all__ = ["Reread", "after_fix", "cursor_kept_note", "cursor_may_move", "every_drift_corrected", "verify"]


@dataclass(frozen=True)
class Reread:
    """The drifts found by observing again after the writes, and what recording them changed."""

    drifts: list[Drift]
    changes: DriftChanges
    #: the subjects the re-read read completely (its ``Observation.scope``; None: all): a drift of
    #: another subject is neither seen again nor gone, as recording it resolves none of them
    scope: Collection[str] | None = None
    #: its ``Observation.notes`` (and why it was not run, if it was not)
    notes: list[str] = field(default_factory=list)
    #: its ``Observation.record_errors``, redacted, each as ``(the record it names, the error)``:
    #: often why a record was not read again. The record is ``"source: record"`` as the error's text
    #: begins with it ("" when it names none), to tell one the first read already reported
    record_errors: list[tuple[str, str]] = field(default_factory=list)

    def read_again(self, drift: Drift) -> bool:
        """Whether this re-read read ``drift``'s record again: its subject is in ``scope``.

        Only the record counts, not the kind: a kind an aspect holds open for a record it read
        (``Observation.kept_open``, as listings does for a product's content while its listing
        holds a SKU the ERP dropped) leaves that drift open in the store, yet its record was read
        and did not show the write undone, so the write counts as made.
        """
        return self.scope is None or drift.subject in self.scope


def after_fix(drift: Drift, action: Action) -> Drift:
    """``drift`` as it reads once ``action`` is made: the written value on the corrected side.

    An action writes either one ``field`` (``value`` is the value) or several fields at once
    (``value`` is a JSON object of field → value); a drift about a field it did not write is
    returned unchanged.
    """
    written: str | None = None
    if action.field is not None:
        written = action.value if drift.field == action.field else None
    elif action.value and drift.field:
        try:
            changes = json.loads(action.value)
        except ValueError:
            changes = None
        if isinstance(changes, dict) and isinstance(changes.get(drift.field), str):
            written = changes[drift.field]
    if written is None:
        return drift
    return replace(drift, erp_value=written) if action.target == "erp" else replace(drift, seller_value=written)


def verify(report: AspectReport, reread: Reread | None) -> bool:
    """Fold the re-read into ``report`` (in place), and say whether every write was read again:
    ``verified`` for :func:`cursor_may_move`. None: no re-read, so no write made was (False if
    one was).

    The alerts the re-read changed (resolved, opened) are not sent from here: recording its
    drifts (``drifts.record``) wrote them to the outbox in the same transaction.
    """
    if reread is None:
        return _none_read_again(report)
    report.opened += [row.fingerprint for row in reread.changes.opened if row.fingerprint not in report.opened]
    report.resolved += [row.fingerprint for row in reread.changes.resolved if row.fingerprint not in report.resolved]
    report.notes += [f"re-reading after the writes: {n}" for n in reread.notes if n not in report.notes]
    report.record_errors += [
        f"re-reading after the writes: {text}"
        for about, text in dict.fromkeys(reread.record_errors)
        if not _reported(about, text, report.record_errors)
    ]
    still = {d.fingerprint: d for d in reread.drifts}
    reported = {d.fingerprint: d for d in report.drifts}
    fixed_by: dict[str, ActionResult] = {}
    unseen: list[ActionResult] = []
    unread_subjects: list[str] = []  # the records named in the note: those the re-read did not read
    for result in report.actions:
        if result.status != "applied":
            continue
        stuck = [still[fp] for fp in result.action.drifts if fp in still]
        if stuck:
            result.status = "failed"
            result.detail = f"written, but re-reading shows it still differs: {stuck[0].message}"
            continue
        unread = [d for fp in result.action.drifts if (d := reported.get(fp)) and not reread.read_again(d)]
        if unread:
            unseen.append(result)
            unread_subjects += [d.subject for d in unread]
            continue
        for fp in result.action.drifts:
            fixed_by[fp] = result
    subjects = list(dict.fromkeys(unread_subjects))
    named = ", ".join(subjects[:10]) + (", ..." if len(subjects) > 10 else "")
    _unverified(
        report,
        unseen,
        "the read after the writes did not read it again",
        f"the read after the writes did not read their record again ({named})",
    )
    shown: list[Drift] = []
    for drift in report.drifts:
        if drift.fingerprint in fixed_by:
            shown.append(after_fix(drift, fixed_by[drift.fingerprint].action))
        else:
            shown.append(still.get(drift.fingerprint, drift))
    known = {d.fingerprint for d in report.drifts}
    shown += [d for d in reread.drifts if d.fingerprint not in known]
    report.drifts = shown
    return not unseen


def _none_read_again(report: AspectReport) -> bool:
    """No read after the writes was made (it failed, or the run was stopped first): every write
    made is unverified, its drift still open, as when the re-read left its record out."""
    unseen = [r for r in report.actions if r.status == "applied"]
    why = "no read after the writes could be made"
    _unverified(report, unseen, why, why)
    return not unseen


def _unverified(report: AspectReport, results: list[ActionResult], why: str, why_all: str) -> None:
    """Mark ``results`` written but not verified, each saying ``why`` no read saw it hold, and
    add one note for them all saying ``why_all``: their drifts stay open (:func:`verify`)."""
    for result in results:
        result.detail = f"written, not verified: {why}"
        result.unverified = True
    if results:
        report.notes.append(
            f"{len(results)} correction(s) written but not verified, as {why_all}: "
            "their drifts stay open until a read sees them hold"
        )


def _reported(about: str, text: str, errors: list[str]) -> bool:
    """Whether the first read reported this error, or one about the same record: the re-read may
    word it anew (a binding written between the two reads), and it is the first read's to say."""
    return text in errors or (bool(about) and any(e.startswith(f"{about}: ") for e in errors))


def every_drift_corrected(report: AspectReport) -> bool:
    """Whether ``report`` (after :func:`verify`) leaves nothing it read undone: every action
    applied, and every drift one of them corrected (a write not verified corrects none).

    An aspect that reads only what changed since its cursor never reads an unchanged record
    again once the cursor is past it. So the cursor may move only when this holds: a write the
    re-read found did not stick, one that failed or was not supported, and a drift left open
    by policy (``report``, or the ERP wins and nothing is written) all keep the record inside
    the next run's read, where its drift can be corrected or resolve once someone fixes it.
    """
    if any(r.status != "applied" for r in report.actions):
        return False
    corrected = {fp for r in report.actions if not r.unverified for fp in r.action.drifts}
    return all(d.fingerprint in corrected for d in report.drifts)


def cursor_may_move(report: AspectReport, *, open_drifts_reread: bool, verified: bool) -> bool:
    """Whether a completed apply run's ``report`` (after :func:`verify`) lets an aspect's cursor move.

    The guarantee kept: a change read but not yet written into the other side is read again by
    the next run, never skipped. Without more, that takes :func:`every_drift_corrected` and
    ``verified``: the record of a drift left open is read again only while the cursor stays
    before it, and a write is known to hold only once re-read. ``verified`` is False when writes
    were made but the re-read after them could not be (:func:`verify` got None): their actions
    still read "applied", yet a write that did not stick would then be past the cursor, its
    drift open with nothing to read its record again.

    With ``open_drifts_reread`` the aspect reads the subject of every open drift by id each run,
    whatever the cursor. Every change this run leaves unwritten is then an open drift in the
    store: left open by policy, or its write failed, was not supported or did not stick (a drift
    is recorded before the writes and resolves only when a read sees the other side agree; when
    the re-read after the writes cannot be made, nothing resolves). So the next run reads it
    again all the same, and neither an open drift nor a failed write holds the cursor: holding it
    would only make the read reach further back each run while the write keeps failing, and would
    read nothing the by-id read misses. What only a read from the old position reaches again
    (a record error the aspect cannot read again by id) still holds it (``Observation.cursor`` None).
    """
    return open_drifts_reread or (verified and every_drift_corrected(report))


def cursor_kept_note(
    cursor: str | None, held: str | None, may_move: bool, *, kept_before: bool, verified: bool, reread: bool = False
) -> str | None:
    """Pure: the note of a completed apply run that does not store its aspect's cursor (None: it
    stores it, or the aspect returned none and said nothing of why: it read nothing). A cursor
    that stays put makes each run read further back (or, with none kept yet, a first run's window
    again): never silently.

    ``cursor`` and ``held``: ``Observation.cursor`` and ``cursor_held``; ``may_move``: what
    :func:`cursor_may_move` said; ``kept_before``: a cursor was stored before this run;
    ``verified``: as for :func:`cursor_may_move`; ``reread``: the read after the writes was made
    (so, not ``verified``, it left a record written out: :func:`verify`'s note names it).
    """
    if cursor is None:
        why = held
    elif not may_move and not verified:
        unread = (
            "the corrections written were not all read again after the writes (see the note naming them)"
            if reread
            else "the corrections written could not be re-read to verify them"
        )
        why = (
            f"{unread}, and a record whose correction did not hold is read again only while the read "
            "position stays before it"
        )
    elif not may_move:
        why = (
            "a drift was left open or a correction not made, and its record is read again only while "
            "the read position stays before it"
        )
    else:
        return None
    if why is None:
        return None
    again = "from the position kept before" if kept_before else "as a first run does (no position kept yet)"
    return f"read position not moved: {why}; the next run reads again {again}"
