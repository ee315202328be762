"""Listings, pure: an ERP product, its shape as a Seller Center listing, and what to push for it.

The ERP is the catalogue's source of truth; Seller Center holds a copy. Pushing that copy must
cost as little as the platform allows and never make a duplicate, so three facts decide what is
sent (``plan_pushes``):

- the **content hash**: everything that reaches the listing except price and inventory (title,
  description, images, attributes, the mapped category, brand and weight, the SKUs' names). An
  unchanged hash sends nothing; a changed one sends one partial edit.
- **price** and **inventory** have their own, cheaper endpoints, and change far more often than
  content, so each is pushed on its own, only when it differs from the value last pushed.
- an **unbound** product (erpsync never pushed it, or lost the answer) is looked up by its
  ``seller_sku`` before it is created: found, it is bound and edited; not found, it is created.

What was last pushed is kept in the store's bindings (``ListingBindings``): entity ``product``
(ERP product id → TikTok product id, content hash), ``sku`` (seller_sku → TikTok SKU id),
``price`` and ``inventory`` (seller_sku → TikTok SKU id, the value last pushed). The mapping
from ERP fields to the API body is declared in ``[aspects.listings]`` (``ListingMapping``). The
capabilities the aspect reads and writes through are the runtime-checkable protocols of
``core/listing_ports.py``, like ``core/ports.py``.

The data lives in ``core/listing_models.py`` and the bodies and hash in ``core/listing_bodies.py``,
so each stays small; this module plans and re-exports them all, the one place to import from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from erpsync.core.listing_bodies import _content as _content
from erpsync.core.listing_bodies import content_hash, create_body, edit_body, within_policy
from erpsync.core.listing_models import (
    INVENTORY,
    PRICE,
    PRODUCT,
    SKU,
    BoundListing,
    ErpProduct,
    ErpSku,
    FoundListing,
    ListingMapping,
    Push,
)
from erpsync.core.listing_stock import stock_entries, stock_text

__all__ = [
    "INVENTORY",
    "PRICE",
    "PRODUCT",
    "SKU",
    "BoundListing",
    "ErpProduct",
    "ErpSku",
    "FoundListing",
    "ListingMapping",
    "Push",
    "content_hash",
    "create_body",
    "edit_body",
    "plan_pushes",
    "price_text",
    "stock_text",
    "within_policy",
]


def price_text(amount: Decimal, currency: str) -> str:
    """A price as kept in the bindings: canonical amount and currency (``Decimal("1.50")`` is ``1.5``).

    Every SKU's price is written this way on every run, and a catalogue has far fewer prices
    than SKUs, so the texts are remembered: equal amounts other than zero (``-0`` and ``0`` are
    equal but written apart) and NaN have one canonical text.
    """
    key = (amount, currency)
    try:
        known = _PRICES.get(key)
    except TypeError:  # a signalling NaN has no hash: normalize() below says what is wrong
        known = None
    if known is not None:
        return known
    text = f"{format(amount.normalize(), 'f')} {currency}"
    if amount and amount.is_finite():
        if len(_PRICES) >= _PRICES_KEPT:
            _PRICES.clear()  # not evicting one by one: shops' threads share this dict
        _PRICES[key] = text
    return text


_PRICES: dict[tuple[Decimal, str], str] = {}
_PRICES_KEPT = 16_384


def plan_pushes(
    product: ErpProduct, mapping: ListingMapping, bound: BoundListing | None, leftover: Collection[str] = ()
) -> list[Push]:
    """What to push for one product, given what was last pushed for it (None: unbound, not found).

    Unbound: one create (price and stock travel in it). Bound: a price push for the SKUs whose
    price differs from the last pushed, an inventory push likewise, and last an edit when the
    content hash differs (it also adds the SKUs the listing lacks, listing every SKU it keeps:
    ``edit_body``). The edit goes last because a content edit sends the product back to audit, and the price
    endpoint refuses a product under audit (Update Price, 12052901; docs/listings.md). A
    ``partial`` product (SKU rows unread) gets no create and no edit: its hash would lack those
    SKUs, so an edit now and another once they read again would send its content twice.
    ``leftover``: SKUs bound in the listing that the ERP product lacks; the edit then adds no
    SKU, since its ``skus`` list would delete them (``edit_body``; the caller reports it).
    """
    if product.partial and bound is None:
        return []  # a create with SKUs missing would need an edit to add them: wait for them
    digest = content_hash(product, mapping)
    if bound is None:
        body = create_body(product, mapping)
        # the same create resent (a lost answer, a second machine) carries the same key, which
        # Create Product documents as preventing duplicate processing (docs/listings.md)
        body["idempotency_key"] = "erpsync-" + hashlib.sha256(f"{product.id}:{digest}".encode()).hexdigest()[:40]
        payload: dict[str, Any] = {
            "body": body,
            "hash": digest,
            "stock": {s.seller_sku: stock_text(s, mapping.warehouse_id) for s in product.skus},
        }
        return [Push("create", product.id, payload, None, digest[:12])]
    pushes: list[Push] = []
    prices: dict[str, str] = {}
    stock: dict[str, str] = {}
    changed: dict[str, ErpSku] = {}  # the SKUs whose stock text differs
    sku_ids, pushed_prices, pushed_stock, currency = bound.sku_ids, bound.prices, bound.inventory, product.currency
    warehouse_id = mapping.warehouse_id
    for s in product.skus:  # one pass: the SKUs the listing has, against what was last pushed
        key = s.seller_sku
        if key not in sku_ids:
            continue
        text = price_text(s.price, currency)
        if pushed_prices.get(key) != text:
            prices[key] = text
        quantity = stock_text(s, warehouse_id)
        if pushed_stock.get(key) != quantity:
            stock[key] = quantity
            changed[key] = s
    if prices:
        skus: dict[str, dict[str, Any]] = {k: {"id": bound.sku_ids[k], "price": v} for k, v in sorted(prices.items())}
        before = _values({k: bound.prices.get(k) for k in prices})
        payload = {"product_id": bound.product_id, "skus": skus}
        pushes.append(Push("price", product.id, payload, before, _values(prices) or ""))
    if stock:
        payload = {"product_id": bound.product_id, "skus": stock_entries(changed, bound.sku_ids)}
        if any(not s.warehouse_stock for s in changed.values()):  # some SKU stocked in the configured one
            payload["warehouse_id"] = warehouse_id
        last = {k: bound.inventory.get(k) for k in stock}
        by_sku = {k: (last[k], v) for k, v in sorted(stock.items())}
        pushes.append(Push("inventory", product.id, payload, _values(last), _values(stock) or "", by_sku))
    new: list[ErpSku] = []
    if bound.content_hash != digest:
        new = [s for s in product.skus if s.seller_sku not in sku_ids]
        if new and leftover:
            # an edit's skus list would delete the leftover SKUs (edit_body): the content goes
            # alone, hashed without the new SKUs, so each run plans their addition again
            kept = tuple(s for s in product.skus if s.seller_sku in sku_ids)
            digest, new = content_hash(replace(product, skus=kept), mapping), []
    if bound.content_hash != digest and not product.partial:  # partial: its hash lacks SKUs
        body = edit_body(product, mapping, bound.sku_ids, add_skus=bool(new))
        payload = {"product_id": bound.product_id, "changes": body, "hash": digest}
        if "skus" in body:
            payload["stock"] = {s.seller_sku: stock_text(s, warehouse_id) for s in new}
        if bound.content_hash is None and sku_ids:
            # a product found by seller_sku: its SKU ids are bound with it, before the edit is sent,
            # so an edit that fails (or a process that dies) leaves them known (forget_pushed)
            payload["sku_ids"] = dict(sorted(sku_ids.items()))
        before = bound.content_hash[:12] if bound.content_hash else None
        pushes.append(Push("edit", product.id, payload, before, digest[:12]))
    return pushes


def _values(by_sku: Mapping[str, str | None]) -> str | None:
    """``sku=value, ...`` for people; None when nothing was ever pushed."""
    if all(v is None for v in by_sku.values()):
        return None
    return ", ".join(f"{k}={v if v is not None else '(none)'}" for k, v in sorted(by_sku.items()))
