"""Stock as the listings core plans it: one quantity for the configured warehouse, or one per warehouse.

A SKU without ``warehouse_stock`` keeps the shape every stored binding and pending push has (the
bare quantity, pushed to ``[aspects.listings] warehouse_id``); a SKU stocked per warehouse lists
every warehouse, since Update Inventory refuses a SKU that leaves one out (12019028,
docs/listings.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

__all__ = ["StockedSku", "sku_inventory", "stock_entries", "stock_text"]


class StockedSku(Protocol):
    """A SKU's stock as these functions read it (``ErpSku``)."""

    @property
    def inventory(self) -> int: ...

    @property
    def warehouse_stock(self) -> tuple[tuple[str, int], ...]: ...


class WarehouseSetting(Protocol):
    """The configured warehouse (``ListingMapping``)."""

    @property
    def warehouse_id(self) -> str: ...


def stock_text(sku: StockedSku) -> str:
    """A SKU's stock as kept in the bindings: the quantity, or ``wh=q;wh=q`` per warehouse.

    A SKU stocked in the configured warehouse keeps the bare quantity, the text every stored
    binding holds, so those are not pushed again; per warehouse the text names each, sorted.
    """
    if not sku.warehouse_stock:
        return str(sku.inventory)
    return ";".join([f"{wh}={q}" for wh, q in sku.warehouse_stock])


def sku_inventory(sku: StockedSku, mapping: WarehouseSetting) -> list[dict[str, Any]]:
    """``skus[].inventory`` of a body: every warehouse of the SKU (Update Inventory, 12019028)."""
    if sku.warehouse_stock:
        return [{"warehouse_id": wh, "quantity": q} for wh, q in sku.warehouse_stock]
    return [{"warehouse_id": mapping.warehouse_id, "quantity": sku.inventory}]


def stock_entries(
    stock: Mapping[str, str], by_warehouse: Mapping[str, StockedSku], sku_ids: Mapping[str, str]
) -> dict[str, dict[str, Any]]:
    """An inventory push's SKUs: ``quantity`` for the configured warehouse, else every warehouse.

    Update Inventory refuses a SKU that does not list every warehouse assigned to it
    (12019028), so a SKU stocked per warehouse sends all of them, changed or not.
    """
    skus: dict[str, dict[str, Any]] = {}
    for key in sorted(stock):
        sku = by_warehouse.get(key)
        if sku is None:
            skus[key] = {"id": sku_ids[key], "quantity": int(stock[key])}
        else:
            inventory = [{"warehouse_id": wh, "quantity": q} for wh, q in sku.warehouse_stock]
            skus[key] = {"id": sku_ids[key], "inventory": inventory}
    return skus
