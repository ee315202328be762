"""The host's two ways of making many corrections at once, each recorded in the ledger.

``apply_batch``: an aspect's corrections to a target that is a ``BatchWriter`` (the files ERP
rewrites its whole file for any write, so it makes them all as the batch closes, or none).

``apply_in_bulk``: the kinds an aspect makes in bulk (``Aspect.bulk_kinds``), for an API that
takes many writes in one call and answers each one apart: TikTok's Batch Ship Packages ships up
to 50 packages a call and names every package that failed. Made one call per write, a shop's
5,000 tracking numbers cost 5,000 calls at the rate limit; made in bulk, 100. Each write keeps
its own outcome:

- the actions go in calls of at most ``aspect.bulk_size``; before each call the stop signal and
  the shop's time budget are checked (as before each single write) and the lease renewed, so a
  stop leaves the calls not started unmade and unrecorded, exactly as writes after a stop are;
- per call: every row is begun in one transaction (``ledger.begin_many``); a row already
  ``done`` is skipped, never sent again; the rest go in one ``apply_many``; every row is then
  finished in one transaction with its own outcome: ``done``, or ``failed`` with its error;
- a process killed during a call leaves that call's rows ``pending``. A push keyed to happen
  once (``idempotent=False``) keeps its key across runs, so the rerun's ``begin_many`` finds the
  row and sends it again only if the re-observation still plans it; the target answering "already
  made" counts as done (``apply_many``'s contract), so nothing is made twice. Its row also
  names the drift occurrences its key is made of, and stays ``pending`` while one of them is
  open; once none is, ``core/pending.py`` settles it ("nothing left to write").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from erpsync.core.aspects.base import Aspect
from erpsync.core.connector import Connector
from erpsync.core.errors import ErpsyncError, LockedError
from erpsync.core.models import Action, ActionResult
from erpsync.core.ports import BatchWriter
from erpsync.core.store.ledger import Claim, Ledger, Outcome

__all__ = ["BulkRun", "apply_batch", "apply_in_bulk", "claim"]


@dataclass(frozen=True)
class BulkRun:
    """What the host lends one aspect's bulk writes: the ledger, the clock, and its checks.

    ``halted`` says why no further write may start (a stop signal, or the shop's time is up), or
    None; ``renew`` confirms the shop's lease and raises ``LockedError`` if another run took it.
    ``fence`` is (shop, epoch) when a distributed worker runs the shop: the ledger refuses to begin
    rows for a worker whose epoch another has overtaken, in the transaction that begins them.
    """

    run_id: str
    ledger: Ledger
    clock: Callable[[], datetime]
    redact: Callable[[str], str]
    halted: Callable[[], str | None]
    renew: Callable[[], None]
    say: Callable[[str], None] | None = None
    fence: tuple[str, int] | None = None
    #: drift fingerprint → the id of its open occurrence, as the run recorded them
    occurrence: Mapping[str, int] = field(default_factory=dict)


def claim(key: str, action: Action, occurrence: Mapping[str, int]) -> Claim:
    """The ledger row ``action`` is recorded under, as ``ledger.begin`` takes it.

    A push that must happen once keys on its drifts' occurrences (``Syncer._ledger_key``); its
    row names them (``occurrences``), so a row a crash left ``pending`` is settled only once
    none of them is open any more (``core/pending.py``): while one is, the write may still be
    wanted, and the run that plans it again finds the row by its key and retries it.
    """
    payload: dict[str, object] = {"field": action.field, "value": action.value, "description": action.description}
    if not action.idempotent:
        payload["occurrences"] = sorted(occurrence[fp] for fp in set(action.drifts) if fp in occurrence)
    kind, target, subject = action.kind, action.target, action.subject
    return Claim(
        key, shop=action.shop, aspect=action.aspect, kind=kind, target=target, subject=subject, payload=payload
    )


def apply_in_bulk(
    run: BulkRun,
    aspect: Aspect,
    actions: Sequence[Action],
    keys: Mapping[int, str],
    seller: Connector,
    erp: Connector,
) -> dict[int, ActionResult]:
    """Make ``actions`` (each ``check_apply``-ed, its kind in ``aspect.bulk_kinds``) in calls of
    ``aspect.bulk_size``: ``id(action)`` → its result. ``keys`` are the actions' ledger keys.

    Actions a stop or the time budget left unmade are absent from the result (and the ledger).
    """
    results: dict[int, ActionResult] = {}
    size = max(1, aspect.bulk_size)
    for start in range(0, len(actions), size):
        if run.halted() is not None:
            break
        chunk = actions[start : start + size]
        run.renew()  # a run that lost the shop's lease writes nothing more
        entries = run.ledger.begin_many(
            [claim(keys[id(a)], a, run.occurrence) for a in chunk], run_id=run.run_id, now=run.clock(), fence=run.fence
        )
        todo: dict[str, Action] = {}  # key → the action sent: one write planned twice is made once
        for action in chunk:
            key = keys[id(action)]
            if entries[key].status == "done":
                results[id(action)] = ActionResult(action, "skipped", "already done (ledger)")
            else:
                todo.setdefault(key, action)
        if not todo:
            continue
        if run.say is not None:
            first = next(iter(todo.values()))
            more = f" and {len(todo) - 1} more in the same call" if len(todo) > 1 else ""
            run.say(f"{first.description}{more}")
        errors = _call(run, aspect, list(todo.values()), seller, erp)
        outcomes = [
            Outcome(key, "done") if error is None else Outcome(key, "failed", error=error)
            for key, error in zip(todo, errors, strict=True)
        ]
        run.ledger.finish_many(outcomes, now=run.clock())
        by_key = dict(zip(todo, errors, strict=True))
        for action in chunk:
            if id(action) in results:
                continue
            error = by_key[keys[id(action)]]
            results[id(action)] = (
                ActionResult(action, "applied") if error is None else ActionResult(action, "failed", error)
            )
    return results


def _call(run: BulkRun, aspect: Aspect, actions: list[Action], seller: Connector, erp: Connector) -> list[str | None]:
    """One ``apply_many`` call: each action's error text (redacted), None for a write made."""
    try:
        answered = list(aspect.apply_many(actions, seller, erp))
    except ErpsyncError as exc:  # the call as a whole failed: so did each of its writes
        return [run.redact(str(exc))] * len(actions)
    if len(answered) != len(actions):
        # a plugin's mistake: which write did what is unknown, so none is recorded done; the next
        # run re-reads the target and plans again only what is still missing
        why = (
            f"aspect {aspect.name!r} answered {len(answered)} outcome(s) for {len(actions)} write(s): "
            "outcome unknown, the next run re-reads and tries what is still missing"
        )
        return [why] * len(actions)
    return [None if error is None else run.redact(str(error)) for error in answered]


def apply_batch(
    run: BulkRun,
    aspect: Aspect,
    actions: Sequence[Action],
    keys: Mapping[int, str],
    seller: Connector,
    erp: Connector,
    *,
    writer: BatchWriter,
) -> dict[int, ActionResult]:
    """An aspect's corrections to one ``BatchWriter`` target: one batch, two ledger commits.

    Every row is begun in one transaction; each write is then checked and buffered by the
    target (one it refuses fails alone, at once); the batch closes (the files ERP rewrites its
    file once); every row is finished in one transaction: ``done``, or ``failed`` with the
    error that closing the batch raised, since then none of its writes was made. A stop or the
    end of the time budget before a write closes the batch with the writes buffered so far, and
    the rows not reached are finished ``failed``, not attempted. A crash between begin and
    finish leaves the rows ``pending``, settled by the next apply run (``core/pending.py``).
    """
    run.renew()
    claims = [claim(keys[id(a)], a, run.occurrence) for a in actions]
    entries = run.ledger.begin_many(claims, run_id=run.run_id, now=run.clock(), fence=run.fence)
    results: dict[int, ActionResult] = {}
    outcomes: dict[str, Outcome] = {}
    opened, failure, lost, why = False, "", None, ""
    try:
        with writer.batch():
            opened = True
            for action in actions:
                key = keys[id(action)]
                why = run.halted() or ""
                if why:
                    break
                if entries[key].status == "done":
                    results[id(action)] = ActionResult(action, "skipped", "already done (ledger)")
                    continue
                if run.say is not None:
                    run.say(action.description)
                try:
                    aspect.apply(action, seller, erp)
                except ErpsyncError as exc:
                    message = run.redact(str(exc))
                    results[id(action)] = ActionResult(action, "failed", message)
                    outcomes[key] = Outcome(key, "failed", error=message)
                    continue
                results[id(action)] = ActionResult(action, "applied")
                outcomes[key] = Outcome(key, "done")
            run.renew()  # a run that lost the shop's lease writes nothing
    except LockedError as exc:
        failure, lost = str(exc), exc
    except ErpsyncError as exc:  # opening or closing the batch: none of its writes was made
        failure = run.redact(str(exc))
    if failure:
        for result in results.values():
            if result.status == "applied":
                result.status, result.detail = "failed", failure
                key = keys[id(result.action)]
                outcomes[key] = Outcome(key, "failed", error=failure)
    for action in actions:
        key = keys[id(action)]
        if id(action) in results:
            continue
        if opened:  # never reached: not reported, as a write after a stop is not
            outcomes[key] = Outcome(key, "failed", error=f"not attempted ({why or failure}); the next run tries again")
        else:
            results[id(action)] = ActionResult(action, "failed", failure)
            outcomes[key] = Outcome(key, "failed", error=failure)
    run.ledger.finish_many(list(outcomes.values()), now=run.clock())
    if lost is not None:
        raise lost
    return results
