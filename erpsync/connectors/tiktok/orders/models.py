"""Typed orders of the Orders API (``docs/open-api-full.md`` §3): what ``api.OrdersApi`` returns.

An order whose status is not one of the nine documented values (Partner Center API reference,
Get Order Detail (202507) and Get Order List (202309), ``status``) is read as
``OrderStatus.UNKNOWN``, with a note naming the value in ``Order.notes`` and a warning in the log:
the order still reaches the caller, and nothing guesses what a new status means (that could ship
or cancel the wrong thing), so a caller acts on UNKNOWN by not acting. ``recipient_address`` is
absent while UNPAID / ON_HOLD; that is the API's rule, not an error. ``is_buyer_request_cancel``
is "whether the buyer has a pending cancellation request" (Get Order List (202309); Get Order
Detail: "true when the buyer has a pending cancellation request"); an answer without it reads as
false, as an order nobody asked to cancel.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


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
    #: the buyer has asked to cancel it and the request is not decided yet
    is_buyer_request_cancel: bool = False
    #: what the reader noticed, e.g. a status value it does not know (also logged)
    notes: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, int]:
        """``(id, update_time)``: the same order seen twice in one overlapping read is one change."""
        return (self.id, self.update_time)
