"""Order statuses: Seller Center's status of an order, recorded on its ``sale.order``.

The sale order is found by ``order_ref_field`` (``client_order_ref`` by default), which the
seller's order import fills with Seller Center's order id. Odoo has no field for another
system's status, so ``order_status_field`` (a char field) and ``order_updated_field`` (a
datetime field, UTC to the second as Odoo keeps it) name the two the seller adds; without them
the ERP keeps no order statuses and the aspect says so. An order Odoo does not hold cannot have
its status recorded, so the connector holds only its own orders (``own_orders_only``): it
answers every sale order found, with an empty status when none is recorded yet, and the
``order_status`` aspect leaves the other orders alone. Writing one anyway is a NotFoundError for
that order alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from erpsync.core.errors import NotFoundError, PermanentError, RecordError
from erpsync.core.models import Records
from erpsync.core.orders import ErpOrderStatus

from .transport import Transport
from .values import odoo_datetime, search_all, text, to_odoo_datetime

__all__ = ["OrdersMixin"]

SALE = "sale.order"


class OrdersMixin:
    """``OrderStatusBook`` over ``sale.order``."""

    #: only orders imported into Odoo have a sale order to record a status on
    own_orders_only: ClassVar[bool] = True
    type: ClassVar[str]
    options: dict[str, Any]
    transport: Transport

    def order_statuses(self, order_ids: Sequence[str]) -> Records[ErpOrderStatus] | None:
        status_field, updated_field = self.options["order_status_field"], self.options["order_updated_field"]
        if not status_field:
            return None
        ref, page = self.options["order_ref_field"], int(self.options["page_size"])
        wanted = sorted({str(i) for i in order_ids})
        rows: list[dict[str, Any]] = []
        for start in range(0, len(wanted), page):
            domain = [[ref, "in", wanted[start : start + page]]]
            fields = [ref, status_field, updated_field]
            rows += search_all(self.transport, SALE, domain, fields, page_size=page, operation="read order statuses")
        by_order: dict[str, list[dict[str, Any]]] = {}
        errors: list[RecordError] = []
        for row in rows:
            try:
                by_order.setdefault(text(row, ref, record=f"sale order {row.get('id')}").strip(), []).append(row)
            except RecordError as exc:
                errors.append(_sourced(exc))
        items: list[ErpOrderStatus] = []
        for order_id, found in sorted(by_order.items()):
            record = f"sale order {found[0].get('id')} (order {order_id})"
            if len(found) > 1:
                reason = f"{len(found)} sale orders carry this order id: {sorted(str(r.get('id')) for r in found)}"
                named = RecordError(reason, record=f"order {order_id}", field=ref, record_id=order_id)
                errors.append(_sourced(named, order_id))
                continue
            try:
                status = text(found[0], status_field, record=record).strip()
                updated = odoo_datetime(found[0].get(updated_field), updated_field, record=record)
            except RecordError as exc:
                errors.append(_sourced(exc, order_id))
                continue
            source = f"odoo {SALE} {found[0].get('id')}"
            items.append(ErpOrderStatus(order_id, status, updated if status else None, source=source))
        return Records(tuple(items), tuple(errors))

    def set_order_status(self, order_id: str, status: str, updated_at: datetime) -> None:
        status_field, updated_field = self.options["order_status_field"], self.options["order_updated_field"]
        op = "write order status"
        if not status_field:
            reason = "order status: not kept in Odoo (set options order_status_field and order_updated_field)"
            raise PermanentError(reason, connector=self.type, operation=op)
        moment = to_odoo_datetime(updated_at)
        ref = self.options["order_ref_field"]
        params = {"domain": [[ref, "=", order_id]], "fields": [ref]}
        found = self.transport.call(SALE, "search_read", params, operation=op)
        if not found:
            raise NotFoundError(f"no sale order with {ref} {order_id!r}", connector=self.type, operation=op)
        if len(found) > 1:
            reason = f"{len(found)} sale orders carry {ref} {order_id!r}: which one is meant is not clear"
            raise PermanentError(reason, connector=self.type, operation=op)
        vals = {status_field: status, updated_field: moment}
        self.transport.call(SALE, "write", {"vals": vals}, ids=[int(found[0]["id"])], operation=op)


def _sourced(exc: RecordError, order_id: str | None = None) -> RecordError:
    """``exc`` from ``sale.order``, naming the order by id when it is known (``RecordError.record_id``)."""
    return RecordError(
        exc.reason, record=exc.record, field=exc.field, source=f"odoo {SALE}", record_id=exc.record_id or order_id
    )
