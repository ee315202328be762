"""Store schema v3: webhook bodies kept for inspection, and the in-place upgrade of a v2 database."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from store_backends import BACKENDS, open_store

from erpsync.core.ports import KeptNotification, NotificationLog
from erpsync.core.store import SCHEMA_VERSION, Store

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

#: the DDL a version-2 store wrote, dumped from ``sqlite_master`` of a real v2 file (v1 tables shortened
#: to the ones the upgrade must leave alone and this test reads back)
V2_SCHEMA = """
CREATE TABLE schema_version (version INTEGER NOT NULL, installed_at DATETIME NOT NULL, PRIMARY KEY (version));
CREATE TABLE runs (id VARCHAR(64) NOT NULL, started_at DATETIME NOT NULL, finished_at DATETIME,
    apply BOOLEAN NOT NULL, shops JSON NOT NULL, status VARCHAR(32) NOT NULL, summary JSON, PRIMARY KEY (id));
CREATE INDEX ix_runs_started_at ON runs (started_at);
CREATE TABLE tokens (shop VARCHAR(255) NOT NULL, access_token TEXT NOT NULL,
    access_token_expires_at DATETIME NOT NULL, refresh_token TEXT NOT NULL,
    refresh_token_expires_at DATETIME NOT NULL, open_id VARCHAR(255) NOT NULL, seller_name VARCHAR(255) NOT NULL,
    seller_base_region VARCHAR(16) NOT NULL, granted_scopes JSON NOT NULL, last_refresh_at DATETIME,
    updated_at DATETIME NOT NULL, PRIMARY KEY (shop));
CREATE TABLE notifications (source VARCHAR(64) NOT NULL, notification_id VARCHAR(255) NOT NULL,
    received_at DATETIME NOT NULL, PRIMARY KEY (source, notification_id));
CREATE INDEX ix_notifications_received_at ON notifications (received_at);
INSERT INTO schema_version VALUES (2, '2025-02-01 00:00:00.000000');
INSERT INTO runs VALUES ('old-run', '2025-01-01 00:00:00.000000', NULL, 0, '["acme"]', 'running', NULL);
INSERT INTO notifications VALUES ('tiktok', 'N-old', '2025-02-01 00:00:00.000000');
"""


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store on SQLite, and on PostgreSQL when one is configured (``store_backends``)."""
    with open_store(request.param, tmp_path) as s:
        yield s


def test_the_notifications_repository_implements_the_port(store: Store) -> None:
    assert isinstance(store.notifications, NotificationLog)


def test_keep_unparsed_once_per_body_and_source(store: Store) -> None:
    body = b'{"type": 99, "data": {}}'
    assert store.notifications.keep("tiktok", body, "type 99 unknown", T0)
    later = T0 + timedelta(minutes=2)
    assert not store.notifications.keep("tiktok", body, "still unknown", later, key="N9")
    assert store.notifications.keep("other", body, "elsewhere", T0)  # another source is another row
    assert store.notifications.keep("tiktok", body + b" ", "other bytes", T0)
    (kept,) = [k for k in store.notifications.list_kept(source="tiktok") if k.raw_body == body]
    assert kept == KeptNotification(
        id=kept.id,
        source="tiktok",
        body_sha256=hashlib.sha256(body).hexdigest(),
        raw_body=body,
        reason="still unknown",  # the latest reason
        first_seen_at=T0,
        last_seen_at=later,
        deliveries=2,
        key="N9",  # learnt on the second delivery
        handled=False,
    )
    assert body.decode() not in repr(kept)  # bodies may hold buyer data: shown on purpose only


def test_the_first_key_known_is_kept(store: Store) -> None:
    store.notifications.keep("tiktok", b"x", "r", T0, key="N1")
    store.notifications.keep("tiktok", b"x", "r", T0, key="N2")
    store.notifications.keep("tiktok", b"x", "r", T0)
    assert [k.key for k in store.notifications.list_kept()] == ["N1"]


def test_bodies_are_kept_byte_for_byte_and_reasons_are_bounded(store: Store) -> None:
    body = b"\xff\xfe\x00 not utf-8 \r\n" + bytes(range(256))
    store.notifications.keep("tiktok", body, "x" * 10_000, T0)
    (kept,) = store.notifications.list_kept()
    assert kept.raw_body == body and len(kept.reason) == 2000
    store.notifications.keep("tiktok", b"", "", T0)  # an empty body is a body too
    newest = store.notifications.list_kept()[0]  # same time: the later row first
    assert (newest.raw_body, newest.reason) == (b"", "no reason given")
    with pytest.raises(Exception, match="naive datetime"):
        store.notifications.keep("tiktok", b"y", "r", datetime(2025, 1, 1))


def test_listing_order_filter_limit_and_handled(store: Store) -> None:
    for i in range(5):
        store.notifications.keep("tiktok", f"body-{i}".encode(), f"r{i}", T0 + timedelta(minutes=i), key=f"N{i}")
    store.notifications.keep("other", b"body-x", "rx", T0 + timedelta(hours=1))
    assert [k.reason for k in store.notifications.list_kept()] == ["rx", "r4", "r3", "r2", "r1", "r0"]
    assert [k.reason for k in store.notifications.list_kept(source="tiktok", limit=2)] == ["r4", "r3"]
    store.notifications.keep("tiktok", b"body-0", "r0 again", T0 + timedelta(hours=2), key="N0")
    assert store.notifications.list_kept(source="tiktok", limit=1)[0].reason == "r0 again"  # most recently seen
    # a later delivery of N2 was handled: the kept row needs no attention any more
    assert store.notifications.record("N2", source="tiktok", now=T0 + timedelta(hours=3))
    assert store.notifications.record("N3", source="other", now=T0)  # another source's id clears nothing
    assert [k.key for k in store.notifications.list_kept(source="tiktok")] == ["N0", "N4", "N3", "N1"]
    everything = store.notifications.list_kept(source="tiktok", include_handled=True)
    assert [(k.key, k.handled) for k in everything] == [
        ("N0", False),
        ("N4", False),
        ("N3", False),
        ("N2", True),
        ("N1", False),
    ]


def _v2_file(path: Path) -> str:
    conn = sqlite3.connect(path)
    conn.executescript(V2_SCHEMA)
    conn.close()
    return f"sqlite:///{path}"


def test_v2_database_is_upgraded_in_place(tmp_path: Path) -> None:
    assert SCHEMA_VERSION >= 3
    url = _v2_file(tmp_path / "v2.db")
    with Store.open(url) as s:
        with s.engine.connect() as conn:
            assert conn.execute(text("SELECT version FROM schema_version")).scalars().all() == [SCHEMA_VERSION]
            tables = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))}
        assert "kept_notifications" in tables
        # v2 data is untouched and still usable
        assert [r.id for r in s.runs.list_recent()] == ["old-run"]
        assert s.notifications.has("N-old", source="tiktok")
        assert not s.notifications.record("N-old", source="tiktok", now=T0)
        assert s.notifications.keep("tiktok", b"{", "not JSON", T0)
    with Store.open(url) as s:  # reopening an upgraded file is a no-op
        assert [k.raw_body for k in s.notifications.list_kept()] == [b"{"]
        with s.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM schema_version")).scalar() == 1


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    url = _v2_file(tmp_path / "v2.db")
    with sqlite3.connect(tmp_path / "v2.db") as conn:
        conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(Exception, match=f"schema version {SCHEMA_VERSION + 1}"):
        Store.open(url)
