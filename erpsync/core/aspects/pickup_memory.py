"""What the pickup aspect records between runs, and what the memory answers (the I/O of ``observe``).

The keys and why each exists are in ``pickup_evidence.py``. Everything is recorded on every run,
plan runs too: a save first seen by a plan run would otherwise go undated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from erpsync.core.address import raw_address_fingerprint
from erpsync.core.aspects.pickup_evidence import (
    NO,
    YES,
    PickupHistory,
    activation_package,
    aware,
    key,
    save_estimate,
)
from erpsync.core.aspects.pickup_record import NO_RECORD, offered_after_record, record_value, weighed_decline
from erpsync.core.aspects.pickup_state import infer_pickup_state
from erpsync.core.models import PickupSignals, ProviderRegion, SubscriptionStatus, Warehouse
from erpsync.core.pickup_regions import region_for
from erpsync.core.ports import ObservationMemory

__all__ = ["recall"]


def recall(
    memory: ObservationMemory,
    warehouse: Warehouse,
    signals: PickupSignals | None,
    erp: Warehouse | None,
    *,
    erp_read: bool,
    now: datetime,
    regions: Sequence[ProviderRegion],
    review_sla_hours: float,
    lookback_days: int,
) -> PickupHistory:
    """Record this run's sightings of ``warehouse`` and return what the memory says about it.

    ``erp`` is the bound ERP warehouse; ``erp_read`` says the ERP side was read without errors,
    so an unbound warehouse may be recorded as having no ERP mode. ``pickup_active`` is recorded
    last, from the state the other sightings give: only its value before a save matters, and
    that does not change whether the state is ACTIVE.
    """
    wid = warehouse.id
    address = memory.observe(key("seller_address_raw", wid), raw_address_fingerprint(warehouse.address), now)
    slots = signals.slots if signals else None
    offered = memory.observe(key("pickup_offered", wid), YES if slots.can_pickup else NO, now) if slots else None
    mode = erp.handover_mode if erp is not None else None
    erp_mode = None
    if erp is not None or erp_read:
        erp_mode = memory.observe(key("erp_mode", wid), mode.value if mode else "none", now)
    history = PickupHistory(address, offered, erp_mode, confirmation=memory.pickup_confirmation(wid, now))
    save = save_estimate(history, review_sla_hours)
    region = region_for(warehouse.address, regions)
    if save is not None and region is not None:
        # pickup in effect since the save: the slots say so, or (not read) a package after the save
        # does, or an operator's record made after it: remembered, so the review stays over once
        # the record expires on a quiet warehouse; so is any record made after it (a declined call)
        c = history.confirmation
        after_save = c if c is not None and aware(c.confirmed_at) > save.seen_at else None
        confirmed = after_save is not None and after_save.status is SubscriptionStatus.ACTIVE
        seen = bool(slots.can_pickup) if slots else (activation_package(signals, save, region) is not None or confirmed)
        recorded = record_value(after_save) if after_save is not None else NO_RECORD
        record = memory.observe(key("pickup_record", wid), recorded, now)
        history = replace(
            history,
            activation=memory.observe(key("pickup_activation", wid), YES if seen else NO, now),
            record=record,
        )
        # whether the slots offered pickup since a declined call was recorded: kept apart, since
        # the activation is dated from before the record when pickup stayed in effect across it
        declined = weighed_decline(record, save)
        if declined is not None:
            since_record = offered_after_record(declined, offered_now=bool(slots and slots.can_pickup))
            sighting = memory.observe(key("pickup_offered_after_record", wid), since_record, now)
            history = replace(history, offered_after_record=sighting)
    state = infer_pickup_state(
        signals,
        warehouse.address,
        history,
        regions,
        now,
        warehouse_id=wid,
        erp_mode=mode,
        review_sla_hours=review_sla_hours,
        lookback_days=lookback_days,
    )
    if state.status is not SubscriptionStatus.UNKNOWN:
        active = YES if state.status is SubscriptionStatus.ACTIVE else NO
        history = replace(history, active=memory.observe(key("pickup_active", wid), active, now))
    return history
