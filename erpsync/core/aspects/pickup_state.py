"""Infer Seller Center's pickup subscription from what the Open API shows and erpsync remembers (pure).

The inference table and the reasons behind it are in the docstring of ``aspects/pickup.py``,
which uses this module; it is split out so the heart of the pickup aspect reads on one screen
and can be tested without any aspect machinery. The domain facts it relies on: ``docs/domain.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from erpsync.core.aspects.pickup_confirm import with_confirmation
from erpsync.core.aspects.pickup_evidence import (
    Draft,
    PickupHistory,
    activated_after_save,
    activation_package,
    activation_seen,
    after,
    aware,
    erp_switched_to_drop_off,
    offered_stopped,
    provider_of_waybill,
    recency,
    save_estimate,
    was_active_before_save,
)
from erpsync.core.aspects.pickup_record import Declined, declined_after_save
from erpsync.core.aspects.pickup_texts import Reason
from erpsync.core.models import (
    Address,
    Confidence,
    HandoverMode,
    PackageSignal,
    PickupSignals,
    PickupState,
    ProviderRegion,
    SaveEstimate,
    SlotSignal,
    SubscriptionStatus,
)
from erpsync.core.pickup_guides import DEFAULT_GUIDES, Guides
from erpsync.core.pickup_regions import region_for

__all__ = ["after", "aware", "effective_mode", "infer_draft", "infer_pickup_state"]

S = SubscriptionStatus
# The statuses and modes as module names: the diff infers a state per warehouse, and an enum
# class's attribute (``S.ACTIVE``) costs five times a name in Python 3.11 (``EnumType.__getattr__``).
ACTIVE, NOT_SUBSCRIBED, CANCELLED, PENDING_REVIEW = S.ACTIVE, S.NOT_SUBSCRIBED, S.CANCELLED, S.PENDING_REVIEW
OUT_OF_COVERAGE, UNKNOWN = S.OUT_OF_COVERAGE, S.UNKNOWN
PICKUP, DROP_OFF = HandoverMode.PICKUP, HandoverMode.DROP_OFF
_NOTHING_REMEMBERED = PickupHistory()


def effective_mode(status: SubscriptionStatus) -> HandoverMode | None:
    """How parcels go: PICK UP when active; DROP OFF otherwise, also during a review (the seller may
    self-ship until it completes); unknown when the status is."""
    if status is UNKNOWN:
        return None
    return PICKUP if status is ACTIVE else DROP_OFF


def _current_provider(region: ProviderRegion | None, now: datetime) -> str | None:
    if region is None:
        return None
    if region.switch_at is not None and aware(now) < aware(region.switch_at):
        return region.previous_provider or region.provider
    return region.provider


def _collects(region: ProviderRegion, waybill: str, package: PackageSignal) -> str:
    """Who collects, from a PICK UP waybill's provider: a waybill of the provider before the
    switch that was printed after it is a stale label (``waybill_provider_mismatch`` says so),
    and the region's provider now is the one whose driver comes."""
    switch, created = region.switch_at, package.created_at
    if waybill != region.provider and switch is not None and created is not None and aware(created) >= aware(switch):
        return region.provider
    return waybill


def _offered(slots: SlotSignal, history: PickupHistory, save: SaveEstimate | None) -> Draft:
    """Row 1: the slots offer pickup.

    It began when erpsync first saw pickup offered again, or lacking that after the latest save
    (a review makes it active): parcels printed before then went DROP OFF rightly.
    """
    d = Draft(ACTIVE, "strong", [Reason.slots_offer(slots.package_id)])
    o = history.offered
    if o is not None and o.changed_at is not None and o.previous == "no" and o.value == "yes":
        d.since = aware(o.changed_at)
        d.reasons.append(Reason.offered_since(d.since))
    elif save is not None:
        d.since = save.seen_at
    return d


def _after_save(
    signals: PickupSignals | None,
    save: SaveEstimate,
    region: ProviderRegion,
    history: PickupHistory,
    erp_mode: HandoverMode | None,
    review_sla_hours: float,
    guides: Guides,
) -> Draft:
    """Row 3: a save is known and the slots, if read, offer no pickup."""
    slots = signals.slots if signals else None
    strength: Confidence = "strong" if slots is not None else "weak"
    reasons = [Reason.slots_refuse(slots.package_id)] if slots is not None else []
    reasons.append(Reason.saved(save.basis, save.seen_at, offered_stopped=offered_stopped(history, save)))
    declined = declined_after_save(history, save)
    if slots is None:
        found = activation_package(signals, save, region)
        if found is not None:
            package, provider = found
            # dated by the package: an operator's record made before it is older evidence
            dated = aware(package.created_at) if package.created_at else save.seen_at
            if declined is not None and declined.newer_than(dated):
                return _declined(declined, strength, reasons, save)  # pickup in effect until the decline
            reasons.append(Reason.activated(package, provider, guides))
            return Draft(ACTIVE, "weak", reasons, _collects(region, provider, package), None, None, dated)
        if activated_after_save(history, save):
            seen = activation_seen(history)
            if declined is not None and declined.newer_than(seen):
                return _declined(declined, strength, reasons, save)  # pickup in effect until the decline
            reason = Reason.activated_before()
            return Draft(ACTIVE, "weak", [*reasons, reason], region.provider, None, None, seen)
    if erp_mode is DROP_OFF:
        switched = erp_switched_to_drop_off(history, save)
        was_active = was_active_before_save(history, save)
        if switched is not None:  # the save, then the ERP to DROP OFF: the call was declined
            reasons.append(Reason.declined(was_active=was_active, erp_switched_at=switched))
            status = CANCELLED if was_active else NOT_SUBSCRIBED
            return Draft(status, strength, reasons, None, save.at, None, max(save.seen_at, switched))
        if was_active:  # pickup in effect, the ERP on DROP OFF: the mode_mismatch's cancel steps
            reasons.append(Reason.declined(was_active=True, erp_switched_at=None))
            return Draft(CANCELLED, strength, reasons, None, save.at, None, save.seen_at)
    if declined is not None:
        return _declined(declined, strength, reasons, save)
    if erp_mode is DROP_OFF:
        reasons.append(Reason.erp_kept_drop_off())  # DROP OFF since before the save: it asks for pickup
    reasons.append(Reason.pending(save.at, review_sla_hours))
    return Draft(PENDING_REVIEW, strength, reasons, None, save.at, save.at, save.seen_at)


def _declined(declined: Declined, strength: Confidence, reasons: list[Reason], save: SaveEstimate) -> Draft:
    """An operator's record of a declined call made after the save, since expired: it still answers the save."""
    reasons.append(Reason.declined_recorded(declined.status, declined.last_in_force))
    return Draft(declined.status, strength, reasons, None, save.at, None, declined.last_in_force)


def _without_save(signals: PickupSignals | None, region: ProviderRegion, lookback_days: int, guides: Guides) -> Draft:
    """Row 4: no save is known."""
    slots = signals.slots if signals else None
    if slots is not None:
        return Draft(NOT_SUBSCRIBED, "strong", [Reason.slots_refuse(slots.package_id), Reason.either_way()])
    packages = [p for p in (signals.packages if signals else ()) if p.handover_method]
    newest = max(packages, key=recency, default=None)  # ties: the greater id
    if newest is None:
        return Draft(UNKNOWN, "none", [Reason.no_packages(lookback_days)])
    dated = aware(newest.created_at) if newest.created_at else None
    if newest.handover_method is DROP_OFF:
        return Draft(NOT_SUBSCRIBED, "weak", [Reason.newest_drop_off(newest), Reason.either_way()], evidence_at=dated)
    provider = provider_of_waybill(newest.tracking_number, region)
    if provider is None:
        return Draft(UNKNOWN, "none", [Reason.label_only(newest)])
    reasons = [Reason.newest_pickup(newest, provider, guides)]
    return Draft(ACTIVE, "weak", reasons, _collects(region, provider, newest), evidence_at=dated)


def infer_pickup_state(
    signals: PickupSignals | None,
    address: Address,
    history: PickupHistory | None,
    regions: Iterable[ProviderRegion],
    now: datetime,
    *,
    warehouse_id: str | None = None,
    erp_mode: HandoverMode | None = None,
    review_sla_hours: float = 24,
    lookback_days: int = 14,
    guides: Guides = DEFAULT_GUIDES,
) -> PickupState:
    """Infer the seller side's pickup subscription (the table in ``aspects/pickup.py``).

    ``history`` is what the memory said this run (None: nothing remembered), ``erp_mode`` the
    bound ERP warehouse's handover mode: a switch from PICK UP to DROP OFF there after a save
    reads as declining the provider's call, and so does DROP OFF since before a save made while
    pickup was in effect (the cancel steps of a mode mismatch); anything else as waiting for the
    review, unless an operator recorded the call declined after the save. ``guides`` name the
    providers in the reasons' Chinese texts.
    """
    region = region_for(address, regions if isinstance(regions, tuple) else tuple(regions))
    d, save = infer_draft(signals, address, history, region, now, erp_mode, review_sla_hours, lookback_days, guides)
    h = history or _NOTHING_REMEMBERED
    return PickupState(
        warehouse_id or (signals.warehouse_id if signals else ""),
        d.status,
        effective_mode(d.status),
        d.provider,
        d.pending_since if d.status is PENDING_REVIEW else None,
        d.confidence,
        tuple([r.evidence for r in d.reasons]),
        tuple([r.why for r in d.reasons]),
        d.since,
        save,
        h.confirmation if h.confirmation and aware(h.confirmation.expires_at) > aware(now) else None,
    )


def infer_draft(
    signals: PickupSignals | None,
    address: Address,
    history: PickupHistory | None,
    region: ProviderRegion | None,
    now: datetime,
    erp_mode: HandoverMode | None,
    review_sla_hours: float,
    lookback_days: int,
    guides: Guides,
) -> tuple[Draft, SaveEstimate | None]:
    """The inference of ``infer_pickup_state`` before it is frozen into a ``PickupState``, and the save.

    The drift rules read the draft directly: a diff infers one state per warehouse, and most
    warehouses raise no drift, so nothing is built that only a ``PickupState`` needs. ``region``
    is the address's (``region_for``), looked up once by the caller, who needs it too.
    """
    h = history or _NOTHING_REMEMBERED
    save = save_estimate(h, review_sla_hours) if history is not None else None
    slots = signals.slots if signals else None
    if slots is not None and slots.can_pickup:
        d = _offered(slots, h, save)
        d.provider = _current_provider(region, now)
    elif region is None:
        reasons = [Reason.slots_refuse(slots.package_id)] if slots is not None else []
        d = Draft(OUT_OF_COVERAGE, "strong" if slots is not None else "weak", [*reasons, Reason.outside(address.city)])
        d.evidence_at = save.seen_at if save else None
    elif save is not None:
        d = _after_save(signals, save, region, h, erp_mode, review_sla_hours, guides)
    else:
        d = _without_save(signals, region, lookback_days, guides)
    if h.confirmation is not None:
        d = with_confirmation(
            d, h.confirmation, save=save, strong=slots is not None, now=now, provider=_current_provider(region, now)
        )
    return d, save
