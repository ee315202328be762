"""Listings Seller Center's audit failed: what the platform says is wrong, as drifts for people.

A pushed listing enters the platform's audit; a failed one is not on sale until it is fixed and
pushed again, so the seller must hear why. Seller Center gives, per failed product, the position
(``title``, ``description``, ...), its reasons and its suggestions (page "Get Product",
``audit_failed_reasons``). The listings aspect reads the shop's FAILED products each run
(``ListingAuditReader``) and raises one ``audit_failed`` drift per ERP product bound to one; it
resolves when the product is no longer FAILED. Alerts only: the fix is in the ERP's content.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from erpsync.core.errors import RecordError
from erpsync.core.models import Drift, Records, Severity, Texts

__all__ = ["AUDIT_FAILED", "AuditReason", "ListingAudit", "ListingAuditReader", "audit_drifts", "unread_products"]

AUDIT_FAILED = "audit_failed"


@dataclass(frozen=True)
class AuditReason:
    position: str  # where: "title", "description", "main_images", ...
    reasons: tuple[str, ...]
    suggestions: tuple[str, ...]


@dataclass(frozen=True)
class ListingAudit:
    """One Seller Center product whose audit failed, and why."""

    product_id: str
    failures: tuple[AuditReason, ...]


@runtime_checkable
class ListingAuditReader(Protocol):
    """A seller side that can list its listings whose audit failed."""

    def failed_audits(self) -> Records[ListingAudit]:
        """Every product of the shop in audit status FAILED, with the platform's reasons."""
        ...


def audit_drifts(aspect: str, shop: str, erp_for: Mapping[str, str], audits: Records[ListingAudit]) -> list[Drift]:
    """Pure: one warning per failed product an ERP product is bound to (``erp_for``: Seller Center
    product id → ERP product id); products erpsync does not push are not its to report."""
    drifts = []
    for audit in audits.items:
        erp_id = erp_for.get(audit.product_id)
        if erp_id is None:
            continue
        said = "; ".join(
            f"{f.position}: {', '.join(f.reasons) or 'no reason given'}"
            + (f" (suggested: {', '.join(f.suggestions)})" if f.suggestions else "")
            for f in audit.failures
        )
        en = f"ERP product {erp_id} (Seller Center product {audit.product_id}) failed the platform's audit: " + (
            said or "no reason given"
        )
        zh = f"ERP 商品 {erp_id}（Seller Center 商品 {audit.product_id}）未通过平台审核：" + (said or "未给出原因")
        drifts.append(
            Drift(shop, aspect, AUDIT_FAILED, erp_id, None, "FAILED", None, Severity.WARNING, en, summary=Texts(en, zh))
        )
    return drifts


def unread_products(errors: Iterable[RecordError], erp_for: Mapping[str, str]) -> set[str]:
    """Pure: the ERP products (``erp_for``: Seller Center product id → ERP product id) that the
    failed audits left unread may be about; their ``audit_failed`` drifts must not resolve.

    An error that names its product by id (``RecordError.record_id``, the whole id the connector
    read or asked for) is about that one: a bound product's, or none when erpsync does not push
    that listing (one made by hand). One with no id (a search hit with no readable id) may be
    about any of them: all are returned. The record's text is for people and is not read.
    """
    unread: set[str] = set()
    for error in errors:
        if error.record_id is None:
            return set(erp_for.values())
        erp_id = erp_for.get(error.record_id)
        if erp_id is not None:
            unread.add(erp_id)
    return unread
