"""Failed listing audits as drifts (pure): only products erpsync pushes, with reasons and suggestions."""

from __future__ import annotations

import pytest

from erpsync.core.errors import RecordError
from erpsync.core.listing_audits import AuditReason, ListingAudit, audit_drifts, unread_products
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


BOUND = {"tt-1": "P1", "tt-2": "P2"}


@pytest.mark.parametrize(
    ("error", "unread"),
    [
        # named by its whole id: that product alone, even where its label is cut short for people
        (RecordError("bad", record="product tt-1", record_id="tt-1"), {"P1"}),
        (RecordError("bad", record="product tt…", record_id="tt-2"), {"P2"}),
        # a listing erpsync does not push: none of its products
        (RecordError("bad", record="product tt-9", record_id="tt-9"), set()),
        # no id (a hit with no readable id, or a connector that names records by text only): any
        (RecordError("bad", record="product #3"), {"P1", "P2"}),
        (RecordError("bad", record="product tt-1"), {"P1", "P2"}),
    ],
)
def test_an_unread_failed_audit_is_matched_by_its_record_id_not_its_text(error: RecordError, unread: set[str]) -> None:
    assert unread_products([error], BOUND) == unread


def test_unread_products_gathers_every_named_product() -> None:
    errors = [RecordError("bad", record_id="tt-2"), RecordError("bad", record_id="tt-9")]
    assert unread_products(errors, BOUND) == {"P2"}
    assert unread_products([], BOUND) == set()
