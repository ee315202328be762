"""Operators' pickup confirmations in the state store: confirm, read while valid, list, clear, prune."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from store_backends import BACKENDS, open_store

from erpsync.core.errors import UsageError
from erpsync.core.models import PickupConfirmation, SubscriptionStatus
from erpsync.core.store import ConfirmationRow, Retention, Store

T0 = datetime(2025, 9, 20, 2, 0, tzinfo=UTC)
WEEK = T0 + timedelta(days=7)
PRUNED = "pickup confirmations (expired)"


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store on SQLite, and on PostgreSQL when one is configured (``store_backends``)."""
    with open_store(request.param, tmp_path) as s:
        yield s


def test_confirm_then_get_while_valid(store: Store) -> None:
    row = store.confirmations.confirm(
        "acme", "WH-1", "pending_review", now=T0, expires_at=WEEK, note="商家后台 shows 审核中", by="ops@acme"
    )
    assert row == ConfirmationRow(
        "acme", "WH-1", SubscriptionStatus.PENDING_REVIEW, T0, WEEK, "商家后台 shows 审核中", "ops@acme"
    )
    expected = PickupConfirmation("WH-1", SubscriptionStatus.PENDING_REVIEW, T0, WEEK, "商家后台 shows 审核中")
    assert store.confirmations.get("acme", "WH-1", now=T0) == expected
    assert store.confirmations.get("acme", "WH-1", now=WEEK - timedelta(seconds=1)) == expected
    assert store.confirmations.get("acme", "WH-2", now=T0) is None
    assert store.confirmations.get("globex", "WH-1", now=T0) is None


def test_an_expired_confirmation_reads_as_none_but_is_listed_on_request(store: Store) -> None:
    store.confirmations.confirm("acme", "WH-1", "active", now=T0, expires_at=WEEK)
    assert store.confirmations.get("acme", "WH-1", now=WEEK) is None
    assert store.confirmations.list(now=WEEK) == []
    (row,) = store.confirmations.list(now=WEEK, include_expired=True)
    assert row.warehouse_id == "WH-1" and not row.valid_at(WEEK) and row.valid_at(T0)


def test_confirming_again_replaces_the_record(store: Store) -> None:
    store.confirmations.confirm("acme", "WH-1", "active", now=T0, expires_at=WEEK, note="first", by="a")
    later = T0 + timedelta(days=2)
    store.confirmations.confirm(
        "acme", "WH-1", SubscriptionStatus.NOT_SUBSCRIBED, now=later, expires_at=later + timedelta(hours=12)
    )
    (row,) = store.confirmations.list(now=later)
    assert row.status is SubscriptionStatus.NOT_SUBSCRIBED and row.confirmed_at == later
    assert row.expires_at == later + timedelta(hours=12) and row.note == "" and row.confirmed_by is None
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM pickup_confirmations")).scalar() == 1


def test_list_by_shop_and_warehouse(store: Store) -> None:
    for shop, wid in (("globex", "W-9"), ("acme", "WH-2"), ("acme", "WH-1")):
        store.confirmations.confirm(shop, wid, "active", now=T0, expires_at=WEEK)
    assert [(r.shop, r.warehouse_id) for r in store.confirmations.list(now=T0)] == [
        ("acme", "WH-1"),
        ("acme", "WH-2"),
        ("globex", "W-9"),
    ]
    assert [r.warehouse_id for r in store.confirmations.list("globex", now=T0)] == ["W-9"]
    assert store.confirmations.list("initech", now=T0) == []


def test_clear(store: Store) -> None:
    store.confirmations.confirm("acme", "WH-1", "active", now=T0, expires_at=WEEK)
    store.confirmations.confirm("acme", "WH-2", "active", now=T0, expires_at=WEEK)
    assert store.confirmations.clear("acme", "WH-1")
    assert not store.confirmations.clear("acme", "WH-1")
    assert store.confirmations.get("acme", "WH-1", now=T0) is None
    assert store.confirmations.get("acme", "WH-2", now=T0) is not None


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("pending", "unknown pickup status 'pending' (one of: active, not_subscribed, pending_review)"),
        ("ACTIVE", "unknown pickup status 'ACTIVE'"),
        ("unknown", "pickup status 'unknown' cannot be confirmed"),
        ("cancelled", "pickup status 'cancelled' cannot be confirmed"),
        (SubscriptionStatus.OUT_OF_COVERAGE, "pickup status 'out_of_coverage' cannot be confirmed"),
    ],
)
def test_only_statuses_seller_center_shows_can_be_confirmed(store: Store, status: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        store.confirmations.confirm("acme", "WH-1", status, now=T0, expires_at=WEEK)
    assert str(info.value).startswith(message)
    assert store.confirmations.list(now=T0, include_expired=True) == []


def test_an_expiry_not_after_now_or_an_overlong_name_is_refused(store: Store) -> None:
    with pytest.raises(UsageError, match="must expire after it is made"):
        store.confirmations.confirm("acme", "WH-1", "active", now=T0, expires_at=T0)
    with pytest.raises(UsageError, match="at most 255 characters"):
        store.confirmations.confirm("acme", "WH-1", "active", now=T0, expires_at=WEEK, by="x" * 256)
    assert store.confirmations.list(now=T0, include_expired=True) == []


def test_prune_removes_confirmations_expired_longer_than_the_retention(store: Store) -> None:
    store.confirmations.confirm("acme", "long-gone", "active", now=T0, expires_at=WEEK)
    store.confirmations.confirm(
        "acme", "just-gone", "active", now=T0 + timedelta(days=85), expires_at=T0 + timedelta(days=90)
    )
    store.confirmations.confirm(
        "acme", "valid", "active", now=T0 + timedelta(days=95), expires_at=T0 + timedelta(days=120)
    )
    now = T0 + timedelta(days=100)  # long-gone expired 93 days ago, just-gone 10 days ago
    assert Retention().confirmations == timedelta(days=90)
    assert store.prune(Retention(), now=now, dry_run=True)[PRUNED] == 1
    assert store.prune(Retention(), now=now)[PRUNED] == 1
    kept = store.confirmations.list(now=now, include_expired=True)
    assert [r.warehouse_id for r in kept] == ["just-gone", "valid"]
    # --older-than 0: every expired one goes, a valid one never does
    assert store.prune(Retention.uniform(timedelta(0)), now=now)[PRUNED] == 1
    assert [r.warehouse_id for r in store.confirmations.list(now=now, include_expired=True)] == ["valid"]
