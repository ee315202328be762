"""A products row's stock per Seller Center warehouse: the ``warehouse_stock`` column.

Update Inventory requires every warehouse assigned to a SKU in each push (12019028 otherwise),
so an ERP that stocks a SKU in two warehouses must say how many are in each; one ``inventory``
figure cannot be split. In CSV the cell reads ``7068517275539719942=5|7068517275539719943=3``:
the ``id=value`` pairs separated by ``|`` that the ``attributes`` column already uses, so one
rule covers every list cell of the file. In JSON it is an object ``{"7068517275539719942": 5}``
(the CSV text is accepted there too). Quantities are whole numbers 0..99,999 per warehouse.

``inventory`` and ``warehouse_stock`` may both be given only when they agree (``inventory`` is
the sum): a row where they differ is ambiguous, and guessing which one is stale would push a
wrong stock figure. Those rules are the listings core's (``core/listing_stock.py``); this module
reads the file's shapes and words a broken rule as a field error of the row.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError

from erpsync.core.listing_stock import MAX_QUANTITY, StockError, settle_stock, warehouse_quantities, whole_quantity

__all__ = ["row_stock"]

FIELD = "warehouse_stock"
_SEPARATORS = ("|", "=")


def _inventory(text: str) -> int:
    """A row's one quantity, without per-warehouse figures (``[aspects.listings] warehouse_id``)."""
    if not text:
        raise ValidationError({"inventory": ["missing: give inventory or warehouse_stock"]})
    try:
        return whole_quantity(text, field="inventory")
    except StockError as exc:
        reason = "a whole number >= 0" if exc.kind == "not_whole" else f"at most {MAX_QUANTITY:,}"
        raise ValidationError({"inventory": [reason]}) from None


def _warehouse(raw: str, part: str) -> str:
    wid = raw.strip()
    if not wid or any(ch.isspace() or ch in _SEPARATORS for ch in wid):
        raise ValidationError({FIELD: [f"{part.strip()!r} is not warehouse_id=quantity"]})
    return wid


def _pairs(raw: Any) -> list[tuple[str, Any]]:
    """(warehouse id, raw quantity) in the order written; malformed pairs raise."""
    if isinstance(raw, Mapping):
        return [(_warehouse(str(k), str(k)), v) for k, v in raw.items()]
    if not isinstance(raw, str):
        raise ValidationError({FIELD: ["must be warehouse_id=quantity pairs (an object in JSON)"]})
    pairs = []
    for part in raw.split("|") if raw.strip() else ():
        wid, sep, qty = part.partition("=")
        if not sep or not qty.strip():
            raise ValidationError({FIELD: [f"{part.strip()!r} is not warehouse_id=quantity"]})
        pairs.append((_warehouse(wid, part), qty))
    return pairs


def row_stock(raw: Any, inventory: str) -> tuple[int, tuple[tuple[str, int], ...]]:
    """A row's (inventory, warehouse_stock) from its two cells, as ``ErpSku`` takes them.

    ``raw`` is the ``warehouse_stock`` cell (text, a JSON object or nothing), ``inventory`` the
    ``inventory`` cell as text. Without per-warehouse figures ``inventory`` is the SKU's one
    quantity (for ``[aspects.listings] warehouse_id``); with them it is their sum, and a given
    ``inventory`` must equal it. Raises ``ValidationError`` keyed by the field at fault.
    """
    text = inventory.strip()
    try:
        stock = warehouse_quantities(_pairs(raw if raw is not None else ""))
        if not stock:
            return _inventory(text), ()
        return settle_stock(stock, text or None)
    except StockError as exc:
        raise ValidationError({exc.field: [exc.reason]}) from None
