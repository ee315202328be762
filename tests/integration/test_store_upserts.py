"""Insert-or-replace under contention: every ``put`` is one ``ON CONFLICT`` statement.

Threads of one process race on keys nobody has written yet, the case where an update-then-insert
lets two PostgreSQL transactions both take the insert branch and one fail on the unique key.
SQLite always runs; PostgreSQL too when ``ERPSYNC_TEST_POSTGRES_URL`` names a database the test
may empty (e.g. ``postgresql+psycopg://erpsync:erpsync@localhost/erpsync_test``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from service_servers import empty_postgres, postgres_configured
from sqlalchemy import func, select

from erpsync.core.ports import TokenRecord
from erpsync.core.store import Store
from erpsync.core.store import schema as tables

pytestmark = pytest.mark.integration

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
THREADS, KEYS = 8, 15
URLS = ["sqlite"] + (["postgresql"] if postgres_configured() else [])


@pytest.fixture(params=URLS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path}/state.db" if request.param == "sqlite" else empty_postgres()
    s = Store.open(url)
    yield s
    s.close()


def race(work: Callable[[int, int], object]) -> None:
    """Run ``work(thread, key)`` for every key in every thread, all threads starting together."""
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def worker(t: int) -> None:
        try:
            for k in range(KEYS):
                barrier.wait(timeout=30)
                work(t, k)
        except BaseException as exc:  # reported below, with the thread's own traceback
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=120)
    if errors:
        raise errors[0]


def rows(store: Store, table: tables.Table) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_cursors_bindings_and_tokens_never_collide(store: Store) -> None:
    def put(t: int, k: int) -> None:
        store.cursors.put("acme", f"s{k}", f"{t}", now=T0)
        store.bindings.put("acme", "product", f"E{k}", seller_id=f"{t}", last_pushed_hash=None, now=T0)
        token = TokenRecord(f"a{t}", T0 + timedelta(hours=1), f"r{t}", T0 + timedelta(days=1))
        store.tokens.put(f"shop{k}", token, now=T0)

    race(put)
    assert rows(store, tables.cursors) == rows(store, tables.bindings) == rows(store, tables.tokens) == KEYS
    for k in range(KEYS):
        cursor = store.cursors.get("acme", f"s{k}")
        binding = store.bindings.get("acme", "product", f"E{k}")
        token = store.tokens.get(f"shop{k}")
        assert binding is not None and token is not None and cursor is not None
        assert binding.seller_id in {str(t) for t in range(THREADS)}
        assert token.access_token == f"a{token.refresh_token[1:]}"  # one writer's record, whole


def test_ids_kept_bodies_observations_and_leases_decide_once(store: Store) -> None:
    firsts: list[tuple[str, int]] = []
    changed: list[datetime | None] = []
    lock = threading.Lock()

    def work(t: int, k: int) -> None:
        first_id = store.notifications.record(f"N{k}", source="tiktok", now=T0)
        first_body = store.notifications.keep("tiktok", f"body {k}".encode(), f"thread {t}", T0, key=f"K{k}")
        seen = store.observations.record("acme", f"o{k}", "fp", now=T0)
        leased = store.leases.acquire(f"shop:{k}", owner=f"t{t}", ttl_seconds=60, now=T0)
        with lock:
            firsts.extend([("id", k)] * first_id + [("body", k)] * first_body + [("lease", k)] * leased)
            changed.append(seen.changed_at)

    race(work)
    assert sorted(firsts) == sorted((kind, k) for kind in ("id", "body", "lease") for k in range(KEYS))
    assert set(changed) == {None}  # the same fingerprint every time: never "changed"
    kept = store.notifications.list_kept(limit=10 * KEYS)
    assert len(kept) == KEYS and {k.deliveries for k in kept} == {THREADS}


def test_ledger_begin_counts_every_racing_attempt(store: Store) -> None:
    def begin(t: int, k: int) -> None:
        store.ledger.begin(
            f"key-{k}",
            shop="acme",
            aspect="warehouse_address",
            kind="set_fields",
            target="erp",
            subject="W1",
            payload={"thread": t},
            run_id=f"r{t}",
            now=T0,
        )

    race(begin)
    entries = store.ledger.list_entries()
    assert len(entries) == KEYS and {e.attempts for e in entries} == {THREADS}
