"""The API bodies of a listing: content, SKUs, Create Product and Partial Edit Product, and the content hash.

The hash and the bodies are one module because the hash covers exactly the content body an edit
sends (``_content``): whatever one changes, the other must follow. ``core/listings.py`` plans
pushes from them and re-exports them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from erpsync.core.listing_hash import canonical_json, content_text
from erpsync.core.listing_models import ErpProduct, ErpSku, ListingMapping
from erpsync.core.listing_stock import sku_inventory

__all__ = ["content_hash", "create_body", "edit_body", "within_policy"]


def _uri(mapping: ListingMapping, image: str) -> str:
    return mapping.images.get(image, image)


def _content(product: ErpProduct, mapping: ListingMapping) -> dict[str, Any]:
    """The product-level fields of the body: what the content hash covers and an edit sends."""
    body: dict[str, Any] = {
        "title": product.title,
        "description": product.description,
        "category_id": mapping.category_id,
        "main_images": [{"uri": _uri(mapping, i)} for i in product.images],
        "package_weight": {"value": mapping.package_weight[0], "unit": mapping.package_weight[1]},
    }
    if mapping.brand_id:
        body["brand_id"] = mapping.brand_id
    attributes = [
        {"id": mapping.attributes[name], "values": [{"name": value}]}
        for name, value in product.attributes
        if name in mapping.attributes
    ]
    if attributes:
        body["product_attributes"] = attributes
    if mapping.shape is not None:
        mapping.shape(product, body)
    return body


def _sku_body(sku: ErpSku, currency: str, mapping: ListingMapping) -> dict[str, Any]:
    return {
        "seller_sku": sku.seller_sku,
        "price": {"amount": format(sku.price.normalize(), "f"), "currency": currency},
        "inventory": sku_inventory(sku, mapping),
    }


def content_hash(product: ErpProduct, mapping: ListingMapping) -> str:
    """The digest of everything a listing shows but price and inventory (order-sensitive, stable).

    The SHA-256 of the content body and the sorted seller SKUs as canonical JSON. Stored hashes
    are compared with it, so its text never changes (``core/listing_hash.py``); a mapping with a
    ``map_listing`` hook builds and serialises the body, since the hook may put anything in it.
    """
    text = None
    if mapping.shape is None:
        try:
            text = content_text(mapping).text(
                product.title, product.description, product.images, product.attributes, product.skus
            )
        except TypeError:  # a field that is not a string: the generic serialiser writes it
            text = None
    if text is None:
        skus = sorted(s.seller_sku for s in product.skus)
        text = canonical_json({"content": _content(product, mapping), "skus": skus})
    return hashlib.sha256(text.encode()).hexdigest()


def create_body(product: ErpProduct, mapping: ListingMapping) -> dict[str, Any]:
    """The Create Product body: content, every SKU with price and stock, and the save mode."""
    body = _content(product, mapping)
    body["skus"] = [_sku_body(s, product.currency, mapping) for s in product.skus]
    body["save_mode"] = mapping.save_mode
    return body


def edit_body(
    product: ErpProduct, mapping: ListingMapping, sku_ids: Mapping[str, str], *, add_skus: bool = True
) -> dict[str, Any]:
    """The partial edit body: the content, plus, when the listing lacks SKUs, every SKU it keeps.

    The ``skus`` list names each SKU the listing already has by its ``id`` and the new ones
    without, all with the ERP's price and stock (a policy that only reports price or stock then
    leaves them out of the kept SKUs: ``within_policy``). The 202309 reference (as a third-party
    copy quotes it, docs/listings.md) treats a SKU of the product left out of the list as deleted,
    so an edit that listed only the new SKUs could delete all the others; listed with the values the
    ERP holds, they are unchanged whether the platform merges or replaces. No SKU is new, or
    ``add_skus`` is False: no ``skus`` list, and an edit that carries none leaves every SKU alone.
    """
    body = _content(product, mapping)
    if add_skus and any(s.seller_sku not in sku_ids for s in product.skus):
        skus = []
        for s in product.skus:
            row = _sku_body(s, product.currency, mapping)
            sku_id = sku_ids.get(s.seller_sku)
            skus.append(row if sku_id is None else {"id": sku_id, **row})
        body["skus"] = skus
    return body


def within_policy(changes: Mapping[str, Any], *, prices: bool, stock: bool) -> dict[str, Any]:
    """An edit body whose SKUs already in the listing carry only the values erpsync may set.

    ``edit_body`` lists each SKU the listing keeps with the ERP's price and stock, but a policy
    that only reports price (``prices`` False) or stock (``stock`` False) differences must not
    have them set by the edit either: such a SKU is listed without that value, by its ``id``
    (and ``seller_sku``) alone when neither goes. Whether Partial Edit Product keeps a SKU listed
    without them unchanged is not documented (docs/listings.md). New SKUs (no ``id``) keep both:
    a SKU is not created without a price and stock.
    """
    if (prices and stock) or not changes.get("skus"):
        return dict(changes)
    dropped = {name for name, kept in (("price", prices), ("inventory", stock)) if not kept}
    skus = [{k: v for k, v in s.items() if k not in dropped} if "id" in s else s for s in changes["skus"]]
    return {**changes, "skus": skus}
