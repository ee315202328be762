"""A shop's steady run commits only what changed: a lease renewed a moment ago is read, not written;
an aspect with nothing seen and nothing open, and an outbox with nothing to expire, commit nothing.
Commits are counted with SQLAlchemy's ``commit`` event on the real SQLite store."""

from __future__ import annotations

from datetime import timedelta

from store_shop_setup import T0, commits, drift, store_fixture  # noqa: F401 (the fixture ``store``)

from erpsync.core.store import Store
from erpsync.core.store.rows import OutboxItem

NAME = "shop:acme"


def test_a_lease_renewed_within_a_third_of_its_time_is_confirmed_by_a_read(store: Store) -> None:
    assert store.leases.acquire(NAME, owner="a", ttl_seconds=60, now=T0)
    with commits(store) as count:
        assert store.leases.confirm(NAME, owner="a", ttl_seconds=60, now=T0 + timedelta(seconds=20))
    assert count[0] == 0
    held = store.leases.get(NAME)
    assert held is not None and held.expires_at == T0 + timedelta(seconds=60)


def test_an_older_lease_is_renewed(store: Store) -> None:
    assert store.leases.acquire(NAME, owner="a", ttl_seconds=60, now=T0)
    later = T0 + timedelta(seconds=21)
    with commits(store) as count:
        assert store.leases.confirm(NAME, owner="a", ttl_seconds=60, now=later)
    assert count[0] == 1
    held = store.leases.get(NAME)
    assert held is not None and held.expires_at == later + timedelta(seconds=60)


def test_a_lease_lost_or_freed_is_not_confirmed(store: Store) -> None:
    assert store.leases.acquire(NAME, owner="a", ttl_seconds=60, now=T0)
    assert not store.leases.confirm(NAME, owner="b", ttl_seconds=60, now=T0)  # held by another
    assert store.leases.release(NAME, owner="a")  # `erpsync unlock --force` frees it the same way
    assert not store.leases.confirm(NAME, owner="a", ttl_seconds=60, now=T0)


def test_an_aspect_with_nothing_seen_and_nothing_open_commits_nothing(store: Store) -> None:
    with commits(store) as count:
        changes = store.drifts.record("acme", "warehouse_address", [], now=T0, run_id="r1")
    assert count[0] == 0 and changes.opened == changes.still_open == changes.resolved == []


def test_an_open_drift_no_longer_seen_still_resolves(store: Store) -> None:
    store.drifts.record("acme", "warehouse_address", [drift()], now=T0, run_id="r1")
    changes = store.drifts.record("acme", "warehouse_address", [], now=T0 + timedelta(minutes=5), run_id="r2")
    assert [r.fingerprint for r in changes.resolved] == [drift().fingerprint]
    assert store.drifts.list_open(shop="acme") == []


def test_an_outbox_with_nothing_to_expire_commits_nothing(store: Store) -> None:
    store.outbox.add([OutboxItem("alrt_1", "hook", {"message": "1"})], now=T0)
    with commits(store) as count:
        assert store.outbox.expire(now=T0 + timedelta(hours=1), older_than=timedelta(hours=72)) == []
    assert count[0] == 0
    (gone,) = store.outbox.expire(now=T0 + timedelta(hours=73), older_than=timedelta(hours=72))
    assert gone.id == "alrt_1" and gone.status == "expired"
