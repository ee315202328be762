"""Several OS processes noting the same webhook ids, or keeping the same bodies, at once.

Webhook delivery is at-least-once and a redelivery can reach a second receiver process while the
first is still handling it; the notifications table's primary key must let exactly one of them
win, and a body kept by several at once must be one row counting every delivery. Processes, not
threads, as in ``test_store_concurrency.py``: only they exercise SQLite's file locking. On
PostgreSQL too when ``ERPSYNC_TEST_POSTGRES_URL`` names one.
"""

from __future__ import annotations

import multiprocessing as mp
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from service_servers import empty_postgres, postgres_configured

from erpsync.core.store import Store

pytestmark = pytest.mark.integration

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
IDS = 25
CTX = mp.get_context("spawn")
#: seconds a worker waits at the barrier: spawned interpreters start seconds apart on a loaded
#: machine, so this only ends a hang
BARRIER_WAIT = 120
BACKENDS = ["sqlite"] + (["postgresql"] if postgres_configured() else [])


def _worker(url: str, worker: int, barrier: Any, results: Any) -> None:
    try:
        with Store.open(url) as store:
            for i in range(IDS):
                barrier.wait(timeout=BARRIER_WAIT)
                first = store.notifications.record(f"tts-{i}", source="tiktok", now=T0)
                results.put((i, worker, first))
                barrier.wait(timeout=BARRIER_WAIT)
                kept = store.notifications.keep("tiktok", f"body-{i}".encode(), f"worker {worker}", T0, key=f"k-{i}")
                results.put((IDS + i, worker, kept))
    except BaseException:
        results.put((-1, worker, traceback.format_exc()))


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database without tables (opening races on creating the schema too): a new SQLite file, or
    the emptied test PostgreSQL."""
    return f"sqlite:///{tmp_path}/new/state.db" if request.param == "sqlite" else empty_postgres()


def test_processes_racing_on_the_same_notification_ids(url: str) -> None:
    workers = 4
    barrier = CTX.Barrier(workers)
    results = CTX.Queue()
    procs = [CTX.Process(target=_worker, args=(url, w, barrier, results)) for w in range(workers)]
    for p in procs:
        p.start()
    try:
        out = []
        for _ in range(workers * IDS * 2):
            item = results.get(timeout=120)
            assert item[0] != -1, item[2]
            out.append(item)
    finally:
        for p in procs:
            p.join(timeout=60)
            if p.is_alive():
                p.kill()
    assert all(p.exitcode == 0 for p in procs)
    for i in range(2 * IDS):
        firsts = [w for n, w, first in out if n == i and first]
        assert len(firsts) == 1, f"{'tts' if i < IDS else 'body'}-{i % IDS}: first for workers {firsts}"
    with Store.open(url) as store:
        assert not store.notifications.record("tts-0", source="tiktok", now=T0)
        kept = store.notifications.list_kept(limit=10 * IDS)
        assert sorted(k.raw_body for k in kept) == sorted(f"body-{i}".encode() for i in range(IDS))
        assert all(k.deliveries == workers for k in kept)
