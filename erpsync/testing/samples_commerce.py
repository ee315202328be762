"""The products, shipments and order statuses the contract suite seeds, and what the cases compare.

Like the warehouses, the samples carry what trips connectors in practice: Chinese titles and
attribute values, prices with two places as ``Decimal`` (a float price reads back as
``39.899999``), a product with two SKUs one of them out of stock, and Seller Center's ids of 18
and 19 digits, more than a 64-bit float holds exactly. Times are UTC, as Seller Center gives them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from erpsync.core.errors import RecordError
from erpsync.core.listings import ErpProduct, ErpSku
from erpsync.core.models import Records
from erpsync.core.orders import ErpOrderStatus
from erpsync.core.shipping import ErpShipment

#: the product fields a system may not keep, named in ``lacking_fields`` to be compared without
PRODUCT_OPTIONAL_FIELDS: tuple[str, ...] = ("description", "images", "attributes")

SAMPLE_PRODUCTS: tuple[ErpProduct, ...] = (
    ErpProduct(
        id="P-TEA-01",
        title="西湖龙井 明前特级 250g",
        description="明前采摘，铁罐装。",
        currency="CNY",
        skus=(ErpSku("TEA-LJ-250", Decimal("128.00"), 40),),
        images=("longjing-front.jpg", "longjing-tin.jpg"),
        attributes=(("产地", "杭州"), ("净含量", "250g")),
    ),
    ErpProduct(
        id="P-CUP-02",
        title="景德镇陶瓷茶杯",
        description="手绘青花，可用洗碗机。",
        currency="CNY",
        skus=(ErpSku("CUP-WHT-S", Decimal("39.90"), 120), ErpSku("CUP-BLU-L", Decimal("45.50"), 0)),
        images=("cup-white.jpg",),
        attributes=(("材质", "陶瓷"),),
    ),
    ErpProduct(
        id="P-PAD-03",
        title="竹制茶盘",
        description="",
        currency="CNY",
        skus=(ErpSku("PAD-BAMBOO-40", Decimal("88.00"), 7),),
    ),
)

#: the orders the samples name: awaiting shipment, cancelled, and one shipped
SAMPLE_ORDER_STATUSES: tuple[ErpOrderStatus, ...] = (
    ErpOrderStatus("576900000000000101", "AWAITING_SHIPMENT", datetime(2026, 3, 2, 8, 15, tzinfo=UTC)),
    ErpOrderStatus("576900000000000102", "CANCELLED", datetime(2026, 3, 2, 9, 40, 30, tzinfo=UTC)),
    ErpOrderStatus("576900000000000103", "AWAITING_COLLECTION", datetime(2026, 3, 1, 23, 5, tzinfo=UTC)),
)

#: parcels of the sample orders, sent from the sample warehouses' cities by two carriers
SAMPLE_SHIPMENTS: tuple[ErpShipment, ...] = (
    ErpShipment("SHP-DG-0001", "1154000000000000101", "576900000000000101", "SF1400000000101", "顺丰速运"),
    ErpShipment("SHP-YW-0002", "1154000000000000103", "576900000000000103", "YT7700000000103", "圆通速递"),
)

#: an order id no sample has: asked about, it is simply absent; written, recorded or refused by name
UNKNOWN_ORDER_ID = "576900000000009999"
#: the status and update time the write cases record over the first sample order
NEW_ORDER_STATUS: tuple[str, datetime] = ("IN_TRANSIT", datetime(2026, 3, 3, 6, 0, tzinfo=UTC))


def comparable_product(product: ErpProduct, lacking: Iterable[str] = ()) -> dict[str, Any]:
    """What the cases compare of a product: no ``source``, SKUs in seller_sku order, lacking fields out."""
    lacking = set(lacking)
    out: dict[str, Any] = {
        "id": product.id,
        "title": product.title,
        "currency": product.currency,
        "skus": sorted((s.seller_sku, s.price, s.inventory) for s in product.skus),
    }
    for name in PRODUCT_OPTIONAL_FIELDS:
        if name not in lacking:
            out[name] = getattr(product, name)
    return out


def comparable_shipment(shipment: ErpShipment) -> tuple[str, str, str, str, str]:
    """A shipment without ``source``."""
    s = shipment
    return (s.id, s.package_id, s.order_id, s.tracking_number, s.carrier)


def comparable_status(status: ErpOrderStatus) -> tuple[str, str, datetime | None]:
    """An order status without ``source``; aware times compare as instants, whatever their offset."""
    return (status.order_id, status.status, status.updated_at)


def commerce_problems(records: object, kind: type) -> list[str]:
    """Why ``records`` is not a ``Records`` of schema-valid products, shipments or order statuses."""
    if not isinstance(records, Records):
        return [f"expected Records, got {type(records).__name__}"]
    problems = [
        f"errors[{i}] is {type(e).__name__}, not RecordError"
        for i, e in enumerate(records.errors)
        if not isinstance(e, RecordError)
    ]
    for i, item in enumerate(records.items):
        if not isinstance(item, kind):
            problems.append(f"items[{i}] is {type(item).__name__}, not {kind.__name__}")
        elif isinstance(item, ErpProduct):
            problems += [f"items[{i}] ({item.id!r}): {p}" for p in _product_problems(item)]
        elif isinstance(item, ErpShipment):
            problems += [
                f"items[{i}]: {name} must be a str"
                for name in ("id", "package_id", "order_id", "tracking_number", "carrier")
                if not isinstance(getattr(item, name), str)
            ]
        elif isinstance(item, ErpOrderStatus):
            if not isinstance(item.order_id, str) or not isinstance(item.status, str):
                problems.append(f"items[{i}]: order_id and status must be str")
            if item.updated_at is not None and (
                not isinstance(item.updated_at, datetime) or item.updated_at.tzinfo is None
            ):
                problems.append(f"items[{i}]: updated_at must be an aware datetime or None")
    return problems


def _product_problems(p: ErpProduct) -> list[str]:
    problems = [
        f"{n} must be a str" for n in ("id", "title", "description", "currency") if not isinstance(getattr(p, n), str)
    ]
    if not isinstance(p.skus, tuple) or not p.skus:
        problems.append("skus must be a non-empty tuple")
    for sku in p.skus if isinstance(p.skus, tuple) else ():
        if not isinstance(sku, ErpSku):
            problems.append(f"a SKU is {type(sku).__name__}, not ErpSku")
            continue
        if not isinstance(sku.price, Decimal):
            problems.append(f"SKU {sku.seller_sku!r}: price must be a Decimal, not {type(sku.price).__name__}")
        if not isinstance(sku.inventory, int) or isinstance(sku.inventory, bool):
            problems.append(f"SKU {sku.seller_sku!r}: inventory must be an int")
    if not isinstance(p.images, tuple) or not all(isinstance(i, str) for i in p.images):
        problems.append("images must be a tuple of str")
    if not isinstance(p.attributes, tuple) or not all(
        isinstance(a, tuple) and len(a) == 2 and all(isinstance(v, str) for v in a) for a in p.attributes
    ):
        problems.append("attributes must be a tuple of (name, value) str pairs")
    return problems
