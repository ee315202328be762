"""Test helper (not a test module): the demo shop set up for the listings aspect, and one run of it.

The listing suites (``test_listings_push``, ``test_listing_warehouses``, ``test_listing_images_push``)
all drive the same shop: the demo scenario's seller over the real TikTok client, the files ERP with
a products file, and the listings aspect run through the real ``Syncer`` in this process, so that
the store's bindings are handed to it as in production. They import it as
``from listing_shop import ...``; what differs between them (the ``[aspects.listings]`` lines
beyond the category and warehouse, the products, the images) stays in each suite.
"""

from __future__ import annotations

from typing import Any

from erpsync.connectors.tiktok.products.api import ProductsApi
from erpsync.connectors.tiktok.seller import TikTokSellerConnector
from erpsync.core.connector import ShopContext
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sync import Syncer

#: the demo scenario's app and shop (docs/plugins.md, "The demo shop")
DEMO = ("demo-app-key", "demo-app-secret", "demo-access-token", "7495000000000000001")
#: the files ERP's products file, in the order the suites write it
COLUMNS = ("id", "seller_sku", "title", "description", "price", "currency", "inventory", "images", "attributes")


def configure(ws: Any, listings: str = "") -> None:
    """The shop's config (files ERP with ``erp/products.csv``), audits that decide at once.

    ``[aspects.listings]`` names the demo scenario's category 600001 and warehouse WH-DG, then
    the ``listings`` lines. Audits passing at once let a run set prices and edit right after a
    create or edit (the price endpoint refuses a product under audit).
    """
    key, secret, token, shop_id = DEMO
    ws.config.write_text(
        f'[state]\nurl = "sqlite:///{ws.root / "state.db"}"\n'
        f'[[shops]]\nname = "shop"\n[shops.seller]\ntype = "tiktok"\nbase_url = "{ws.url}"\n'
        f'app_key = "{key}"\napp_secret = "{secret}"\naccess_token = "{token}"\nshop_id = "{shop_id}"\n'
        f'max_attempts = 3\n[shops.erp]\ntype = "files"\npath = "erp"\nproducts = "products.csv"\n'
        f'[aspects.listings]\ncategory_id = "600001"\nwarehouse_id = "WH-DG"\n{listings}',
        encoding="utf-8",
    )
    ws.admin("POST", "settings", {"audit_delay_seconds": 0})


def upload_image(ws: Any, content: bytes, name: str = "front.png") -> str:
    """The uri of ``content`` uploaded through the app (Upload Product Image), as by hand."""
    key, secret, token, shop_id = DEMO
    seller = TikTokSellerConnector(
        {"base_url": ws.url, "app_key": key, "app_secret": secret, "access_token": token, "shop_id": shop_id},
        shop=ShopContext(name="shop", base_dir=ws.root),
    )
    try:
        return ProductsApi(seller.tiktok_client, seller.cipher()).upload_image(content, name).uri
    finally:
        seller.close()


def _listings_holding(ws: Any, seller_sku: str) -> list[Any]:
    """Seller Center's listings holding ``seller_sku``, as read through the app (Search Products)."""
    key, secret, token, shop_id = DEMO
    seller = TikTokSellerConnector(
        {"base_url": ws.url, "app_key": key, "app_secret": secret, "access_token": token, "shop_id": shop_id},
        shop=ShopContext(name="shop", base_dir=ws.root),
    )
    try:
        pages = ProductsApi(seller.tiktok_client, seller.cipher()).search_products(seller_skus=[seller_sku])
        return [p for page in pages for p in page.items]
    finally:
        seller.close()


def listing_skus(ws: Any, seller_sku: str) -> dict[str, dict[str, str]]:
    """Seller Center's listings holding ``seller_sku``: {product id: {seller_sku: sku id}}."""
    return {p.id: {s.seller_sku: s.id for s in p.skus} for p in _listings_holding(ws, seller_sku)}


def sku_values(ws: Any, seller_sku: str) -> dict[str, tuple[str, dict[str, int]]]:
    """The SKUs of the listings holding ``seller_sku``: {seller_sku: (price amount, {warehouse id:
    quantity})}."""
    listings = _listings_holding(ws, seller_sku)
    return {s.seller_sku: (str(s.price.amount if s.price else None), s.quantities) for p in listings for s in p.skus}


def add_sku_by_hand(ws: Any, product_id: str, keep: dict[str, str], seller_sku: str) -> None:
    """Add ``seller_sku`` to a listing through the app, as a seller does in Seller Center: a
    partial edit listing the SKUs ``keep`` ({seller_sku: sku id}) by id and the new one without."""
    key, secret, token, shop_id = DEMO
    seller = TikTokSellerConnector(
        {"base_url": ws.url, "app_key": key, "app_secret": secret, "access_token": token, "shop_id": shop_id},
        shop=ShopContext(name="shop", base_dir=ws.root),
    )
    new = {"price": {"amount": "9", "currency": "USD"}, "inventory": [{"warehouse_id": "WH-DG", "quantity": 1}]}
    try:
        skus = [{"id": sku_id} for sku_id in keep.values()] + [{"seller_sku": seller_sku, **new}]
        ProductsApi(seller.tiktok_client, seller.cipher()).partial_edit(product_id, {"skus": skus})
    finally:
        seller.close()


def run_listings(ws: Any, **kwargs: Any) -> Any:
    """One applying run of the listings aspect alone; its aspect report (the shop must not fail)."""
    pm = get_plugin_manager(entrypoints=False)
    registry = build_registry(pm)
    syncer = Syncer(load_settings(ws.config, registry), pm=pm, registry=registry)
    try:
        report = syncer.run(aspects=["listings"], apply=True, **kwargs)
    finally:
        syncer.close()
    (shop,) = report.shops
    assert shop.error is None, shop.error
    (aspect,) = shop.aspects
    return aspect
