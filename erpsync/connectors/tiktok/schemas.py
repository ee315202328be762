"""Shared field types, the shop and warehouse schemas, and the RecordError of a failed load.

``client.py`` loads shops and warehouses through these (as dicts), one record at a time through
``records.load_page``, so a malformed record becomes a ``RecordError`` naming the record and the
field while the rest of the page goes on. Packages, orders and products have typed schemas in
their own modules; they share :class:`Id`, :class:`Ref` and :func:`record_error` from here.
Unknown fields are dropped (the API adds fields often); ids are strings even when the API sends
numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load

from erpsync.core.errors import RecordError


class Id(fields.Field):
    """A 64-bit id. Sent as a string, but some endpoints send JSON numbers: accept both, keep str."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValidationError("not an id (expected a string or an integer)")
        text = str(value).strip()
        if not text:
            raise ValidationError("empty id")
        return text


class OptionalId(Id):
    """An id the API leaves blank ("") until it exists: a line item's package before
    fulfilment, a package's shipping provider before it ships. Blank means absent (None)."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str | None:
        if isinstance(value, str) and not value.strip():
            return None
        return super()._deserialize(value, attr, data, **kwargs)


def optional_id() -> OptionalId:
    return OptionalId(load_default=None, allow_none=True)


def _text(**kwargs: Any) -> fields.String:
    return fields.String(load_default="", allow_none=True, **kwargs)


class _Base(Schema):
    class Meta:
        unknown = EXCLUDE

    @post_load
    def _none_to_empty(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        # the API sends null for blank text fields; downstream code compares strings
        return {k: ("" if v is None and isinstance(self.fields.get(k), fields.String) else v) for k, v in data.items()}


class Ref(_Base):
    id = Id(required=True)


class ShopSchema(_Base):
    id = Id(required=True)
    name = _text()
    region = _text()
    seller_type = _text()
    cipher = fields.String(required=True)
    code = _text()


class AddressSchema(_Base):
    region_code = _text()
    state = _text()
    city = _text()
    distict = _text()  # (sic): the API's spelling
    town = _text()
    postal_code = _text()
    full_address = _text()
    address_line1 = _text()
    address_line2 = _text()
    address_line3 = _text()
    address_line4 = _text()
    contact_person = _text()
    phone_number = _text()


class WarehouseSchema(_Base):
    id = Id(required=True)
    name = _text()
    is_default = fields.Boolean(load_default=False, allow_none=True)
    effect_status = _text()
    type = _text()
    sub_type = _text()
    address = fields.Nested(AddressSchema, load_default=lambda: AddressSchema().load({}), allow_none=False)


def _first_field(messages: Any, prefix: str = "") -> tuple[str | None, str]:
    """The dotted path and text of the first error in marshmallow's nested ``messages``."""
    if isinstance(messages, Mapping) and messages:
        key, value = next(iter(messages.items()))
        name = f"{prefix}.{key}" if prefix else str(key)
        if key == "_schema":
            name = prefix
        field, text = _first_field(value, name)
        return field or None, text
    if isinstance(messages, list | tuple) and messages:
        return prefix or None, "; ".join(str(m) for m in messages)
    return prefix or None, str(messages)


def record_error(
    exc: ValidationError, raw: Any, *, kind: str, index: int, source: str, record: str | None = None
) -> RecordError:
    """Turn a validation failure into a RecordError naming the record and the first bad field."""
    rid = (raw.get("id") or raw.get("package_id")) if isinstance(raw, Mapping) else None
    label = record or (
        f"{kind} {rid}" if isinstance(rid, str | int) and not isinstance(rid, bool) else f"{kind} #{index}"
    )
    field, text = _first_field(exc.messages)
    return RecordError(text, record=label, field=field, source=source)
