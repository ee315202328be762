"""Typed orders of the Orders API (``docs/open-api-full.md`` §3), and the schemas that build them.

An order whose status is not one of the nine documented values (Partner Center API reference,
Get Order Detail (202507) and Get Order List (202309), ``status``) is read as
``OrderStatus.UNKNOWN``, with a note naming the value in ``Order.notes`` and a warning in the log:
the order still reaches the caller, and nothing guesses what a new status means (that could ship
or cancel the wrong thing), so a caller acts on UNKNOWN by not acting. ``recipient_address`` is
absent while UNPAID / ON_HOLD; that is the API's rule, not an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from marshmallow import fields, post_load

from erpsync.connectors.tiktok.records import Tolerant, TypedSchema, noted, opt_int, text, unknown_values
from erpsync.connectors.tiktok.schemas import Id, Ref, optional_id


class OrderStatus(StrEnum):
    UNPAID = "UNPAID"
    ON_HOLD = "ON_HOLD"
    AWAITING_SHIPMENT = "AWAITING_SHIPMENT"
    PARTIALLY_SHIPPING = "PARTIALLY_SHIPPING"
    AWAITING_COLLECTION = "AWAITING_COLLECTION"
    IN_TRANSIT = "IN_TRANSIT"
    DELIVERED = "DELIVERED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    #: a value this client does not know (kept in ``Order.notes``); never sent as a filter
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class Payment:
    currency: str
    total_amount: Decimal | None
    sub_total: Decimal | None = None
    shipping_fee: Decimal | None = None


@dataclass(frozen=True)
class RecipientAddress:
    name: str
    phone_number: str
    full_address: str
    region_code: str
    postal_code: str


@dataclass(frozen=True)
class LineItem:
    id: str
    sku_id: str | None
    seller_sku: str
    product_id: str | None
    product_name: str
    sale_price: Decimal | None
    currency: str
    package_id: str | None
    package_status: str
    tracking_number: str


@dataclass(frozen=True)
class Order:
    """One order. ``update_time`` is required: incremental reads de-duplicate and advance on it."""

    id: str
    status: OrderStatus
    create_time: int
    update_time: int
    paid_time: int | None
    warehouse_id: str | None
    shipping_type: str
    shipping_provider_id: str | None
    tracking_number: str
    rts_sla_time: int | None
    payment: Payment | None
    recipient_address: RecipientAddress | None
    line_items: tuple[LineItem, ...]
    package_ids: tuple[str, ...]
    #: what the reader noticed, e.g. a status value it does not know (also logged)
    notes: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, int]:
        """``(id, update_time)``: the same order seen twice in one overlapping read is one change."""
        return (self.id, self.update_time)


def _decimal() -> fields.Decimal:
    return fields.Decimal(load_default=None, allow_none=True)


def _opt_id() -> Id:
    return optional_id()


class PaymentSchema(TypedSchema):
    currency = text()
    total_amount = _decimal()
    sub_total = _decimal()
    shipping_fee = _decimal()

    @post_load
    def _build(self, d: dict[str, Any], **_: Any) -> Payment:
        return Payment(d["currency"] or "", d["total_amount"], d["sub_total"], d["shipping_fee"])


class AddressSchema(TypedSchema):
    name = text()
    phone_number = text()
    full_address = text()
    region_code = text()
    postal_code = text()

    @post_load
    def _build(self, d: dict[str, Any], **_: Any) -> RecipientAddress:
        return RecipientAddress(**{k: v or "" for k, v in d.items()})


class LineItemSchema(TypedSchema):
    id = Id(required=True)
    sku_id = _opt_id()
    seller_sku = text()
    product_id = _opt_id()
    product_name = text()
    sale_price = _decimal()
    currency = text()
    package_id = _opt_id()
    package_status = text()
    tracking_number = text()

    @post_load
    def _build(self, d: dict[str, Any], **_: Any) -> LineItem:
        return LineItem(
            **{k: ("" if v is None and isinstance(self.fields[k], fields.String) else v) for k, v in d.items()}
        )


class OrderSchema(TypedSchema):
    id = Id(required=True)
    status = Tolerant(OrderStatus, required=True)
    create_time = fields.Integer(required=True)
    update_time = fields.Integer(required=True)
    paid_time = opt_int()
    warehouse_id = _opt_id()
    shipping_type = text()
    shipping_provider_id = _opt_id()
    tracking_number = text()
    rts_sla_time = opt_int()
    payment = fields.Nested(PaymentSchema, load_default=None, allow_none=True)
    recipient_address = fields.Nested(AddressSchema, load_default=None, allow_none=True)
    line_items = fields.List(fields.Nested(LineItemSchema), load_default=list)
    packages = fields.List(fields.Nested(Ref), load_default=list)

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
            package_ids=tuple(p["id"] for p in d["packages"]),
            notes=noted(f"order {d['id']}", unknown_values(self, original)),
        )
