"""The emulated Open API: the slice's handlers (docs/open-api-slice.md) and the whole route table.

Handlers run after :mod:`auth` has accepted the call and under the state lock; they only see
the caller's shop, as the real API does. The pickup subscription is never returned directly:
it shows only through ``handover_time_slots.can_pickup`` and the packages' labels. The commerce
handlers live in :mod:`products`, :mod:`orders` and :mod:`fulfillment`; their routes join here.

Versions: every path is the version the Partner Center API reference (public scrape, 2025-12)
documents: 202309, except product search (202502), partial edit (202509) and order detail (202507).
The superseded 202309 paths of those three are served too, by the same handlers: the live API
keeps a superseded version up for at least two months after a new one ships.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta, timezone
from typing import Any

from werkzeug.routing import Map, Rule

from erpsync.sandbox import carriers, fulfillment, orders, products
from erpsync.sandbox.call import Call, Handler
from erpsync.sandbox.envelope import BAD_REQUEST, NOT_OF_SHOP, SandboxError, parse_json_body
from erpsync.sandbox.model import Package
from erpsync.sandbox.state import SandboxState

__all__ = ["ROUTES", "URL_MAP", "Call", "Handler", "is_write", "template"]

MAX_PAGE_SIZE = 50
BEIJING = timezone(timedelta(hours=8))


def list_shops(call: Call) -> dict[str, Any]:
    shops = [call.state.world.shops[s] for s in call.caller.token.shop_ids if s in call.state.world.shops]
    return {
        "shops": [
            {
                "id": s.id,
                "name": s.name,
                "region": s.region,
                "seller_type": s.seller_type,
                "cipher": s.cipher,
                "code": s.code,
            }
            for s in shops
        ]
    }


def list_warehouses(call: Call) -> dict[str, Any]:
    shop = call.caller.shop
    assert shop is not None
    return {
        "warehouses": [
            {
                "id": w.id,
                "name": w.name,
                "is_default": w.is_default,
                "effect_status": w.effect_status,
                "type": w.type,
                "sub_type": w.sub_type,
                "address": dict(w.address),
            }
            for w in call.state.world.warehouses.values()
            if w.shop_id == shop.id
        ]
    }


def _int_field(body: dict[str, Any], key: str) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise SandboxError(400, BAD_REQUEST, f"Invalid params: {key} must be an integer (Unix seconds)")
    return value


def _encode_token(package: Package) -> str:
    return base64.urlsafe_b64encode(f"{package.create_time}:{package.id}".encode()).decode()


def _decode_token(token: str) -> tuple[int, str]:
    try:
        created, _, pid = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        return int(created), pid
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise SandboxError(400, BAD_REQUEST, "Invalid params: page_token is not one this API issued") from None


def search_packages(call: Call) -> dict[str, Any]:
    """Keyset paging over (create_time, id), so packages added mid-scan never shift a page."""
    raw_size = call.params.get("page_size", "")
    if not (raw_size.isascii() and raw_size.isdigit()) or not 1 <= int(raw_size) <= MAX_PAGE_SIZE:
        raise SandboxError(400, BAD_REQUEST, f"Invalid params: page_size must be 1..{MAX_PAGE_SIZE}")
    size = int(raw_size)
    body = parse_json_body(call.request.get_data(cache=True))
    bounds = {k: _int_field(body, k) for k in ("create_time_ge", "create_time_lt", "update_time_ge", "update_time_lt")}
    status = body.get("package_status")
    shop = call.caller.shop
    assert shop is not None

    def keep(p: Package) -> bool:
        return (
            p.shop_id == shop.id
            and (status is None or p.status == status)
            and (bounds["create_time_ge"] is None or p.create_time >= bounds["create_time_ge"])
            and (bounds["create_time_lt"] is None or p.create_time < bounds["create_time_lt"])
            and (bounds["update_time_ge"] is None or p.update_time >= bounds["update_time_ge"])
            and (bounds["update_time_lt"] is None or p.update_time < bounds["update_time_lt"])
        )

    matching = sorted(filter(keep, call.state.world.packages.values()), key=lambda p: (p.create_time, p.id))
    start = 0
    if call.params.get("page_token"):
        after = _decode_token(call.params["page_token"])
        start = next((i for i, p in enumerate(matching) if (p.create_time, p.id) > after), len(matching))
    page = matching[start : start + size]
    more = start + size < len(matching)
    return {
        "packages": [_package_summary(call.state, p) for p in page],
        "next_page_token": _encode_token(page[-1]) if more else "",
        "total_count": len(matching),
    }


def _package_summary(state: SandboxState, p: Package) -> dict[str, Any]:
    provider_id, provider_name = carriers.of_package(state.world, p)
    return {
        "id": p.id,
        "orders": [{"id": o} for o in p.order_ids],
        "status": p.status,
        "tracking_number": p.tracking_number,
        "shipping_provider_id": provider_id,
        "shipping_provider_name": provider_name,
        "create_time": p.create_time,
        "update_time": p.update_time,
    }


def _own_package(call: Call) -> Package:
    """The caller's package, else 404/21011028. Get Package Detail and Get Package Handover Time Slots
    document no code for a package of another shop (Partner Center API reference, their error code
    lists): the sandbox answers as Ship Package does, 21011028 (a guess)."""
    package = call.state.world.packages.get(call.values["package_id"])
    shop = call.caller.shop
    if package is None or shop is None or package.shop_id != shop.id:
        raise SandboxError(
            404, NOT_OF_SHOP, f"The package does not belong to the current shop: {call.values['package_id']}"
        )
    return package


def package_detail(call: Call) -> dict[str, Any]:
    p = _own_package(call)
    warehouse = call.state.package_warehouse(p)
    provider_id, provider_name = carriers.of_package(call.state.world, p)
    return {
        "package_id": p.id,
        "package_status": p.status,
        "handover_method": p.handover_method,
        "tracking_number": p.tracking_number,
        "shipping_provider_id": provider_id,
        "shipping_provider_name": provider_name,
        "shipping_type": p.shipping_type,
        "delivery_option_id": carriers.option_of(call.state.world, p, warehouse.id if warehouse else None),
        "pickup_slot": dict(p.pickup_slot) if p.pickup_slot else None,
        "orders": [{"id": o} for o in p.order_ids],
        "create_time": p.create_time,
        "update_time": p.update_time,
        "sender_address": dict(warehouse.address) if warehouse else {},
    }


def handover_time_slots(call: Call) -> dict[str, Any]:
    """``can_pickup`` mirrors the warehouse's subscription: the only API signal of it."""
    p = _own_package(call)
    warehouse = call.state.package_warehouse(p)
    can_pickup = warehouse is not None and call.state.can_pickup(warehouse.id)
    return {
        "can_pickup": can_pickup,
        "can_drop_off": True,
        "pickup_slots": _pickup_slots(call.state.now()) if can_pickup else [],
    }


def _pickup_slots(now: int) -> list[dict[str, Any]]:
    """Next three days of driver rounds (Beijing time); weekends have the morning round only."""
    today = datetime.fromtimestamp(now, BEIJING).replace(hour=0, minute=0, second=0, microsecond=0)
    slots = []
    for day in range(1, 4):
        date = today + timedelta(days=day)
        rounds = [(9, 12)] if date.weekday() >= 5 else [(9, 12), (14, 18)]
        for start, end in rounds:
            slots.append(
                {
                    "start_time": int((date + timedelta(hours=start)).timestamp()),
                    "end_time": int((date + timedelta(hours=end)).timestamp()),
                    "avaliable": True,
                }
            )
    return slots


#: (rule, method, handler, no shop_cipher?) — the whole emulated surface. The last flag marks the
#: paths that must NOT carry ``shop_cipher`` (/authorization, uploads); scopes: see auth.SCOPES.
ROUTES: list[tuple[str, str, Handler, bool]] = [
    ("/authorization/202309/shops", "GET", list_shops, True),
    ("/logistics/202309/warehouses", "GET", list_warehouses, False),
    ("/fulfillment/202309/packages/search", "POST", search_packages, False),
    ("/fulfillment/202309/packages/<package_id>", "GET", package_detail, False),
    ("/fulfillment/202309/packages/<package_id>/handover_time_slots", "GET", handover_time_slots, False),
    *orders.ROUTES,
    *fulfillment.ROUTES,
    *products.ROUTES,
]

URL_MAP = Map([Rule(path, methods=[method], endpoint=index) for index, (path, method, _, _) in enumerate(ROUTES)])


def is_write(rule_path: str, method: str) -> bool:
    """A POST that changes state: every POST but the searches (faults.py's commit faults hit these)."""
    return method == "POST" and not rule_path.endswith("/search")


def template(rule_path: str) -> str:
    """``/x/<package_id>`` → ``/x/{package_id}``: the key for rate limits and counts."""
    return rule_path.replace("<", "{").replace(">", "}")
