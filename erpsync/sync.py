"""The host: runs each aspect on each shop, applies planned actions through the ledger, raises alerts.

``Syncer.run`` is the one entry point: the CLI and the demo call it; the shops and aspects it
covers are checked first (sync_scope.py). This is the only module that calls ``pm.hook.*``. One
run, per shop::

    runs.mark_crashed (earlier runs whose process is gone) → runs.begin → heartbeat thread
    leases.hold(shop; a dead holder on this host is taken over) → build connectors
    (sync_connectors.py) → for each aspect:
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
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from erpsync.alert_delivery import Deliverer, DeliveryReport
from erpsync.alert_outbox import ConfiguredSink, build_sinks
from erpsync.core import log_context
from erpsync.core.aspects.base import Aspect, ObserveContext, UnsupportedAction
from erpsync.core.aspects.verify import cursor_may_move, verify
from erpsync.core.config import Settings, ShopSettings
from erpsync.core.connector import Connector
from erpsync.core.errors import ConnectorError, ErpsyncError, LockedError, StaleFenceError
from erpsync.core.http import TimeBudget, redact, time_budget
from erpsync.core.models import ActionResult, AspectReport, RunReport, ShopReport
from erpsync.core.pending import settle_pending
from erpsync.core.policy import policy_for
from erpsync.core.run_guard import Heartbeat, Interrupted, StopSignals
from erpsync.core.store import Store
from erpsync.core.store.leases import pid_alive, this_host
from erpsync.plugins.manager import PluginManager, Registry, build_registry, get_plugin_manager
from erpsync.shop_matching import MatchRulesPerRun, keep_matches
from erpsync.shop_reads import shared_reads
from erpsync.sync_alerts import SyncAlerts
from erpsync.sync_apply import OVER_BUDGET, Progress, SyncApply
from erpsync.sync_connectors import SyncConnectors
from erpsync.sync_drifts import SyncDrifts, observed
from erpsync.sync_scope import run_scope

logger = logging.getLogger("erpsync.sync")

__all__ = ["HEARTBEAT_SECONDS", "LEASE_TTL_SECONDS", "OVER_BUDGET", "Progress", "Syncer"]

#: short, so a crashed run on another host frees its shops within a minute; the heartbeat renews
#: the leases of a working run every third of it (a crash on this host frees them at once)
LEASE_TTL_SECONDS = 60.0
HEARTBEAT_SECONDS = LEASE_TTL_SECONDS / 3


@dataclass(frozen=True)
class _Run:
    """What one run asks of each of its shops, handed down as one value."""

    run_id: str
    aspects: list[str]
    apply: bool
    wait: float  # seconds to wait for a shop's lease held by another run
    say: Progress


class Syncer(SyncApply, SyncAlerts, SyncDrifts, SyncConnectors):
    """Reconciles the configured shops. Build one per process; ``run`` may be called many times."""

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
            run = _Run(run_id, selected_aspects, apply, wait_seconds, say)
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
                    "aspects": {s.shop: _ran(s) for s in report.shops},
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

    # -- one shop ----------------------------------------------------------------------------

    def _run_shops(self, run: _Run, report: RunReport, shops: list[ShopSettings]) -> None:
        names = [s.name for s in shops]
        try:
            self.pm.hook.sync_started(
                run={"run_id": run.run_id, "shops": names, "aspects": run.aspects, "apply": run.apply}
            )
        except Exception:  # an observer must not stop the run it observes
            logger.exception("a sync_started hook failed")
        deliverer = self._deliverer()
        workers = min(self.settings.concurrency, len(shops))
        if workers > 1:
            self._run_side_by_side(run, report, shops, deliverer, workers)
        else:
            for shop in shops:
                if self._stop.requested:  # the shops not started are not in the report: they did not run
                    break
                report.shops.append(self._run_shop(run, shop))
                self._after_shop(run.run_id, shop, deliverer)
        report.notes.extend(self.last_delivery.notes())

    def _run_side_by_side(
        self, run: _Run, report: RunReport, shops: list[ShopSettings], deliverer: Deliverer, workers: int
    ) -> None:
        """Run up to ``workers`` shops at once, each on its own thread, as one run.

        The platform limits calls per app, shop and API (``core/http.py`` paces each of those on
        its own), so one shop waiting on its rate limit or on a slow ERP no longer holds up the
        others. A shop's own work stays in order on its thread: its lease, time budget, aspects and
        writes are exactly as in a serial run. Alerts are delivered from this thread as each shop
        finishes, so a slow channel never holds a shop. The report lists the shops in the
        configured order, whatever order they finished in.

        A stop signal is seen by every shop at its next check (before each write, aspect and
        shop): shops not started are not run and not reported. A second signal stops waiting for
        the shops at once; each still finishes and records the write in hand before its thread ends.
        """
        done: dict[str, ShopReport] = {}

        def one(shop: ShopSettings) -> ShopReport | None:
            if self._stop.requested:
                return None
            return self._run_shop(run, shop)

        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="erpsync-shop")
        try:
            running = {pool.submit(one, shop): shop for shop in shops}
            for future in as_completed(running):
                shop = running[future]
                shop_report = future.result()
                if shop_report is not None:
                    done[shop.name] = shop_report
                    self._after_shop(run.run_id, shop, deliverer)
        finally:
            # an Interrupted (second signal) or a bug: cancel the shops not started, then let the
            # ones working reach their next check (every shop sees the stop request) and finish
            pool.shutdown(wait=True, cancel_futures=True)
            report.shops.extend(done[s.name] for s in shops if s.name in done)

    def _lease_wait(self, seconds: float) -> None:
        """The sleep between two tries of a busy shop's lease (``--wait``): a stop signal ends the
        wait at once, where a plain sleep held Ctrl-C off until the other run let go."""
        if self._stop.wait(seconds):
            raise LockedError(f"stopped by {self._stop.name} while waiting for the shop's lease")

    def _run_shop(self, run: _Run, shop: ShopSettings) -> ShopReport:
        """One shop's aspects under its lease; bound here, on the thread that works for the shop."""
        with log_context.bound(run_id=run.run_id, shop=shop.name):
            return self._work_shop(run, shop)

    def _work_shop(self, run: _Run, shop: ShopSettings) -> ShopReport:
        run_id, wait, say = run.run_id, run.wait, run.say
        report = ShopReport(shop=shop.name)
        lease = f"shop:{shop.name}"
        say(f"{shop.name}: waiting for the shop's lease" if wait else f"{shop.name}: starting")
        try:
            with (
                self.store.leases.hold(
                    lease,
                    owner=run_id,
                    ttl_seconds=LEASE_TTL_SECONDS,
                    wait_seconds=wait,
                    is_alive=self.is_alive,
                    sleep=self._lease_wait,
                ),
                time_budget(self._budget(shop)) as budget,  # starts once the lease is held
            ):
                if self._heartbeat is not None:
                    self._heartbeat.hold(lease)
                # read once under the lease: an aspect with nothing seen and nothing open records nothing
                self._open_drifts[shop.name] = set(self.store.drifts.open_aspects(shop.name))
                # each side read once per shop and shared by the aspects; writes drop the memo
                seller = shared_reads(self._connector(shop, "seller"))
                erp = shared_reads(self._connector(shop, "erp"))
                try:
                    seen_errors: set[str] = set()  # one bad ERP row is one error, not one per aspect
                    for name in run.aspects:
                        if self._stop.requested:
                            break
                        if budget.expired:
                            report.error = self._over_budget(shop, f"before {name}")
                            report.unfinished = _from(run.aspects, name, shop)
                            break
                        if shop.aspects is not None and name not in shop.aspects:
                            why = "not enabled for this shop"
                            skipped = AspectReport(name, notes=[f"{why}: not run"], not_run=why)
                            self._keep_unchecked(shop.name, skipped)
                            report.aspects.append(skipped)
                            continue
                        say(f"{shop.name}: {name}")
                        self._renew(lease, run_id)
                        aspect = self.registry.aspects[name]
                        try:
                            with log_context.bound(aspect=name):  # every line of the aspect names it
                                aspect_report = self._run_aspect(run, shop, aspect, seller, erp)
                            fresh = [e for e in aspect_report.record_errors if e not in seen_errors]
                            seen_errors.update(fresh)
                            aspect_report.record_errors = fresh
                            report.aspects.append(aspect_report)
                            if aspect_report.error == OVER_BUDGET:
                                report.error = self._over_budget(shop, f"while applying {name}")
                                report.unfinished = _from(run.aspects, name, shop)
                                break
                        except ConnectorError as exc:
                            report.error = (
                                self._over_budget(shop, f"during {name}: {self._redact(str(exc))}")
                                if budget.expired
                                else f"{name}: {self._redact(str(exc))}; the shop's remaining aspects were skipped"
                            )
                            report.unfinished = _from(run.aspects, name, shop)
                            break
                finally:
                    self._open_drifts.pop(shop.name, None)
                    if self._heartbeat is not None:
                        self._heartbeat.drop(lease)
                    seller.close()
                    erp.close()
                if self._stop.requested:
                    applied = sum(r.status == "applied" for a in report.aspects for r in a.actions)
                    report.error = (
                        f"stopped by {self._stop.name}: the write in hand was finished and recorded, "
                        f"{applied} correction(s) applied, the rest not attempted; run again to finish"
                    )
        except LockedError as exc:
            report.error = str(exc)
        except ErpsyncError as exc:
            report.error = self._redact(str(exc))
        if report.error and not report.unfinished and not _ran(report):  # stopped before any aspect
            report.unfinished = _from(run.aspects, None, shop)
        return report

    @staticmethod
    def _budget(shop: ShopSettings) -> TimeBudget:
        """The shop's wall-clock budget: every HTTP call made for it ends by the budget's end."""
        seconds = shop.time_budget_seconds
        return TimeBudget(seconds, f"shop {shop.name}'s time budget ({seconds:g} s)")

    @staticmethod
    def _over_budget(shop: ShopSettings, where: str) -> str:
        return (
            f"shop {shop.name} used up its time budget of {shop.time_budget_seconds:g} s ({where}); "
            "its remaining work was skipped and the next shop runs (time_budget_seconds in the shop's "
            "table, or shop_time_budget_seconds for every shop, sets the budget)"
        )

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

    def _run_aspect(
        self, run: _Run, shop: ShopSettings, aspect: Aspect, seller: Connector, erp: Connector
    ) -> AspectReport:
        run_id, apply = run.run_id, run.apply
        report = AspectReport(aspect=aspect.name)
        now = self.clock()
        memory = self.store.observations.for_shop(shop.name, deferred=True)
        ctx = ObserveContext(
            shop=shop.name,
            seller=seller,
            erp=erp,
            now=now,
            memory=memory,
            settings=self.settings.aspect_settings.get(aspect.name, {}),
            matching=self._match_rules.get(self.store, shop, run_id),
            cursor=self.store.cursors.get(shop.name, aspect.cursor_stream) if aspect.cursor_stream else None,
            open_subjects=self._open_subjects(shop.name, aspect),
            bindings=self.store.bindings,
            failed_writes=lambda: self.store.ledger.failed_writes(
                shop.name, aspect.name, still_open=self.store.drifts.still_open
            ),
            # None without a plugin's map_listing: the content hash is then written straight from
            # the fields, and unchanged products are told by their fingerprint (core/listing_source.py)
            map_listing=(lambda product, body: self.pm.hook.map_listing(product=product, body=body))
            if self.pm.hook.map_listing.get_hookimpls()
            else None,
        )
        try:
            observation = observed(aspect.observe(ctx))
        except ConnectorError:
            # A system that refused or failed after retries refuses the next aspect too: the
            # shop stops with one clear error (see _run_shop), and nothing is recorded, so a
            # side we could not read never "resolves" its open drifts.
            raise
        except ErpsyncError as exc:
            report.error = self._redact(str(exc))
            return report
        memory.flush()  # what observing noted, in one transaction, before the drifts it explains
        keep_matches(self.store, shop.name, observation, now)
        report.record_errors = [self._redact(str(e)) for e in observation.record_errors]
        report.notes = list(observation.notes)
        if observation.not_run:
            report.not_run = observation.not_run
            report.notes.insert(0, f"{observation.not_run}: not run")
            self._keep_unchecked(shop.name, report)
        report.drifts = drifts = aspect.diff(observation)
        # Planned before recording (planning is pure), so each alert can say the fix it proposes.
        policy = shop.policies.get(aspect.name) or policy_for(aspect.name)
        actions = aspect.plan(drifts, lambda d: self.pm.hook.resolve_drift(drift=d, policy=policy), observation)
        unsupported: dict[int, str] = {}
        for action in actions:  # a correction the target cannot make is "report only", never attempted
            try:
                aspect.check_apply(action, seller, erp)
            except UnsupportedAction as exc:
                unsupported[id(action)] = str(exc)
        fixes = self._fixes(actions, apply=apply, unsupported=unsupported)
        # the alerts are written with the drift changes, so a failure while applying cannot lose them
        changes = self._record(
            shop.name, aspect.name, drifts, now, run_id, observation.scope, fixes, kept=observation.kept_open
        )
        report.opened = [row.fingerprint for row in changes.opened]
        report.resolved = [row.fingerprint for row in changes.resolved]
        occurrence = {row.fingerprint: row.id for row in [*changes.opened, *changes.still_open]}

        if apply:
            report.actions = self._apply_all(
                run_id, shop, aspect, actions, unsupported, occurrence, (seller, erp), report, run.say
            )
        else:
            for action in actions:
                if self._stop.requested:
                    break
                why = unsupported.get(id(action))
                report.actions.append(
                    ActionResult(action, "planned") if why is None else ActionResult(action, "unsupported", why)
                )
        # pending rows a crashed run left: settled now, unless a stop or the time budget cut the writes
        # short (a write not attempted would look like one not needed)
        completed = apply and not self._stop.requested and report.error != OVER_BUDGET
        if completed:
            settled = settle_pending(
                self.store.ledger,
                shop.name,
                aspect.name,
                run_id,
                report.actions,
                self.clock(),
                self.store.drifts.still_open,
                lambda: self._renew(f"shop:{shop.name}", run_id, fenced=shop.name),
            )
            report.notes += settled
        if any(r.status == "applied" for r in report.actions) and not self._stop.requested:
            run.say(f"{shop.name}: {aspect.name}: re-reading the corrected records")
            verify(report, self._reread(run_id, aspect, ctx, memory, report))
        # after the re-read, which may find a write did not stick: only then is it known that every
        # change read is now in the other side (or an open drift its aspect reads again by id), and
        # the next run may start from here
        may_move = cursor_may_move(report, open_drifts_reread=observation.open_drifts_reread)
        if completed and aspect.cursor_stream and observation.cursor and may_move:
            self.store.cursors.put(shop.name, aspect.cursor_stream, observation.cursor, now=self.clock())
        return report

    # -- helpers -----------------------------------------------------------------------------

    def _redact(self, text: str) -> str:
        return redact(text, self.settings.secrets)


def _from(aspects: Sequence[str], name: str | None, shop: ShopSettings) -> list[str]:
    """The aspects of the run from ``name`` on (all with None) that are enabled for ``shop``."""
    rest = aspects[aspects.index(name) :] if name is not None else aspects
    return [a for a in rest if shop.aspects is None or a in shop.aspects]


def _ran(report: ShopReport) -> list[str]:
    """The aspects a shop's run stands for: those that ran, and those a failure stopped it before."""
    ran = [a.aspect for a in report.aspects if not a.not_run]
    return ran + [a for a in report.unfinished if a not in ran]
