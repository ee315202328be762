"""Load where goods leave from: carriers, pickup regions, shops and their warehouses, delivery options."""

from __future__ import annotations

from typing import Any

from erpsync.sandbox.model import (
    ADDRESS_FIELDS,
    SUBSCRIPTION_STATUSES,
    Carrier,
    DeliveryOption,
    ProviderPeriod,
    Region,
    Shop,
    Subscription,
    Warehouse,
)
from erpsync.sandbox.scenario_values import ScenarioError, list_at, parse_time, required, review_delay
from erpsync.sandbox.world import World

DELIVERY_TYPES = ("STANDARD", "EXPRESS", "ECONOMY", "SEND_BY_SELLER")


def load_geography(world: World, data: dict[str, Any], now: float) -> None:
    """``carriers[]`` (waybill prefix → provider) and ``regions[]`` (pickup coverage over time)."""
    for i, raw in enumerate(data.get("carriers", [])):
        where = f"carriers[{i}]"
        carrier = Carrier(required(raw, "prefix", where), str(required(raw, "id", where)), required(raw, "name", where))
        world.carriers[carrier.prefix] = carrier
    for i, raw in enumerate(data.get("regions", [])):
        where = f"regions[{i}]"
        periods = []
        for j, p in enumerate(required(raw, "providers", where, list)):
            since = p.get("since")
            periods.append(
                ProviderPeriod(
                    required(p, "prefix", f"{where}.providers[{j}]"),
                    None if since is None else parse_time(since, now, f"{where}.providers[{j}].since"),
                )
            )
        world.regions.append(Region(required(raw, "state", where), required(raw, "city", where), periods))


def load_shops(world: World, data: dict[str, Any], now: float) -> None:
    """``shops[]`` with their warehouses and each warehouse's pickup subscription."""
    for i, raw in enumerate(required(data, "shops", "scenario", list)):
        where = f"shops[{i}]"
        shop = Shop(
            str(required(raw, "id", where)),
            required(raw, "name", where),
            required(raw, "region", where),
            raw.get("seller_type", "CROSS_BORDER"),
            required(raw, "cipher", where),
            raw.get("code", ""),
        )
        world.shops[shop.id] = shop
        for j, wh in enumerate(raw.get("warehouses", [])):
            w = f"{where}.warehouses[{j}]"
            address = required(wh, "address", w, dict)
            unknown = set(address) - set(ADDRESS_FIELDS)
            if unknown:
                raise ScenarioError(f"{w}.address: unknown fields {sorted(unknown)}")
            warehouse = Warehouse(
                id=str(required(wh, "id", w)),
                shop_id=shop.id,
                name=required(wh, "name", w),
                address={k: str(address.get(k, "")) for k in ADDRESS_FIELDS},
                subscription=_subscription(wh.get("subscription") or {}, now, f"{w}.subscription"),
                is_default=bool(wh.get("is_default", False)),
                effect_status=wh.get("effect_status", "ENABLED"),
                type=wh.get("type", "SALES_WAREHOUSE"),
                sub_type=wh.get("sub_type", "CB_DIRECT_SHIPPING_WAREHOUSE"),
            )
            if warehouse.id in world.warehouses:
                raise ScenarioError(f"{w}.id: duplicate warehouse id {warehouse.id}")
            world.warehouses[warehouse.id] = warehouse


def _subscription(raw: dict[str, Any], now: float, where: str) -> Subscription:
    status = raw.get("status", "not_subscribed")
    if status not in SUBSCRIPTION_STATUSES:
        raise ScenarioError(f"{where}.status: {status!r} is not one of {', '.join(SUBSCRIPTION_STATUSES)}")
    times: dict[str, int | None] = {}
    for key in ("requested_at", "reviewed_at", "cancelled_at"):
        value = raw.get(key)
        times[key] = None if value is None else parse_time(value, now, f"{where}.{key}")
    if status == "pending_review" and times["requested_at"] is None:
        times["requested_at"] = int(now)
    sub = Subscription(
        status=status,
        requested_at=times["requested_at"],
        reviewed_at=times["reviewed_at"],
        cancelled_at=times["cancelled_at"],
    )
    if "review_delay_hours" in raw:
        sub.review_delay_hours = review_delay(raw["review_delay_hours"], f"{where}.review_delay_hours")
    sub.history.append({"at": int(now), "status": status, "reason": "scenario"})
    return sub


def load_delivery_options(world: World, data: dict[str, Any]) -> None:
    """``delivery_options[]``, each limited to known warehouses (none listed = all)."""
    for i, raw in enumerate(list_at(data, "delivery_options")):
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
        option.fulfilled_by_tiktok = bool(raw.get("fulfilled_by_tiktok", False))
        if option.fulfilled_by_tiktok and providers:
            raise ScenarioError(f"{where}: an option fulfilled by TikTok has no shipping_providers")
        if not option.id or not option.name:
            raise ScenarioError(f"{where}: id and name are required")
        world.delivery_options[option.id] = option
