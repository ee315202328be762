"""The ``/_sandbox/`` admin API: test and demo control, clearly outside the emulated Open API.

No signature is needed. Answers use the same envelope as the emulated API (``code`` 0 on
success; 400/404/409 with 36009004 otherwise). Routes:

- ``GET  /_sandbox/state``                         everything, incl. subscriptions and the clock;
  a subscription's ``provider`` is its region's provider prefix now (null outside coverage)
- ``POST /_sandbox/clock``      ``{"advance_seconds": N}``
- ``GET|POST /_sandbox/faults`` ``{"error_rate": 0..1, "latency_ms": N, "burst_429": N, "seed": any,
  "fail_after_commit": N, "fail_after_commit_rate": 0..1, "drop_after_commit": N,
  "commit_fault_paths": [template]|null}`` (faults.py: the last four hit writes AFTER they committed)
- ``GET|POST /_sandbox/settings`` ``{"rate_limit_qps": N, "review_delay_hours": h|null, "audit_delay_seconds": N,
  "errors_as_http_200": bool, "rotate_refresh_tokens": bool, "omit_retry_after": bool,
  "webhook_omit_notification_id": bool}``; answers all current settings (the switches are documented
  in :mod:`state`)
- ``POST /_sandbox/warehouses/<id>/address``        partial address: a Seller Center save
- ``POST /_sandbox/warehouses/<id>/cancel_pickup``  optional partial address: re-save and decline
- ``POST /_sandbox/packages``   ``{"warehouse_id", "count"?, "handover_method"?, "tracking_number"?,
  "status"?, "order_status"?, "create_time"?, "package_id"?, "order_id"?}``
- ``GET|DELETE /_sandbox/counts``                  per-path calls, 2xx, 4xx, 429, 5xx, dropped (DELETE zeroes)
- ``POST /_sandbox/reset``                          reload the scenario; clock, faults, counts start over

``/clock`` also completes product audits that have become due. The commerce routes (tokens,
effects, webhooks, orders, products) are listed in :mod:`admin_commerce`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request

from erpsync.sandbox import admin_commerce, audit
from erpsync.sandbox.envelope import BAD_REQUEST, UNKNOWN_PATH, SandboxError, parse_json_body
from erpsync.sandbox.model import Package, Warehouse
from erpsync.sandbox.scenario import FLAGS
from erpsync.sandbox.state import StateError

if TYPE_CHECKING:
    from erpsync.sandbox.app import SandboxApp

AdminHandler = Callable[["SandboxApp", Request, dict[str, str]], Any]


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def warehouse_view(app: SandboxApp, w: Warehouse) -> dict[str, Any]:
    sub = app.state.subscription(w)
    return {
        "id": w.id,
        "shop_id": w.shop_id,
        "name": w.name,
        "address": dict(w.address),
        "subscription": {
            "status": sub.status,
            "provider": app.state.provider(w),
            "in_coverage": app.state.provider(w) is not None,
            "requested_at": sub.requested_at,
            "reviewed_at": sub.reviewed_at,
            "cancelled_at": sub.cancelled_at,
            "history": list(sub.history),
        },
    }


def package_view(app: SandboxApp, p: Package) -> dict[str, Any]:
    warehouse = app.state.package_warehouse(p)
    return {
        "id": p.id,
        "shop_id": p.shop_id,
        "warehouse_id": warehouse.id if warehouse else None,
        "order_ids": list(p.order_ids),
        "handover_method": p.handover_method,
        "tracking_number": p.tracking_number,
        "status": p.status,
        "create_time": p.create_time,
    }


def get_state(app: SandboxApp, request: Request, values: dict[str, str]) -> dict[str, Any]:
    state = app.state
    world = state.world
    now = state.now()
    return {
        "scenario": world.name,
        "clock": {"virtual_now": now, "virtual_now_iso": _iso(now), "offset_seconds": state.offset},
        "settings": settings_view(app),
        "faults": app.faults.snapshot(),
        "apps": [
            {
                "app_key": a.app_key,
                "app_secret": a.app_secret,
                "tokens": [
                    {
                        "access_token": t.access_token,
                        "expires_at": t.expires_at,
                        "shops": t.shop_ids,
                        "refresh_token": t.refresh_token,
                        "refresh_expires_at": t.refresh_expires_at,
                        "scopes": t.scopes,
                        "replaced": t.replaced,
                    }
                    for t in a.tokens.values()
                ],
            }
            for a in world.apps.values()
        ],
        "regions": [
            {
                "state": r.state,
                "city": r.city,
                "provider_now": r.provider_at(now),
                "providers": [{"prefix": p.prefix, "since": p.since} for p in r.providers],
            }
            for r in world.regions
        ],
        "shops": [
            {
                "id": s.id,
                "name": s.name,
                "region": s.region,
                "seller_type": s.seller_type,
                "cipher": s.cipher,
                "code": s.code,
            }
            for s in world.shops.values()
        ],
        "warehouses": [warehouse_view(app, w) for w in world.warehouses.values()],
        "orders": [vars(o).copy() for o in world.orders.values()],
        "packages": [package_view(app, p) for p in world.packages.values()],
    }


def _body(request: Request) -> dict[str, Any]:
    return parse_json_body(request.get_data(cache=True))


def advance_clock(app: SandboxApp, request: Request, values: dict[str, str]) -> dict[str, Any]:
    seconds = _body(request).get("advance_seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise StateError("advance_seconds (a number of seconds) is required")
    now = app.state.advance(seconds)
    audit.settle(app.state)
    return {"virtual_now": now, "virtual_now_iso": _iso(now), "offset_seconds": app.state.offset}


def faults(app: SandboxApp, request: Request, values: dict[str, str]) -> dict[str, Any]:
    if request.method == "POST":
        try:
            app.faults.configure(_body(request))
        except ValueError as exc:
            raise StateError(str(exc)) from None
    return app.faults.snapshot()


def settings(app: SandboxApp, request: Request, values: dict[str, str]) -> dict[str, Any]:
    body = _body(request) if request.method == "POST" else {}
    unknown = set(body) - {"rate_limit_qps", "review_delay_hours", "audit_delay_seconds", *FLAGS}
    if unknown:
        raise StateError(f"unknown settings {sorted(unknown)}")
    for flag in FLAGS:
        if flag in body and not isinstance(body[flag], bool):
            raise StateError(f"{flag} must be true or false")
    if "rate_limit_qps" in body:
        qps = body["rate_limit_qps"]
        if isinstance(qps, bool) or not isinstance(qps, int) or qps < 1:
            raise StateError("rate_limit_qps must be an integer >= 1")
        app.limiter.reset(qps)
    if "review_delay_hours" in body:
        delay = body["review_delay_hours"]
        if delay is not None and (isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0):
            raise StateError("review_delay_hours must be a number >= 0 or null")
        app.state.world.review_delay_hours = delay
    if "audit_delay_seconds" in body:
        audit = body["audit_delay_seconds"]
        if isinstance(audit, bool) or not isinstance(audit, int) or audit < 0:
            raise StateError("audit_delay_seconds must be an integer >= 0")
        app.state.world.audit_delay_seconds = audit
    for flag in FLAGS:
        if flag in body:
            setattr(app.state.world, flag, body[flag])
    return settings_view(app)


def settings_view(app: SandboxApp) -> dict[str, Any]:
    world = app.state.world
    return {
        "rate_limit_qps": app.limiter.qps,
        "review_delay_hours": world.review_delay_hours,
        "audit_delay_seconds": world.audit_delay_seconds,
        **{flag: getattr(world, flag) for flag in FLAGS},
    }


def save_address(app: SandboxApp, request: Request, values: dict[str, str]) -> dict[str, Any]:
    return warehouse_view(app, app.state.save_address(values["warehouse_id"], _body(request)))


def cancel_pickup(app: SandboxApp, request: Request, values: dict[str, str]) -> dict[str, Any]:
    return warehouse_view(app, app.state.cancel_pickup(values["warehouse_id"], _body(request)))


def add_packages(app: SandboxApp, request: Request, values: dict[str, str]) -> dict[str, Any]:
    body = _body(request)
    if "warehouse_id" not in body:
        raise StateError("warehouse_id is required")
    return {"packages": [package_view(app, p) for p in app.state.add_packages(body)]}


def counts(app: SandboxApp, request: Request, values: dict[str, str]) -> dict[str, Any]:
    if request.method == "DELETE":
        app.counts.reset()
    return app.counts.snapshot()


def reset(app: SandboxApp, request: Request, values: dict[str, str]) -> dict[str, Any]:
    app.reset()
    return {"scenario": app.state.world.name, "virtual_now": app.state.now()}


ADMIN_ROUTES: list[tuple[str, list[str], AdminHandler]] = [
    ("/_sandbox/state", ["GET"], get_state),
    ("/_sandbox/clock", ["POST"], advance_clock),
    ("/_sandbox/faults", ["GET", "POST"], faults),
    ("/_sandbox/settings", ["GET", "POST"], settings),
    ("/_sandbox/warehouses/<warehouse_id>/address", ["POST"], save_address),
    ("/_sandbox/warehouses/<warehouse_id>/cancel_pickup", ["POST"], cancel_pickup),
    ("/_sandbox/packages", ["POST"], add_packages),
    ("/_sandbox/counts", ["GET", "DELETE"], counts),
    ("/_sandbox/reset", ["POST"], reset),
    *admin_commerce.ROUTES,
]

ADMIN_MAP = Map([Rule(path, methods=methods, endpoint=i) for i, (path, methods, _) in enumerate(ADMIN_ROUTES)])


def dispatch_admin(app: SandboxApp, request: Request) -> Any:
    """Run the admin route for ``request`` under the state lock; map state errors to envelopes."""
    try:
        endpoint, values = ADMIN_MAP.bind_to_environ(request.environ).match()
    except HTTPException:
        raise SandboxError(404, UNKNOWN_PATH, f"Unknown admin path: {request.method} {request.path}") from None
    handler = ADMIN_ROUTES[endpoint][2]
    try:
        with app.state.lock:
            return handler(app, request, values)
    except StateError as exc:
        raise SandboxError(exc.status, BAD_REQUEST, str(exc)) from None
