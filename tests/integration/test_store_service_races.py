"""Several OS processes racing on the service's store verbs: each decision is made once.

- ``notifications.claim``: of the deliveries of one id racing, exactly one is "claimed"; after
  it ``record``s, every other is "handled".
- ``sync_requests.take``: takers draining one queue never get the same request twice.
- ``fences.advance``: no two callers get the same epoch.
- ``outbox.add``: the same alert added by several processes is written (reported new) once.

Processes with their own Store each, meeting at a barrier, as in ``test_store_concurrency.py``; on
SQLite, and on PostgreSQL when ``ERPSYNC_TEST_POSTGRES_URL`` names one.
"""

from __future__ import annotations

import multiprocessing as mp
import traceback
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from service_servers import empty_postgres, postgres_configured

from erpsync.core.store import OutboxItem, Store

pytestmark = pytest.mark.integration

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
WORKERS = 4
ROUNDS = 15
CTX = mp.get_context("spawn")
#: seconds a worker waits at the barrier: spawned interpreters start seconds apart on a loaded
#: machine, so this only ends a hang
BARRIER_WAIT = 120
BACKENDS = ["sqlite"] + (["postgresql"] if postgres_configured() else [])


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with the schema created: a new SQLite file, or the emptied test PostgreSQL."""
    found = f"sqlite:///{tmp_path}/state.db" if request.param == "sqlite" else empty_postgres()
    Store.open(found).close()
    return found


def _claims(store: Store, worker: int, barrier: Any, results: Any) -> None:
    for i in range(ROUNDS):
        barrier.wait(timeout=BARRIER_WAIT)
        got = store.notifications.claim(f"n-{i}", source="tiktok", owner=f"w{worker}", now=T0, ttl_seconds=600)
        if got == "claimed":
            store.notifications.record(f"n-{i}", source="tiktok", now=T0)
        results.put(("claim", i, worker, got))
        barrier.wait(timeout=BARRIER_WAIT)
        again = store.notifications.claim(f"n-{i}", source="tiktok", owner=f"x{worker}", now=T0, ttl_seconds=600)
        results.put(("again", i, worker, again))


def _take(store: Store, worker: int, barrier: Any, results: Any) -> None:
    # all takers meet before every take: one that started first cannot drain the queue alone
    # (15 rounds of 4 takers of 2 have room for the 80 requests; the last rounds find none)
    for _ in range(ROUNDS):
        barrier.wait(timeout=BARRIER_WAIT)
        for request in store.sync_requests.take(now=T0, limit=2):
            results.put(("take", request.id, worker, request.shop))


def _advance(store: Store, worker: int, barrier: Any, results: Any) -> None:
    for i in range(ROUNDS):
        barrier.wait(timeout=BARRIER_WAIT)
        results.put(("advance", i, worker, store.fences.advance("acme", now=T0)))


def _outbox(store: Store, worker: int, barrier: Any, results: Any) -> None:
    for i in range(ROUNDS):
        barrier.wait(timeout=BARRIER_WAIT)
        item = OutboxItem(f"alrt-{i}", "log", {"n": i, "by": worker})
        results.put(("outbox", i, worker, store.outbox.add([item], now=T0)))


TASKS = {"claims": _claims, "take": _take, "advance": _advance, "outbox": _outbox}


def _worker(task: str, url: str, worker: int, barrier: Any, results: Any) -> None:
    try:
        with Store.open(url) as store:
            TASKS[task](store, worker, barrier, results)
        results.put(("end", -1, worker, None))
    except BaseException:
        results.put(("error", -1, worker, traceback.format_exc()))


def _race(task: str, url: str) -> list[tuple[Any, ...]]:
    """Run ``task`` in ``WORKERS`` processes at once; everything they reported until each ended."""
    barrier = CTX.Barrier(WORKERS)
    results = CTX.Queue()
    procs = [CTX.Process(target=_worker, args=(task, url, w, barrier, results)) for w in range(WORKERS)]
    for p in procs:
        p.start()
    out: list[tuple[Any, ...]] = []
    try:
        ended = 0
        while ended < WORKERS:
            item = results.get(timeout=120)
            assert item[0] != "error", item[3]
            if item[0] == "end":
                ended += 1
            else:
                out.append(item)
    finally:
        for p in procs:
            p.join(timeout=60)
            if p.is_alive():
                p.kill()
    assert all(p.exitcode == 0 for p in procs)
    return out


def test_racing_deliveries_of_one_id_are_claimed_once_then_handled(url: str) -> None:
    out = _race("claims", url)
    for i in range(ROUNDS):
        first = Counter(got for kind, n, _, got in out if kind == "claim" and n == i)
        assert first["claimed"] == 1 and first["claimed"] + first["busy"] + first["handled"] == WORKERS, (i, first)
        assert {got for kind, n, _, got in out if kind == "again" and n == i} == {"handled"}


def test_takers_never_share_a_request(url: str) -> None:
    with Store.open(url) as store:
        for s in range(40):
            store.sync_requests.add(
                f"shop-{s}", ["tracking", "pickup"], reason="webhook", now=T0 + timedelta(seconds=s)
            )
        expected = {r.id for r in store.sync_requests.pending()}
    assert len(expected) == 80
    out = _race("take", url)
    ids = [n for _, n, _, _ in out]
    assert sorted(ids) == sorted(expected)  # every request taken, none twice
    assert len({w for _, _, w, _ in out}) > 1, "one taker drained the queue alone: no race happened"
    with Store.open(url) as store:
        assert store.sync_requests.pending() == []


def test_advancing_one_fence_at_once_never_repeats_an_epoch(url: str) -> None:
    out = _race("advance", url)
    assert sorted(epoch for *_, epoch in out) == list(range(1, WORKERS * ROUNDS + 1))
    with Store.open(url) as store:
        assert store.fences.current("acme") == WORKERS * ROUNDS


def test_the_same_alert_added_at_once_is_written_once(url: str) -> None:
    out = _race("outbox", url)
    for i in range(ROUNDS):
        assert sum(len(new) for kind, n, _, new in out if n == i) == 1, i
    with Store.open(url) as store:
        assert len(store.outbox.all_pending()) == ROUNDS
