"""A push that must happen once is never lost to the ledger: three sequences that once lost one.

Each runs the real Syncer, aspect, SQLite ledger and files ERP against an in-memory seller:

- a stock value that comes back while its drift is still open (4, then 5, then 4 again) is a new
  drift occurrence, so its push is a new ledger row, not the first push of 4 found done;
- an inventory push the platform applied but whose answer was lost leaves the bindings not
  knowing the value, so the ERP going back to the old value is pushed too;
- a ship a killed run left pending is not settled "nothing left to write" by a run that could
  not read the package: its drift is still open, and the next run that reads it ships it.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest
from marshmallow import Schema

from erpsync.core.connector import Connector
from erpsync.core.errors import RecordError, TemporaryError
from erpsync.core.listings import FoundListing
from erpsync.core.models import AspectReport, Records, Warehouse
from erpsync.core.shipping import PackageShippingState, ShipOutcomes, ShippingStatus, ShipRequest
from erpsync.plugins import hookimpl
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sync import Syncer

PRODUCT_HEADER = ["id", "seller_sku", "title", "description", "price", "currency", "inventory", "images", "attributes"]


class Killed(BaseException):
    """The process dies while the ship call is in flight, before it reached the platform."""


class Seller(Connector):
    """What both sellers share: no options, no warehouses."""

    role = "seller"

    class Options(Schema):
        pass

    def list_warehouses(self) -> Records[Warehouse]:
        return Records()

    def check(self) -> str:
        return str(self.type)


class Shelf(Seller):
    """A seller whose listings are one dict; ``on_push`` runs inside each inventory push."""

    type = "shelf"

    stock: ClassVar[dict[str, int]] = {}
    on_push: ClassVar[list[Any]] = []  # callables run (once each) while a push is in flight
    lose_answers: ClassVar[bool] = False

    def find_listings(self, skus: Sequence[str]) -> dict[str, tuple[FoundListing, ...]]:
        return {}

    def create_listing(self, body: Mapping[str, Any]) -> FoundListing:
        Shelf.stock["m1"] = body["skus"][0]["inventory"][0]["quantity"]
        return FoundListing("T1", {"MUG": "m1"})

    def edit_listing(self, product_id: str, changes: Mapping[str, Any]) -> FoundListing:
        return FoundListing(product_id, {})

    def set_listing_prices(self, product_id: str, prices: Mapping[str, tuple[str, str]]) -> None:
        pass

    def set_listing_inventory(self, product_id: str, quantities: Mapping[str, Mapping[str, int]]) -> dict[str, str]:
        Shelf.stock.update({sku: by_warehouse["W"] for sku, by_warehouse in quantities.items()})
        if Shelf.on_push:
            Shelf.on_push.pop(0)()
        if Shelf.lose_answers:  # applied by the platform, but every answer timed out
            raise TemporaryError("read timed out (3 attempts)", connector="shelf", operation="update inventory")
        return {}


class Shipper(Seller):
    """A seller whose packages are one dict; it can die mid-ship, or fail to read a package."""

    type = "shipper"

    shipped: ClassVar[dict[str, str]] = {}
    die_on_ship: ClassVar[bool] = False
    unreadable: ClassVar[bool] = False

    def shipping_provider_ids(self, warehouse_id: str) -> dict[str, str]:
        return {}

    def read_shipping_states(self, ids: Sequence[str]) -> Records[PackageShippingState]:
        if Shipper.unreadable:
            return Records((), tuple(RecordError("malformed package detail", record=f"package {i}") for i in ids))
        return Records(
            tuple(
                PackageShippingState(i, ShippingStatus.SHIPPED, tracking_number=Shipper.shipped[i], warehouse_id="W")
                if i in Shipper.shipped
                else PackageShippingState(i, ShippingStatus.AWAITING_SHIPMENT, warehouse_id="W")
                for i in ids
            )
        )

    def ship_packages(self, requests: Sequence[ShipRequest]) -> ShipOutcomes:
        if Shipper.die_on_ship:
            Shipper.die_on_ship = False
            raise Killed
        Shipper.shipped.update((r.package_id, r.tracking_number) for r in requests)
        return ShipOutcomes(shipped=tuple(r.package_id for r in requests))

    def update_tracking(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("no correction is planned here")


class Plugin:
    @hookimpl
    def register_connectors(self, register: Any) -> None:
        register(Shelf)
        register(Shipper)


@pytest.fixture(autouse=True)
def _fresh_sellers() -> Iterator[None]:
    Shelf.stock, Shelf.on_push, Shelf.lose_answers = {}, [], False
    Shipper.shipped, Shipper.die_on_ship, Shipper.unreadable = {}, False, False
    yield


class Shop:
    """One shop's config, ERP folder and state store; ``run`` is one ``reconcile --apply``."""

    def __init__(self, root: Path, seller: str, aspect: str, erp_options: str, settings: str) -> None:
        self.root, self.aspect, self.tick = root, aspect, 0
        (root / "erp").mkdir()
        (root / "erpsync.toml").write_text(
            f'[state]\nurl = "sqlite:///{root}/state.db"\n[[shops]]\nname = "s"\naspects = ["{aspect}"]\n'
            f'[shops.seller]\ntype = "{seller}"\n[shops.erp]\ntype = "files"\npath = "erp"\n{erp_options}\n'
            f"[aspects.{aspect}]\n{settings}\n",
            encoding="utf-8",
        )
        self.pm = get_plugin_manager(entrypoints=False, extra=[Plugin()])
        self.registry = build_registry(self.pm)

    def write_stock(self, quantity: int) -> None:
        """The ERP's products file with the mug's stock (its mtime moved, as an edit moves it)."""
        path = self.root / "erp" / "products.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(PRODUCT_HEADER)
            writer.writerow(["P1", "MUG", "Mug", "About the mug", "4", "USD", str(quantity), "tos-uri-1", ""])
        self.tick += 5
        stamp = path.stat().st_mtime + self.tick
        os.utime(path, (stamp, stamp))

    def run(self) -> AspectReport:
        syncer = Syncer(load_settings(self.root / "erpsync.toml", self.registry), pm=self.pm, registry=self.registry)
        try:
            report = syncer.run(apply=True)
        finally:
            syncer.close()
        return next(a for a in report.shops[0].aspects if a.aspect == self.aspect)


def listings_shop(root: Path) -> Shop:
    return Shop(root, "shelf", "listings", 'products = "products.csv"', 'category_id = "600001"\nwarehouse_id = "W"')


def test_a_stock_value_that_comes_back_while_its_drift_is_open_is_pushed_again(tmp_path: Path) -> None:
    shop = listings_shop(tmp_path)
    shop.write_stock(5)
    assert [r.status for r in shop.run().actions] == ["applied"]  # the create
    shop.write_stock(4)
    Shelf.on_push.append(lambda: shop.write_stock(5))  # a return while 4 is pushed
    shop.run()
    Shelf.on_push.append(lambda: shop.write_stock(4))  # a sale while 5 is pushed
    shop.run()
    assert Shelf.stock["m1"] == 5
    third = shop.run()  # the ERP says 4 again: a push of 4 was made before, under another drift
    assert [(r.action.kind, r.status) for r in third.actions] == [("set_inventory", "applied")]
    assert Shelf.stock["m1"] == 4
    assert shop.run().actions == []


def test_a_push_applied_whose_answer_was_lost_is_pushed_again_after_the_erp_went_back(tmp_path: Path) -> None:
    shop = listings_shop(tmp_path)
    shop.write_stock(5)
    shop.run()
    shop.write_stock(4)
    Shelf.lose_answers = True
    assert [r.status for r in shop.run().actions] == ["failed"]
    assert Shelf.stock["m1"] == 4  # it took effect all the same
    Shelf.lose_answers = False
    shop.write_stock(5)  # the ERP goes back to what was last recorded as pushed
    assert [r.status for r in shop.run().actions] == ["applied"]
    assert Shelf.stock["m1"] == 5
    assert shop.run().actions == []


def test_a_ship_left_pending_survives_a_run_that_could_not_read_its_package(tmp_path: Path) -> None:
    shop = Shop(
        tmp_path,
        "shipper",
        "tracking",
        'shipments = "shipments.csv"',
        'carriers = { "SF Express" = "7208502187360519003" }',
    )
    (tmp_path / "erp" / "shipments.csv").write_text(
        "id,package_id,order_id,tracking_number,carrier\nS1,PKG1,O1,SF100,SF Express\n", encoding="utf-8"
    )
    Shipper.die_on_ship = True
    with pytest.raises(Killed):
        shop.run()
    Shipper.unreadable = True  # the next run reads no state for the package: it plans nothing
    unread = shop.run()
    assert unread.actions == [] and not any("nothing left to write" in n for n in unread.notes)
    Shipper.unreadable = False
    assert [(r.action.kind, r.status) for r in shop.run().actions] == [("ship", "applied")]
    assert Shipper.shipped == {"PKG1": "SF100"}
    assert shop.run().actions == []
