"""Load what is sold and shipped: orders, packages, products and the rules that fail product audits."""

from __future__ import annotations

from typing import Any

from erpsync.sandbox.model import (
    ORDER_STATUSES,
    SHIPPED_ORDER_STATUSES,
    SHIPPING_TYPES,
    AuditRule,
    Order,
    Package,
    Product,
    Sku,
)
from erpsync.sandbox.scenario_values import ScenarioError, list_at, parse_time, required
from erpsync.sandbox.world import World


def load_orders(world: World, data: dict[str, Any], now: float) -> None:
    """``orders[]``, each in a known warehouse (which sets its shop)."""
    for i, raw in enumerate(data.get("orders", [])):
        where = f"orders[{i}]"
        wid = str(required(raw, "warehouse_id", where))
        if wid not in world.warehouses:
            raise ScenarioError(f"{where}.warehouse_id: unknown warehouse {wid}")
        created = parse_time(raw.get("create_time", "now"), now, f"{where}.create_time")
        status = raw.get("status", "AWAITING_SHIPMENT")
        if status not in ORDER_STATUSES:
            raise ScenarioError(f"{where}.status: {status!r} is not one of {', '.join(ORDER_STATUSES)}")
        paid = raw.get("paid_time", None if status == "UNPAID" else created)
        order = Order(
            id=str(required(raw, "id", where)),
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


def load_packages(world: World, data: dict[str, Any], now: float) -> None:
    """``packages[]``, each of known orders of one shop; a shipped one gets a ``shipped_at``."""
    for i, raw in enumerate(data.get("packages", [])):
        where = f"packages[{i}]"
        order_ids = [str(o) for o in required(raw, "order_ids", where, list)]
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
            id=str(required(raw, "id", where)),
            shop_id=shops.pop(),
            order_ids=order_ids,
            handover_method=method,
            tracking_number=str(raw.get("tracking_number", "")),
            status=raw.get("status", "PROCESSING"),
            create_time=created,
            update_time=parse_time(raw.get("update_time", created), now, f"{where}.update_time"),
            shipping_type=_shipping_type(world, raw, order_ids, where),
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


def _shipping_type(world: World, raw: dict[str, Any], order_ids: list[str], where: str) -> str:
    """Who ships the package (Get Package Detail's ``shipping_type``): as given; else SELLER when its
    explicit delivery option is SEND_BY_SELLER; else its first order's (TIKTOK unless it says)."""
    given = raw.get("shipping_type")
    if given is None:
        option = world.delivery_options.get(str(raw.get("delivery_option_id") or ""))
        given = "SELLER" if option is not None and option.type == "SEND_BY_SELLER" else None
    value = given or world.orders[order_ids[0]].shipping_type
    if value not in SHIPPING_TYPES:
        raise ScenarioError(f"{where}.shipping_type: must be one of {', '.join(SHIPPING_TYPES)}")
    return str(value)


def load_audit_rules(world: World, data: dict[str, Any]) -> None:
    """``audit_rules[]``: the first rule matching a submitted product fails its audit."""
    for i, raw in enumerate(list_at(data, "audit_rules")):
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


def load_products(world: World, data: dict[str, Any], now: float) -> None:
    """``products[]``, each in a known warehouse (which sets its shop), with at least one SKU."""
    for i, raw in enumerate(list_at(data, "products")):
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
