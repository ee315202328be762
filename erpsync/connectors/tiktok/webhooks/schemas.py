"""Marshmallow schemas of the webhook envelope and of each type's ``data`` (events in ``models.py``).

Each ``data`` schema loads into the keyword arguments of its event class. Sources: the TikTok
Shop Partner Center webhook guide, one page per type (public scrape, 2025-12); the quirks below
are the guide's own:

- type 1 sends ``order_status: CANCEL`` where the Order API says ``CANCELLED`` (mapped, both kept);
- type 5's example and type 37's table give ``product_id`` as a JSON number;
- type 7's ``expiration_time`` is a Unix time sent as a string;
- type 37's table says ``audit.pre_approved_reasons: []string`` and ``integrated_platform_statuses``
  is an object of ``{platform, status}``, read by the table's nesting as a list; its example
  sends ``audit.pre_approved_reason`` (singular, one string) and one object. Both are accepted.

Every text and list is bounded, so a hostile body cannot make erpsync hold huge values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load
from marshmallow.validate import Length

from erpsync.connectors.tiktok.fields import Base, Id, UnixTime, text

MAX_ID_CHARS = 64
MAX_TEXT_CHARS = 4000
MAX_LIST_ITEMS = 10_000

#: the platform says CANCEL in webhooks where the Order API says CANCELLED (type 1 page, status list)
ORDER_STATUS_ALIASES = {"CANCEL": "CANCELLED"}


class BoundedId(Id):
    """An id (string or integer) of at most 64 characters."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > MAX_ID_CHARS:
            raise ValidationError(f"id longer than {MAX_ID_CHARS} characters")
        return text


class OptionalBoundedId(BoundedId):
    """An id that may be missing, null or blank (→ None)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(load_default=None, allow_none=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return super()._deserialize(value, attr, data, **kwargs)


class EventType(fields.Integer):
    """The numeric type; a string of digits is accepted, a bool or a fraction is not."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> int:
        if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 6:
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1_000_000:
            raise ValidationError("not an event type (expected a small integer)")
        return value


class Code(fields.Field):
    """A short enumeration value; text, or an integer kept as text (an unknown value is no error)."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int) or len(str(value)) > MAX_ID_CHARS:
            raise ValidationError("not a short string or integer")
        return str(value).strip()


class OneOrMany(fields.List):
    """A list, or one item sent without its list (type 37's example does that)."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        return super()._deserialize(value if isinstance(value, list) else [value], attr, data, **kwargs)


def _required_code(**kwargs: Any) -> Code:
    return Code(required=True, validate=Length(min=1), **kwargs)


def _code() -> Code:
    return Code(load_default="", allow_none=True)


def _bounded_text() -> fields.String:
    return text(validate=Length(max=MAX_TEXT_CHARS))


def _time() -> UnixTime:
    return UnixTime(load_default=None, allow_none=True)


def _codes(*, one_or_many: bool = False, **kwargs: Any) -> fields.List:
    cls = OneOrMany if one_or_many else fields.List
    return cls(Code(allow_none=True), load_default=list, allow_none=True, validate=Length(max=MAX_LIST_ITEMS), **kwargs)


class _Data(Base):
    """A webhook record loaded into keyword arguments (no dataclass of its own): blanks normalised once."""

    @post_load
    def _blanks(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        # null text means blank; null lists mean empty; lists of codes become tuples without blanks
        out: dict[str, Any] = {}
        for key, value in data.items():
            declared = self.fields.get(key)
            if value is None and isinstance(declared, fields.String | Code):
                value = ""
            elif isinstance(declared, fields.List) and isinstance(declared.inner, Code):
                value = tuple(v for v in (value or ()) if v)
            out[key] = value
        return out


class EnvelopeSchema(_Data):
    type = EventType(required=True)
    tts_notification_id = OptionalBoundedId()
    shop_id = BoundedId(required=True)
    timestamp = UnixTime(required=True)
    data = fields.Raw(load_default=None, allow_none=True)


class OrderStatusData(_Data):
    order_id = BoundedId(required=True)
    raw_status = _required_code(data_key="order_status")
    is_on_hold_order = fields.Boolean(load_default=None, allow_none=True)
    update_time = _time()

    @post_load
    def _status(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return {**data, "status": ORDER_STATUS_ALIASES.get(data["raw_status"], data["raw_status"])}


class RecipientAddressData(_Data):
    order_id = BoundedId(required=True)
    update_time = _time()


class PackageEntry(_Data):
    package_id = BoundedId(required=True)
    order_id_list = fields.List(BoundedId(), load_default=list, allow_none=True, validate=Length(max=MAX_LIST_ITEMS))


class PackageUpdateData(_Data):
    sc_type = _code()
    role_type = _code()
    package_list = fields.List(fields.Nested(PackageEntry), required=True, validate=Length(max=MAX_LIST_ITEMS))
    update_time = _time()

    @post_load
    def _packages(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        entries = data.pop("package_list")
        return {**data, "packages": {p["package_id"]: tuple(p["order_id_list"] or ()) for p in entries}}


class ProductStatusData(_Data):
    product_id = BoundedId(required=True)
    status = _required_code()
    suspended_reason = _bounded_text()
    update_time = _time()


class DeauthorizationData(_Data):
    message = _bounded_text()


class ExpiringData(_Data):
    message = _bounded_text()
    expiration_time = UnixTime(required=True)  # a string of digits on the guide's page; an integer also


class CancellationData(_Data):
    order_id = BoundedId(required=True)
    cancel_status = _required_code()
    cancel_id = OptionalBoundedId()
    cancellations_role = _code()
    create_time = _time()


class ReturnData(_Data):
    order_id = BoundedId(required=True)
    return_status = _required_code()
    return_id = OptionalBoundedId()
    return_type = _code()
    return_role = _code()
    create_time = _time()
    update_time = _time()


class ProductInformationData(_Data):
    product_id = BoundedId(required=True)
    change_source = _code()
    changed_fields = _codes()
    update_time = _time()


class AuditData(_Data):
    status = _required_code()
    pre_approved_reasons = _codes(one_or_many=True)
    pre_approved_reason = _codes(one_or_many=True)  # the guide's example: singular, one string


class PlatformStatus(_Data):
    platform = Code(required=True, validate=Length(min=1))
    status = _code()


class ProductAuditData(_Data):
    product_id = BoundedId(required=True)
    audit = fields.Nested(AuditData, required=True)
    integrated_platform_statuses = OneOrMany(
        fields.Nested(PlatformStatus), load_default=list, allow_none=True, validate=Length(max=MAX_LIST_ITEMS)
    )
    update_time = _time()

    @post_load
    def _flatten(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        audit = data["audit"]
        reasons = dict.fromkeys((*audit["pre_approved_reasons"], *audit["pre_approved_reason"]))
        platforms = {p["platform"]: p["status"] for p in data["integrated_platform_statuses"] or ()}
        return {
            "product_id": data["product_id"],
            "audit_status": audit["status"],
            "pre_approved_reasons": tuple(reasons),
            "platform_statuses": platforms,
            "update_time": data["update_time"],
        }


#: type → the schema of its ``data`` (``models.EVENT_CLASSES`` lists the same types)
DATA_SCHEMAS: dict[int, type[Schema]] = {
    1: OrderStatusData,
    3: RecipientAddressData,
    4: PackageUpdateData,
    5: ProductStatusData,
    6: DeauthorizationData,
    7: ExpiringData,
    11: CancellationData,
    12: ReturnData,
    15: ProductInformationData,
    37: ProductAuditData,
}
