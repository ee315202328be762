"""The bindings table's verbs: one shop's bindings at once, bulk binding, forgetting."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from store_backends import BACKENDS, open_store

from erpsync.core.store import Store

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with open_store(request.param, tmp_path) as s:
        yield s


def test_bind_many_keeps_what_was_pushed_and_stays_in_its_shop_and_entity(store: Store) -> None:
    store.bindings.put("acme", "warehouse", "E1", seller_id="W0", last_pushed_hash="h1", now=T0)
    store.bindings.put("other", "warehouse", "E1", seller_id="X", last_pushed_hash=None, now=T0)
    store.bindings.put("acme", "product", "E1", seller_id="P", last_pushed_hash=None, now=T0)
    later = T0 + timedelta(hours=1)
    store.bindings.bind_many("acme", "warehouse", {"E1": "W1", "E2": "W2"}, now=later)
    rows = store.bindings.for_entity("acme", "warehouse")
    assert {k: (r.seller_id, r.last_pushed_hash, r.updated_at) for k, r in rows.items()} == {
        "E1": ("W1", "h1", later),
        "E2": ("W2", None, later),
    }
    assert store.bindings.get("other", "warehouse", "E1").seller_id == "X"
    assert store.bindings.get("acme", "product", "E1").seller_id == "P"


def test_bind_many_of_nothing_writes_nothing(store: Store) -> None:
    store.bindings.bind_many("acme", "warehouse", {}, now=T0)
    assert store.bindings.for_entity("acme", "warehouse") == {}


def test_bind_many_in_chunks(store: Store) -> None:
    pairs = {f"E{i}": f"W{i}" for i in range(1_234)}
    store.bindings.bind_many("acme", "warehouse", pairs, now=T0)
    assert {k: r.seller_id for k, r in store.bindings.for_entity("acme", "warehouse").items()} == pairs


def test_forget_some_or_all(store: Store) -> None:
    store.bindings.bind_many("acme", "warehouse", {"E1": "W1", "E2": "W2", "E3": "W3"}, now=T0)
    store.bindings.bind_many("acme", "product", {"E1": "P1"}, now=T0)
    assert store.bindings.forget("acme", "warehouse", ["E1", "E9"]) == 1
    assert set(store.bindings.for_entity("acme", "warehouse")) == {"E2", "E3"}
    assert store.bindings.forget("acme", "warehouse") == 2
    assert store.bindings.for_entity("acme", "warehouse") == {}
    assert set(store.bindings.for_entity("acme", "product")) == {"E1"}
