"""The one webhook task per shop and aspect that waits to run the aspect again (``task_rerun``),
against a real redis-server (started by the test, no worker)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from service_servers import redis_server

from erpsync.service.task_rerun import RERUN_PREFIX, Rerun, retry_countdown, seconds_left

redis = pytest.importorskip("redis")

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with redis_server() as url:
        c = redis.Redis.from_url(url)
        yield c
        c.close()


def test_the_first_task_waits_the_others_are_merged_and_a_started_run_answers_it(client):
    rerun = Rerun(client, "s1", "tracking")
    assert rerun.wait("task-1", ttl_seconds=300)
    assert rerun.wait("task-1", ttl_seconds=300)  # its own retry keeps it named
    assert not rerun.wait("task-2", ttl_seconds=300)  # merged into task-1
    assert not Rerun(client, "s1", "pickup").waiting("task-1")  # per aspect
    assert 299 <= client.ttl(RERUN_PREFIX + "s1:tracking") <= 301  # gone by the waiting task's expiry
    rerun.started()  # a run of the aspect took the shop's lock
    assert not rerun.waiting("task-1")  # answered: it started after task-1 began waiting
    assert rerun.wait("task-3", ttl_seconds=300)  # asked during that run: waits for its end


def test_only_the_task_named_clears_the_key_when_it_gives_up(client):
    rerun = Rerun(client, "s2", "tracking")
    assert rerun.wait("task-1", ttl_seconds=60)
    rerun.give_up("task-2")
    assert rerun.waiting("task-1")
    rerun.give_up("task-1")
    assert client.get(RERUN_PREFIX + "s2:tracking") is None


def test_seconds_left_reads_a_workers_iso_text_and_a_datetime():
    assert seconds_left(None, now=NOW) is None
    assert seconds_left((NOW + timedelta(seconds=90)).isoformat(), now=NOW) == 90
    assert seconds_left(NOW - timedelta(seconds=5), now=NOW) == -5
    assert seconds_left("2026-03-01T12:01:00", now=NOW) == 60  # naive text is UTC


def test_retry_countdowns_stay_within_a_third_of_the_lock():
    assert all(1.0 <= retry_countdown(300) <= 10.0 for _ in range(100))
    assert all(retry_countdown(3) == 1.0 for _ in range(10))
