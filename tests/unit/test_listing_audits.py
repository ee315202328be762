"""Failed listing audits as drifts (pure): only products erpsync pushes, with reasons and suggestions."""

from __future__ import annotations

from erpsync.core.listing_audits import AuditReason, ListingAudit, audit_drifts
from erpsync.core.models import Records, Severity


def test_one_warning_per_bound_failed_product_with_what_the_platform_says() -> None:
    audits = Records(
        (
            ListingAudit("tt-1", (AuditReason("title", ("Suspected counterfeit",), ("Remove replica wording",)),)),
            ListingAudit("tt-2", (AuditReason("description", (), ()),)),
            ListingAudit("tt-9", ()),  # not a product erpsync pushes
        )
    )
    drifts = audit_drifts("listings", "acme", {"tt-1": "P1", "tt-2": "P2"}, audits)
    assert [(d.subject, d.kind, d.severity) for d in drifts] == [
        ("P1", "audit_failed", Severity.WARNING),
        ("P2", "audit_failed", Severity.WARNING),
    ]
    assert drifts[0].message == (
        "ERP product P1 (Seller Center product tt-1) failed the platform's audit: "
        "title: Suspected counterfeit (suggested: Remove replica wording)"
    )
    assert drifts[1].message.endswith("description: no reason given")
    assert drifts[0].summary is not None and "未通过平台审核" in drifts[0].summary.zh
