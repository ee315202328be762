"""The files ERP's options and the shape of one warehouse row (columns, validation)."""

from __future__ import annotations

import codecs
import re
import unicodedata
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates

from erpsync.core.errors import RecordError
from erpsync.core.models import HandoverMode

COLUMNS = (
    "id", "name", "seller_warehouse_id", "contact_person", "phone", "region_code",
    "state", "city", "district", "street", "postal_code", "handover_mode",
)  # fmt: skip
_PHONE = re.compile(r"[0-9+()\- ]*")  # spaces, not line breaks or tabs: a phone is one line
ADDRESS_FIELDS = ("contact_person", "phone", "region_code", "state", "city", "district", "street", "postal_code")


def _ascii_compatible(value: str) -> None:
    """An encoding the files can be read in line by line: known, and ASCII as ASCII (not UTF-16)."""
    try:
        codecs.lookup(value)
    except LookupError:
        raise ValidationError(f"unknown encoding {value!r} (e.g. utf-8, gb18030)") from None
    if codecs.lookup(value).name != "utf-8-sig" and "id,\n".encode(value, errors="replace") != b"id,\n":
        raise ValidationError(f"{value} does not write ASCII as ASCII: use utf-8, gb18030 or another such encoding")


class FilesOptions(Schema):
    path = fields.String(required=True, metadata={"description": "directory holding warehouses.csv or .json"})
    format = fields.String(load_default="auto", validate=validate.OneOf(["auto", "csv", "json"]))
    encoding = fields.String(
        load_default="utf-8",
        validate=_ascii_compatible,
        metadata={"description": "the files' text encoding, for reads and rewrites (gb18030 for GBK exports)"},
    )


class WarehouseRecord(Schema):
    """One ERP warehouse row. Empty cells load as empty strings; ids must be present."""

    class Meta:
        unknown = EXCLUDE

    id = fields.String(required=True, validate=validate.Length(min=1, error="must not be empty"))
    name = fields.String(load_default="")
    #: optional: Seller Center's id for this warehouse, if the ERP keeps it (else the core matches)
    seller_warehouse_id = fields.String(load_default="")
    contact_person = fields.String(load_default="")
    phone = fields.String(load_default="")
    region_code = fields.String(load_default="")
    state = fields.String(load_default="")
    city = fields.String(load_default="")
    district = fields.String(load_default="")
    street = fields.String(load_default="")
    postal_code = fields.String(load_default="")
    handover_mode = fields.String(load_default="")

    @validates("phone")
    def _phone(self, value: str, **_: Any) -> None:
        # Full-width digits (１３８…) are cosmetic to the address rules, so they are valid here
        # too; only the check sees the NFKC form, the value is kept as written.
        if not _PHONE.fullmatch(unicodedata.normalize("NFKC", value)):
            raise ValidationError("not a phone number")

    @validates("handover_mode")
    def _mode(self, value: str, **_: Any) -> None:
        if value.strip():
            try:
                HandoverMode.parse(value)
            except ValueError as exc:
                raise ValidationError(str(exc)) from None


def file_option(purpose: str) -> fields.String:
    """An option naming one optional CSV or JSON file in the ``path`` folder (the suffix says which)."""
    return fields.String(
        load_default=None,
        validate=validate.Regexp(r".+\.(csv|json)$", error="must name a .csv or .json file"),
        metadata={"description": f"{purpose}: a CSV or JSON file in the path directory"},
    )


def field_errors(exc: ValidationError, *, source: str, record: str) -> list[RecordError]:
    """One RecordError per field a row failed on, naming file, line, record and field."""
    out = []
    for fld, msgs in sorted(exc.messages_dict.items()):
        reason = "; ".join(str(m) for m in msgs) if isinstance(msgs, list) else str(msgs)
        out.append(RecordError(reason, source=source, record=record, field=fld))
    return out
