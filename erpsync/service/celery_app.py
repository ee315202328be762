"""The Celery app of ``erpsync worker`` and ``erpsync beat``, built from ``[service.celery]``.

Everything here is derived from two settings, the broker URL and the shop lock's TTL, so an agency
configures one table and cannot set the timeouts against each other:

- tasks are acknowledged after they ran (``task_acks_late``) and given back when their worker died
  (``task_reject_on_worker_lost``): a sync interrupted by a crash runs again. That is safe because
  the ledger makes every push exactly-once and the shop lock keeps two runs of a shop apart;
- each worker reserves one task at a time (``worker_prefetch_multiplier = 1``): a sync takes
  seconds to minutes, so a worker holding a queue of them would leave the other workers idle;
- the Redis transport's visibility timeout (how long an unacknowledged task waits before another
  worker gets it: https://docs.celeryq.dev/en/stable/getting-started/backends-and-brokers/redis.html)
  is twice the lock TTL: when a killed worker's task comes back, its lock has lapsed and the shop
  runs. A run longer than that is delivered again while it still runs; the copy finds the shop
  locked (the run keeps renewing it) and is skipped;
- beat is RedBeat (https://github.com/sibson/redbeat): the schedule lives in Redis behind a lock,
  so a second ``erpsync beat`` waits as a standby instead of sending every task twice.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from celery import Celery

    from erpsync.core.config import Settings
    from erpsync.core.config_service import CelerySettings

__all__ = [
    "DISPATCH_DUE",
    "DRAIN_OUTBOX",
    "QUEUE",
    "SYNC_SHOP",
    "beat_schedule",
    "celery_config",
    "make_app",
    "shops_running",
    "visibility_timeout",
]

SYNC_SHOP = "erpsync.sync_shop"
DISPATCH_DUE = "erpsync.dispatch_due"
DRAIN_OUTBOX = "erpsync.drain_outbox"
QUEUE = "erpsync"
REDBEAT_PREFIX = "erpsync:redbeat:"
INSTALL_HINT = "the Celery workers need the celery extra: pip install 'erpsync[celery]'"


def visibility_timeout(lock_seconds: float) -> float:
    """Seconds before the broker hands an unacknowledged task to another worker: above the lock TTL,
    so the dead worker's lock has lapsed by then."""
    return 2.0 * lock_seconds


def restore_interval(lock_seconds: float) -> float:
    """Seconds between a worker's sweeps for tasks whose visibility timeout ran out.

    kombu's default sweep runs every 10 × 10 s (``unacked_restore_interval`` × ``_throttle``,
    kombu/transport/redis.py); a third of the lock TTL, between 1 and 10 s, brings a dead worker's
    task back soon after its visibility timeout.
    """
    return min(10.0, max(1.0, lock_seconds / 3.0))


def shops_running(settings: Settings, aspect: str, registered: Collection[str]) -> list[str]:
    """The configured shops that run ``aspect``: its ``aspects`` list names it, or it has none and
    ``aspect`` is registered."""
    return [
        shop.name for shop in settings.shops if aspect in (shop.aspects if shop.aspects is not None else registered)
    ]


def beat_schedule(settings: Settings, registered: Collection[str]) -> dict[str, dict[str, Any]]:
    """One beat entry per aspect some shop runs (``dispatch_due(aspect)`` every its interval) and one
    for the alert outbox.

    Each entry's tasks expire after one interval: a tick still queued when the next one is sent is
    dropped rather than run twice in a row (Celery's ``expires``; misfires coalesce as in ``erpsync run``).
    """
    service = settings.service
    schedule: dict[str, dict[str, Any]] = {}
    running = {a for shop in settings.shops for a in (shop.aspects if shop.aspects is not None else registered)}
    for aspect in sorted(running & set(registered)):
        seconds = service.interval_seconds(aspect)
        schedule[f"erpsync:{aspect}"] = {
            "task": DISPATCH_DUE,
            "schedule": timedelta(seconds=seconds),
            "args": (aspect,),
            "options": {"expires": seconds, "queue": QUEUE},
        }
    seconds = service.interval_seconds("outbox")
    schedule["erpsync:outbox"] = {
        "task": DRAIN_OUTBOX,
        "schedule": timedelta(seconds=seconds),
        "options": {"expires": seconds, "queue": QUEUE},
    }
    return schedule


def celery_config(celery: CelerySettings, schedule: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """Celery's settings (lower-case names, https://docs.celeryq.dev/en/stable/userguide/configuration.html)."""
    lock = celery.lock_seconds
    shortest = min((e["schedule"].total_seconds() for e in (schedule or {}).values()), default=60.0)
    # beat wakes at least this often; RedBeat's lock lives 5 × this (redbeat/schedulers.py), so a
    # standby beat takes over within a few of the shortest intervals
    max_interval = min(60.0, max(1.0, shortest / 4.0))
    return {
        "broker_url": celery.broker_url,
        "broker_transport_options": {
            "visibility_timeout": visibility_timeout(lock),
            "unacked_restore_interval": restore_interval(lock),
            "unacked_restore_throttle": 1,
        },
        "broker_connection_retry_on_startup": True,
        "task_default_queue": QUEUE,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        # a lost broker connection redelivers the reserved tasks anyway; the lock and the ledger make
        # the copy harmless, so the running task is not cancelled
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "task_ignore_result": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        "enable_utc": True,
        "timezone": "UTC",
        # erpsync's own log handler (text or JSON, ``erpsync/logs.py``) writes to stderr: Celery must
        # neither replace it nor turn stderr into a logger that feeds it
        "worker_hijack_root_logger": False,
        "worker_redirect_stdouts": False,
        "beat_scheduler": "redbeat.RedBeatScheduler",
        "beat_schedule": dict(schedule or {}),
        "beat_max_interval": max_interval,
        "redbeat_redis_url": celery.broker_url,
        "redbeat_redis_options": {},
        "redbeat_key_prefix": REDBEAT_PREFIX,
        "redbeat_lock_timeout": 5 * max_interval,
    }


def make_app(settings: Settings, registered: Collection[str] = ()) -> Celery:
    """The app for ``settings`` (which must have ``[service.celery]``), its beat schedule from the
    intervals of the ``registered`` aspects the shops run. Tasks are added by ``tasks.build_app``."""
    from erpsync.core.errors import ConfigError

    try:
        from celery import Celery
    except ImportError:
        raise ConfigError(INSTALL_HINT) from None
    celery = settings.service.celery
    if celery is None:
        raise ConfigError(f"{settings.path}: service.celery: add a [service.celery] table with the broker_url")
    app = Celery("erpsync", set_as_current=False)
    app.conf.update(celery_config(celery, beat_schedule(settings, registered) if registered else None))
    return app
