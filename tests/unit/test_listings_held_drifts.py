"""A product compared in part holds open only the drifts of what it was not compared for.

A price or stock drift held open while the value was compared takes the ledger row of a value
that comes back (stock 5 -> 4 -> 5 -> 4: the second 4 is "already done" and never pushed). So a
product with a bad SKU row holds open only its content drifts, an unreadable failed-audit hit
only audit drifts (and none for a listing erpsync does not push), and an unreadable search hit
for a SKU without an id is a record error of its own. Same harness as the half-done pushes.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

import pytest
from test_listings_half_done_pushes import Shelf, Shop, _fresh  # noqa: F401  (the fixture resets Shelf)
from test_pushes_never_lost import PRODUCT_HEADER

from erpsync.core.aspects.listing_observation import CONTENT_KINDS
from erpsync.core.aspects.listings import KINDS
from erpsync.core.errors import RecordError


def test_a_partial_products_stock_that_goes_back_is_pushed(tmp_path: Path) -> None:
    """A product with a bad later SKU row still gets its good SKUs' stock pushed. Stock 5 -> 4 -> 5
    while the row stays bad: Seller Center must end at 5."""
    shop = Shop(tmp_path)
    shop.write([("MUG", "4", "5"), ("CUP", "3", "7")])
    shop.run()  # create
    shop.write([("MUG", "4", "4"), ("CUP", "-3", "7")])  # CUP row goes bad; MUG stock 5 -> 4
    r1 = shop.run()
    assert Shelf.stock["id-MUG"] == 4, r1.actions
    shop.write([("MUG", "4", "5"), ("CUP", "-3", "7")])  # MUG stock back to 5 (a return)
    r2 = shop.run()
    assert Shelf.stock["id-MUG"] == 5, [(a.action.kind, a.status, a.detail) for a in r2.actions]


def test_a_partial_products_stock_that_comes_back_is_pushed_each_time(tmp_path: Path) -> None:
    """Stock 5 -> 4 -> 5 -> 4 while a later SKU row stays bad: each change must reach Seller Center."""
    shop = Shop(tmp_path)
    shop.write([("MUG", "4", "5"), ("CUP", "3", "7")])
    shop.run()  # create
    for qty in ("4", "5", "4"):
        shop.write([("MUG", "4", qty), ("CUP", "-3", "7")])
        r = shop.run()
        assert Shelf.stock["id-MUG"] == int(qty), (qty, [(a.action.kind, a.status, a.detail) for a in r.actions])


def test_stock_that_comes_back_is_pushed_each_time(tmp_path: Path) -> None:
    """Control: the same changes on a product with no bad row."""
    shop = Shop(tmp_path)
    shop.write([("MUG", "4", "5"), ("CUP", "3", "7")])
    shop.run()
    for qty in ("4", "5", "4"):
        shop.write([("MUG", "4", qty), ("CUP", "3", "7")])
        r = shop.run()
        assert Shelf.stock["id-MUG"] == int(qty), (qty, [(a.action.kind, a.status, a.detail) for a in r.actions])


def test_an_unreadable_audit_hit_holds_open_only_audit_drifts_so_stock_coming_back_is_pushed(tmp_path: Path) -> None:
    """One failed-audit search hit that cannot be read (every run: the same malformed product)
    keeps every bound product out of scope; their stock changes must still all be pushed."""
    from erpsync.core.errors import RecordError
    from erpsync.core.models import Records

    shop = Shop(tmp_path)
    shop.write([("MUG", "4", "5")])
    shop.run()  # create, bound to T1
    Shelf.audits = Records((), (RecordError("status: not a string", record="product #0"),))
    for qty in ("4", "5", "4"):
        shop.write([("MUG", "4", qty)])
        r = shop.run()
        assert Shelf.stock["id-MUG"] == int(qty), (qty, [(a.action.kind, a.status, a.detail) for a in r.actions])


def test_an_unreadable_hit_for_a_missing_sku_is_a_record_error_not_the_shops(tmp_path: Path, monkeypatch) -> None:
    """Only a SKU id is missing (no product unbound): a search that cannot read a hit should not
    stop every listing push of the shop (nothing can be created twice)."""
    from erpsync.core.errors import RecordError

    broken = {"on": False}

    def find(self, skus):
        if broken["on"]:
            raise RecordError("skus[0].id: missing", record="product #0", source="TikTok")
        return {}  # the search index does not list T1 yet

    monkeypatch.setattr(Shelf, "find_listings", find)
    shop = Shop(tmp_path)
    shop.write([("MUG", "4", "5"), ("CUP", "3", "7")])
    Shelf.answer_omits = {"CUP"}
    shop.run()  # create: CUP left out of the answer
    broken["on"] = True
    Shelf.calls.clear()
    shop.write([("MUG", "6", "5"), ("CUP", "3", "7")])  # MUG's price changes
    r = shop.run()
    assert r.error is None, r.error
    assert Shelf.prices["id-MUG"] == "6", Shelf.calls


def test_an_unreadable_product_erpsync_does_not_push_keeps_no_bound_drift_open(tmp_path: Path) -> None:
    """Get Product fails for T9, a listing erpsync does not push (named by its id). T1's audit
    passed again: P1's audit_failed warning must resolve; T9 cannot be about P1."""
    from erpsync.core.errors import RecordError
    from erpsync.core.listing_audits import AuditReason, ListingAudit
    from erpsync.core.models import Records

    shop = Shop(tmp_path)
    shop.write([("MUG", "4", "5")])
    shop.run()  # create, bound to T1
    Shelf.audits = Records((ListingAudit("T1", (AuditReason("title", ("counterfeit",), ()),)),))
    assert len(shop.run().opened) == 1
    unread = RecordError("audit_failed_reasons: not a list", record="product T9", source="TikTok", record_id="T9")
    Shelf.audits = Records((), (unread,))
    second = shop.run()
    assert len(second.resolved) == 1, second


def test_an_unreadable_product_erpsync_does_not_push_holds_no_stock_push_back(tmp_path: Path) -> None:
    """T9, a hand-made listing in FAILED audit whose Get Product answer cannot be read, every run."""
    from erpsync.core.errors import RecordError
    from erpsync.core.models import Records

    shop = Shop(tmp_path)
    shop.write([("MUG", "4", "5")])
    shop.run()
    unread = RecordError("audit_failed_reasons: not a list", record="product T9", source="TikTok", record_id="T9")
    Shelf.audits = Records((), (unread,))
    for qty in ("4", "5", "4"):
        shop.write([("MUG", "4", qty)])
        r = shop.run()
        assert Shelf.stock["id-MUG"] == int(qty), (qty, [(a.action.kind, a.status, a.detail) for a in r.actions])


def test_the_content_kinds_are_the_create_and_edit_drifts() -> None:
    assert {KINDS["create"][0], KINDS["edit"][0]} == CONTENT_KINDS


def _write(shop: Shop, title: str, rows: list[tuple[str, str, str]]) -> None:
    """Product P1 under ``title`` with ``rows`` (seller_sku, price, stock), its mtime moved."""
    path = shop.root / "erp" / "products.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(PRODUCT_HEADER)
        for sku, price, qty in rows:
            w.writerow(["P1", sku, title, "About the mug", price, "USD", qty, "tos-uri-1", ""])
    shop.tick += 5
    stamp = path.stat().st_mtime + shop.tick
    os.utime(path, (stamp, stamp))


def test_a_sku_without_id_that_could_not_be_looked_up_is_not_added_again_by_an_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CUP is in T1 already (the create answer left it out). The title changes while the SKU
    search has an unreadable hit: an edit now would send CUP as a new SKU, a second one on sale.
    No edit goes out; the content drift stays open until a run can look CUP up."""
    edits: list[Any] = []
    real_edit, real_find = Shelf.edit_listing, Shelf.find_listings
    healed = {"on": False}

    def find(self: Shelf, skus: Any) -> Any:
        if "create" in Shelf.calls and not healed["on"]:  # from the create's own re-read on
            raise RecordError("skus[0].id: missing", record="product #0", source="TikTok")
        return real_find(self, skus)

    def edit(self: Shelf, product_id: str, changes: Any) -> Any:
        edits.append(changes)
        return real_edit(self, product_id, changes)

    monkeypatch.setattr(Shelf, "find_listings", find)
    monkeypatch.setattr(Shelf, "edit_listing", edit)
    shop = Shop(tmp_path)
    _write(shop, "Mug", [("MUG", "4", "5"), ("CUP", "3", "7")])
    Shelf.answer_omits = {"CUP"}
    shop.run()  # create: both SKUs made, the answer names MUG only
    Shelf.answer_omits = set()
    _write(shop, "Big mug", [("MUG", "6", "5"), ("CUP", "3", "7")])
    report = shop.run()
    assert edits == []
    assert Shelf.prices["id-MUG"] == "6"  # price still pushed
    assert any("skus[0].id" in e for e in report.record_errors)
    healed["on"] = True  # CUP can be looked up again: bound, then the edit carries no new SKU
    report = shop.run()
    assert [e.get("skus") for e in edits] == [None]
    assert report.error is None and not report.record_errors
