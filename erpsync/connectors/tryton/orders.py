"""Seller Center's order statuses recorded on Tryton sales, when the seller dedicates a field to them.

Tryton's ``sale.sale`` (``modules/sale/sale.py``) has no field for another system's order status,
so nothing is recorded unless option ``order_status_field`` names a Char field of the sale; erpsync
then writes ``STATUS@<ISO 8601 update time, UTC>`` there, on the sale whose ``order_field`` holds
the order id. The text is erpsync's own format: one field keeps status and time together, so a
write is one value and reading it back needs nothing else. Only sales in Tryton can carry a
status, so the connector holds only its own orders (``own_orders_only``): every sale found is
answered, one with nothing recorded yet as an empty status, and other orders are left alone.
``sale.sale``'s ``reference`` is not unique, so two sales may carry one order id: such an order is
one RecordError and has no status, as with Odoo, since which sale's status is the order's would be
a guess (and ``set_order_status`` refuses to pick one).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from erpsync.core.erp_connector import collect_records
from erpsync.core.errors import RecordError
from erpsync.core.models import Records
from erpsync.core.orders import ErpOrderStatus

SEPARATOR = "@"


def status_text(status: str, updated_at: datetime) -> str:
    """What is written: ``AWAITING_SHIPMENT@2026-03-02T08:15:00+00:00``."""
    if updated_at.tzinfo is None:
        raise ValueError("updated_at must be an aware datetime")
    return f"{status}{SEPARATOR}{updated_at.astimezone(UTC).isoformat()}"


def collect_statuses(rows: Sequence[Any], options: Mapping[str, Any], *, source: str) -> Records[ErpOrderStatus]:
    """Each sale row's status; an order id that several sales carry is one RecordError, no status."""
    field = options["order_field"]
    sales: dict[str, list[str]] = {}
    for row in rows:
        if isinstance(row, Mapping) and row.get(field) not in (None, ""):
            sales.setdefault(str(row[field]), []).append(str(row.get("id")))
    shared = {order: ids for order, ids in sales.items() if len(ids) > 1}

    def shares(row: Any) -> bool:
        return isinstance(row, Mapping) and row.get(field) not in (None, "") and str(row[field]) in shared

    records = collect_records(
        [r for r in rows if not shares(r)],
        lambda row: build_status(row, options, source=source),
        source=source,
        kind="order",
        id_key=field,
    )
    errors = list(records.errors)
    for order, ids in sorted(shared.items()):
        reason = f"{len(ids)} sales carry this order id: {sorted(ids)}"
        errors.append(RecordError(reason, record=f"order {order!r}", field=field, source=source, record_id=order))
    return Records(records.items, tuple(errors))


def build_status(row: Mapping[str, Any], options: Mapping[str, Any], *, source: str) -> ErpOrderStatus:
    """A sale row as the status recorded on it (empty: none yet); a text erpsync did not write is a
    RecordError naming the ``order_status_field`` it is in."""
    order_id = str(row[options["order_field"]])
    field = options["order_status_field"]
    text = str(row.get(field) or "").strip()
    if not text:
        return ErpOrderStatus(order_id, "", None, source=f"{source}/sale.sale/{row.get('id')}")
    status, sep, when = text.rpartition(SEPARATOR)
    if not sep or not status:
        raise RecordError(f"{text!r} is not STATUS@TIME", field=field)
    try:
        updated_at = datetime.fromisoformat(when)
    except ValueError:
        raise RecordError(f"{when!r} is not an ISO 8601 time", field=field) from None
    if updated_at.tzinfo is None:
        raise RecordError(f"{when!r} has no UTC offset", field=field)
    return ErpOrderStatus(order_id, status, updated_at, source=f"{source}/sale.sale/{row.get('id')}")
