"""The listings' data: an ERP product, the mapping to a listing body, and what was or is to be pushed.

Kept apart from the code that builds bodies (``core/listing_bodies.py``) and plans pushes
(``core/listings.py``), which both read these types: the plain data every connector, the test kit
and the aspect import stays one small module with no logic but the mapping's settings. Import
them from ``core/listings.py``, which re-exports them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

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
    """A product as the ERP holds it. ``attributes`` are (ERP name, value) pairs, in ERP order.

    ``partial``: some of its SKUs (the files ERP's rows, Odoo's and Tryton's variants) could not
    be read (each a record error of its own), so ``skus`` holds the good ones only. Its SKU set,
    which the content hash covers, is not known: its content is not pushed until they read
    again, its good SKUs' price and stock are.
    """

    id: str
    title: str
    description: str
    currency: str
    skus: tuple[ErpSku, ...]
    images: tuple[str, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()
    source: str = ""  # "file:line" of the product's first row
    partial: bool = False


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
    """A Seller Center product: its id and ``{seller_sku: sku id}``.

    ``whole``: ``skus`` is every SKU the product has, not only those searched for or answered.
    Only such a search hit shows a SKU missing from it as deleted there (``listing_lookup.py``);
    the default is False, so a seller plugin that answers only the SKUs it was asked about never
    makes erpsync forget a SKU still on sale.
    """

    product_id: str
    skus: Mapping[str, str]
    whole: bool = False


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

    @property
    def probe_sku(self) -> str | None:
        """The bound SKU a search names to see this listing whole when the ERP's new SKUs cannot
        find it (the least seller SKU, so every run searches for the same one); None: none bound."""
        return min(self.sku_ids, default=None)


@dataclass(frozen=True)
class Push:
    """One call to make: ``create``, ``edit``, ``price`` or ``inventory`` for ERP product ``erp_id``.

    ``payload`` is what the writer sends and what the bindings record after it, as JSON-ready
    data; ``before`` and ``after`` are the last pushed and the ERP's values, the drift's values
    (``after`` also names the drift). ``by_sku`` holds an inventory push's texts SKU by SKU
    (last pushed, the ERP's), from which its messages are worded.
    """

    kind: str
    erp_id: str
    payload: Mapping[str, Any]
    before: str | None
    after: str
    by_sku: Mapping[str, tuple[str | None, str]] = field(default_factory=dict)
