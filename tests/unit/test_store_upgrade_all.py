"""Every earlier schema version (1..13) is upgraded in place, on SQLite and on PostgreSQL.

Each old database is built from the DDL its version's ``schema.py`` created (``tests/fixtures/
store_schemas/v<N>.<engine>.sql``, compiled from that version's table definitions), filled with a
row in every table it had, written as that version wrote them, and then opened by this erpsync.
The upgraded database must have exactly the shape of a new one (tables, columns, types,
nullability, indexes), every old row must read back through the repositories, and the tables
added since must work.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, create_engine, inspect, text
from store_backends import BACKENDS, backend_url

from erpsync.core.models import HandoverMode, PackageSignal, Severity, SubscriptionStatus
from erpsync.core.ports import CachedPackage, PackageCursor
from erpsync.core.store import SCHEMA_VERSION, Store
from erpsync.core.store.outbox import alerted_severity

T0 = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
LATER = T0 + timedelta(minutes=10)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SCHEMAS = Path(__file__).parents[1] / "fixtures" / "store_schemas"
OLD_VERSIONS = list(range(1, SCHEMA_VERSION))

#: one row per table, every column any version had; each old table gets the columns it has
ROWS: dict[str, dict[str, Any]] = {
    "runs": {"id": "run-1", "started_at": T0, "finished_at": LATER, "apply": True, "shops": ["acme"],
             "status": "ok", "summary": {"drifts": 1}, "host": "box", "pid": 4242, "heartbeat_at": LATER},
    "drifts": {"id": 7, "fingerprint": "fp-1", "open_fingerprint": "fp-1", "shop": "acme", "aspect": "pickup",
               "kind": "review_stuck", "subject": "W1", "field": "subscription_status",
               "seller_value": "pending_review", "erp_value": "PICK_UP", "severity": "critical",
               "message": "W1: pickup review pending for 30 h", "opened_at": T0, "last_seen_at": LATER,
               "resolved_at": None, "opened_run": "run-1", "resolved_run": None, "details": None,
               "last_alerted_at": T0, "acked_at": None, "acked_until": None},
    "ledger": {"key": "key-1", "shop": "acme", "aspect": "warehouse_address", "kind": "set_address", "target": "erp",
               "subject": "WH-1", "payload": {"field": "phone", "value": "138"}, "status": "done", "attempts": 2,
               "last_error": "timeout", "detail": "ok", "run_id": "run-1", "created_at": T0, "updated_at": LATER},
    "locks": {"name": "shop:acme", "owner": "run-1", "acquired_at": T0, "expires_at": LATER, "fence": 3,
              "host": "box", "pid": 4242},
    "cursors": {"shop": "acme", "stream": "orders", "position": "2025-05-31T00:00:00Z", "updated_at": T0},
    "bindings": {"id": 5, "shop": "acme", "entity": "warehouse", "erp_id": "E1", "seller_id": "S1",
                 "last_pushed_hash": "h1", "updated_at": T0},
    "observations": {"shop": "acme", "key": "wh:W1", "fingerprint": "fp-b", "first_seen_at": T0,
                     "changed_at": LATER, "last_seen_at": LATER, "previous_fingerprint": "fp-a",
                     "previous_seen_at": T0},
    "tokens": {"shop": "acme", "access_token": "ACCESS", "access_token_expires_at": LATER, "refresh_token": "REFRESH",
               "refresh_token_expires_at": T0 + timedelta(days=30), "open_id": "open-1", "seller_name": "Acme",
               "seller_base_region": "MY", "granted_scopes": ["seller.fulfillment"], "last_refresh_at": T0,
               "updated_at": T0},
    "notifications": {"source": "tiktok", "notification_id": "N1", "received_at": T0},
    "kept_notifications": {"id": 3, "source": "tiktok", "body_sha256": "0" * 64, "raw_body": b"\x00{not json",
                           "reason": "not JSON", "key": None, "deliveries": 2, "first_seen_at": T0,
                           "last_seen_at": LATER},
    "pickup_confirmations": {"shop": "acme", "warehouse_id": "W1", "status": "pending_review", "confirmed_at": T0,
                             "expires_at": T0 + timedelta(days=7), "note": "seen in Seller Center",
                             "confirmed_by": "ops"},
    "alert_outbox": {"id": "alrt-1", "sink": "log", "event": {"kind": "opened", "severity": "critical"},
                     "status": "pending", "attempts": 1,
                     "created_at": T0, "next_attempt_at": LATER, "delivered_at": None, "last_error": "busy",
                     "answer": None, "drift_id": 7},
    "package_cache": {"shop": "acme", "package_id": "P1", "warehouse_id": "W1", "handover_method": "PICKUP",
                      "tracking_number": "JT1", "status": "PROCESSING", "created_at": T0, "update_time": LATER,
                      "shipping_type": None},
    "tracked_packages": {"shop": "kept", "package_id": "P7", "warehouse_id": "W1", "handover_method": "DROP_OFF",
                         "tracking_number": "SF7", "status": "FULFILLING", "created_at": T0, "update_time": LATER,
                         "orders_shipped": None, "shipping_type": None, "wanted_at": None},
    "fences": {"shop": "other", "epoch": 3, "advanced_at": T0},
    "sync_requests": {"id": 4, "shop": "other", "pending_shop": None, "aspect": "listings", "reason": "webhook",
                      "requested_at": T0, "taken_at": LATER},
    "shop_pauses": {"shop": "other", "reason": "kept", "paused_at": T0},
    "notification_claims": {"source": "tiktok", "notification_id": "N5", "owner": "w0", "claimed_at": T0,
                            "expires_at": LATER, "handled_at": LATER},
    "meta": {"key": "note", "value": "kept", "updated_at": T0},
}  # fmt: skip


def _statements(version: int, backend: str) -> list[str]:
    sql = (SCHEMAS / f"v{version}.{backend}.sql").read_text()
    body = "\n".join(line for line in sql.splitlines() if not line.startswith("--"))
    return [s.strip() for s in body.split(";") if s.strip()]


def _build_old(url: str, version: int, backend: str) -> set[str]:
    """Create the version's tables, fill each with its row; the tables it had."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in _statements(version, backend):
                conn.execute(text(statement))
        old = MetaData()
        old.reflect(engine)
        with engine.begin() as conn:
            conn.execute(
                old.tables["schema_version"].insert().values(version=version, installed_at=_stored(T0, backend))
            )
            for name, table in old.tables.items():
                if name == "schema_version":
                    continue
                row = {k: _stored(v, backend) for k, v in ROWS[name].items() if k in table.c}
                assert set(row) == set(table.c.keys()), f"{name}: no sample value for {set(table.c.keys()) - set(row)}"
                conn.execute(table.insert().values(**row))
            if backend == "postgresql":  # explicit ids leave the sequences behind, as no real database had them
                serial = (("drifts", "id"), ("bindings", "id"), ("kept_notifications", "id"), ("sync_requests", "id"))
                for name, column in serial:
                    if name in old.tables:
                        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', '{column}'), 100)"))
        return set(old.tables)
    finally:
        engine.dispose()


def _stored(value: Any, backend: str) -> Any:
    """A timestamp as that version stored it: naive UTC on SQLite, aware on PostgreSQL."""
    if isinstance(value, datetime) and backend == "sqlite":
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _shape(engine: Engine) -> dict[str, Any]:
    """Tables → columns (type, nullable), unique constraints and indexes, as the database reports them."""
    found = inspect(engine)
    shape: dict[str, Any] = {}
    for table in found.get_table_names():
        columns = {c["name"]: (str(c["type"]), c["nullable"]) for c in found.get_columns(table)}
        uniques = sorted(tuple(u["column_names"]) for u in found.get_unique_constraints(table))
        indexes = sorted((i["name"], tuple(i["column_names"])) for i in found.get_indexes(table))
        key = tuple(found.get_pk_constraint(table)["constrained_columns"])
        shape[table] = {"columns": columns, "uniques": uniques, "indexes": indexes, "key": key}
    return shape


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _fresh_shape(backend: str, tmp_path: Path) -> dict[str, Any]:
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    with Store.open(backend_url(backend, fresh)) as store:
        return _shape(store.engine)


@pytest.mark.parametrize("version", OLD_VERSIONS)
def test_an_old_database_is_upgraded_to_the_shape_of_a_new_one_keeping_its_rows(
    backend: str, version: int, tmp_path: Path
) -> None:
    expected = _fresh_shape(backend, tmp_path)
    url = backend_url(backend, tmp_path)
    had = _build_old(url, version, backend)
    with Store.open(url) as store:
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT version FROM schema_version")).scalars().all() == [SCHEMA_VERSION]
        assert _shape(store.engine) == expected
        _check_rows(store, had)
        _check_new_tables(store)
    with Store.open(url) as store, store.engine.connect() as conn:  # reopening changes nothing
        assert conn.execute(text("SELECT count(*) FROM schema_version")).scalar() == 1


def _check_rows(store: Store, had: set[str]) -> None:
    """Each old row reads back through its repository; columns the old version lacked read as unknown."""
    run = store.runs.get("run-1")
    assert run is not None and run.shops == ("acme",) and run.summary == {"drifts": 1} and run.apply is True
    assert run.started_at == T0 and run.finished_at == LATER
    (drift,) = store.drifts.list_open("acme")
    assert (drift.id, drift.severity, drift.opened_at, drift.last_seen_at) == (7, Severity.CRITICAL, T0, LATER)
    entry = store.ledger.get("key-1")
    assert entry is not None and (entry.status, entry.attempts, entry.payload) == ("done", 2, ROWS["ledger"]["payload"])
    lease = store.leases.get("shop:acme")
    assert lease is not None and (lease.owner, lease.fence, lease.expires_at) == ("run-1", 3, LATER)
    assert store.cursors.get("acme", "orders") == "2025-05-31T00:00:00Z"
    binding = store.bindings.get("acme", "warehouse", "E1")
    assert binding is not None and binding.seller_id == "S1"
    seen = store.observations.record("acme", "wh:W1", "fp-b", now=LATER + timedelta(minutes=1))
    assert seen.first_seen_at == T0 and seen.changed_at == LATER
    # rows written since the upgrade get fresh ids, past the old ones
    store.bindings.put("acme", "warehouse", "E2", seller_id="S2", last_pushed_hash=None, now=T0)
    if "tokens" in had:
        token = store.tokens.get("acme")
        assert token is not None and token.access_token == "ACCESS" and token.granted_scopes == ("seller.fulfillment",)
        assert store.notifications.has("N1", source="tiktok")
        assert store.notifications.claim("N1", source="tiktok", owner="w", now=LATER, ttl_seconds=60) == "handled"
    if "kept_notifications" in had:
        (kept,) = store.notifications.list_kept()
        assert kept.raw_body == b"\x00{not json" and kept.deliveries == 2
    if "pickup_confirmations" in had:
        (confirmed,) = store.confirmations.list(now=T0)
        assert confirmed.status == SubscriptionStatus.PENDING_REVIEW
    if "alert_outbox" in had:
        alert = store.outbox.get("alrt-1")
        assert alert is not None and (alert.status, alert.attempts, alert.next_attempt_at) == ("pending", 1, LATER)
        with store.engine.connect() as conn:  # found by its drift, through the index built over the kept rows
            assert alerted_severity(conn, [7]) == {7: Severity.CRITICAL}
    if "package_cache" in had:
        (package,) = store.packages.for_shop("acme").packages(T0 - timedelta(days=1))
        assert package.signal.handover_method == HandoverMode.PICKUP and package.update_time == LATER
        assert package.shipping_type is None  # kept before shipping_type: not known
        assert package.delivery_option_id is None  # kept before delivery_option_id: not known
    if "fences" in had:
        assert store.fences.current("other") == 3
        paused = store.shop_pauses.get("other")
        assert paused is not None and paused.reason == "kept"
        assert store.meta.get("note") == "kept"
        assert store.notifications.claim("N5", source="tiktok", owner="w", now=T0, ttl_seconds=60) == "handled"
    if "tracked_packages" in had:  # kept before orders_shipped: read as not known, the status alone settles it
        (tracked,) = store.tracked.for_shop("kept").packages(EPOCH)
        assert (tracked.signal.status, tracked.update_time, tracked.orders_shipped) == ("FULFILLING", LATER, False)
        assert tracked.shipping_type is None  # kept before shipping_type: not known
        assert tracked.delivery_option_id is None  # kept before delivery_option_id: not known
        # kept before wanted_at, or never marked since: pruned by the package's age until a run marks it wanted
        assert store.tracked.prune(before=T0, dry_run=True) == 0
        assert store.tracked.prune(before=LATER, dry_run=True) == 1


def _check_new_tables(store: Store) -> None:
    assert store.fences.advance("acme", now=T0) == 1
    store.sync_requests.add("acme", ["pickup"], reason="webhook", now=T0)
    assert [r.aspect for r in store.sync_requests.take(now=T0)] == ["pickup"]
    store.shop_pauses.pause("acme", reason="migration", now=T0)
    assert store.shop_pauses.get("acme") is not None
    assert store.notifications.claim("N9", source="tiktok", owner="w", now=T0, ttl_seconds=60) == "claimed"
    store.meta.set("tokens.encrypted", "no", now=T0)
    assert store.meta.get("tokens.encrypted") == "no"
    tracked = store.tracked.for_shop("acme")
    assert tracked.cursor() is None and tracked.packages(EPOCH) == []
    shipped = PackageSignal("P2", "W1", HandoverMode.DROP_OFF, "JT2", T0, "FULFILLING")
    tracked.put([CachedPackage(shipped, LATER)])
    tracked.advance(PackageCursor("7495", EPOCH, LATER), now=LATER)
    assert tracked.cursor() == PackageCursor("7495", EPOCH, LATER)
    assert tracked.packages(EPOCH) == [CachedPackage(shipped, LATER)]
    waiting = PackageSignal("P3", "W1", HandoverMode.DROP_OFF, "JT3", LATER, "PROCESSING")
    tracked.put([CachedPackage(waiting, LATER, orders_shipped=True, delivery_option_id="OPT-ECO")])
    assert tracked.packages(EPOCH)[-1] == CachedPackage(
        waiting, LATER, orders_shipped=True, delivery_option_id="OPT-ECO"
    )
    assert "P2" not in [p.signal.id for p in store.packages.for_shop("acme").packages(EPOCH)]  # apart
    by_tiktok = CachedPackage(  # who ships it and its delivery option: kept by both caches
        PackageSignal("P4", "W1", None, "JT4", LATER, "FULFILLING"),
        LATER,
        shipping_type="TIKTOK",
        delivery_option_id="OPT-STD",
    )
    for cache in (tracked, store.packages.for_shop("acme")):
        cache.put([by_tiktok])
        assert [p for p in cache.packages(EPOCH) if p.signal.id == "P4"] == [by_tiktok]
