"""What a seller_sku search finds is bound once, or refused when it is another listing's.

- A product found in Seller Center is bound (its product and SKU ids) as it is found, so a
  policy that only reports its content edit does not leave it unbound: unbound, every run would
  search it again and push its price and stock again.
- A bound product's SKU without an id that the search finds in another Seller Center product is
  a record error naming both products: an edit would send it as a new SKU of this listing, a
  second one on sale. Same harness as the half-done pushes (``Shelf``, ``Shop``).
- A SKU Search Products finds in two Seller Center products is a record error, whichever hit
  comes last: the TikTok connector's ``find_listings`` keeps every product a SKU is found in.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from test_listings_half_done_pushes import Shelf, Shop, _fresh  # noqa: F401  (the fixture resets Shelf)

from erpsync.core.errors import PermanentError
from erpsync.core.listings import FoundListing
from erpsync.core.models import Records


def _mug_in_t7(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Seller Center holds MUG in product T7, made by hand; the searches made, as they are made."""
    searches: list[list[str]] = []

    def find(self: Any, skus: Sequence[str]) -> dict[str, tuple[FoundListing, ...]]:
        searches.append(list(skus))
        return {"MUG": (FoundListing("T7", {"MUG": "id-MUG"}),)} if "MUG" in skus else {}

    monkeypatch.setattr(Shelf, "find_listings", find)
    return searches


def _report_content(shop: Shop) -> None:
    """The shop's policy: content edits are reported, price and stock pushed (the ERP wins)."""
    config = shop.root / "erpsync.toml"
    config.write_text(config.read_text(encoding="utf-8") + '[policy]\nlistings = { content = "report" }\n')


def test_a_found_product_whose_edit_is_only_reported_is_bound_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MUG is in Seller Center product T7, made by hand. The first run finds it, binds it and
    pushes its price and stock; its content edit is only reported. The second run must not
    search it again nor push its price and stock again; the content drift stays open."""
    searches = _mug_in_t7(monkeypatch)
    shop = Shop(tmp_path)
    _report_content(shop)
    shop.write([("MUG", "4", "5")])
    first = shop.run()
    assert [(r.action.kind, r.status) for r in first.actions] == [
        ("set_prices", "applied"),
        ("set_inventory", "applied"),
    ]
    assert [d.kind for d in first.drifts] == ["price_changed", "inventory_changed", "content_changed"]
    assert searches == [["MUG"]] and Shelf.calls == ["price", "inventory"]
    second = shop.run()
    assert searches == [["MUG"]]  # bound: not searched again
    assert Shelf.calls == ["price", "inventory"]  # nothing pushed again
    assert second.actions == [] and second.error is None and not second.record_errors
    assert [d.kind for d in second.drifts] == ["content_changed"]
    assert second.resolved == [] and second.opened == []


def test_a_found_product_is_bound_by_a_run_that_pushes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A dry run (reconcile without --apply) binds what it found too: it is a fact about Seller
    Center, not a push. The apply run after it pushes price and stock without searching."""
    searches = _mug_in_t7(monkeypatch)
    shop = Shop(tmp_path)
    _report_content(shop)
    shop.write([("MUG", "4", "5")])
    from erpsync.plugins.manager import load_settings
    from erpsync.sync import Syncer

    syncer = Syncer(load_settings(shop.root / "erpsync.toml", shop.registry), pm=shop.pm, registry=shop.registry)
    try:
        syncer.run(apply=False)
    finally:
        syncer.close()
    assert searches == [["MUG"]] and Shelf.calls == []
    applied = shop.run()
    assert searches == [["MUG"]]
    assert [(r.action.kind, r.status) for r in applied.actions] == [
        ("set_prices", "applied"),
        ("set_inventory", "applied"),
    ]


def test_a_sku_found_in_another_listing_is_not_added_by_an_edit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """P1 is created as T1 with MUG. CUP is added in the ERP, and its edit fails once; then CUP
    turns up in Seller Center product T2 (made by hand). An edit of T1 would send CUP as a new SKU,
    a second CUP on sale: instead a record error names P1, CUP, T1 and T2, no edit goes out, the
    content drift stays open, and MUG's price is still pushed."""
    elsewhere: dict[str, FoundListing] = {}
    edits: list[Mapping[str, Any]] = []
    real_find, real_edit = Shelf.find_listings, Shelf.edit_listing
    fail_edit = {"on": True}

    def find(self: Shelf, skus: Sequence[str]) -> dict[str, tuple[FoundListing, ...]]:
        return {**real_find(self, skus), **{k: (v,) for k, v in elsewhere.items() if k in skus}}

    def edit(self: Shelf, product_id: str, changes: Mapping[str, Any]) -> FoundListing:
        edits.append(changes)
        if fail_edit["on"]:
            raise PermanentError("12052051: title too long", connector="listing-shelf", operation="edit product")
        return real_edit(self, product_id, changes)

    monkeypatch.setattr(Shelf, "find_listings", find)
    monkeypatch.setattr(Shelf, "edit_listing", edit)
    shop = Shop(tmp_path)
    shop.write([("MUG", "4", "5")])
    shop.run()  # create: T1 with MUG
    shop.write([("MUG", "4", "5"), ("CUP", "3", "7")])
    failed = shop.run()
    assert [(r.action.kind, r.status) for r in failed.actions] == [("edit_listing", "failed")]
    (content_drift,) = failed.opened
    elsewhere["CUP"] = FoundListing("T2", {"CUP": "id-CUP-T2"})
    fail_edit["on"] = False
    shop.write([("MUG", "6", "5"), ("CUP", "3", "7")])
    report = shop.run()
    assert len(edits) == 1  # only the edit that failed: none sent CUP to T1 again
    assert [(r.action.kind, r.status) for r in report.actions] == [("set_prices", "applied")]
    assert Shelf.prices["id-MUG"] == "6"
    assert report.error is None
    (error,) = report.record_errors
    assert all(name in error for name in ("'P1'", "'CUP'", "T1", "T2")), error
    assert content_drift not in report.resolved  # the content drift stays open (the price's resolves)
    del elsewhere["CUP"]  # moved out of T2 (or T2 deleted): the next edit adds CUP to T1
    fixed = shop.run()
    assert [(r.action.kind, r.status) for r in fixed.actions] == [("edit_listing", "applied")]
    assert [(s.get("id") is None, s["seller_sku"]) for s in edits[-1]["skus"]] == [(False, "MUG"), (True, "CUP")]
    assert not fixed.record_errors and fixed.resolved == [content_drift]


def _searched_by_tiktok(monkeypatch: pytest.MonkeyPatch, hits: dict[str, dict[str, str]]) -> None:
    """Shelf looks SKUs up with the TikTok connector's ``find_listings``, over a Search Products
    that answers ``hits`` ({product id: {seller_sku: sku id}}, in that order) holding a SKU asked."""
    from erpsync.connectors.tiktok.listing_push import ListingPush
    from erpsync.connectors.tiktok.products.models import ProductSummary, Sku

    class Api:
        def search_products(self, *, seller_skus: Sequence[str]) -> Iterator[Records[ProductSummary]]:
            yield Records(
                tuple(
                    ProductSummary(pid, "Mug", None, None, tuple(Sku(i, k, None) for k, i in skus.items()), None, None)
                    for pid, skus in hits.items()
                    if set(skus) & set(seller_skus)
                )
            )

    monkeypatch.setattr(Shelf, "find_listings", ListingPush.find_listings)
    monkeypatch.setattr(Shelf, "_products", lambda self: Api(), raising=False)


def test_a_product_whose_sku_is_in_two_seller_center_products_is_a_record_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Search Products answers two products holding MUG (an old duplicate listing, one made by
    hand). P1 is bound to neither (the last hit must not win), nothing is pushed, and the record
    error names both."""
    _searched_by_tiktok(monkeypatch, {"T7": {"MUG": "id-MUG-T7"}, "T8": {"MUG": "id-MUG-T8"}})
    shop = Shop(tmp_path)
    shop.write([("MUG", "4", "5")])
    report = shop.run()
    assert Shelf.calls == []
    (error,) = [str(e) for e in report.record_errors]
    assert all(word in error for word in ("'P1'", "T7", "T8")), error


def test_a_bound_products_sku_in_its_own_listing_and_another_is_a_record_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """P1 is created as T1; the create's answer leaves CUP out. The search for CUP finds it in T2
    (made by hand) and then in T1: a record error names CUP and T2 whichever hit comes last, and
    no edit goes out while CUP is in both; CUP's id in T1 is bound, so its price is pushed."""
    hits: dict[str, dict[str, str]] = {}  # the search index does not list T1 yet
    _searched_by_tiktok(monkeypatch, hits)
    shop = Shop(tmp_path)
    shop.write([("MUG", "4", "5"), ("CUP", "3", "7")])
    Shelf.answer_omits = {"CUP"}
    shop.run()  # create: both SKUs made, the answer names MUG only
    Shelf.answer_omits = set()
    hits.update({"T2": {"CUP": "id-CUP-T2"}, "T1": {"MUG": "id-MUG", "CUP": "id-CUP"}})
    Shelf.calls.clear()
    shop.write([("MUG", "4", "5"), ("CUP", "9", "7"), ("BOWL", "2", "1")])  # a SKU added: an edit is due
    report = shop.run()
    (error,) = [str(e) for e in report.record_errors]
    assert all(word in error for word in ("'P1'", "'CUP'", "T1", "T2")), error
    assert "edit" not in Shelf.calls, Shelf.calls
    assert Shelf.prices["id-CUP"] == "9"


def test_a_seller_plugin_answering_one_listing_per_sku_still_binds_what_it_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A seller plugin written when ``find_listings`` answered ``{seller_sku: FoundListing}``,
    one listing per SKU, keeps working: its answer is read as that one listing, so MUG is bound
    to T7 and its price and stock pushed there, not refused nor created again."""

    def find(self: Any, skus: Sequence[str]) -> dict[str, FoundListing]:
        return {"MUG": FoundListing("T7", {"MUG": "id-MUG"})} if "MUG" in skus else {}

    monkeypatch.setattr(Shelf, "find_listings", find)
    shop = Shop(tmp_path)
    _report_content(shop)
    shop.write([("MUG", "4", "5")])
    report = shop.run()
    assert report.error is None and not report.record_errors
    assert [(r.action.kind, r.status) for r in report.actions] == [
        ("set_prices", "applied"),
        ("set_inventory", "applied"),
    ]
    assert Shelf.calls == ["price", "inventory"]
