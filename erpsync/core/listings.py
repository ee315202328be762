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
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from erpsync.core.listing_hash import canonical_json, content_text
from erpsync.core.listing_stock import sku_inventory, stock_entries, stock_text

__all__ = [
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
]

#: the binding entities the listings aspect keeps (``store.bindings``)
PRODUCT, SKU, PRICE, INVENTORY = "product", "sku", "price", "inventory"


@dataclass(frozen=True)
class ErpSku:
    """One sellable variant: its ``seller_sku`` (the key both systems share), price and stock.

    ``warehouse_stock`` is the stock per Seller Center warehouse, ``(warehouse id, quantity)``
    sorted by id, ids unique, for an ERP that keeps it so; ``inventory`` is then their sum, for
    people. Empty, ``inventory`` goes to the configured ``warehouse_id``.
    """

    seller_sku: str
    price: Decimal
    inventory: int
    source: str = ""  # "file:line", for messages
    warehouse_stock: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class ErpProduct:
    """A product as the ERP holds it. ``attributes`` are (ERP name, value) pairs, in ERP order."""

    id: str
    title: str
    description: str
    currency: str
    skus: tuple[ErpSku, ...]
    images: tuple[str, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()
    source: str = ""  # "file:line" of the product's first row


@dataclass(frozen=True)
class ListingMapping:
    """How an ERP product becomes an API body: the ``[aspects.listings]`` table.

    ``attributes`` maps ERP attribute names to TikTok attribute ids (an ERP attribute not named
    is not sent); ``images`` maps ERP image names to uploaded image uris (a name not in it is
    sent as a uri itself). Category, brand and warehouse are the seller's Seller Center ids.
    A mapping is not changed once made, its tables neither: the content hash encodes what it
    contributes once per mapping.
    """

    category_id: str = ""
    warehouse_id: str = ""
    brand_id: str | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    images: Mapping[str, str] = field(default_factory=dict)
    package_weight: tuple[str, str] = ("1", "KILOGRAM")
    save_mode: str = "LISTING"
    #: what config cannot say: called with the product and its content body, which it changes
    #: in place (the ``map_listing`` hook); its changes are content, so the hash covers them
    shape: Callable[[ErpProduct, dict[str, Any]], None] | None = field(default=None, compare=False)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> ListingMapping:
        """The mapping from a loaded ``[aspects.listings]`` table (see the aspect's Settings)."""
        return cls(
            category_id=str(settings.get("category_id") or ""),
            warehouse_id=str(settings.get("warehouse_id") or ""),
            brand_id=settings.get("brand_id") or None,
            attributes=dict(settings.get("attributes") or {}),
            images=dict(settings.get("images") or {}),
            package_weight=(str(settings.get("package_weight", "1")), str(settings.get("weight_unit", "KILOGRAM"))),
            save_mode=str(settings.get("save_mode", "LISTING")),
        )

    def missing_for_create(self) -> list[str]:
        """The settings a create needs and this mapping lacks (the API refuses a create without)."""
        return [name for name in ("category_id", "warehouse_id") if not getattr(self, name)]


@dataclass(frozen=True)
class FoundListing:
    """A Seller Center product: its id and ``{seller_sku: sku id}``."""

    product_id: str
    skus: Mapping[str, str]


@dataclass(frozen=True)
class BoundListing:
    """What erpsync last pushed for one ERP product (from the bindings; None: never pushed)."""

    product_id: str
    content_hash: str | None
    sku_ids: Mapping[str, str]  # seller_sku -> TikTok sku id
    prices: Mapping[str, str | None] = field(default_factory=dict)  # seller_sku -> price_text pushed
    inventory: Mapping[str, str | None] = field(default_factory=dict)  # seller_sku -> stock_text pushed
    #: the fingerprint of the ERP product when nothing was left to push (``core/listing_source.py``)
    source: str | None = None


@dataclass(frozen=True)
class Push:
    """One call to make: ``create``, ``edit``, ``price`` or ``inventory`` for ERP product ``erp_id``.

    ``payload`` is what the writer sends and what the bindings record after it, as JSON-ready
    data; ``before`` and ``after`` are the last pushed and the ERP's values, for people.
    """

    kind: str
    erp_id: str
    payload: Mapping[str, Any]
    before: str | None
    after: str


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


def edit_body(product: ErpProduct, mapping: ListingMapping, sku_ids: Mapping[str, str]) -> dict[str, Any]:
    """The partial edit body: the content, plus the SKUs the listing lacks (with price and stock)."""
    body = _content(product, mapping)
    new = [_sku_body(s, product.currency, mapping) for s in product.skus if s.seller_sku not in sku_ids]
    if new:
        body["skus"] = new
    return body


def plan_pushes(product: ErpProduct, mapping: ListingMapping, bound: BoundListing | None) -> list[Push]:
    """What to push for one product, given what was last pushed for it (None: unbound, not found).

    Unbound: one create (price and stock travel in it). Bound: a price push for the SKUs whose
    price differs from the last pushed, an inventory push likewise, and last an edit when the
    content hash differs (it also adds the SKUs the listing lacks, with their price and stock).
    The edit goes last because a content edit sends the product back to audit, and the price
    endpoint refuses a product under audit (Update Price, 12052901; docs/listings.md).
    """
    digest = content_hash(product, mapping)
    if bound is None:
        body = create_body(product, mapping)
        # the same create resent (a lost answer, a second machine) carries the same key, which
        # Create Product documents as preventing duplicate processing (docs/listings.md)
        body["idempotency_key"] = "erpsync-" + hashlib.sha256(f"{product.id}:{digest}".encode()).hexdigest()[:40]
        payload: dict[str, Any] = {
            "body": body,
            "hash": digest,
            "stock": {s.seller_sku: stock_text(s) for s in product.skus},
        }
        return [Push("create", product.id, payload, None, digest[:12])]
    pushes: list[Push] = []
    prices: dict[str, str] = {}
    stock: dict[str, str] = {}
    by_warehouse: dict[str, ErpSku] = {}  # the changed SKUs whose stock is kept per warehouse
    sku_ids, pushed_prices, pushed_stock, currency = bound.sku_ids, bound.prices, bound.inventory, product.currency
    for s in product.skus:  # one pass: the SKUs the listing has, against what was last pushed
        key = s.seller_sku
        if key not in sku_ids:
            continue
        text = price_text(s.price, currency)
        if pushed_prices.get(key) != text:
            prices[key] = text
        quantity = str(s.inventory) if not s.warehouse_stock else stock_text(s)
        if pushed_stock.get(key) != quantity:
            stock[key] = quantity
            if s.warehouse_stock:
                by_warehouse[key] = s
    if prices:
        skus: dict[str, dict[str, Any]] = {k: {"id": bound.sku_ids[k], "price": v} for k, v in sorted(prices.items())}
        before = _values({k: bound.prices.get(k) for k in prices})
        payload = {"product_id": bound.product_id, "skus": skus}
        pushes.append(Push("price", product.id, payload, before, _values(prices) or ""))
    if stock:
        payload = {"product_id": bound.product_id, "skus": stock_entries(stock, by_warehouse, bound.sku_ids)}
        if len(by_warehouse) < len(stock):  # some SKU stocked in the configured warehouse
            payload["warehouse_id"] = mapping.warehouse_id
        before = _values({k: bound.inventory.get(k) for k in stock})
        pushes.append(Push("inventory", product.id, payload, before, _values(stock) or ""))
    if bound.content_hash != digest:
        body = edit_body(product, mapping, bound.sku_ids)
        payload = {"product_id": bound.product_id, "changes": body, "hash": digest}
        if "skus" in body:
            payload["stock"] = {s.seller_sku: stock_text(s) for s in product.skus if s.seller_sku not in sku_ids}
        before = bound.content_hash[:12] if bound.content_hash else None
        pushes.append(Push("edit", product.id, payload, before, digest[:12]))
    return pushes


def _values(by_sku: Mapping[str, str | None]) -> str | None:
    """``sku=value, ...`` for people; None when nothing was ever pushed."""
    if all(v is None for v in by_sku.values()):
        return None
    return ", ".join(f"{k}={v if v is not None else '(none)'}" for k, v in sorted(by_sku.items()))
