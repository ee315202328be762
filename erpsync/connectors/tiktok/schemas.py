"""Marshmallow schemas for the Open API payloads erpsync reads (``docs/open-api-slice.md``).

``client.py`` loads every record through these, one at a time, so a malformed record becomes a
``RecordError`` naming the record and the field while the rest of the page goes on. Unknown
fields are dropped (the API adds fields often); ids are strings even when the API sends numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load
from marshmallow.validate import OneOf

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


class PackageSummarySchema(_Base):
    """One entry of ``POST /fulfillment/202309/packages/search``."""

    id = Id(required=True)
    orders = fields.List(fields.Nested(Ref), load_default=list)
    status = _text()
    tracking_number = _text()
    shipping_provider_id = fields.Raw(load_default=None)
    create_time = fields.Integer(load_default=None, allow_none=True)
    update_time = fields.Integer(load_default=None, allow_none=True)


class PackageDetailSchema(_Base):
    """``GET /fulfillment/202309/packages/{id}``."""

    package_id = Id(load_default=None, allow_none=True)
    package_status = _text()
    handover_method = fields.String(load_default=None, allow_none=True, validate=OneOf(["PICKUP", "DROP_OFF", ""]))
    tracking_number = _text()
    shipping_type = _text()
    orders = fields.List(fields.Nested(Ref), load_default=list)
    create_time = fields.Integer(load_default=None, allow_none=True)
    update_time = fields.Integer(load_default=None, allow_none=True)


class OrderSchema(_Base):
    """One order of ``GET /order/202309/orders?ids=``; only what links a package to a warehouse."""

    id = Id(required=True)
    status = _text()
    warehouse_id = Id(load_default=None, allow_none=True)
    packages = fields.List(fields.Nested(Ref), load_default=list)
    create_time = fields.Integer(load_default=None, allow_none=True)
    update_time = fields.Integer(load_default=None, allow_none=True)


class HandoverSlotsSchema(_Base):
    """``GET /fulfillment/202309/packages/{id}/handover_time_slots``."""

    can_pickup = fields.Boolean(required=True)
    can_drop_off = fields.Boolean(required=True)
    pickup_slots = fields.List(fields.Raw(), load_default=list)


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


def load_one(
    schema: Schema, raw: Any, *, kind: str, source: str, index: int = 0, record: str | None = None
) -> dict[str, Any]:
    """Load one record or raise RecordError; ``record`` overrides the label (default ``kind id``)."""
    if not isinstance(raw, Mapping):
        label = record or f"{kind} #{index}"
        raise RecordError(f"expected an object, got {type(raw).__name__}", record=label, source=source)
    try:
        return dict(schema.load(raw))
    except ValidationError as exc:
        raise record_error(exc, raw, kind=kind, index=index, source=source, record=record) from None


def load_many(
    schema: Schema, items: Iterable[Any], *, kind: str, source: str
) -> tuple[list[dict[str, Any]], list[RecordError]]:
    """Load each record on its own: the good ones, and one RecordError per bad one."""
    good: list[dict[str, Any]] = []
    bad: list[RecordError] = []
    for index, raw in enumerate(items):
        try:
            good.append(load_one(schema, raw, kind=kind, source=source, index=index))
        except RecordError as err:
            bad.append(err)
    return good, bad
