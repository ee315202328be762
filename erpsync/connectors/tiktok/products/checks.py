"""Client-side checks of Products API writes, run BEFORE any call.

The API rejects these with a 400/36009004 anyway, but only after a round trip, one field at a
time, and (for inventory) possibly after other SKUs were applied. Checking here names the product,
SKU, warehouse and field in a ``RecordError`` and sends nothing. Each check returns a normalised
copy: amounts become canonical decimal strings, so ``Decimal("1E+1")`` is sent as ``"10"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from erpsync.core.errors import RecordError
from erpsync.core.listing_stock import MAX_QUANTITY

#: the longest title any region allows (Create Product, ``title``: 255 characters in most regions,
#: 300 in BR and MX, at least 25 outside DE, ES, FR, IE, IT, JP, UK and US). The client does not
#: know the shop's region here, so it refuses only what no region takes; the platform refuses the
#: rest (12052051, too long), which is that product's error.
MAX_TITLE = 300
SOURCE = "TikTok product write"


def decimal_string(value: Any, *, record: str, field: str) -> str:
    """A price amount as a decimal string > 0; floats are refused (they cannot hold 0.1 exactly)."""
    if isinstance(value, bool | float) or not isinstance(value, Decimal | str | int):
        raise RecordError(
            f"amount must be a Decimal or a decimal string, not {type(value).__name__}",
            record=record,
            field=field,
            source=SOURCE,
        )
    try:
        number = Decimal(value.strip() if isinstance(value, str) else value)
    except InvalidOperation:
        raise RecordError("not a decimal number", record=record, field=field, source=SOURCE) from None
    if not number.is_finite() or number <= 0:
        raise RecordError("amount must be a finite number > 0", record=record, field=field, source=SOURCE)
    return format(number, "f")


def quantity(value: Any, *, record: str, field: str) -> int:
    """An inventory quantity: an int in 0..99,999.

    The reference (Update Inventory, Create Product) documents [1, 99,999]. 0 is accepted anyway,
    because setting a sold-out SKU to 0 is the most common inventory push; whether the live API
    takes 0 is not documented (a guess, to be checked on a live shop: the API's 12052055 would
    then say so, a permanent error naming the SKU).
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordError(
            f"quantity must be an integer, not {type(value).__name__}", record=record, field=field, source=SOURCE
        )
    if not 0 <= value <= MAX_QUANTITY:
        raise RecordError(f"quantity {value} is outside 0..{MAX_QUANTITY:,}", record=record, field=field, source=SOURCE)
    return value


def _required_text(value: Any, *, record: str, field: str, max_len: int | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RecordError("must be non-empty text", record=record, field=field, source=SOURCE)
    if max_len is not None and len(value) > max_len:
        raise RecordError(f"{len(value):,} characters; at most {max_len}", record=record, field=field, source=SOURCE)
    return value


def _list(body: Mapping[str, Any], key: str, *, record: str, required: bool) -> list[Any] | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, list | tuple) or not value:
        raise RecordError("at least one is required", record=record, field=key, source=SOURCE)
    return list(value)


def _sku(raw: Any, index: int, *, record: str, require_seller_sku: bool) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise RecordError("expected an object", record=record, field=f"skus[{index}]", source=SOURCE)
    sku = dict(raw)
    name = raw.get("seller_sku") or raw.get("id") or index
    where = f"skus[{name}]"
    if require_seller_sku:
        _required_text(raw.get("seller_sku"), record=record, field=f"{where}.seller_sku")
    price = raw.get("price")
    if price is not None or require_seller_sku:
        if not isinstance(price, Mapping):
            raise RecordError(
                "price {amount, currency} is required", record=record, field=f"{where}.price", source=SOURCE
            )
        amount = decimal_string(price.get("amount"), record=record, field=f"{where}.price.amount")
        _required_text(price.get("currency"), record=record, field=f"{where}.price.currency")
        sku["price"] = {**price, "amount": amount}
    inventory = raw.get("inventory")
    if inventory is not None:
        if not isinstance(inventory, list | tuple):
            raise RecordError("must be a list", record=record, field=f"{where}.inventory", source=SOURCE)
        rows = []
        for row in inventory:
            if not isinstance(row, Mapping):
                raise RecordError(
                    "expected {warehouse_id, quantity}", record=record, field=f"{where}.inventory", source=SOURCE
                )
            wh = _required_text(row.get("warehouse_id"), record=record, field=f"{where}.inventory.warehouse_id")
            quantity(row.get("quantity"), record=record, field=f"{where}.inventory[{wh}].quantity")
            rows.append(dict(row))
        sku["inventory"] = rows
    return sku


def product_body(body: Mapping[str, Any], *, record: str, partial: bool) -> dict[str, Any]:
    """Check a create (``partial=False``) or partial-edit body; return the normalised copy."""
    if not isinstance(body, Mapping):
        raise RecordError(f"expected an object, not {type(body).__name__}", record=record, source=SOURCE)
    out = dict(body)
    if not partial or "title" in body:
        _required_text(body.get("title"), record=record, field="title", max_len=MAX_TITLE)
    images = _list(body, "main_images", record=record, required=not partial)
    for i, image in enumerate(images or ()):
        uri = image.get("uri") if isinstance(image, Mapping) else None
        _required_text(uri, record=record, field=f"main_images[{i}].uri")
    skus = _list(body, "skus", record=record, required=not partial)
    if skus is not None:
        out["skus"] = [_sku(s, i, record=record, require_seller_sku=not partial) for i, s in enumerate(skus)]
        seller_skus = [s.get("seller_sku") for s in out["skus"] if s.get("seller_sku")]
        dupes = sorted({s for s in seller_skus if seller_skus.count(s) > 1})
        if dupes:
            raise RecordError(f"duplicate seller_sku {', '.join(dupes)}", record=record, field="skus", source=SOURCE)
    return out


def inventory_body(product_id: str, skus: Mapping[str, Mapping[str, int]]) -> dict[str, Any]:
    """``{skus[{id, inventory[{warehouse_id, quantity}]}]}``; every quantity checked first."""
    rows = []
    for sku_id, by_warehouse in skus.items():
        record = f"product {product_id} sku {sku_id}"
        if not isinstance(by_warehouse, Mapping) or not by_warehouse:
            raise RecordError(
                "list every warehouse assigned to the SKU with its quantity",
                record=record,
                field="inventory",
                source=SOURCE,
            )
        inventory = [
            {"warehouse_id": str(wh), "quantity": quantity(q, record=record, field=f"warehouse {wh} quantity")}
            for wh, q in by_warehouse.items()
        ]
        rows.append({"id": str(sku_id), "inventory": inventory})
    return {"skus": rows}


def prices_body(product_id: str, prices: Mapping[str, tuple[Decimal | str, str]]) -> dict[str, Any]:
    """``{skus[{id, price{amount, currency}}]}`` with amounts as decimal strings > 0."""
    rows = []
    for sku_id, pair in prices.items():
        record = f"product {product_id} sku {sku_id}"
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise RecordError("expected (amount, currency)", record=record, field="price", source=SOURCE)
        amount, currency = pair
        price = {
            "amount": decimal_string(amount, record=record, field="price.amount"),
            "currency": _required_text(currency, record=record, field="price.currency"),
        }
        rows.append({"id": str(sku_id), "price": price})
    return {"skus": rows}
