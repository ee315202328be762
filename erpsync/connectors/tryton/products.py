"""Tryton's catalogue as erpsync's products: a ``product.template`` per product, its variants the SKUs.

A variant's ``code`` is its template's code followed by its ``suffix_code``, which Tryton's own
help calls "the unique identifier for the product (aka SKU)" (``modules/product/product.py``), so
the SKU is ``suffix_code`` unless option ``sku_field`` says ``code``. The stock of a variant is
Tryton's ``quantity`` computed for the warehouses in the ``locations`` context
(``modules/stock/product.py``), rounded down: a listing cannot offer half a parcel.

A variant that cannot be read (no SKU, no list price) is a RecordError of its own, and its
product is read without it (its ``description`` is the first variant's that reads) and marked
``partial``, as the files ERP marks a product with a bad SKU row: the listings aspect pushes its
other SKUs' price and stock but no create or edit, since the listing would be edited without
the SKU and again once it reads. A product none of whose variants reads is left out; so is one
whose code another template has, or that holds one SKU twice.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from erpsync.core.errors import RecordError
from erpsync.core.listings import ErpProduct, ErpSku
from erpsync.core.models import Records

#: the variant fields erpsync reads (the template's through dotted names)
PRODUCT_FIELDS = (
    "code",
    "suffix_code",
    "description",
    "list_price_used",
    "quantity",
    "template",
    "template.code",
    "template.name",
)
#: only stockable goods are listed (``product.template.type``)
PRODUCT_DOMAIN = [["type", "=", "goods"], ["salable", "=", True]]


def product_id(template: Mapping[str, Any]) -> str:
    """A template's code, else ``tryton:<id>``: stable for the database, and never another template's."""
    code = str(template.get("code") or "").strip()
    return code or f"tryton:{template.get('id')}"


def _sku(row: Mapping[str, Any], sku_field: str, record: str, source: str) -> ErpSku:
    seller_sku = str(row.get(sku_field) or "").strip()
    if not seller_sku:
        raise RecordError("missing: the variant has no SKU", record=record, field=sku_field, source=source)
    price = row.get("list_price_used")
    if not isinstance(price, Decimal):
        raise RecordError("missing: the variant has no list price", record=record, field="list_price", source=source)
    quantity = row.get("quantity") or 0
    if not isinstance(quantity, int | float) or isinstance(quantity, bool) or not math.isfinite(quantity):
        raise RecordError(f"not a quantity: {quantity!r}", record=record, field="quantity", source=source)
    return ErpSku(seller_sku, price, max(0, math.floor(quantity)), source=source)


def build_products(
    rows: Iterable[Mapping[str, Any]], *, currency: str, sku_field: str, source: str
) -> Records[ErpProduct]:
    """Group variant rows by template into products; a bad variant is left out of its product,
    which is then ``partial``, and costs the others nothing."""
    by_template: dict[int, list[Mapping[str, Any]]] = {}
    for row in rows:
        by_template.setdefault(int(row["template"]), []).append(row)
    items: list[ErpProduct] = []
    errors: list[RecordError] = []
    seen: dict[str, int] = {}
    for template_id, variants in by_template.items():
        template = dict(variants[0].get("template.") or {}, id=template_id)
        pid = product_id(template)
        where = f"{source}/product.template/{template_id}"
        record = f"product {pid!r}"
        if pid in seen:
            errors.append(
                RecordError(f"duplicate code (also template {seen[pid]})", record=record, field="code", source=where)
            )
            continue
        seen[pid] = template_id
        skus: list[ErpSku] = []
        read: list[Mapping[str, Any]] = []  # the variants that read, whose SKUs the product has
        for v in variants:
            try:
                skus.append(
                    _sku(v, sku_field, f"{record} variant {v.get('id')}", f"{source}/product.product/{v.get('id')}")
                )
                read.append(v)
            except RecordError as exc:  # this SKU's alone: the product is read without it
                errors.append(exc)
        if not skus:
            continue
        repeated = sorted({s.seller_sku for s in skus if [t.seller_sku for t in skus].count(s.seller_sku) > 1})
        if repeated:
            errors.append(
                RecordError(f"SKU {repeated[0]!r} on two variants", record=record, field=sku_field, source=where)
            )
            continue
        items.append(
            ErpProduct(
                id=pid,
                title=str(template.get("name") or ""),
                description=str(read[0].get("description") or ""),
                currency=currency,
                skus=tuple(skus),
                source=where,
                partial=len(read) < len(variants),
            )
        )
    return Records(tuple(items), tuple(errors))
