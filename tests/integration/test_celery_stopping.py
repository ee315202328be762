"""A sync task that a stopping worker starts goes back to the broker, on a real Redis.

A worker's SIGTERM (warm shutdown) sets the jobs' stop signal; a ``sync_shop`` that starts after it
must not return, or Celery acknowledges it (``task_acks_late`` acknowledges a task that returned)
and the sync it stood for, maybe one a webhook asked for, is gone. The worker runs in this process
(Celery's test worker, threads pool) with the stop signal set from the start: the task is rejected
back to the queue each time it is taken, and is still there when the worker has stopped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from service_servers import redis_server

pytestmark = pytest.mark.integration

redis = pytest.importorskip("redis")

SHOP = """
[[shops]]
name = "a"
aspects = ["tracking"]
[shops.seller]
type = "tiktok"
base_url = "http://127.0.0.1:9"
app_key = "app-key-1"
app_secret = "s3cr3t-value"
access_token = "t0ken-value"
shop_id = "a"
[shops.erp]
type = "files"
path = "erp"
"""


@contextmanager
def kept_logging() -> Iterator[None]:
    """Put the root logger back as it was: Celery's test worker sets it up for the worker (its
    level to ERROR, its handlers replaced), which would hide the log lines later tests in this
    process read."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    try:
        yield
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        for handler in handlers:
            if handler not in root.handlers:
                root.addHandler(handler)
        root.setLevel(level)


# Celery's test worker finalizes every app built in this process, and the tasks other tests' apps
# registered under the same names make it warn; nothing here depends on them
@pytest.mark.filterwarnings("ignore:Task name .* is already registered")
def test_a_webhook_sync_started_by_a_stopping_worker_stays_queued(tmp_path: Path) -> None:
    from celery.contrib.testing.worker import start_worker

    from erpsync.service.celery_app import QUEUE
    from erpsync.service.jobs import JobContext
    from erpsync.service.tasks import GIVEN_BACK, RESULTS_KEY, build_app, enqueue_sync, use_context

    with redis_server() as broker:
        config = tmp_path / "erpsync.toml"
        config.write_text(f'[service.celery]\nbroker_url = "{broker}"\nlock_seconds = 30\n{SHOP}', encoding="utf-8")
        ctx = JobContext.open(config)
        client = redis.Redis.from_url(broker)
        try:
            use_context(ctx)
            app = build_app(ctx.settings, list(ctx.registry.aspects))
            enqueue_sync(ctx, "a", ["tracking"], "order status notification")
            ctx.stop.set()  # the worker is shutting down: what its SIGTERM handler does
            field = f"tracking:{GIVEN_BACK}"
            with (
                kept_logging(),
                start_worker(app, pool="threads", concurrency=1, perform_ping_check=False, queues=[QUEUE]),
            ):
                deadline = time.monotonic() + 20
                while int(client.hget(RESULTS_KEY, field) or 0) < 2 and time.monotonic() < deadline:
                    time.sleep(0.05)
            # taken, given back and taken again: never acknowledged, never run
            assert int(client.hget(RESULTS_KEY, field) or 0) >= 2, client.hgetall(RESULTS_KEY)
            assert client.hlen(RESULTS_KEY) == 1
            assert client.llen(QUEUE) == 1  # still queued once the worker has stopped
            assert ctx.store.fences.current("a") == 0
        finally:
            client.close()
            ctx.close()
