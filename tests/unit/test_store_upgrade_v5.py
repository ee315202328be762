"""Store schema v5: the in-place upgrade of a version-4 database keeps its data and adds what v5 needs.

Version 5 adds an observation's previous value and when it was last seen, a drift's ``details``
(its texts for people), and the ``pickup_confirmations`` table.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from service_servers import empty_postgres, postgres_configured
from sqlalchemy import inspect, text

from erpsync.core.models import Drift, Severity, Texts
from erpsync.core.ports import Sighting
from erpsync.core.store import SCHEMA_VERSION, Store

T0 = datetime(2025, 9, 20, 2, 0, tzinfo=UTC)
V4_FIRST = datetime(2025, 9, 1, tzinfo=UTC)
V4_CHANGED = datetime(2025, 9, 10, tzinfo=UTC)
V4_LAST = datetime(2025, 9, 11, tzinfo=UTC)

#: a drift a version-4 erpsync recorded (no identity, no texts)
OLD_DRIFT = Drift(
    shop="acme",
    aspect="pickup",
    kind="review_stuck",
    subject="W1",
    field="subscription_status",
    seller_value="pending_review",
    erp_value="PICK_UP",
    severity=Severity.CRITICAL,
    message="W1: pickup review pending for 30 h",
)

#: the DDL a version-4 store wrote, dumped from ``sqlite_master`` of a real v4 file
V4_SCHEMA = """
CREATE TABLE schema_version (version INTEGER NOT NULL, installed_at DATETIME NOT NULL, PRIMARY KEY (version));
CREATE TABLE runs (id VARCHAR(64) NOT NULL, started_at DATETIME NOT NULL, finished_at DATETIME, apply BOOLEAN
    NOT NULL, shops JSON NOT NULL, status VARCHAR(32) NOT NULL, summary JSON, host VARCHAR(255), pid INTEGER,
    heartbeat_at DATETIME, PRIMARY KEY (id));
CREATE INDEX ix_runs_started_at ON runs (started_at);
CREATE TABLE drifts (id INTEGER NOT NULL, fingerprint VARCHAR(64) NOT NULL, open_fingerprint VARCHAR(64), shop
    VARCHAR(255) NOT NULL, aspect VARCHAR(64) NOT NULL, kind VARCHAR(64) NOT NULL, subject VARCHAR(255) NOT
    NULL, field VARCHAR(255), seller_value TEXT, erp_value TEXT, severity VARCHAR(16) NOT NULL, message TEXT NOT
    NULL, opened_at DATETIME NOT NULL, last_seen_at DATETIME NOT NULL, resolved_at DATETIME, opened_run
    VARCHAR(64), resolved_run VARCHAR(64), PRIMARY KEY (id), CONSTRAINT uq_drifts_open_fingerprint UNIQUE
    (open_fingerprint));
CREATE INDEX ix_drifts_scope ON drifts (shop, aspect, open_fingerprint);
CREATE INDEX ix_drifts_fingerprint ON drifts (fingerprint);
CREATE TABLE ledger ("key" VARCHAR(128) NOT NULL, shop VARCHAR(255) NOT NULL, aspect VARCHAR(64) NOT NULL, kind
    VARCHAR(64) NOT NULL, target VARCHAR(32) NOT NULL, subject VARCHAR(255) NOT NULL, payload JSON NOT NULL,
    status VARCHAR(16) NOT NULL, attempts INTEGER NOT NULL, last_error TEXT, detail TEXT, run_id VARCHAR(64),
    created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL, PRIMARY KEY ("key"));
CREATE INDEX ix_ledger_shop_status ON ledger (shop, status);
CREATE TABLE locks (name VARCHAR(255) NOT NULL, owner VARCHAR(255) NOT NULL, acquired_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL, fence INTEGER NOT NULL, host VARCHAR(255), pid INTEGER, PRIMARY KEY (name));
CREATE TABLE cursors (shop VARCHAR(255) NOT NULL, stream VARCHAR(64) NOT NULL, position TEXT NOT NULL,
    updated_at DATETIME NOT NULL, PRIMARY KEY (shop, stream));
CREATE TABLE bindings (id INTEGER NOT NULL, shop VARCHAR(255) NOT NULL, entity VARCHAR(64) NOT NULL, erp_id
    VARCHAR(255) NOT NULL, seller_id VARCHAR(255), last_pushed_hash VARCHAR(128), updated_at DATETIME NOT NULL,
    PRIMARY KEY (id), CONSTRAINT uq_bindings_erp UNIQUE (shop, entity, erp_id));
CREATE INDEX ix_bindings_seller ON bindings (shop, entity, seller_id);
CREATE TABLE observations (shop VARCHAR(255) NOT NULL, "key" VARCHAR(255) NOT NULL, fingerprint VARCHAR(128) NOT
    NULL, first_seen_at DATETIME NOT NULL, changed_at DATETIME, last_seen_at DATETIME NOT NULL, PRIMARY KEY
    (shop, "key"));
CREATE TABLE tokens (shop VARCHAR(255) NOT NULL, access_token TEXT NOT NULL, access_token_expires_at DATETIME
    NOT NULL, refresh_token TEXT NOT NULL, refresh_token_expires_at DATETIME NOT NULL, open_id VARCHAR(255) NOT
    NULL, seller_name VARCHAR(255) NOT NULL, seller_base_region VARCHAR(16) NOT NULL, granted_scopes JSON NOT
    NULL, last_refresh_at DATETIME, updated_at DATETIME NOT NULL, PRIMARY KEY (shop));
CREATE TABLE notifications (source VARCHAR(64) NOT NULL, notification_id VARCHAR(255) NOT NULL, received_at
    DATETIME NOT NULL, PRIMARY KEY (source, notification_id));
CREATE INDEX ix_notifications_received_at ON notifications (received_at);
CREATE TABLE kept_notifications (id INTEGER NOT NULL, source VARCHAR(64) NOT NULL, body_sha256 VARCHAR(64) NOT
    NULL, raw_body BLOB NOT NULL, reason TEXT NOT NULL, "key" VARCHAR(255), deliveries INTEGER NOT NULL,
    first_seen_at DATETIME NOT NULL, last_seen_at DATETIME NOT NULL, PRIMARY KEY (id), CONSTRAINT
    uq_kept_notifications_body UNIQUE (source, body_sha256));
CREATE INDEX ix_kept_notifications_last_seen_at ON kept_notifications (last_seen_at);
INSERT INTO schema_version VALUES (4, '2025-09-01 00:00:00.000000');
INSERT INTO runs (id, started_at, apply, shops, status, host, pid)
    VALUES ('old-run', '2025-09-11 00:00:00.000000', 0, '["acme"]', 'drift', 'cron-host', 4242);
INSERT INTO locks VALUES ('shop:acme', 'old-run', '2025-09-11 00:00:00.000000', '2025-09-11 00:01:00.000000', 3,
    'cron-host', 4242);
INSERT INTO observations VALUES ('acme', 'seller_address_raw:W1', 'fp2', '2025-09-01 00:00:00.000000',
    '2025-09-10 00:00:00.000000', '2025-09-11 00:00:00.000000');
INSERT INTO drifts (fingerprint, open_fingerprint, shop, aspect, kind, subject, field, seller_value, erp_value,
    severity, message, opened_at, last_seen_at, opened_run)
    VALUES ('{fp}', '{fp}', 'acme', 'pickup', 'review_stuck', 'W1', 'subscription_status', 'pending_review',
    'PICK_UP', 'critical', 'W1: pickup review pending for 30 h', '2025-09-11 00:00:00.000000',
    '2025-09-11 00:00:00.000000', 'old-run');
"""


def _v4_file(path: Path) -> str:
    conn = sqlite3.connect(path)
    conn.executescript(V4_SCHEMA.replace("{fp}", OLD_DRIFT.fingerprint))
    conn.close()
    return f"sqlite:///{path}"


def _columns(store: Store, table: str) -> set[str]:
    with store.engine.connect() as conn:
        return {c["name"] for c in inspect(conn).get_columns(table)}


def test_v4_database_is_upgraded_in_place_and_keeps_its_data(tmp_path: Path) -> None:
    url = _v4_file(tmp_path / "v4.db")
    with Store.open(url) as s:
        with s.engine.connect() as conn:
            assert conn.execute(text("SELECT version FROM schema_version")).scalars().all() == [SCHEMA_VERSION]
        assert {"previous_fingerprint", "previous_seen_at"} <= _columns(s, "observations")
        assert "details" in _columns(s, "drifts")
        assert {"shop", "warehouse_id", "status", "expires_at", "confirmed_by"} <= _columns(s, "pickup_confirmations")

        # v4 data is untouched and still usable
        (run,) = s.runs.list_recent()
        assert (run.id, run.host, run.pid) == ("old-run", "cron-host", 4242)
        lease = s.leases.get("shop:acme")
        assert lease is not None and (lease.fence, lease.host) == (3, "cron-host")
        (old,) = s.drifts.list_open("acme")
        assert old.message == OLD_DRIFT.message and old.severity is Severity.CRITICAL
        assert (old.identity, old.summary, old.why, old.steps) == (None, None, (), ())  # written before v5

        # an observation changed under v4: its change is kept, what came before it was never recorded
        memory = s.observations.for_shop("acme")
        seen = memory.observe("seller_address_raw:W1", "fp2", T0)
        assert seen == Sighting("fp2", first_seen_at=V4_FIRST, changed_at=V4_CHANGED)
        later = T0 + timedelta(hours=1)
        changed = memory.observe("seller_address_raw:W1", "fp3", later)
        assert changed == Sighting("fp3", V4_FIRST, changed_at=later, previous="fp2", previous_seen_at=T0)

        # the open v4 drift, seen again, stays the same occurrence and gains its texts
        summary = Texts(OLD_DRIFT.message, "W1：揽收订阅审核中已超过 30 小时")
        again = replace(OLD_DRIFT, summary=summary)
        (still,) = s.drifts.record("acme", "pickup", [again], now=T0, run_id="new-run").still_open
        assert still.id == old.id and still.summary == summary

        s.confirmations.confirm("acme", "W1", "pending_review", now=T0, expires_at=T0 + timedelta(days=7))
        assert memory.pickup_confirmation("W1", T0) is not None
    with Store.open(url) as s:  # reopening an upgraded file is a no-op
        with s.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM schema_version")).scalar() == 1
        assert len(s.confirmations.list(now=T0)) == 1


@pytest.mark.integration
@pytest.mark.skipif(not postgres_configured(), reason="ERPSYNC_TEST_POSTGRES_URL names no PostgreSQL database")
def test_v4_database_is_upgraded_in_place_on_postgresql() -> None:
    """The same upgrade through PostgreSQL's ALTER TABLE: a v5 database taken back to v4, then reopened."""
    url = empty_postgres()
    with Store.open(url) as s, s.engine.begin() as conn:  # what a version-4 erpsync left behind
        conn.execute(text("DROP TABLE pickup_confirmations"))
        conn.execute(text("ALTER TABLE observations DROP COLUMN previous_fingerprint"))
        conn.execute(text("ALTER TABLE observations DROP COLUMN previous_seen_at"))
        conn.execute(text("ALTER TABLE drifts DROP COLUMN details"))
        conn.execute(text("UPDATE schema_version SET version = 4"))
        conn.execute(
            text(
                "INSERT INTO observations (shop, key, fingerprint, first_seen_at, changed_at, last_seen_at) "
                "VALUES ('acme', 'k', 'fp2', :first, :changed, :last)"
            ),
            {"first": V4_FIRST, "changed": V4_CHANGED, "last": V4_LAST},
        )
    with Store.open(url) as s:
        with s.engine.connect() as conn:
            assert conn.execute(text("SELECT version FROM schema_version")).scalars().all() == [SCHEMA_VERSION]
            types = {c["name"]: str(c["type"]) for c in inspect(conn).get_columns("observations")}
        assert types["previous_fingerprint"] == "VARCHAR(128)" and "TIMESTAMP" in types["previous_seen_at"]
        assert "details" in _columns(s, "drifts")
        seen = s.observations.record("acme", "k", "fp3", now=T0)
        assert seen == Sighting("fp3", V4_FIRST, changed_at=T0, previous="fp2", previous_seen_at=V4_LAST)
        s.confirmations.confirm("acme", "W1", "active", now=T0, expires_at=T0 + timedelta(days=1))
        assert s.confirmations.get("acme", "W1", now=T0) is not None
