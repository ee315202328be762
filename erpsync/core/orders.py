"""Orders as the ship-by and order-status aspects see them: a plain model and the capabilities.

Seller Center keeps each order's status and its latest ship time (最晚发货时间: the Open API's
``rts_sla_time``, "the latest shipping time specified by the platform", page "Get Order
Detail"); missing it is penalised. An ERP that records order statuses can have them mirrored.
Connectors translate their system's orders into :class:`SellerOrder` / :class:`ErpOrderStatus`;
the aspects only compare them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from erpsync.core.models import Records

__all__ = [
    "AWAITING_SHIPMENT",
    "OWN_ORDERS_ONLY",
    "UNKNOWN_STATUS",
    "ErpOrderStatus",
    "OrderDetailReader",
    "OrderReader",
    "OrderStatusBook",
    "SellerOrder",
    "latest_per_order",
    "own_orders_only",
]

#: the class attribute by which an ``OrderStatusBook`` says it holds only its own orders
OWN_ORDERS_ONLY = "own_orders_only"

#: the statuses in which an order still waits for the seller to ship (part of) it (Get Order List,
#: ``order_status``: "AWAITING_SHIPMENT", and "PARTIALLY_SHIPPING": some packages not shipped yet)
AWAITING_SHIPMENT: tuple[str, ...] = ("AWAITING_SHIPMENT", "PARTIALLY_SHIPPING")

#: the status of an order whose Seller Center status the connector does not know (a value added
#: after it was written): nothing is known of what it means, so nothing acts on it
UNKNOWN_STATUS = "UNKNOWN"


@dataclass(frozen=True, slots=True)
class SellerOrder:
    """One order as Seller Center has it."""

    id: str
    status: str  # Seller Center's order status, e.g. AWAITING_SHIPMENT, CANCELLED
    update_time: datetime  # when its status last changed
    create_time: datetime | None = None
    ship_by: datetime | None = None  # the latest ship time (rts_sla_time)
    warehouse_id: str | None = None
    source: str | None = None  # where it was read, for messages
    #: the buyer has asked to cancel it and the request is not decided yet (TikTok:
    #: ``is_buyer_request_cancel``); shipping it before then may ship an order about to be cancelled
    buyer_cancel_requested: bool = False
    #: what the connector noticed reading it, e.g. the raw value behind an UNKNOWN_STATUS
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ErpOrderStatus:
    """What an ERP has recorded of an order's Seller Center status, and as of which update."""

    order_id: str
    status: str
    updated_at: datetime | None  # the Seller Center update_time the status was recorded from
    source: str | None = None


@runtime_checkable
class OrderReader(Protocol):
    """A seller backend that can list its orders."""

    def read_orders(
        self,
        *,
        statuses: Sequence[str] = (),
        updated_since: datetime | None = None,
        updated_before: datetime | None = None,
    ) -> Records[SellerOrder]:
        """Orders in any of ``statuses`` (all when empty) updated in ``[updated_since, updated_before)``.

        Each (order, update time) once; a malformed order is a record error, the others still come.
        """
        ...


@runtime_checkable
class OrderDetailReader(Protocol):
    """A seller backend that can read orders by id (TikTok: Get Order Detail, 50 ids a call).

    The order-status aspect reads the orders of its open drifts this way each run, whatever its
    cursor, so a drift left open does not hold the cursor back (``aspects/order_status.py``).
    """

    def read_orders_by_id(self, order_ids: Sequence[str]) -> Records[SellerOrder]:
        """These orders as they are now, each once; an id the backend does not know (or of
        another shop) is simply absent, and a malformed order is a record error."""
        ...


@runtime_checkable
class OrderStatusBook(Protocol):
    """An ERP that records the Seller Center status of its orders.

    Two kinds of ERP keep such a book. One records any order it is told of (the files ERP adds a
    row): an order it has nothing for is absent from ``order_statuses`` and gets written. The other
    holds only the orders imported into it (a sale order in Odoo or Tryton) and cannot record any
    other: it sets :data:`OWN_ORDERS_ONLY` (``own_orders_only = True`` on the class) and answers
    every order it holds, with ``status=""`` when nothing is recorded yet, so an order it leaves
    out is not its own and is neither reported nor written (see :func:`own_orders_only`).
    """

    def order_statuses(self, order_ids: Sequence[str]) -> Records[ErpOrderStatus] | None:
        """What is recorded for these orders (an order with nothing recorded is simply absent);
        None when this ERP is configured to keep no order statuses.

        Record errors too only for these orders (each naming its order id as
        ``RecordError.record_id``), and for records whose order id cannot be read (they may be any
        order's): a bad record of an order not asked about is not this read's concern."""
        ...

    def set_order_status(self, order_id: str, status: str, updated_at: datetime) -> None:
        """Record ``status`` as of Seller Center's ``updated_at``. Idempotent: the same values twice
        change nothing."""
        ...


def own_orders_only(book: object) -> bool:
    """Whether ``book`` holds only the orders imported into it (an order it does not answer for
    is not its own), rather than recording any order it is told of."""
    return bool(getattr(book, OWN_ORDERS_ONLY, False))


def latest_per_order(orders: Iterable[SellerOrder]) -> dict[str, SellerOrder]:
    """Pure: each order's latest update, by id. A read hands on each (order, update time) once,
    but an order that changed while it was read (paged, or searched one status after another)
    comes twice, and two snapshots of one order would be two opinions on it.

    ``orders`` come in the order they were read: on a tie of update time the copy read later
    wins. ``update_time`` counts whole seconds, so two changes in one second share it, and the
    later read (a by-id read after the list, a later search) is what Seller Center has now."""
    latest: dict[str, SellerOrder] = {}
    for order in orders:
        if order.id not in latest or order.update_time >= latest[order.id].update_time:
            latest[order.id] = order
    return latest
