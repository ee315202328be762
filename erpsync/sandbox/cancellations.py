"""A buyer's cancellation request of an order, as the buyer's app would make it (admin route).

After the one-hour remorse window a buyer can only ask to cancel; the seller accepts or declines
(Partner Center "Order API overview", Cancel Policy). While the request waits, Get Order List and
Get Order Detail answer ``is_buyer_request_cancel`` true ("whether the buyer has a pending
cancellation request"), and webhook 11 reports it: ``cancellations_role`` BUYER,
``cancel_status`` CANCELLATION_REQUEST_PENDING (the webhook guide). An order's ``update_time`` is
"time of order status changes": a request changes no status, so it is left as it is (a guess: the
reference does not say whether a request moves it).

Only an order AWAITING_SHIPMENT takes a request (the Cancel Policy describes requests of orders
awaiting shipment; one on an order unpaid, shipped, delivered or cancelled is refused, here and
when an order is added with the flag).

Withdrawing the request (``pending`` false) clears the flag and emits nothing: which
``cancel_status`` a declined or withdrawn request is sent with, the guide does not settle. An order
moved to CANCELLED has its request decided (accepted), and one moved on from AWAITING_SHIPMENT
(shipped) no longer has one waiting, so ``orders.set_status`` clears it then too (a guess: what
the platform shows for a request still open when the parcel ships is not documented).
"""

from __future__ import annotations

from typing import Any

from erpsync.sandbox.orders import check_cancel_request, order_view
from erpsync.sandbox.state import SandboxState, StateError


def admin_cancel_request(state: SandboxState, order_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /_sandbox/orders/<id>/cancel_request {"pending"?: true}`` → the order's detail view."""
    order = state.world.orders.get(order_id)
    if order is None:
        raise StateError(f"unknown order {order_id}", status=404)
    pending = body.get("pending", True)
    if not isinstance(pending, bool):
        raise StateError("pending must be true (the buyer asks to cancel) or false (the request is withdrawn)")
    if pending:
        check_cancel_request(order_id, order.status)
    if pending and not order.buyer_cancel_requested:
        data = {
            "order_id": order.id,
            "cancellations_role": "BUYER",
            "cancel_status": "CANCELLATION_REQUEST_PENDING",
            "cancel_id": state.new_id("4035"),
            "create_time": state.now(),
        }
        state.notify(11, order.shop_id, data)
    order.buyer_cancel_requested = pending
    return order_view(state, order)
