"""What the pickup inference knows besides this run's signals: remembered sightings and saves (pure).

Seller Center dates neither its warehouse saves nor the subscription's changes, so erpsync dates
them itself from what it remembers between runs (``ObservationMemory``). The keys, one set per
seller warehouse:

* ``seller_address_raw:{wid}``: the address as saved (``raw_address_fingerprint``), so a save
  that only adds a comma is seen; it is apart from the normalised comparison on purpose.
* ``pickup_offered:{wid}``: "yes"/"no", whether the handover slots offered pickup (recorded only
  when they were read). yes → no is evidence of a save: a save restarts the review and pickup
  stops being offered until it completes.
* ``erp_mode:{wid}``: the bound ERP warehouse's handover mode, or "none".
* ``pickup_activation:{wid}``: "yes"/"no", whether this run saw pickup in effect after the latest
  save. Packages leave the lookback window, so without it a completed review would read as
  pending again once the warehouse is quiet for a while.
* ``pickup_active:{wid}``: "yes"/"no", whether the inferred state was ACTIVE (not recorded when
  unknown). Its value before a save tells a cancellation from a shop that never subscribed.
* ``pickup_record:{wid}``: the status of an operator's record made after the latest save and when
  it was made ("not_subscribed@<ISO time>"; older rows hold the status alone), while it is in
  force; "none" otherwise. A record of a declined call (what a stuck review advises) keeps
  answering that save once it expires (``declined_after_save`` in ``pickup_record.py``), as
  ``pickup_activation`` does for a record of ACTIVE; a newer save is a new review. When it was
  made tells it from pickup seen in effect before it (older evidence) and after it (newer evidence).
* ``pickup_offered_after_record:{wid}``: while a record of a declined call answers the latest
  save (in force, or expired since), its ``pickup_record`` value, followed by "+offered" when
  this run's slots offered pickup. ``pickup_activation`` dates pickup in effect from when it
  turned so, which may be before the record; this keeps the slots' sighting after the record, so
  a run whose slot read fails once the record expired does not weigh the decline against only
  older evidence (``pickup_record.py``). The value before the current one is kept until it
  changes, so the sighting outlives runs that read no slots.

All datetimes from memory may be naive (SQLite); they are read as UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from erpsync.core.aspects.pickup_texts import Reason, at
from erpsync.core.models import (
    Confidence,
    HandoverMode,
    PackageSignal,
    PickupConfirmation,
    PickupSignals,
    ProviderRegion,
    SaveEstimate,
    SubscriptionStatus,
    Texts,
)
from erpsync.core.ports import Sighting

__all__ = [
    "HANDED_OVER",
    "NO",
    "YES",
    "Draft",
    "PickupHistory",
    "activated_after_save",
    "activation_package",
    "after",
    "aware",
    "erp_switched_to_drop_off",
    "key",
    "offered_stopped",
    "provider_of_waybill",
    "recency",
    "save_estimate",
    "still_to_hand_over",
    "was_active_before_save",
]

YES, NO = "yes", "no"

#: package statuses of parcels the carrier already has (Open API "Get Package Detail":
#: PROCESSING is arranged and waiting for collection, FULFILLING is collected and in transit)
HANDED_OVER = frozenset({"FULFILLING", "COMPLETED", "CANCELLED"})


def key(kind: str, warehouse_id: str) -> str:
    """The memory key of ``kind`` (``seller_address_raw``, ``pickup_offered``, ...) for a warehouse."""
    return f"{kind}:{warehouse_id}"


def aware(dt: datetime) -> datetime:
    """Naive datetimes are taken as UTC, so they compare with the switch date."""
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def after(packages: Iterable[PackageSignal], since: datetime | None) -> list[PackageSignal]:
    """Packages created after ``since`` (all of them if None; undated ones only then)."""
    if since is None:
        return list(packages)
    return [p for p in packages if p.created_at is not None and aware(p.created_at) > aware(since)]


_UNDATED = datetime.min.replace(tzinfo=UTC)  # an undated package is the oldest


def recency(package: PackageSignal) -> tuple[datetime, str]:
    """How new a package is, for ``max``: its creation time, then its id.

    Packages of the same second, or undated ones, are told apart by the greater package id (the
    order the TikTok connector lists them in), so the newest package never depends on the order a
    read returned them in: two runs over the same packages decide the same.
    """
    return (aware(package.created_at) if package.created_at else _UNDATED, package.id)


def still_to_hand_over(package: PackageSignal) -> bool:
    """Whether the carrier does not have the parcel yet (an unknown status counts as not yet)."""
    return (package.status or "").upper() not in HANDED_OVER


@dataclass(frozen=True)
class PickupHistory:
    """What the memory said about one warehouse this run (None: nothing recorded this run)."""

    address: Sighting | None = None
    offered: Sighting | None = None
    erp_mode: Sighting | None = None
    activation: Sighting | None = None
    active: Sighting | None = None
    confirmation: PickupConfirmation | None = None
    record: Sighting | None = None
    offered_after_record: Sighting | None = None


def _went(s: Sighting | None, old: str, new: str) -> bool:
    return s is not None and s.changed_at is not None and s.previous == old and s.value == new


def save_estimate(history: PickupHistory, review_sla_hours: float) -> SaveEstimate | None:
    """The latest save erpsync can date: the newest of an address change and pickup no longer offered.

    The save happened after ``after`` (the old value's last sighting) and by ``seen_at``. The
    review clock counts from ``after`` when the gap is within the SLA, so it starts at the save
    rather than a poll interval late; a longer gap says too little, so it counts from ``seen_at``.
    """
    seen: list[tuple[datetime, datetime | None]] = []
    if history.address is not None and history.address.changed_at is not None:
        seen.append((aware(history.address.changed_at), history.address.previous_seen_at))
    offered = history.offered
    if offered is not None and offered.changed_at is not None and _went(offered, YES, NO):
        seen.append((aware(offered.changed_at), offered.previous_seen_at))
    if not seen:
        return None
    seen_at, before = max(seen, key=lambda s: s[0])
    prior = aware(before) if before is not None else None
    close = prior is not None and timedelta(0) <= seen_at - prior <= timedelta(hours=review_sla_hours)
    start = prior if close and prior is not None else seen_at
    if prior is None:
        basis = Texts(
            f"saved before {at(seen_at).en} (first seen then); counted from {at(seen_at).en}",
            f"保存于{at(seen_at).zh}之前（当时首次发现）；从{at(seen_at).zh}起计",
        )
    else:
        basis = Texts(
            f"saved between {at(prior).en} and {at(seen_at).en}; counted from {at(start).en}",
            f"保存于{at(prior).zh}至{at(seen_at).zh}之间；从{at(start).zh}起计",
        )
    return SaveEstimate(at=start, seen_at=seen_at, after=prior, basis=basis)


def offered_stopped(history: PickupHistory, save: SaveEstimate) -> bool:
    """Whether the save was seen as pickup no longer offered (rather than as an address change)."""
    o = history.offered
    return o is not None and o.changed_at is not None and _went(o, YES, NO) and aware(o.changed_at) == save.seen_at


def was_active_before_save(history: PickupHistory, save: SaveEstimate) -> bool:
    """Whether pickup was in effect just before the save: offered then, or inferred ACTIVE then."""
    for s in (history.offered, history.active):
        if s is not None and s.changed_at is not None and s.previous == YES and aware(s.changed_at) >= save.seen_at:
            return True
    return False


def erp_switched_to_drop_off(history: PickupHistory, save: SaveEstimate) -> datetime | None:
    """When erpsync saw the ERP turn to DROP OFF after the save; None when it did not.

    Only a save *followed by* the ERP switching to DROP OFF reads as declining the provider's call
    (``docs/domain.md``): an ERP already on DROP OFF before the save and unchanged since disagrees
    with the subscription the save asks for. A switch counts when seen after the last run that saw
    the old address (the run that saw the save included: the two then happened between the same
    runs, in an order no run can tell, and the cancel steps have the ERP updated with the re-save).
    Only a switch from PICK UP counts: "none" (a run that found no ERP row bound) is no mode the
    ERP said, so the same DROP OFF coming back is no change.
    """
    m = history.erp_mode
    if m is None or m.changed_at is None or not _went(m, HandoverMode.PICKUP.value, HandoverMode.DROP_OFF.value):
        return None
    changed = aware(m.changed_at)
    followed = changed >= save.seen_at or (save.after is not None and changed > save.after)
    return changed if followed else None


def activated_after_save(history: PickupHistory, save: SaveEstimate) -> bool:
    """Whether a run since the save saw pickup in effect (``pickup_activation``)."""
    s = history.activation
    if s is None:
        return False
    if s.value == YES:
        return True
    return s.previous == YES and s.changed_at is not None and aware(s.changed_at) > save.seen_at


def activation_seen(history: PickupHistory) -> datetime | None:
    """The latest time a run is known to have seen pickup in effect (``pickup_activation``), so an
    operator's record is weighed against it: while in effect, since it turned so; once no longer,
    the last run that still saw it. None when no run dated it."""
    s = history.activation
    if s is None:
        return None
    if s.value == YES:
        return aware(s.changed_at or s.first_seen_at)
    seen = s.previous_seen_at or s.changed_at
    return aware(seen) if s.previous == YES and seen is not None else None


def provider_of_waybill(tracking: str | None, region: ProviderRegion) -> str | None:
    """The region's provider whose prefix the waybill carries (the current one, or the one before)."""
    number = (tracking or "").strip().upper()
    if number and number.startswith(region.prefix.upper()):
        return region.provider
    if number and region.previous_prefix and number.startswith(region.previous_prefix.upper()):
        return region.previous_provider or region.previous_prefix
    return None


def activation_package(
    signals: PickupSignals | None, save: SaveEstimate, region: ProviderRegion
) -> tuple[PackageSignal, str] | None:
    """The newest package (``recency``) created after erpsync saw the save, labelled PICK UP with a
    provider's waybill.

    Only packages created after ``seen_at`` count: one created earlier may predate the save.
    """
    found = [
        (p, provider)
        for p in after(signals.packages if signals else (), save.seen_at)
        if p.handover_method is HandoverMode.PICKUP and (provider := provider_of_waybill(p.tracking_number, region))
    ]
    return max(found, key=lambda f: recency(f[0]), default=None)


@dataclass
class Draft:
    """A state under construction: rows 1-4 of the inference fill it, the confirmation rule may change it.

    ``evidence_at`` is when the newest evidence it rests on arose (None: undated or none), so an
    operator's record can be weighed against it.
    """

    status: SubscriptionStatus
    confidence: Confidence
    reasons: list[Reason] = field(default_factory=list)
    provider: str | None = None
    since: datetime | None = None
    pending_since: datetime | None = None
    evidence_at: datetime | None = None
