"""Typed TikTok Shop webhook events, parsed from the raw body (``docs/open-api-full.md`` §5).

A webhook body comes from the internet, so parsing never crashes: anything that is not the
documented shape (not JSON, missing or mistyped fields, absurdly long strings, nesting deep
enough to blow the recursion limit) becomes a ``RecordError`` naming the notification and the
field, which the receiver answers with HTTP 400. Unknown event types are not errors: they become
:class:`UnknownEvent`, because TikTok adds types and a 400 would only make it retry.

Ids are strings even when the platform sends JSON numbers (``product_id`` often is one). The body
is parsed with ``json``, which keeps integers exact at any size (a 19-digit id never passes
through a float), and numbers with a fraction or exponent are rejected as ids.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields
from marshmallow.validate import Length

from erpsync.connectors.tiktok.fulfillment_schemas import UnixTime
from erpsync.connectors.tiktok.schemas import Id, record_error
from erpsync.core.errors import RecordError

SOURCE = "TikTok webhook"
MAX_ID_CHARS = 64
MAX_TEXT_CHARS = 4000
MAX_LIST_ITEMS = 10_000

#: the platform says CANCEL in webhooks where the Order API says CANCELLED
ORDER_STATUS_ALIASES = {"CANCEL": "CANCELLED"}


@dataclass(frozen=True, kw_only=True)
class WebhookEvent:
    """What every notification carries (the envelope)."""

    notification_id: str
    type: int
    shop_id: str
    timestamp: datetime


@dataclass(frozen=True, kw_only=True)
class OrderStatusChanged(WebhookEvent):
    """Type 1. ``status`` uses the Order API's words; ``raw_status`` is what the webhook said."""

    order_id: str
    status: str
    raw_status: str
    update_time: datetime


@dataclass(frozen=True, kw_only=True)
class PackageUpdated(WebhookEvent):
    """Type 4: ``packages`` maps each package id to its order ids."""

    sc_type: str
    packages: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class ProductStatusChanged(WebhookEvent):
    """Type 5: PRODUCT_FIRST_PASS_REVIEW | PRODUCT_STATUS_CHANGED | PRODUCT_AUDIT_FAILURE."""

    product_id: str
    status: str
    update_time: datetime


@dataclass(frozen=True, kw_only=True)
class ProductAuditStatusChanged(WebhookEvent):
    """Type 37."""

    product_id: str
    status: str
    suggestions: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class SellerDeauthorized(WebhookEvent):
    """Type 6: the seller removed the app; calls for this shop will fail until re-authorised."""

    reason: str = ""


@dataclass(frozen=True, kw_only=True)
class AuthorizationExpiring(WebhookEvent):
    """Type 7, sent 30 days before the authorisation expires."""

    expiration_time: datetime


@dataclass(frozen=True, kw_only=True)
class UnknownEvent(WebhookEvent):
    """A type erpsync does not know yet; kept so it can be logged, never an error."""

    data: Any = None


# -- schemas -----------------------------------------------------------------------------------


class BoundedId(Id):
    """An id (string or integer) of at most 64 characters."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > MAX_ID_CHARS:
            raise ValidationError(f"id longer than {MAX_ID_CHARS} characters")
        return text


class EventType(fields.Integer):
    """The numeric type; a string of digits is accepted, a bool or a fraction is not."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> int:
        if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 6:
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1_000_000:
            raise ValidationError("not an event type (expected a small integer)")
        return value


def _text(required: bool = True) -> fields.String:
    if required:
        return fields.String(required=True, validate=Length(min=1, max=MAX_TEXT_CHARS))
    return fields.String(load_default="", allow_none=True, validate=Length(max=MAX_TEXT_CHARS))


class _Base(Schema):
    class Meta:
        unknown = EXCLUDE


class EnvelopeSchema(_Base):
    type = EventType(required=True)
    tts_notification_id = BoundedId(required=True)
    shop_id = BoundedId(required=True)
    timestamp = UnixTime(required=True)
    data = fields.Raw(load_default=None, allow_none=True)


class OrderStatusData(_Base):
    order_id = BoundedId(required=True)
    order_status = _text()
    update_time = UnixTime(required=True)


class PackageEntry(_Base):
    package_id = BoundedId(required=True)
    order_id_list = fields.List(BoundedId(), load_default=list, validate=Length(max=MAX_LIST_ITEMS))


class PackageUpdateData(_Base):
    sc_type = fields.Raw(load_default="", allow_none=True)
    package_list = fields.List(fields.Nested(PackageEntry), required=True, validate=Length(max=MAX_LIST_ITEMS))


class ProductStatusData(_Base):
    product_id = BoundedId(required=True)
    status = _text()
    update_time = UnixTime(required=True)


class ProductAuditData(_Base):
    product_id = BoundedId(required=True)
    status = _text()
    suggestions = fields.List(_text(), load_default=list, allow_none=True, validate=Length(max=MAX_LIST_ITEMS))


class DeauthorizationData(_Base):
    reason = _text(required=False)


class ExpiringData(_Base):
    expiration_time = UnixTime(required=True)


def _sc_type(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int) or len(str(value)) > MAX_ID_CHARS:
        raise ValidationError({"sc_type": ["not a short string or integer"]})
    return str(value)


def _build(kind: int, base: dict[str, Any], d: dict[str, Any]) -> WebhookEvent:
    if kind == 1:
        raw = d["order_status"]
        status = ORDER_STATUS_ALIASES.get(raw, raw)
        return OrderStatusChanged(
            **base, order_id=d["order_id"], status=status, raw_status=raw, update_time=d["update_time"]
        )
    if kind == 4:
        packages = {p["package_id"]: tuple(p["order_id_list"] or ()) for p in d["package_list"]}
        return PackageUpdated(**base, sc_type=_sc_type(d.get("sc_type")), packages=packages)
    if kind == 5:
        return ProductStatusChanged(
            **base, product_id=d["product_id"], status=d["status"], update_time=d["update_time"]
        )
    if kind == 37:
        suggestions = tuple(d.get("suggestions") or ())
        return ProductAuditStatusChanged(
            **base, product_id=d["product_id"], status=d["status"], suggestions=suggestions
        )
    if kind == 6:
        return SellerDeauthorized(**base, reason=d.get("reason") or "")
    if kind == 7:
        return AuthorizationExpiring(**base, expiration_time=d["expiration_time"])
    raise AssertionError(kind)  # pragma: no cover - DATA_SCHEMAS and this function list the same types


DATA_SCHEMAS: dict[int, type[Schema]] = {
    1: OrderStatusData,
    4: PackageUpdateData,
    5: ProductStatusData,
    6: DeauthorizationData,
    7: ExpiringData,
    37: ProductAuditData,
}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _label(raw: Mapping[str, Any]) -> str:
    nid = raw.get("tts_notification_id")
    if isinstance(nid, str | int) and not isinstance(nid, bool) and 0 < len(str(nid)) <= MAX_ID_CHARS:
        return f"notification {nid}"
    return "notification (no valid tts_notification_id)"


def parse_event(raw_body: bytes) -> WebhookEvent:
    """The typed event of one webhook body; RecordError naming the notification and the field."""
    try:
        raw = json.loads(raw_body, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        reason = str(exc)[:200] if not isinstance(exc, RecursionError) else "nested too deeply"
        raise RecordError(f"body is not JSON: {reason}", record="notification", source=SOURCE) from None
    if not isinstance(raw, Mapping):
        raise RecordError(f"expected a JSON object, got {type(raw).__name__}", record="notification", source=SOURCE)
    label = _label(raw)
    try:
        envelope = EnvelopeSchema().load(raw)
    except ValidationError as exc:
        raise record_error(exc, raw, kind="notification", index=0, source=SOURCE, record=label) from None
    base = {
        "notification_id": envelope["tts_notification_id"],
        "type": envelope["type"],
        "shop_id": envelope["shop_id"],
        "timestamp": envelope["timestamp"],
    }
    kind = envelope["type"]
    data = envelope["data"]
    schema = DATA_SCHEMAS.get(kind)
    if schema is None:
        return UnknownEvent(**base, data=data)
    if not isinstance(data, Mapping):
        got = "nothing" if data is None else type(data).__name__
        raise RecordError(f"expected an object, got {got}", record=label, field="data", source=SOURCE)
    try:
        return _build(kind, base, schema().load(data))
    except ValidationError as exc:
        wrapped = ValidationError({"data": exc.messages})
        raise record_error(wrapped, raw, kind="notification", index=0, source=SOURCE, record=label) from None
