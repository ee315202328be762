"""Typed TikTok Shop webhook events: what ``receiver.WebhookReceiver`` hands on.

Shapes from the TikTok Shop Partner Center webhook guide, one page per type (public scrape,
2025-12): the envelope ``{type, tts_notification_id, shop_id, timestamp, data}`` and each type's
``data`` fields (schemas in ``schemas.py``). Where a page's example contradicts its own field
table, both forms are accepted (type 37); enumerations are kept as text, so a value the guide does
not list is never an error; fields the guide does not list are ignored. Unknown types are not
errors: they become :class:`UnknownEvent` (TikTok adds types).

``tts_notification_id`` is absent from some payloads (older ones, and independent SDKs' samples):
then the event's ``dedupe_key`` is ``sha256:`` and the digest of the raw body, so a redelivery of
the same bytes is still recognised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from typing import Any


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
