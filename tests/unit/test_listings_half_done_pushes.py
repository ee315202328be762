"""Listings pushes that half failed are finished by later runs, and one bad record stops only itself.

Each test runs the real Syncer, aspect, SQLite bindings and files ERP against an in-memory
Seller Center (``Shelf``): a product found by seller_sku whose edit failed, stock refused for a
SKU the platform does not name, a SKU an answer left out, an unreadable failed-audit product or
search hit, products left out of a run for a record error, and a product with a bad SKU row.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest
from test_pushes_never_lost import PRODUCT_HEADER, Seller

from erpsync.core.errors import AuthError, ConnectorError, RecordError, TemporaryError
from erpsync.core.listing_audits import AuditReason, ListingAudit
from erpsync.core.listings import FoundListing
from erpsync.core.models import AspectReport, Records
from erpsync.plugins import hookimpl
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sync import Syncer


class Shelf(Seller):
    """An in-memory Seller Center holding one product, T1: SKU ids by seller_sku, price and stock by SKU id."""

    type = "listing-shelf"
    sku_ids: ClassVar[dict[str, str]] = {}
    prices: ClassVar[dict[str, str]] = {}
    stock: ClassVar[dict[str, int]] = {}
    #: seller_skus the create/edit answer leaves out (an answer that lists only some SKUs)
    answer_omits: ClassVar[set[str]] = set()
    #: what Update Inventory answers as refused (None: nothing refused)
    refuse: ClassVar[dict[str, str] | None] = None
    audits: ClassVar[Records[ListingAudit]] = Records()
    #: what the failed-audits read raises instead of answering (None: it answers ``audits``)
    audits_fail: ClassVar[ConnectorError | None] = None
    calls: ClassVar[list[str]] = []

    def find_listings(self, skus: Sequence[str]) -> dict[str, tuple[FoundListing, ...]]:
        """Search Products by seller_sku: every SKU made is in product T1."""
        return {k: (FoundListing("T1", {k: Shelf.sku_ids[k]}),) for k in skus if k in Shelf.sku_ids}

    def _answer(self, product_id: str, skus: Sequence[Mapping[str, Any]]) -> FoundListing:
        for s in skus:
            sid = Shelf.sku_ids.setdefault(s["seller_sku"], "id-" + s["seller_sku"])
            Shelf.prices[sid] = s["price"]["amount"]
            Shelf.stock[sid] = s["inventory"][0]["quantity"]
        return FoundListing(product_id, {k: v for k, v in Shelf.sku_ids.items() if k not in Shelf.answer_omits})

    def create_listing(self, body: Mapping[str, Any]) -> FoundListing:
        Shelf.calls.append("create")
        return self._answer("T1", body["skus"])

    def edit_listing(self, product_id: str, changes: Mapping[str, Any]) -> FoundListing:
        Shelf.calls.append("edit")
        return self._answer(product_id, changes.get("skus") or [])

    def set_listing_prices(self, product_id: str, prices: Mapping[str, tuple[str, str]]) -> None:
        Shelf.calls.append("price")
        Shelf.prices.update({k: v[0] for k, v in prices.items()})

    def set_listing_inventory(self, product_id: str, quantities: Mapping[str, Mapping[str, int]]) -> dict[str, str]:
        Shelf.calls.append("inventory")
        if Shelf.refuse is not None:
            return dict(Shelf.refuse)
        Shelf.stock.update({k: v["W"] for k, v in quantities.items()})
        return {}

    def failed_audits(self) -> Records[ListingAudit]:
        if Shelf.audits_fail is not None:
            raise Shelf.audits_fail
        return Shelf.audits


class Plugin:
    @hookimpl
    def register_connectors(self, register: Any) -> None:
        register(Shelf)


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    Shelf.sku_ids, Shelf.prices, Shelf.stock, Shelf.calls = {}, {}, {}, []
    Shelf.answer_omits, Shelf.refuse, Shelf.audits, Shelf.audits_fail = set(), None, Records(), None
    yield


class Shop:
    def __init__(self, root: Path, *plugins: object) -> None:
        self.root, self.tick = root, 0
        (root / "erp").mkdir()
        (root / "erpsync.toml").write_text(
            f'[state]\nurl = "sqlite:///{root}/state.db"\n[[shops]]\nname = "s"\naspects = ["listings"]\n'
            '[shops.seller]\ntype = "listing-shelf"\n'
            '[shops.erp]\ntype = "files"\npath = "erp"\nproducts = "products.csv"\n'
            '[aspects.listings]\ncategory_id = "600001"\nwarehouse_id = "W"\n',
            encoding="utf-8",
        )
        self.pm = get_plugin_manager(entrypoints=False, extra=[Plugin(), *plugins])
        self.registry = build_registry(self.pm)

    def write(self, rows: list[tuple[str, str, str]]) -> None:
        """rows: (seller_sku, price, inventory) of product P1."""
        path = self.root / "erp" / "products.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(PRODUCT_HEADER)
            for sku, price, qty in rows:
                w.writerow(["P1", sku, "Mug", "About the mug", price, "USD", qty, "tos-uri-1", ""])
        self.tick += 5
        stamp = path.stat().st_mtime + self.tick
        os.utime(path, (stamp, stamp))

    def run(self) -> AspectReport:
        syncer = Syncer(load_settings(self.root / "erpsync.toml", self.registry), pm=self.pm, registry=self.registry)
        try:
            report = syncer.run(apply=True)
        finally:
            syncer.close()
        return next(a for a in report.shops[0].aspects if a.aspect == "listings")


def test_a_found_product_whose_edit_failed_keeps_its_sku_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A product found by seller_sku is bound before its edit is sent; the edit fails. Its SKU ids,
    known from the search, are bound with it: the next run still compares its price and stock,
    and its edit does not add its SKUs a second time."""
    from erpsync.core.errors import PermanentError

    edits: list[Mapping[str, Any]] = []

    def find(self: Any, skus: Sequence[str]) -> dict[str, tuple[FoundListing, ...]]:
        return {"MUG": (FoundListing("T7", {"MUG": "id-MUG"}),)} if "MUG" in skus else {}

    def edit(self: Any, product_id: str, changes: Mapping[str, Any]) -> FoundListing:
        edits.append(changes)
        raise PermanentError("12052051: title too long", connector="listing-shelf", operation="edit product")

    monkeypatch.setattr(Shelf, "find_listings", find)
    monkeypatch.setattr(Shelf, "edit_listing", edit)
    shop = Shop(tmp_path)
    shop.write([("MUG", "4", "5")])
    first = shop.run()
    assert [(r.action.kind, r.status) for r in first.actions] == [
        ("set_prices", "applied"),
        ("set_inventory", "applied"),
        ("edit_listing", "failed"),
    ]
    shop.write([("MUG", "6", "5")])  # the price changes while the content is being fixed
    second = shop.run()
    assert [r.action.kind for r in second.actions] == ["set_prices", "edit_listing"]
    assert "skus" not in edits[-1], edits[-1]["skus"]


def test_stock_refused_for_an_unnamed_sku_is_pushed_again(tmp_path: Path) -> None:
    """Update Inventory refuses stock without naming the SKU (the aspect reads "(unknown SKU)"): no
    SKU of the push is recorded as pushed, so the next run pushes the stock again."""
    shop = Shop(tmp_path)
    shop.write([("MUG", "4", "5")])
    shop.run()  # create
    shop.write([("MUG", "4", "4")])
    Shelf.refuse = {"(unknown SKU)": "12019028: Multiple warehouses detected"}
    assert [r.status for r in shop.run().actions] == ["failed"]
    assert Shelf.stock["id-MUG"] == 5  # the platform kept the old stock
    Shelf.refuse = None
    again = shop.run()
    assert [(r.action.kind, r.status) for r in again.actions] == [("set_inventory", "applied")]
    assert Shelf.stock["id-MUG"] == 4


def test_the_real_inventory_answer_without_sku_id_reads_as_unknown_sku() -> None:
    """The TikTok connector names an error entry without a sku_id "(unknown SKU)", as the test above feeds it."""
    from erpsync.connectors.tiktok.listing_push import ListingPush
    from erpsync.connectors.tiktok.products.api import _sku_errors

    class Api:
        def update_inventory(self, product_id: str, q: Any) -> Any:
            return _sku_errors([{"code": 12019028, "message": "Multiple warehouses detected"}])

    push = ListingPush()
    push._products_api = Api()  # type: ignore[assignment]
    assert push.set_listing_inventory("T1", {"id-MUG": {"W": 4}}) == {
        "(unknown SKU)": "12019028: Multiple warehouses detected"
    }


def test_a_sku_left_out_of_the_create_answer_is_found_again(tmp_path: Path) -> None:
    """The create's answer names one of the two SKUs it made: the next run finds the other by
    seller_sku in the same listing and binds it, so its price and stock changes are pushed."""
    shop = Shop(tmp_path)
    shop.write([("MUG", "4", "5"), ("CUP", "3", "7")])
    Shelf.answer_omits = {"CUP"}
    shop.run()  # create: both SKUs made, the answer names MUG only
    Shelf.answer_omits = set()
    shop.write([("MUG", "4", "5"), ("CUP", "9", "1")])  # CUP's price and stock change in the ERP
    Shelf.calls.clear()
    shop.run()
    assert Shelf.calls == ["price", "inventory"]  # no edit: CUP is not added a second time
    assert (Shelf.prices["id-CUP"], Shelf.stock["id-CUP"]) == ("9", 1)
    shop.run()
    assert Shelf.calls == ["price", "inventory"]  # bound: nothing left to push


def test_one_unreadable_failed_product_does_not_stop_every_push(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Get Product's answer for one product whose audit failed cannot be read: it is that
    product's record error, and the shop's listings are pushed."""
    from erpsync.connectors.tiktok.listing_push import ListingPush
    from erpsync.connectors.tiktok.products.models import ProductSummary

    class Api:
        def search_products(self, **_: Any) -> Iterator[Records[ProductSummary]]:
            yield Records((ProductSummary("T9", "Other", None, None, (), None, None),))

        def get_product(self, product_id: str) -> Any:
            reason = "audit_failed_reasons: not a list"
            raise RecordError(reason, record=f"product {product_id}", source="TikTok", record_id=product_id)

    monkeypatch.setattr(Shelf, "failed_audits", ListingPush.failed_audits)
    monkeypatch.setattr(Shelf, "_products", lambda self: Api(), raising=False)
    shop = Shop(tmp_path)
    shop.write([("MUG", "4", "5")])
    shop.run()  # create (nothing bound yet: audits not read)
    shop.write([("MUG", "6", "5")])
    report = shop.run()
    assert report.error is None, report.error
    assert Shelf.prices["id-MUG"] == "6"
    assert [str(e) for e in report.record_errors] == [
        str(RecordError("audit_failed_reasons: not a list", record="product T9", source="TikTok"))
    ]


UNAVAILABLE = TemporaryError("HTTP 503 (3 attempts)", connector="tiktok", operation="search products")


@pytest.mark.parametrize("failing", ["search products", "get product"])
def test_an_audit_read_that_fails_does_not_stop_the_pushes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    """Seller Center answers 503 after retries to the search of failed audits, or to one failed
    product's Get Product: a record error, and the shop's price and stock are pushed all the
    same (the run does not stop on an alert it could not read)."""
    from erpsync.connectors.tiktok.listing_push import ListingPush
    from erpsync.connectors.tiktok.products.models import ProductSummary

    class Api:
        def search_products(self, **_: Any) -> Iterator[Records[ProductSummary]]:
            if failing == "search products":
                raise UNAVAILABLE
            yield Records((ProductSummary("T9", "Other", None, None, (), None, None),))

        def get_product(self, product_id: str) -> Any:
            raise TemporaryError("HTTP 503 (3 attempts)", connector="tiktok", operation="get product")

    monkeypatch.setattr(Shelf, "failed_audits", ListingPush.failed_audits)
    monkeypatch.setattr(Shelf, "_products", lambda self: Api(), raising=False)
    shop = Shop(tmp_path)
    shop.write([("MUG", "4", "5")])
    shop.run()  # create (nothing bound yet: audits not read)
    Shelf.calls.clear()
    shop.write([("MUG", "6", "2")])
    report = shop.run()
    assert report.error is None, report.error
    assert Shelf.calls == ["price", "inventory"]
    assert (Shelf.prices["id-MUG"], Shelf.stock["id-MUG"]) == ("6", 2)
    (error,) = report.record_errors
    assert "503" in error and failing in error, error
    assert ("product T9" in error) is (failing == "get product"), error


def test_refused_credentials_on_the_audit_read_stop_the_shop(tmp_path: Path) -> None:
    """An AuthError would refuse every push too: the shop stops on it, as on any other read."""
    shop = Shop(tmp_path)
    shop.write([("MUG", "4", "5")])
    shop.run()
    Shelf.calls.clear()
    Shelf.audits_fail = AuthError("access token expired", connector="tiktok", operation="search products")
    shop.write([("MUG", "6", "5")])
    syncer = Syncer(load_settings(shop.root / "erpsync.toml", shop.registry), pm=shop.pm, registry=shop.registry)
    try:
        report = syncer.run(apply=True)
    finally:
        syncer.close()
    assert "access token expired" in (report.shops[0].error or "")
    assert Shelf.calls == []


@pytest.mark.parametrize("unread", [RecordError("status: not a string", record="product T1", record_id="T1"),
                                    RecordError("status: not a string", record="product #0"),
                                    UNAVAILABLE])  # fmt: skip
def test_an_unreadable_audit_search_hit_does_not_resolve_the_audit_drift(
    tmp_path: Path, unread: RecordError | ConnectorError
) -> None:
    """The product whose audit failed cannot be read on the next run (named by its id, a hit
    with no readable id that may be any bound product, or a search that failed): its
    audit_failed drift stays open."""
    shop = Shop(tmp_path)
    shop.write([("MUG", "4", "5")])
    shop.run()  # create, bound to T1
    Shelf.audits = Records((ListingAudit("T1", (AuditReason("title", ("counterfeit",), ()),)),))
    first = shop.run()
    assert len(first.opened) == 1
    if isinstance(unread, ConnectorError):
        Shelf.audits_fail = unread
    else:
        Shelf.audits = Records((), (unread,))
    second = shop.run()
    assert second.record_errors
    assert second.resolved == []
    Shelf.audits_fail = None
    Shelf.audits = Records()
    assert len(shop.run().resolved) == 1  # read, and no longer failing


class Failing:
    """A ``map_listing`` hook that raises while ``on`` is set."""

    on = False

    @hookimpl
    def map_listing(self, product: Any, body: dict[str, Any]) -> None:
        if Failing.on:
            raise KeyError("material")


@pytest.mark.parametrize("left_out_by", ["several Seller Center products", "a failing map_listing hook"])
def test_a_product_left_out_for_a_record_error_keeps_its_drifts_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, left_out_by: str
) -> None:
    """A product whose create failed is left out of the next run for a record error (its SKUs
    found in two Seller Center products, or its map_listing hook raising): it was not compared,
    so its not_listed drift stays open."""
    from erpsync.core.errors import PermanentError

    found: dict[str, FoundListing] = {}

    def find(self: Any, skus: Sequence[str]) -> dict[str, tuple[FoundListing, ...]]:
        return {k: (v,) for k, v in found.items() if k in skus}

    def create(self: Any, body: Mapping[str, Any]) -> FoundListing:
        raise PermanentError("12052023: category does not exist", connector="listing-shelf", operation="create product")

    monkeypatch.setattr(Shelf, "find_listings", find)
    monkeypatch.setattr(Shelf, "create_listing", create)
    monkeypatch.setattr(Failing, "on", False)
    shop = Shop(tmp_path, Failing())
    shop.write([("MUG", "4", "5"), ("CUP", "3", "7")])
    first = shop.run()
    assert [r.status for r in first.actions] == ["failed"] and len(first.opened) == 1
    if left_out_by == "a failing map_listing hook":
        Failing.on = True
    else:
        found.update({"MUG": FoundListing("T1", {"MUG": "a"}), "CUP": FoundListing("T2", {"CUP": "b"})})
    second = shop.run()
    assert len(second.record_errors) == 1
    assert second.resolved == []


def test_a_bad_second_sku_row_sends_no_content_edit(tmp_path: Path) -> None:
    """A malformed later SKU row leaves the product without that SKU this run: its content is not
    pushed (the hash covers the SKU set), so no edit goes out, neither now nor once the row is
    fixed; a record error says the product's content waits, and its other SKUs are still pushed."""
    shop = Shop(tmp_path)
    shop.write([("MUG", "4", "5"), ("CUP", "3", "7")])
    shop.run()  # create
    Shelf.calls.clear()
    shop.write([("MUG", "6", "5"), ("CUP", "-3", "7")])  # a typo in CUP's price, MUG's price changes
    bad = shop.run()
    assert any("content not pushed this run" in str(e) for e in bad.record_errors), bad.record_errors
    assert Shelf.calls == ["price"] and Shelf.prices["id-MUG"] == "6"
    shop.write([("MUG", "6", "5"), ("CUP", "3", "7")])  # ... and fixed
    shop.run()
    assert Shelf.calls == ["price"]
