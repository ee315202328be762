"""Store schema v2: shop tokens (encrypted at rest with a key), handled webhook ids, the v1 upgrade."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from store_backends import BACKENDS, open_store

from erpsync.core.ports import NotificationLog, TokenRecord, TokenStore
from erpsync.core.secrets import ENCRYPTED_FLAG, KEYS_ENV, SecretKeyError, new_key
from erpsync.core.store import SCHEMA_VERSION, Store

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
ACCESS = "ROW_access-SECRET-0001"
REFRESH = "ROW_refresh-SECRET-0001"

#: the DDL a version-1 store wrote, dumped from ``sqlite_master`` of a real v1 file
V1_SCHEMA = """
CREATE TABLE schema_version (version INTEGER NOT NULL, installed_at DATETIME NOT NULL, PRIMARY KEY (version));
CREATE TABLE runs (id VARCHAR(64) NOT NULL, started_at DATETIME NOT NULL, finished_at DATETIME,
    apply BOOLEAN NOT NULL, shops JSON NOT NULL, status VARCHAR(32) NOT NULL, summary JSON, PRIMARY KEY (id));
CREATE INDEX ix_runs_started_at ON runs (started_at);
CREATE TABLE drifts (id INTEGER NOT NULL, fingerprint VARCHAR(64) NOT NULL, open_fingerprint VARCHAR(64),
    shop VARCHAR(255) NOT NULL, aspect VARCHAR(64) NOT NULL, kind VARCHAR(64) NOT NULL,
    subject VARCHAR(255) NOT NULL, field VARCHAR(255), seller_value TEXT, erp_value TEXT,
    severity VARCHAR(16) NOT NULL, message TEXT NOT NULL, opened_at DATETIME NOT NULL,
    last_seen_at DATETIME NOT NULL, resolved_at DATETIME, opened_run VARCHAR(64), resolved_run VARCHAR(64),
    PRIMARY KEY (id), CONSTRAINT uq_drifts_open_fingerprint UNIQUE (open_fingerprint));
CREATE INDEX ix_drifts_fingerprint ON drifts (fingerprint);
CREATE INDEX ix_drifts_scope ON drifts (shop, aspect, open_fingerprint);
CREATE TABLE ledger ("key" VARCHAR(128) NOT NULL, shop VARCHAR(255) NOT NULL, aspect VARCHAR(64) NOT NULL,
    kind VARCHAR(64) NOT NULL, target VARCHAR(32) NOT NULL, subject VARCHAR(255) NOT NULL, payload JSON NOT NULL,
    status VARCHAR(16) NOT NULL, attempts INTEGER NOT NULL, last_error TEXT, detail TEXT, run_id VARCHAR(64),
    created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL, PRIMARY KEY ("key"));
CREATE INDEX ix_ledger_shop_status ON ledger (shop, status);
CREATE TABLE locks (name VARCHAR(255) NOT NULL, owner VARCHAR(255) NOT NULL, acquired_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL, fence INTEGER NOT NULL, PRIMARY KEY (name));
CREATE TABLE cursors (shop VARCHAR(255) NOT NULL, stream VARCHAR(64) NOT NULL, position TEXT NOT NULL,
    updated_at DATETIME NOT NULL, PRIMARY KEY (shop, stream));
CREATE TABLE bindings (id INTEGER NOT NULL, shop VARCHAR(255) NOT NULL, entity VARCHAR(64) NOT NULL,
    erp_id VARCHAR(255) NOT NULL, seller_id VARCHAR(255), last_pushed_hash VARCHAR(128),
    updated_at DATETIME NOT NULL, PRIMARY KEY (id), CONSTRAINT uq_bindings_erp UNIQUE (shop, entity, erp_id));
CREATE INDEX ix_bindings_seller ON bindings (shop, entity, seller_id);
CREATE TABLE observations (shop VARCHAR(255) NOT NULL, "key" VARCHAR(255) NOT NULL,
    fingerprint VARCHAR(128) NOT NULL, first_seen_at DATETIME NOT NULL, changed_at DATETIME,
    last_seen_at DATETIME NOT NULL, PRIMARY KEY (shop, "key"));
INSERT INTO schema_version VALUES (1, '2025-01-01 00:00:00.000000');
INSERT INTO runs VALUES ('old-run', '2025-01-01 00:00:00.000000', NULL, 0, '["acme"]', 'running', NULL);
INSERT INTO observations VALUES ('acme', 'seller_address:W1', 'fp1', '2025-01-01 00:00:00.000000', NULL,
    '2025-01-01 00:00:00.000000');
"""


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store on SQLite, and on PostgreSQL when one is configured (``store_backends``)."""
    with open_store(request.param, tmp_path) as s:
        yield s


def token(access: str = ACCESS, refresh: str = REFRESH, **kw: object) -> TokenRecord:
    fields: dict = {
        "access_token": access,
        "access_token_expires_at": T0 + timedelta(days=7),
        "refresh_token": refresh,
        "refresh_token_expires_at": T0 + timedelta(days=60),
        "open_id": "open-1",
        "seller_name": "Demo Seller",
        "seller_base_region": "GB",
        "granted_scopes": ("seller.authorization.info", "seller.logistics"),
        **kw,
    }
    return TokenRecord(**fields)


def test_store_implements_the_ports(store: Store) -> None:
    assert isinstance(store.tokens, TokenStore) and isinstance(store.notifications, NotificationLog)


def test_put_get_replace_and_list(store: Store) -> None:
    assert store.tokens.get("acme") is None and store.tokens.list_shops() == []
    store.tokens.put("acme", token(), now=T0)
    assert store.tokens.get("acme") == token()
    got = store.tokens.get("acme")
    assert got is not None and got.access_token_expires_at.tzinfo is not None
    refreshed = token("ROW_access-2", last_refresh_at=T0 + timedelta(days=6), granted_scopes=())
    store.tokens.put("acme", refreshed, now=T0 + timedelta(days=6))
    assert store.tokens.get("acme") == refreshed
    store.tokens.put("globex", token("other"), now=T0)
    assert store.tokens.list_shops() == ["acme", "globex"]
    assert store.tokens.delete("globex") and not store.tokens.delete("globex")
    assert store.tokens.list_shops() == ["acme"]


def test_tokens_never_in_repr_or_error_text(store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    store.tokens.put("acme", token(), now=T0)
    texts = [str(store), repr(store)]
    with pytest.raises(Exception, match="naive datetime") as naive:
        store.tokens.put("acme", token(access_token_expires_at=datetime(2030, 1, 1)), now=T0)
    texts.append(str(naive.value))
    with store.engine.begin() as conn:  # break the table so the UPDATE fails inside the driver
        conn.execute(text("ALTER TABLE tokens RENAME TO tokens_gone"))
    with pytest.raises(DBAPIError) as broken:  # OperationalError on SQLite, ProgrammingError on PostgreSQL
        store.tokens.put("acme", token(), now=T0)
    texts += [str(broken.value), caplog.text]
    assert "tokens" in str(broken.value)  # the error is real, only the bound values are hidden
    for t in texts:
        assert ACCESS not in t and REFRESH not in t
    assert str(make_url(store.url).database) in repr(store)


def test_note_notification_is_true_once_per_source(store: Store) -> None:
    assert store.notifications.record("n-1", source="tiktok", now=T0)
    assert not store.notifications.record("n-1", source="tiktok", now=T0 + timedelta(minutes=2))
    assert store.notifications.record("n-1", source="other", now=T0)
    assert store.notifications.record("n-2", source="tiktok", now=T0)


def _v1_file(path: Path) -> str:
    conn = sqlite3.connect(path)
    conn.executescript(V1_SCHEMA)
    conn.close()
    return f"sqlite:///{path}"


def test_v1_database_is_upgraded_in_place(tmp_path: Path) -> None:
    url = _v1_file(tmp_path / "v1.db")
    with Store.open(url) as s:
        with s.engine.connect() as conn:
            assert conn.execute(text("SELECT version FROM schema_version")).scalars().all() == [SCHEMA_VERSION]
            tables = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))}
        assert {"tokens", "notifications", "kept_notifications"} <= tables
        # v1 data is untouched and still usable
        assert [r.id for r in s.runs.list_recent()] == ["old-run"]
        assert s.observations.record("acme", "seller_address:W1", "fp1", now=T0).changed_at is None
        s.tokens.put("acme", token(), now=T0)
        assert s.notifications.record("n-1", source="tiktok", now=T0)
    with Store.open(url) as s:  # reopening an upgraded file is a no-op
        assert s.tokens.get("acme") == token()
        with s.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM schema_version")).scalar() == 1


def test_has_notification_reads_without_recording(tmp_path):
    from datetime import UTC, datetime

    from erpsync.core.store import Store

    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    assert not store.notifications.has("N1", source="tiktok")
    assert not store.notifications.has("N1", source="tiktok")  # asking records nothing
    assert store.notifications.record("N1", source="tiktok", now=datetime(2026, 1, 1, tzinfo=UTC))
    assert store.notifications.has("N1", source="tiktok")
    assert not store.notifications.has("N1", source="other")
    store.close()


# -- encryption at rest (ERPSYNC_SECRET_KEYS) --------------------------------------------------

KEY_A, KEY_B = new_key(), new_key()


def raw_tokens(store: Store, shop: str) -> tuple[str, str]:
    """The two token columns as the database holds them."""
    with store.engine.connect() as conn:
        row = conn.execute(
            text("SELECT access_token, refresh_token FROM tokens WHERE shop = :shop"), {"shop": shop}
        ).one()
    return row[0], row[1]


def test_without_a_key_tokens_are_stored_as_they_are_and_said_not_encrypted(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEYS_ENV, raising=False)
    store.tokens.put("acme", token(), now=T0)
    assert raw_tokens(store, "acme") == (ACCESS, REFRESH)
    status = store.tokens.encryption()
    assert (status.marked, status.shops, status.plain, status.keys) == (False, 1, 1, 0)
    assert store.meta.get(ENCRYPTED_FLAG) is None


def test_with_a_key_tokens_are_encrypted_and_read_back(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEYS_ENV, KEY_A)
    store.tokens.put("acme", token(), now=T0)
    access, refresh = raw_tokens(store, "acme")
    assert access.startswith("fernet:") and refresh.startswith("fernet:")
    assert ACCESS not in access + refresh and REFRESH not in access + refresh
    assert store.tokens.get("acme") == token()
    assert store.meta.get(ENCRYPTED_FLAG) == "1"
    assert store.tokens.encryption().by_key == {1: 1}


def test_once_encrypted_a_missing_key_is_an_error_for_reads_and_writes(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEYS_ENV, KEY_A)
    store.tokens.put("acme", token(), now=T0)
    monkeypatch.delenv(KEYS_ENV)
    with pytest.raises(SecretKeyError, match=f"{KEYS_ENV} is not set"):
        store.tokens.get("acme")
    with pytest.raises(SecretKeyError, match=KEYS_ENV):
        store.tokens.put("globex", token("plain-would-leak"), now=T0)
    assert store.tokens.list_shops() == ["acme"]  # nothing written in plain text
    monkeypatch.setenv(KEYS_ENV, KEY_B)
    with pytest.raises(SecretKeyError, match="none of the 1 key") as wrong:
        store.tokens.get("acme")
    assert KEY_A not in str(wrong.value) and KEY_B not in str(wrong.value)
    assert store.tokens.encryption().unreadable == 1


def test_rotation_moves_every_token_to_the_newest_key(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEYS_ENV, raising=False)
    store.tokens.put("plain", token("P-access", "P-refresh"), now=T0)  # written before any key was set
    monkeypatch.setenv(KEYS_ENV, KEY_A)
    store.tokens.put("acme", token(), now=T0)
    monkeypatch.setenv(KEYS_ENV, f"{KEY_B},{KEY_A}")
    assert store.tokens.encryption().by_key == {2: 1}
    done = store.tokens.rotate(now=T0)
    assert (done.rotated, done.encrypted, done.current) == (1, 1, 0)
    again = store.tokens.rotate(now=T0)
    assert (again.rotated, again.encrypted, again.current) == (0, 0, 2)
    monkeypatch.setenv(KEYS_ENV, KEY_B)
    assert store.tokens.get("acme") == token() and store.tokens.get("plain") == token("P-access", "P-refresh")
    assert not raw_tokens(store, "plain")[0].startswith("P-")
    monkeypatch.setenv(KEYS_ENV, KEY_A)
    with pytest.raises(SecretKeyError, match="none of the 1 key"):
        store.tokens.get("acme")


def test_a_rotation_that_cannot_open_a_token_changes_nothing(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEYS_ENV, KEY_A)
    store.tokens.put("acme", token(), now=T0)
    monkeypatch.setenv(KEYS_ENV, KEY_B)  # A dropped too early
    store.tokens.put("globex", token("G-access"), now=T0)
    before = raw_tokens(store, "globex")
    with pytest.raises(SecretKeyError, match="shop 'acme'"):
        store.tokens.rotate(now=T0)
    assert raw_tokens(store, "globex") == before
    monkeypatch.delenv(KEYS_ENV)
    with pytest.raises(SecretKeyError, match="not set"):
        store.tokens.rotate(now=T0)


def test_the_note_for_check_and_auth_status(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEYS_ENV, raising=False)
    store.tokens.put("acme", token(), now=T0)
    note = store.tokens.encryption().note()
    assert note is not None and "not encrypted (1 shop(s)" in note and KEYS_ENV in note
    monkeypatch.setenv(KEYS_ENV, KEY_A)
    store.tokens.rotate(now=T0)
    assert store.tokens.encryption().note() is None
