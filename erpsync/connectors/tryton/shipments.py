"""Tryton's outgoing shipments as erpsync's: the parcels whose tracking numbers Seller Center must learn.

A ``stock.shipment.out`` (``modules/stock/shipment.py``) with a ``shipping_reference``
(``modules/stock_package_shipping/stock.py``: the carrier's tracking number) and not cancelled.
Seller Center's package id is in ``package_field`` (``reference``: "the external identifier for
the shipment"); the order id is the ``order_field`` of the sale the shipment's moves come from,
read through the moves' ``origin`` (a ``sale.line``) in the same call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from erpsync.core.errors import RecordError
from erpsync.core.shipping import ErpShipment
from erpsync.core.tracking_numbers import tracking_number

from .rpc import related

SHIPMENT_DOMAIN = [["shipping_reference", "!=", None], ["state", "!=", "cancelled"]]


def shipment_fields(options: Mapping[str, Any]) -> list[str]:
    return [
        "number",
        options["package_field"],
        "shipping_reference",
        "carrier",
        "carrier.party.name",
        f"moves.origin.sale.{options['order_field']}",
    ]


def _order_id(row: Mapping[str, Any], order_field: str, record: str) -> str:
    """The order id of the sales the shipment's moves come from: one, none (""), or an error for two."""
    found: set[str] = set()
    for move in row.get("moves.") or ():
        origin = move.get("origin.") if isinstance(move, Mapping) else None
        value = related(origin, f"sale.{order_field}") if isinstance(origin, Mapping) else None
        if value:
            found.add(str(value))
    if len(found) > 1:
        raise RecordError(f"moves of several orders ({', '.join(sorted(found))})", record=record, field="moves")
    return found.pop() if found else ""


def build_shipment(row: Mapping[str, Any], options: Mapping[str, Any], *, source: str) -> ErpShipment:
    number = str(row.get("number") or "") or f"tryton:{row.get('id')}"  # a draft has no number yet
    record = f"shipment {number!r}"
    package = str(row.get(options["package_field"]) or "").strip()
    if not package:
        raise RecordError("missing: Seller Center's package id", record=record, field=options["package_field"])
    tracking = tracking_number(row.get("shipping_reference") or "", record=record, field="shipping_reference")
    carrier = str(related(row, "carrier.party.name") or "").strip()
    if not carrier:
        raise RecordError("missing: no carrier", record=record, field="carrier")
    return ErpShipment(
        id=number,
        package_id=package,
        order_id=_order_id(row, options["order_field"], record),
        tracking_number=tracking,
        carrier=carrier,
        source=f"{source}/stock.shipment.out/{row.get('id')}",
    )
