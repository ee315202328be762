"""``erpsync run``: the embedded scheduler, for a seller (or a small agency) on one machine.

The same ``Syncer`` as ``reconcile --apply``, one shop and aspect per job, shops side by side;
``--once`` is one pass of every job for cron users and tests. For thousands of shops across
machines, ``erpsync worker`` and ``erpsync beat`` run the same jobs on Celery.
"""

from __future__ import annotations

import logging
import signal
from collections import Counter
from types import FrameType
from typing import TYPE_CHECKING

import click

from erpsync.cli_common import EXIT_DRIFT, EXIT_ERROR, EXIT_OK, checked_listen
from erpsync.plugins.context import CommandContext

if TYPE_CHECKING:
    from erpsync.service.jobs import JobContext
    from erpsync.service.metrics import ServiceMetrics
    from erpsync.service.scheduler import EmbeddedScheduler

__all__ = ["run"]


@click.command(short_help="Run every shop's aspects on their intervals (the embedded scheduler).")
@click.option("--once", is_flag=True, help="Run every job once, deliver the alerts, and exit (for cron and tests).")
@click.option("--shop", "shops", multiple=True, metavar="NAME", help="Only this shop (repeatable). Default: all.")
@click.option("--aspect", "aspects", multiple=True, metavar="NAME", help="Only this aspect (repeatable). Default: all.")
@click.option(
    "--listen",
    metavar="HOST:PORT",
    default=None,
    callback=checked_listen,
    help='Override [service] listen for /healthz and /metrics ("" off).',
)
@click.pass_obj
def run(state: CommandContext, once: bool, shops: tuple[str, ...], aspects: tuple[str, ...], listen: str | None) -> int:
    """Keep every shop in agreement, in the foreground, until SIGTERM or Ctrl-C.

    \b
    What runs when ([service.intervals] in the config, minutes):
      tracking, order_status every 5; ship_by, warehouse_address, pickup every 15;
      listings every 60; the alert outbox every 1; a webhook's sync request within 10 s.
    Each job is one shop and one aspect with its corrections applied (as `reconcile --apply`);
    up to [service] concurrency shops run at once. A job still running when its next turn comes
    is not started twice. A shop another process is working on, or one paused
    (`erpsync webhooks paused`), is skipped until its next turn. Each shop's first run is spread
    over its first interval so that many shops do not start together.

    \b
    Status page, health and metrics: http://[service] listen (default 127.0.0.1:9187)
      /         the status page (docs/status-page.md); actions need [service.ui] token
      /healthz  200 JSON while the scheduler runs and the state store answers, else 503
      /metrics  Prometheus text: runs, durations, drifts open, pushes, API calls and 429s,
                the alert outbox, paused shops (no per-shop labels)

    \b
    Stopping: SIGTERM or Ctrl-C. No new job starts; running jobs finish the write in hand,
    record it, and end; then the process exits. A second signal does not cut a write short.

    \b
    Exit codes: 143 after SIGTERM, 130 after Ctrl-C (SIGINT), 1 when it cannot start.
    With --once: 0 all in sync, 2 drift outstanding, 1 a job failed, 143/130 when stopped.
    The code is the jobs' (as reconcile's): alerts the pass left undelivered (waiting for room in
    a channel's rate limit, to retry, failed, expired) are printed, not counted; the next pass
    sends those due. A cron job watching delivery runs `erpsync alerts deliver` (exits 1 for them).
    """
    from erpsync.service.jobs import JobContext
    from erpsync.service.metrics import ServiceMetrics
    from erpsync.service.scheduler import EmbeddedScheduler

    logging.getLogger("erpsync.service").setLevel(logging.INFO)  # one line per job, whatever -v says
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("apscheduler").setLevel(logging.WARNING)  # its "Running job ..." per tick
    ctx = JobContext.open(state.config, pm=state.pm)
    received: list[int] = []

    def stop(signum: int, _frame: FrameType | None) -> None:
        if not received:
            click.echo(f"erpsync run: {signal.Signals(signum).name}: stopping after the writes in hand", err=True)
        received.append(signum)
        ctx.stop.set()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    metrics = ServiceMetrics(ctx.store)
    metrics.observe_http()
    try:
        scheduler = EmbeddedScheduler(ctx, shops=shops or None, aspects=aspects or None, metrics=metrics)
        if once:
            code = _once(ctx, scheduler)
        else:
            _serve(ctx, scheduler, metrics, ctx.settings.service.listen if listen is None else listen)
            code = EXIT_OK
    finally:
        metrics.stop_observing_http()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        ctx.close()
    return 128 + received[0] if received else code


def _once(ctx: JobContext, scheduler: EmbeddedScheduler) -> int:
    """One pass: the pending sync requests are answered by it, then the outbox goes out."""
    from erpsync.service.jobs import drain_outbox

    try:
        scheduler.take_requests()
        results = scheduler.run_all_now()
    finally:
        scheduler.shutdown(wait=True)
    if not ctx.stop.is_set():
        report = drain_outbox(ctx)
        for note in [*report.notes(), *report.waiting_lines()]:
            click.echo(f"erpsync run: {note}", err=True)
    counts = Counter(r.status for r in results)
    click.echo(
        "erpsync run: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) if counts else "no jobs",
        err=True,
    )
    if counts["error"] or counts["stale"]:
        return EXIT_ERROR
    return EXIT_DRIFT if counts["drift"] else EXIT_OK


def _serve(ctx: JobContext, scheduler: EmbeddedScheduler, metrics: ServiceMetrics, listen: str) -> None:
    """Start the endpoints and the scheduler; wait for a signal; stop them in order."""
    from erpsync.service.endpoints import EndpointServer, make_app
    from erpsync.ui.app import status_app

    ui = status_app(ctx.store, ctx.settings, list(ctx.registry.aspects))
    server = EndpointServer(make_app(scheduler, ctx.store, metrics, ui), listen) if listen else None
    try:
        if server is not None:
            server.start()
            host, port = server.address
            click.echo(
                f"erpsync run: status page on http://{host}:{port}/, health and metrics on /healthz and /metrics",
                err=True,
            )
        scheduler.start()
        click.echo(
            f"erpsync run: {len(scheduler.pairs)} job(s), {scheduler.concurrency} shop(s) at a time; "
            "SIGTERM or Ctrl-C stops",
            err=True,
        )
        while not ctx.stop.wait(1.0):
            pass
        running = scheduler.state()["running"]
        click.echo(f"erpsync run: waiting for {running} running job(s) to finish the write in hand", err=True)
    finally:
        scheduler.shutdown(wait=True)
        if server is not None:
            server.close()
    click.echo("erpsync run: stopped", err=True)
