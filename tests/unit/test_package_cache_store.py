"""store.packages (schema v7): the package cache a seller connector keeps, and the v6 → v7 upgrade."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text
from store_backends import BACKENDS, open_store

from erpsync.core.models import HandoverMode, PackageSignal
from erpsync.core.ports import CachedPackage, PackageCache, PackageCursor, TrackedCache
from erpsync.core.store import SCHEMA_VERSION, Store
from erpsync.core.store.schema import tracked_packages

T0 = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store on SQLite, and on PostgreSQL when one is configured (``store_backends``)."""
    with open_store(request.param, tmp_path) as s:
        yield s


def cached(pid: str, *, days_ago: float, method: HandoverMode | None = HandoverMode.PICKUP) -> CachedPackage:
    created = T0 - timedelta(days=days_ago)
    signal = PackageSignal(pid, "W1", method, f"JT{pid}", created, "PROCESSING")
    return CachedPackage(signal=signal, update_time=created + timedelta(minutes=5))


def test_packages_round_trip_and_replace(store: Store) -> None:
    cache = store.packages.for_shop("acme")
    assert isinstance(cache, PackageCache) and cache.cursor() is None and cache.packages(T0 - timedelta(days=30)) == []
    cache.put([cached("P1", days_ago=3), cached("P2", days_ago=1, method=None)])
    cache.put([cached("P1", days_ago=3, method=HandoverMode.DROP_OFF)])  # a re-read replaces the row
    found = cache.packages(T0 - timedelta(days=14))
    assert [(p.signal.id, p.signal.handover_method) for p in found] == [
        ("P1", HandoverMode.DROP_OFF),
        ("P2", None),
    ]
    assert found[0] == cached("P1", days_ago=3, method=HandoverMode.DROP_OFF)
    assert store.packages.for_shop("other").packages(T0 - timedelta(days=14)) == []  # per shop


@pytest.mark.parametrize("table", ["packages", "tracked"])
def test_who_ships_a_package_round_trips_and_unknown_stays_unknown(store: Store, table: str) -> None:
    """Schema 11: the detail's shipping_type is kept in both package tables, so a state answered
    from a row still says whether TikTok ships the package."""
    cache = getattr(store, table).for_shop("acme")
    rows = {
        kind: dataclasses.replace(cached(f"P{i}", days_ago=1), shipping_type=kind)
        for i, kind in enumerate(["TIKTOK", "SELLER", None])
    }
    cache.put(list(rows.values()))
    found = {p.signal.id: p for p in cache.packages(T0 - timedelta(days=14))}
    assert {p.shipping_type for p in found.values()} == {"TIKTOK", "SELLER", None}
    assert list(found.values()) == list(rows.values())
    cache.put([dataclasses.replace(rows["TIKTOK"], shipping_type="SELLER")])  # a re-read replaces it
    assert {p.signal.id: p.shipping_type for p in cache.packages(T0 - timedelta(days=14))}["P0"] == "SELLER"


def test_advance_drops_what_left_the_window_and_stores_the_cursor(store: Store) -> None:
    cache = store.packages.for_shop("acme")
    cache.put([cached("OLD", days_ago=20), cached("NEW", days_ago=2)])
    cursor = PackageCursor(scope="7495", since=T0 - timedelta(days=14), update_time=T0 - timedelta(hours=1))
    cache.advance(cursor, now=T0)
    assert cache.cursor() == cursor
    assert [p.signal.id for p in cache.packages(T0 - timedelta(days=90))] == ["NEW"]
    cache.reset()
    assert cache.cursor() is None and cache.packages(T0 - timedelta(days=90)) == []


def _v6_file(path: Path) -> str:
    """A database as a version-6 erpsync left it: made by this one, then the v7 table taken away."""
    url = f"sqlite:///{path}"
    with Store.open(url) as s, s.engine.begin() as conn:
        conn.execute(text("DROP TABLE package_cache"))
        conn.execute(text("UPDATE schema_version SET version = 6"))
    return url


def wanted_at(store: Store, shop: str) -> dict[str, datetime | None]:
    t = tracked_packages.c
    with store.engine.connect() as conn:
        rows = conn.execute(select(t.package_id, t.wanted_at).where(t.shop == shop).order_by(t.package_id)).all()
    return {r.package_id: r.wanted_at for r in rows}


def test_the_tracked_rows_of_some_packages_are_read_and_marked_wanted_at_most_once_a_day(store: Store) -> None:
    tracked = store.tracked.for_shop("acme")
    assert isinstance(tracked, TrackedCache) and not tracked.has_packages()
    tracked.put([cached("P1", days_ago=400), cached("P2", days_ago=3)], wanted_at=T0)
    tracked.put([cached("P3", days_ago=1)])  # never marked
    store.tracked.for_shop("other").put([cached("P1", days_ago=2)])
    assert tracked.has_packages()
    assert wanted_at(store, "acme") == {"P1": T0, "P2": T0, "P3": None}

    found = tracked.packages_of(["P3", "P9", "P1", "P3"])  # any age, in the order asked; no mark
    assert [p.signal.id for p in found] == ["P3", "P1"] and found[1] == cached("P1", days_ago=400)
    assert wanted_at(store, "acme") == {"P1": T0, "P2": T0, "P3": None}
    half_a_day = T0 + timedelta(hours=12)
    tracked.packages_of(["P1", "P3"], wanted_at=half_a_day)  # P1 marked within the day: not written again
    assert wanted_at(store, "acme") == {"P1": T0, "P2": T0, "P3": half_a_day}
    a_day = T0 + timedelta(days=1)
    tracked.packages_of(["P1", "P3"], wanted_at=a_day)
    assert wanted_at(store, "acme") == {"P1": a_day, "P2": T0, "P3": half_a_day}
    tracked.put([cached("P1", days_ago=400)])  # a re-read keeps the mark
    assert wanted_at(store, "acme")["P1"] == a_day
    assert wanted_at(store, "other") == {"P1": None}


def test_v6_database_is_upgraded_in_place(tmp_path: Path) -> None:
    url = _v6_file(tmp_path / "v6.db")
    with Store.open(url) as s:
        with s.engine.connect() as conn:
            assert conn.execute(text("SELECT version FROM schema_version")).scalars().all() == [SCHEMA_VERSION]
            assert inspect(conn).has_table("package_cache")
        s.packages.for_shop("acme").put([cached("P1", days_ago=1)])
        assert len(s.packages.for_shop("acme").packages(T0 - timedelta(days=2))) == 1
