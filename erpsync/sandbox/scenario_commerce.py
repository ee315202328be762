"""Load the commerce parts of a scenario: token settings, audit rules, delivery options, webhooks, products.

Kept apart from :mod:`scenario` (the pickup slice) so each loader stays small. Format:

.. code-block:: text

    access_token_ttl      duration (seconds or "7d", "12h30m"); lifetime of tokens issued by
                          /api/v2/token/get|refresh; default 7d
    refresh_token_ttl     duration; default 30d
    auth_code_ttl         duration; default 30m
    default_scopes        list of scope names granted by /_sandbox/authorize (auth.SCOPES); null = all
    audit_delay_seconds   int >= 0; product audits complete this long after submission (virtual clock); 300
    audit_rules[]         {title_contains?, description_contains?, reasons[], suggestions[], position?}:
                          the first rule matching (case-insensitive) fails the audit; otherwise it passes
    delivery_options[]    {id, name, type STANDARD|EXPRESS|ECONOMY|SEND_BY_SELLER, warehouse_ids[]? (all),
                           shipping_providers[]{id, name}}
    webhook_url           loopback URL to deliver webhooks to, or null
    products[]            {id, warehouse_id (sets the shop), title, description?, category_id?, status
                           (ACTIVATE), audit_status (APPROVED), create_time?, update_time?,
                           main_images[]? (uris), skus[]{id, seller_sku, price{amount, currency},
                           inventory[]{warehouse_id, quantity}}}
"""

from __future__ import annotations

import re
from typing import Any

from erpsync.sandbox.model import AuditRule, Carrier, DeliveryOption, Product, Sku
from erpsync.sandbox.scenario import ScenarioError, World, parse_time
from erpsync.sandbox.webhooks import check_loopback

_DURATION = re.compile(r"^(?:\d+[dhms])+$")
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
DELIVERY_TYPES = ("STANDARD", "EXPRESS", "ECONOMY", "SEND_BY_SELLER")


def parse_duration(value: Any, where: str) -> int:
    """Seconds from an int or a span such as ``"7d"`` / ``"1h30m"``."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and _DURATION.match(value):
        return sum(int(n) * _UNITS[u] for n, u in re.findall(r"(\d+)([dhms])", value))
    raise ScenarioError(f"{where}: {value!r} is not a duration (seconds, or '7d', '12h30m')")


def _list(data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key) or []
    if not isinstance(value, list):
        raise ScenarioError(f"{key}: expected a list")
    return value


def load_commerce(world: World, data: dict[str, Any], now: float) -> None:
    """Fill the commerce fields of ``world`` from ``data`` (strict; errors name the location)."""
    world.access_token_ttl = parse_duration(data.get("access_token_ttl", 7 * 86400), "access_token_ttl")
    world.refresh_token_ttl = parse_duration(data.get("refresh_token_ttl", 30 * 86400), "refresh_token_ttl")
    world.auth_code_ttl = parse_duration(data.get("auth_code_ttl", 1800), "auth_code_ttl")
    scopes = data.get("default_scopes")
    if scopes is not None and not (isinstance(scopes, list) and all(isinstance(s, str) for s in scopes)):
        raise ScenarioError("default_scopes: expected a list of scope names or null (= all)")
    world.default_scopes = scopes
    world.audit_delay_seconds = parse_duration(data.get("audit_delay_seconds", 300), "audit_delay_seconds")
    for i, raw in enumerate(_list(data, "audit_rules")):
        where = f"audit_rules[{i}]"
        if not raw.get("title_contains") and not raw.get("description_contains"):
            raise ScenarioError(f"{where}: needs title_contains or description_contains")
        world.audit_rules.append(
            AuditRule(
                raw.get("title_contains"),
                raw.get("description_contains"),
                [str(r) for r in raw.get("reasons", ["The listing violates platform policy"])],
                [str(s) for s in raw.get("suggestions", [])],
                str(raw.get("position", "product")),
            )
        )
    _load_delivery_options(world, data)
    url = data.get("webhook_url")
    if url is not None:
        try:
            world.webhook_url = check_loopback(url)
        except ValueError as exc:
            raise ScenarioError(f"webhook_url: {exc}") from None
    _load_products(world, data, now)


def _load_delivery_options(world: World, data: dict[str, Any]) -> None:
    for i, raw in enumerate(_list(data, "delivery_options")):
        where = f"delivery_options[{i}]"
        kind = raw.get("type", "STANDARD")
        if kind not in DELIVERY_TYPES:
            raise ScenarioError(f"{where}.type: must be one of {', '.join(DELIVERY_TYPES)}")
        warehouse_ids = [str(w) for w in raw.get("warehouse_ids", [])]
        unknown = [w for w in warehouse_ids if w not in world.warehouses]
        if unknown:
            raise ScenarioError(f"{where}.warehouse_ids: unknown warehouses {unknown}")
        providers = [Carrier("", str(p["id"]), str(p["name"])) for p in raw.get("shipping_providers", []) if "id" in p]
        option = DeliveryOption(str(raw.get("id", "")), str(raw.get("name", "")), kind, warehouse_ids, providers)
        if not option.id or not option.name:
            raise ScenarioError(f"{where}: id and name are required")
        world.delivery_options[option.id] = option


def _load_products(world: World, data: dict[str, Any], now: float) -> None:
    for i, raw in enumerate(_list(data, "products")):
        where = f"products[{i}]"
        wid = str(raw.get("warehouse_id", ""))
        if wid not in world.warehouses:
            raise ScenarioError(f"{where}.warehouse_id: unknown warehouse {wid!r}")
        created = parse_time(raw.get("create_time", "-10d"), now, f"{where}.create_time")
        skus = []
        for j, s in enumerate(raw.get("skus", [])):
            w = f"{where}.skus[{j}]"
            if "id" not in s or "seller_sku" not in s:
                raise ScenarioError(f"{w}: id and seller_sku are required")
            price = s.get("price", {})
            inventory = {str(x["warehouse_id"]): int(x["quantity"]) for x in s.get("inventory", [])}
            skus.append(
                Sku(
                    str(s["id"]),
                    str(s["seller_sku"]),
                    str(price.get("amount", "9.99")),
                    str(price.get("currency", "GBP")),
                    inventory or {wid: 0},
                )
            )
        if not skus:
            raise ScenarioError(f"{where}.skus: at least one sku is required")
        product = Product(
            id=str(raw.get("id", "")),
            shop_id=world.warehouses[wid].shop_id,
            title=str(raw.get("title", "")),
            description=str(raw.get("description", "")),
            category_id=str(raw.get("category_id", "600001")),
            main_images=[str(u) for u in raw.get("main_images", [])],
            skus=skus,
            status=str(raw.get("status", "ACTIVATE")),
            audit_status=str(raw.get("audit_status", "APPROVED")),
            create_time=created,
            update_time=parse_time(raw.get("update_time", created), now, f"{where}.update_time"),
            package_weight={"value": "0.5", "unit": "KILOGRAM"},
        )
        if not product.id or not product.title:
            raise ScenarioError(f"{where}: id and title are required")
        if product.audit_status == "AUDITING":
            product.audit_started_at = product.update_time
        product.approved_once = product.status == "ACTIVATE"
        world.products[product.id] = product
