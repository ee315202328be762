"""The Celery tasks: beat's ``dispatch_due`` fans out one ``sync_shop`` per shop, workers run them.

A worker process opens one ``JobContext`` when it starts (``erpsync worker`` hands it to
``use_context``) and every task of the process shares it, as the embedded scheduler's threads do. ``sync_shop``:

1. takes the shop's Redis lock (``shop_lock.ShopLock``) without waiting. Held for another aspect
   (tracking and order_status share an interval and fire together): the task tries again a few
   seconds later, up to 20 times (a webhook's task: until its expiry), so that aspect still runs
   this tick. Held for the same aspect: beat's task is skipped and counted, the other run does
   this tick's work; a webhook's task waits to run the aspect once more after it, since the
   running sync may have read past the change (``task_rerun``: one task waits per shop and
   aspect, the others are merged into it);
2. advances the shop's fencing epoch in the state store and runs the job with it: a stalled older
   run that lost its lock can no longer begin a write (``StaleFenceError`` in the ledger);
3. releases the lock by its owner token.

A task that starts once the worker is stopping (SIGTERM: a warm shutdown sets ``ctx.stop``) runs
nothing and is given back to the broker (``Reject(requeue=True)``), for another worker or the
restarted one: returning would have the task acknowledged (``task_acks_late`` acknowledges a task
that returned) and a sync a webhook asked for would be lost. It gives up before the lock and the
fencing epoch, so a task that never ran uses neither. A webhook's task whose run the stop
interrupted goes back the same way: its run may have stopped before reading the change.

A webhook's task whose run failed (``error``) is acknowledged, not retried: like the embedded
scheduler, which keeps such a request for the pair's next turn, it leaves the change to the next
scheduled tick, at most one interval later; retrying sooner would hammer a system that is down.

Every outcome is counted in Redis (hash ``erpsync:task-results``, field ``aspect:status``), which
``bench/workers.py`` and an operator's ``redis-cli hgetall`` read.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from erpsync.service.celery_app import (
    DISPATCH_DUE,
    DRAIN_OUTBOX,
    QUEUE,
    SYNC_SHOP,
    make_app,
    shops_running,
    visibility_timeout,
)
from erpsync.service.jobs import STOPPING, JobContext, JobResult, drain_outbox, log_delivery, run_job
from erpsync.service.shop_lock import ShopLock, holder_of
from erpsync.service.task_rerun import NO_EXPIRY_SECONDS, Rerun, retry_countdown, seconds_left

if TYPE_CHECKING:
    from celery import Celery, Task
    from redis import Redis

    from erpsync.core.config import Settings

__all__ = [
    "GIVEN_BACK",
    "MERGED",
    "RESULTS_KEY",
    "SENT_PREFIX",
    "build_app",
    "context",
    "dispatch",
    "enqueue_sync",
    "sync_one",
    "use_context",
]

log = logging.getLogger(__name__)
RESULTS_KEY = "erpsync:task-results"
#: per ``dispatch_due`` task id, the shops that dispatch has sent (a Redis set, ``dispatch``)
SENT_PREFIX = "erpsync:dispatched:"
#: a task whose shop another aspect holds tries again this many times, a few seconds apart
OTHER_ASPECT_RETRIES = 20
#: the status of a task that ran nothing because its worker is stopping: it goes back to the broker
GIVEN_BACK = "given_back"
#: the status of a webhook's task that another run covers (``task_rerun``): acknowledged, nothing run
MERGED = "merged"
#: the ``reason`` of beat's ticks; any other is a sync asked for (a webhook's ``enqueue_sync``)
SCHEDULE = "schedule"

_lock = threading.Lock()
_context: JobContext | None = None
_redis: Redis | None = None
_senders: dict[str, Celery] = {}


def use_context(ctx: JobContext) -> None:
    """Make ``ctx`` the context of every task this process runs (``erpsync worker`` opens it at start)."""
    global _context, _redis
    with _lock:
        _context, _redis = ctx, None


def context() -> JobContext:
    """The process's JobContext, set by ``use_context`` when the worker started."""
    with _lock:
        if _context is None:
            raise RuntimeError("no JobContext in this process: start workers with `erpsync worker`")
        return _context


def _client(ctx: JobContext) -> Redis:
    """One Redis client per process (its connection pool is thread-safe), for the locks and counts."""
    global _redis
    from redis import Redis

    celery = ctx.settings.service.celery
    assert celery is not None, "a worker runs only with [service.celery]"
    with _lock:
        if _redis is None:
            _redis = Redis.from_url(celery.broker_url)
        return _redis


def sync_one(ctx: JobContext, client: Redis, shop: str, aspect: str, *, lock_seconds: float) -> dict[str, Any]:
    """Lock, fence, run, release: one shop and aspect. The result is a plain dict (JSON for Celery);
    ``status`` is a job status, ``locked`` (the shop's lock was held) with ``holder`` its aspect, or
    ``given_back`` (the worker is stopping: nothing ran, the caller gives the task back)."""
    if ctx.stop.is_set():  # before the lock and the epoch: a task that will not run takes neither
        return _given_back(client, shop, aspect)
    lock = ShopLock(client, shop, ttl_seconds=lock_seconds, holder=aspect)
    if not lock.acquire():
        holder = holder_of(client, shop) or ""
        client.hincrby(RESULTS_KEY, f"{aspect}:locked", 1)
        log.info("shop %s: %s skipped, its lock is held (by %s)", shop, aspect, holder or "a lapsed holder")
        return {"shop": shop, "aspect": aspect, "status": "locked", "holder": holder}
    try:
        Rerun(client, shop, aspect).started()  # before the run reads anything: it covers the task waiting
        epoch = ctx.store.fences.advance(shop, now=datetime.now(UTC))
        log.info("shop %s: %s started (fencing epoch %d)", shop, aspect, epoch)
        result = run_job(ctx, shop, aspect, fence=epoch)
    finally:
        lock.release()
    if _stopped_before_start(result):  # the stop came while the lock and the epoch were taken
        return _given_back(client, shop, aspect)
    client.hincrby(RESULTS_KEY, f"{aspect}:{result.status}", 1)
    log.info("shop %s: %s %s in %.2f s %s", shop, aspect, result.status, result.seconds, result.detail)
    return {**asdict(result), "fence": epoch}


def _merged(client: Redis, shop: str, aspect: str, why: str) -> dict[str, Any]:
    """A webhook's task another run covers: acknowledged without running (``task_rerun``)."""
    client.hincrby(RESULTS_KEY, f"{aspect}:{MERGED}", 1)
    log.info("shop %s: %s not run again for this task: %s", shop, aspect, why)
    return {"shop": shop, "aspect": aspect, "status": MERGED, "detail": why}


def _give_up(client: Redis, shop: str, aspect: str, task_id: str, out: dict[str, Any]) -> dict[str, Any]:
    """A task still finding its shop locked as its expiry nears (or after its last retry):
    acknowledged as ``locked``; the next tick runs the aspect."""
    Rerun(client, shop, aspect).give_up(task_id)
    log.info("shop %s: %s still locked (by %s), no more retries; the next tick runs it", shop, aspect, out["holder"])
    return out


def _stopped_before_start(result: JobResult) -> bool:
    """Whether the job ran nothing because the process is stopping (``run_job`` checks it first)."""
    return result.status == "skipped" and result.detail == STOPPING and result.run_id is None


def _given_back(client: Redis, shop: str, aspect: str) -> dict[str, Any]:
    client.hincrby(RESULTS_KEY, f"{aspect}:{GIVEN_BACK}", 1)
    log.info("shop %s: %s not started, the worker is stopping; the task goes back to the broker", shop, aspect)
    return {"shop": shop, "aspect": aspect, "status": GIVEN_BACK}


def dispatch(
    app: Celery, ctx: JobContext, aspect: str, *, dispatch_id: str | None = None, client: Redis | None = None
) -> int:
    """Send one ``sync_shop(shop, aspect)`` per shop running ``aspect``, in a new random order each tick.

    The order is the jitter: no shop is always the last of a tick. A countdown would spread the
    tasks in time too, but Celery hands a task with an ETA to the first worker that reads it, outside
    the prefetch limit (celery/worker/strategy.py), so one worker would hoard a whole tick.

    A dispatch is acknowledged after it ran, so one whose worker died while sending is given back
    and runs again; sending the whole tick again would sync its shops twice. With ``dispatch_id``
    (the task's id, the same on every delivery) and a Redis ``client``, each shop is added to a
    Redis set once its task is sent, and a delivery sends only the shops not in it, checked just
    before each send. Sending comes first and marking after, so a worker that dies between the two
    repeats that one shop rather than drop it from the tick; a mark Redis refuses is logged and the
    tick goes on (a later delivery would send that shop again). The set outlives every delivery
    that can still run: beat sends the dispatch with ``expires`` one interval ahead, and a worker
    drops a delivery past it. Returns the number of tasks sent.
    """
    shops = shops_running(ctx.settings, aspect, ctx.registry.aspects)
    random.shuffle(shops)
    expires = ctx.settings.service.interval_seconds(aspect)
    marks = None
    if client is not None and dispatch_id is not None:
        celery = ctx.settings.service.celery
        keep = expires + visibility_timeout(celery.lock_seconds if celery is not None else 0.0)
        marks = _SentMarks(client, SENT_PREFIX + dispatch_id, int(keep) + 1)
    sent = 0
    with app.producer_or_acquire() as producer:
        for shop in shops:
            if marks is not None and marks.sent(shop):
                continue
            app.send_task(SYNC_SHOP, args=(shop, aspect), queue=QUEUE, expires=expires, producer=producer)
            sent += 1
            if marks is not None:
                marks.mark(shop)
    if sent < len(shops):
        log.info("dispatch %s of %s given back: %d shop(s) sent before", dispatch_id, aspect, len(shops) - sent)
    return sent


class _SentMarks:
    """The shops one dispatch has sent: a Redis set named by its task id (``dispatch``)."""

    def __init__(self, client: Redis, key: str, keep_seconds: int) -> None:
        self.client, self.key, self.keep = client, key, keep_seconds

    def sent(self, shop: str) -> bool:
        return bool(self.client.sismember(self.key, shop))

    def mark(self, shop: str) -> None:
        from redis.exceptions import RedisError

        try:
            with self.client.pipeline() as marks:
                marks.sadd(self.key, shop)
                marks.expire(self.key, self.keep)
                marks.execute()
        except RedisError as exc:
            log.warning("dispatch %s: shop %s sent, but not marked sent (%s)", self.key, shop, exc)


def build_app(settings: Settings, registered: Sequence[str] = ()) -> Celery:
    """The app with the three tasks registered (the worker's and beat's)."""
    app = make_app(settings, registered)

    @app.task(name=SYNC_SHOP, bind=True, max_retries=None)
    def sync_shop(self: Task, shop: str, aspect: str, reason: str = SCHEDULE, waiting: bool = False) -> dict[str, Any]:
        from celery.exceptions import Reject

        ctx = context()
        celery = ctx.settings.service.celery
        assert celery is not None
        client = _client(ctx)
        task_id = str(self.request.id or "")
        if waiting and not Rerun(client, shop, aspect).waiting(task_id):
            return _merged(client, shop, aspect, "a run of it started after this task began waiting")
        out = sync_one(ctx, client, shop, aspect, lock_seconds=celery.lock_seconds)
        asked = reason != SCHEDULE
        if out["status"] == GIVEN_BACK or (asked and out["status"] == "interrupted"):
            raise Reject(STOPPING, requeue=True)  # not acknowledged: the broker keeps the task
        if out["status"] != "locked":
            return out
        other_aspect = out["holder"] not in ("", aspect)
        if not other_aspect and not asked:  # a scheduled tick: the running sync does this tick's work
            return out
        countdown = retry_countdown(celery.lock_seconds)
        left = seconds_left(self.request.expires, now=datetime.now(UTC))
        counted = not asked or left is None  # a webhook's task tries until its expiry, a tick's 20 times at most
        if (left is not None and left <= countdown) or (counted and self.request.retries >= OTHER_ASPECT_RETRIES):
            return _give_up(client, shop, aspect, task_id, out)
        if other_aspect:
            raise self.retry(countdown=countdown)
        rerun = Rerun(client, shop, aspect)
        if not rerun.wait(task_id, ttl_seconds=left if left is not None else NO_EXPIRY_SECONDS):
            return _merged(client, shop, aspect, "another task waits to run it after the running sync")
        log.info("shop %s: %s running; this webhook's sync (%s) runs once more after it", shop, aspect, reason)
        raise self.retry(args=(shop, aspect), kwargs={"reason": reason, "waiting": True}, countdown=countdown)

    @app.task(name=DISPATCH_DUE, bind=True)
    def dispatch_due(self: Task, aspect: str) -> int:
        ctx = context()
        return dispatch(app, ctx, aspect, dispatch_id=self.request.id, client=_client(ctx))

    @app.task(name=DRAIN_OUTBOX)
    def drain_outbox_task() -> dict[str, int]:
        report = drain_outbox(context())
        log_delivery(report)
        # counts, not the report: the worker logs a task's result, and the report holds whole rows
        return report.counts()

    return app


def _sender(settings: Settings) -> Celery:
    """An app that only sends (no tasks, no schedule), one per broker URL."""
    celery = settings.service.celery
    key = celery.broker_url if celery is not None else ""
    with _lock:
        if key not in _senders:
            _senders[key] = make_app(settings)
        return _senders[key]


def enqueue_sync(ctx_or_settings: JobContext | Settings, shop: str, aspects: Sequence[str], reason: str) -> list[str]:
    """Queue a targeted sync of ``shop`` (one task per aspect) now; the ids of the tasks sent.

    What the webhook receiver calls for an order-status notification. The tasks take the shop's lock
    like beat's, but one that finds a sync of its aspect running does not end there: that sync may
    have read past the change, so the task retries a few seconds apart, until its expiry (one
    interval), and runs the aspect once more after it; tasks asked meanwhile are merged into that
    one (``task_rerun``). A task whose run a worker's SIGTERM interrupted goes back to the queue.
    A task whose run failed is acknowledged: the next scheduled tick retries the aspect.
    """
    settings = ctx_or_settings.settings if isinstance(ctx_or_settings, JobContext) else ctx_or_settings
    app = _sender(settings)
    ids = []
    for aspect in aspects:
        expires = settings.service.interval_seconds(aspect)
        sent = app.send_task(SYNC_SHOP, args=(shop, aspect), kwargs={"reason": reason}, queue=QUEUE, expires=expires)
        ids.append(sent.id)
    return ids
