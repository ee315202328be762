"""SKU ids and pushed values are bound to the Seller Center product they are in.

The bindings keep a SKU's id per seller_sku for the whole shop. A SKU the ERP moves from one
product to another, or a listing remade by hand in Seller Center, must not carry the old
product's SKU id or the value pushed to an old SKU id into the new pair: that pushed a price to
one product with another's SKU id, or left a new SKU's price unpushed. These run the real
Syncer, SQLite bindings and the files ERP against an in-memory Seller Center of several products.
"""

from __future__ import annotations

import csv
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest
from test_pushes_never_lost import PRODUCT_HEADER, Seller

from erpsync.core.listings import FoundListing
from erpsync.core.models import AspectReport
from erpsync.plugins import hookimpl
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sync import Syncer


class Center(Seller):
    """Seller Center: products {product id: {seller_sku: sku id}}, prices/stock by sku id."""

    type = "center"
    products: ClassVar[dict[str, dict[str, str]]] = {}
    prices: ClassVar[dict[str, str]] = {}
    stock: ClassVar[dict[str, int]] = {}
    calls: ClassVar[list[tuple[str, str, tuple[str, ...]]]] = []

    def find_listings(self, skus: Sequence[str]) -> dict[str, tuple[FoundListing, ...]]:
        out: dict[str, tuple[FoundListing, ...]] = {}
        for pid, listing in Center.products.items():
            for k in skus:
                if k in listing:
                    out[k] = (*out.get(k, ()), FoundListing(pid, dict(listing), whole=True))
        return out

    def _add(self, pid: str, skus: Sequence[Mapping[str, Any]]) -> FoundListing:
        listing = Center.products.setdefault(pid, {})
        for s in skus:  # a SKU the listing keeps may come without price or stock: those stay
            sid = f"{pid}-{s['seller_sku']}"
            listing[s["seller_sku"]] = sid
            if "price" in s:
                Center.prices[sid] = s["price"]["amount"]
            if "inventory" in s:
                Center.stock[sid] = s["inventory"][0]["quantity"]
        return FoundListing(pid, dict(listing))

    def create_listing(self, body: Mapping[str, Any]) -> FoundListing:
        pid = f"T{len(Center.products) + 1}"
        Center.calls.append(("create", pid, tuple(s["seller_sku"] for s in body["skus"])))
        return self._add(pid, body["skus"])

    def edit_listing(self, product_id: str, changes: Mapping[str, Any]) -> FoundListing:
        Center.calls.append(("edit", product_id, tuple(s["seller_sku"] for s in changes.get("skus") or [])))
        return self._add(product_id, changes.get("skus") or [])

    def set_listing_prices(self, product_id: str, prices: Mapping[str, tuple[str, str]]) -> None:
        Center.calls.append(("price", product_id, tuple(sorted(prices))))
        Center.prices.update({k: v[0] for k, v in prices.items()})

    def set_listing_inventory(self, product_id: str, quantities: Mapping[str, Mapping[str, int]]) -> dict[str, str]:
        Center.calls.append(("inventory", product_id, tuple(sorted(quantities))))
        Center.stock.update({k: v["W"] for k, v in quantities.items()})
        return {}


class Plugin:
    @hookimpl
    def register_connectors(self, register: Any) -> None:
        register(Center)


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    Center.products, Center.prices, Center.stock, Center.calls = {}, {}, {}, []
    yield


class Shop:
    def __init__(self, root: Path, extra: str = "") -> None:
        self.root, self.tick = root, 0
        (root / "erp").mkdir()
        (root / "erpsync.toml").write_text(
            f'[state]\nurl = "sqlite:///{root}/state.db"\n[[shops]]\nname = "s"\naspects = ["listings"]\n'
            '[shops.seller]\ntype = "center"\n'
            '[shops.erp]\ntype = "files"\npath = "erp"\nproducts = "products.csv"\n'
            '[aspects.listings]\ncategory_id = "600001"\nwarehouse_id = "W"\n' + extra,
            encoding="utf-8",
        )
        self.pm = get_plugin_manager(entrypoints=False, extra=[Plugin()])
        self.registry = build_registry(self.pm)

    def write(self, rows: list[tuple[str, str, str, str]]) -> None:
        """rows: (product id, seller_sku, price, inventory)."""
        path = self.root / "erp" / "products.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(PRODUCT_HEADER)
            for pid, sku, price, qty in rows:
                w.writerow([pid, sku, f"Item {pid}", "About it", price, "USD", qty, "tos-uri-1", ""])
        self.tick += 5
        stamp = path.stat().st_mtime + self.tick
        os.utime(path, (stamp, stamp))

    def run(self, apply: bool = True) -> AspectReport:
        syncer = Syncer(load_settings(self.root / "erpsync.toml", self.registry), pm=self.pm, registry=self.registry)
        try:
            report = syncer.run(apply=apply)
        finally:
            syncer.close()
        return next(a for a in report.shops[0].aspects if a.aspect == "listings")


def test_a_sku_moved_to_another_erp_product_is_a_record_error_not_a_push_with_the_old_sku_id(
    tmp_path: Path,
) -> None:
    """P1 (MUG) is created as T1, P2 (CUP, BOWL) as T2. In the ERP, CUP moves from P2 to P1 and
    its price changes. CUP's id is T2's, so it is looked up again, found in T2, and reported: no
    price push through T1 with T2's SKU id, no edit of T1; once CUP leaves T2, T1's edit adds it."""
    shop = Shop(tmp_path)
    shop.write([("P1", "MUG", "4", "5"), ("P2", "CUP", "3", "7"), ("P2", "BOWL", "2", "1")])
    shop.run()
    assert Center.products == {"T1": {"MUG": "T1-MUG"}, "T2": {"CUP": "T2-CUP", "BOWL": "T2-BOWL"}}
    Center.calls.clear()
    shop.write([("P1", "MUG", "4", "5"), ("P1", "CUP", "9", "7"), ("P2", "BOWL", "2", "1")])
    report = shop.run()
    assert not [c for c in Center.calls if c[1] == "T1" and "T2-CUP" in c[2]], Center.calls
    assert not [c for c in Center.calls if c[:2] == ("edit", "T1")], Center.calls
    (error,) = [e for e in report.record_errors if "CUP" in e]
    assert all(word in error for word in ("P1", "T1", "T2")), error
    del Center.products["T2"]["CUP"]  # the seller takes CUP out of T2 by hand
    Center.calls.clear()
    shop.run()
    assert ("edit", "T1", ("MUG", "CUP")) in Center.calls, Center.calls  # MUG listed with its id
    assert Center.products["T1"] == {"MUG": "T1-MUG", "CUP": "T1-CUP"} and Center.prices["T1-CUP"] == "9"


def test_a_dry_run_that_binds_a_found_product_leaves_its_price_and_stock_to_the_apply_run(tmp_path: Path) -> None:
    """P2 (CUP at 3) was created as T1 and its price pushed. Then the listing is remade by hand in
    Seller Center (T9, a new SKU id for CUP, priced 8) and the ERP re-keys the product (P3). A dry
    run finds P3 in T9 and binds it. The --apply run that follows pushes CUP's price and stock to
    T9's SKU: the values the bindings hold were pushed to T1's SKU id, not this one."""
    shop = Shop(tmp_path)
    shop.write([("P2", "CUP", "3", "7")])
    shop.run()
    assert Center.products == {"T1": {"CUP": "T1-CUP"}}
    Center.products = {"T9": {"CUP": "T9-CUP"}}
    Center.prices["T9-CUP"], Center.stock["T9-CUP"] = "8", 0
    Center.calls.clear()
    shop.write([("P3", "CUP", "3", "7")])
    shop.run(apply=False)  # plan only
    assert Center.calls == []
    shop.run()
    assert Center.prices["T9-CUP"] == "3", (Center.calls, Center.prices)
    assert Center.stock["T9-CUP"] == 7, (Center.calls, Center.stock)


def test_a_price_push_never_stamps_a_sku_bound_by_an_older_version_with_its_product(tmp_path: Path) -> None:
    """SKU rows an older version wrote name no product. They are trusted as they are (they cannot
    be told apart), but a price or stock push, which knows only the product it goes to, must not
    stamp that product on them: a SKU the ERP moved would then look verified in the wrong listing
    for good, where a create or edit answer or a search can still set it right."""
    shop = Shop(tmp_path, extra='[policy]\nlistings = { content = "report" }\n')
    shop.write([("P1", "MUG", "4", "5"), ("P2", "CUP", "3", "7"), ("P2", "BOWL", "2", "1")])
    shop.run()
    with sqlite3.connect(tmp_path / "state.db") as db:  # as an older version left them
        assert db.execute("update bindings set last_pushed_hash = NULL where entity = 'sku'").rowcount == 3
    shop.write([("P1", "MUG", "4", "5"), ("P1", "CUP", "9", "7"), ("P2", "BOWL", "2", "1")])
    shop.run()
    with sqlite3.connect(tmp_path / "state.db") as db:
        rows = db.execute("select erp_id, seller_id, last_pushed_hash from bindings where entity = 'sku'").fetchall()
    assert ("CUP", "T2-CUP", None) in rows, rows


def _product_bindings(root: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(root / "state.db") as db:
        return db.execute("select erp_id, seller_id from bindings where entity = 'product' order by erp_id").fetchall()


def test_a_sku_split_off_into_a_new_erp_product_is_a_record_error_not_bound_to_the_old_listing(
    tmp_path: Path,
) -> None:
    """P1 (MUG, CUP) is created as T1. The ERP splits CUP off into a new product P3, which has no
    binding and is looked up: CUP is found in T1, P1's listing. Bound to it, P3's content would
    be pushed over P1's: a record error names P3, P1, CUP and T1, and P3 is neither bound nor
    created. Once the seller takes CUP out of T1, P3 is created as a listing of its own."""
    shop = Shop(tmp_path)
    shop.write([("P1", "MUG", "4", "5"), ("P1", "CUP", "3", "7")])
    shop.run()
    assert Center.products == {"T1": {"MUG": "T1-MUG", "CUP": "T1-CUP"}}
    Center.calls.clear()
    shop.write([("P1", "MUG", "4", "5"), ("P3", "CUP", "3", "7")])
    report = shop.run()
    (error,) = [e for e in report.record_errors if "CUP" in e]
    assert all(word in error for word in ("'P3'", "'P1'", "T1")), error
    assert not [c for c in Center.calls if c[0] == "create"], Center.calls
    assert _product_bindings(tmp_path) == [("P1", "T1")]
    del Center.products["T1"]["CUP"]  # the seller takes CUP out of T1 by hand
    Center.calls.clear()
    shop.run()
    assert [c for c in Center.calls if c[0] == "create"] == [("create", "T2", ("CUP",))], Center.calls
    assert _product_bindings(tmp_path) == [("P1", "T1"), ("P3", "T2")]


def test_a_listing_bound_to_an_erp_product_not_read_this_run_is_not_taken_by_another(tmp_path: Path) -> None:
    """P1 (MUG, CUP) is created as T1. Then P1's rows cannot be read (a bad price on each) and
    a new product P3 lists CUP: T1 is still P1's listing in the bindings, so P3 is not bound to
    it (P1's next good read would push both products' content to T1)."""
    shop = Shop(tmp_path)
    shop.write([("P1", "MUG", "4", "5"), ("P1", "CUP", "3", "7")])
    shop.run()
    Center.calls.clear()
    shop.write([("P1", "MUG", "oops", "5"), ("P3", "CUP", "3", "7")])
    report = shop.run()
    assert [e for e in report.record_errors if "CUP" in e and "'P3'" in e and "'P1'" in e], report.record_errors
    assert _product_bindings(tmp_path) == [("P1", "T1")]
    assert Center.calls == []


def test_a_product_the_erp_re_keys_takes_its_listing_and_is_pushed(tmp_path: Path) -> None:
    """P1 (MUG, CUP) is created as T1. The ERP removes P1 and adds the same SKUs as P3, MUG's price
    changed. P1 is gone from a read without errors, so T1 is no longer its listing: P3 is bound to
    T1 (not created, not a record error), its prices are pushed there (once, as for any product
    found), and no warning says T1's SKUs are left over from P1; the next run pushes nothing."""
    shop = Shop(tmp_path)
    shop.write([("P1", "MUG", "4", "5"), ("P1", "CUP", "3", "7")])
    shop.run()
    shop.write([("P3", "MUG", "9", "5"), ("P3", "CUP", "3", "7")])
    Center.calls.clear()
    first = shop.run()
    assert not first.record_errors, first.record_errors
    assert [c for c in Center.calls if c[:2] == ("price", "T1") and "T1-MUG" in c[2]], Center.calls
    assert not [c for c in Center.calls if c[0] == "create"], Center.calls
    assert not [d for d in first.drifts if d.kind == "sku_not_in_erp"], first.drifts
    assert ("P3", "T1") in _product_bindings(tmp_path)
    Center.calls.clear()
    second = shop.run()
    assert not second.record_errors and Center.calls == [], (second.record_errors, Center.calls)
