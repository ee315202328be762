"""Infer Seller Center's pickup subscription from what the Open API shows (pure).

The inference table and the reasons behind it are in the docstring of ``aspects/pickup.py``,
which uses this module; it is split out so the heart of the pickup aspect reads on one screen
and can be tested without any aspect machinery. The domain facts it relies on: ``docs/domain.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from erpsync.core.models import (
    Address,
    Confidence,
    HandoverMode,
    PackageSignal,
    PickupSignals,
    PickupState,
    ProviderRegion,
    SubscriptionStatus,
)
from erpsync.core.pickup_regions import region_for

__all__ = ["after", "aware", "infer_pickup_state"]

S = SubscriptionStatus


def aware(dt: datetime) -> datetime:
    """Naive datetimes are taken as UTC, so they compare with the switch date."""
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def after(packages: Iterable[PackageSignal], since: datetime | None) -> list[PackageSignal]:
    """Packages created after ``since`` (all of them if None; undated ones only then)."""
    if since is None:
        return list(packages)
    return [p for p in packages if p.created_at is not None and aware(p.created_at) > aware(since)]


def _provider_by_prefix(tracking: str | None, regions: Iterable[ProviderRegion]) -> str | None:
    number = (tracking or "").strip().upper()
    for region in regions:
        if number.startswith(region.prefix.upper()):
            return region.provider
        if region.previous_prefix and number.startswith(region.previous_prefix.upper()):
            return region.previous_provider or region.previous_prefix
    return None


def infer_pickup_state(
    signals: PickupSignals | None,
    address: Address,
    address_changed_at: datetime | None,
    regions: Iterable[ProviderRegion],
    now: datetime,
    *,
    warehouse_id: str | None = None,
    lookback: timedelta = timedelta(days=14),
) -> PickupState:
    """Infer the seller side's pickup subscription from the Open API's evidence (table above)."""
    regions = tuple(regions)
    wid = warehouse_id or (signals.warehouse_id if signals else "")
    region = region_for(address, regions)
    changed = aware(address_changed_at) if address_changed_at else None
    pending = changed is not None and timedelta(0) <= aware(now) - changed <= lookback
    evidence: list[str] = []
    if region is None:
        evidence.append(f"city {address.city or '(blank)'} is outside every pickup region")
    if changed is not None:
        evidence.append(f"address re-saved with a change at {changed.isoformat()}")

    def state(status: SubscriptionStatus, confidence: Confidence, *, provider: str | None = None) -> PickupState:
        mode = None if status is S.UNKNOWN else HandoverMode.PICKUP if status is S.ACTIVE else HandoverMode.DROP_OFF
        return PickupState(
            warehouse_id=wid,
            status=status,
            effective_mode=None if status is S.UNKNOWN else mode,
            provider=provider,
            pending_since=changed if status is S.PENDING_REVIEW else None,
            confidence=confidence,
            evidence=tuple(evidence),
        )

    slots = signals.slots if signals else None
    if slots is not None:
        if slots.can_pickup:
            evidence.append(f"handover slots of package {slots.package_id} offer pickup")
            provider = None
            if region is not None:
                provider = region.provider if aware(now) >= region.switch_at else region.previous_provider
            return state(S.ACTIVE, "strong", provider=provider)
        evidence.append(f"handover slots of package {slots.package_id} offer no pickup")
        if region is None:
            return state(S.OUT_OF_COVERAGE, "strong")
        if pending:
            return state(S.PENDING_REVIEW, "strong")
        evidence.append("not subscribed, or cancelled (declining the provider's call looks the same)")
        return state(S.NOT_SUBSCRIBED, "strong")

    packages = [p for p in after(signals.packages if signals else (), changed) if p.handover_method]
    floor = datetime.min.replace(tzinfo=UTC)
    newest = max(packages, key=lambda p: aware(p.created_at) if p.created_at else floor, default=None)
    if newest is not None and newest.handover_method is HandoverMode.PICKUP:
        provider = _provider_by_prefix(newest.tracking_number, [region] if region else regions)
        if provider:
            evidence.append(f"newest package {newest.id} is PICK UP with waybill {newest.tracking_number}")
            return state(S.ACTIVE, "weak", provider=provider)
    if region is None:
        return state(S.OUT_OF_COVERAGE, "weak")
    if newest is None:
        since = "since the address change" if changed else f"in the last {lookback.days} days"
        evidence.append(f"no packages {since}")
        return state(S.UNKNOWN, "none")
    method = newest.handover_method
    assert method is not None  # ``packages`` keeps only those with a handover method
    if pending:
        evidence.append(f"newest package {newest.id} since the change is {method.label}")
        return state(S.PENDING_REVIEW, "weak")
    if newest.handover_method is HandoverMode.DROP_OFF:
        evidence.append(f"newest package {newest.id} is DROP OFF")
        evidence.append("not subscribed, or cancelled (declining the provider's call looks the same)")
        return state(S.NOT_SUBSCRIBED, "weak")
    evidence.append(
        f"newest package {newest.id} is labelled PICK UP but waybill {newest.tracking_number or '(none)'} "
        "carries no provider prefix: a label is not proof of a subscription"
    )
    return state(S.UNKNOWN, "none")
