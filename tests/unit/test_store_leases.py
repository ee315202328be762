"""Leases: one holder at a time, expiry lets others take over, only the owner releases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from store_backends import BACKENDS, open_store

from erpsync.core.errors import LockedError
from erpsync.core.store import Store

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
NAME = "shop:acme"


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store on SQLite, and on PostgreSQL when one is configured (``store_backends``)."""
    with open_store(request.param, tmp_path) as s:
        yield s


def test_acquire_then_second_owner_refused(store: Store) -> None:
    assert store.leases.acquire(NAME, owner="a", ttl_seconds=60, now=T0)
    assert not store.leases.acquire(NAME, owner="b", ttl_seconds=60, now=T0 + timedelta(seconds=59))
    holder = store.leases.get(NAME)
    assert holder is not None and holder.owner == "a" and holder.fence == 1
    assert holder.expires_at == T0 + timedelta(seconds=60)


def test_other_leases_are_independent(store: Store) -> None:
    assert store.leases.acquire(NAME, owner="a", ttl_seconds=60, now=T0)
    assert store.leases.acquire("shop:globex", owner="b", ttl_seconds=60, now=T0)


def test_owner_may_acquire_again_which_extends_it(store: Store) -> None:
    store.leases.acquire(NAME, owner="a", ttl_seconds=60, now=T0)
    assert store.leases.acquire(NAME, owner="a", ttl_seconds=60, now=T0 + timedelta(seconds=30))
    holder = store.leases.get(NAME)
    assert holder is not None and holder.acquired_at == T0 and holder.fence == 1
    assert holder.expires_at == T0 + timedelta(seconds=90)


def test_expired_lease_is_taken_over_with_a_new_fence(store: Store) -> None:
    store.leases.acquire(NAME, owner="a", ttl_seconds=60, now=T0)
    later = T0 + timedelta(seconds=60)
    assert store.leases.get(NAME, now=later) is None  # expired: nobody holds it
    assert store.leases.acquire(NAME, owner="b", ttl_seconds=60, now=later)
    holder = store.leases.get(NAME)
    assert holder is not None and holder.owner == "b" and holder.acquired_at == later and holder.fence == 2
    # the paused old holder can neither renew nor release the new holder's lease
    assert not store.leases.renew(NAME, owner="a", ttl_seconds=60, now=later)
    assert not store.leases.release(NAME, owner="a")
    assert store.leases.get(NAME) == holder


def test_renew_extends_only_the_owners_lease(store: Store) -> None:
    store.leases.acquire(NAME, owner="a", ttl_seconds=60, now=T0)
    t1 = T0 + timedelta(seconds=50)
    assert store.leases.renew(NAME, owner="a", ttl_seconds=60, now=t1)
    assert not store.leases.acquire(NAME, owner="b", ttl_seconds=60, now=T0 + timedelta(seconds=100))
    holder = store.leases.get(NAME)
    assert holder is not None and holder.expires_at == t1 + timedelta(seconds=60)
    assert not store.leases.renew("shop:none", owner="a", ttl_seconds=60, now=t1)


def test_release_by_non_owner_is_a_no_op(store: Store) -> None:
    store.leases.acquire(NAME, owner="a", ttl_seconds=60, now=T0)
    assert not store.leases.release(NAME, owner="b")
    assert store.leases.get(NAME) is not None
    assert store.leases.release(NAME, owner="a")
    assert store.leases.get(NAME) is None
    assert store.leases.acquire(NAME, owner="b", ttl_seconds=60, now=T0)


def test_ttl_must_be_positive(store: Store) -> None:
    with pytest.raises(ValueError, match="ttl_seconds"):
        store.leases.acquire(NAME, owner="a", ttl_seconds=0, now=T0)


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


def test_lease_context_holds_and_releases(store: Store) -> None:
    clock = FakeClock(T0)
    with store.leases.hold(NAME, owner="a", ttl_seconds=60, clock=clock, sleep=clock.sleep) as held:
        assert held.owner == "a"
        assert not store.leases.acquire(NAME, owner="b", ttl_seconds=60, now=T0)
    assert store.leases.get(NAME) is None


def test_lease_context_releases_on_error(store: Store) -> None:
    clock = FakeClock(T0)
    with pytest.raises(RuntimeError), store.leases.hold(NAME, owner="a", ttl_seconds=60, clock=clock):
        raise RuntimeError("boom")
    assert store.leases.get(NAME) is None


def test_lease_context_waits_then_raises_a_useful_error(store: Store) -> None:
    store.leases.acquire(NAME, owner="host1:123:run-7", ttl_seconds=600, now=T0)
    clock = FakeClock(T0)
    with (
        pytest.raises(LockedError) as caught,
        store.leases.hold(NAME, owner="b", ttl_seconds=60, wait_seconds=5, clock=clock, sleep=clock.sleep),
    ):
        pytest.fail("must not get the lease")
    message = str(caught.value)
    assert "'shop:acme'" in message and "host1:123:run-7" in message
    assert "2025-03-01 08:10:00 UTC" in message and "--wait" in message and "5s" in message
    assert sum(clock.slept) == pytest.approx(5) and len(clock.slept) == 5


def test_lease_context_gets_the_lease_when_it_expires_while_waiting(store: Store) -> None:
    store.leases.acquire(NAME, owner="a", ttl_seconds=3, now=T0)
    clock = FakeClock(T0)
    with store.leases.hold(NAME, owner="b", ttl_seconds=60, wait_seconds=10, clock=clock, sleep=clock.sleep) as held:
        assert held.owner == "b" and held.fence == 2
    assert clock.now == T0 + timedelta(seconds=3)


def test_no_wait_raises_at_once(store: Store) -> None:
    store.leases.acquire(NAME, owner="a", ttl_seconds=60, now=T0)
    clock = FakeClock(T0)
    with (
        pytest.raises(LockedError, match="held by a"),
        store.leases.hold(NAME, owner="b", ttl_seconds=60, clock=clock),
    ):
        pass
    assert clock.slept == []


def test_a_host_whose_clock_is_off_the_database_servers_is_told(store: Store) -> None:
    """Leases are judged by each process's clock: ``erpsync check`` reports a host that drifted."""
    from erpsync.core.store.clock import CLOCK_NOTE_SECONDS, clock_note

    ahead = store.clock_offset(datetime.now(UTC) + timedelta(seconds=90))
    if store.engine.dialect.name == "sqlite":
        assert ahead is None  # one machine, one clock
    else:
        assert ahead is not None and 85 < ahead < 95
        behind = store.clock_offset(datetime.now(UTC) - timedelta(seconds=90))
        assert behind is not None and -95 < behind < -85
        in_step = store.clock_offset(datetime.now(UTC))
        assert in_step is not None and abs(in_step) < CLOCK_NOTE_SECONDS
    assert clock_note(None) is None and clock_note(CLOCK_NOTE_SECONDS - 1) is None
    note = clock_note(90.4)
    assert note is not None and "90 s ahead of" in note and "synchronised" in note
    assert "behind" in (clock_note(-30) or "")
