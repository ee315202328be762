"""The ledger (outbox): begin before a write, done or failed after it, reruns skip what is done."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from store_backends import BACKENDS, open_store

from erpsync.core.store import Store

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
ACTION = {
    "shop": "acme",
    "aspect": "warehouse_address",
    "kind": "set_address",
    "target": "erp",
    "subject": "WH-1",
    "payload": {"field": "phone", "value": "138 0000 0000"},
}


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store on SQLite, and on PostgreSQL when one is configured (``store_backends``)."""
    with open_store(request.param, tmp_path) as s:
        yield s


def test_begin_inserts_pending_with_one_attempt(store: Store) -> None:
    entry = store.ledger.begin("k1", **ACTION, run_id="r1", now=T0)
    assert entry.status == "pending" and entry.attempts == 1 and entry.run_id == "r1"
    assert entry.payload == {"field": "phone", "value": "138 0000 0000"}
    assert entry.created_at == T0 == entry.updated_at
    assert store.ledger.get("k1") == entry
    assert store.ledger.get("nope") is None


def test_done_is_never_begun_again(store: Store) -> None:
    store.ledger.begin("k1", **ACTION, run_id="r1", now=T0)
    done = store.ledger.finish("k1", status="done", now=T0 + timedelta(seconds=1), detail="ERP said ok")
    assert done.status == "done" and done.detail == "ERP said ok"
    again = store.ledger.begin("k1", **ACTION, run_id="r2", now=T0 + timedelta(hours=1))
    assert again == done  # unchanged: the caller skips the write


def test_pending_left_by_a_crash_is_retried_with_attempts_counted(store: Store) -> None:
    store.ledger.begin("k1", **ACTION, run_id="r1", now=T0)
    # the process died here, before ledger.finish
    t1 = T0 + timedelta(minutes=5)
    retry = store.ledger.begin("k1", **ACTION, run_id="r2", now=t1)
    assert retry.status == "pending" and retry.attempts == 2 and retry.run_id == "r2"
    assert retry.created_at == T0 and retry.updated_at == t1


def test_failed_is_retried_and_keeps_its_error_after_success(store: Store) -> None:
    store.ledger.begin("k1", **ACTION, run_id="r1", now=T0)
    failed = store.ledger.finish("k1", status="failed", error="HTTP 503", now=T0)
    assert failed.status == "failed" and failed.last_error == "HTTP 503"
    retry = store.ledger.begin("k1", **ACTION, run_id="r2", now=T0)
    assert retry.status == "pending" and retry.attempts == 2
    done = store.ledger.finish("k1", status="done", now=T0)
    assert done.status == "done" and done.attempts == 2 and done.last_error == "HTTP 503"


def test_finishing_an_entry_never_begun_is_a_bug(store: Store) -> None:
    with pytest.raises(KeyError, match="begin it before the write"):
        store.ledger.finish("ghost", status="done", now=T0)
    with pytest.raises(KeyError):
        store.ledger.finish("ghost", status="failed", error="x", now=T0)


def test_entries_filter_by_shop_and_status(store: Store) -> None:
    store.ledger.begin("a", **ACTION, run_id="r1", now=T0)
    store.ledger.begin("b", **{**ACTION, "shop": "globex"}, run_id="r1", now=T0 + timedelta(seconds=1))
    store.ledger.begin("c", **ACTION, run_id="r1", now=T0 + timedelta(seconds=2))
    store.ledger.finish("c", status="done", now=T0)
    assert [e.key for e in store.ledger.list_entries()] == ["a", "b", "c"]
    assert [e.key for e in store.ledger.list_entries(shop="acme")] == ["a", "c"]
    assert [e.key for e in store.ledger.list_entries(status="pending")] == ["a", "b"]
    assert [e.key for e in store.ledger.list_entries(shop="acme", status="done")] == ["c"]


def test_ledger_survives_reopening_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/state.db"
    with Store.open(url) as first:
        first.ledger.begin("k1", **ACTION, run_id="r1", now=T0)
    with Store.open(url) as second:
        entry = second.ledger.get("k1")
    assert entry is not None and entry.status == "pending"


def test_failed_writes_are_the_failed_pushes_whose_drift_is_still_open(store: Store) -> None:
    """What ``ObserveContext.failed_writes`` reads: a push that failed, with its value and the code
    its error gave, while the drift occurrence it was planned for is open; not a correction
    keyed on its run (no occurrences), nor one whose drift has resolved, nor another aspect's."""
    push = {**ACTION, "aspect": "tracking", "kind": "update_tracking", "target": "seller", "subject": "P1"}
    error = "tiktok update shipping info: The tracking number can only be updated once. (code 21011051, HTTP 400)"
    rows = {
        "open": ({**push, "payload": {"field": "7208", "value": "SF1", "occurrences": [7]}}, error),
        "resolved": ({**push, "payload": {"field": "7208", "value": "SF0", "occurrences": [3]}}, error),
        "by-run": ({**push, "payload": {"field": "7208", "value": "SF2"}}, error),
        "other": ({**push, "aspect": "listings", "payload": {"value": "9", "occurrences": [7]}}, error),
        "done": ({**push, "payload": {"field": "7208", "value": "SF3", "occurrences": [7]}}, None),
        "no-code": ({**push, "subject": "P2", "payload": {"value": "SF4", "occurrences": [8]}}, "system timeout"),
    }
    for key, (action, failure) in rows.items():
        store.ledger.begin(key, **action, run_id="r1", now=T0)
        if failure is None:
            store.ledger.finish(key, status="done", now=T0)
        else:
            store.ledger.finish(key, status="failed", error=failure, now=T0)
    asked: list[set[int]] = []

    def still_open(ids: object) -> set[int]:
        asked.append(set(ids))  # type: ignore[call-overload]
        return {7, 8}

    found = store.ledger.failed_writes("acme", "tracking", still_open=still_open)
    assert [(w.subject, w.value, w.field, w.code) for w in found] == [
        ("P1", "SF1", "7208", "21011051"),
        ("P2", "SF4", None, None),
    ]
    assert found[0].kind == "update_tracking" and found[0].error == error and found[0].failed_at == T0
    assert asked == [{3, 7, 8}]
