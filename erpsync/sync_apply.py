"""The Syncer's apply paths: planned corrections made through the ledger, one at a time or many at once.

Every write is begun in the ledger before it is made and finished after (``done`` or ``failed``),
so a crash leaves a ``pending`` row the next run settles (core/pending.py). A stop signal or the
end of the shop's time budget is seen before each write, or each bulk call, and ends the writes
there; the lease is renewed before each one, so a run that lost its shop writes nothing more.

A mixin rather than free functions: these paths read the run's own state at every write (its
stop signals, the shop's fencing epoch, the lease, the ledger, the clock), which would otherwise
be a parameter list as long as that state, passed through every call. As methods of the Syncer
they also stay what a test or a benchmark wraps on ``Syncer`` (``_apply_group``, ``_ledger_key``).
The class attributes below are what the mixin needs of its host, which ``erpsync.sync.Syncer`` sets.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import datetime

from erpsync.apply_bulk import BulkRun, apply_batch, apply_in_bulk, claim
from erpsync.core.aspects.base import Aspect
from erpsync.core.config import ShopSettings
from erpsync.core.connector import Connector
from erpsync.core.errors import ErpsyncError
from erpsync.core.http import current_time_budget
from erpsync.core.models import Action, ActionResult, AspectReport
from erpsync.core.ports import BatchWriter
from erpsync.core.run_guard import StopSignals
from erpsync.core.store import Store

Progress = Callable[[str], None]
#: an aspect's error when the shop's time budget ran out before its next correction
OVER_BUDGET = "the shop's time budget ran out: the remaining corrections were not attempted"


class SyncApply:
    """The apply paths of ``Syncer``; ``_apply_all`` is the one the run loop calls."""

    # what the host provides
    store: Store
    clock: Callable[[], datetime]
    _stop: StopSignals  # this run's stop request (SIGTERM/SIGINT, or a service's event)
    _fences: dict[str, int]  # shop → the fencing epoch this run was given
    _redact: Callable[[str], str]  # masks the configured secrets in a message

    def _renew(self, lease: str, owner: str, *, fenced: str | None = None) -> None:
        """Confirm the shop's lease (and with ``fenced`` its fencing epoch); raise if lost."""
        raise NotImplementedError

    def _apply_all(
        self,
        run_id: str,
        shop: ShopSettings,
        aspect: Aspect,
        actions: list[Action],
        unsupported: Mapping[int, str],
        occurrence: dict[str, int],
        sides: tuple[Connector, Connector],
        report: AspectReport,
        say: Progress | None,
    ) -> list[ActionResult]:
        """Make the planned writes (``check_apply`` passed for those not ``unsupported``), in plan order.

        The kinds the aspect makes in bulk (``Aspect.bulk_kinds``: many writes a call, each with
        its own outcome) go through ``apply_bulk.apply_in_bulk``, all of them at the place of the
        first. An aspect's other corrections to a target that writes in bulk (a ``BatchWriter``:
        the files ERP rewrites its whole file for any write) go in one batch (``_apply_group``);
        the rest, and pushes that must happen once, are made one at a time (``_apply``). A stop
        signal or the end of the shop's time budget is seen before each write (each bulk call) and
        ends the writes there.
        """
        seller, erp = sides
        targets: dict[str, Connector] = {"seller": seller, "erp": erp}
        results: dict[int, ActionResult] = {}
        steps: list[tuple[BatchWriter | None, list[Action]]] = []
        batches: dict[str, list[Action]] = {}
        bulk: list[Action] = []
        for action in actions:
            target = targets[action.target]
            if id(action) in unsupported:
                results[id(action)] = ActionResult(action, "unsupported", unsupported[id(action)])
            elif action.kind in aspect.bulk_kinds:
                if not bulk:
                    steps.append((None, bulk))
                bulk.append(action)
            elif action.idempotent and isinstance(target, BatchWriter):
                if action.target not in batches:
                    batches[action.target] = []
                    steps.append((target, batches[action.target]))
                batches[action.target].append(action)
            else:
                steps.append((None, [action]))
        for writer, group in steps:
            if self._halted(report):
                break
            if writer is not None or group is bulk:
                results.update(self._apply_group(run_id, shop, aspect, group, occurrence, sides, report, say, writer))
                continue
            if say is not None:
                say(f"{shop.name}: {aspect.name}: {group[0].description}")
            self._renew(f"shop:{shop.name}", run_id)
            results[id(group[0])] = self._apply(run_id, aspect, group[0], occurrence, seller, erp)
        return [results[id(a)] for a in actions if id(a) in results]

    def _halted(self, report: AspectReport) -> bool:
        """Whether no further write may start: a stop signal, or the shop's time is up (``OVER_BUDGET``)."""
        if self._stop.requested:  # SIGTERM/SIGINT: the write before this one was the last
            return True
        budget = current_time_budget()
        if budget is not None and budget.expired:
            report.error = OVER_BUDGET
            return True
        return False

    def _apply_group(
        self,
        run_id: str,
        shop: ShopSettings,
        aspect: Aspect,
        actions: list[Action],
        occurrence: dict[str, int],
        sides: tuple[Connector, Connector],
        report: AspectReport,
        say: Progress | None,
        writer: BatchWriter | None,
    ) -> dict[int, ActionResult]:
        """Writes made many at once, each with its own ledger outcome. With ``writer``: an aspect's
        corrections to one target that writes in bulk, one batch, two ledger commits, all its
        writes made or none (``apply_bulk.apply_batch``); without: the aspect's ``bulk_kinds``,
        many a call (``apply_bulk.apply_in_bulk``)."""
        keys = {id(a): self._ledger_key(run_id, a, occurrence) for a in actions}
        run = self._bulk_run(run_id, shop, aspect, report, say, occurrence)
        if writer is not None:
            return apply_batch(run, aspect, actions, keys, *sides, writer=writer)
        return apply_in_bulk(run, aspect, actions, keys, *sides)

    def _bulk_run(
        self,
        run_id: str,
        shop: ShopSettings,
        aspect: Aspect,
        report: AspectReport,
        say: Progress | None,
        occurrence: Mapping[str, int],
    ) -> BulkRun:
        """What the bulk write paths need of the host: the ledger, the stop and budget checks, the lease."""
        lease, prefix = f"shop:{shop.name}", f"{shop.name}: {aspect.name}: "

        def halted() -> str | None:
            if not self._halted(report):
                return None
            return f"stopped by {self._stop.name}" if self._stop.requested else OVER_BUDGET

        return BulkRun(
            run_id=run_id,
            ledger=self.store.ledger,
            clock=self.clock,
            redact=self._redact,
            halted=halted,
            renew=lambda: self._renew(lease, run_id, fenced=shop.name),
            say=None if say is None else (lambda message: say(prefix + message)),
            fence=None if (epoch := self._fences.get(shop.name)) is None else (shop.name, epoch),
            occurrence=occurrence,
        )

    def _apply(
        self, run_id: str, aspect: Aspect, action: Action, occurrence: dict[str, int], seller: Connector, erp: Connector
    ) -> ActionResult:
        """One write, recorded in the ledger before and after (``check_apply`` passed already)."""
        key = self._ledger_key(run_id, action, occurrence)
        fence = self._fences.get(action.shop)
        entry = self.store.ledger.begin(
            key,
            shop=action.shop,
            aspect=action.aspect,
            kind=action.kind,
            target=action.target,
            subject=action.subject,
            payload=claim(key, action, occurrence).payload,
            run_id=run_id,
            now=self.clock(),
            fence=None if fence is None else (action.shop, fence),
        )
        if entry.status == "done":
            return ActionResult(action, "skipped", "already done (ledger)")
        try:
            aspect.apply(action, seller, erp)
        except ErpsyncError as exc:
            message = self._redact(str(exc))
            self.store.ledger.finish(key, status="failed", error=message, now=self.clock())
            return ActionResult(action, "failed", message)
        self.store.ledger.finish(key, status="done", now=self.clock())
        return ActionResult(action, "applied")

    @staticmethod
    def _ledger_key(run_id: str, action: Action, occurrence: dict[str, int]) -> str:
        """The ledger row an action is recorded under, written before and after the write.

        A push that must happen once (``idempotent=False``) keys on the action and its drift
        occurrences, so a rerun after a crash finds it and never repeats it. A correction that
        sets values keys on the run as well: if the drift is still there on the next run (the
        write did not stick, or the ERP reverted it) it is written again, never reported done.
        """
        ids = ",".join(str(occurrence.get(fp, fp)) for fp in sorted(action.drifts))
        scope = "" if not action.idempotent else f":{run_id}"
        return hashlib.sha256(f"{action.idempotency_key}:{ids}{scope}".encode()).hexdigest()
