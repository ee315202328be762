"""Built-in aspects and the default drift policy, registered like any plugin's."""

from __future__ import annotations

from collections.abc import Callable

from erpsync.core.aspects.base import Aspect, Winner
from erpsync.core.aspects.listings import ListingsAspect
from erpsync.core.aspects.order_status import OrderStatusAspect
from erpsync.core.aspects.pickup import PickupAspect
from erpsync.core.aspects.ship_by import ShipByAspect
from erpsync.core.aspects.tracking import TrackingAspect
from erpsync.core.aspects.warehouse_address import WarehouseAddressAspect
from erpsync.core.models import Drift
from erpsync.core.policy import Policy
from erpsync.plugins import hookimpl


@hookimpl
def register_aspects(register: Callable[[Aspect], None]) -> None:
    """In the order a run takes them (``sync_scope.select_aspects``): ``ship_by`` after
    ``tracking``, so an order the run ships with the ERP's tracking number has left
    ``AWAITING_SHIPMENT`` when its ship-by time is checked, instead of alerted as unshipped
    ("opened ship_by_near", then "resolved" next run)."""
    register(WarehouseAddressAspect())
    register(PickupAspect())
    register(OrderStatusAspect())
    register(TrackingAspect())
    register(ShipByAspect())
    register(ListingsAspect())


@hookimpl(trylast=True)
def resolve_drift(drift: Drift, policy: Policy) -> Winner:
    """The configured policy decides, unless a plugin answered first."""
    return policy.winner_for(drift)
