"""Admin routes that act as the seller or the platform would: authorise, save addresses, add orders.

- ``GET  /_sandbox/authorize?app_key=&shop_id=[&scopes=a,b]``  → ``{code, expires_at}``: a single-use
  auth code (the seller's "authorise" click); ``scopes`` defaults to the scenario's default_scopes (all)
- ``POST /_sandbox/tokens/expire``  ``{"access_token"|"refresh_token"|"auth_code": ...}``: expire it now
- ``POST /_sandbox/warehouses/<id>/address``        partial address: a Seller Center save; every save
  starts a review inside coverage, an empty or punctuation-only one included, and the text is kept
  exactly as given (the provider's side of the review: :mod:`admin_pickup`)
- ``POST /_sandbox/warehouses/<id>/cancel_pickup``  optional partial address: re-save and decline in
  one step (``.../decline`` declines a review already pending)
- ``POST /_sandbox/packages``   ``{"warehouse_id", "count"?, "handover_method"?, "tracking_number"?,
  "status"?, "order_status"?, "create_time"?, "package_id"?, "order_id"?, "shipping_type"? (TIKTOK | SELLER,
  default TIKTOK: erpsync self-ships only SELLER ones)}``
- ``POST /_sandbox/orders``         ``{"warehouse_id", "id"?, "status"?, "create_time"?, "line_items"?[{seller_sku?,
  product_id?, sku_id?, product_name?, sale_price?, currency?}], "recipient_address"?, "shipping_type"?
  (TIKTOK | SELLER, default TIKTOK; its package's too), "package"?: {id?, handover_method?, tracking_number?,
  status?} | false, "packages"?: [the same, ...] (several; a line item's ``package_id`` names its own),
  "is_buyer_request_cancel"?: true (a buyer's cancellation request waits)}``
  → the order's detail view
- ``POST /_sandbox/orders/<id>/status`` ``{"status"}``: move it (update_time bumped, webhook 1)
- ``POST /_sandbox/orders/<id>/cancel_request`` ``{"pending"?: true}``: the buyer asks to cancel it
  (``is_buyer_request_cancel``, webhook 11); ``false`` withdraws the request (:mod:`cancellations`)
- ``GET  /_sandbox/products``       every product in its API shape (all shops)
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request

from erpsync.sandbox import audit, cancellations, orders, tokens
from erpsync.sandbox.admin_context import AdminContext, AdminRoute, json_body
from erpsync.sandbox.admin_views import package_view, warehouse_view
from erpsync.sandbox.products import product_view
from erpsync.sandbox.state import StateError


def authorize(ctx: AdminContext, request: Request, values: dict[str, str]) -> dict[str, Any]:
    return tokens.authorize(ctx.state, dict(request.args.items()))


def expire_token(ctx: AdminContext, request: Request, values: dict[str, str]) -> dict[str, Any]:
    return tokens.expire(ctx.state, json_body(request))


def save_address(ctx: AdminContext, request: Request, values: dict[str, str]) -> dict[str, Any]:
    return warehouse_view(ctx, ctx.state.save_address(values["warehouse_id"], json_body(request)))


def cancel_pickup(ctx: AdminContext, request: Request, values: dict[str, str]) -> dict[str, Any]:
    return warehouse_view(ctx, ctx.state.cancel_pickup(values["warehouse_id"], json_body(request)))


def add_packages(ctx: AdminContext, request: Request, values: dict[str, str]) -> dict[str, Any]:
    body = json_body(request)
    if "warehouse_id" not in body:
        raise StateError("warehouse_id is required")
    return {"packages": [package_view(ctx, p) for p in ctx.state.add_packages(body)]}


def add_order(ctx: AdminContext, request: Request, values: dict[str, str]) -> dict[str, Any]:
    return orders.admin_add_order(ctx.state, json_body(request))


def order_status(ctx: AdminContext, request: Request, values: dict[str, str]) -> dict[str, Any]:
    return orders.admin_set_status(ctx.state, values["order_id"], json_body(request))


def cancel_request(ctx: AdminContext, request: Request, values: dict[str, str]) -> dict[str, Any]:
    return cancellations.admin_cancel_request(ctx.state, values["order_id"], json_body(request))


def list_products(ctx: AdminContext, request: Request, values: dict[str, str]) -> dict[str, Any]:
    audit.settle(ctx.state)
    return {"products": [{"shop_id": p.shop_id, **product_view(p)} for p in ctx.state.world.products.values()]}


ROUTES: list[AdminRoute] = [
    ("/_sandbox/authorize", ["GET"], authorize),
    ("/_sandbox/tokens/expire", ["POST"], expire_token),
    ("/_sandbox/warehouses/<warehouse_id>/address", ["POST"], save_address),
    ("/_sandbox/warehouses/<warehouse_id>/cancel_pickup", ["POST"], cancel_pickup),
    ("/_sandbox/packages", ["POST"], add_packages),
    ("/_sandbox/orders", ["POST"], add_order),
    ("/_sandbox/orders/<order_id>/status", ["POST"], order_status),
    ("/_sandbox/orders/<order_id>/cancel_request", ["POST"], cancel_request),
    ("/_sandbox/products", ["GET"], list_products),
]
