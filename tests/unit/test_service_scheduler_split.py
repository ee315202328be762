"""Processes that split the shops between them (``erpsync run --shop A``, ``--shop B``) over one
state store: each takes only the sync requests of the shops and aspects it runs."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from test_service_scheduler import SHOP

from erpsync.service.jobs import JobContext
from erpsync.service.scheduler import EmbeddedScheduler

ASPECTS = 'aspects = ["tracking", "pickup"]'


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "erpsync.toml"
    path.write_text(SHOP.format(name="a", aspects=ASPECTS) + SHOP.format(name="b", aspects=ASPECTS), encoding="utf-8")
    return path


def _answered(scheduler: EmbeddedScheduler, jobs: int) -> list[tuple[str, str, str]]:
    """The (shop, aspect, status) of the scheduler's first ``jobs`` jobs, once they ended."""
    for _ in range(200):
        if scheduler.counts.total() >= jobs:
            return sorted((r.shop, r.aspect, r.status) for r in scheduler.recent)
        time.sleep(0.05)
    raise AssertionError(f"{jobs} job(s) did not end: {scheduler.counts}")


def test_each_process_takes_only_the_requests_of_the_shops_and_aspects_it_runs(config: Path) -> None:
    """A process that took every request dropped those of the other process's shops, which then never ran."""
    runs_a, runs_b = JobContext.open(config), JobContext.open(config)  # two processes, one store
    try:
        now = datetime.now(UTC)
        for shop in ("a", "b"):  # a paused shop's job ends at once, without HTTP, and answers its request
            runs_a.store.shop_pauses.pause(shop, reason="held for the test", now=now)
        runs_a.store.sync_requests.add("b", ["tracking", "pickup"], reason="webhook for b", now=now)
        runs_a.store.sync_requests.add("a", ["tracking"], reason="webhook for a", now=now + timedelta(seconds=1))
        shop_a = EmbeddedScheduler(runs_a, shops=["a"])
        b_tracking = EmbeddedScheduler(runs_b, shops=["b"], aspects=["tracking"])
        try:
            assert shop_a.take_requests() == 1
            assert _answered(shop_a, 1) == [("a", "tracking", "skipped")]
            pending = runs_b.store.sync_requests.pending()
            assert [(r.shop, r.aspect, r.reason) for r in pending] == [
                ("b", "tracking", "webhook for b"),
                ("b", "pickup", "webhook for b"),
            ]
            assert b_tracking.take_requests() == 1
            assert _answered(b_tracking, 1) == [("b", "tracking", "skipped")]
            assert [(r.shop, r.aspect) for r in runs_b.store.sync_requests.pending()] == [("b", "pickup")]
        finally:
            shop_a.shutdown(wait=True)
            b_tracking.shutdown(wait=True)
        assert [(r.shop, r.aspect) for r in runs_a.store.sync_requests.pending()] == [("b", "pickup")]
    finally:
        runs_a.close()
        runs_b.close()
