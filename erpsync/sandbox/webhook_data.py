"""The ``data`` of each webhook type, as the webhook guide pages document it, for ``/_sandbox/webhooks/emit``.

Source: the Partner Center webhook guide (public scrape, 2025-12), one page per type with a fields
table and an event example. The sandbox emits types 1 (orders.py), 11 (cancellations.py), and 5
and 37 (audit.py) itself; every documented type below can also be sent through the admin API, and
:func:`complete` fills the documented fields a test left out with values taken from the shop's own
orders, packages and products (else the guide's sample ids), so ``{"type": 6}`` alone sends a
well-formed event. Fields the test gives win, and extra fields are kept (a receiver must tolerate
fields it does not know).

==== ================================  ==========================================================
type name                              data
==== ================================  ==========================================================
1    ORDER_STATUS_CHANGE               order_id, order_status, is_on_hold_order, update_time
3    RECIPIENT_ADDRESS_UPDATE          order_id, update_time
4    PACKAGE_UPDATE                    sc_type, role_type, package_list[{package_id, order_id_list}],
                                       update_time
5    PRODUCT_STATUS_CHANGE             product_id, status, suspended_reason, update_time
6    SELLER_DEAUTHORIZATION            message
7    UPCOMING_AUTHORIZATION_EXPIRATION message, expiration_time (Unix time as a string)
11   CANCELLATION_STATUS_CHANGE        order_id, cancellations_role, cancel_status, cancel_id, create_time
12   RETURN_STATUS_CHANGE              order_id, return_role, return_type, return_status, return_id,
                                       create_time, update_time
15   PRODUCT_INFORMATION_CHANGE        product_id, change_source, changed_fields[], update_time
37   PRODUCT_AUDIT_STATUS_CHANGE       product_id, audit{status, pre_approved_reasons[]},
                                       integrated_platform_statuses[], update_time
==== ================================  ==========================================================

``product_id`` is a JSON number in 5 and 37 (the guide's tables say int) and a string in 15 (its
table says string). Type 7's default expiry is 30 days after virtual now (the guide: it is sent
from 30 days before expiry).
"""

from __future__ import annotations

from typing import Any

from erpsync.sandbox.state import SandboxState

#: The documented data fields of each type (the table above).
FIELDS: dict[int, tuple[str, ...]] = {
    1: ("order_id", "order_status", "is_on_hold_order", "update_time"),
    3: ("order_id", "update_time"),
    4: ("sc_type", "role_type", "package_list", "update_time"),
    5: ("product_id", "status", "suspended_reason", "update_time"),
    6: ("message",),
    7: ("message", "expiration_time"),
    11: ("order_id", "cancellations_role", "cancel_status", "cancel_id", "create_time"),
    12: ("order_id", "return_role", "return_type", "return_status", "return_id", "create_time", "update_time"),
    15: ("product_id", "change_source", "changed_fields", "update_time"),
    37: ("product_id", "audit", "integrated_platform_statuses", "update_time"),
}
SAMPLE_ORDER = "576486316948490001"  # the guide's sample ids
SAMPLE_PRODUCT = "1729576486316948490"
SAMPLE_PACKAGE = "1154576486316948490"


def complete(state: SandboxState, type_: int, shop_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with every documented field of ``type_`` it lacks filled in (unknown types: as given)."""
    if type_ not in FIELDS:
        return dict(data)
    defaults = _defaults(state, type_, shop_id)
    return {**{name: defaults[name] for name in FIELDS[type_] if name not in data}, **data}


def _defaults(state: SandboxState, type_: int, shop_id: str) -> dict[str, Any]:
    now = state.now()
    world = state.world
    order = next((o for o in world.orders.values() if o.shop_id == shop_id), None)
    package = next((p for p in world.packages.values() if p.shop_id == shop_id), None)
    product = next((p for p in world.products.values() if p.shop_id == shop_id), None)
    order_id = order.id if order else SAMPLE_ORDER
    product_id = product.id if product else SAMPLE_PRODUCT
    status = {"CANCELLED": "CANCEL"}.get(order.status, order.status) if order else "AWAITING_SHIPMENT"
    return {
        "order_id": order_id,
        "order_status": status,
        "is_on_hold_order": bool(order and order.was_on_hold),
        "update_time": now,
        "create_time": now,
        "sc_type": "SPLIT",
        "role_type": "ROLE_SELLER",
        "package_list": [
            {
                "package_id": package.id if package else SAMPLE_PACKAGE,
                "order_id_list": list(package.order_ids) if package else [order_id],
            }
        ],
        "product_id": int(product_id) if type_ in (5, 37) and product_id.isdigit() else product_id,
        "status": "PRODUCT_STATUS_CHANGED",
        "suspended_reason": "",
        "message": _message(type_, shop_id),
        "expiration_time": str(now + 30 * 86400),
        "cancellations_role": "BUYER",
        "cancel_status": "CANCELLATION_REQUEST_PENDING",
        "cancel_id": f"4035{order_id[-15:]}",
        "return_role": "BUYER",
        "return_type": "REFUND",
        "return_status": "RETURN_OR_REFUND_REQUEST_PENDING",
        "return_id": f"4035{order_id[-15:]}",
        "change_source": "SELLER_CENTER",
        "changed_fields": ["title"],
        "audit": {"status": "APPROVED", "pre_approved_reasons": []},
        "integrated_platform_statuses": [],
    }


def _message(type_: int, shop_id: str) -> str:
    """The guide's message texts, with the shop id filled in."""
    if type_ == 7:
        return f"Authorization of shop_id {shop_id} is expiring in 30 days. Please direct the merchant to re-authorize."
    return f"Shop_id {shop_id} is deauthorized from your APP by merchant."
