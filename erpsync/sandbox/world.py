"""The world a scenario defines, as the loaders build it and the state mutates it.

Kept apart from the loaders (:mod:`scenario` and the ``scenario_*`` modules) so every loader, the
state and the admin routes share one type without importing one another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from erpsync.sandbox.model import (
    App,
    AuditRule,
    AuthCode,
    Carrier,
    DeliveryOption,
    Order,
    Package,
    Product,
    Region,
    Shop,
    Warehouse,
)

#: The boolean wire switches: scenario keys and ``/_sandbox/settings`` fields (all default false).
FLAGS = ("errors_as_http_200", "rotate_refresh_tokens", "omit_retry_after", "webhook_omit_notification_id")


@dataclass
class World:
    """Everything a scenario defines, resolved to records with absolute virtual times."""

    name: str
    rate_limit_qps: int
    review_delay_hours: float | None
    seller_carrier_prefix: str
    faults: dict[str, Any]
    clock_offset: float
    apps: dict[str, App] = field(default_factory=dict)
    carriers: dict[str, Carrier] = field(default_factory=dict)
    regions: list[Region] = field(default_factory=list)
    shops: dict[str, Shop] = field(default_factory=dict)
    warehouses: dict[str, Warehouse] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    packages: dict[str, Package] = field(default_factory=dict)
    access_token_ttl: int = 7 * 86400
    refresh_token_ttl: int = 30 * 86400
    auth_code_ttl: int = 1800
    default_scopes: list[str] | None = None
    auth_codes: dict[str, AuthCode] = field(default_factory=dict)
    audit_delay_seconds: int = 300
    audit_rules: list[AuditRule] = field(default_factory=list)
    delivery_options: dict[str, DeliveryOption] = field(default_factory=dict)
    webhook_url: str | None = None
    products: dict[str, Product] = field(default_factory=dict)
    #: uri → {app_key, use_case, width, height, size}: images uploaded through the API.
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)
    # wire behaviour switches (scenario keys of the same name; POST /_sandbox/settings changes them)
    errors_as_http_200: bool = False
    rotate_refresh_tokens: bool = False
    omit_retry_after: bool = False
    webhook_omit_notification_id: bool = False
