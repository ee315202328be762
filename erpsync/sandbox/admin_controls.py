"""Admin routes that steer the sandbox itself: clock, faults, settings, counters, reset.

- ``POST /_sandbox/clock``      ``{"advance_seconds": N}``; also completes product audits that have become due
- ``GET|POST /_sandbox/faults`` ``{"error_rate": 0..1, "latency_ms": N, "burst_429": N, "seed": any,
  "fail_after_commit": N, "fail_after_commit_rate": 0..1, "drop_after_commit": N,
  "commit_fault_paths": [template]|null}`` (faults.py: the last four hit writes AFTER they committed)
- ``GET|POST /_sandbox/settings`` ``{"rate_limit_qps": N, "review_delay_hours": h|null, "audit_delay_seconds": N,
  "errors_as_http_200": bool, "rotate_refresh_tokens": bool, "omit_retry_after": bool,
  "webhook_omit_notification_id": bool}``; answers all current settings (the switches are documented
  in :mod:`state`). A new ``review_delay_hours`` is the world's default from now on: reviews due
  earlier complete at their time, pending ones complete no earlier than the change
- ``GET|DELETE /_sandbox/counts``  per-path calls, 2xx, 4xx, 429, 5xx, dropped (DELETE zeroes)
- ``GET|DELETE /_sandbox/effects`` successful side effects by kind and key (effects.py); DELETE zeroes
- ``POST /_sandbox/reset``         reload the scenario; clock, faults, counts start over
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request

from erpsync.sandbox import audit
from erpsync.sandbox import subscription as lifecycle
from erpsync.sandbox.admin_context import AdminContext, AdminRoute, json_body
from erpsync.sandbox.admin_views import iso, settings_view
from erpsync.sandbox.state import StateError
from erpsync.sandbox.world import FLAGS


def advance_clock(ctx: AdminContext, request: Request, values: dict[str, str]) -> dict[str, Any]:
    seconds = json_body(request).get("advance_seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise StateError("advance_seconds (a number of seconds) is required")
    now = ctx.state.advance(seconds)
    audit.settle(ctx.state)
    return {"virtual_now": now, "virtual_now_iso": iso(now), "offset_seconds": ctx.state.offset}


def faults(ctx: AdminContext, request: Request, values: dict[str, str]) -> dict[str, Any]:
    if request.method == "POST":
        try:
            ctx.faults.configure(json_body(request))
        except ValueError as exc:
            raise StateError(str(exc)) from None
    return ctx.faults.snapshot()


def settings(ctx: AdminContext, request: Request, values: dict[str, str]) -> dict[str, Any]:
    body = json_body(request) if request.method == "POST" else {}
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
        ctx.limiter.reset(qps)
    if "review_delay_hours" in body:
        delay = body["review_delay_hours"]
        if delay is not None and (isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0):
            raise StateError("review_delay_hours must be a number >= 0 or null")
        now = ctx.state.now()
        for warehouse in ctx.state.world.warehouses.values():  # the new delay acts from now on
            lifecycle.retime(warehouse.subscription, now, ctx.state.world.review_delay_hours)
        ctx.state.world.review_delay_hours = delay
    if "audit_delay_seconds" in body:
        audit_delay = body["audit_delay_seconds"]
        if isinstance(audit_delay, bool) or not isinstance(audit_delay, int) or audit_delay < 0:
            raise StateError("audit_delay_seconds must be an integer >= 0")
        ctx.state.world.audit_delay_seconds = audit_delay
    for flag in FLAGS:
        if flag in body:
            setattr(ctx.state.world, flag, body[flag])
    return settings_view(ctx)


def counts(ctx: AdminContext, request: Request, values: dict[str, str]) -> dict[str, Any]:
    if request.method == "DELETE":
        ctx.counts.reset()
    return ctx.counts.snapshot()


def effects(ctx: AdminContext, request: Request, values: dict[str, str]) -> dict[str, Any]:
    if request.method == "DELETE":
        ctx.state.effects.reset()
    return ctx.state.effects.snapshot()


def reset(ctx: AdminContext, request: Request, values: dict[str, str]) -> dict[str, Any]:
    ctx.reset()
    return {"scenario": ctx.state.world.name, "virtual_now": ctx.state.now()}


ROUTES: list[AdminRoute] = [
    ("/_sandbox/clock", ["POST"], advance_clock),
    ("/_sandbox/faults", ["GET", "POST"], faults),
    ("/_sandbox/settings", ["GET", "POST"], settings),
    ("/_sandbox/counts", ["GET", "DELETE"], counts),
    ("/_sandbox/effects", ["GET", "DELETE"], effects),
    ("/_sandbox/reset", ["POST"], reset),
]
