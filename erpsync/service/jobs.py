"""The job kernel: one shop, one aspect, applied; what the embedded scheduler and Celery both run.

One ``JobContext`` per process holds what every job shares (settings, plugins, the store); each job
builds its own ``Syncer``, because a Syncer keeps per-run state (its stop request, fences, heartbeat)
and must never run twice at once. A job is skipped, not run, when its shop is paused or another run
holds the shop's lease: the next tick tries again.

Alert delivery is left to ``drain_outbox`` (the scheduler's outbox job): jobs of many shops run on
threads side by side, and two of them delivering the same due alert at once would send it twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal, Self

from erpsync.alert_delivery import deliver_pending
from erpsync.alert_outbox import ConfiguredSink, build_sinks
from erpsync.alert_report import DeliveryReport
from erpsync.core.config import Settings
from erpsync.core.errors import ErpsyncError
from erpsync.core.http import redact
from erpsync.core.models import RunReport
from erpsync.core.store import Store
from erpsync.core.store.leases import holder_gone, this_host
from erpsync.plugins.manager import (
    PluginManager,
    Registry,
    build_registry,
    finish_loading,
    get_plugin_manager,
    load_settings,
)
from erpsync.sync import Syncer

logger = logging.getLogger("erpsync.service")

JobStatus = Literal["ok", "drift", "error", "skipped", "interrupted", "stale"]
#: the detail of a job ``skipped`` because the process is stopping: nothing of it ran
STOPPING = "the service is stopping"
JOB_STATUSES: tuple[JobStatus, ...] = ("ok", "drift", "error", "skipped", "interrupted", "stale")


@dataclass
class JobContext:
    """What every job of one process shares: one per process, used by many threads at once."""

    settings: Settings
    pm: PluginManager
    registry: Registry
    store: Store
    #: set on SIGTERM: running jobs finish the write in hand and end, no job starts
    stop: threading.Event = field(default_factory=threading.Event)
    _sinks: list[ConfiguredSink] | None = field(default=None, repr=False)
    _sinks_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def open(cls, config_path: str | Path, *, pm: PluginManager | None = None) -> Self:
        """Load the config with every plugin (its ``[plugins] blocked`` honoured) and open the store."""
        if pm is None:
            pm = get_plugin_manager(commands_only=True)
        finish_loading(pm, config=config_path)
        registry = build_registry(pm)
        settings = load_settings(config_path, registry)
        return cls(settings=settings, pm=pm, registry=registry, store=Store.open(settings.state_url))

    def sinks(self) -> list[ConfiguredSink]:
        """The configured alert sinks, built once for the outbox drain."""
        with self._sinks_lock:
            if self._sinks is None:
                self._sinks = build_sinks(self.settings, self.registry)
            return self._sinks

    def close(self) -> None:
        for target in self._sinks or ():
            try:
                target.sink.close()
            except Exception:  # a sink that cannot close must not keep the store open
                logger.exception("alert sink %s failed to close", target.name)
        self.store.close()


@dataclass(frozen=True)
class JobResult:
    shop: str
    aspect: str
    status: JobStatus
    run_id: str | None = None
    seconds: float = 0.0
    detail: str = ""
    #: the run's writes by outcome (applied, failed, skipped, ...): what ``/metrics`` counts as pushes
    writes: Mapping[str, int] = field(default_factory=dict)
    #: whether the job answers the sync requests it ran for: its aspect ran to the
    #: end, or its shop is paused. A stopped, failed or skipped job does not: the change a webhook
    #: announced may not have been read yet
    answered: bool = False


def lease_name(shop: str) -> str:
    """The store lease a run holds on ``shop`` (``Syncer`` takes it; a job checks it first)."""
    return f"shop:{shop}"


def paused_reason(ctx: JobContext, shop: str) -> str | None:
    """Why ``shop`` is paused (an operator or a seller deauthorisation paused it), or None."""
    pause = ctx.store.shop_pauses.get(shop)
    return None if pause is None else f"paused since {pause.paused_at:%Y-%m-%d %H:%M} UTC: {pause.reason}"


def held_reason(ctx: JobContext, shop: str, *, now: datetime) -> str | None:
    """Why ``shop`` is busy (its lease held by a live run), or None."""
    holder = ctx.store.leases.get(lease_name(shop), now=now)
    if holder is not None and not holder_gone(holder.host, holder.pid, here=this_host()):
        return f"another run ({holder.owner}) holds the shop"
    return None


def run_job(ctx: JobContext, shop: str, aspect: str, *, fence: int | None = None) -> JobResult:
    """Run ``aspect`` on ``shop`` once with ``apply=True``; never raises for the job's own failure.

    ``fence`` is the shop's fencing epoch the caller was given: a write is begun only while it is
    still the newest, and a job that lost it ends ``stale``.
    """
    started = time.monotonic()

    def result(
        status: JobStatus,
        detail: str = "",
        run_id: str | None = None,
        writes: Mapping[str, int] | None = None,
        answered: bool = False,
    ) -> JobResult:
        seconds = round(time.monotonic() - started, 3)
        return JobResult(shop, aspect, status, run_id, seconds, detail, writes or {}, answered)

    if ctx.stop.is_set():
        return result("skipped", STOPPING)
    try:
        paused = paused_reason(ctx, shop)
        if paused is not None:
            # a paused shop runs nothing until it is resumed, and its first run then covers what
            # was asked meanwhile: its requests are answered, not kept for a run that cannot come
            return result("skipped", paused, answered=True)
        reason = held_reason(ctx, shop, now=datetime.now(UTC))
        if reason is not None:
            return result("skipped", reason)
        disabled = disabled_with_open_drifts(ctx, shop, aspect)
        syncer = Syncer(ctx.settings, pm=ctx.pm, registry=ctx.registry, store=ctx.store)
        try:
            report = syncer.run(
                shops=[shop],
                aspects=[*disabled, aspect],  # the disabled first: a failure of ``aspect`` stands for none of them
                apply=True,
                stop=ctx.stop,
                fences={shop: fence} if fence is not None else None,
                deliver_alerts=False,  # the outbox job sends them: runs side by side never send one twice
            )
        finally:
            syncer.close(close_store=False)
    except ErpsyncError as exc:
        return result("error", redact(str(exc), ctx.settings.secrets))
    except Exception as exc:  # a bug must end this job, never the scheduler's thread
        logger.exception("job %s/%s failed", shop, aspect)
        return result("error", redact(f"{type(exc).__name__}: {exc}", ctx.settings.secrets))
    status, detail = _judge(ctx, report, shop, aspect, fence)
    kept = [
        f"{a.aspect}: {a.kept_unchecked} open drift(s) kept unchecked: {a.not_run}"
        for s in report.shops
        for a in s.aspects
        if a.aspect in disabled and a.kept_unchecked
    ]
    detail = "; ".join([detail, *kept]) if kept else detail
    writes: Counter[str] = Counter(r.status for s in report.shops for a in s.aspects for r in a.actions)
    answered = status in ("ok", "drift", "error") and ran_to_end(report, shop, aspect)
    return result(status, detail, report.run_id, dict(writes) if report.apply else {}, answered)


def disabled_with_open_drifts(ctx: JobContext, shop: str, aspect: str) -> list[str]:
    """The registered aspects other than ``aspect`` that ``shop``'s ``aspects`` list leaves out
    and that still have open drifts, in one store read (none without a list).

    The schedule runs only the aspects a shop enables, so an aspect taken out of its list gets no
    job of its own: each job of the shop names these too, and the run reports them not run ("not
    enabled for this shop") with the drifts they keep open unchecked, as ``erpsync reconcile``
    does, for the shop's page on the status page and the job's log line. Nothing is read for them.
    """
    settings = ctx.settings.shop(shop)
    if settings is None or settings.aspects is None:
        return []
    open_aspects = ctx.store.drifts.open_aspects(shop)
    return [
        name
        for name in ctx.registry.aspects
        if name in open_aspects and name not in settings.aspects and name != aspect
    ]


def ran_to_end(report: RunReport, shop: str, aspect: str) -> bool:
    """Whether the run read ``aspect`` of ``shop`` to the end and tried its writes (pure).

    Not when a signal stopped it, its time budget ran out, a connector failed, the aspect itself
    failed, or the shop's lease was held elsewhere. Bad records and failed writes do not count
    against it: the aspect still read everything, and its next run tries those writes again.
    """
    if report.interrupted is not None:
        return False
    shop_report = next((s for s in report.shops if s.shop == shop), None)
    if shop_report is None or shop_report.error is not None:
        return False
    return any(a.aspect == aspect and a.error is None for a in shop_report.aspects)


def _judge(ctx: JobContext, report: RunReport, shop: str, aspect: str, fence: int | None) -> tuple[JobStatus, str]:
    """A finished run's report → the job's status and a one-line detail."""
    if report.interrupted is not None:
        return "interrupted", "stopped after the write in hand"
    if fence is not None and ctx.store.fences.current(shop) > fence:
        return "stale", f"a newer job advanced the shop's fencing epoch past {fence}"
    shop_report = next((s for s in report.shops if s.shop == shop), None)
    if shop_report is not None and shop_report.error and shop_report.error.startswith(f"lease {lease_name(shop)!r}"):
        return "skipped", "another run holds the shop"
    if report.errors:
        return "error", report.errors[0]
    if report.outstanding:
        return "drift", f"{len(report.outstanding)} drift(s) outstanding"
    if not report.checked:  # nothing configured or enabled for the aspect: nothing was compared
        reasons = "; ".join(
            dict.fromkeys(a.not_run for s in report.shops for a in s.aspects if a.not_run and a.aspect == aspect)
        )
        return "ok", f"not run: {reasons}" if reasons else "not run"
    applied = sum(r.status == "applied" for s in report.shops for a in s.aspects for r in a.actions)
    return "ok", f"{applied} correction(s) applied" if applied else "in sync"


def log_delivery(report: DeliveryReport) -> None:
    """Log what a delivery of the outbox did, the same lines for the embedded scheduler and a
    Celery worker: its notes (expired, failed, a sink that timed out) as warnings, the alerts left
    waiting for a channel's rate limit at info, one line a pass. ``run --once`` prints them instead."""
    for note in report.notes():
        logger.warning("%s", note)
    if report.waiting:  # routine for a busy channel: info, one line a pass, as ``run --once`` says it
        logger.info("%s", " ".join(report.waiting_lines()))


def drain_outbox(ctx: JobContext) -> DeliveryReport:
    """Deliver the due alerts of the outbox, as a run does after each shop."""
    return deliver_pending(
        ctx.store,
        ctx.sinks(),
        datetime.now(UTC),
        max_age=timedelta(hours=ctx.settings.alerting.max_age_hours),
        redact=lambda text: redact(text, ctx.settings.secrets),
    )
