"""Opening the store (schema version, SQLite setup), runs, observations, cursors and bindings."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError
from store_backends import BACKENDS, open_store

from erpsync.core.errors import ConfigError, ErpsyncError
from erpsync.core.models import PickupConfirmation, SubscriptionStatus
from erpsync.core.ports import ObservationMemory, Sighting
from erpsync.core.store import SCHEMA_VERSION, Store, base
from erpsync.core.store.observations import MAX_VALUE_LENGTH

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store on SQLite, and on PostgreSQL when one is configured (``store_backends``)."""
    with open_store(request.param, tmp_path) as s:
        yield s


def _set_version(url: str, version: int) -> None:
    with Store.open(url) as s, s.engine.begin() as conn:
        conn.execute(text("UPDATE schema_version SET version = :v"), {"v": version})


def test_new_file_gets_parent_dirs_tables_wal_and_version(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "state.db"
    with Store.open(f"sqlite:///{path}") as s, s.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("SELECT version FROM schema_version")).scalar() == SCHEMA_VERSION
        tables = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))}
    assert path.exists()
    assert {"bindings", "ledger", "drifts", "runs", "cursors", "locks", "observations"} <= tables
    assert "pickup_confirmations" in tables


def test_reopening_keeps_one_version_row(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/state.db"
    Store.open(url).close()
    with Store.open(url) as s, s.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM schema_version")).scalar() == 1


def test_newer_schema_asks_to_upgrade_erpsync(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/state.db"
    _set_version(url, SCHEMA_VERSION + 1)
    with pytest.raises(ErpsyncError, match=rf"schema version {SCHEMA_VERSION + 1}.*upgrade erpsync"):
        Store.open(url)


def test_older_schema_names_both_versions(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/state.db"
    _set_version(url, 0)
    with pytest.raises(ErpsyncError, match=rf"schema version 0.*needs version {SCHEMA_VERSION}"):
        Store.open(url)


@pytest.mark.parametrize(
    ("url", "shown", "reason"),
    [
        ("postgres//oops", "postgres//oops", "is not a usable database URL"),
        ("postgres//u:secret@db/x", "postgres//u:***@db/x", "is not a usable database URL"),
        ("postgres://u:secret@db/x", "postgres://u:***@db/x", "is not a usable database URL"),
        ("nosuchdb+nodriver://u:secret@db/x", "nosuchdb+nodriver://u:***@db/x", "is not a usable database URL"),
    ],
)
def test_bad_state_url_is_a_config_error_without_the_password(url: str, shown: str, reason: str) -> None:
    with pytest.raises(ConfigError) as info:
        Store.open(url)
    assert info.value.key == "state.url" and str(info.value).startswith(f"state.url: {shown} {reason}")
    assert "secret" not in str(info.value)


def test_missing_driver_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_driver(*_a: object, **_k: object) -> None:
        raise ModuleNotFoundError("No module named 'psycopg'")

    monkeypatch.setattr(base, "create_engine", no_driver)
    with pytest.raises(ConfigError, match=r"^state.url: the database driver for postgresql\+psycopg://u:\*\*\*@db/x"):
        Store.open("postgresql+psycopg://u:secret@db/x")


def test_data_dir_that_is_a_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a folder")
    with pytest.raises(ConfigError) as info:
        Store.open(f"sqlite:///{tmp_path}/data/state.db")
    assert info.value.key == "data_dir"
    assert f"cannot create the folder {tmp_path / 'data'} for the state database" in str(info.value)


def test_unopenable_sqlite_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "state.db").mkdir()  # a folder where the database file should be
    with pytest.raises(ConfigError, match=r"^state.url: cannot open the state database sqlite:///.*state.db: unable"):
        Store.open(f"sqlite:///{tmp_path}/state.db")


def test_unreachable_database_is_a_config_error_without_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = create_engine("sqlite://")

    def refuse(*_a: object, **_k: object) -> None:
        raise OperationalError("connect", {}, Exception('connection to server at "db" failed: Connection refused'))

    monkeypatch.setattr(base, "create_engine", lambda *_a, **_k: engine)
    monkeypatch.setattr(engine, "connect", refuse)
    with pytest.raises(ConfigError) as info:
        Store.open("postgresql+psycopg://u:secret@db/x")
    assert str(info.value) == (
        'state.url: cannot open the state database postgresql+psycopg://u:***@db/x: connection to server at "db" '
        "failed: Connection refused"
    )


def test_in_memory_database_works(tmp_path: Path) -> None:
    with Store("sqlite://") as s:
        assert s.leases.acquire("x", owner="a", ttl_seconds=1, now=T0)
        assert s.leases.get("x") is not None


def test_runs_start_finish_and_list_newest_first(store: Store) -> None:
    started = store.runs.begin("r1", shops=["acme", "globex"], apply=False, now=T0)
    assert started.status == "running" and started.shops == ("acme", "globex") and not started.apply
    store.runs.begin("r2", shops=["acme"], apply=True, now=T0 + timedelta(hours=1))
    done = store.runs.finish("r1", status="drift", summary={"drifts": 3}, now=T0 + timedelta(minutes=2))
    assert done.finished_at == T0 + timedelta(minutes=2) and done.summary == {"drifts": 3}
    assert [r.id for r in store.runs.list_recent()] == ["r2", "r1"]
    assert [r.id for r in store.runs.list_recent(limit=1)] == ["r2"]
    assert store.runs.get("r2") is not None and store.runs.get("r2").apply  # type: ignore[union-attr]
    assert store.runs.get("nope") is None
    with pytest.raises(KeyError):
        store.runs.finish("nope", status="ok", summary={}, now=T0)


def test_observe_first_sight_same_value_change_and_change_back(store: Store) -> None:
    record = store.observations.record
    assert record("acme", "k", "fp1", now=T0) == Sighting("fp1", first_seen_at=T0)  # never a change
    t1, t2, t3 = (T0 + timedelta(hours=h) for h in (1, 2, 3))
    assert record("acme", "k", "fp1", now=t1) == Sighting("fp1", first_seen_at=T0)
    # the save happened after fp1 was last seen (t1) and before fp2 was first seen (t2)
    changed = Sighting("fp2", first_seen_at=T0, changed_at=t2, previous="fp1", previous_seen_at=t1)
    assert record("acme", "k", "fp2", now=t2) == changed
    assert record("acme", "k", "fp2", now=t3) == changed  # the same change, however often it is seen again
    t4 = T0 + timedelta(hours=4)
    back = Sighting("fp1", first_seen_at=T0, changed_at=t4, previous="fp2", previous_seen_at=t3)
    assert record("acme", "k", "fp1", now=t4) == back  # changing back is a change too
    assert record("globex", "k", "fp9", now=t4) == Sighting("fp9", first_seen_at=t4)  # per shop
    assert record("acme", "other", "fp1", now=t4) == Sighting("fp1", first_seen_at=t4)  # per key


def test_observe_refuses_a_value_the_column_cannot_hold_on_every_engine(store: Store) -> None:
    store.observations.record("acme", "k", "x" * MAX_VALUE_LENGTH, now=T0)
    with pytest.raises(ValueError, match=r"129 characters .*record a digest"):
        store.observations.record("acme", "k", "x" * (MAX_VALUE_LENGTH + 1), now=T0)


def test_memory_adapts_the_observation_port(store: Store) -> None:
    memory = store.observations.for_shop("acme")
    assert isinstance(memory, ObservationMemory)
    assert memory.observe("seller_address_raw:WH-1", "a", T0) == Sighting("a", first_seen_at=T0)
    t1 = T0 + timedelta(days=1)
    seen = memory.observe("seller_address_raw:WH-1", "b", t1)
    assert (seen.changed_at, seen.previous, seen.previous_seen_at) == (t1, "a", T0)
    assert memory.observe("seller_address_raw:WH-2", "b", t1).changed_at is None
    assert store.observations.record("acme", "seller_address_raw:WH-1", "b", now=t1) == seen
    assert store.observations.for_shop("globex").observe("seller_address_raw:WH-1", "b", t1).changed_at is None


def test_memory_gives_the_shops_valid_pickup_confirmation(store: Store) -> None:
    memory = store.observations.for_shop("acme")
    assert memory.pickup_confirmation("WH-1", T0) is None
    until = T0 + timedelta(days=7)
    store.confirmations.confirm("acme", "WH-1", "active", now=T0, expires_at=until, note="seen 生效中")
    expected = PickupConfirmation("WH-1", SubscriptionStatus.ACTIVE, T0, until, "seen 生效中")
    assert memory.pickup_confirmation("WH-1", T0 + timedelta(days=6)) == expected
    assert memory.pickup_confirmation("WH-1", until) is None  # expired
    assert memory.pickup_confirmation("WH-2", T0) is None
    assert store.observations.for_shop("globex").pickup_confirmation("WH-1", T0) is None


def test_two_stores_first_seeing_a_key_at_once_agree(tmp_path: Path) -> None:
    """Two processes (a cron run, an operator's run) on one file: one inserts, the other reads it."""
    url = f"sqlite:///{tmp_path}/state.db"
    stores = [Store.open(url), Store.open(url)]
    barrier = threading.Barrier(2)
    seen: dict[int, list[Sighting]] = {0: [], 1: []}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            for k in range(20):
                barrier.wait(timeout=30)
                seen[i].append(stores[i].observations.record("acme", f"k{k}", "v1", now=T0 + timedelta(seconds=i)))
                barrier.wait(timeout=30)  # both change the value at once: one change, seen alike
                seen[i].append(stores[i].observations.record("acme", f"k{k}", "v2", now=T0 + timedelta(hours=1)))
        except BaseException as exc:  # re-raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for s in stores:
        s.close()
    assert not errors, errors[0]
    assert seen[0] == seen[1]  # both saw the same first sight and the same change
    firsts, changes = seen[0][0::2], seen[0][1::2]
    assert all(f.changed_at is None and f.previous is None for f in firsts)
    assert all(c.changed_at == T0 + timedelta(hours=1) and c.previous == "v1" for c in changes)
    with Store.open(url) as s, s.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM observations")).scalar() == 20


def test_cursors(store: Store) -> None:
    assert store.cursors.get("acme", "listings") is None
    store.cursors.put("acme", "listings", "2025-03-01T00:00:00Z", now=T0)
    store.cursors.put("acme", "listings", "2025-03-02T00:00:00Z", now=T0)
    assert store.cursors.get("acme", "listings") == "2025-03-02T00:00:00Z"
    assert store.cursors.get("globex", "listings") is None


def test_bindings(store: Store) -> None:
    assert store.bindings.get("acme", "listing", "SKU-1") is None
    store.bindings.put("acme", "listing", "SKU-1", seller_id="p1", last_pushed_hash=None, now=T0)
    put = store.bindings.put("acme", "listing", "SKU-1", seller_id="p1", last_pushed_hash="h2", now=T0)
    assert store.bindings.get("acme", "listing", "SKU-1") == put
    assert put.last_pushed_hash == "h2" and put.updated_at == T0
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM bindings")).scalar() == 1


def test_a_row_mapper_that_does_not_match_its_table_fails_when_built() -> None:
    from dataclasses import dataclass

    from erpsync.core.store.rows import RowMapper
    from erpsync.core.store.schema import cursors

    @dataclass(frozen=True)
    class Cursor:
        shop: str
        stream: str
        offset: int  # no such column

    with pytest.raises(TypeError, match=r"fields without a column \['offset'\]"):
        RowMapper(Cursor, cursors)
    with pytest.raises(TypeError, match=r"conversions for no field \['nope'\]"):
        RowMapper(Cursor, cursors, offset=lambda r: 0, nope=lambda r: 0)


def test_only_sqlite_and_postgresql_are_supported() -> None:
    with pytest.raises(ConfigError, match="supports SQLite and PostgreSQL, not mysql") as info:
        Store.open("mysql://u:secret@db/x")
    assert "secret" not in str(info.value)


def test_the_store_hands_out_one_repository_per_table(store: Store) -> None:
    repos = [store.runs, store.drifts, store.ledger, store.leases, store.observations]
    repos += [store.cursors, store.bindings, store.tokens, store.notifications, store.confirmations]
    repos += [store.outbox, store.packages, store.fences, store.sync_requests, store.shop_pauses, store.meta]
    assert len({type(r) for r in repos}) == 16
    assert all(r._engine is store.engine for r in repos)  # one engine, one pool
