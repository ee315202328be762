"""What the pickup aspect remembers between runs, in the real state store: an operator's record of
pickup in effect after a save ends that save's review for good, as a run that saw it would."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from erpsync.core.aspects.pickup import PickupObservation, pickup_drifts
from erpsync.core.aspects.pickup_memory import recall
from erpsync.core.models import Address, HandoverMode, PickupSignals, SubscriptionStatus, Warehouse
from erpsync.core.pickup_regions import BEIJING, DEFAULT_REGIONS
from erpsync.core.store import Store

NOW = datetime(2024, 5, 1, 10, 0, tzinfo=BEIJING)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
DG = Address("张三", "13800138000", "CN", "广东省", "东莞市", "长安镇", "步步高大道126号", "523000")
QUIET = PickupSignals("WH-DG", None, ())  # no slots read, no package in the lookback


def test_an_active_record_after_a_save_keeps_the_review_over_once_it_expires(tmp_path: Path) -> None:
    """A quiet warehouse re-saved with a full stop; an operator saw 生效中 a day later (valid 7
    days). When the record expired, the save read as a review again: stuck, critical, with
    nothing changed in Seller Center."""
    erp = Warehouse("E1", "DG", DG, HandoverMode.PICKUP, seller_warehouse_id="WH-DG")
    before, after = Warehouse("WH-DG", "DG", DG), Warehouse("WH-DG", "DG", replace(DG, street=DG.street + "。"))
    saved = NOW - 20 * DAY
    with Store.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
        memory = store.observations.for_shop("s")

        def state_at(warehouse: Warehouse, at: datetime) -> tuple[SubscriptionStatus, set[str]]:
            history = recall(
                memory, warehouse, QUIET, erp, erp_read=True, now=at, regions=DEFAULT_REGIONS,
                review_sla_hours=24, lookback_days=14,
            )  # fmt: skip
            obs = PickupObservation(
                shop="s", now=at, seller_warehouses=[warehouse], erp_warehouses=[erp],
                signals={"WH-DG": QUIET}, history={"WH-DG": history},
            )  # fmt: skip
            return obs.state_for(warehouse).status, {d.kind for d in pickup_drifts("pickup", obs)}

        state_at(before, saved - HOUR)
        assert state_at(after, saved)[0] is SubscriptionStatus.PENDING_REVIEW  # the save is seen
        store.confirmations.confirm(
            "s", "WH-DG", "active", now=saved + 26 * HOUR, expires_at=saved + 33 * HOUR + 6 * DAY
        )
        for day in (2, 5, 8, 9, 15):  # the record runs out after day 7
            assert state_at(after, saved + day * DAY) == (SubscriptionStatus.ACTIVE, set()), day
