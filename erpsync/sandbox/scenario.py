"""Load a scenario (the format is documented in :mod:`erpsync.sandbox.state`) into records.

Parsing is strict and every error names the JSON location (``shops[0].warehouses[1]: ...``),
because a scenario typo should fail at start-up, not as a puzzling API answer later.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from erpsync.sandbox.model import (
    ADDRESS_FIELDS,
    ORDER_STATUSES,
    SHIPPED_ORDER_STATUSES,
    SUBSCRIPTION_STATUSES,
    App,
    AuditRule,
    AuthCode,
    Carrier,
    DeliveryOption,
    Order,
    Package,
    Product,
    ProviderPeriod,
    Region,
    Shop,
    Subscription,
    Token,
    Warehouse,
)

SCENARIO_DIR = Path(__file__).parent / "scenarios"
_RELATIVE = re.compile(r"^([+-])((?:\d+[dhms])+)$")
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


class ScenarioError(ValueError):
    """The scenario is invalid; the message names the location and the reason."""


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
    # commerce parts (loaded by scenario_commerce): tokens, products, delivery options, webhooks
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


#: The boolean wire switches: scenario keys and ``/_sandbox/settings`` fields (all default false).
FLAGS = ("errors_as_http_200", "rotate_refresh_tokens", "omit_retry_after", "webhook_omit_notification_id")


def resolve_source(source: str | Path | dict[str, Any]) -> dict[str, Any]:
    """Read a scenario from a dict, a file path, or a built-in name such as ``"demo"``."""
    if isinstance(source, dict):
        return json.loads(json.dumps(source))  # deep copy: reset must not see mutations
    path = Path(source)
    if not path.exists() and (SCENARIO_DIR / f"{source}.json").exists():
        path = SCENARIO_DIR / f"{source}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ScenarioError(f"{source}: no such scenario file or built-in scenario") from None
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a scenario must be a JSON object")
    return data


def parse_time(value: Any, now: float, where: str) -> int:
    """Scenario time (int, ISO-8601 with offset, ``"now"``, ``"-2d"``, ``"+1h30m"``) → Unix seconds."""
    if isinstance(value, bool):
        raise ScenarioError(f"{where}: expected a time, got {value!r}")
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        if value == "now":
            return int(now)
        match = _RELATIVE.match(value)
        if match:
            seconds = sum(int(n) * _UNITS[u] for n, u in re.findall(r"(\d+)([dhms])", match.group(2)))
            return int(now + seconds if match.group(1) == "+" else now - seconds)
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is None:
                raise ScenarioError(f"{where}: ISO time {value!r} needs an offset such as +08:00")
            return int(parsed.timestamp())
    raise ScenarioError(f"{where}: {value!r} is not a time (use Unix seconds, ISO-8601, 'now' or '-2d')")


def _req(obj: dict[str, Any], key: str, where: str, kind: type | tuple[type, ...] = str) -> Any:
    if key not in obj:
        raise ScenarioError(f"{where}: missing '{key}'")
    value = obj[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ScenarioError(f"{where}.{key}: expected {getattr(kind, '__name__', kind)}, got {value!r}")
    return value


def _delay(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ScenarioError(f"{where}: review_delay_hours must be a number >= 0 or null")
    return float(value)


def build_world(data: dict[str, Any], wall_now: float) -> World:
    """Validate ``data`` and resolve relative times against the virtual now at load time."""
    offset = 0.0
    if data.get("clock_start") is not None:
        offset = parse_time(data["clock_start"], wall_now, "clock_start") - wall_now
    now = wall_now + offset
    qps = data.get("rate_limit_qps", 50)
    if isinstance(qps, bool) or not isinstance(qps, int) or qps < 1:
        raise ScenarioError("rate_limit_qps: must be an integer >= 1")
    world = World(
        name=str(data.get("name", "unnamed")),
        rate_limit_qps=qps,
        review_delay_hours=_delay(data.get("review_delay_hours", 4), "review_delay_hours"),
        seller_carrier_prefix=str(data.get("seller_carrier_prefix", "SF")),
        faults=dict(data.get("faults") or {}),
        clock_offset=offset,
    )
    _load_apps(world, data, now)
    _load_geography(world, data, now)
    _load_shops(world, data, now)
    _load_orders(world, data, now)
    _load_packages(world, data, now)
    from erpsync.sandbox.scenario_commerce import load_commerce  # local: it imports this module

    load_commerce(world, data, now)
    for flag in FLAGS:
        value = data.get(flag, False)
        if not isinstance(value, bool):
            raise ScenarioError(f"{flag}: expected true or false, got {value!r}")
        setattr(world, flag, value)
    return world


def _load_apps(world: World, data: dict[str, Any], now: float) -> None:
    for i, raw in enumerate(_req(data, "apps", "scenario", list)):
        where = f"apps[{i}]"
        app = App(_req(raw, "app_key", where), _req(raw, "app_secret", where))
        for j, tok in enumerate(raw.get("tokens", [])):
            w = f"{where}.tokens[{j}]"
            scopes = tok.get("scopes")
            if scopes is not None and not (isinstance(scopes, list) and all(isinstance(x, str) for x in scopes)):
                raise ScenarioError(f"{w}.scopes: expected a list of scope names or null (= all)")
            refresh_expires = tok.get("refresh_expires_at", "+30d") if tok.get("refresh_token") else None
            token = Token(
                _req(tok, "access_token", w),
                parse_time(tok.get("expires_at", "+7d"), now, f"{w}.expires_at"),
                [str(s) for s in _req(tok, "shops", w, list)],
                refresh_token=tok.get("refresh_token"),
                refresh_expires_at=None
                if refresh_expires is None
                else parse_time(refresh_expires, now, f"{w}.refresh_expires_at"),
                scopes=scopes,
            )
            app.tokens[token.access_token] = token
        world.apps[app.app_key] = app


def _load_geography(world: World, data: dict[str, Any], now: float) -> None:
    for i, raw in enumerate(data.get("carriers", [])):
        where = f"carriers[{i}]"
        carrier = Carrier(_req(raw, "prefix", where), str(_req(raw, "id", where)), _req(raw, "name", where))
        world.carriers[carrier.prefix] = carrier
    for i, raw in enumerate(data.get("regions", [])):
        where = f"regions[{i}]"
        periods = []
        for j, p in enumerate(_req(raw, "providers", where, list)):
            since = p.get("since")
            periods.append(
                ProviderPeriod(
                    _req(p, "prefix", f"{where}.providers[{j}]"),
                    None if since is None else parse_time(since, now, f"{where}.providers[{j}].since"),
                )
            )
        world.regions.append(Region(_req(raw, "state", where), _req(raw, "city", where), periods))


def _load_shops(world: World, data: dict[str, Any], now: float) -> None:
    for i, raw in enumerate(_req(data, "shops", "scenario", list)):
        where = f"shops[{i}]"
        shop = Shop(
            str(_req(raw, "id", where)),
            _req(raw, "name", where),
            _req(raw, "region", where),
            raw.get("seller_type", "CROSS_BORDER"),
            _req(raw, "cipher", where),
            raw.get("code", ""),
        )
        world.shops[shop.id] = shop
        for j, wh in enumerate(raw.get("warehouses", [])):
            w = f"{where}.warehouses[{j}]"
            address = _req(wh, "address", w, dict)
            unknown = set(address) - set(ADDRESS_FIELDS)
            if unknown:
                raise ScenarioError(f"{w}.address: unknown fields {sorted(unknown)}")
            warehouse = Warehouse(
                id=str(_req(wh, "id", w)),
                shop_id=shop.id,
                name=_req(wh, "name", w),
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
    times = {}
    for key in ("requested_at", "reviewed_at", "cancelled_at"):
        value = raw.get(key)
        times[key] = None if value is None else parse_time(value, now, f"{where}.{key}")
    if status == "pending_review" and times["requested_at"] is None:
        times["requested_at"] = int(now)
    sub = Subscription(status=status, **times)
    if "review_delay_hours" in raw:
        sub.review_delay_hours = _delay(raw["review_delay_hours"], f"{where}.review_delay_hours")
    sub.history.append({"at": int(now), "status": status, "reason": "scenario"})
    return sub


def _load_orders(world: World, data: dict[str, Any], now: float) -> None:
    for i, raw in enumerate(data.get("orders", [])):
        where = f"orders[{i}]"
        wid = str(_req(raw, "warehouse_id", where))
        if wid not in world.warehouses:
            raise ScenarioError(f"{where}.warehouse_id: unknown warehouse {wid}")
        created = parse_time(raw.get("create_time", "now"), now, f"{where}.create_time")
        status = raw.get("status", "AWAITING_SHIPMENT")
        if status not in ORDER_STATUSES:
            raise ScenarioError(f"{where}.status: {status!r} is not one of {', '.join(ORDER_STATUSES)}")
        paid = raw.get("paid_time", None if status == "UNPAID" else created)
        order = Order(
            id=str(_req(raw, "id", where)),
            shop_id=world.warehouses[wid].shop_id,
            status=status,
            warehouse_id=wid,
            create_time=created,
            update_time=parse_time(raw.get("update_time", created), now, f"{where}.update_time"),
            line_items=list(raw.get("line_items", [])),
            recipient_address=raw.get("recipient_address"),
            paid_time=None if paid is None else parse_time(paid, now, f"{where}.paid_time"),
            shipping_type=raw.get("shipping_type", "TIKTOK"),
        )
        world.orders[order.id] = order


def _load_packages(world: World, data: dict[str, Any], now: float) -> None:
    for i, raw in enumerate(data.get("packages", [])):
        where = f"packages[{i}]"
        order_ids = [str(o) for o in _req(raw, "order_ids", where, list)]
        if not order_ids or any(o not in world.orders for o in order_ids):
            raise ScenarioError(f"{where}.order_ids: every package needs known orders, got {order_ids}")
        shops = {world.orders[o].shop_id for o in order_ids}
        if len(shops) != 1:
            raise ScenarioError(f"{where}.order_ids: orders belong to different shops")
        method = raw.get("handover_method", "DROP_OFF")
        if method not in ("PICKUP", "DROP_OFF"):
            raise ScenarioError(f"{where}.handover_method: must be PICKUP or DROP_OFF")
        created = parse_time(raw.get("create_time", "now"), now, f"{where}.create_time")
        package = Package(
            id=str(_req(raw, "id", where)),
            shop_id=shops.pop(),
            order_ids=order_ids,
            handover_method=method,
            tracking_number=str(raw.get("tracking_number", "")),
            status=raw.get("status", "PROCESSING"),
            create_time=created,
            update_time=parse_time(raw.get("update_time", created), now, f"{where}.update_time"),
            shipping_type=raw.get("shipping_type", "TIKTOK"),
            delivery_option_id=raw.get("delivery_option_id"),
        )
        shipped = raw.get("shipped_at")
        if shipped is not None:
            package.shipped_at = parse_time(shipped, now, f"{where}.shipped_at")
        elif package.status in ("FULFILLING", "COMPLETED") or any(
            world.orders[o].status in SHIPPED_ORDER_STATUSES for o in order_ids
        ):
            package.shipped_at = package.update_time  # shipped before the scenario starts
        world.packages[package.id] = package
