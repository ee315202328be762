"""A SKU's stock as the rest ERP maps it: one ``inventory``, or a quantity per Seller Center warehouse.

Update Inventory requires every warehouse assigned to a SKU in each push (12019028 otherwise;
docs/listings.md, "Stock per warehouse"), so an ERP that stocks a SKU in several warehouses maps
``sku_fields.warehouse_stock`` to an object ``{"<warehouse id>": quantity}`` or a list of
``{"warehouse_id": …, "quantity": …}``. ``inventory`` is then their sum; mapped too, it must agree.
"""

from __future__ import annotations

from typing import Any

from erpsync.core.listing_stock import MAX_QUANTITY, StockError, settle_stock, shown, warehouse_quantities

from .records import FieldReader

__all__ = ["sku_stock"]

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


def _pairs(sku: FieldReader) -> list[tuple[str, Any]]:
    """(warehouse id, quantity as given) in the ERP's order; the quantities are the core's to check."""
    pairs = []
    for raw_id, value in _entries(sku) if sku.mapped(FIELD) else []:
        wid = str(raw_id).strip() if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else ""
        if not wid:
            raise sku.error(FIELD, f"warehouse id {raw_id!r} is not a text")
        pairs.append((wid, value))
    return pairs


def _reason(exc: StockError) -> str:
    """The rest ERP's words for a broken stock rule (``core/listing_stock.py``)."""
    if exc.kind in ("not_whole", "over"):
        return f"warehouse {exc.warehouse}: quantity {shown(exc.value)} is not a whole number 0..{MAX_QUANTITY:,}"
    if exc.kind == "disagrees":
        return f"{exc.value} disagrees with warehouse_stock, whose sum is {exc.total}"
    return exc.reason


def sku_stock(sku: FieldReader) -> tuple[int, tuple[tuple[str, int], ...]]:
    """(inventory, warehouse_stock) of one SKU, as ``ErpSku`` takes them; a bad value is a RecordError."""
    pairs = _pairs(sku)
    try:
        per = warehouse_quantities(pairs)
        if not sku.mapped("inventory"):
            if not per:
                raise sku.error(FIELD, "no warehouse listed (and inventory is not mapped)")
            return settle_stock(per)
        inventory = sku.whole("inventory")
        if inventory < 0:
            raise sku.error("inventory", f"must be 0 or more, got {inventory}")
        return settle_stock(per, inventory) if per else (inventory, ())
    except StockError as exc:
        raise sku.error(exc.field, _reason(exc)) from None
