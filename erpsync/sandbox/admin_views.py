"""``GET /_sandbox/state``: everything the sandbox holds, as tests and the demo inspect it.

The answer has the scenario name, the virtual clock, settings, faults, apps with their tokens,
regions, shops, warehouses (with ``saved_at``, the last address save, and their subscription; its
``provider`` is the region's provider prefix now, null outside coverage; ``review_delay_hours`` the
delay that applies, ``review_due_at`` when a pending review completes, null if it stalls), orders
and packages.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from werkzeug.wrappers import Request

from erpsync.sandbox import subscription as lifecycle
from erpsync.sandbox.admin_context import AdminContext, AdminRoute
from erpsync.sandbox.model import Package, Warehouse
from erpsync.sandbox.world import FLAGS


def iso(ts: float) -> str:
    """A Unix time as ISO-8601 in UTC, for humans reading the admin answers."""
    return datetime.fromtimestamp(ts, UTC).isoformat()


def warehouse_view(ctx: AdminContext, w: Warehouse) -> dict[str, Any]:
    """The warehouse as Seller Center holds it; ``review_due_at`` is null when no review is
    pending or the pending one stalls, ``review_delay_override`` is false when the world's
    delay applies."""
    sub = ctx.state.subscription(w)
    default = ctx.state.world.review_delay_hours
    return {
        "id": w.id,
        "shop_id": w.shop_id,
        "name": w.name,
        "address": dict(w.address),
        "saved_at": w.saved_at,
        "subscription": {
            "status": sub.status,
            "provider": ctx.state.provider(w),
            "in_coverage": ctx.state.provider(w) is not None,
            "requested_at": sub.requested_at,
            "reviewed_at": sub.reviewed_at,
            "cancelled_at": sub.cancelled_at,
            "review_delay_hours": lifecycle.delay_hours(sub, default),
            "review_delay_override": sub.review_delay_hours is not ...,
            "review_due_at": lifecycle.due_at(sub, default),
            "history": list(sub.history),
        },
    }


def package_view(ctx: AdminContext, p: Package) -> dict[str, Any]:
    warehouse = ctx.state.package_warehouse(p)
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


def settings_view(ctx: AdminContext) -> dict[str, Any]:
    world = ctx.state.world
    return {
        "rate_limit_qps": ctx.limiter.qps,
        "review_delay_hours": world.review_delay_hours,
        "audit_delay_seconds": world.audit_delay_seconds,
        **{flag: getattr(world, flag) for flag in FLAGS},
    }


def get_state(ctx: AdminContext, request: Request, values: dict[str, str]) -> dict[str, Any]:
    state = ctx.state
    world = state.world
    now = state.now()
    return {
        "scenario": world.name,
        "clock": {"virtual_now": now, "virtual_now_iso": iso(now), "offset_seconds": state.offset},
        "settings": settings_view(ctx),
        "faults": ctx.faults.snapshot(),
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
        "warehouses": [warehouse_view(ctx, w) for w in world.warehouses.values()],
        "orders": [vars(o).copy() for o in world.orders.values()],
        "packages": [package_view(ctx, p) for p in world.packages.values()],
    }


ROUTES: list[AdminRoute] = [
    ("/_sandbox/state", ["GET"], get_state),
]
