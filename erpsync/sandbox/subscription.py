"""The pickup subscription lifecycle of one warehouse, as Seller Center runs it (docs/domain.md).

::

    not_subscribed ─┐
    cancelled ──────┤ address saved, inside coverage      ┌─> active (the provider's review completes)
    active ─────────┼────────────────────────────────────>┤ pending_review
    out_of_coverage ┘                                     ├─> cancelled (the seller declines the call)
                                                          └─> stays pending (delay null: a stuck review)
          any ───── address saved, outside coverage ─────> out_of_coverage (request silently ignored)
          any ───── re-save and decline the provider ────> cancelled (the shop ships DROP OFF)

Every save starts a review inside coverage, whatever changed: the seller's own way to (re)subscribe
is to add or remove a comma or a full stop and save [NOTES Q4, Q13], so an identical or
punctuation-only save counts like any other.

A review completes ``review_delay_hours`` after the save (the warehouse's own delay if set, else the
world's; null = the provider never calls). It is evaluated lazily against the virtual clock, so
advancing the clock is all a test needs to do; there is no background timer. A delay changed while
a review is pending never completes it in the past: the review then completes no earlier than the
change (``review_not_before``), so the history only records what a poller could have seen.
"""

from __future__ import annotations

from erpsync.sandbox.model import Region, Subscription

PENDING = "pending_review"


class NoPendingReview(ValueError):
    """A review action (complete, decline) on a warehouse whose review is not pending."""


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


def delay_hours(sub: Subscription, default_delay_hours: float | None) -> float | None:
    """The review delay that applies to ``sub``: its own override, else the world's default."""
    return default_delay_hours if sub.review_delay_hours is ... else sub.review_delay_hours


def due_at(sub: Subscription, default_delay_hours: float | None) -> int | None:
    """When the pending review completes (virtual time); None when not pending or it stalls."""
    delay = delay_hours(sub, default_delay_hours)
    if sub.status != PENDING or sub.requested_at is None or delay is None:
        return None
    return max(sub.requested_at + int(delay * 3600), sub.review_not_before or 0)


def evaluate(sub: Subscription, now: int, default_delay_hours: float | None) -> Subscription:
    """Complete a pending review whose delay has elapsed at ``now``; returns ``sub``."""
    done_at = due_at(sub, default_delay_hours)
    if done_at is not None and now >= done_at:
        sub.reviewed_at = done_at
        _record(sub, done_at, "active", "provider review completed")
    return sub


def request(sub: Subscription, now: int, in_coverage: bool) -> Subscription:
    """A Seller Center address save: a new request inside coverage, silently ignored outside."""
    sub.reviewed_at = None
    sub.cancelled_at = None
    sub.review_not_before = None
    if in_coverage:
        sub.requested_at = now
        _record(sub, now, PENDING, "address saved: subscription requested")
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


def retime(sub: Subscription, now: int, default_delay_hours: float | None) -> Subscription:
    """Settle ``sub`` at ``now`` before its delay changes, so the new delay only acts from ``now``."""
    evaluate(sub, now, default_delay_hours)
    if sub.status == PENDING:
        sub.review_not_before = now
    return sub


def set_delay(sub: Subscription, delay: float | None, now: int, default_delay_hours: float | None) -> Subscription:
    """Give this warehouse its own review delay (None: its reviews stall until changed)."""
    retime(sub, now, default_delay_hours)
    sub.review_delay_hours = delay
    return sub


def complete(sub: Subscription, now: int, default_delay_hours: float | None) -> Subscription:
    """The provider calls now and the seller confirms: the pending review completes, pickup is active."""
    _pending(evaluate(sub, now, default_delay_hours), "complete")
    sub.reviewed_at = now
    _record(sub, now, "active", "provider review completed (completed on request)")
    return sub


def decline(sub: Subscription, now: int, default_delay_hours: float | None) -> Subscription:
    """The provider calls and the seller says pickup is not needed: the request is rejected [NOTES Q13]."""
    _pending(evaluate(sub, now, default_delay_hours), "decline")
    return cancel(sub, now)


def _pending(sub: Subscription, action: str) -> None:
    if sub.status != PENDING:
        raise NoPendingReview(
            f"cannot {action}: no review is pending (the subscription is {sub.status}); "
            "save the address first (POST /_sandbox/warehouses/<id>/address)"
        )
