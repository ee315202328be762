"""Admin routes for the pickup review as the seed tells it: the provider's call, and parcels leaving.

Seller Center raises a subscription request on every address save; the provider reviews it and
calls the seller, who confirms (pickup is active) or says pickup is not needed (the request is
rejected and the shop ships DROP OFF); a review can also stall (docs/domain.md). These routes play
the provider and the driver, on the virtual clock:

- ``POST /_sandbox/warehouses/<id>/review`` ``{"delay_hours"?: h | null, "complete"?: true}``:
  ``delay_hours`` is this warehouse's review delay from now on, overriding the world's
  (``/_sandbox/settings``); null means the provider never calls, so the review stalls. A review
  already pending completes at save + delay, but never before this call. ``complete`` completes the
  pending review now (409 when none is pending). Answers the warehouse as ``/_sandbox/state``
  shows it.
- ``POST /_sandbox/warehouses/<id>/decline``: the provider called about the pending review and the
  seller said pickup is not needed: ``cancelled`` from now on, new labels DROP OFF. 409 when no
  review is pending (save the address first). ``.../cancel_pickup`` (:mod:`admin_seller`) does
  the save and the decline in one step.
- ``POST /_sandbox/packages/<id>/collect``: the parcel is handed over (the driver collected it, or
  the seller's drop-off arrived): every order of the package goes IN_TRANSIT (webhook 1 each) and
  the package FULFILLING, as :data:`orders.PACKAGE_FOLLOWS` relates them; a package never shipped
  counts as shipped now. 409 when it has no waybill yet, is cancelled, its orders cannot ship
  (UNPAID, ON_HOLD) or it was already collected. Answers the package as ``/_sandbox/state`` shows it.

The Open API shows the outcome only as it shows any subscription: ``handover_time_slots.can_pickup``
and the labels of new packages (:mod:`api`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request

from erpsync.sandbox import subscription as lifecycle
from erpsync.sandbox.admin_context import AdminContext, AdminRoute, json_body
from erpsync.sandbox.admin_views import package_view, warehouse_view
from erpsync.sandbox.model import Subscription
from erpsync.sandbox.orders import PACKAGE_FOLLOWS, set_status
from erpsync.sandbox.state import StateError

COLLECTED = "IN_TRANSIT"
AFTER_COLLECTION = ("IN_TRANSIT", "DELIVERED", "COMPLETED")
NOT_READY = ("UNPAID", "ON_HOLD", "CANCELLED")

#: A review action of :mod:`subscription` (complete, decline): (subscription, now, default delay).
ReviewAction = Callable[[Subscription, int, float | None], Subscription]


def review(ctx: AdminContext, request: Request, values: dict[str, str]) -> dict[str, Any]:
    body = json_body(request)
    unknown = set(body) - {"delay_hours", "complete"}
    if unknown or not body:
        raise StateError(f'give {{"delay_hours": h|null}} and/or {{"complete": true}}; unknown: {sorted(unknown)}')
    complete = body.get("complete", False)
    if not isinstance(complete, bool):
        raise StateError("complete must be true or false")
    state = ctx.state
    warehouse = state.warehouse(values["warehouse_id"])
    default = state.world.review_delay_hours
    if "delay_hours" in body:
        delay = body["delay_hours"]
        if delay is not None and (isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0):
            raise StateError("delay_hours must be a number >= 0 or null (the review stalls)")
        lifecycle.set_delay(warehouse.subscription, None if delay is None else float(delay), state.now(), default)
    if complete:
        _review_action(lifecycle.complete, warehouse.subscription, state.now(), default)
    return warehouse_view(ctx, warehouse)


def decline(ctx: AdminContext, request: Request, values: dict[str, str]) -> dict[str, Any]:
    if json_body(request):
        raise StateError("decline takes no body: it answers the pending review's call")
    warehouse = ctx.state.warehouse(values["warehouse_id"])
    _review_action(lifecycle.decline, warehouse.subscription, ctx.state.now(), ctx.state.world.review_delay_hours)
    return warehouse_view(ctx, warehouse)


def _review_action(action: ReviewAction, sub: Subscription, now: int, default: float | None) -> None:
    try:
        action(sub, now, default)
    except lifecycle.NoPendingReview as exc:
        raise StateError(str(exc), status=409) from None


def collect(ctx: AdminContext, request: Request, values: dict[str, str]) -> dict[str, Any]:
    if json_body(request):
        raise StateError("collect takes no body")
    state = ctx.state
    package = state.world.packages.get(values["package_id"])
    if package is None:
        raise StateError(f"unknown package {values['package_id']}", status=404)
    orders = [state.world.orders[o] for o in package.order_ids if o in state.world.orders]
    if package.status == "CANCELLED" or not package.tracking_number:
        why = "is cancelled" if package.status == "CANCELLED" else "has no waybill yet (ship it first)"
        raise StateError(f"package {package.id} cannot be collected: it {why}", status=409)
    blocked = [o for o in orders if o.status in NOT_READY]
    if blocked:
        why = f"order {blocked[0].id} is {blocked[0].status}"
        raise StateError(f"package {package.id} cannot be collected: {why}", status=409)
    if orders and all(o.status in AFTER_COLLECTION for o in orders):
        raise StateError(f"package {package.id} was already collected (orders {orders[0].status})", status=409)
    for order in orders:
        if order.status not in AFTER_COLLECTION:
            set_status(state, order, COLLECTED)
    now = state.now()
    package.status = PACKAGE_FOLLOWS[COLLECTED]
    package.update_time = max([now, package.update_time, *(o.update_time for o in orders)])
    if package.shipped_at is None:
        package.shipped_at = now
    return package_view(ctx, package)


ROUTES: list[AdminRoute] = [
    ("/_sandbox/warehouses/<warehouse_id>/review", ["POST"], review),
    ("/_sandbox/warehouses/<warehouse_id>/decline", ["POST"], decline),
    ("/_sandbox/packages/<package_id>/collect", ["POST"], collect),
]
