"""Admin routes for tokens, products, orders, effects and webhooks (joined to :mod:`admin`'s table).

All under ``/_sandbox/``:

- ``GET  /_sandbox/authorize?app_key=&shop_id=[&scopes=a,b]``  → ``{code, expires_at}``: a single-use
  auth code (the seller's "authorise" click); ``scopes`` defaults to the scenario's default_scopes (all)
- ``POST /_sandbox/tokens/expire``  ``{"access_token"|"refresh_token"|"auth_code": ...}``: expire it now
- ``GET|DELETE /_sandbox/effects``  successful side effects by kind and key (effects.py); DELETE zeroes
- ``GET  /_sandbox/webhooks``       ``{url, deliveries[{id, tts_notification_id, type, state, attempts,
  last_status, last_error, redelivery_of, body}]}``
- ``POST /_sandbox/webhooks``       ``{"url": loopback URL | null}``: register the receiver
- ``POST /_sandbox/webhooks/redeliver`` ``{"count": N}``: resend the last N events, same notification ids
- ``POST /_sandbox/webhooks/emit``  ``{"type", "shop_id"?, "data"?}``: any event, signed and delivered like
  the others; for a documented type the documented fields missing from ``data`` are filled in
  (webhook_data.py), so ``{"type": 7}`` sends a complete type 7; unknown types go out as given
- ``POST /_sandbox/orders``         ``{"warehouse_id", "id"?, "status"?, "create_time"?, "line_items"?[{seller_sku?,
  product_id?, sku_id?, product_name?, sale_price?, currency?}], "recipient_address"?, "shipping_type"?,
  "package"?: {id?, handover_method?, tracking_number?, status?} | false}`` → the order's detail view
- ``POST /_sandbox/orders/<id>/status`` ``{"status"}``: move it (update_time bumped, webhook 1)
- ``GET  /_sandbox/products``       every product in its API shape (all shops)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request

from erpsync.sandbox import audit, orders, tokens, webhook_data
from erpsync.sandbox.envelope import parse_json_body
from erpsync.sandbox.products import product_view
from erpsync.sandbox.state import StateError

if TYPE_CHECKING:
    from erpsync.sandbox.app import SandboxApp

AdminHandler = Callable[["SandboxApp", Request, dict[str, str]], Any]


def _body(request: Request) -> dict[str, Any]:
    return parse_json_body(request.get_data(cache=True))


def authorize(app: SandboxApp, request: Request, values: dict[str, str]) -> dict[str, Any]:
    return tokens.authorize(app.state, dict(request.args.items()))


def expire_token(app: SandboxApp, request: Request, values: dict[str, str]) -> dict[str, Any]:
    return tokens.expire(app.state, _body(request))


def effects(app: SandboxApp, request: Request, values: dict[str, str]) -> dict[str, Any]:
    if request.method == "DELETE":
        app.state.effects.reset()
    return app.state.effects.snapshot()


def webhooks(app: SandboxApp, request: Request, values: dict[str, str]) -> dict[str, Any]:
    hooks = app.state.webhooks
    if request.method == "POST":
        body = _body(request)
        if "url" not in body:
            raise StateError('give {"url": "http://127.0.0.1:PORT/path"} (or null to stop deliveries)')
        try:
            hooks.configure(body["url"])
        except ValueError as exc:
            raise StateError(str(exc)) from None
    return {"url": hooks.url, "deliveries": hooks.snapshot()}


def redeliver(app: SandboxApp, request: Request, values: dict[str, str]) -> dict[str, Any]:
    count = _body(request).get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise StateError("count must be an integer >= 1")
    if app.state.webhooks.url is None:
        raise StateError("no webhook url registered: POST /_sandbox/webhooks {url} first")
    return {"redelivered": [d.view() for d in app.state.webhooks.redeliver(count)]}


def emit(app: SandboxApp, request: Request, values: dict[str, str]) -> dict[str, Any]:
    body = _body(request)
    type_ = body.get("type")
    if isinstance(type_, bool) or not isinstance(type_, int):
        raise StateError("type (an integer webhook type) is required")
    shop_id = str(body.get("shop_id") or next(iter(app.state.world.shops), ""))
    data = body.get("data", {})
    if not isinstance(data, dict):
        raise StateError("data must be an object")
    app.state.notify(type_, shop_id, webhook_data.complete(app.state, type_, shop_id, data))
    return {"emitted": app.state.webhooks.snapshot()[-1]}


def add_order(app: SandboxApp, request: Request, values: dict[str, str]) -> dict[str, Any]:
    return orders.admin_add_order(app.state, _body(request))


def order_status(app: SandboxApp, request: Request, values: dict[str, str]) -> dict[str, Any]:
    return orders.admin_set_status(app.state, values["order_id"], _body(request))


def list_products(app: SandboxApp, request: Request, values: dict[str, str]) -> dict[str, Any]:
    audit.settle(app.state)
    return {"products": [{"shop_id": p.shop_id, **product_view(p)} for p in app.state.world.products.values()]}


ROUTES: list[tuple[str, list[str], AdminHandler]] = [
    ("/_sandbox/authorize", ["GET"], authorize),
    ("/_sandbox/tokens/expire", ["POST"], expire_token),
    ("/_sandbox/effects", ["GET", "DELETE"], effects),
    ("/_sandbox/webhooks", ["GET", "POST"], webhooks),
    ("/_sandbox/webhooks/redeliver", ["POST"], redeliver),
    ("/_sandbox/webhooks/emit", ["POST"], emit),
    ("/_sandbox/orders", ["POST"], add_order),
    ("/_sandbox/orders/<order_id>/status", ["POST"], order_status),
    ("/_sandbox/products", ["GET"], list_products),
]
