"""The Syncer's drift recording: what each aspect observed, written to the store with its alerts.

After an aspect's observe → diff (and after the re-read that follows its writes) the drifts are
recorded with ``drifts.record``: opened, still open, resolved or reminded. The alerts those
changes raise are queued in the outbox in the same transaction (``alert_outbox.planner``), so a
failure while applying cannot lose them, and ``sync_alerts.py`` sends them after the shop. Each
alert can say the fix the run proposes, makes or cannot make (``_fixes``), because planning, which
is pure, runs before recording.

A mixin rather than free functions, as ``sync_apply.py`` is: recording reads the run's own state
(the sinks, the reminder interval, which of the shop's aspects have a drift open) that would
otherwise be passed through every call. The class attributes below are what it needs of its host,
which ``erpsync.sync.Syncer`` sets.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timedelta
from typing import TypeVar

from erpsync.alert_outbox import ConfiguredSink, fix_text, planner
from erpsync.core.aspects.base import Aspect, Observation, ObserveContext
from erpsync.core.aspects.verify import Reread
from erpsync.core.errors import ErpsyncError
from erpsync.core.models import Action, AspectReport, Drift
from erpsync.core.store import DriftChanges, ShopMemory, Store
from erpsync.plugins.manager import Registry

_Obs = TypeVar("_Obs", bound=Observation)


def observed(observation: _Obs) -> _Obs:
    """``observation`` as the host records it: an aspect not run read nothing, so nothing it had
    open may resolve (``scope`` empty), even when it left ``scope`` at None ("everything read"),
    as a plugin aspect that only sets ``not_run`` and returns does."""
    if observation.not_run:
        observation.scope = set()
    return observation


class SyncDrifts:
    """The drift recording of ``Syncer``: ``_open_subjects`` before observing, ``_record`` after
    observing (``_keep_unchecked`` for an aspect not run), ``_reread`` after writing."""

    # what the host provides
    store: Store
    registry: Registry
    clock: Callable[[], datetime]
    sinks: list[ConfiguredSink]
    remind_after: timedelta | None  # a drift still open this long after its last alert is reminded
    #: shop → its aspects with an open drift, read once as the shop's lease is taken (while leased)
    _open_drifts: dict[str, set[str]]
    _redact: Callable[[str], str]  # masks the configured secrets in a message

    @staticmethod
    def _fixes(actions: list[Action], *, apply: bool, unsupported: Mapping[int, str]) -> dict[str, dict[str, str]]:
        """Per drift fingerprint, what its alert says of the correction planned for it."""
        return {
            fp: fix_text(a.description, apply=apply, unsupported=unsupported.get(id(a)))
            for a in actions
            for fp in a.drifts
        }

    def _open_subjects(self, shop: str, aspect: Aspect) -> frozenset[str]:
        """``ObserveContext.open_subjects``: for an aspect with a cursor, the subjects of its open
        drifts. No read for one without a cursor, nor for one the shop's ``_open_drifts`` (read
        under the lease) says has none open."""
        known = self._open_drifts.get(shop)
        if aspect.cursor_stream is None or (known is not None and aspect.name not in known):
            return frozenset()
        return self.store.drifts.open_subjects(shop, aspect.name)

    def _keep_unchecked(self, shop: str, report: AspectReport) -> None:
        """For an aspect not run, the open drifts it leaves open without checking them, counted
        on its report with a note naming why (``"3 open drift(s) kept unchecked: <why>"``): an
        aspect that ran before and is no longer configured or enabled resolves nothing (it read
        nothing), and its drifts must not stay open unexplained. No read when the shop's
        ``_open_drifts`` (read under the lease) says the aspect has none open."""
        known = self._open_drifts.get(shop)
        if not report.not_run or (known is not None and report.aspect not in known):
            return
        report.kept_unchecked = self.store.drifts.count_open(shop, report.aspect)
        if report.kept_unchecked:
            report.notes.append(f"{report.kept_unchecked} open drift(s) kept unchecked: {report.not_run}")

    def _reread(
        self, run_id: str, aspect: Aspect, ctx: ObserveContext, memory: ShopMemory, report: AspectReport
    ) -> Reread | None:
        """Observe again after writing: the drifts still true, recorded so resolved alerts go out now,
        with what the re-read read (its scope), its notes and its record errors, for ``verify``.

        None (with a note) if a side cannot be read now: the writes stand, and the next run's
        observation resolves what they fixed.
        """
        try:
            observation = observed(aspect.observe(ctx))
        except ErpsyncError as exc:
            report.notes.append(f"could not re-read to verify the corrections: {self._redact(str(exc))}")
            return None
        memory.flush()
        drifts = aspect.diff(observation)
        changes = self._record(
            ctx.shop, aspect.name, drifts, self.clock(), run_id, observation.scope, kept=observation.kept_open
        )
        notes = [*([observation.not_run] if observation.not_run else []), *observation.notes]
        errors = [(self._redact(e.about), self._redact(str(e))) for e in observation.record_errors]
        return Reread(drifts, changes, observation.scope, [self._redact(n) for n in notes], errors)

    def _record(
        self,
        shop: str,
        aspect: str,
        drifts: list[Drift],
        now: datetime,
        run_id: str,
        scope: Collection[str] | None,
        fixes: Mapping[str, dict[str, str]] | None = None,
        *,
        kept: Mapping[str, Collection[str]] | None = None,
    ) -> DriftChanges:
        """``drifts.record`` with this run's alert planner: the alerts land in the same transaction.

        The shop's aspects with an open drift were read once as its lease was taken
        (``_open_drifts``); an aspect not among them needs no read to record that nothing is
        wrong, and joins them as soon as a drift of it opens."""
        known = self._open_drifts.get(shop)
        changes = self.store.drifts.record(
            shop,
            aspect,
            drifts,
            now=now,
            run_id=run_id,
            scope=scope,
            kept=kept,
            alerts=planner(
                self.sinks,
                run_id=run_id,
                now=now,
                redact=self._redact,
                fixes=fixes,
                routine=getattr(self.registry.aspects.get(aspect), "routine_kinds", ()),
            ),
            remind_after=self.remind_after,
            none_open=known is not None and aspect not in known,
        )
        if known is not None and changes.opened:
            known.add(aspect)
        return changes
