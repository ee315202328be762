"""The Syncer's shops: each worked under its lease and time budget, one after another or side by side.

A run's shops go one at a time, or up to ``concurrency`` at once on threads of their own, so one
shop waiting on its rate limit or a slow ERP holds up no other. Each shop's work is the same on
either path: its lease (waited for with ``--wait``, renewed by the heartbeat), its time budget
(every HTTP call made for it ends by the budget's end), its connectors read once and shared by
its aspects, and its aspects in order until one fails, the budget runs out or a stop is asked
for; what it did not get through is named in its report, so the status page keeps it in error
until each has run well again.

A mixin rather than free functions, as ``sync_apply.py`` is: a shop's work reads the run's own
state (its stop request, heartbeat, open drifts) and calls the other parts of the host. The class
attributes below are what it needs of its host, which ``erpsync.sync.Syncer`` sets.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import datetime

from erpsync.alert_delivery import Deliverer
from erpsync.alert_report import DeliveryReport
from erpsync.core import log_context
from erpsync.core.aspects.base import Aspect
from erpsync.core.config import Settings, ShopSettings
from erpsync.core.connector import Connector
from erpsync.core.errors import ConnectorError, ErpsyncError, LockedError
from erpsync.core.http import TimeBudget, time_budget
from erpsync.core.models import AspectReport, RunReport, ShopReport
from erpsync.core.run_guard import Heartbeat, StopSignals
from erpsync.core.store import Store
from erpsync.core.store.leases import PidAlive
from erpsync.plugins.manager import PluginManager, Registry
from erpsync.shop_reads import SharedReads, shared_reads
from erpsync.sync_apply import OVER_BUDGET
from erpsync.sync_run import LEASE_TTL_SECONDS, Run, ran_aspects

logger = logging.getLogger("erpsync.sync")


class SyncShops:
    """The shops of ``Syncer``'s run: ``_run_shops`` is the one the run calls."""

    # what the host provides
    settings: Settings
    pm: PluginManager
    registry: Registry
    store: Store
    is_alive: PidAlive
    clock: Callable[[], datetime]  # the run's clock (a read ahead's answer says by it when it started)
    _stop: StopSignals  # this run's stop request (SIGTERM/SIGINT, or a service's event)
    _heartbeat: Heartbeat | None  # renews the leases of this run's shops
    _open_drifts: dict[str, set[str]]  # shop → its aspects with an open drift, while leased
    _redact: Callable[[str], str]  # masks the configured secrets in a message
    #: what the last run's alert delivery did (expired alerts, sinks that timed out)
    last_delivery: DeliveryReport
    _deliverer: Callable[[], Deliverer]  # the run's alert deliverer (sync_alerts.py)
    _after_shop: Callable[[str, ShopSettings, Deliverer], None]  # token alerts, the outbox sent
    _connector: Callable[[ShopSettings, str], Connector]  # a shop's side (sync_connectors.py)
    _keep_unchecked: Callable[[str, AspectReport], None]  # counts what an aspect not run keeps open
    _run_aspect: Callable[[Run, ShopSettings, Aspect, Connector, Connector], AspectReport]  # sync_aspect.py
    #: the aspects' reads ahead, held until the shop waits (sync_aspect.py); returns what to call at the end
    _read_ahead: Callable[[Run, ShopSettings, SharedReads, SharedReads], Callable[[], None]]
    _renew: Callable[[str, str], None]  # confirm the shop's lease, raise if lost (sync.py)

    def _run_shops(self, run: Run, report: RunReport, shops: list[ShopSettings]) -> None:
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
        report.notes.extend([*self.last_delivery.notes(), *self.last_delivery.waiting_lines()])

    def _run_side_by_side(
        self, run: Run, report: RunReport, shops: list[ShopSettings], deliverer: Deliverer, workers: int
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

    def _run_shop(self, run: Run, shop: ShopSettings) -> ShopReport:
        """One shop's aspects under its lease; bound here, on the thread that works for the shop."""
        with log_context.bound(run_id=run.run_id, shop=shop.name):
            return self._work_shop(run, shop)

    def _work_shop(self, run: Run, shop: ShopSettings) -> ShopReport:
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
                seller = shared_reads(self._connector(shop, "seller"), self.clock)
                erp = shared_reads(self._connector(shop, "erp"), self.clock)
                read_ahead_done = self._read_ahead(run, shop, seller, erp)  # held until the shop waits
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
                    read_ahead_done()
                    self._open_drifts.pop(shop.name, None)
                    try:  # a read ahead still running ends as they close: the lease is renewed until then
                        seller.close()
                        erp.close()
                    finally:
                        if self._heartbeat is not None:
                            self._heartbeat.drop(lease)
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
        if report.error and not report.unfinished and not ran_aspects(report):  # stopped before any aspect
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


def _from(aspects: Sequence[str], name: str | None, shop: ShopSettings) -> list[str]:
    """The aspects of the run from ``name`` on (all with None) that are enabled for ``shop``."""
    rest = aspects[aspects.index(name) :] if name is not None else aspects
    return [a for a in rest if shop.aspects is None or a in shop.aspects]
