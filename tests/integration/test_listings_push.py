"""The listings aspect end to end: the files ERP's products file, the real client, the sandbox's catalogue.

Runs go through the real ``Syncer`` in this process, with the store's bindings handed to the
aspect; the sandbox's effect counts (``/_sandbox/effects``: ``product_create`` per seller_sku,
``product_edit`` per product, ``price_update`` / ``inventory_update`` per seller_sku) prove what
reached Seller Center, and how many times.
"""

from __future__ import annotations

import csv

import pytest
from image_bytes import png
from listing_shop import COLUMNS, add_sku_by_hand, configure, listing_skus, run_listings, sku_values, upload_image

pytestmark = pytest.mark.integration

CREATE = "/product/202309/products"


def setup(ws) -> str:
    """The shop's config with a products file and [aspects.listings]; an uploaded image's uri."""
    uri = upload_image(ws, png())
    configure(ws, f'images = {{ "front.png" = "{uri}" }}\n')
    ws.admin("DELETE", "effects")
    return uri


def write_products(ws, rows: list[tuple[str, str, str, str, str]]) -> None:
    """``(id, seller_sku, title, price, inventory)`` rows, USD, one image."""
    (ws.root / "erp").mkdir(exist_ok=True)
    with (ws.root / "erp" / "products.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(COLUMNS)
        for pid, sku, title, price, stock in rows:
            out.writerow([pid, sku, title, f"About {title}", price, "USD", stock, "front.png", ""])


def effects(ws) -> dict[str, dict[str, int]]:
    return {k: v for k, v in ws.admin("GET", "effects").items() if v}


def writes(ws) -> int:
    paths = ws.counts()["paths"]
    return sum(v.get("calls", 0) for k, v in paths.items() if k.startswith("/product/") and "search" not in k)


def test_create_then_a_second_run_does_nothing_then_each_change_its_own_endpoint(demo_ws):
    setup(demo_ws)
    write_products(demo_ws, [("P1", "SHIRT-S", "Shirt", "12.50", "5"), ("P2", "MUG", "Mug", "4", "10")])
    first = run_listings(demo_ws)
    assert [r.status for r in first.actions] == ["applied", "applied"], first.actions
    assert effects(demo_ws) == {"product_create": {"SHIRT-S": 1, "MUG": 1}}
    assert first.record_errors == [] and first.resolved  # verified by the re-read

    before = writes(demo_ws)
    second = run_listings(demo_ws)
    assert second.actions == [] and second.drifts == []
    assert writes(demo_ws) == before  # no write call at all
    assert effects(demo_ws) == {"product_create": {"SHIRT-S": 1, "MUG": 1}}

    write_products(demo_ws, [("P1", "SHIRT-S", "Shirt", "11", "5"), ("P2", "MUG", "Big mug", "4", "7")])
    third = run_listings(demo_ws)
    assert sorted(r.action.kind for r in third.actions) == ["edit_listing", "set_inventory", "set_prices"]
    assert all(r.status == "applied" for r in third.actions), third.actions
    after = effects(demo_ws)
    assert list(after.pop("product_edit").values()) == [1]  # the mug, once
    assert after == {
        "product_create": {"SHIRT-S": 1, "MUG": 1},
        "price_update": {"SHIRT-S": 1},
        "inventory_update": {"MUG": 1},
    }
    assert run_listings(demo_ws).actions == []  # and quiet again


def test_a_sku_added_to_a_bound_product_leaves_its_other_skus_in_the_listing(demo_ws):
    """The sandbox deletes a SKU an edit's skus list leaves out, as the 202309 reference reads
    (docs/listings.md): the edit adding SHIRT-L lists SHIRT-S and SHIRT-M with their ids, so the
    listing keeps them, with their ids and stock."""
    setup(demo_ws)
    write_products(demo_ws, [("P1", "SHIRT-S", "Shirt", "12.50", "5"), ("P1", "SHIRT-M", "Shirt", "13", "6")])
    run_listings(demo_ws)
    ((product_id, before),) = listing_skus(demo_ws, "SHIRT-S").items()
    rows = [("P1", "SHIRT-S", "Shirt", "12.50", "5"), ("P1", "SHIRT-M", "Shirt", "13", "6")]
    write_products(demo_ws, [*rows, ("P1", "SHIRT-L", "Shirt", "14", "7")])
    report = run_listings(demo_ws)
    assert [(r.action.kind, r.status) for r in report.actions] == [("edit_listing", "applied")], report.actions
    after = listing_skus(demo_ws, "SHIRT-L")[product_id]
    assert set(after) == {"SHIRT-S", "SHIRT-M", "SHIRT-L"}
    assert {k: after[k] for k in before} == before  # the same SKUs, not remade
    assert run_listings(demo_ws).actions == []  # and quiet again


def test_an_edit_adding_skus_never_deletes_a_sku_made_by_hand_in_seller_center(demo_ws):
    """SHIRT-XL, added by hand in Seller Center, is bound to nothing, so the edit adding SHIRT-M
    would leave it out of its ``skus`` list, which the sandbox (as the 202309 reference reads)
    takes as deleting it: the edit is not sent, its failure names SHIRT-XL, and once the ERP
    product lists SHIRT-XL too the next run adds SHIRT-M and keeps every SKU."""
    setup(demo_ws)
    write_products(demo_ws, [("P1", "SHIRT-S", "Shirt", "12.50", "5")])
    run_listings(demo_ws)
    ((product_id, bound),) = listing_skus(demo_ws, "SHIRT-S").items()
    add_sku_by_hand(demo_ws, product_id, bound, "SHIRT-XL")
    by_hand = listing_skus(demo_ws, "SHIRT-XL")[product_id]
    demo_ws.admin("DELETE", "effects")

    write_products(demo_ws, [("P1", "SHIRT-S", "Shirt", "12.50", "5"), ("P1", "SHIRT-M", "Shirt", "13", "6")])
    refused = run_listings(demo_ws)
    assert [(r.action.kind, r.status) for r in refused.actions] == [("edit_listing", "failed")], refused.actions
    (why,) = [r.detail or "" for r in refused.actions]
    assert "SHIRT-XL" in why and by_hand["SHIRT-XL"] in why and "not sent" in why, why
    assert effects(demo_ws) == {}  # nothing reached Seller Center
    assert listing_skus(demo_ws, "SHIRT-XL")[product_id] == by_hand  # SHIRT-XL is still there

    rows = [("P1", "SHIRT-S", "Shirt", "12.50", "5"), ("P1", "SHIRT-M", "Shirt", "13", "6")]
    write_products(demo_ws, [*rows, ("P1", "SHIRT-XL", "Shirt", "9", "1")])
    added = run_listings(demo_ws)
    assert ("edit_listing", "applied") in [(r.action.kind, r.status) for r in added.actions], added.actions
    after = listing_skus(demo_ws, "SHIRT-M")[product_id]
    assert set(after) == {"SHIRT-S", "SHIRT-M", "SHIRT-XL"}
    assert {k: after[k] for k in by_hand} == by_hand  # the same SKUs, not remade


def test_an_edit_adding_a_sku_leaves_the_listed_skus_price_and_stock_to_a_reporting_policy(demo_ws):
    """[policy] listings reports price and stock: the edit adding SHIRT-L lists SHIRT-S by its id
    alone, so the sandbox keeps its price and stock, and both drifts stay reported."""
    uri = upload_image(demo_ws, png())
    policy = '[policy]\nlistings = { price = "report", inventory = "report" }\n'
    configure(demo_ws, f'images = {{ "front.png" = "{uri}" }}\n{policy}')
    write_products(demo_ws, [("P1", "SHIRT-S", "Shirt", "12.50", "5")])
    run_listings(demo_ws)
    write_products(demo_ws, [("P1", "SHIRT-S", "Shirt", "11", "9"), ("P1", "SHIRT-L", "Shirt", "14", "7")])
    report = run_listings(demo_ws)
    assert [(r.action.kind, r.status) for r in report.actions] == [("edit_listing", "applied")], report.actions
    assert sku_values(demo_ws, "SHIRT-L") == {"SHIRT-S": ("12.5", {"WH-DG": 5}), "SHIRT-L": ("14", {"WH-DG": 7})}
    again = run_listings(demo_ws)
    assert sorted(d.kind for d in again.drifts) == ["inventory_changed", "price_changed"]
    assert again.actions == []


def test_a_lost_create_answer_never_makes_a_duplicate(demo_ws):
    setup(demo_ws)
    write_products(demo_ws, [("P1", "LAMP", "Lamp", "20", "3")])
    demo_ws.admin("POST", "faults", {"fail_after_commit": 1, "commit_fault_paths": [CREATE]})
    first = run_listings(demo_ws)
    # the client looked the product up by seller_sku after the 500 and found it: one product
    assert [r.status for r in first.actions] == ["applied"], first.actions
    assert effects(demo_ws) == {"product_create": {"LAMP": 1}}
    assert run_listings(demo_ws).actions == []


def test_a_product_erpsync_never_bound_is_found_by_seller_sku_not_created_again(demo_ws):
    setup(demo_ws)
    write_products(demo_ws, [("P1", "LAMP", "Lamp", "20", "3")])
    run_listings(demo_ws)
    (demo_ws.root / "state.db").unlink()  # another machine, or a lost store: no bindings
    again = run_listings(demo_ws)
    assert "create_listing" not in [r.action.kind for r in again.actions]
    assert all(r.status == "applied" for r in again.actions), again.actions
    assert effects(demo_ws)["product_create"] == {"LAMP": 1}
    assert run_listings(demo_ws).actions == []  # bound now


def test_bad_rows_are_record_errors_and_the_rest_is_pushed(demo_ws):
    setup(demo_ws)
    rows = [("P1", "", "No sku", "1", "1"), ("P2", "NEG", "Negative", "-2", "1"), ("P3", "OK", "Fine", "2", "1")]
    write_products(demo_ws, rows)
    report = run_listings(demo_ws)
    assert any("products.csv:2" in e and "seller_sku" in e for e in report.record_errors), report.record_errors
    assert any("products.csv:3" in e and "price" in e for e in report.record_errors), report.record_errors
    assert effects(demo_ws) == {"product_create": {"OK": 1}}


def test_a_failed_audit_of_an_edit_is_reported_while_the_product_stays_live(demo_ws):
    # the product passed its first audit and is live; an edit of its content fails the audit, so
    # Seller Center keeps the old content ("stays live and remains unchanged"): only its audit
    # status says so, and the operator must hear it, or the listing is silently stale
    setup(demo_ws)
    write_products(demo_ws, [("P1", "WATCH", "Steel watch", "99", "1")])
    assert [r.status for r in run_listings(demo_ws).actions] == ["applied"]
    assert [d for d in run_listings(demo_ws).drifts if d.kind == "audit_failed"] == []  # approved, live
    write_products(demo_ws, [("P1", "WATCH", "Rolex replica watch", "99", "1")])
    edited = run_listings(demo_ws)
    assert [(r.action.kind, r.status) for r in edited.actions] == [("edit_listing", "applied")], edited.actions
    failed = run_listings(demo_ws)
    (drift,) = [d for d in failed.drifts if d.kind == "audit_failed"]
    assert drift.subject == "P1" and "title: Suspected counterfeit" in drift.message


def test_a_failed_audit_is_a_warning_with_the_platform_s_reasons_until_fixed(demo_ws):
    setup(demo_ws)
    write_products(demo_ws, [("P1", "WATCH", "Rolex replica watch", "99", "1")])
    created = run_listings(demo_ws)
    assert [r.status for r in created.actions] == ["applied"], created.actions
    failed = run_listings(demo_ws)  # the audit decided (no delay): FAILED, for its title
    (drift,) = [d for d in failed.drifts if d.kind == "audit_failed"]
    assert drift.subject == "P1" and drift.severity.value == "warning"
    assert "title: Suspected counterfeit" in drift.message and "(suggested: Remove replica wording" in drift.message
    assert run_listings(demo_ws).opened == []  # still failing: the same drift, no new alert

    write_products(demo_ws, [("P1", "WATCH", "Steel watch", "99", "1")])
    edited = run_listings(demo_ws)  # the content pushed again: a new audit, which passes
    assert [r.action.kind for r in edited.actions] == ["edit_listing"]
    after = run_listings(demo_ws)
    assert [d for d in after.drifts if d.kind == "audit_failed"] == []
    assert drift.fingerprint in edited.resolved + after.resolved
