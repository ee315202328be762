"""A webhook's sync task on a real Redis and a real worker: what it does when it cannot answer at once.

The worker runs in this process (Celery's test worker, threads pool) against a private
redis-server. A sync running for the same aspect does not absorb the task (it may have read past
the change): the task waits and runs the aspect once more after it, and tasks asked meanwhile are
merged into that one. A run that SIGTERM interrupted goes back to the queue; a run that failed is
acknowledged, left to the next tick. Whether a run happened is read from the shop's fencing epoch,
which every run advances.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from service_servers import redis_server
from test_celery_stopping import SHOP, kept_logging

pytestmark = [
    pytest.mark.integration,
    # Celery's test worker finalizes every app built in this process, and the tasks other tests'
    # apps registered under the same names make it warn; nothing here depends on them
    pytest.mark.filterwarnings("ignore:Task name .* is already registered"),
]

redis = pytest.importorskip("redis")


@contextmanager
def world(tmp_path: Path) -> Iterator[tuple[Any, Any, Any]]:
    """(JobContext, Redis client, app) on a private broker; lock_seconds = 3: retries 1 s apart."""
    from erpsync.service.jobs import JobContext
    from erpsync.service.tasks import build_app, use_context

    with redis_server() as broker:
        config = tmp_path / "erpsync.toml"
        config.write_text(f'[service.celery]\nbroker_url = "{broker}"\nlock_seconds = 3\n{SHOP}', encoding="utf-8")
        ctx = JobContext.open(config)
        client = redis.Redis.from_url(broker)
        try:
            use_context(ctx)
            yield ctx, client, build_app(ctx.settings, list(ctx.registry.aspects))
        finally:
            client.close()
            ctx.close()


@contextmanager
def worker(app: Any) -> Iterator[None]:
    from celery.contrib.testing.worker import start_worker

    from erpsync.service.celery_app import QUEUE

    with kept_logging(), start_worker(app, pool="threads", concurrency=2, perform_ping_check=False, queues=[QUEUE]):
        yield


def wait_for(condition: Callable[[], bool], seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def count(client: Any, field: str) -> int:
    from erpsync.service.tasks import RESULTS_KEY

    return int(client.hget(RESULTS_KEY, field) or 0)


def test_webhook_syncs_asked_during_a_running_sync_of_the_aspect_run_it_once_more_after(tmp_path: Path) -> None:
    from erpsync.service.celery_app import QUEUE, SYNC_SHOP
    from erpsync.service.shop_lock import ShopLock
    from erpsync.service.task_rerun import RERUN_PREFIX
    from erpsync.service.tasks import enqueue_sync

    with world(tmp_path) as (ctx, client, app):
        running = ShopLock(client, "a", ttl_seconds=30, holder="tracking")  # a scheduled tracking sync runs
        assert running.acquire()
        webhook_tasks = [
            *enqueue_sync(ctx, "a", ["tracking"], "TikTok webhook type 1"),
            *enqueue_sync(ctx, "a", ["tracking"], "TikTok webhook type 4"),
        ]
        app.send_task(SYNC_SHOP, args=("a", "tracking"), queue=QUEUE, expires=300)  # beat's next tick
        with worker(app):
            assert wait_for(lambda: count(client, "tracking:merged") == 1 and count(client, "tracking:locked") >= 3)
            # the one task that waits: whichever of the two the worker took first (its prefetch decides)
            assert client.get(RERUN_PREFIX + "a:tracking") in {t.encode() for t in webhook_tasks}
            assert ctx.store.fences.current("a") == 0  # nothing ran beside the running sync
            running.release()
            assert wait_for(lambda: ctx.store.fences.current("a") == 1)  # run once more, after it
            assert wait_for(lambda: client.get(RERUN_PREFIX + "a:tracking") is None)
            time.sleep(2.5)  # more than two retry countdowns: no second run comes
        assert ctx.store.fences.current("a") == 1
        assert client.llen(QUEUE) == 0


def test_a_webhook_sync_interrupted_by_sigterm_goes_back_to_the_queue(tmp_path: Path, monkeypatch) -> None:
    from erpsync.service import tasks
    from erpsync.service.jobs import JobResult

    statuses = iter(["interrupted", "ok"])

    def run_job(ctx: Any, shop: str, aspect: str, *, fence: int | None = None) -> JobResult:
        return JobResult(shop, aspect, next(statuses, "ok"), run_id=f"run-{fence}")  # type: ignore[arg-type]

    monkeypatch.setattr(tasks, "run_job", run_job)
    with world(tmp_path) as (ctx, client, app):
        tasks.enqueue_sync(ctx, "a", ["tracking"], "TikTok webhook type 1")
        with worker(app):
            assert wait_for(lambda: count(client, "tracking:ok") == 1)
        assert count(client, "tracking:interrupted") == 1  # given back, then taken again and run
        assert ctx.store.fences.current("a") == 2


def test_a_failed_webhook_sync_is_acknowledged_not_retried(tmp_path: Path, monkeypatch) -> None:
    """The next scheduled tick retries the aspect, as the embedded scheduler keeps the request for
    the pair's next turn: retrying at once would hammer a system that is down."""
    from erpsync.service import tasks
    from erpsync.service.celery_app import QUEUE
    from erpsync.service.jobs import JobResult

    def run_job(ctx: Any, shop: str, aspect: str, *, fence: int | None = None) -> JobResult:
        return JobResult(shop, aspect, "error", run_id=f"run-{fence}", detail="the ERP is down")

    monkeypatch.setattr(tasks, "run_job", run_job)
    with world(tmp_path) as (ctx, client, app):
        tasks.enqueue_sync(ctx, "a", ["tracking"], "TikTok webhook type 1")
        with worker(app):
            assert wait_for(lambda: count(client, "tracking:error") == 1)
            time.sleep(2.5)
        assert count(client, "tracking:error") == 1
        assert client.llen(QUEUE) == 0
        assert ctx.store.fences.current("a") == 1


def test_a_webhook_sync_still_finding_its_aspect_running_at_its_expiry_is_acknowledged(tmp_path: Path) -> None:
    """It leaves the change to the next tick and lets the next webhook task wait instead."""
    from erpsync.service.celery_app import QUEUE, SYNC_SHOP
    from erpsync.service.shop_lock import ShopLock
    from erpsync.service.task_rerun import RERUN_PREFIX

    with world(tmp_path) as (ctx, client, app):
        running = ShopLock(client, "a", ttl_seconds=30, holder="tracking")
        assert running.acquire()
        try:
            app.send_task(SYNC_SHOP, args=("a", "tracking"), kwargs={"reason": "TikTok webhook type 1"}, expires=3.5)
            with worker(app):
                # each retry is a new message, sent before the last is acknowledged: none left is the end
                def done() -> bool:
                    return client.llen(QUEUE) == 0 and client.hlen("unacked") == 0

                assert wait_for(done, seconds=10)
                time.sleep(0.3)  # not the moment a worker moves a message from the queue to unacked
                assert done()
                assert client.get(RERUN_PREFIX + "a:tracking") is None  # cleared by the task, before its TTL
        finally:
            running.release()
        assert 2 <= count(client, "tracking:locked") <= 4  # tried about once a second until its expiry
        assert ctx.store.fences.current("a") == 0
