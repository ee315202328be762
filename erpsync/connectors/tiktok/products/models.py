"""Typed values of the Products API (``docs/open-api-full.md`` §2): what ``api.ProductsApi`` returns.

Frozen dataclasses, so a value never changes under a reader; status values
are str Enums spelled exactly as on the wire, so they compare equal to the raw strings. A status
this client does not know reads as ``UNKNOWN`` with a note in the record's ``notes`` (and a log
warning), never as an error that would drop the product. ``status`` is None when the API leaves
it out: it does for Indonesian sellers whose product is not listed on TIKTOK_SHOP (Partner Center
API reference, Search Products (202502) and Get Product (202309), ``status``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any


class ProductStatus(StrEnum):
    DRAFT = "DRAFT"
    PENDING = "PENDING"
    FAILED = "FAILED"
    ACTIVATE = "ACTIVATE"
    SELLER_DEACTIVATED = "SELLER_DEACTIVATED"
    PLATFORM_DEACTIVATED = "PLATFORM_DEACTIVATED"
    FREEZE = "FREEZE"
    DELETED = "DELETED"
    UNKNOWN = "UNKNOWN"  # a value this client does not know (kept in the record's notes)


class AuditStatus(StrEnum):
    NONE = "NONE"
    AUDITING = "AUDITING"
    FAILED = "FAILED"
    PRE_APPROVED = "PRE_APPROVED"
    APPROVED = "APPROVED"
    UNKNOWN = "UNKNOWN"  # a value this client does not know (kept in the record's notes)


class ImageUseCase(StrEnum):
    MAIN_IMAGE = "MAIN_IMAGE"
    ATTRIBUTE_IMAGE = "ATTRIBUTE_IMAGE"
    DESCRIPTION_IMAGE = "DESCRIPTION_IMAGE"
    CERTIFICATION_IMAGE = "CERTIFICATION_IMAGE"
    SIZE_CHART_IMAGE = "SIZE_CHART_IMAGE"


class SaveMode(StrEnum):
    """LISTING submits for audit; AS_DRAFT keeps the product a draft (audit NONE)."""

    LISTING = "LISTING"
    AS_DRAFT = "AS_DRAFT"


@dataclass(frozen=True)
class ImageRef:
    """An uploaded image; ``uri`` is what ``main_images[{uri}]`` takes."""

    uri: str
    url: str
    width: int | None
    height: int | None
    use_case: str = ""


@dataclass(frozen=True)
class CreatedProduct:
    """What create / partial edit answer: the product id and ``{seller_sku: sku_id}``."""

    product_id: str
    skus: Mapping[str, str]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuditFailure:
    """Why an audit failed, and what the platform suggests, at one position (e.g. ``title``)."""

    position: str
    reasons: tuple[str, ...]
    suggestions: tuple[str, ...]


@dataclass(frozen=True)
class Price:
    """``amount`` is the seller's (tax-exclusive) price, as set by create / prices/update."""

    amount: Decimal | None
    currency: str
    sale_price: Decimal | None = None


@dataclass(frozen=True)
class Inventory:
    warehouse_id: str
    quantity: int


@dataclass(frozen=True)
class Sku:
    id: str
    seller_sku: str
    price: Price | None
    inventory: tuple[Inventory, ...] = ()

    @property
    def quantities(self) -> dict[str, int]:
        """``{warehouse_id: quantity}``."""
        return {i.warehouse_id: i.quantity for i in self.inventory}


@dataclass(frozen=True)
class ProductSummary:
    """One hit of ``products/search``."""

    id: str
    title: str
    status: ProductStatus | None
    audit_status: AuditStatus | None
    skus: tuple[Sku, ...]
    create_time: int | None
    update_time: int | None
    notes: tuple[str, ...] = ()  # e.g. a status value this client does not know (also logged)


@dataclass(frozen=True)
class Product:
    """``GET products/{id}``. ``audit_status`` is None when the API leaves ``audit`` out."""

    id: str
    title: str
    description: str
    status: ProductStatus | None
    audit_status: AuditStatus | None
    audit_failed_reasons: tuple[AuditFailure, ...]
    main_images: tuple[str, ...]  # uris
    skus: tuple[Sku, ...]
    create_time: int | None
    update_time: int | None
    notes: tuple[str, ...] = ()  # e.g. a status value this client does not know (also logged)


@dataclass(frozen=True)
class SkuError:
    """A per-SKU failure that ``inventory/update`` reports inside ``data.errors``: the rest applied."""

    sku_id: str | None
    code: int | str | None
    message: str


@dataclass(frozen=True)
class NewSku:
    """One SKU to create. ``inventory`` is ``{warehouse_id: quantity}``."""

    seller_sku: str
    amount: Decimal | str
    currency: str
    inventory: Mapping[str, int]
    sales_attributes: Sequence[Mapping[str, Any]] = ()

    def to_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "seller_sku": self.seller_sku,
            "price": {"amount": str(self.amount), "currency": self.currency},
            "inventory": [{"warehouse_id": w, "quantity": q} for w, q in self.inventory.items()],
        }
        if self.sales_attributes:
            body["sales_attributes"] = [dict(a) for a in self.sales_attributes]
        return body


@dataclass(frozen=True)
class NewProduct:
    """A product to create; ``main_images`` are uris (or ``ImageRef``s) from ``upload_image``."""

    title: str
    description: str
    category_id: str
    main_images: Sequence[str | ImageRef]
    skus: Sequence[NewSku]
    package_weight: tuple[Decimal | str, str] = ("1", "KILOGRAM")  # (value, unit)
    brand_id: str | None = None
    product_attributes: Sequence[Mapping[str, Any]] = ()
    package_dimensions: Mapping[str, Any] | None = None
    save_mode: SaveMode = SaveMode.LISTING
    extra: Mapping[str, Any] = field(default_factory=dict)  # any other documented field, sent as is

    def to_body(self) -> dict[str, Any]:
        """The request body. Not validated here: ``checks.py`` does that, for dicts too."""
        value, unit = self.package_weight
        body: dict[str, Any] = {
            "title": self.title,
            "description": self.description,
            "category_id": self.category_id,
            "main_images": [{"uri": i.uri if isinstance(i, ImageRef) else i} for i in self.main_images],
            "package_weight": {"value": str(value), "unit": unit},
            "save_mode": str(self.save_mode),
            "skus": [s.to_body() for s in self.skus],
        }
        if self.brand_id is not None:
            body["brand_id"] = self.brand_id
        if self.product_attributes:
            body["product_attributes"] = [dict(a) for a in self.product_attributes]
        if self.package_dimensions is not None:
            body["package_dimensions"] = dict(self.package_dimensions)
        body.update(self.extra)
        return body
