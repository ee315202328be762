"""Typed TikTok Shop webhook events, parsed from the raw body.

Shapes from the TikTok Shop Partner Center webhook guide, one page per type (public scrape,
2025-12): the envelope ``{type, tts_notification_id, shop_id, timestamp, data}`` and each type's
``data`` fields (schemas in ``webhook_schemas.py``). Where a page's example contradicts its own
field table, both forms are accepted (type 37); enumerations are kept as text, so a value the
guide does not list is never an error; fields the guide does not list are ignored.

``tts_notification_id`` is absent from some payloads (older ones, and independent SDKs' samples):
then the event's ``dedupe_key`` is ``sha256:`` and the digest of the raw body, so a redelivery of
the same bytes is still recognised.

A body comes from the internet, so parsing never crashes: anything that is not the documented
shape (not JSON, missing or mistyped fields, absurdly long strings, nesting deep enough to blow
the recursion limit) becomes a ``RecordError`` naming the notification and the field. Unknown
types are not errors: they become :class:`UnknownEvent` (TikTok adds types). Ids are strings even
when sent as JSON numbers (``product_id`` often is one): ``json`` keeps integers exact at any size
and a number with a fraction or exponent is refused as an id.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from typing import Any

from marshmallow import ValidationError

from erpsync.connectors.tiktok.schemas import record_error
from erpsync.connectors.tiktok.webhook_schemas import DATA_SCHEMAS, MAX_ID_CHARS, EnvelopeSchema
from erpsync.core.errors import RecordError

SOURCE = "TikTok webhook"
DIGEST_PREFIX = "sha256:"


class WebhookType(IntEnum):
    """The documented ``type`` numbers erpsync parses (webhook guide, one page each)."""

    ORDER_STATUS_CHANGE = 1
    RECIPIENT_ADDRESS_UPDATE = 3
    PACKAGE_UPDATE = 4
    PRODUCT_STATUS_CHANGE = 5
    SELLER_DEAUTHORIZATION = 6
    UPCOMING_AUTHORIZATION_EXPIRATION = 7
    CANCELLATION_STATUS_CHANGE = 11
    RETURN_STATUS_CHANGE = 12
    PRODUCT_INFORMATION_CHANGE = 15
    PRODUCT_AUDIT_STATUS_CHANGE = 37


@dataclass(frozen=True, kw_only=True)
class WebhookEvent:
    """The envelope. ``dedupe_key``: the notification id, else ``sha256:<digest of the raw body>``."""

    type: int
    shop_id: str
    timestamp: datetime
    notification_id: str | None
    dedupe_key: str

    @property
    def label(self) -> str:
        """How logs and errors name this notification."""
        return f"notification {self.dedupe_key}"


@dataclass(frozen=True, kw_only=True)
class OrderStatusChanged(WebhookEvent):
    """Type 1. ``status`` uses the Order API's words (CANCELLED); ``raw_status`` is the webhook's (CANCEL)."""

    order_id: str
    status: str
    raw_status: str
    is_on_hold_order: bool | None = None
    update_time: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class RecipientAddressUpdated(WebhookEvent):
    """Type 3: the buyer's shipping address of the order changed."""

    order_id: str
    update_time: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class PackageUpdated(WebhookEvent):
    """Type 4: packages combined, split, ...; ``packages`` maps each package id to its order ids."""

    sc_type: str = ""
    role_type: str = ""
    packages: dict[str, tuple[str, ...]] = field(default_factory=dict)
    update_time: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class ProductStatusChanged(WebhookEvent):
    """Type 5: PRODUCT_FIRST_PASS_REVIEW | PRODUCT_STATUS_CHANGED | PRODUCT_AUDIT_FAILURE."""

    product_id: str
    status: str
    suspended_reason: str = ""
    update_time: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class SellerDeauthorized(WebhookEvent):
    """Type 6: the seller removed the app; ``message`` is the platform's text naming the shop."""

    message: str = ""


@dataclass(frozen=True, kw_only=True)
class AuthorizationExpiring(WebhookEvent):
    """Type 7, daily from 30 days before the authorisation expires (``expiration_time``)."""

    expiration_time: datetime
    message: str = ""


@dataclass(frozen=True, kw_only=True)
class CancellationStatusChanged(WebhookEvent):
    """Type 11: ``cancellations_role`` (BUYER, SELLER, SYSTEM) started it; ``create_time`` is when."""

    order_id: str
    cancel_status: str
    cancel_id: str | None = None
    cancellations_role: str = ""
    create_time: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class ReturnStatusChanged(WebhookEvent):
    """Type 12: a return, refund or replacement request of the order changed status."""

    order_id: str
    return_status: str
    return_id: str | None = None
    return_type: str = ""
    return_role: str = ""
    create_time: datetime | None = None
    update_time: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class ProductInformationChanged(WebhookEvent):
    """Type 15: a live product's ``changed_fields`` (title, description, ..., others) took effect."""

    product_id: str
    change_source: str = ""
    changed_fields: tuple[str, ...] = ()
    update_time: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class ProductAuditStatusChanged(WebhookEvent):
    """Type 37. ``platform_statuses`` maps an integrated platform (TOKOPEDIA) to its audit status."""

    product_id: str
    audit_status: str
    pre_approved_reasons: tuple[str, ...] = ()
    platform_statuses: dict[str, str] = field(default_factory=dict)
    update_time: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class UnknownEvent(WebhookEvent):
    """A type erpsync does not parse; ``data`` as sent. The receiver keeps its raw body."""

    data: Any = None


EVENT_CLASSES: dict[int, type[WebhookEvent]] = {
    WebhookType.ORDER_STATUS_CHANGE: OrderStatusChanged,
    WebhookType.RECIPIENT_ADDRESS_UPDATE: RecipientAddressUpdated,
    WebhookType.PACKAGE_UPDATE: PackageUpdated,
    WebhookType.PRODUCT_STATUS_CHANGE: ProductStatusChanged,
    WebhookType.SELLER_DEAUTHORIZATION: SellerDeauthorized,
    WebhookType.UPCOMING_AUTHORIZATION_EXPIRATION: AuthorizationExpiring,
    WebhookType.CANCELLATION_STATUS_CHANGE: CancellationStatusChanged,
    WebhookType.RETURN_STATUS_CHANGE: ReturnStatusChanged,
    WebhookType.PRODUCT_INFORMATION_CHANGE: ProductInformationChanged,
    WebhookType.PRODUCT_AUDIT_STATUS_CHANGE: ProductAuditStatusChanged,
}


def body_key(raw_body: bytes) -> str:
    """The dedupe key of a body that carries no ``tts_notification_id``."""
    return DIGEST_PREFIX + hashlib.sha256(raw_body).hexdigest()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _label(raw: Mapping[str, Any], digest_key: str) -> str:
    nid = raw.get("tts_notification_id")
    if isinstance(nid, str | int) and not isinstance(nid, bool) and 0 < len(str(nid).strip()) <= MAX_ID_CHARS:
        return f"notification {str(nid).strip()}"
    return f"notification {digest_key}"


def parse_event(raw_body: bytes) -> WebhookEvent:
    """The typed event of one webhook body; RecordError naming the notification and the field."""
    digest_key = body_key(raw_body)
    try:
        raw = json.loads(raw_body, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        reason = str(exc)[:200] if not isinstance(exc, RecursionError) else "nested too deeply"
        raise RecordError(f"body is not JSON: {reason}", record=f"notification {digest_key}", source=SOURCE) from None
    if not isinstance(raw, Mapping):
        got = type(raw).__name__
        raise RecordError(f"expected a JSON object, got {got}", record=f"notification {digest_key}", source=SOURCE)
    label = _label(raw, digest_key)
    try:
        envelope = EnvelopeSchema().load(raw)
    except ValidationError as exc:
        raise record_error(exc, raw, kind="notification", index=0, source=SOURCE, record=label) from None
    nid = envelope["tts_notification_id"]
    base = {
        "type": envelope["type"],
        "shop_id": envelope["shop_id"],
        "timestamp": envelope["timestamp"],
        "notification_id": nid,
        "dedupe_key": nid or digest_key,
    }
    kind, data = envelope["type"], envelope["data"]
    schema = DATA_SCHEMAS.get(kind)
    if schema is None:
        return UnknownEvent(**base, data=data)
    if not isinstance(data, Mapping):
        got = "nothing" if data is None else type(data).__name__
        raise RecordError(f"expected an object, got {got}", record=label, field="data", source=SOURCE)
    try:
        fields_ = schema().load(data)
    except ValidationError as exc:
        wrapped = ValidationError({"data": exc.messages})
        raise record_error(wrapped, raw, kind="notification", index=0, source=SOURCE, record=label) from None
    return EVENT_CLASSES[kind](**base, **fields_)
