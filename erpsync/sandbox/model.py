"""Plain records of the emulated world: apps, tokens, shops, warehouses, orders, packages.

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


@dataclass
class Token:
    access_token: str
    expires_at: int
    shop_ids: list[str]


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
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Warehouse:
    id: str
    shop_id: str
    name: str
    address: dict[str, str]
    subscription: Subscription
    is_default: bool = False
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
