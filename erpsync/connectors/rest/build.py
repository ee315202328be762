"""The mapping's items as erpsync's models: warehouses, products, shipments, order statuses."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from erpsync.core.listings import ErpProduct, ErpSku
from erpsync.core.models import Address, HandoverMode, Warehouse
from erpsync.core.orders import ErpOrderStatus
from erpsync.core.shipping import ErpShipment
from erpsync.core.tracking_numbers import check_tracking_number

from . import regions, stock
from .records import FieldReader

ADDRESS_FIELDS = ("contact_person", "phone", "region_code", "state", "city", "district", "street", "postal_code")


def handover(reader: FieldReader, values: Mapping[str, str] | None) -> HandoverMode | None:
    """The mode from the ERP's word for it (``handover_values``), or a spelling ``HandoverMode`` knows."""
    text = reader.text("handover_mode")
    if not text:
        return None
    if values is None:
        try:
            return HandoverMode.parse(text)
        except ValueError as exc:
            raise reader.error("handover_mode", str(exc)) from None
    for mode, word in values.items():
        if word == text:
            return HandoverMode(mode)
    known = " or ".join(repr(v) for v in values.values())
    raise reader.error("handover_mode", f"unknown value {text!r} (handover_values: {known})")


def warehouse(reader: FieldReader, table: Mapping[str, Any], source: str) -> Warehouse:
    address = {name: reader.text(name) for name in ADDRESS_FIELDS}
    if table["state_format"] == "iso" and address["state"]:
        try:
            address["state"] = regions.name_of(address["state"])
        except ValueError as exc:
            raise reader.error("state", str(exc)) from None
    return Warehouse(
        reader.text("id", required=True),
        reader.text("name", required=True),
        Address(**address),
        handover(reader, table["handover_values"]),
        reader.text("seller_warehouse_id") or None,
        source,
    )


def warehouse_ref(reader: FieldReader, warehouses: Collection[str]) -> None:
    """A record naming a warehouse the ERP does not list (or could not read) is a record error."""
    named = reader.text("warehouse_id")
    if named and named not in warehouses:
        raise reader.error("warehouse_id", f"names warehouse {named!r}, which the ERP does not list (or is malformed)")


def product(reader: FieldReader, table: Mapping[str, Any], warehouses: Collection[str], source: str) -> ErpProduct:
    warehouse_ref(reader, warehouses)
    currency = reader.text("currency", required=True).upper()
    if len(currency) != 3 or not currency.isalpha():
        raise reader.error("currency", f"not a currency code such as USD: {currency!r}")
    rows = reader.raw("skus") if reader.mapped("skus") else [reader.item]
    if not isinstance(rows, list) or not rows:
        raise reader.error("skus", "expected a non-empty list of SKUs")
    skus: list[ErpSku] = []
    for n, row in enumerate(rows):
        sku = FieldReader(row, table["sku_paths"], f"{reader.record} SKU #{n + 1}")
        code = sku.text("seller_sku", required=True)
        if any(ch.isspace() for ch in code):
            raise sku.error("seller_sku", "contains spaces")
        price = sku.decimal("price")
        if price <= Decimal(0):
            raise sku.error("price", f"must be above 0, got {price}")
        inventory, per_warehouse = stock.sku_stock(sku)
        if any(s.seller_sku == code for s in skus):  # at two prices or stocks: which one is a guess
            raise sku.error("seller_sku", f"SKU {code!r} is given twice in the product")
        skus.append(ErpSku(code, price, inventory, source, warehouse_stock=per_warehouse))
    return ErpProduct(
        reader.text("id", required=True),
        reader.text("title", required=True),
        reader.text("description"),
        currency,
        tuple(skus),
        reader.texts("images"),
        reader.pairs("attributes"),
        source,
    )


def shipment(reader: FieldReader, warehouses: Collection[str], source: str) -> ErpShipment:
    warehouse_ref(reader, warehouses)
    try:  # the raw value: a JSON number read as text would hide a float's lost digits
        number = check_tracking_number(reader.raw("tracking_number"))
    except ValueError as exc:
        raise reader.error("tracking_number", str(exc)) from None
    return ErpShipment(
        reader.text("id", required=True),
        reader.text("package_id", required=True),
        reader.text("order_id"),
        number,
        reader.text("carrier", required=True),
        source,
    )


def parse_time(reader: FieldReader) -> datetime | None:
    """ISO 8601 (a time without zone is UTC) or seconds since the epoch; null or "" is None."""
    value = reader.raw("updated_at")
    if value in (None, ""):
        return None
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(int(value), UTC)
        except (ArithmeticError, OSError, ValueError):  # 1e20 s, NaN: no time a datetime holds
            raise reader.error("updated_at", f"not a time: {value!r}") from None
    if not isinstance(value, str):
        raise reader.error("updated_at", f"not a time: {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise reader.error("updated_at", f"not an ISO 8601 time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def order_status(reader: FieldReader, source: str) -> ErpOrderStatus:
    return ErpOrderStatus(
        reader.text("order_id", required=True), reader.text("status", required=True), parse_time(reader), source
    )


def format_time(value: datetime, time_format: str) -> str | int:
    """``value`` as the ERP writes times: epoch seconds, or ISO 8601 in UTC.

    A naive time is refused: Python would read it as this machine's local time, so the same
    order would be written hours apart depending on where erpsync runs.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"a time without a timezone cannot be written: {value.isoformat()}")
    return int(value.timestamp()) if time_format == "epoch" else value.astimezone(UTC).isoformat()
