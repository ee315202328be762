"""Who carries a package, and which delivery options and providers a warehouse offers.

Shared by the order, package and fulfilment views so they always agree on a package's
``shipping_provider_id``/``name``: an explicit provider (self-shipment or a shipping-info update)
wins, otherwise the tracking number's prefix names the carrier (``WS`` → Wanse), as on a label.
"""

from __future__ import annotations

from erpsync.sandbox.model import Carrier, DeliveryOption, Package
from erpsync.sandbox.world import World


def providers(world: World) -> dict[str, Carrier]:
    """Every known shipping provider by id: the scenario's carriers and delivery-option providers."""
    known = {c.id: c for c in world.carriers.values()}
    for option in world.delivery_options.values():
        for p in option.providers:
            known.setdefault(p.id, p)
    return known


def by_tracking(world: World, tracking: str) -> tuple[str, str]:
    """(id, name) of the carrier whose prefix starts ``tracking`` (longest wins); ("", "") if none."""
    best = max(
        (c for c in world.carriers.values() if tracking.startswith(c.prefix)),
        key=lambda c: len(c.prefix),
        default=None,
    )
    return (best.id, best.name) if best and tracking else ("", "")


def of_package(world: World, package: Package) -> tuple[str, str]:
    """(shipping_provider_id, shipping_provider_name) of a package."""
    if package.provider_id:
        known = providers(world).get(package.provider_id)
        return package.provider_id, known.name if known else ""
    return by_tracking(world, package.tracking_number)


def options_for(world: World, warehouse_id: str) -> list[DeliveryOption]:
    """Delivery options offered for a warehouse (an option without warehouse_ids is offered everywhere)."""
    return [o for o in world.delivery_options.values() if not o.warehouse_ids or warehouse_id in o.warehouse_ids]


def option_of(world: World, package: Package, warehouse_id: str | None) -> str:
    """The package's delivery option id: explicit, else the warehouse's option carrying its provider."""
    if package.delivery_option_id:
        return package.delivery_option_id
    options = options_for(world, warehouse_id or "")
    provider_id, _ = of_package(world, package)
    match = next((o for o in options if any(p.id == provider_id for p in o.providers)), None)
    chosen = match or (options[0] if options else None)
    return chosen.id if chosen else ""
