"""Plain records of the emulated world: apps, tokens, shops, warehouses, orders, packages, products.

Kept free of behaviour so that :mod:`state` (the lifecycle) and :mod:`api` (the wire shape)
each own one job. Times are Unix seconds on the *virtual* clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SUBSCRIPTION_STATUSES = ("not_subscribed", "pending_review", "active", "out_of_coverage", "cancelled")

ADDRESS_FIELDS = (
    "region_code",
    "state",
    "city",
    "distict",
    "town",
    "postal_code",
    "full_address",
    "address_line1",
    "address_line2",
    "address_line3",
    "address_line4",
    "contact_person",
    "phone_number",
)


#: Order statuses of the Open API (docs/open-api-full.md §3).
ORDER_STATUSES = (
    "UNPAID",
    "ON_HOLD",
    "AWAITING_SHIPMENT",
    "PARTIALLY_SHIPPING",
    "AWAITING_COLLECTION",
    "IN_TRANSIT",
    "DELIVERED",
    "COMPLETED",
    "CANCELLED",
)
#: Order statuses that mean "the seller already shipped".
SHIPPED_ORDER_STATUSES = ("AWAITING_COLLECTION", "IN_TRANSIT", "DELIVERED", "COMPLETED")


@dataclass
class Token:
    """An access token; times are REAL Unix seconds (the client signs with its real clock)."""

    access_token: str
    expires_at: int
    shop_ids: list[str]
    refresh_token: str | None = None
    refresh_expires_at: int | None = None
    #: Granted scope names (see auth.SCOPES); None = every scope.
    scopes: list[str] | None = None
    #: Set when a refresh replaced this access token: it then answers 105002.
    replaced: bool = False


@dataclass
class AuthCode:
    """A single-use authorisation code from ``/_sandbox/authorize`` (REAL-clock expiry)."""

    code: str
    app_key: str
    shop_id: str
    scopes: list[str] | None
    expires_at: int
    used: bool = False


@dataclass
class App:
    app_key: str
    app_secret: str
    tokens: dict[str, Token] = field(default_factory=dict)


@dataclass
class Carrier:
    prefix: str
    id: str
    name: str


@dataclass
class ProviderPeriod:
    """The pickup provider of a region from ``since`` (None = since forever)."""

    prefix: str
    since: int | None


@dataclass
class Region:
    """A pickup coverage area: one (state, city) and its providers over time."""

    state: str
    city: str
    providers: list[ProviderPeriod]

    def provider_at(self, when: int) -> str | None:
        """The provider prefix in charge at ``when``; the latest period that has started wins."""
        current: str | None = None
        for period in sorted(self.providers, key=lambda p: p.since if p.since is not None else -(2**62)):
            if period.since is None or period.since <= when:
                current = period.prefix
        return current


@dataclass
class Subscription:
    status: str
    requested_at: int | None = None
    reviewed_at: int | None = None
    cancelled_at: int | None = None
    #: Per-warehouse override of the scenario's review delay; ``...`` means "not overridden".
    review_delay_hours: Any = ...
    #: A pending review completes no earlier than this (set when its delay changes mid-review).
    review_not_before: int | None = None
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Warehouse:
    id: str
    shop_id: str
    name: str
    address: dict[str, str]
    subscription: Subscription
    is_default: bool = False
    #: Virtual time of the last Seller Center save through the admin API (None: not saved since load).
    saved_at: int | None = None
    effect_status: str = "ENABLED"
    type: str = "SALES_WAREHOUSE"
    sub_type: str = "CB_DIRECT_SHIPPING_WAREHOUSE"


@dataclass
class Shop:
    id: str
    name: str
    region: str
    seller_type: str
    cipher: str
    code: str


@dataclass
class Order:
    id: str
    shop_id: str
    status: str
    warehouse_id: str
    create_time: int
    update_time: int
    #: ``[{id, sku_id, seller_sku, product_id, product_name, sale_price, currency, package_id}]``, each in the
    #: package its ``package_id`` names (else the first); empty = one sample item per package.
    line_items: list[dict[str, Any]] = field(default_factory=list)
    recipient_address: dict[str, str] | None = None
    paid_time: int | None = None
    shipping_type: str = "TIKTOK"
    shipping_fee: str = "0.00"
    #: Has the order been ON_HOLD? Webhook 1 reports it as ``is_on_hold_order``.
    was_on_hold: bool = False
    #: Has a shipping-info update changed one of its packages? Only one is allowed per order.
    shipping_info_updated: bool = False
    #: Has the buyer asked to cancel it, the request not decided yet? ``is_buyer_request_cancel``.
    buyer_cancel_requested: bool = False

    def __post_init__(self) -> None:
        self.was_on_hold = self.was_on_hold or self.status == "ON_HOLD"


#: Get Package Detail's ``shipping_type``: TIKTOK (TikTok ships; the seller prints TikTok's label)
#: or SELLER (the seller ships, itself or through a third party)
SHIPPING_TYPES = ("TIKTOK", "SELLER")


@dataclass
class Package:
    id: str
    shop_id: str
    order_ids: list[str]
    handover_method: str
    tracking_number: str
    status: str
    create_time: int
    update_time: int
    shipping_type: str = "TIKTOK"
    #: Virtual time of the ship call (or of the scenario's shipped state); None = not shipped.
    shipped_at: int | None = None
    #: Explicit shipping provider (self-shipment, shipping-info update); None = derived from the tracking prefix.
    provider_id: str | None = None
    pickup_slot: dict[str, int] | None = None
    delivery_option_id: str | None = None


@dataclass
class DeliveryOption:
    id: str
    name: str
    type: str
    #: Warehouses offering this option; empty = every warehouse.
    warehouse_ids: list[str]
    providers: list[Carrier]
    #: delivered by TikTok: its shipping providers answer 21008117
    fulfilled_by_tiktok: bool = False


@dataclass
class AuditRule:
    """A product whose title (or description) contains ``contains`` (case-insensitive) fails audit."""

    title_contains: str | None
    description_contains: str | None
    reasons: list[str]
    suggestions: list[str]
    position: str = "product"


@dataclass
class Sku:
    id: str
    seller_sku: str
    amount: str
    currency: str
    inventory: dict[str, int]
    sales_attributes: list[Any] = field(default_factory=list)


@dataclass
class Product:
    id: str
    shop_id: str
    title: str
    description: str
    category_id: str
    main_images: list[str]
    skus: list[Sku]
    status: str
    audit_status: str
    create_time: int
    update_time: int
    brand_id: str | None = None
    product_attributes: list[Any] = field(default_factory=list)
    package_weight: dict[str, Any] = field(default_factory=dict)
    package_dimensions: dict[str, Any] | None = None
    #: Virtual time the current audit started (None when not auditing).
    audit_started_at: int | None = None
    audit_failed_reasons: list[dict[str, Any]] = field(default_factory=list)
    #: True once any audit passed: a later pass is PRODUCT_STATUS_CHANGED, not FIRST_PASS_REVIEW.
    approved_once: bool = False
    #: while a content edit of a live product is audited: the live values of the fields it
    #: changed, put back if the audit fails ("the existing product stays live and remains
    #: unchanged", Partial Edit Product); None otherwise
    live_content: dict[str, Any] | None = None
