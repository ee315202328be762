"""Marshmallow schemas for Products API responses; each builds a frozen dataclass of ``models.py``.

Loaded one record at a time through ``loading.load_typed``, so a malformed product becomes a
RecordError (``product 1729…: skus.0.price.currency: ...``) and the rest of the page goes on.
Ids accept JSON numbers and become strings. Long text is accepted as sent: the reader's job is to
report what the platform holds, not to re-validate it.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, post_load

from erpsync.connectors.tiktok.fields import Base, Id, Tolerant, decimal, noted, opt_int, text, texts, unknown_values
from erpsync.connectors.tiktok.products.models import (
    AuditFailure,
    AuditStatus,
    CreatedProduct,
    ImageRef,
    Inventory,
    Price,
    Product,
    ProductStatus,
    ProductSummary,
    Sku,
    SkuError,
)


class ImageSchema(Base):
    uri = fields.String(required=True)
    url = text()
    width = opt_int()
    height = opt_int()
    use_case = text()

    @post_load
    def _build(self, d: dict[str, Any], **_: Any) -> ImageRef:
        return ImageRef(d["uri"], d["url"] or "", d["width"], d["height"], d["use_case"] or "")


class CreatedSkuSchema(Base):
    id = Id(required=True)
    seller_sku = text()


class WarningSchema(Base):
    message = text()


class CreatedSchema(Base):
    product_id = Id(required=True)
    skus = fields.List(fields.Nested(CreatedSkuSchema), load_default=list)
    warnings = fields.List(fields.Nested(WarningSchema), load_default=list)

    @post_load
    def _build(self, d: dict[str, Any], **_: Any) -> CreatedProduct:
        skus = {s["seller_sku"] or s["id"]: s["id"] for s in d["skus"]}
        return CreatedProduct(d["product_id"], skus, tuple(w["message"] or "" for w in d["warnings"]))


class PriceSchema(Base):
    amount = decimal()
    tax_exclusive_price = decimal()
    sale_price = decimal()
    currency = text()

    @post_load
    def _build(self, d: dict[str, Any], **_: Any) -> Price:
        amount = d["tax_exclusive_price"] if d["tax_exclusive_price"] is not None else d["amount"]
        return Price(amount=amount, currency=d["currency"] or "", sale_price=d["sale_price"])


class InventorySchema(Base):
    warehouse_id = Id(required=True)
    quantity = fields.Integer(required=True, strict=True)

    @post_load
    def _build(self, d: dict[str, Any], **_: Any) -> Inventory:
        return Inventory(d["warehouse_id"], d["quantity"])


class SkuSchema(Base):
    id = Id(required=True)
    seller_sku = text()
    price = fields.Nested(PriceSchema, load_default=None, allow_none=True)
    inventory = fields.List(fields.Nested(InventorySchema), load_default=list)

    @post_load
    def _build(self, d: dict[str, Any], **_: Any) -> Sku:
        return Sku(d["id"], d["seller_sku"] or "", d["price"], tuple(d["inventory"]))


class AuditSchema(Base):
    status = Tolerant(AuditStatus, load_default=None)

    @post_load(pass_original=True)
    def _notes(self, d: dict[str, Any], original: Any, **_: Any) -> dict[str, Any]:
        return {**d, "notes": unknown_values(self, original, prefix="audit.")}


class AuditFailureSchema(Base):
    position = text()
    reasons = texts()
    suggestions = texts()

    @post_load
    def _build(self, d: dict[str, Any], **_: Any) -> AuditFailure:
        return AuditFailure(d["position"] or "", tuple(d["reasons"]), tuple(d["suggestions"]))


class MainImageSchema(Base):
    uri = text()
    urls = texts()


class _ProductBase(Base):
    id = Id(required=True)
    title = text()
    #: left out for some sellers (see ``models.py``): None, not an error
    status = Tolerant(ProductStatus, load_default=None)
    audit = fields.Nested(AuditSchema, load_default=None, allow_none=True)
    skus = fields.List(fields.Nested(SkuSchema), load_default=list)
    create_time = opt_int()
    update_time = opt_int()

    def _common(self, d: dict[str, Any], original: Any) -> dict[str, Any]:
        audit = d["audit"] or {}
        notes = unknown_values(self, original) + tuple(audit.get("notes", ()))
        return {
            "id": d["id"],
            "title": d["title"] or "",
            "status": d["status"],
            "audit_status": audit.get("status"),
            "skus": tuple(d["skus"]),
            "create_time": d["create_time"],
            "update_time": d["update_time"],
            "notes": noted(f"product {d['id']}", notes),
        }


class ProductSummarySchema(_ProductBase):
    @post_load(pass_original=True)
    def _build(self, d: dict[str, Any], original: Any, **_: Any) -> ProductSummary:
        return ProductSummary(**self._common(d, original))


class ProductSchema(_ProductBase):
    description = text()
    audit_failed_reasons = fields.List(fields.Nested(AuditFailureSchema), load_default=list, allow_none=True)
    main_images = fields.List(fields.Nested(MainImageSchema), load_default=list)

    @post_load(pass_original=True)
    def _build(self, d: dict[str, Any], original: Any, **_: Any) -> Product:
        return Product(
            **self._common(d, original),
            description=d["description"] or "",
            audit_failed_reasons=tuple(d["audit_failed_reasons"] or ()),
            main_images=tuple(i["uri"] for i in d["main_images"] if i["uri"]),
        )


class SkuErrorDetailSchema(Base):
    sku_id = Id(load_default=None, allow_none=True)


class SkuErrorSchema(Base):
    code = fields.Raw(load_default=None, allow_none=True)
    message = text()
    detail = fields.Nested(SkuErrorDetailSchema, load_default=None, allow_none=True)

    @post_load
    def _build(self, d: dict[str, Any], **_: Any) -> SkuError:
        code = d["code"] if isinstance(d["code"], int | str) and not isinstance(d["code"], bool) else None
        return SkuError((d["detail"] or {}).get("sku_id"), code, d["message"] or "")
