"""The REST ERP's items as erpsync's samples, and the mapping ``config/rest-erp.toml`` uses.

Shared by the rest connector's contract test and its end-to-end test: items are written in the
server's own shape (nested contact and address, a province code, variants), so every read goes
through the mapping's paths, paging and conversions.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from erpsync.core.listings import ErpProduct
from erpsync.core.models import HandoverMode, Warehouse
from erpsync.core.orders import ErpOrderStatus
from erpsync.core.shipping import ErpShipment

CONFIG = Path(__file__).resolve().parents[2] / "config" / "rest-erp.toml"
TOKEN = "rest-erp-test-token-0001"
PROVINCE_CODES = {"广东省": "CN-GD", "浙江省": "CN-ZJ", "江苏省": "CN-JS"}
WORDS = {HandoverMode.PICKUP: "collect", HandoverMode.DROP_OFF: "self"}


def erp_table() -> dict[str, Any]:
    """The ``[shops.erp]`` table of the worked example, without its type and base URL."""
    table = dict(tomllib.loads(CONFIG.read_text(encoding="utf-8"))["shops"][0]["erp"])
    for key in ("type", "base_url", "token"):
        table.pop(key)
    return table


def warehouse_item(w: Warehouse) -> dict[str, Any]:
    a = w.address
    return {
        "id": w.id,
        "name": w.name,
        "tiktok_warehouse_id": w.seller_warehouse_id,
        "contact": {"name": a.contact_person, "phone": a.phone},
        "address": {
            "country": a.region_code,
            "province": PROVINCE_CODES.get(a.state, a.state),
            "city": a.city,
            "district": a.district,
            "lines": [a.street],
            "zip": a.postal_code,
        },
        "logistics": {"handover": WORDS[w.handover_mode] if w.handover_mode else None},
    }


def product_item(p: ErpProduct, warehouse: str | None = None) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.title,
        "description": p.description,
        "currency": p.currency,
        "images": list(p.images),
        "attributes": dict(p.attributes),
        "warehouse": warehouse,
        "variants": [{"sku": s.seller_sku, "price": str(s.price), "stock": s.inventory} for s in p.skus],
    }


def shipment_item(s: ErpShipment, warehouse: str | None = None) -> dict[str, Any]:
    return {
        "id": s.id,
        "package": s.package_id,
        "order": s.order_id,
        "waybill": {"number": s.tracking_number, "carrier": s.carrier},
        "warehouse": warehouse,
    }


def order_item(o: ErpOrderStatus) -> dict[str, Any]:
    return {"id": o.order_id, "status": o.status, "updated": o.updated_at.isoformat() if o.updated_at else None}


def items(kind: str, records: Sequence[Any]) -> list[dict[str, Any]]:
    make = {"warehouses": warehouse_item, "products": product_item, "shipments": shipment_item, "orders": order_item}
    return [make[kind](r) for r in records]
