"""Marshmallow schemas for Orders API answers; each builds a frozen dataclass of ``models.py``.

Loaded one record at a time through ``loading.load_page``, so a malformed order becomes a
``RecordError`` naming it and the rest of the page goes on. ``status`` is a :class:`Tolerant` enum:
a value this client does not know reads as ``OrderStatus.UNKNOWN`` with a note (see ``models.py``).
Blank ids ("" before fulfilment) read as None. Times stay Unix seconds (an order is de-duplicated and
paged on ``update_time``) but are checked as they load: one no date can hold (milliseconds, say)
is a ``RecordError`` naming the order and the field, not a crash where it becomes a datetime.

The delivery address of an order (:class:`RecipientAddressSchema`: ``name``, ``phone_number``,
``full_address``...) is not the shape of a warehouse address (``shops.WarehouseAddressSchema``),
so the two schemas have their own names.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, post_load

from erpsync.connectors.tiktok.fields import (
    Base,
    Id,
    RefSchema,
    Tolerant,
    decimal,
    noted,
    optional_id,
    text,
    unix_seconds,
    unknown_values,
)
from erpsync.connectors.tiktok.orders.models import LineItem, Order, OrderStatus, Payment, RecipientAddress


class PaymentSchema(Base):
    currency = text()
    total_amount = decimal()
    sub_total = decimal()
    shipping_fee = decimal()

    @post_load
    def _build(self, d: dict[str, Any], **_: Any) -> Payment:
        return Payment(d["currency"] or "", d["total_amount"], d["sub_total"], d["shipping_fee"])


class RecipientAddressSchema(Base):
    name = text()
    phone_number = text()
    full_address = text()
    region_code = text()
    postal_code = text()

    @post_load
    def _build(self, d: dict[str, Any], **_: Any) -> RecipientAddress:
        return RecipientAddress(**{k: v or "" for k, v in d.items()})


class LineItemSchema(Base):
    id = Id(required=True)
    sku_id = optional_id()
    seller_sku = text()
    product_id = optional_id()
    product_name = text()
    sale_price = decimal()
    currency = text()
    package_id = optional_id()
    package_status = text()
    tracking_number = text()

    @post_load
    def _build(self, d: dict[str, Any], **_: Any) -> LineItem:
        values: dict[str, Any] = {
            k: ("" if v is None and isinstance(self.fields[k], fields.String) else v) for k, v in d.items()
        }
        return LineItem(**values)


class OrderSchema(Base):
    id = Id(required=True)
    status = Tolerant(OrderStatus, required=True)
    create_time = unix_seconds(required=True)
    update_time = unix_seconds(required=True)
    paid_time = unix_seconds()
    warehouse_id = optional_id()
    shipping_type = text()
    shipping_provider_id = optional_id()
    tracking_number = text()
    rts_sla_time = unix_seconds()
    payment = fields.Nested(PaymentSchema, load_default=None, allow_none=True)
    recipient_address = fields.Nested(RecipientAddressSchema, load_default=None, allow_none=True)
    line_items = fields.List(fields.Nested(LineItemSchema), load_default=list)
    packages = fields.List(fields.Nested(RefSchema), load_default=list)
    #: a pending cancellation request of the buyer; absent or null reads as none
    is_buyer_request_cancel = fields.Boolean(load_default=False, allow_none=True)

    @post_load(pass_original=True)
    def _build(self, d: dict[str, Any], original: Any, **_: Any) -> Order:
        return Order(
            id=d["id"],
            status=d["status"],
            create_time=d["create_time"],
            update_time=d["update_time"],
            paid_time=d["paid_time"],
            warehouse_id=d["warehouse_id"],
            shipping_type=d["shipping_type"] or "",
            shipping_provider_id=d["shipping_provider_id"],
            tracking_number=d["tracking_number"] or "",
            rts_sla_time=d["rts_sla_time"],
            payment=d["payment"],
            recipient_address=d["recipient_address"],
            line_items=tuple(d["line_items"]),
            package_ids=tuple(d["packages"]),
            is_buyer_request_cancel=bool(d["is_buyer_request_cancel"]),
            notes=noted(f"order {d['id']}", unknown_values(self, original)),
        )
