"""The listings aspect's pure half: drifts from an observation, actions from the drifts the policy gives."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from erpsync.connectors.files import FilesErp
from erpsync.connectors.tiktok.seller import TikTokSellerConnector
from erpsync.core.aspects.base import UnsupportedAction
from erpsync.core.aspects.listings import ListingObservation, ListingsAspect
from erpsync.core.connector import ShopContext
from erpsync.core.listings import BoundListing, ErpProduct, ErpSku, ListingMapping, content_hash

NOW = datetime(2026, 1, 5, tzinfo=UTC)
MAPPING = ListingMapping(category_id="600001", warehouse_id="W")


def mug(price: str = "4", title: str = "Mug") -> ErpProduct:
    return ErpProduct("P2", title, "", "USD", (ErpSku("MUG", Decimal(price), 10),), source="erp/products.csv:3")


def observation(
    *products: ErpProduct, bound: dict[str, BoundListing] | None = None, mapping: ListingMapping = MAPPING
) -> ListingObservation:
    return ListingObservation(shop="s", now=NOW, mapping=mapping, products=list(products), bound=bound or {})


def seller(tmp_path: Path) -> TikTokSellerConnector:
    options = {"base_url": "http://127.0.0.1:9", "app_key": "k", "app_secret": "s", "access_token": "t", "shop_id": "1"}
    return TikTokSellerConnector(options, shop=ShopContext(name="s", base_dir=tmp_path))  # no I/O until a call


def test_each_push_is_an_info_drift_and_an_exactly_once_action_when_the_erp_wins():
    aspect = ListingsAspect()
    listed = BoundListing("T2", content_hash(mug(), MAPPING), {"MUG": "m"}, {"MUG": "4 USD"}, {"MUG": "W=10"})
    obs = observation(mug(price="5", title="Big mug"), bound={"P2": listed})
    drifts = aspect.diff(obs)
    assert [(d.kind, d.field, d.subject, d.severity.value) for d in drifts] == [
        ("price_changed", "price", "P2", "info"),
        ("content_changed", "content", "P2", "info"),
    ]
    assert "erp/products.csv:3" in drifts[0].message and "4 USD" in drifts[0].message
    actions = aspect.plan(drifts, lambda d: "erp", obs)
    assert [(a.kind, a.target, a.subject, a.idempotent) for a in actions] == [
        ("set_prices", "seller", "T2", False),
        ("edit_listing", "seller", "T2", False),
    ]
    assert json.loads(actions[0].value or "")["skus"] == {"MUG": {"id": "m", "price": "5 USD"}}
    assert actions[0].drifts == (drifts[0].fingerprint,)
    # report (or seller) wins: listed, not pushed
    assert aspect.plan(drifts, lambda d: "report", obs) == []


def test_a_create_without_category_or_warehouse_is_reported_not_made(tmp_path):
    aspect = ListingsAspect()
    obs = observation(mug(), mapping=ListingMapping())
    (action,) = aspect.plan(aspect.diff(obs), lambda d: "erp", obs)
    assert action.kind == "create_listing" and action.subject == "P2"
    with pytest.raises(UnsupportedAction, match=r"set category_id, warehouse_id in \[aspects\.listings\]"):
        aspect.check_apply(action, seller(tmp_path), seller(tmp_path))
    obs = observation(mug())
    (action,) = aspect.plan(aspect.diff(obs), lambda d: "erp", obs)
    aspect.check_apply(action, seller(tmp_path), seller(tmp_path))  # configured: it may go


def test_a_seller_that_cannot_write_listings_leaves_the_push_reported(tmp_path):
    aspect = ListingsAspect()
    obs = observation(mug())
    (action,) = aspect.plan(aspect.diff(obs), lambda d: "erp", obs)
    files = FilesErp({"path": "erp", "format": "auto"}, shop=ShopContext(name="s", base_dir=tmp_path))
    with pytest.raises(UnsupportedAction, match="cannot write listings"):
        aspect.check_apply(action, files, files)
