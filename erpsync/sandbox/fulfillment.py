"""Fulfilment writes and logistics reads (docs/open-api-full.md §4).

Ship: only a PROCESSING package whose orders await shipment ships. It stays PROCESSING, its orders
AWAITING_COLLECTION, until the carrier collects it (Get Package Detail: PROCESSING "arranged by seller,
waiting for carrier to collect", FULFILLING "collected by carrier and in transit"; the sandbox's
``POST /_sandbox/packages/{id}/collect`` plays the carrier). A second ship answers
400/21011040 "Package has already been shipped" (Partner Center API reference, Ship Package (202309),
error code list) and is NOT an effect (the effects counter is how tests prove "shipped exactly once").
In a batch ship the same case is an entry of ``data.errors`` with 21011020 "These orders are already
shipped" (Batch Ship Packages' list). A package or order that is unknown or of another shop answers
404/21011028 "The package does not belong to the current shop" (documented for ship, batch ship and
both shipping-info updates; on the order tracking read it is the sandbox's guess). A package that
cannot ship for another reason (unpaid order, bad handover method) is 400/36009004: no documented
code matches the sandbox's rule exactly (a guess).
PICKUP needs the warehouse's active pickup subscription, the domain rule the whole project is about.
Shipping-info updates are accepted within 72 h of shipping on the VIRTUAL clock, and once per order:
21011043 "The package has not been shipped yet" before shipping, 21011049 after the window, 21011051
"The tracking number can only be updated once." for a second update of any package of an order
already updated (the Fulfillment API overview: within 72 h of shipment and "one delivery information
update" per order in the US, UK and SEA, one update and no hour limit stated in EMEA except the UK,
LATAM and JP; Update Shipping Info's own page says 72 h and names no market, so the sandbox applies
both rules everywhere; the changelog says the window closes with 21011049).

Who ships: a package's ``shipping_type`` (Get Package Detail: TIKTOK, the seller gets the label from
TikTok; SELLER, the seller ships) decides what may be written. A ``self_shipment`` is "only needed for
merchant self-shipping packages" (Ship Package); for a TIKTOK package, Ship Package and Batch Ship
Packages answer 400/36009004 (what the live API answers is not documented: a guess). Both
shipping-info updates answer 400/21011004 for a TIKTOK package, as their error lists document ("This
API cannot be used to update package shipping information for packages that are not shipped by
sellers."). A package's ``shipping_type`` defaults to its order's (TIKTOK unless the scenario or the
admin call says SELLER; a scenario package whose delivery option is SEND_BY_SELLER is SELLER).

Webhooks: a ship moves the orders to AWAITING_COLLECTION (PARTIALLY_SHIPPING while another package of
the order waits: "One or more (but not all) items in the order have been shipped", Get Order Detail),
which emits webhook 1 per order. No webhook 4
(PACKAGE_UPDATE) is sent for a ship or a shipping-info update: the webhook guide names only combine,
split and their cancellations as its triggers (``sc_type`` values), none of which the sandbox models;
``POST /_sandbox/webhooks/emit`` sends one with the documented data when a test needs it.
"""

from __future__ import annotations

from typing import Any

from erpsync.sandbox import carriers
from erpsync.sandbox.call import Call
from erpsync.sandbox.envelope import (
    BAD_REQUEST,
    FULFILLED_BY_TIKTOK,
    NOT_OF_SHOP,
    NOT_SELLER_SHIPPED,
    NOT_SHIPPED,
    ORDERS_ALREADY_SHIPPED,
    PACKAGE_ALREADY_SHIPPED,
    SHIPPING_INFO_WINDOW,
    UPDATED_ONCE,
    SandboxError,
)
from erpsync.sandbox.model import SHIPPED_ORDER_STATUSES, Order, Package
from erpsync.sandbox.orders import packages_of, set_status
from erpsync.sandbox.state import SandboxState

MAX_BATCH = 50
UPDATE_WINDOW = 72 * 3600
SHIPPABLE_ORDERS = ("AWAITING_SHIPMENT", "PARTIALLY_SHIPPING")
TRACKING_EVENTS = (
    (0, "The seller has shipped the package ({method})"),
    (4 * 3600, "Package collected by {carrier}"),
    (86400, "Arrived at the first-mile sorting centre (东莞洪梅)"),
    (2 * 86400, "Departed the sorting centre for export"),
)


def bad(message: str) -> SandboxError:
    return SandboxError(400, BAD_REQUEST, f"Invalid params: {message}")


def own_package(state: SandboxState, shop_id: str, package_id: str) -> Package:
    package = state.world.packages.get(str(package_id))
    if package is None or package.shop_id != shop_id:
        raise SandboxError(404, NOT_OF_SHOP, f"The package does not belong to the current shop: {package_id}")
    return package


def own_order(state: SandboxState, shop_id: str, order_id: str) -> Order:
    order = state.world.orders.get(order_id)
    if order is None or order.shop_id != shop_id:
        raise SandboxError(404, NOT_OF_SHOP, f"The package does not belong to the current shop: order {order_id}")
    return order


def _provider(state: SandboxState, value: Any, where: str) -> str:
    if not isinstance(value, str) or value not in carriers.providers(state.world):
        raise bad(f"{where} {value!r} is not a known shipping provider id (see .../shipping_providers)")
    return value


def _tracking(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise bad(f"{where} is required (a non-empty string)")
    return value.strip()


def ship(state: SandboxState, shop_id: str, package_id: str, spec: dict[str, Any]) -> Package:
    """Ship one package (validations first, then the effect, the webhooks and the count)."""
    package = own_package(state, shop_id, package_id)
    orders = [state.world.orders[o] for o in package.order_ids if o in state.world.orders]
    if (
        package.shipped_at is not None
        or package.status in ("FULFILLING", "COMPLETED")
        or any(o.status in SHIPPED_ORDER_STATUSES for o in orders)
    ):
        raise SandboxError(400, PACKAGE_ALREADY_SHIPPED, f"Package has already been shipped: {package.id}")
    blocked = [o for o in orders if o.status not in SHIPPABLE_ORDERS]
    if package.status != "PROCESSING" or blocked:  # a shipped package is caught above by shipped_at
        why = f"order {blocked[0].id} is {blocked[0].status}" if blocked else f"package is {package.status}"
        raise SandboxError(400, BAD_REQUEST, f"Package {package.id} cannot be shipped: {why}")
    warehouse = state.package_warehouse(package)
    can_pickup = warehouse is not None and state.can_pickup(warehouse.id)
    self_ship = spec.get("self_shipment")
    method = spec.get("handover_method") or ("PICKUP" if can_pickup and not self_ship else "DROP_OFF")
    if method not in ("PICKUP", "DROP_OFF"):
        raise bad("handover_method must be PICKUP or DROP_OFF")
    if method == "PICKUP" and not can_pickup:
        raise bad("handover_method PICKUP is not available: the warehouse has no active pickup subscription")
    slot = spec.get("pickup_slot")
    if slot is not None:
        times = (slot.get("start_time"), slot.get("end_time")) if isinstance(slot, dict) else ()
        ints = [t for t in times if isinstance(t, int) and not isinstance(t, bool)]
        if method != "PICKUP" or len(ints) != 2:
            raise bad("pickup_slot {start_time, end_time} (integers) is only for PICKUP")
        start, end = ints
        if start >= end:
            raise bad("pickup_slot.start_time must be before end_time")
    provider_id = None
    if self_ship is not None:
        if package.shipping_type == "TIKTOK":
            message = f"Package {package.id} is shipped by TikTok: self_shipment is only for packages the seller ships"
            raise SandboxError(400, BAD_REQUEST, message)
        if not isinstance(self_ship, dict):
            raise bad("self_shipment must be {tracking_number, shipping_provider_id}")
        tracking = _tracking(self_ship.get("tracking_number"), "self_shipment.tracking_number")
        provider_id = _provider(state, self_ship.get("shipping_provider_id"), "self_shipment.shipping_provider_id")
    else:
        tracking = package.tracking_number or (state._derive_label(warehouse, method, None)[1] if warehouse else "")
    now = state.now()
    package.handover_method, package.tracking_number, package.provider_id = method, tracking, provider_id
    package.pickup_slot = dict(slot) if slot else None
    # PROCESSING until collected. The stamp always moves, even within the second it was created or last
    # changed in: a client that reads only packages whose update_time moved must see this change
    package.shipped_at, package.update_time = now, max(now, package.update_time + 1)
    for order in orders:
        waiting = any(p.shipped_at is None and p.status == "PROCESSING" for p in packages_of(state, order.id))
        moved = "PARTIALLY_SHIPPING" if waiting else "AWAITING_COLLECTION"
        if moved != order.status:
            set_status(state, order, moved)
        else:  # still partly shipped: its line items changed, so does its update_time
            order.update_time = max(now, order.update_time + 1)
    state.effects.record("ship", package.id)
    return package


def ship_one(call: Call) -> dict[str, Any]:
    ship(call.state, call.shop.id, call.values["package_id"], call.body())
    return {}


def ship_batch(call: Call) -> dict[str, Any]:
    """Ship up to 50 packages; each failure is an entry of ``errors``, the others ship."""
    entries = call.body().get("packages")
    if not isinstance(entries, list) or not 1 <= len(entries) <= MAX_BATCH:
        raise bad(f"packages must list 1..{MAX_BATCH} packages")
    errors = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not entry.get("id"):
            raise bad(f"packages[{i}].id is required")
        try:
            ship(call.state, call.shop.id, str(entry["id"]), {k: v for k, v in entry.items() if k != "id"})
        except SandboxError as exc:
            code, message = exc.code, exc.message
            if code == PACKAGE_ALREADY_SHIPPED:
                code, message = ORDERS_ALREADY_SHIPPED, f"These orders are already shipped: package {entry['id']}"
            errors.append({"code": code, "message": message, "detail": {"package_id": str(entry["id"])}})
    return {"errors": errors}


def _update_info(state: SandboxState, packages: list[Package], body: dict[str, Any], what: str) -> None:
    tracking = _tracking(body.get("tracking_number"), "tracking_number")
    provider_id = _provider(state, body.get("shipping_provider_id"), "shipping_provider_id")
    now = state.now()
    for p in packages:
        if p.shipping_type == "TIKTOK":
            message = (
                f"{what}: This API cannot be used to update package shipping information for packages that are "
                f"not shipped by sellers ({p.id})"
            )
            raise SandboxError(400, NOT_SELLER_SHIPPED, message)
        if p.shipped_at is None:
            raise SandboxError(400, NOT_SHIPPED, f"{what}: the package has not been shipped yet ({p.id})")
        if now - p.shipped_at > UPDATE_WINDOW:
            message = f"{what}: unable to update the tracking number (only within 72 h of shipping)"
            raise SandboxError(400, SHIPPING_INFO_WINDOW, message)
    orders = [state.world.orders[o] for p in packages for o in p.order_ids if o in state.world.orders]
    updated = next((o for o in orders if o.shipping_info_updated), None)
    if updated is not None:
        message = f"{what}: The tracking number can only be updated once (order {updated.id} was updated)"
        raise SandboxError(400, UPDATED_ONCE, message)
    for p in packages:
        p.tracking_number, p.provider_id, p.update_time = tracking, provider_id, max(now, p.update_time + 1)
        state.effects.record("shipping_info_update", p.id)
    for order in orders:
        order.shipping_info_updated = True


def package_shipping_info(call: Call) -> dict[str, Any]:
    package = own_package(call.state, call.shop.id, call.values["package_id"])
    _update_info(call.state, [package], call.body(), f"Package {package.id}")
    return {}


def order_shipping_info(call: Call) -> dict[str, Any]:
    order = own_order(call.state, call.shop.id, call.values["order_id"])
    packages = packages_of(call.state, order.id)
    if not packages:
        raise SandboxError(400, NOT_SHIPPED, f"Order {order.id}: the package has not been shipped yet")
    _update_info(call.state, packages, call.body(), f"Order {order.id}")
    return {}


def delivery_options(call: Call) -> dict[str, Any]:
    warehouse = call.state.world.warehouses.get(call.values["warehouse_id"])
    if warehouse is None or warehouse.shop_id != call.shop.id:
        raise SandboxError(404, BAD_REQUEST, f"Invalid params: warehouse {call.values['warehouse_id']} not found")
    options = carriers.options_for(call.state.world, warehouse.id)
    return {"delivery_options": [{"id": o.id, "name": o.name, "type": o.type} for o in options]}


def shipping_providers(call: Call) -> dict[str, Any]:
    option_id = call.values["delivery_option_id"]
    option = call.state.world.delivery_options.get(option_id)
    if option is None:
        raise SandboxError(404, BAD_REQUEST, f"Invalid params: delivery option {option_id} not found")
    if option.fulfilled_by_tiktok:
        message = (
            "The delivery of the specified delivery_option_id is fulfilled by TikTok. "
            "No shipping provider will be returned."
        )
        raise SandboxError(400, FULFILLED_BY_TIKTOK, message)
    return {"shipping_providers": [{"id": p.id, "name": p.name} for p in option.providers]}


def order_tracking(call: Call) -> dict[str, Any]:
    """Events of the order's first shipped package that have happened by virtual now, newest first."""
    order = own_order(call.state, call.shop.id, call.values["order_id"])
    shipped = [p for p in packages_of(call.state, order.id) if p.shipped_at is not None]
    if not shipped:
        return {"tracking": []}
    package = shipped[0]
    assert package.shipped_at is not None
    _, carrier = carriers.of_package(call.state.world, package)
    now = call.state.now()
    events = [
        {
            "description": text.format(method=package.handover_method, carrier=carrier or "the carrier"),
            "update_time_millis": (package.shipped_at + offset) * 1000,
        }
        for offset, text in TRACKING_EVENTS
        if package.shipped_at + offset <= now
    ]
    return {"tracking": events[::-1]}


F = "/fulfillment/202309"
ROUTES = [
    (f"{F}/packages/ship", "POST", ship_batch, False),
    (f"{F}/packages/<package_id>/ship", "POST", ship_one, False),
    (f"{F}/packages/<package_id>/shipping_info/update", "POST", package_shipping_info, False),
    (f"{F}/orders/<order_id>/shipping_info/update", "POST", order_shipping_info, False),
    (f"{F}/orders/<order_id>/tracking", "GET", order_tracking, False),
    ("/logistics/202309/warehouses/<warehouse_id>/delivery_options", "GET", delivery_options, False),
    ("/logistics/202309/delivery_options/<delivery_option_id>/shipping_providers", "GET", shipping_providers, False),
]
