"""A products row's stock per Seller Center warehouse: the ``warehouse_stock`` column.

Update Inventory requires every warehouse assigned to a SKU in each push (12019028 otherwise),
so an ERP that stocks a SKU in two warehouses must say how many are in each; one ``inventory``
figure cannot be split. In CSV the cell reads ``7068517275539719942=5|7068517275539719943=3``:
the ``id=value`` pairs separated by ``|`` that the ``attributes`` column already uses, so one
rule covers every list cell of the file. In JSON it is an object ``{"7068517275539719942": 5}``
(the CSV text is accepted there too). Quantities are whole numbers 0..99,999 per warehouse.

``inventory`` and ``warehouse_stock`` may both be given only when they agree (``inventory`` is
the sum): a row where they differ is ambiguous, and guessing which one is stale would push a
wrong stock figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError

__all__ = ["MAX_QUANTITY", "DuplicateKeys", "json_pairs", "row_stock"]

#: the Open API's limit on one warehouse's stock of a SKU (Update Inventory; docs/listings.md)
MAX_QUANTITY = 99_999
FIELD = "warehouse_stock"
_SEPARATORS = ("|", "=")


class DuplicateKeys(dict[str, Any]):
    """A JSON object that named a key more than once: ``duplicates`` lists those keys.

    ``json.loads`` keeps the last of repeated keys silently; for a warehouse id that would drop a
    quantity without a word, so the products file is parsed with :func:`json_pairs`.
    """

    duplicates: tuple[str, ...] = ()


def json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for the products file: a plain dict, or a :class:`DuplicateKeys`."""
    out: dict[str, Any] = {}
    seen: list[str] = []
    for key, value in pairs:
        if key in out and key not in seen:
            seen.append(key)
        out[key] = value
    if not seen:
        return out
    marked = DuplicateKeys(out)
    marked.duplicates = tuple(seen)
    return marked


def _quantity(warehouse: str, raw: Any) -> int:
    text = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else None
    if text is None or not text.isdigit() or not text.isascii():
        raise ValidationError({FIELD: [f"warehouse {warehouse}: quantity {raw!r} is not a whole number >= 0"]})
    if int(text) > MAX_QUANTITY:
        raise ValidationError({FIELD: [f"warehouse {warehouse}: quantity {int(text):,} is over {MAX_QUANTITY:,}"]})
    return int(text)


def _warehouse(raw: str, part: str) -> str:
    wid = raw.strip()
    if not wid or any(ch.isspace() or ch in _SEPARATORS for ch in wid):
        raise ValidationError({FIELD: [f"{part.strip()!r} is not warehouse_id=quantity"]})
    return wid


def _pairs(raw: Any) -> list[tuple[str, Any]]:
    """(warehouse id, raw quantity) in the order written; malformed pairs raise."""
    if isinstance(raw, Mapping):
        if isinstance(raw, DuplicateKeys):
            raise ValidationError({FIELD: [f"warehouse {raw.duplicates[0]} is listed twice"]})
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
    stock: dict[str, int] = {}
    for wid, qty in _pairs(raw if raw is not None else ""):
        if wid in stock:
            raise ValidationError({FIELD: [f"warehouse {wid} is listed twice"]})
        stock[wid] = _quantity(wid, qty)
    text = inventory.strip()
    if not stock:
        if not text:
            raise ValidationError({"inventory": ["missing: give inventory or warehouse_stock"]})
        if not text.isdigit() or not text.isascii():
            raise ValidationError({"inventory": ["a whole number >= 0"]})
        if int(text) > MAX_QUANTITY:
            raise ValidationError({"inventory": [f"at most {MAX_QUANTITY:,}"]})
        return int(text), ()
    total = sum(stock.values())
    if text and (not text.isdigit() or not text.isascii() or int(text) != total):
        shown = " + ".join(str(q) for q in stock.values())
        reason = f"{text!r} disagrees with warehouse_stock ({shown} = {total}): give one, or make them agree"
        raise ValidationError({"inventory": [reason]})
    return total, tuple(sorted(stock.items()))
