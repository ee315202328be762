"""The operator's record of a warehouse's pickup status, weighed against the evidence (pure).

An operator who looked in Seller Center (``erpsync pickup confirm``) knows what the Open API
cannot show, but only as of that moment. So the record settles a state the evidence leaves
unknown, and replaces a state that rests on weak evidence older than it. Evidence read now
(the handover slots) and any evidence newer than the record that contradicts it win, and the
state then says that it overrides the record. A record that agrees is mentioned.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from erpsync.core.aspects.pickup_evidence import Draft, aware
from erpsync.core.aspects.pickup_texts import Reason
from erpsync.core.models import PickupConfirmation, SaveEstimate, SubscriptionStatus

__all__ = ["with_confirmation"]

S = SubscriptionStatus

#: what Seller Center shows as "not subscribed": a cancellation, or a city no provider covers
_NOT_SUBSCRIBED = frozenset({S.NOT_SUBSCRIBED, S.CANCELLED, S.OUT_OF_COVERAGE})


def _agrees(inferred: SubscriptionStatus, confirmed: SubscriptionStatus) -> bool:
    if confirmed in (S.NOT_SUBSCRIBED, S.CANCELLED):
        return inferred in _NOT_SUBSCRIBED
    return inferred is confirmed


def _used(d: Draft, c: PickupConfirmation, save: SaveEstimate | None, provider: str | None) -> Draft:
    pending = c.status is S.PENDING_REVIEW
    # the review the record saw began at the known save, unless evidence newer than that save
    # (a run that saw pickup in effect, a package since) ended that save's review: the one seen
    # now began after it, at a save erpsync did not see, so it counts from the record
    ended = save is not None and d.evidence_at is not None and aware(d.evidence_at) > save.seen_at
    pending_since = (save.at if save and not ended else aware(c.confirmed_at)) if pending else None
    return Draft(
        status=c.status,
        confidence="operator",
        reasons=[*d.reasons, Reason.confirmed(c)],
        provider=provider if c.status is S.ACTIVE else None,
        since=pending_since if pending else (save.at if save else None),
        pending_since=pending_since,
        evidence_at=aware(c.confirmed_at),
    )


def with_confirmation(
    d: Draft,
    c: PickupConfirmation | None,
    *,
    save: SaveEstimate | None,
    strong: bool,
    now: datetime,
    provider: str | None = None,
) -> Draft:
    """``d`` with the operator's record ``c`` applied (``strong``: the handover slots were read now).

    ``provider`` is the region's provider, for a record of ACTIVE.
    """
    if c is None or aware(c.expires_at) <= aware(now):
        return d
    agree = _agrees(d.status, c.status)
    if strong:
        # The slots say whether pickup is offered; the record may still tell a review from
        # "not subscribed" when it is newer than the evidence the state rests on: the save a
        # review would rest on, or an ERP switched to DROP OFF after it (a declined call).
        if (d.status is S.ACTIVE) != (c.status is S.ACTIVE):
            return replace(d, reasons=[*d.reasons, Reason.overrides(c)])
        if agree:
            return replace(d, reasons=[*d.reasons, Reason.agrees(c)])
        newest = d.evidence_at or (save.seen_at if save is not None else None)
        if newest is None or aware(c.confirmed_at) > aware(newest):
            return _used(d, c, save, provider)
        return replace(d, reasons=[*d.reasons, Reason.overrides(c)])
    older = d.evidence_at is None or aware(d.evidence_at) <= aware(c.confirmed_at)
    if d.status is S.UNKNOWN or (older and not agree):
        return _used(d, c, save, provider)
    if agree:
        return replace(d, confidence="operator" if older else d.confidence, reasons=[*d.reasons, Reason.agrees(c)])
    return replace(d, reasons=[*d.reasons, Reason.overrides(c)])
