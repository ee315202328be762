"""What the pickup aspect's ``observe`` hands to ``diff`` and ``plan``: both sides, signals, memory."""

from __future__ import annotations

from dataclasses import dataclass, field

from erpsync.core.aspects.base import Observation
from erpsync.core.aspects.pickup_evidence import PickupHistory
from erpsync.core.aspects.pickup_state import infer_pickup_state
from erpsync.core.aspects.warehouse_address import bind_warehouses
from erpsync.core.models import PickupSignals, PickupState, ProviderRegion, Warehouse
from erpsync.core.pickup_guides import DEFAULT_GUIDES, Guides
from erpsync.core.pickup_regions import DEFAULT_REGIONS

__all__ = ["PickupObservation"]


@dataclass
class PickupObservation(Observation):
    """Both sides' warehouses, the Open API's signals and what erpsync remembers, per seller warehouse.

    A warehouse's state is inferred from these alone (``state_for``), so ``diff`` stays pure.
    """

    seller_warehouses: list[Warehouse] = field(default_factory=list)
    erp_warehouses: list[Warehouse] = field(default_factory=list)
    signals: dict[str, PickupSignals] = field(default_factory=dict)
    history: dict[str, PickupHistory] = field(default_factory=dict)
    regions: tuple[ProviderRegion, ...] = DEFAULT_REGIONS
    review_sla_hours: float = 24
    lookback_days: int = 14
    guides: Guides = DEFAULT_GUIDES
    #: ``erp_for``'s answer and the lists it was computed from: binding is linear in the shop's
    #: warehouses, and ``state_for`` asks for it once per warehouse
    _bound: tuple[tuple[int, int, int, int], dict[str, Warehouse]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def erp_for(self) -> dict[str, Warehouse]:
        """The ERP warehouse bound to each seller warehouse id (computed once per pair of lists)."""
        seller, erp = self.seller_warehouses, self.erp_warehouses
        key = (id(seller), len(seller), id(erp), len(erp))
        if self._bound is None or self._bound[0] != key:
            pairs = bind_warehouses(self.seller_warehouses, self.erp_warehouses).pairs
            self._bound = (key, {s.id: e for s, e in pairs})
        return self._bound[1]

    def state_for(self, warehouse: Warehouse) -> PickupState:
        """The warehouse's inferred state, as reports and the memory record it.

        ``diff`` infers the same state without asking here (``pickup_drifts``: it reads the
        inference's draft, and looks the region up once for the inference and the rules).
        """
        erp = self.erp_for().get(warehouse.id)
        return infer_pickup_state(
            self.signals.get(warehouse.id),
            warehouse.address,
            self.history.get(warehouse.id),
            self.regions,
            self.now,
            warehouse_id=warehouse.id,
            erp_mode=erp.handover_mode if erp is not None else None,
            review_sla_hours=self.review_sla_hours,
            lookback_days=self.lookback_days,
            guides=self.guides,
        )
