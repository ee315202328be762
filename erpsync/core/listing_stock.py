"""Stock as the listings core plans it: one quantity for the configured warehouse, or one per warehouse.

A SKU without ``warehouse_stock`` is pushed to ``[aspects.listings] warehouse_id`` (an Update
Inventory entry with ``quantity``, the shape every pending push has); a SKU stocked per warehouse
lists every warehouse, since Update Inventory refuses a SKU that leaves one out (12019028,
docs/listings.md). Either way the text kept in the bindings names the warehouses, so a changed
``warehouse_id`` pushes the stock to the new one.

The rules an ERP's stock must meet are kept here once (:func:`warehouse_quantities`,
:func:`settle_stock`), on plain data: each ERP connector reads its own shape (a CSV cell, a JSON
object, a REST object or list) into (warehouse id, quantity) pairs and turns a
:class:`StockError` into its own record error, naming the file and line or the record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any, Protocol

__all__ = [
    "MAX_QUANTITY",
    "StockError",
    "StockedSku",
    "settle_stock",
    "shown",
    "sku_inventory",
    "stock_entries",
    "stock_recorded_anew",
    "stock_text",
    "stock_words",
    "warehouse_quantities",
    "whole_quantity",
]

#: the Open API's limit on one warehouse's stock of a SKU (Update Inventory; docs/listings.md)
MAX_QUANTITY = 99_999
FIELD = "warehouse_stock"


class StockError(ValueError):
    """An ERP's stock that cannot be pushed; ``str()`` is the reason, ``field`` the field at fault.

    ``kind`` and the facts let a connector word it its own way: ``not_whole`` and ``over``
    (``value`` is the quantity as given, ``warehouse`` its warehouse), ``twice`` (``warehouse``),
    ``disagrees`` (``value`` is the inventory as given, ``total`` the warehouses' sum).
    """

    def __init__(
        self,
        field: str,
        kind: str,
        reason: str,
        *,
        warehouse: str = "",
        value: Any = None,
        total: int = 0,
    ) -> None:
        super().__init__(reason)
        self.field, self.kind, self.reason = field, kind, reason
        self.warehouse, self.value, self.total = warehouse, value, total


def shown(value: Any) -> str:
    """A value as a reason quotes it: text in quotes (``'2.5'``), a number as written (``2.5``)."""
    return repr(value) if isinstance(value, str) else str(value)


def _whole(value: Any) -> int | None:
    """A whole number as an ERP may write it: an int, digits, or a JSON ``5.0`` read as Decimal."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip()
        return int(text) if text.isdigit() and text.isascii() else None
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return None


def whole_quantity(value: Any, *, warehouse: str = "", field: str = FIELD) -> int:
    """One quantity, 0..``MAX_QUANTITY`` (per warehouse, Update Inventory); a StockError if not."""
    number = _whole(value)
    where = f"warehouse {warehouse}: " if warehouse else ""
    if number is None or number < 0:
        reason = f"{where}quantity {shown(value)} is not a whole number >= 0"
        raise StockError(field, "not_whole", reason, warehouse=warehouse, value=value)
    if number > MAX_QUANTITY:
        reason = f"{where}quantity {number:,} is over {MAX_QUANTITY:,}"
        raise StockError(field, "over", reason, warehouse=warehouse, value=value)
    return number


def warehouse_quantities(pairs: Iterable[tuple[str, Any]]) -> dict[str, int]:
    """(warehouse id, quantity as given) pairs, in the order given, as whole quantities.

    A warehouse listed twice is refused: keeping either figure would push a stock nobody wrote.
    """
    stock: dict[str, int] = {}
    for wid, value in pairs:
        if wid in stock:
            raise StockError(FIELD, "twice", f"warehouse {wid} is listed twice", warehouse=wid)
        stock[wid] = whole_quantity(value, warehouse=wid)
    return stock


def settle_stock(stock: Mapping[str, int], inventory: Any = None) -> tuple[int, tuple[tuple[str, int], ...]]:
    """(inventory, warehouse_stock) as ``ErpSku`` takes them, from :func:`warehouse_quantities`.

    ``inventory`` is their sum (it may pass ``MAX_QUANTITY``: it is not sent); one given too
    (``None`` when not) must equal it, since guessing which of two disagreeing figures is stale
    would push a wrong stock. The warehouses are sorted, so the stock text is stable.
    """
    total = sum(stock.values())
    if inventory is not None and _whole(inventory) != total:
        added = " + ".join(str(q) for q in stock.values())
        reason = f"{shown(inventory)} disagrees with {FIELD} ({added} = {total}): give one, or make them agree"
        raise StockError("inventory", "disagrees", reason, value=inventory, total=total)
    return total, tuple(sorted(stock.items()))


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


def stock_text(sku: StockedSku, warehouse_id: str) -> str:
    """A SKU's stock as kept in the bindings: ``wh=q``, or ``wh=q;wh=q`` per warehouse, sorted.

    A SKU without ``warehouse_stock`` names the configured warehouse (``warehouse_id``), so a
    stock pushed to another warehouse differs and is pushed again. Bindings written before held
    the bare quantity (``"5"``), a warehouse unknown: it differs too, so each such SKU's stock
    is pushed once after an upgrade.
    """
    if not sku.warehouse_stock:
        return f"{warehouse_id}={sku.inventory}"
    return ";".join([f"{wh}={q}" for wh, q in sku.warehouse_stock])


def stock_words(text: str) -> str:
    """A stock text (``stock_text``) as an operator reads it: ``W=5`` is ``5 (warehouse W)``,
    ``W1=3;W2=4`` is ``3 (warehouse W1) + 4 (warehouse W2)``, and a bare quantity, as bindings
    written by earlier versions hold it, ``5 (warehouse not recorded)``."""
    words = []
    for part in text.split(";"):
        warehouse, sep, quantity = part.rpartition("=")
        if not sep:
            words.append(f"{quantity} (warehouse not recorded)")
        else:
            words.append(f"{quantity} (warehouse {warehouse})" if warehouse else f"{quantity} (no warehouse set)")
    return " + ".join(words)


def stock_recorded_anew(last: str | None, text: str) -> bool:
    """True when ``last`` is a bare quantity (an earlier version's binding, no warehouse) equal to
    the whole of ``text``: the stock did not change, it is pushed once to record its warehouse."""
    if last is None or not last.isdigit():
        return False
    quantities = [part.rpartition("=")[2] for part in text.split(";")]
    return all(q.isdigit() for q in quantities) and sum(int(q) for q in quantities) == int(last)


def sku_inventory(sku: StockedSku, mapping: WarehouseSetting) -> list[dict[str, Any]]:
    """``skus[].inventory`` of a body: every warehouse of the SKU (Update Inventory, 12019028)."""
    if sku.warehouse_stock:
        return [{"warehouse_id": wh, "quantity": q} for wh, q in sku.warehouse_stock]
    return [{"warehouse_id": mapping.warehouse_id, "quantity": sku.inventory}]


def stock_entries(changed: Mapping[str, StockedSku], sku_ids: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """An inventory push's SKUs (``changed``: by seller SKU): ``quantity`` for the configured
    warehouse (the push's ``warehouse_id``), else every warehouse.

    Update Inventory refuses a SKU that does not list every warehouse assigned to it
    (12019028), so a SKU stocked per warehouse sends all of them, changed or not.
    """
    skus: dict[str, dict[str, Any]] = {}
    for key in sorted(changed):
        sku = changed[key]
        if not sku.warehouse_stock:
            skus[key] = {"id": sku_ids[key], "quantity": sku.inventory}
        else:
            inventory = [{"warehouse_id": wh, "quantity": q} for wh, q in sku.warehouse_stock]
            skus[key] = {"id": sku_ids[key], "inventory": inventory}
    return skus
