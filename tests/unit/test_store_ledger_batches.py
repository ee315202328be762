"""Finishing many ledger writes at once costs a few statements, not one per write: a 2,000-package
push finishes 2,000 entries in 40 calls, and a statement built and sent per entry cost seconds on
the run's critical path. Statements are counted with SQLAlchemy's ``before_cursor_execute`` event on
the real store (SQLite, and PostgreSQL when one is configured); what the batched writes leave in
the ledger is checked entry by entry, and a batch naming an entry never begun finishes none."""

from __future__ import annotations

from datetime import timedelta

import pytest
from store_shop_setup import T0, statements, store_fixture  # noqa: F401 (the fixture ``store``)

from erpsync.core.store import Store
from erpsync.core.store.ledger import Claim, Outcome


def begun(store: Store, n: int, prefix: str) -> list[str]:
    claims = [
        Claim(
            f"{prefix}-{i}", shop="acme", aspect="tracking", kind="ship", target="seller", subject=f"P{i}", payload={}
        )
        for i in range(n)
    ]
    store.ledger.begin_many(claims, run_id="r1", now=T0)
    return [c.key for c in claims]


def outcomes(keys: list[str]) -> list[Outcome]:
    """Every third write failed, every other one has a detail: all the shapes a batch may hold."""
    return [
        Outcome(k, "failed", error=f"HTTP 503 for {k}")
        if i % 3 == 0
        else Outcome(k, "done", detail=f"#{i}" if i % 2 else None)
        for i, k in enumerate(keys)
    ]


def test_the_statements_of_a_finished_batch_do_not_grow_with_its_writes(store: Store) -> None:
    sent = []
    for n, prefix in ((6, "few"), (60, "many")):
        keys = begun(store, n, prefix)
        with statements(store) as statements_sent:
            store.ledger.finish_many(outcomes(keys), now=T0 + timedelta(minutes=1))
        sent.append(len(statements_sent))
    assert sent[0] == sent[1], sent


def test_a_finished_batch_leaves_each_entry_as_its_outcome_says(store: Store) -> None:
    keys = begun(store, 30, "k")
    later = T0 + timedelta(minutes=1)
    store.ledger.finish_many(outcomes(keys), now=later)
    for outcome in outcomes(keys):
        entry = store.ledger.get(outcome.key)
        assert entry is not None
        assert (entry.status, entry.last_error, entry.detail, entry.updated_at) == (
            outcome.status,
            outcome.error,
            outcome.detail,
            later,
        )


def test_a_key_finished_twice_in_one_batch_ends_as_its_last_outcome_with_the_earlier_error(store: Store) -> None:
    (key,) = begun(store, 1, "k")
    store.ledger.finish_many([Outcome(key, "failed", error="HTTP 503"), Outcome(key, "done")], now=T0)
    entry = store.ledger.get(key)
    assert entry is not None and (entry.status, entry.last_error) == ("done", "HTTP 503")


def test_a_batch_naming_an_entry_never_begun_finishes_none(store: Store) -> None:
    keys = begun(store, 3, "k")
    with pytest.raises(KeyError, match="'ghost'"):
        store.ledger.finish_many([Outcome(keys[0], "done"), Outcome("ghost", "done"), Outcome(keys[1], "done")], now=T0)
    assert {e.status for e in store.ledger.list_entries("acme")} == {"pending"}
