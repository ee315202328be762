"""The pickup subscription lifecycle of one warehouse, as Seller Center runs it (docs/domain.md).

::

    not_subscribed ─┐
    cancelled ──────┤ address saved, inside coverage      ┌─> active (review done after the delay)
    active ─────────┼────────────────────────────────────>┤ pending_review
    out_of_coverage ┘                                     └─> stays pending (delay null: stuck review)
          any ───── address saved, outside coverage ─────> out_of_coverage (request silently ignored)
          any ───── re-save and decline the provider ────> cancelled (the shop ships DROP OFF)

Review completion is evaluated lazily against the virtual clock, so advancing the clock is
all a test needs to do; there is no background timer.
"""

from __future__ import annotations

from erpsync.sandbox.model import Region, Subscription


def find_region(regions: list[Region], address: dict[str, str]) -> Region | None:
    """The coverage area holding ``address`` (matched on state and city), or None if outside."""
    state = address.get("state", "").strip()
    city = address.get("city", "").strip()
    for region in regions:
        if region.state == state and region.city == city:
            return region
    return None


def _record(sub: Subscription, at: int, status: str, reason: str) -> None:
    sub.status = status
    sub.history.append({"at": at, "status": status, "reason": reason})


def evaluate(sub: Subscription, now: int, default_delay_hours: float | None) -> Subscription:
    """Complete a pending review whose delay has elapsed at ``now``; returns ``sub``."""
    if sub.status != "pending_review" or sub.requested_at is None:
        return sub
    delay = default_delay_hours if sub.review_delay_hours is ... else sub.review_delay_hours
    if delay is None:
        return sub  # a stuck review: the provider never calls back
    done_at = sub.requested_at + int(delay * 3600)
    if now >= done_at:
        sub.reviewed_at = done_at
        _record(sub, done_at, "active", "provider review completed")
    return sub


def request(sub: Subscription, now: int, in_coverage: bool) -> Subscription:
    """A Seller Center address save: a new request inside coverage, silently ignored outside."""
    sub.reviewed_at = None
    sub.cancelled_at = None
    if in_coverage:
        sub.requested_at = now
        _record(sub, now, "pending_review", "address saved: subscription requested")
    else:
        sub.requested_at = None
        _record(sub, now, "out_of_coverage", "address saved outside coverage: request ignored")
    return sub


def cancel(sub: Subscription, now: int) -> Subscription:
    """The seller re-saved the address and declined the provider's call: DROP OFF from now on."""
    sub.cancelled_at = now
    sub.reviewed_at = None
    _record(sub, now, "cancelled", "seller declined the provider's call")
    return sub
