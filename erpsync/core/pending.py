"""Settling the ledger rows a crashed run left ``pending``: each is resolved by the next apply run.

A ``pending`` row is a write that may or may not have happened: its process died between
``ledger.begin`` and ``ledger.finish``. A correction that sets values keys its row on the run
(see ``Syncer._ledger_key``), so the next run's own row for the same correction has another key
and nothing would ever look at the old one again. Instead, after the next apply run of the same
shop and aspect has re-observed both sides and made its own writes, each older pending row is
settled against what that run found:

- the same write was planned again (still needed) and made: ``done``, "retried by run R";
  made and failed: ``failed`` with that error; the target cannot make it: ``failed``;
- the same write was not planned: the re-observation found nothing left to write there (it was
  already true, or the values changed and another write replaced it): ``done``, saying so.

A push that must happen once keys on its drift occurrences, not the run, so its row is found
and retried by ``ledger.begin`` itself whenever a run plans it again. Such a row names those
occurrences (``apply_bulk.claim``), and stays ``pending`` while one of them is open: a run that
did not plan the push may not have seen its subject at all (a record error, a policy that only
reports), and settling the row ``done`` then would make every later run skip the push as made.
Once none is open, the re-observation found the push made or no longer wanted, and the row is
settled like the others.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any

from erpsync.core.models import ActionResult
from erpsync.core.store.ledger import Ledger, Outcome, named_occurrences


def _write_of(kind: str, target: str, subject: str, payload: dict[str, Any]) -> tuple[str, ...]:
    return (kind, target, subject, str(payload.get("field")), str(payload.get("value")))


def settle_pending(
    ledger: Ledger,
    shop: str,
    aspect: str,
    run_id: str,
    results: Sequence[ActionResult],
    now: datetime,
    still_open: Callable[[Collection[int]], set[int]],
    confirm: Callable[[], None] = lambda: None,
) -> list[str]:
    """Settle the older runs' pending rows of ``shop``/``aspect``; one note per row settled.

    Call it once the run holding the shop's lease has made this aspect's writes (``results``),
    never after a stop part-way: a write not yet attempted would look like one not needed.
    ``still_open`` tells which drift occurrences are open (``store.drifts.still_open``);
    ``confirm`` raises if the run no longer holds the shop (its lease, its fencing epoch), and is
    called before any row is settled: a run that lost the shop might settle the rows of the run
    that took it over, writes that run is making.
    """
    made = {
        _write_of(a.kind, a.target, a.subject, {"field": a.field, "value": a.value}): r
        for r in results
        for a in [r.action]
    }
    notes = []
    outcomes: list[Outcome] = []
    entries = [e for e in ledger.list_entries(shop=shop, status="pending") if e.aspect == aspect and e.run_id != run_id]
    if not entries:
        return []
    confirm()
    open_now = still_open({i for e in entries for i in named_occurrences(e.payload)})
    for entry in entries:
        payload = dict(entry.payload or {})
        if open_now.intersection(named_occurrences(payload)):
            continue  # a push that must happen once, its drift still open: the run that plans it retries it
        what = str(payload.get("description") or f"{entry.kind} {entry.subject}")
        result = made.get(_write_of(entry.kind, entry.target, entry.subject, payload))
        earlier = f"left pending by run {entry.run_id}"
        if result is None:
            detail = f"re-observed by run {run_id}: nothing left to write (already true or superseded)"
            outcomes.append(Outcome(entry.key, "done", detail=detail))
            notes.append(f"{what}: {earlier}; {detail}")
        elif result.status in ("applied", "skipped"):
            detail = f"re-observed by run {run_id}: still needed, retried and {result.status}"
            outcomes.append(Outcome(entry.key, "done", detail=detail))
            notes.append(f"{what}: {earlier}; {detail}")
        else:
            error = f"re-observed by run {run_id}: still needed, retried and {result.status}: {result.detail}"
            outcomes.append(Outcome(entry.key, "failed", error=error))
            notes.append(f"{what}: {earlier}; {error}")
    ledger.finish_many(outcomes, now=now)  # one transaction, however many rows were left
    return notes
