"""Orders (``/order/202309``): search, detail, and the admin routes that add orders and move them.

The detail shape is docs/open-api-full.md §3. ``recipient_address`` is left out while the order
is UNPAID or ON_HOLD, as the real API hides it. Orders staged in the slice scenarios carry no line
items; they get one sample item per package so every order has the full shape. A line item is in
the package its ``package_id`` names (else the order's first), and its ``package_status`` is
that package's as Get Order Detail documents it: TO_FULFILL ("waiting seller to arrange the
shipment") until the package ships, then the package's status (PROCESSING, FULFILLING,
COMPLETED, CANCELLED), so an order PARTIALLY_SHIPPING tells which of its packages shipped. Every status change bumps
``update_time`` and emits webhook 1 (ORDER_STATUS_CHANGE) with the data the webhook guide documents,
``{order_id, order_status, is_on_hold_order, update_time}``, spelling CANCELLED as ``CANCEL`` as the
guide's enumeration does; ``is_on_hold_order`` is true once the order has been ON_HOLD.
``is_buyer_request_cancel`` is true while a buyer's cancellation request waits (``cancellations.py``;
the search filters on it too, as Get Order List's request documents).

Order detail (``/order/202507/orders``, and the superseded 202309 path): unknown ids and orders of
another shop are simply absent from ``orders``. More than 50 ids answer 400/36009004: the reference
documents the limit but no code for breaking it (the code is a guess).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from erpsync.sandbox import carriers, paging
from erpsync.sandbox.call import Call
from erpsync.sandbox.envelope import BAD_REQUEST, SandboxError
from erpsync.sandbox.model import ORDER_STATUSES, SHIPPED_ORDER_STATUSES, SHIPPING_TYPES, Order, Package, Warehouse
from erpsync.sandbox.scenario_values import parse_time
from erpsync.sandbox.state import SandboxState, StateError

MAX_IDS = 50
MAX_PAGE_SIZE = 100
CURRENCIES = {"GB": "GBP", "US": "USD", "MY": "MYR", "SG": "SGD", "TH": "THB", "VN": "VND", "PH": "PHP", "ID": "IDR"}
HIDDEN_ADDRESS = ("UNPAID", "ON_HOLD")
WEBHOOK_STATUS = {"CANCELLED": "CANCEL"}
#: Package status that follows an order status set through the admin API.
PACKAGE_FOLLOWS = {"IN_TRANSIT": "FULFILLING", "DELIVERED": "COMPLETED", "COMPLETED": "COMPLETED"}


def packages_of(state: SandboxState, order_id: str) -> list[Package]:
    return sorted((p for p in state.world.packages.values() if order_id in p.order_ids), key=lambda p: p.id)


def _address(region: str) -> dict[str, str]:
    return {
        "name": "J*** S***",
        "phone_number": "(+44)77******21",
        "full_address": "Flat 2, 14 Sample Street, London",
        "region_code": region,
        "postal_code": "E1 6AN",
    }


def item_package_status(package: Package) -> str:
    """A line item's ``package_status``: TO_FULFILL until its package ships, then the package's."""
    return "TO_FULFILL" if package.shipped_at is None and package.status == "PROCESSING" else package.status


def order_view(state: SandboxState, o: Order) -> dict[str, Any]:
    shop = state.world.shops[o.shop_id]
    currency = CURRENCIES.get(shop.region, "USD")
    packages = packages_of(state, o.id)
    first = packages[0] if packages else None
    provider_id, provider_name = carriers.of_package(state.world, first) if first else ("", "")
    sample = {"product_name": "Sample item", "sale_price": "9.99"}
    items = o.line_items or [{**sample, "package_id": p.id} for p in packages] or [sample]
    by_id = {p.id: p for p in packages}
    line_items = []
    for i, item in enumerate(items):
        package = by_id.get(str(item.get("package_id", ""))) or first
        line_items.append(
            {
                "id": str(item.get("id") or f"{o.id}{i + 1:02d}"),
                "sku_id": str(item.get("sku_id", "")),
                "seller_sku": str(item.get("seller_sku", "")),
                "product_id": str(item.get("product_id", "")),
                "product_name": str(item.get("product_name", "")),
                "sale_price": str(item.get("sale_price", "0.00")),
                "currency": str(item.get("currency", currency)),
                "package_id": package.id if package else "",
                "package_status": item_package_status(package) if package else "",
                "tracking_number": package.tracking_number if package else "",
                "shipping_provider_name": carriers.of_package(state.world, package)[1] if package else "",
            }
        )
    sub_total = sum((Decimal(i["sale_price"]) for i in line_items), Decimal("0"))
    view: dict[str, Any] = {
        "id": o.id,
        "status": o.status,
        "create_time": o.create_time,
        "update_time": o.update_time,
        "warehouse_id": o.warehouse_id,
        "shipping_type": o.shipping_type,
        "rts_sla_time": (o.paid_time or o.create_time) + 3 * 86400,
        "is_buyer_request_cancel": o.buyer_cancel_requested,
        "payment": {
            "currency": currency,
            "sub_total": f"{sub_total:.2f}",
            "shipping_fee": o.shipping_fee,
            "total_amount": f"{sub_total + Decimal(o.shipping_fee):.2f}",
        },
        "line_items": line_items,
        "packages": [{"id": p.id} for p in packages],
    }
    if o.paid_time is not None:
        view["paid_time"] = o.paid_time
    if first and first.tracking_number:
        view.update(
            shipping_provider=provider_name, shipping_provider_id=provider_id, tracking_number=first.tracking_number
        )
    if o.status not in HIDDEN_ADDRESS:
        view["recipient_address"] = dict(o.recipient_address or _address(shop.region))
    return view


def order_detail(call: Call) -> dict[str, Any]:
    ids = [i.strip() for i in call.params.get("ids", "").split(",") if i.strip()]
    if not ids:
        raise SandboxError(400, BAD_REQUEST, "Invalid params: ids is required (comma-separated order ids)")
    if len(ids) > MAX_IDS:
        raise SandboxError(400, BAD_REQUEST, f"Invalid params: at most {MAX_IDS} ids per call, got {len(ids)}")
    found = (call.state.world.orders.get(oid) for oid in dict.fromkeys(ids))
    return {"orders": [order_view(call.state, o) for o in found if o is not None and o.shop_id == call.shop.id]}


def search_orders(call: Call) -> dict[str, Any]:
    """Keyset paging over (sort_field, id) in the asked order; filters on status and time windows."""
    field = call.params.get("sort_field", "create_time")
    order = call.params.get("sort_order", "DESC")
    if field not in ("create_time", "update_time") or order not in ("ASC", "DESC"):
        raise SandboxError(
            400, BAD_REQUEST, "Invalid params: sort_field must be create_time|update_time, sort_order ASC|DESC"
        )
    body = call.body()
    status = body.get("order_status")
    if status is not None and status not in ORDER_STATUSES:
        raise SandboxError(400, BAD_REQUEST, f"Invalid params: order_status must be one of {', '.join(ORDER_STATUSES)}")
    names = ("create_time_ge", "create_time_lt", "update_time_ge", "update_time_lt")
    b = {k: paging.int_field(body, k) for k in names}
    cancel = body.get("is_buyer_request_cancel")
    if cancel is not None and not isinstance(cancel, bool):
        raise SandboxError(400, BAD_REQUEST, "Invalid params: is_buyer_request_cancel must be a boolean")

    def keep(o: Order) -> bool:
        return (
            o.shop_id == call.shop.id
            and (status is None or o.status == status)
            and (b["create_time_ge"] is None or o.create_time >= b["create_time_ge"])
            and (b["create_time_lt"] is None or o.create_time < b["create_time_lt"])
            and (b["update_time_ge"] is None or o.update_time >= b["update_time_ge"])
            and (b["update_time_lt"] is None or o.update_time < b["update_time_lt"])
            and (cancel is None or o.buyer_cancel_requested == cancel)
        )

    rows = [o for o in call.state.world.orders.values() if keep(o)]
    chunk, token = paging.page(
        rows,
        call.params,
        MAX_PAGE_SIZE,
        f"orders:{field}:{order}",
        lambda o: (getattr(o, field), o.id),
        order == "DESC",
    )
    return {"orders": [order_view(call.state, o) for o in chunk], "next_page_token": token, "total_count": len(rows)}


#: the statuses a buyer's cancellation request waits on: "Order API overview", Cancel Policy,
#: describes the request the seller reviews for an order awaiting shipment (``cancellations.py``)
REQUESTABLE = ("AWAITING_SHIPMENT",)


def set_status(state: SandboxState, order: Order, status: str) -> None:
    """Move an order, bump its update_time and emit webhook 1 (CANCELLED is sent as CANCEL)."""
    order.status = status
    order.update_time = max(state.now(), order.update_time + 1)
    order.was_on_hold = order.was_on_hold or status == "ON_HOLD"
    # decided: accepted (CANCELLED), or the order left the status a request waits on (shipped)
    order.buyer_cancel_requested = order.buyer_cancel_requested and status in REQUESTABLE
    data = {
        "order_id": order.id,
        "order_status": WEBHOOK_STATUS.get(status, status),
        "is_on_hold_order": order.was_on_hold,
        "update_time": order.update_time,
    }
    state.notify(1, order.shop_id, data)


# -- admin ------------------------------------------------------------------------------------


def admin_set_status(state: SandboxState, order_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /_sandbox/orders/<id>/status {"status"}``; packages follow (cancel, transit, delivery)."""
    order = state.world.orders.get(order_id)
    if order is None:
        raise StateError(f"unknown order {order_id}", status=404)
    status = body.get("status")
    if status not in ORDER_STATUSES:
        raise StateError(f"status must be one of {', '.join(ORDER_STATUSES)}")
    set_status(state, order, status)
    for package in packages_of(state, order.id):
        orders = [state.world.orders[o] for o in package.order_ids if o in state.world.orders]
        if status == "CANCELLED" and all(o.status == "CANCELLED" for o in orders):
            package.status, package.update_time = "CANCELLED", order.update_time
        elif status in PACKAGE_FOLLOWS:
            package.status, package.update_time = PACKAGE_FOLLOWS[status], order.update_time
    return order_view(state, order)


def check_cancel_request(order_id: str, status: str) -> None:
    """Refuse a pending cancellation request on an order no request can wait on."""
    if status not in REQUESTABLE:
        raise StateError(
            f"order {order_id} is {status}: a buyer's cancellation request waits only on an order "
            f"{' or '.join(REQUESTABLE)}"
        )


def _cancel_request(value: Any, order_id: str, status: str) -> bool:
    if not isinstance(value, bool):
        raise StateError("is_buyer_request_cancel must be true (a request waits) or false")
    if value:
        check_cancel_request(order_id, status)
    return value


def admin_add_order(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /_sandbox/orders``: one order (line items by seller_sku or explicit) with a package,
    or with the ``packages`` listed (each line item in the one its ``package_id`` names)."""
    warehouse = state.warehouse(str(body.get("warehouse_id", "")))
    status = body.get("status", "AWAITING_SHIPMENT")
    if status not in ORDER_STATUSES:
        raise StateError(f"status must be one of {', '.join(ORDER_STATUSES)}")
    now = state.now()
    try:
        created = parse_time(body.get("create_time", now), now, "create_time")
    except ValueError as exc:
        raise StateError(str(exc)) from None
    order_id = str(body.get("id") or state.new_id("5769"))
    if order_id in state.world.orders:
        raise StateError(f"order {order_id} already exists", status=409)
    order = Order(
        order_id,
        warehouse.shop_id,
        status,
        warehouse.id,
        created,
        created,
        line_items=[_line_item(state, warehouse.shop_id, i) for i in body.get("line_items", [])],
        recipient_address=body.get("recipient_address"),
        paid_time=None if status == "UNPAID" else created,
        shipping_type=str(body.get("shipping_type", "TIKTOK")),
        buyer_cancel_requested=_cancel_request(body.get("is_buyer_request_cancel", False), order_id, status),
    )
    if order.shipping_type not in SHIPPING_TYPES:
        raise StateError(f"shipping_type must be one of {', '.join(SHIPPING_TYPES)}")
    spec = body.get("package", {})
    specs = body.get("packages", [] if spec is False or spec is None else [spec])
    if not isinstance(specs, list) or not all(isinstance(s, dict) for s in specs):
        shape = "{id?, handover_method?, tracking_number?, status?}"
        raise StateError(f"package must be an object {shape} or false; packages a list of them")
    for one in specs:
        _add_package(state, order, warehouse, one)
    state.world.orders[order_id] = order
    return order_view(state, order)


def _add_package(state: SandboxState, order: Order, warehouse: Warehouse, spec: dict[str, Any]) -> None:
    """One package of an order being added: shipped when the order's status says it is."""
    package_id = str(spec.get("id") or state.new_id("1154"))
    if package_id in state.world.packages:
        raise StateError(f"package {package_id} already exists", status=409)
    shipped = order.status in SHIPPED_ORDER_STATUSES
    method = spec.get("handover_method") or ("PICKUP" if state.can_pickup(warehouse.id) else "DROP_OFF")
    if method not in ("PICKUP", "DROP_OFF"):
        raise StateError("package.handover_method must be PICKUP or DROP_OFF")
    tracking = spec.get("tracking_number")
    if tracking is None:
        tracking = state._derive_label(warehouse, method, None)[1] if shipped else ""
    package = Package(
        package_id,
        warehouse.shop_id,
        [order.id],
        method,
        str(tracking),
        str(spec.get("status", PACKAGE_FOLLOWS.get(order.status, "PROCESSING"))),  # AWAITING_COLLECTION: not yet
        order.create_time,
        order.create_time,
        shipping_type=order.shipping_type,  # who ships the order ships its package
    )
    package.shipped_at = order.create_time if shipped else None
    state.world.packages[package_id] = package


def _line_item(state: SandboxState, shop_id: str, raw: Any) -> dict[str, Any]:
    """A line item; a known ``seller_sku`` fills product, sku, name and price from the catalog."""
    if not isinstance(raw, dict):
        raise StateError("line_items[] must be objects")
    item = dict(raw)
    for product in state.world.products.values():
        sku = next((s for s in product.skus if s.seller_sku == item.get("seller_sku")), None)
        if product.shop_id == shop_id and sku is not None:
            item.setdefault("product_id", product.id)
            item.setdefault("sku_id", sku.id)
            item.setdefault("product_name", product.title)
            item.setdefault("sale_price", sku.amount)
            item.setdefault("currency", sku.currency)
    try:
        Decimal(str(item.setdefault("sale_price", "9.99")))
    except ArithmeticError:
        raise StateError(f"line item sale_price {item['sale_price']!r} is not a decimal") from None
    return item


ROUTES = [
    ("/order/202507/orders", "GET", order_detail, False),
    ("/order/202309/orders", "GET", order_detail, False),  # superseded, still served
    ("/order/202309/orders/search", "POST", search_orders, False),
]
