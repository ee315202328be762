"""Store schema v8, the service's tables: fences, sync requests, shop pauses, delivery claims, meta.

Each test runs on SQLite, and on PostgreSQL when ``ERPSYNC_TEST_POSTGRES_URL`` names one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from store_backends import BACKENDS, open_store

from erpsync.core.errors import LockedError, StaleFenceError
from erpsync.core.store import PauseRow, Retention, Store, SyncRequest
from erpsync.core.store.sync_requests import TAKEN_TIMEOUT

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
WRITE = {"shop": "acme", "aspect": "tracking", "kind": "push", "target": "seller", "subject": "P1"}


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with open_store(request.param, tmp_path) as s:
        yield s


# -- fences ----------------------------------------------------------------------------------------


def test_fence_starts_at_zero_and_each_advance_adds_one_per_shop(store: Store) -> None:
    assert store.fences.current("acme") == 0
    assert [store.fences.advance("acme", now=T0) for _ in range(3)] == [1, 2, 3]
    assert store.fences.advance("other", now=T0) == 1
    assert (store.fences.current("acme"), store.fences.current("other")) == (3, 1)


def test_ledger_begin_under_the_current_fence_is_begun(store: Store) -> None:
    epoch = store.fences.advance("acme", now=T0)
    entry = store.ledger.begin("k1", **WRITE, payload={"n": 1}, run_id="r1", now=T0, fence=("acme", epoch))
    assert entry.status == "pending" and entry.attempts == 1


def test_ledger_begin_under_a_stale_fence_begins_nothing(store: Store) -> None:
    old = store.fences.advance("acme", now=T0)
    store.fences.advance("acme", now=T0 + timedelta(seconds=1))  # another worker took the shop over
    with pytest.raises(StaleFenceError, match="taken over") as info:
        store.ledger.begin("k1", **WRITE, payload={}, run_id="r1", now=T0, fence=("acme", old))
    assert isinstance(info.value, LockedError)
    assert store.ledger.get("k1") is None
    # the stale worker cannot count a retry of an existing write either
    store.ledger.begin("k2", **WRITE, payload={}, run_id="r2", now=T0, fence=("acme", 2))
    with pytest.raises(StaleFenceError):
        store.ledger.begin("k2", **WRITE, payload={}, run_id="r1", now=T0, fence=("acme", old))
    entry = store.ledger.get("k2")
    assert entry is not None and entry.attempts == 1 and entry.run_id == "r2"


def test_a_fence_on_a_never_advanced_shop_is_current(store: Store) -> None:
    store.ledger.begin("k1", **WRITE, payload={}, run_id="r1", now=T0, fence=("acme", 0))
    assert store.ledger.get("k1") is not None


# -- sync requests ---------------------------------------------------------------------------------


def test_requests_for_a_pending_pair_merge_and_take_claims_them_oldest_first(store: Store) -> None:
    store.sync_requests.add("acme", ["tracking", "pickup"], reason="webhook 1", now=T0)
    store.sync_requests.add("acme", ["tracking"], reason="webhook 2", now=T0 + timedelta(seconds=5))
    store.sync_requests.add("beta", ["tracking"], reason="webhook 3", now=T0 + timedelta(seconds=1))
    pending = store.sync_requests.pending()
    assert [(r.shop, r.aspect, r.reason) for r in pending] == [
        ("acme", "tracking", "webhook 1"),
        ("acme", "pickup", "webhook 1"),
        ("beta", "tracking", "webhook 3"),
    ]
    taken = store.sync_requests.take(now=T0 + timedelta(minutes=1), limit=2)
    assert all(isinstance(r, SyncRequest) for r in taken)
    assert [(r.shop, r.aspect) for r in taken] == [("acme", "tracking"), ("acme", "pickup")]
    assert taken[0].requested_at == T0
    assert [(r.shop, r.aspect) for r in store.sync_requests.pending()] == [("beta", "tracking")]
    # a taken pair is no longer pending: a new ask makes a new request
    store.sync_requests.add("acme", ["tracking"], reason="webhook 4", now=T0 + timedelta(minutes=2))
    assert [r.reason for r in store.sync_requests.pending("acme")] == ["webhook 4"]
    assert store.sync_requests.done([r.id for r in taken]) == 2
    later = store.sync_requests.take(now=T0 + timedelta(minutes=3))
    assert [r.reason for r in later] == ["webhook 3", "webhook 4"]
    assert store.sync_requests.take(now=T0 + timedelta(minutes=3)) == []


def test_take_claims_only_the_requests_of_the_pairs_its_taker_runs(store: Store) -> None:
    """Processes may split the shops (``erpsync run --shop A``, ``--shop B``): one taker leaves the
    other's requests pending, and its ``limit`` counts only requests it runs."""
    for i, (shop, aspect) in enumerate([("b", "tracking"), ("b", "pickup"), ("a", "tracking"), ("c", "listings")]):
        store.sync_requests.add(shop, [aspect], reason=f"webhook {i}", now=T0 + timedelta(seconds=i))
    runs_a = [("a", "tracking"), ("a", "pickup")]
    (taken,) = store.sync_requests.take(now=T0, limit=1, pairs=runs_a)
    assert (taken.shop, taken.aspect) == ("a", "tracking")
    assert store.sync_requests.take(now=T0, pairs=runs_a) == []
    assert store.sync_requests.take(now=T0, pairs=[]) == []
    # shops with different aspects: b runs only tracking here, c only listings
    mixed = store.sync_requests.take(now=T0, pairs=[("b", "tracking"), ("c", "listings"), ("a", "pickup")])
    assert [(r.shop, r.aspect) for r in mixed] == [("b", "tracking"), ("c", "listings")]
    assert [(r.shop, r.aspect) for r in store.sync_requests.pending()] == [("b", "pickup")]
    # a taken request whose taker died goes to a taker of its pair only
    later = T0 + TAKEN_TIMEOUT
    assert store.sync_requests.take(now=later, pairs=[("b", "pickup")]) != []
    assert store.sync_requests.take(now=later, pairs=runs_a) == [taken]


# -- shop pauses -----------------------------------------------------------------------------------


def test_requests_given_back_are_pending_again_unless_a_new_ask_absorbs_them(store: Store) -> None:
    store.sync_requests.add("a", ["tracking", "pickup"], reason="webhook", now=T0)
    taken = {r.aspect: r for r in store.sync_requests.take(now=T0)}
    store.sync_requests.add("a", ["pickup"], reason="later ask", now=T0 + timedelta(minutes=1))
    assert store.sync_requests.give_back([taken["tracking"].id, taken["pickup"].id, 999]) == 2
    pending = store.sync_requests.pending("a")
    assert [(r.aspect, r.reason, r.requested_at) for r in pending] == [
        ("tracking", "webhook", T0),  # its own reason and time, as first asked
        ("pickup", "later ask", T0 + timedelta(minutes=1)),  # the pending ask absorbed the given-back one
    ]
    assert store.sync_requests.give_back([taken["tracking"].id]) == 0  # once only
    assert len(store.sync_requests.take(now=T0)) == 2


def test_a_request_its_taker_never_answered_is_taken_again_after_the_timeout(store: Store) -> None:
    """A process killed after ``take`` neither marks it done nor gives it back: it must not stay
    taken for ever, or the sync the webhook asked for never runs."""
    store.sync_requests.add("a", ["tracking"], reason="webhook", now=T0)
    (first,) = store.sync_requests.take(now=T0)
    timeout = TAKEN_TIMEOUT
    assert store.sync_requests.take(now=T0 + timeout - timedelta(seconds=1)) == []  # its taker may still run it
    (again,) = store.sync_requests.take(now=T0 + timeout)
    assert (again.id, again.reason, again.requested_at) == (first.id, "webhook", T0)
    later = T0 + timeout + timedelta(minutes=1)
    assert store.sync_requests.take(now=later) == []  # taken again just now: the new taker has it
    assert store.sync_requests.take(now=later, taken_timeout=timedelta(seconds=30)) == [again]
    assert store.sync_requests.done([again.id]) == 1
    with pytest.raises(ValueError, match="positive"):
        store.sync_requests.take(now=later, taken_timeout=timedelta(0))


def test_prune_drops_requests_nobody_answered_pending_or_taken(store: Store) -> None:
    store.sync_requests.add("gone", ["tracking"], reason="taken by a dead process", now=T0)
    store.sync_requests.take(now=T0)
    store.sync_requests.add("gone", ["pickup"], reason="never taken", now=T0)
    store.sync_requests.add("live", ["tracking"], reason="recent", now=T0 + timedelta(days=6))
    now = T0 + timedelta(days=7, seconds=1)
    assert store.prune(Retention(), now=now, dry_run=True)["sync requests (unanswered)"] == 2
    assert store.prune(Retention(), now=now)["sync requests (unanswered)"] == 2
    assert [r.reason for r in store.sync_requests.take(now=now)] == ["recent"]


def test_pause_get_all_and_resume(store: Store) -> None:
    assert store.shop_pauses.get("acme") is None and store.shop_pauses.all() == []
    store.shop_pauses.pause("beta", reason="ERP migration", now=T0)
    store.shop_pauses.pause("acme", reason="first", now=T0)
    store.shop_pauses.pause("acme", reason="seller asked", now=T0 + timedelta(hours=1))
    assert store.shop_pauses.get("acme") == PauseRow("acme", "seller asked", T0 + timedelta(hours=1))
    assert [p.shop for p in store.shop_pauses.all()] == ["acme", "beta"]
    assert store.shop_pauses.resume("acme") is True
    assert store.shop_pauses.resume("acme") is False
    assert [p.shop for p in store.shop_pauses.all()] == ["beta"]


# -- notification claims ---------------------------------------------------------------------------


def test_claim_busy_released_taken_over_and_handled(store: Store) -> None:
    n = store.notifications
    assert n.claim("N1", source="tiktok", owner="a", now=T0, ttl_seconds=60) == "claimed"
    assert n.claim("N1", source="tiktok", owner="b", now=T0, ttl_seconds=60) == "busy"
    assert n.claim("N1", source="other", owner="b", now=T0, ttl_seconds=60) == "claimed"  # sources apart
    assert n.claim("N1", source="tiktok", owner="a", now=T0, ttl_seconds=60) == "claimed"  # its own again
    assert n.release("N1", source="tiktok", owner="b") is False  # not b's
    assert n.release("N1", source="tiktok", owner="a") is True
    assert n.claim("N1", source="tiktok", owner="b", now=T0, ttl_seconds=60) == "claimed"
    later = T0 + timedelta(seconds=61)  # b hung past its claim: c takes it over
    assert n.claim("N1", source="tiktok", owner="c", now=later, ttl_seconds=60) == "claimed"
    assert n.record("N1", source="tiktok", now=later) is True
    assert n.claim("N1", source="tiktok", owner="d", now=later, ttl_seconds=60) == "handled"
    assert n.release("N1", source="tiktok", owner="c") is False  # a handled claim stays
    assert n.claim("N1", source="tiktok", owner="d", now=later + timedelta(days=1), ttl_seconds=60) == "handled"
    with pytest.raises(ValueError, match="positive"):
        n.claim("N2", source="tiktok", owner="a", now=T0, ttl_seconds=0)


def test_an_id_recorded_without_a_claim_is_handled(store: Store) -> None:
    store.notifications.record("N1", source="tiktok", now=T0)
    assert store.notifications.claim("N1", source="tiktok", owner="a", now=T0, ttl_seconds=60) == "handled"


def test_prune_removes_claims_with_their_ids_and_expired_unhandled_ones(store: Store) -> None:
    n = store.notifications
    n.claim("old", source="s", owner="a", now=T0, ttl_seconds=60)
    n.record("old", source="s", now=T0)
    n.claim("stuck", source="s", owner="a", now=T0, ttl_seconds=60)
    n.claim("live", source="s", owner="a", now=T0 + timedelta(days=40), ttl_seconds=60)
    assert n.prune(before=T0 + timedelta(days=30)) == (1, 0)
    # "old" is forgotten entirely, "stuck" is free again, "live" is still held
    assert n.claim("old", source="s", owner="b", now=T0 + timedelta(days=40), ttl_seconds=60) == "claimed"
    assert n.claim("stuck", source="s", owner="b", now=T0 + timedelta(days=40), ttl_seconds=60) == "claimed"
    assert n.claim("live", source="s", owner="b", now=T0 + timedelta(days=40), ttl_seconds=60) == "busy"


# -- meta ------------------------------------------------------------------------------------------


def test_meta_get_and_set(store: Store) -> None:
    assert store.meta.get("tokens.encrypted") is None
    store.meta.set("tokens.encrypted", "fernet:1", now=T0)
    store.meta.set("tokens.encrypted", "fernet:2", now=T0)
    assert store.meta.get("tokens.encrypted") == "fernet:2"
