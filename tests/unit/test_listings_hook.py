"""The ``map_listing`` hook: a plugin shapes what config cannot say; its output is content, hashed."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from erpsync.core.aspects.listings import ListingObservation
from erpsync.core.listings import ErpProduct, ErpSku, ListingMapping, content_hash, plan_pushes
from erpsync.plugins import hookimpl
from erpsync.plugins.manager import get_plugin_manager

NOW = datetime(2026, 1, 5, tzinfo=UTC)


class Shaper:
    """Titles in capitals, and the brand taken from an ERP attribute."""

    @hookimpl
    def map_listing(self, product: ErpProduct, body: dict[str, Any]) -> None:
        body["title"] = body["title"].upper()
        brands = {"Acme": "7001"}
        brand = dict(product.attributes).get("brand")
        if brand in brands:
            body["brand_id"] = brands[brand]


class Broken:
    @hookimpl
    def map_listing(self, product: ErpProduct, body: dict[str, Any]) -> None:
        if product.id == "BAD":
            raise KeyError("no such category")


def lamp(pid: str = "P1") -> ErpProduct:
    return ErpProduct(pid, "Desk lamp", "", "USD", (ErpSku(f"{pid}-SKU", Decimal("20"), 3),), (), (("brand", "Acme"),))


def shaped(*plugins: object) -> ListingMapping:
    pm = get_plugin_manager(entrypoints=False, extra=plugins)
    return ListingMapping(
        category_id="600001",
        warehouse_id="W",
        shape=lambda product, body: pm.hook.map_listing(product=product, body=body),
    )


def test_the_hook_changes_the_body_and_the_hash_follows():
    mapping = shaped(Shaper())
    (create,) = plan_pushes(lamp(), mapping, None)
    assert create.payload["body"]["title"] == "DESK LAMP"
    assert create.payload["body"]["brand_id"] == "7001"
    plain = ListingMapping(category_id="600001", warehouse_id="W")
    assert content_hash(lamp(), mapping) != content_hash(lamp(), plain)  # a new hook output: one edit
    assert content_hash(lamp(), mapping) == content_hash(lamp(), shaped(Shaper()))  # stable


def test_a_hook_failing_on_one_product_is_its_record_error_and_the_rest_go_on():
    obs = ListingObservation(shop="s", now=NOW, mapping=shaped(Broken()), products=[lamp("BAD"), lamp("OK")])
    assert [p.erp_id for p in obs.pushes()] == ["OK"]
    (error,) = obs.record_errors
    assert "product 'BAD'" in str(error) and "map_listing failed: KeyError" in str(error)
