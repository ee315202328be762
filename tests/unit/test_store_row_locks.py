"""Read-then-write transactions beside a concurrent writer, on PostgreSQL.

PostgreSQL's READ COMMITTED lets another transaction commit between a read and the write built on
it; SQLite's ``BEGIN IMMEDIATE`` serialises writers, so these races exist on PostgreSQL only. Each
test makes the other writer act in the middle of the transaction under test, and lets it run to
the end or until it waits for a row lock, whichever comes first.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from store_backends import open_store

from erpsync.core.ports import TokenRecord
from erpsync.core.secrets import KEYS_ENV, Cipher, new_key
from erpsync.core.store import OutboxItem, Store

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store("postgresql", tmp_path) as s:
        yield s


def meanwhile(store: Store, write: Callable[[], object]) -> threading.Thread:
    """Start ``write`` in another thread; return once it ended or waits for a lock (give up after 10 s)."""
    thread = threading.Thread(target=write)
    thread.start()
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + 10
    with store.engine.connect() as conn:
        while thread.is_alive() and time.monotonic() < deadline:
            if conn.execute(waiting).scalar_one():
                break
            conn.rollback()
            time.sleep(0.02)
    return thread


def token(access: str, refresh: str) -> TokenRecord:
    return TokenRecord(access, T0 + timedelta(days=7), refresh, T0 + timedelta(days=30), "oid", "s", "MY")


def test_a_refresh_during_a_key_rotation_is_kept(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEYS_ENV, raising=False)
    store.tokens.put("acme", token("access-OLD", "refresh-OLD"), now=T0)  # plain text: no key yet
    monkeypatch.setenv(KEYS_ENV, new_key())
    rotate, refreshes = Cipher.rotate, []

    def rotate_while_refreshing(self: Cipher, value: str, *, what: str) -> str:
        if not refreshes:  # the connector refreshes the shop's tokens while the rotation reads them
            refresh = lambda: store.tokens.put("acme", token("access-NEW", "refresh-NEW"), now=T0)  # noqa: E731
            refreshes.append(meanwhile(store, refresh))
        return rotate(self, value, what=what)

    monkeypatch.setattr(Cipher, "rotate", rotate_while_refreshing)
    store.tokens.rotate(now=T0)
    refreshes[0].join(10)
    got = store.tokens.get("acme")
    assert got is not None and (got.access_token, got.refresh_token) == ("access-NEW", "refresh-NEW")


def test_an_alert_delivered_while_it_expires_stays_delivered(store: Store) -> None:
    store.outbox.add([OutboxItem("late", "hook", {"message": "m"})], now=T0)
    delivered: list[threading.Thread] = []

    def deliver_first(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("UPDATE alert_outbox") and "expired" in str(args) and not delivered:
            deliver = lambda: store.outbox.mark_delivered("late", now=T0, answer="ok")  # noqa: E731
            delivered.append(meanwhile(store, deliver))

    event.listen(store.engine, "before_cursor_execute", deliver_first)
    try:
        gone = store.outbox.expire(now=T0 + timedelta(hours=73), older_than=timedelta(hours=72))
    finally:
        event.remove(store.engine, "before_cursor_execute", deliver_first)
    assert delivered and not delivered[0].is_alive()
    assert gone == []
    row = store.outbox.get("late")
    assert row is not None and row.status == "delivered"
