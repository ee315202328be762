"""The host: runs each aspect on each shop, applies planned actions through the ledger, raises alerts.

``Syncer.run`` is the one entry point: the CLI and the demo call it; the shops and aspects it
covers are checked first (sync_scope.py). This module and its parts (the ``sync_*.py`` modules
named below) are the only code that calls ``pm.hook.*`` during a run. One run, per shop::

    runs.mark_crashed (earlier runs whose process is gone) → runs.begin → heartbeat thread
    shops one by one or side by side (sync_shops.py): leases.hold(shop; a dead holder on this
    host is taken over) → build connectors (sync_connectors.py) → for each aspect (sync_aspect.py):
        observe (I/O) → diff (pure) → drifts.record (opened / still open / resolved / reminded, and
          their alerts written to the outbox in the same transaction; sync_drifts.py)
        → plan (pure, each drift decided by the resolve_drift hook)
        → apply: ledger.begin → connector write → ledger.finish(done / failed), batched (one
          transaction each side, one rewrite) per target that has `batch()` (sync_apply.py)
        → settle the pending ledger rows a crashed run left (core/pending.py)
        → re-read after writes (core/aspects/verify.py: resolved alerts now, values after the fix)
    → release lease → token trouble alerts → deliver the alert outbox (sync_alerts.py,
      alert_delivery.py)

SIGTERM/SIGINT (``handle_signals``) are checked before each write, aspect and shop: the write in
hand finishes and is recorded, the run ends ``interrupted``, and the CLI exits 143 / 130.

What a plan run (``apply=False``) writes: never anything to the seller or the ERP, and no ledger
entry. It does write erpsync's own view of the world, on purpose:

- the ``runs`` row (what ran, how it ended) and the shop's lease while it works;
- drifts (``drifts.record``) and their alerts in the outbox: alerts are raised from the store's
  view, once when a drift opens, once when it resolves, and a reminder while it stays open. A
  deployment that only plans (monitoring, or a policy that fixes nothing automatically) would
  otherwise alert on every run or never; and an apply run after a plan run must see the same
  occurrence ids, so its ledger keys match;
- observations (``ObservationMemory``): the pickup aspect dates a Seller Center save between the
  last run that saw the old address and the first that saw the new one, and the platform offers no
  other way to learn that date; a plan run that did not note it would lose it;
- the listings' fingerprints (``core/listing_source.py``): that a product needed nothing against
  its bindings is as true in a plan run as in an apply run, and a fingerprint vouches only for
  the bindings it was computed with.

Hooks observe a run and must not break it: a plugin raising in ``sync_started`` or
``sync_finished`` is logged and the run goes on (``sync_finished`` cannot turn a finished run
into a failed one).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta

from erpsync.alert_outbox import ConfiguredSink, build_sinks
from erpsync.alert_report import DeliveryReport
from erpsync.core import log_context
from erpsync.core.config import Settings
from erpsync.core.errors import LockedError, StaleFenceError
from erpsync.core.http import redact
from erpsync.core.models import RunReport
from erpsync.core.run_guard import Heartbeat, Interrupted, StopSignals
from erpsync.core.store import Store
from erpsync.core.store.leases import pid_alive, this_host
from erpsync.plugins.manager import PluginManager, Registry, build_registry, get_plugin_manager
from erpsync.shop_matching import MatchRulesPerRun
from erpsync.sync_alerts import SyncAlerts
from erpsync.sync_apply import OVER_BUDGET, Progress
from erpsync.sync_aspect import SyncAspect
from erpsync.sync_connectors import SyncConnectors
from erpsync.sync_run import HEARTBEAT_SECONDS, LEASE_TTL_SECONDS, Run, ran_aspects
from erpsync.sync_scope import run_scope
from erpsync.sync_shops import SyncShops

logger = logging.getLogger("erpsync.sync")

__all__ = ["HEARTBEAT_SECONDS", "LEASE_TTL_SECONDS", "OVER_BUDGET", "Progress", "Syncer"]


class Syncer(SyncShops, SyncAspect, SyncAlerts, SyncConnectors):
    """Reconciles the configured shops. Build one per process; ``run`` may be called many times.

    Its parts are mixins: ``sync_shops.py`` (the run's shops), ``sync_aspect.py`` (one aspect,
    built on ``sync_apply.py`` and ``sync_drifts.py``), ``sync_alerts.py`` and
    ``sync_connectors.py``. Kept here: the run itself, and what every part calls (``_renew``,
    ``_redact``)."""

    def __init__(
        self,
        settings: Settings,
        *,
        pm: PluginManager | None = None,
        registry: Registry | None = None,
        store: Store | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        log_context.hide(settings.secrets)  # masked in every log line, whoever logs it
        self.pm = pm or get_plugin_manager()
        self.registry = registry or build_registry(self.pm)
        self.store = store or Store.open(settings.state_url)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.is_alive = pid_alive  # injectable: tests judge a lease holder without killing anything
        self.heartbeat_seconds = HEARTBEAT_SECONDS
        self._match_rules = MatchRulesPerRun()  # each shop's warehouse-matching rules, read once a run
        self._stop = StopSignals()  # replaced (and entered, if asked) by each run
        self._fences: dict[str, int] = {}  # shop → fencing epoch, given to each run
        self._open_drifts: dict[str, set[str]] = {}  # shop → its aspects with an open drift, while leased
        self._deliver_alerts = True  # given to each run
        self._heartbeat: Heartbeat | None = None
        self.sinks: list[ConfiguredSink] = build_sinks(settings, self.registry)
        hours = settings.alerting.remind_after_hours
        self.remind_after = timedelta(hours=hours) if hours > 0 else None
        #: what the last run's alert delivery did (expired alerts, sinks that timed out)
        self.last_delivery = DeliveryReport()

    # -- public ------------------------------------------------------------------------------

    def run(
        self,
        *,
        shops: Iterable[str] | None = None,
        aspects: Iterable[str] | None = None,
        apply: bool = False,
        wait_seconds: float = 0.0,
        progress: Progress | None = None,
        handle_signals: bool = False,
        stop: threading.Event | None = None,
        fences: Mapping[str, int] | None = None,
        deliver_alerts: bool = True,
    ) -> RunReport:
        """Reconcile; with ``apply`` also correct the side the policy names. Never raises for a
        shop's failure (it lands in the report); raises UsageError for unknown shops/aspects.

        With ``handle_signals`` (the CLI; main thread only) SIGTERM and SIGINT stop the run after
        the write in hand: the report says what was applied and ``interrupted`` the signal.
        ``stop`` is the same request from outside (a service whose own SIGTERM handler sets it):
        seen at the same checks, and the report reads ``interrupted`` = SIGTERM.

        ``fences`` maps a shop to the fencing epoch its scheduler was given: each of the shop's
        writes is begun in the ledger only while that epoch is still the shop's newest, so a job
        that lost its claim (a newer one advanced the epoch) ends with an error, not a write.

        Without ``deliver_alerts`` the alerts the run raises are written to the outbox as always but
        not sent after each shop: a service whose runs overlap sends the outbox from one job of its
        own, so two runs never send the same due alert at once."""
        selected_shops, selected_aspects = run_scope(self.settings, self.registry, shops, aspects)
        say = progress or (lambda _msg: None)
        run_id = f"{self.clock():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        with log_context.bound(run_id=run_id):  # every line of the run says which run
            report = RunReport(run_id=run_id, apply=apply, started_at=self.clock())
            names = [s.name for s in selected_shops]
            host = this_host()
            crashed = self.store.runs.mark_crashed(
                now=report.started_at, stale_seconds=LEASE_TTL_SECONDS, here=host, is_alive=self.is_alive
            )
            for earlier in crashed:
                logger.warning("run %s was left running by a process that is gone: marked crashed", earlier)
            self.store.runs.begin(run_id, shops=names, apply=apply, now=report.started_at, host=host, pid=os.getpid())
            status = "crashed"  # what the runs table says if anything below escapes
            self._stop = signals = StopSignals(stop)
            self._fences = dict(fences or {})
            self._deliver_alerts = deliver_alerts
            self._heartbeat = Heartbeat(
                self.store, run_id, ttl_seconds=LEASE_TTL_SECONDS, interval=self.heartbeat_seconds, clock=self.clock
            )
            run = Run(run_id, selected_aspects, apply, wait_seconds, say)
            try:
                with self._heartbeat, signals if handle_signals else contextlib.nullcontext():
                    self._run_shops(run, report, selected_shops)
                status = "error" if report.errors else ("drift" if report.outstanding else "in_sync")
                if status == "in_sync" and not report.checked:
                    status = "not_run"  # every aspect had nothing configured or enabled: nothing checked
                if signals.signum is not None:
                    status, report.interrupted = "interrupted", signals.signum
            except Interrupted as exc:  # a second signal: stopped at once
                status, report.interrupted = "interrupted", exc.signum
            finally:
                report.finished_at = self.clock()
                summary = {
                    "drifts": len(report.drifts),
                    "outstanding": len(report.outstanding),
                    "errors": len(report.errors),
                    # a run of many shops: which of them failed (the status page shows each shop's own result)
                    "shops_with_errors": [s.shop for s in report.shops if s.errors],
                    # and which aspects each shop ran: a service runs one aspect a run, and a shop's
                    # state is the worst of each aspect's latest run, not its latest run alone
                    # (with the ones a failure stopped it before, which the failure stands for)
                    "aspects": {s.shop: ran_aspects(s) for s in report.shops},
                    # the aspects that checked nothing (not configured or not enabled): not run
                    "not_run": {s.shop: [a.aspect for a in s.aspects if a.not_run] for s in report.shops},
                    # of those, the ones that left open drifts unchecked: [how many, why] (the status page)
                    "kept_unchecked": {
                        s.shop: {a.aspect: [a.kept_unchecked, a.not_run] for a in s.aspects if a.kept_unchecked}
                        for s in report.shops
                    },
                }
                self.store.runs.finish(run_id, status=status, summary=summary, now=report.finished_at)
                try:
                    self.pm.hook.sync_finished(report=report)
                except Exception:  # observers must not turn a finished run into a failed one
                    logger.exception("a sync_finished hook failed")
            return report

    def close(self, *, close_store: bool = True) -> None:
        """Close the alert sinks and, unless ``close_store`` is false, the store: a service's
        job shares one store among many Syncers and closes it once, itself."""
        for target in self.sinks:
            try:
                target.sink.close()
            except Exception:  # a sink that cannot close must not keep the store open
                logger.exception("alert sink %s failed to close", target.name)
        if close_store:
            self.store.close()

    # -- what every part of a run calls ------------------------------------------------------

    def _renew(self, lease: str, owner: str, *, fenced: str | None = None) -> None:
        """Keep the shop's lease while working; a run that lost it stops before writing anything.

        A lease renewed within the last third of its time is only read (``leases.confirm``): a
        write per step would cost every shop a commit per aspect. With ``fenced`` (a shop; before
        each bulk call, whose ledger rows are begun together) the shop's fencing epoch is checked
        too; a single write is fenced by ``ledger.begin`` itself, in its own transaction."""
        lost = self._heartbeat is not None and lease in self._heartbeat.lost
        now = datetime.now(UTC)
        if lost or not self.store.leases.confirm(lease, owner=owner, ttl_seconds=LEASE_TTL_SECONDS, now=now):
            raise LockedError(f"lost the lease {lease!r} to another run (this run was too slow); stopped here")
        fence = self._fences.get(fenced) if fenced is not None else None
        if fenced is not None and fence is not None and (current := self.store.fences.current(fenced)) > fence:
            raise StaleFenceError(
                f"shop {fenced!r} was taken over by another worker (fencing epoch {current}, this worker has "
                f"{fence}): nothing more was written; the newer worker carries on"
            )

    # -- helpers -----------------------------------------------------------------------------

    def _redact(self, text: str) -> str:
        return redact(text, self.settings.secrets)
