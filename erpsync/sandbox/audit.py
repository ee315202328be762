"""The product audit lifecycle (docs/open-api-full.md §2), decided by the scenario's audit rules.

Audit lifecycle::

    AS_DRAFT save ───────────────> DRAFT / audit NONE
    LISTING save or content edit ─> PENDING / AUDITING ──(audit_delay_seconds, virtual clock)──┐
                                     first matching audit rule: FAILED / FAILED + reasons  <───┤
                                     no rule matches:           ACTIVATE / APPROVED  <─────────┘
    content edit of a live product ─> ACTIVATE / AUDITING ──(the same delay and rules)─────────┐
                                     a rule matches: ACTIVATE / FAILED + reasons, the live    <┤
                                                     content put back                          │
                                     none matches:   ACTIVATE / APPROVED  <────────────────────┘

A live product's edit is audited as a post-live edit: Search Products' ``status`` filter "does
not apply to post-live drafts or edits", so the product stays ACTIVATE (and its price and stock
can still be pushed: those edits "do not require a reaudit"), and if the edit fails "the existing
product stays live and remains unchanged" (Partial Edit Product). Its ``audit.status`` is what
says the edit failed: the ``audit_status`` filter's FAILED returns "products where the base
version or a post-live edit has failed audit" (Search Products).

Like the pickup review, the decision is evaluated lazily (:func:`settle`, called by every product
handler and by ``POST /_sandbox/clock``), so advancing the clock is all a test needs. The decision
emits two webhooks with the data the webhook guide documents:

- 5 PRODUCT_STATUS_CHANGE ``{product_id, status, suspended_reason, update_time}``; ``status`` is
  PRODUCT_FIRST_PASS_REVIEW (first approval), PRODUCT_STATUS_CHANGED (a later one) or
  PRODUCT_AUDIT_FAILURE; ``suspended_reason`` is "" on approval (as the guide's example) and the
  rule's reasons joined with "; " on failure (their wording is the sandbox's).
- 37 PRODUCT_AUDIT_STATUS_CHANGE ``{product_id, audit{status, pre_approved_reasons[]},
  integrated_platform_statuses[], update_time}``; ``audit.status`` APPROVED or FAILED, no
  pre-approval reasons and no integrated platforms (the sandbox models neither KYC nor Tokopedia).

``product_id`` is a JSON *number* in both, as the guide's field tables (int) and examples show.
"""

from __future__ import annotations

from typing import Any

from erpsync.sandbox.model import Product
from erpsync.sandbox.state import SandboxState


def submit(state: SandboxState, product: Product) -> None:
    if product.live_content is None:  # a post-live edit leaves the live product ACTIVATE
        product.status = "PENDING"
    product.audit_status = "AUDITING"
    product.audit_started_at = state.now()
    product.audit_failed_reasons = []


def settle(state: SandboxState) -> None:
    """Complete every audit whose delay has elapsed on the virtual clock."""
    now = state.now()
    for product in state.world.products.values():
        if product.audit_status == "AUDITING" and product.audit_started_at is not None:
            done_at = product.audit_started_at + state.world.audit_delay_seconds
            if now >= done_at:
                _decide(state, product, done_at)


def _decide(state: SandboxState, product: Product, at: int) -> None:
    title, description = product.title.lower(), product.description.lower()
    rule = next(
        (
            r
            for r in state.world.audit_rules
            if (r.title_contains and r.title_contains.lower() in title)
            or (r.description_contains and r.description_contains.lower() in description)
        ),
        None,
    )
    product.audit_started_at = None
    product.update_time = max(product.update_time, at)
    if rule is None:
        first = not product.approved_once
        product.status, product.audit_status, product.approved_once = "ACTIVATE", "APPROVED", True
        product.live_content = None
        status5 = "PRODUCT_FIRST_PASS_REVIEW" if first else "PRODUCT_STATUS_CHANGED"
        _notify(state, product, status5, "", at)
        return
    if product.live_content is not None:  # a failed post-live edit: the live product as it was
        for name, value in product.live_content.items():
            setattr(product, name, value)
        product.live_content = None
    else:
        product.status = "FAILED"
    product.audit_status = "FAILED"
    product.audit_failed_reasons = [
        {"position": rule.position, "reasons": list(rule.reasons), "suggestions": list(rule.suggestions)}
    ]
    _notify(state, product, "PRODUCT_AUDIT_FAILURE", "; ".join(rule.reasons), at)


def _notify(state: SandboxState, product: Product, status5: str, reason: str, at: int) -> None:
    """Webhooks 5 and 37 for a decided audit (shapes in the module docstring)."""
    pid: int | str = int(product.id) if product.id.isdigit() else product.id
    data5 = {"product_id": pid, "status": status5, "suspended_reason": reason, "update_time": at}
    state.notify(5, product.shop_id, data5)
    audit = {"status": product.audit_status, "pre_approved_reasons": []}
    data37: dict[str, Any] = {"product_id": pid, "audit": audit, "integrated_platform_statuses": [], "update_time": at}
    state.notify(37, product.shop_id, data37)
