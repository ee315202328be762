"""Admin routes for webhooks: register the receiver, inspect deliveries, redeliver, emit any event.

- ``GET  /_sandbox/webhooks``       ``{url, deliveries[{id, tts_notification_id, type, state, attempts,
  last_status, last_error, redelivery_of, body}]}``
- ``POST /_sandbox/webhooks``       ``{"url": loopback URL | null}``: register the receiver
- ``POST /_sandbox/webhooks/redeliver`` ``{"count": N}``: resend the last N events, same notification ids
- ``POST /_sandbox/webhooks/emit``  ``{"type", "shop_id"?, "data"?}``: any event, signed and delivered like
  the others; for a documented type the documented fields missing from ``data`` are filled in
  (webhook_data.py), so ``{"type": 7}`` sends a complete type 7; unknown types go out as given
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request

from erpsync.sandbox import webhook_data
from erpsync.sandbox.admin_context import AdminContext, AdminRoute, json_body
from erpsync.sandbox.state import StateError


def webhooks(ctx: AdminContext, request: Request, values: dict[str, str]) -> dict[str, Any]:
    hooks = ctx.state.webhooks
    if request.method == "POST":
        body = json_body(request)
        if "url" not in body:
            raise StateError('give {"url": "http://127.0.0.1:PORT/path"} (or null to stop deliveries)')
        try:
            hooks.configure(body["url"])
        except ValueError as exc:
            raise StateError(str(exc)) from None
    return {"url": hooks.url, "deliveries": hooks.snapshot()}


def redeliver(ctx: AdminContext, request: Request, values: dict[str, str]) -> dict[str, Any]:
    count = json_body(request).get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise StateError("count must be an integer >= 1")
    if ctx.state.webhooks.url is None:
        raise StateError("no webhook url registered: POST /_sandbox/webhooks {url} first")
    return {"redelivered": [d.view() for d in ctx.state.webhooks.redeliver(count)]}


def emit(ctx: AdminContext, request: Request, values: dict[str, str]) -> dict[str, Any]:
    body = json_body(request)
    type_ = body.get("type")
    if isinstance(type_, bool) or not isinstance(type_, int):
        raise StateError("type (an integer webhook type) is required")
    shop_id = str(body.get("shop_id") or next(iter(ctx.state.world.shops), ""))
    data = body.get("data", {})
    if not isinstance(data, dict):
        raise StateError("data must be an object")
    ctx.state.notify(type_, shop_id, webhook_data.complete(ctx.state, type_, shop_id, data))
    return {"emitted": ctx.state.webhooks.snapshot()[-1]}


ROUTES: list[AdminRoute] = [
    ("/_sandbox/webhooks", ["GET", "POST"], webhooks),
    ("/_sandbox/webhooks/redeliver", ["POST"], redeliver),
    ("/_sandbox/webhooks/emit", ["POST"], emit),
]
