"""The files ERP's shipments: a CSV or JSON file of parcels sent, read for the tracking aspect.

The ``shipments`` option names the file, relative to the ``path`` directory (``shipments.csv``
or ``shipments.json``, a list of objects; the suffix says which). Columns: ``id`` (the ERP's
shipment id), ``package_id`` (Seller Center's package), ``order_id`` (Seller Center's order id,
never the ERP's own order number: the tracking aspect reads it as TikTok's; may be empty), ``tracking_number`` and
``carrier`` (the carrier's name, mapped to a shipping provider id by the aspect). Without the
option the ERP keeps no shipments and the tracking aspect has nothing to push.

A malformed row is a RecordError naming file, line and field (a missing tracking number, one
with spaces inside), and the package the row gives, if it gives one (the tracking aspect then
pushes nothing for that package); the other rows go on. Rows giving one id are one shipment
given again when they all read well and agree on the package, the number (case aside) and the
carrier: the first stands for them (the core's ``distinct_ids``, called with the rows the reader
could not read). Otherwise which shipment the id names is not known, so each row of it that read well is a
RecordError on ``id`` naming all of them and its own package, and none of them is pushed: keeping
the first would let the file's order decide. erpsync only reads this file.
"""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates

from erpsync.core.aspects.tracking_input import distinct_ids
from erpsync.core.errors import RecordError
from erpsync.core.models import Records
from erpsync.core.shipping import ErpShipment
from erpsync.core.tracking_numbers import check_tracking_number

from .host import FilesHost
from .ids import set_aside_ids
from .parse import broken_rows, cell, read_side_file, row_id, text_cell
from .parse_csv import misshapen
from .schema import field_errors, file_option

__all__ = ["SHIPMENT_COLUMNS", "ShipmentRecord", "ShipmentsMixin", "ShipmentsOptions"]

SHIPMENT_COLUMNS = ("id", "package_id", "order_id", "tracking_number", "carrier")
_REQUIRED = validate.Length(min=1, error="must not be empty")


class ShipmentsOptions(Schema):
    """The files ERP's ``shipments`` option (mixed into its options schema)."""

    shipments = file_option("shipments, for the tracking aspect")


class ShipmentRecord(Schema):
    """One shipment row. Ids and the number must be present; the number is one token."""

    class Meta:
        unknown = EXCLUDE

    id = fields.String(required=True, validate=_REQUIRED)
    package_id = fields.String(required=True, validate=_REQUIRED)
    order_id = fields.String(load_default="")
    tracking_number = fields.String(required=True, validate=_REQUIRED)
    carrier = fields.String(required=True, validate=_REQUIRED)

    @validates("tracking_number")
    def _one_token(self, value: str, **_: Any) -> None:
        # the rule every ERP reader shares (core/tracking_numbers.py): no space inside (two
        # numbers, or a split one), no invisible character pasted in (a zero-width space)
        try:
            check_tracking_number(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


#: the fields a JSON number with a fraction or an exponent cannot stand for (it has lost digits)
_EXACT = ("id", "package_id", "order_id", "tracking_number")


def _inexact(row: dict[str, Any], source: str, record: str) -> list[RecordError]:
    """An id or tracking number a JSON file gives as a float (``9.400111899223345e+21``): the
    digits past the float's precision are gone, so it is refused rather than pushed mangled."""
    return [
        RecordError(
            "a JSON number with a fraction or an exponent: write it as a string",
            source=source,
            record=record,
            field=name,
        )
        for name in _EXACT
        if isinstance(row.get(name), float)
    ]


def _of_package(errors: list[RecordError], package: str | None) -> list[RecordError]:
    """``errors`` of one row, each naming the package the row gives (``RecordError.package_id``):
    the tracking aspect pushes nothing for a package one of whose rows it could not read."""
    return [
        RecordError(
            e.reason, record=e.record, field=e.field, source=e.source, record_id=e.record_id, package_id=package
        )
        for e in errors
    ]


class ShipmentsMixin(FilesHost):
    """``ShipmentReader`` for the files ERP (``core/shipping.py``)."""

    def list_shipments(self) -> Records[ErpShipment] | None:
        name = self.options.get("shipments")
        if not name:
            return None
        path = self.directory / name
        shown = self._shown(path)
        doc = read_side_file(path, shown, "read shipments", self.options.get("encoding", "utf-8"))
        errors = broken_rows(doc, shown, "shipment", package_key="package_id")
        items: list[ErpShipment] = []
        unread = set_aside_ids(doc, shown)  # id -> where rows giving it could not be read
        schema = ShipmentRecord()
        for line, index, row in doc.rows:
            source = doc.source(shown, line, index)
            if not isinstance(row, dict):
                errors.append(RecordError("not an object", source=source, record="shipment"))
                continue
            rid = row_id(row)
            record = f"shipment {rid!r}" if rid else "shipment (no id)"
            package = text_cell(row, "package_id")
            wrong = [shape] if (shape := misshapen(row, source, record)) is not None else _inexact(row, source, record)
            if not wrong:
                try:
                    data = schema.load({k: cell(v) for k, v in row.items() if k is not None})
                except ValidationError as exc:
                    wrong = field_errors(exc, source=source, record=record)
            if wrong:
                errors.extend(_of_package(wrong, package))
                if (given := text_cell(row, "id")) is not None:
                    unread.setdefault(given, []).append(source)
                continue
            items.append(
                ErpShipment(
                    data["id"], data["package_id"], data["order_id"], data["tracking_number"], data["carrier"], source
                )
            )
        return Records(tuple(distinct_ids(items, errors, unread)), tuple(errors))
