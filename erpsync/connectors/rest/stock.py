"""A SKU's stock as the rest ERP maps it: one ``inventory``, or a quantity per Seller Center warehouse.

Update Inventory requires every warehouse assigned to a SKU in each push (12019028 otherwise;
docs/listings.md, "Stock per warehouse"), so an ERP that stocks a SKU in several warehouses maps
``sku_fields.warehouse_stock`` to an object ``{"<warehouse id>": quantity}`` or a list of
``{"warehouse_id": …, "quantity": …}``. ``inventory`` is then their sum; mapped too, it must agree.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .records import FieldReader

__all__ = ["MAX_QUANTITY", "sku_stock"]

#: the Open API's limit on one warehouse's stock of a SKU (Update Inventory)
MAX_QUANTITY = 99_999
FIELD = "warehouse_stock"


def _entries(sku: FieldReader) -> list[tuple[Any, Any]]:
    value = sku.raw(FIELD)
    if value is None:
        return []
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list) and all(isinstance(v, dict) and {"warehouse_id", "quantity"} <= set(v) for v in value):
        return [(v["warehouse_id"], v["quantity"]) for v in value]
    raise sku.error(FIELD, "expected an object of warehouse id → quantity, or a list of {warehouse_id, quantity}")


def _quantity(sku: FieldReader, warehouse: str, value: Any) -> int:
    whole = (
        (isinstance(value, int) and not isinstance(value, bool))
        or (isinstance(value, str) and value.strip().isdigit() and value.strip().isascii())
        or (isinstance(value, Decimal) and value == value.to_integral_value())  # 5.0 in the JSON
    )
    if not whole or not 0 <= int(value) <= MAX_QUANTITY:
        shown = repr(value) if isinstance(value, str) else str(value)
        raise sku.error(FIELD, f"warehouse {warehouse}: quantity {shown} is not a whole number 0..{MAX_QUANTITY:,}")
    return int(value)


def sku_stock(sku: FieldReader) -> tuple[int, tuple[tuple[str, int], ...]]:
    """(inventory, warehouse_stock) of one SKU, as ``ErpSku`` takes them; a bad value is a RecordError."""
    per: dict[str, int] = {}
    for raw_id, value in _entries(sku) if sku.mapped(FIELD) else []:
        wid = str(raw_id).strip() if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else ""
        if not wid:
            raise sku.error(FIELD, f"warehouse id {raw_id!r} is not a text")
        if wid in per:
            raise sku.error(FIELD, f"warehouse {wid} is listed twice")
        per[wid] = _quantity(sku, wid, value)
    total = sum(per.values())
    if not sku.mapped("inventory"):
        if not per:
            raise sku.error(FIELD, "no warehouse listed (and inventory is not mapped)")
        return total, tuple(sorted(per.items()))
    inventory = sku.whole("inventory")
    if inventory < 0:
        raise sku.error("inventory", f"must be 0 or more, got {inventory}")
    if per and inventory != total:
        raise sku.error("inventory", f"{inventory} disagrees with warehouse_stock, whose sum is {total}")
    return inventory, tuple(sorted(per.items()))
