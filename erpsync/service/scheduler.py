"""The embedded scheduler of ``erpsync run``: APScheduler 3 in this process, shops side by side.

APScheduler fires one job per shop and aspect on the aspect's interval (``[service.intervals]``),
plus the alert outbox drain and a poll of the sync requests the webhook receiver writes. Its job
store is in memory and rebuilt from the config at each start: the config is the schedule, and the
APScheduler guide warns never to share a job store between schedulers ("Job stores must never be
shared between schedulers", the 3.x user guide), which is what two processes on one database
would do.

A fired job does not run the shop on APScheduler's thread: it hands it to a pool of
``concurrency`` threads (the shops run side by side; each shop has its own rate limit on the
platform, so shops are independent). A shop and aspect already queued or running is not queued
again: a late tick is absorbed (APScheduler's own ``max_instances=1`` and ``coalesce`` do the same
for its timer). One shop's aspects run one after another, on one thread at a time: a run holds the
shop's lease in the state store, so a second aspect started beside it would only find the shop
taken and be skipped. Across processes that lease keeps two runs of one shop apart.
Each shop's first run is spread over its first interval by a hash of its name and aspect, so a
thousand shops do not start in the same second, and keep their phase across restarts.

A process takes only the sync requests of the shops and aspects it runs: processes that split
the shops between them (``--shop``, ``--aspect``) each answer their own and leave the others
pending. A sync request is deleted only once a job ran its aspect to the end
(``JobResult.answered``). A job stopped by a signal or its time budget, failed, or skipped
because another run held the shop leaves its requests to the pair's next job here (its next turn:
retrying at once would hammer a system that is down); a process that stops gives them back, and
one that dies leaves them taken until ``taken_timeout``, when any process that runs the pair takes
them again.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor as DispatchExecutor  # type: ignore[import-untyped]
from apscheduler.schedulers.background import BackgroundScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

from erpsync.core.errors import UsageError
from erpsync.core.store.sync_requests import TAKEN_TIMEOUT
from erpsync.service.jobs import JobContext, JobResult, drain_outbox, log_delivery, run_job
from erpsync.service.metrics import ServiceMetrics

logger = logging.getLogger("erpsync.service")

#: seconds between two looks at the sync requests table: a webhook's targeted sync starts this soon
REQUEST_POLL_SECONDS = 10.0
Key = tuple[str, str]  # (shop, aspect)


def planned_pairs(
    ctx: JobContext, shops: Iterable[str] | None = None, aspects: Iterable[str] | None = None
) -> list[Key]:
    """Every (shop, aspect) the config runs: each shop's ``aspects`` list, or every registered aspect.

    ``shops`` and ``aspects`` narrow it (``erpsync run --shop/--aspect``); an unknown name is a UsageError.
    """
    settings, registered = ctx.settings, list(ctx.registry.aspects)
    names = [s.name for s in settings.shops]
    for name, known, what in ((shops, names, "shop"), (aspects, registered, "aspect")):
        unknown = sorted(set(name or ()) - set(known))
        if unknown:
            raise UsageError(f"unknown {what} {', '.join(unknown)} (known: {', '.join(known)})")
    want_shops, want_aspects = set(shops or names), set(aspects or registered)
    return [
        (shop.name, aspect)
        for shop in settings.shops
        if shop.name in want_shops
        for aspect in registered
        if aspect in want_aspects and (shop.aspects is None or aspect in shop.aspects)
    ]


def _add(ids_by_pair: dict[Key, dict[int, None]], key: Key, ids: Iterable[int]) -> None:
    """Add ``ids`` to ``key``'s ordered set of request ids (an id already there stays once, in place)."""
    ids_by_pair.setdefault(key, {}).update(dict.fromkeys(ids))


def taken_timeout(ctx: JobContext) -> timedelta:
    """How long a sync request this process took stays its own before another taker may take it
    (``SyncRequests.take``): ``TAKEN_TIMEOUT``, or twice the longest shop time budget if longer,
    so a request is rarely taken from under a job still running it."""
    budgets = [shop.time_budget_seconds for shop in ctx.settings.shops]
    return max(TAKEN_TIMEOUT, timedelta(seconds=2 * max(budgets, default=0.0)))


class EmbeddedScheduler:
    """The schedule of one process; ``start`` it, or ``run_all_now`` once; ``shutdown`` at the end."""

    def __init__(
        self,
        ctx: JobContext,
        *,
        concurrency: int | None = None,
        shops: Iterable[str] | None = None,
        aspects: Iterable[str] | None = None,
        metrics: ServiceMetrics | None = None,
        on_result: Callable[[JobResult], None] | None = None,
        poll_seconds: float = REQUEST_POLL_SECONDS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.ctx = ctx
        self.concurrency = concurrency or ctx.settings.service.concurrency
        self.pairs = planned_pairs(ctx, shops, aspects)
        self.metrics = metrics
        self.on_result = on_result
        self.clock = clock
        #: results by status since the start (skipped included)
        self.counts: Counter[str] = Counter()
        #: the latest results, newest last (for health and tests)
        self.recent: deque[JobResult] = deque(maxlen=1000)
        self.last_tick: datetime | None = None
        self.pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="erpsync-job")
        self._lock = threading.Lock()
        self._active: dict[Key, Future[JobResult]] = {}  # queued or running
        self._started: set[Key] = set()
        self._busy_shops: set[str] = set()  # a job of the shop is in the pool
        self._waiting: dict[str, deque[Key]] = {}  # the shop's next jobs, behind the one in the pool
        # sync request ids as ordered sets (dicts of None): a kept request this process takes again
        # after taken_timeout, while its pair keeps failing, is the same id and is held once
        self._requests: dict[Key, dict[int, None]] = {}  # the ids the active job answers
        self._again: dict[Key, dict[int, None]] = {}  # asked while running: run once more after it
        self._unanswered: dict[Key, dict[int, None]] = {}  # their job did not run to the end: the next one answers them
        self._orphans: list[int] = []  # requests of jobs that will not run (stopping): to give back
        self.taken_timeout = taken_timeout(ctx)
        self.scheduler = BackgroundScheduler(
            executors={"default": DispatchExecutor(max_workers=4)},
            timezone=UTC,
        )
        self._build(poll_seconds)

    # -- the schedule ------------------------------------------------------------------------

    def _build(self, poll_seconds: float) -> None:
        service, now = self.ctx.settings.service, self.clock()
        for shop, aspect in self.pairs:
            every = service.interval_seconds(aspect)
            offset = zlib.crc32(f"{shop}\x1f{aspect}".encode()) % max(1, int(every))
            self.scheduler.add_job(
                self.submit,
                IntervalTrigger(seconds=every, start_date=now + timedelta(seconds=offset), timezone=UTC),
                args=(shop, aspect),
                id=f"{aspect}:{shop}",
                name=f"{aspect} of shop {shop}",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=max(1, int(every)),
            )
        every = service.interval_seconds("outbox")
        self.scheduler.add_job(
            self._drain, IntervalTrigger(seconds=every, timezone=UTC), id="outbox", name="alert outbox",
            max_instances=1, coalesce=True, misfire_grace_time=max(1, int(every)),
        )  # fmt: skip
        self.scheduler.add_job(
            self.take_requests, IntervalTrigger(seconds=poll_seconds, timezone=UTC), id="sync_requests",
            name="sync requests", max_instances=1, coalesce=True, misfire_grace_time=max(1, int(poll_seconds)),
        )  # fmt: skip

    def start(self) -> None:
        self.scheduler.start()
        logger.info("scheduler started: %d job(s), %d shop(s) at a time", len(self.pairs), self.concurrency)

    @property
    def running(self) -> bool:
        return bool(self.scheduler.running)

    def shutdown(self, wait: bool = True) -> None:
        """No new job starts; with ``wait`` the running ones end first (set ``ctx.stop`` before, so
        they stop after the write in hand rather than run to the end)."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        self.pool.shutdown(wait=wait, cancel_futures=True)
        with self._lock:  # jobs that never reached a thread: nobody waits for them forever
            for key, future in list(self._active.items()):
                if key not in self._started:
                    future.cancel()
                    del self._active[key]
                    self._orphans.extend(self._requests.pop(key, {}))
            self._waiting.clear()
            for ids in self._unanswered.values():  # no next job here: the next process answers them
                self._orphans.extend(ids)
            self._unanswered.clear()
        self._give_back_orphans()

    # -- running jobs ------------------------------------------------------------------------

    def submit(self, shop: str, aspect: str, *, request_ids: Sequence[int] = ()) -> Future[JobResult] | None:
        """Queue one job unless it is already queued or running (then that one answers ``request_ids``,
        or, when it has started, runs once more after); the future of the job that covers it.

        Only a sync request earns the re-run: it may report a change the running job read past. A
        scheduled tick (no ``request_ids``) that finds the job running is absorbed, as the docs
        promise; queuing it again would run the job back to back for nothing new.
        """
        key = (shop, aspect)
        with self._lock:
            if self.ctx.stop.is_set():
                return None
            active = self._active.get(key)
            if active is not None:
                if request_ids:
                    parked = self._again if key in self._started else self._requests
                    _add(parked, key, request_ids)
                return active
            future: Future[JobResult] = Future()
            self._active[key] = future
            _add(self._requests, key, [*self._unanswered.pop(key, {}), *request_ids])
            if shop in self._busy_shops:
                self._waiting.setdefault(shop, deque()).append(key)
            elif not self._dispatch(key):
                return None
            return future

    def _dispatch(self, key: Key) -> bool:
        """Give ``key`` a pool thread (the lock is held); False when the pool is shut down."""
        try:
            self.pool.submit(self._run, key)
        except RuntimeError:  # the service is stopping
            self._active.pop(key).cancel()
            self._orphans.extend(self._requests.pop(key, {}))
            return False
        self._busy_shops.add(key[0])
        return True

    def _run(self, key: Key) -> None:
        with self._lock:
            self._started.add(key)
            future = self._active[key]
        result = JobResult(*key, "error", detail="the job did not end")
        try:
            result = run_job(self.ctx, *key)
        finally:
            try:
                self._finish(key, result)
            finally:  # whatever failed in the bookkeeping, whoever waits for the job is answered
                future.set_result(result)

    def _finish(self, key: Key, result: JobResult) -> None:
        shop = key[0]
        with self._lock:
            self._active.pop(key, None)
            self._started.discard(key)
            asked = list(self._requests.pop(key, {}))
            # a request this job held, taken again while it ran (past taken_timeout), asks nothing
            # new: this job answered it, or keeps it for the pair's next turn, or gives it back
            again = [i for i in self._again.pop(key, {}) if i not in asked]
            kept = bool(asked) and not result.answered and not self.ctx.stop.is_set()
            if kept:  # the pair's next job (its next turn, or a new request) answers them
                _add(self._unanswered, key, asked)
            elif asked and not result.answered:  # stopping: pending again, for the next process
                self._orphans.extend(asked)
            self.counts[result.status] += 1
            self.recent.append(result)
            self.last_tick = self.clock()
            self._busy_shops.discard(shop)
            waiting = self._waiting.get(shop)
            while waiting and not self._dispatch(waiting.popleft()):
                pass
            if waiting is not None and not waiting:
                del self._waiting[shop]
        if asked and result.answered:
            self._done_requests(asked)
        elif kept:
            logger.info(
                "sync request(s) %s kept for the next run of %s %s: this one did not run to its end",
                ", ".join(map(str, asked)), *key,
            )  # fmt: skip
        if self.metrics is not None:
            self.metrics.job_done(result)
        level = logging.WARNING if result.status == "error" else logging.INFO
        logger.log(
            level, "%s %s: %s in %.1f s%s", result.shop, result.aspect, result.status, result.seconds,
            f" ({result.detail})" if result.detail else "",
        )  # fmt: skip
        if self.on_result is not None:
            self.on_result(result)
        if again and self.submit(*key, request_ids=again) is None:
            with self._lock:
                self._orphans.extend(again)
        self._give_back_orphans()

    def run_all_now(self, aspects: Iterable[str] | None = None) -> list[JobResult]:
        """Every planned shop × aspect once (narrowed to ``aspects``), through the same pool and
        guards as the schedule; blocks until all ended. A pair already running answers for itself."""
        wanted = set(aspects) if aspects is not None else None
        futures = [self.submit(s, a) for s, a in self.pairs if wanted is None or a in wanted]
        results = []
        for future in futures:
            if future is not None:
                with contextlib.suppress(CancelledError):
                    results.append(future.result())
        return results

    def take_requests(self) -> int:
        """Queue the sync requests waiting in the store for this process's shops and aspects (shops'
        jobs skip paused shops themselves); the others stay pending for the process that runs them."""
        if self.ctx.stop.is_set():
            return 0
        taken = self.ctx.store.sync_requests.take(now=self.clock(), taken_timeout=self.taken_timeout, pairs=self.pairs)
        for request in taken:
            logger.info("sync request %d: %s %s (%s)", request.id, request.shop, request.aspect, request.reason)
            if self.submit(request.shop, request.aspect, request_ids=[request.id]) is None:
                with self._lock:  # stopping: pending again, for the next process that runs the shop
                    self._orphans.append(request.id)
        self._give_back_orphans()
        return len(taken)

    def _give_back_orphans(self) -> None:
        """Make the requests of jobs that will not run pending again, so the next process answers them.

        A job the stop cancelled before it started would otherwise leave its requests taken for
        good: nobody runs them, nobody deletes them, and a sync a webhook asked for is forgotten.
        """
        with self._lock:
            ids, self._orphans = self._orphans, []
        if not ids:
            return
        try:
            self.ctx.store.sync_requests.give_back(ids)
        except Exception:  # left taken: taken again after the timeout (``taken_timeout``)
            logger.exception("could not give back sync requests %s", ids)

    def _done_requests(self, ids: list[int]) -> None:
        try:
            self.ctx.store.sync_requests.done(ids)
        except Exception:  # left taken: taken again after the timeout, one more run of the pair
            logger.exception("could not mark sync requests %s done", ids)

    def _drain(self) -> None:
        try:
            log_delivery(drain_outbox(self.ctx))
        except Exception:  # the next tick tries again
            logger.exception("delivering the alert outbox failed")

    # -- what health reports -----------------------------------------------------------------

    def state(self) -> dict[str, object]:
        with self._lock:
            return {
                "scheduler_running": self.running,
                "jobs": len(self.pairs),
                "queued": len(self._active) - len(self._started),
                "running": len(self._started),
                "runs": dict(self.counts),
                "last_tick": self.last_tick.isoformat() if self.last_tick else None,
                "stopping": self.ctx.stop.is_set(),
            }
