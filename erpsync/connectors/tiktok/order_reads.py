"""The TikTok seller connector as an ``OrderReader`` and ``OrderDetailReader`` (``core/orders.py``).

Get Order List (``order_status``, ``update_time_ge``, ``update_time_lt``; 100 a page) through the
typed ``OrdersApi``: one search per asked status (the API filters by one status at a time), each
(order, update time) handed on once (a later copy of it with another status replaces the first:
two changes in one second share an update time, and the later read is the newer), paged by update
time rather than by the page token alone
(``OrdersApi.orders_updated``: an order that changes mid-read does not make another skipped).
``rts_sla_time`` is the order's latest ship time ("the latest shipping time specified by the
platform", page "Get Order Detail", whose fields the list repeats); ``is_buyer_request_cancel``
("whether the buyer has a pending cancellation request", Get Order List) becomes
``SellerOrder.buyer_cancel_requested``.
Orders by id through Get Order Detail (``OrdersApi.get_orders``: at most 50 ids a call; an unknown
id, or one of another shop, is simply absent from the answer).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from erpsync.connectors.tiktok.orders.api import DETAIL_PATH, SEARCH_PATH, OrdersApi
from erpsync.connectors.tiktok.orders.models import Order
from erpsync.core.errors import RecordError
from erpsync.core.models import Records
from erpsync.core.orders import SellerOrder

__all__ = ["OrderReads", "seller_order"]


def _time(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def seller_order(order: Order, path: str = SEARCH_PATH) -> SellerOrder:
    """The core's view of one order (pure); ``path`` is the API it was read through, for messages."""
    return SellerOrder(
        id=order.id,
        status=str(order.status),
        update_time=datetime.fromtimestamp(order.update_time, UTC),
        create_time=_time(order.create_time),
        ship_by=_time(order.rts_sla_time),
        warehouse_id=order.warehouse_id,
        source=f"TikTok {path}: order {order.id}",
        buyer_cancel_requested=order.is_buyer_request_cancel,
        notes=order.notes,
    )


class OrderReads:
    """``OrderReader`` and ``OrderDetailReader`` for ``TikTokSellerConnector`` (which provides
    ``client`` and ``cipher``)."""

    _orders_api: OrdersApi | None = None

    def _orders(self) -> OrdersApi:
        if self._orders_api is None:
            connector = cast(Any, self)  # the TikTok seller connector this is mixed into
            self._orders_api = OrdersApi(connector.client, connector.cipher())
        return self._orders_api

    def read_orders(
        self,
        *,
        statuses: Sequence[str] = (),
        updated_since: datetime | None = None,
        updated_before: datetime | None = None,
    ) -> Records[SellerOrder]:
        api = self._orders()
        since = None if updated_since is None else int(updated_since.timestamp())
        before = None if updated_before is None else int(updated_before.timestamp())
        items: dict[tuple[str, int], SellerOrder] = {}  # in the order read
        errors: list[RecordError] = []
        wanted: list[str | None] = [*dict.fromkeys(statuses)] or [None]
        for status in wanted:
            for page in api.orders_updated(status=status, update_time_ge=since, update_time_lt=before):
                errors.extend(page.errors)
                for order in page.items:
                    known = items.get(order.key)
                    if known is None or known.status != str(order.status):  # a later copy replaces it
                        items.pop(order.key, None)
                        items[order.key] = seller_order(order)
        return Records(tuple(items.values()), tuple(errors))

    def read_orders_by_id(self, order_ids: Sequence[str]) -> Records[SellerOrder]:
        found = self._orders().get_orders(order_ids)
        return Records(tuple(seller_order(o, DETAIL_PATH) for o in found.items), found.errors)
