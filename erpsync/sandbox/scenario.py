"""Load a scenario into a :class:`~erpsync.sandbox.world.World`.

The base format is documented in :mod:`erpsync.sandbox.state`; parsing is strict and every error
names the JSON location (``shops[0].warehouses[1]: ...``), because a scenario typo should fail at
start-up, not as a puzzling API answer later. Each part is read by the module for its job:
:mod:`scenario_access` (apps, tokens), :mod:`scenario_logistics` (carriers, regions, shops,
warehouses, delivery options), :mod:`scenario_trade` (orders, packages, products, audit rules).
Keys beyond the base format:

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

import json
from pathlib import Path
from typing import Any

from erpsync.sandbox.scenario_access import load_apps, load_token_settings
from erpsync.sandbox.scenario_logistics import load_delivery_options, load_geography, load_shops
from erpsync.sandbox.scenario_trade import load_audit_rules, load_orders, load_packages, load_products
from erpsync.sandbox.scenario_values import ScenarioError, parse_duration, parse_time, review_delay
from erpsync.sandbox.webhooks import check_loopback
from erpsync.sandbox.world import FLAGS, World

SCENARIO_DIR = Path(__file__).parent / "scenarios"


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
        review_delay_hours=review_delay(data.get("review_delay_hours", 4), "review_delay_hours"),
        seller_carrier_prefix=str(data.get("seller_carrier_prefix", "SF")),
        faults=dict(data.get("faults") or {}),
        clock_offset=offset,
    )
    load_apps(world, data, now)
    load_geography(world, data, now)
    load_shops(world, data, now)
    load_delivery_options(world, data)  # before the packages: a SEND_BY_SELLER option makes one SELLER-shipped
    load_orders(world, data, now)
    load_packages(world, data, now)
    load_token_settings(world, data)
    world.audit_delay_seconds = parse_duration(data.get("audit_delay_seconds", 300), "audit_delay_seconds")
    load_audit_rules(world, data)
    url = data.get("webhook_url")
    if url is not None:
        try:
            world.webhook_url = check_loopback(url)
        except ValueError as exc:
            raise ScenarioError(f"webhook_url: {exc}") from None
    load_products(world, data, now)
    for flag in FLAGS:
        value = data.get(flag, False)
        if not isinstance(value, bool):
            raise ScenarioError(f"{flag}: expected true or false, got {value!r}")
        setattr(world, flag, value)
    return world
