"""``erpsync worker`` and ``erpsync beat``: the distributed service, Celery on a Redis broker.

For an agency with many shops on several machines: beat sends one task per shop and aspect every
interval, any number of workers run them. Both read ``[service.celery]``; ``docs/celery.md`` says
how to deploy them. A single machine is better served by ``erpsync run`` (no broker to run).
"""

from __future__ import annotations

import logging
import socket
from typing import TYPE_CHECKING

import click

from erpsync.cli_common import EXIT_ERROR, EXIT_OK
from erpsync.core.errors import ConfigError, ErpsyncError
from erpsync.plugins.context import CommandContext
from erpsync.service.celery_app import INSTALL_HINT

if TYPE_CHECKING:
    from erpsync.core.config import Settings

__all__ = ["beat", "worker"]

LOG_LEVELS = ("debug", "info", "warning", "error")


def _broker(settings: Settings) -> str:
    """The broker URL, after checking the extra is installed and the broker answers."""
    try:
        import celery  # noqa: F401
        import redbeat  # noqa: F401
        from redis import Redis
        from redis.exceptions import RedisError
    except ImportError:
        raise ConfigError(INSTALL_HINT) from None
    if settings.service.celery is None:
        raise ConfigError(f"{settings.path}: service.celery: add a [service.celery] table with the broker_url")
    url = settings.service.celery.broker_url
    from kombu.utils.url import maybe_sanitize_url

    try:
        with Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5) as client:
            client.ping()
    except (RedisError, OSError, ValueError) as exc:
        raise ErpsyncError(
            f"cannot reach the Celery broker {maybe_sanitize_url(url)}: {exc}; "
            "is Redis running there? (service.celery.broker_url)"
        ) from None
    return url


def _log_level(level: str) -> None:
    """Celery's and the tasks' own lines at ``level`` (the CLI's -v sets the rest)."""
    for name in ("celery", "erpsync.service"):
        logging.getLogger(name).setLevel(level.upper())


@click.command()
@click.option(
    "--concurrency",
    type=click.IntRange(min=1, max=64),
    default=None,
    metavar="N",
    help="Shops this worker syncs at once (threads). Default: service.concurrency.",
)
@click.option("--name", default=None, metavar="NAME", help="The worker's node name. Default: erpsync@HOST.")
@click.option("--loglevel", type=click.Choice(LOG_LEVELS), default="info", show_default=True)
@click.pass_obj
def worker(state: CommandContext, concurrency: int | None, name: str | None, loglevel: str) -> int:
    """Run sync tasks from the Celery broker of [service.celery] until stopped.

    Start as many as you like, on as many machines: each takes one task at a time per thread. A
    task syncs one shop and aspect under the shop's Redis lock (a shop is never synced twice at
    once; a task finding its shop locked is skipped) with a fencing epoch from the state store (a
    stalled run cannot write after a newer one started). Every worker and beat must use the same
    config: the same broker, the same state store (PostgreSQL for several machines).

    \b
    Tasks come from `erpsync beat` (the schedule of [service.intervals]) and from the webhook
    receiver (targeted syncs). A task is acknowledged after it ran: one whose worker dies is
    run again by another worker after twice service.celery.lock_seconds.

    \b
    Stop: SIGTERM or Ctrl-C finishes the write in hand of each running task and exits 0.
    Exit code 1 when the broker cannot be reached or the extra is missing
    (pip install 'erpsync[celery]').
    """
    from erpsync.core.store import Store
    from erpsync.service import tasks
    from erpsync.service.jobs import JobContext

    settings = state.settings()
    _broker(settings)
    _log_level(loglevel)
    ctx = JobContext(settings=settings, pm=state.pm, registry=state.registry, store=Store.open(settings.state_url))
    try:
        app = tasks.build_app(settings, list(state.registry.aspects))
        tasks.use_context(ctx)
        from celery.signals import worker_shutting_down

        def stopping(**_: object) -> None:
            ctx.stop.set()  # running jobs finish the write in hand and end

        worker_shutting_down.connect(stopping, weak=False)
        node = name or f"erpsync@{socket.gethostname()}"
        threads = concurrency or settings.service.concurrency
        runner = app.Worker(
            hostname=node, pool="threads", concurrency=threads, loglevel=loglevel.upper(), without_mingle=True
        )
        runner.start()
        code = runner.exitcode
    finally:
        ctx.close()
    return EXIT_OK if not code else EXIT_ERROR


@click.command()
@click.option("--loglevel", type=click.Choice(LOG_LEVELS), default="info", show_default=True)
@click.pass_obj
def beat(state: CommandContext, loglevel: str) -> int:
    """Send the sync tasks of [service.intervals] to the Celery broker, on schedule, until stopped.

    Every interval, one task per aspect fans out one sync task per shop (in a new random order each
    time) for the workers; the alert outbox is drained on its own interval. A tick not started by
    the next one is dropped, never run twice in a row.

    \b
    The schedule lives in Redis behind a lock (RedBeat): run a second `erpsync beat` elsewhere
    as a standby; it sends nothing until the first stops renewing the lock.
    Stop: SIGTERM or Ctrl-C. Exit code 1 when the broker cannot be reached or the extra is
    missing (pip install 'erpsync[celery]').
    """
    from erpsync.service import tasks

    settings = state.settings()
    _broker(settings)
    _log_level(loglevel)
    app = tasks.build_app(settings, list(state.registry.aspects))
    app.Beat(loglevel=loglevel.upper(), max_interval=app.conf.beat_max_interval).run()
    return EXIT_OK
