"""The pickup aspect's drifts and notes over a shop (pure): each seller warehouse's state, then its rules.

The rules themselves are in ``pickup_rules.py``, listed in the docstring of ``aspects/pickup.py``.
"""

from __future__ import annotations

from erpsync.core.aspects.pickup_observation import PickupObservation
from erpsync.core.aspects.pickup_rules import CAN_FIRE, WarehouseView, shortlist, stale_waybills
from erpsync.core.aspects.pickup_state import infer_draft
from erpsync.core.models import Drift, ProviderRegion
from erpsync.core.pickup_regions import region_for

__all__ = ["pickup_drifts", "pickup_notes"]

_UNSEEN = ProviderRegion("", (), "", "", None)  # a marker: no region looked up yet


def pickup_drifts(aspect: str, obs: PickupObservation) -> list[Drift]:
    """Pure: every pickup drift in the observation, per warehouse in the order of ``RULES``.

    The state each rule reads is inferred here (``infer_draft``, as ``obs.state_for`` would), with
    the warehouse's region looked up once for both.
    """
    erp_for, regions, signals, history = obs.erp_for(), obs.regions, obs.signals, obs.history
    now, sla, lookback, guides = obs.now, obs.review_sla_hours, obs.lookback_days, obs.guides
    region_of: dict[str, ProviderRegion | None] = {}  # by city: a shop has a few
    w = WarehouseView(obs, aspect)
    out = []
    for wh in obs.seller_warehouses:
        erp = erp_for.get(wh.id)
        mode = erp.handover_mode if erp is not None else None
        address = wh.address
        if (region := region_of.get(address.city, _UNSEEN)) is _UNSEEN:
            region = region_of[address.city] = region_for(address, regions)
        seen = signals.get(wh.id)
        draft, save = infer_draft(seen, address, history.get(wh.id), region, now, mode, sla, lookback, guides)
        w.aim(wh, draft, save, erp, region, mode, seen)
        for rule in CAN_FIRE[draft.status]:
            if (drift := rule(w)) is not None:
                out.append(drift)
    return out


def pickup_notes(obs: PickupObservation) -> list[str]:
    """What could not be compared, said instead of guessed (``observe`` stores these).

    Nothing here depends on the inferred state, so none is inferred.
    """
    notes = []
    erp_for = obs.erp_for()
    for wh in obs.seller_warehouses:
        erp = erp_for.get(wh.id)
        if erp is not None and erp.handover_mode is None:
            notes.append(f"{wh.id}: ERP warehouse {erp.id} keeps no handover mode: not compared")
        region = region_for(wh.address, obs.regions)
        if (
            region is not None
            and region.switch_at is None
            and (stale := stale_waybills(region, obs.signals.get(wh.id)))
        ):
            notes.append(
                f"{wh.id}: {len(stale)} PICK UP waybill(s) do not start with {region.prefix} "
                f"({shortlist(stale, lambda p: p.tracking_number or '')}), but no switch date is known for "
                f"{region.name}: configure switch_at in [[aspects.pickup.regions]] to check them"
            )
    return notes
