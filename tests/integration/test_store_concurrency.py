"""Several OS processes on one state database: leases exclude, the ledger never duplicates.

Processes, not threads: that is how a cron run and an operator's manual run meet, and only separate
processes exercise SQLite's file locking, the busy timeout and WAL. Each worker opens its own Store
and waits at a barrier so the calls really race. On SQLite, and on PostgreSQL (row locks and
``ON CONFLICT`` instead of one writer at a time) when ``ERPSYNC_TEST_POSTGRES_URL`` names one.
"""

from __future__ import annotations

import multiprocessing as mp
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from service_servers import empty_postgres, postgres_configured

from erpsync.core.errors import LockedError
from erpsync.core.store import Store

pytestmark = pytest.mark.integration

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
ROUNDS = 20
CTX = mp.get_context("spawn")  # fresh interpreters: nothing shared but the database
#: seconds a worker waits at the barrier: spawned interpreters start seconds apart on a loaded
#: machine, so this only ends a hang
BARRIER_WAIT = 120
BACKENDS = ["sqlite"] + (["postgresql"] if postgres_configured() else [])


def _lease_worker(url: str, owner: str, barrier: Any, results: Any) -> None:
    try:
        with Store.open(url) as store:
            for i in range(ROUNDS):
                barrier.wait(timeout=BARRIER_WAIT)
                won = store.leases.acquire(f"shop:{i}", owner=owner, ttl_seconds=600, now=T0)
                results.put(("acquire", i, owner, won))
            barrier.wait(timeout=BARRIER_WAIT)
            try:
                # a new run in this process has a new owner token, so it is refused like any other
                with store.leases.hold("shop:0", owner=f"{owner}-next", ttl_seconds=600, clock=lambda: T0):
                    results.put(("context", 0, owner, True))
            except LockedError as exc:
                results.put(("context", 0, owner, str(exc)))
    except BaseException:
        results.put(("error", -1, owner, traceback.format_exc()))


def _ledger_worker(url: str, worker: int, keys: int, barrier: Any, results: Any) -> None:
    try:
        with Store.open(url) as store:
            for k in range(keys):
                barrier.wait(timeout=BARRIER_WAIT)
                entry = store.ledger.begin(
                    f"key-{k}",
                    shop="acme",
                    aspect="warehouse_address",
                    kind="set_address",
                    target="erp",
                    subject=f"WH-{k}",
                    payload={"worker": worker},
                    run_id=f"run-{worker}",
                    now=T0,
                )
                results.put(("begin", k, worker, (entry.status, entry.attempts)))
    except BaseException:
        results.put(("error", -1, worker, traceback.format_exc()))


def _run(target: Any, args_per_process: list[tuple[Any, ...]], expected: int) -> list[tuple[Any, ...]]:
    """Start one process per args tuple (barrier and queue appended), collect ``expected`` results."""
    barrier = CTX.Barrier(len(args_per_process))
    results = CTX.Queue()
    procs = [CTX.Process(target=target, args=(*a, barrier, results)) for a in args_per_process]
    for p in procs:
        p.start()
    try:
        out = []
        for _ in range(expected):
            item = results.get(timeout=120)
            assert item[0] != "error", item[3]
            out.append(item)
    finally:
        for p in procs:
            p.join(timeout=60)
            if p.is_alive():
                p.kill()
    assert all(p.exitcode == 0 for p in procs)
    return out


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database without tables: a new SQLite file (its folder too), or the emptied test PostgreSQL."""
    return f"sqlite:///{tmp_path}/fresh/state.db" if request.param == "sqlite" else empty_postgres()


def test_two_processes_one_shop_lease_exactly_one_wins(url: str) -> None:
    Store.open(url).close()  # schema created once; workers also race on opening, which must be fine
    results = _run(_lease_worker, [(url, "proc-a"), (url, "proc-b")], expected=2 * ROUNDS + 2)

    for i in range(ROUNDS):
        won = [owner for kind, n, owner, ok in results if kind == "acquire" and n == i and ok]
        assert len(won) == 1, f"round {i}: winners {won}"
    with Store.open(url) as store:
        for i in range(ROUNDS):
            holder = store.leases.get(f"shop:{i}")
            assert holder is not None and holder.fence == 1
            assert holder.owner in {o for k, n, o, ok in results if k == "acquire" and n == i and ok}

    # shop:0 is still held by its round winner, so both next runs are refused with a clear error
    winner = next(o for k, n, o, ok in results if k == "acquire" and n == 0 and ok)
    refusals = [outcome for kind, _, _, outcome in results if kind == "context"]
    assert len(refusals) == 2
    for message in refusals:
        assert isinstance(message, str), "lease() must refuse while another process holds the lease"
        assert f"held by {winner} until 2025-03-01 08:10:00 UTC" in message and "--wait" in message


def test_processes_racing_on_ledger_begin_never_duplicate(url: str) -> None:
    # a database without tables: opening races on creating the schema too
    workers, keys = 6, 10
    results = _run(_ledger_worker, [(url, w, keys) for w in range(workers)], expected=workers * keys)

    for k in range(keys):
        seen = sorted(attempts for kind, n, _, (status, attempts) in results if n == k)
        assert seen == list(range(1, workers + 1)), f"key-{k}: attempts {seen}"
        assert all(status == "pending" for kind, n, _, (status, _a) in results if n == k)
    with Store.open(url) as store:
        entries = store.ledger.list_entries()
        assert len(entries) == keys
        assert {e.attempts for e in entries} == {workers}
