"""The ``/_sandbox/`` admin API: test and demo control, clearly outside the emulated Open API.

No signature is needed. Answers use the same envelope as the emulated API (``code`` 0 on
success; 400/404/409 with 36009004 otherwise). The routes are listed where they are handled:
:mod:`admin_views` (``/state``), :mod:`admin_controls` (clock, faults, settings, counts, effects,
reset), :mod:`admin_seller` (authorise, tokens, warehouses, packages, orders, products),
:mod:`admin_pickup` (the provider's review: delay, completion, a declined call; parcels collected)
and :mod:`admin_webhooks`. Each handler sees the sandbox through :class:`~admin_context.AdminContext`.
"""

from __future__ import annotations

from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request

from erpsync.sandbox import admin_controls, admin_pickup, admin_seller, admin_views, admin_webhooks
from erpsync.sandbox.admin_context import AdminContext, AdminRoute
from erpsync.sandbox.envelope import BAD_REQUEST, UNKNOWN_PATH, SandboxError
from erpsync.sandbox.state import StateError

ADMIN_ROUTES: list[AdminRoute] = [
    *admin_views.ROUTES,
    *admin_controls.ROUTES,
    *admin_seller.ROUTES,
    *admin_pickup.ROUTES,
    *admin_webhooks.ROUTES,
]

ADMIN_MAP = Map([Rule(path, methods=methods, endpoint=i) for i, (path, methods, _) in enumerate(ADMIN_ROUTES)])


def dispatch_admin(ctx: AdminContext, request: Request) -> Any:
    """Run the admin route for ``request`` under the state lock; map state errors to envelopes."""
    try:
        endpoint, values = ADMIN_MAP.bind_to_environ(request.environ).match()
    except HTTPException:
        raise SandboxError(404, UNKNOWN_PATH, f"Unknown admin path: {request.method} {request.path}") from None
    handler = ADMIN_ROUTES[endpoint][2]
    try:
        with ctx.state.lock:
            return handler(ctx, request, values)
    except StateError as exc:
        raise SandboxError(exc.status, BAD_REQUEST, str(exc)) from None
