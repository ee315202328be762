"""Shipments: outgoing ``stock.picking`` records with a tracking number, for the tracking push.

A delivery order's ``carrier_tracking_ref`` is the number on the label and ``carrier_id`` its
carrier (``delivery.carrier``, whose display name is the carrier's name), both from the
``stock_delivery`` module (``addons/stock_delivery/models/stock_picking.py``); ``sale_id`` is the
sale order it ships (``sale_stock``), whose ``order_ref_field`` (``client_order_ref``, "Customer
Reference", by default) holds Seller Center's order id. Seller Center's package id has no field
in Odoo: ``package_field`` names the one the seller fills (a custom field, or ``origin`` if the
order import writes it there). Without it the ERP keeps no shipments and nothing is pushed.

Read: pickings of type ``outgoing`` in ``shipment_states`` (``done`` by default: validated,
the goods have left) whose package field and tracking number are set.

One picking, one number: ``stock_delivery`` appends a carrier's further numbers to the field
with a bare comma (``carrier_tracking_ref += "," + ...`` in ``send_to_shipper``), so a value
with a comma (or a full-width one, a semicolon, a space) holds several numbers and is a record
error naming the picking and the field, never pushed as one number.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any, ClassVar

from erpsync.core.erp_connector import collect_records
from erpsync.core.errors import RecordError
from erpsync.core.models import Records
from erpsync.core.shipping import ErpShipment
from erpsync.core.tracking_numbers import tracking_number

from .transport import Transport
from .values import label, many2one, read_ids, search_all, text

__all__ = ["PICKING", "PickingsMixin"]

PICKING, SALE = "stock.picking", "sale.order"
#: what separates several tracking numbers in one field: whitespace, the commas ``stock_delivery``
#: joins them with, the "+" Odoo's UPS connector joins a shipment's packages with (full-width
#: commas and semicolons from hand-typed values)
_SEVERAL = re.compile(r"[\s,，;；+]")


class PickingsMixin:
    """``ShipmentReader`` over ``stock.picking``."""

    type: ClassVar[str]
    options: dict[str, Any]
    transport: Transport

    def list_shipments(self) -> Records[ErpShipment] | None:
        package = self.options["package_field"]
        if not package:
            return None
        page = int(self.options["page_size"])
        domain = [
            ["picking_type_code", "=", "outgoing"],
            ["state", "in", list(self.options["shipment_states"])],
            ["carrier_tracking_ref", "!=", False],
            [package, "!=", False],
        ]
        fields = ["name", package, "carrier_tracking_ref", "carrier_id", "sale_id"]
        rows = list(search_all(self.transport, PICKING, domain, fields, page_size=page, operation="read shipments"))
        ref = self.options["order_ref_field"]
        sale_ids = {v[0] for r in rows if isinstance(v := r.get("sale_id"), list) and v}
        sales = read_ids(self.transport, SALE, sale_ids, [ref], page_size=page, operation="read sale orders")

        def build(row: Mapping[str, Any]) -> ErpShipment:
            record = label(row, "picking")
            number = text(row, "carrier_tracking_ref", record=record).strip()
            if _SEVERAL.search(number):
                reason = f"{number!r:.40} is not one tracking number"
                raise RecordError(reason, record=record, field="carrier_tracking_ref")
            number = tracking_number(number, record=record, field="carrier_tracking_ref")  # invisible characters
            carrier = many2one(row, "carrier_id", record=record)
            if carrier is None:
                raise RecordError("no carrier: the push names it", record=record, field="carrier_id")
            sale = many2one(row, "sale_id", record=record)
            order_id = ""
            if sale is not None:
                if sale[0] not in sales:
                    raise RecordError(f"sale order {sale[0]} cannot be read", record=record, field="sale_id")
                order_id = text(sales[sale[0]], ref, record=f"{record}: sale order {sale[0]}").strip()
            reference = text(row, "name", record=record).strip()
            if not reference:
                raise RecordError("no reference", record=record, field="name")
            return ErpShipment(
                id=reference,
                package_id=text(row, package, record=record).strip(),
                order_id=order_id,
                tracking_number=number,
                carrier=carrier[1],
                source=f"odoo {PICKING} {row['id']}",
            )

        # a refused picking names its package, which the tracking aspect then holds back
        records = collect_records(rows, build, source=f"odoo {PICKING}", kind="picking", package_key=package)
        # a picking's reference ("WH/OUT/00012") is the shipment's id: what an operator searches
        # for; Odoo numbers them per company, so two companies' may meet, and neither is pushed
        count = Counter(s.id for s in records.items)
        twice = [
            RecordError(
                f"{count[s.id]} pickings have this reference",
                record=f"picking {s.id}",
                field="name",
                source=s.source,
                package_id=s.package_id,
            )
            for s in records.items
            if count[s.id] > 1
        ]
        kept = tuple(s for s in records.items if count[s.id] == 1)
        return Records(kept, records.errors + tuple(twice))
