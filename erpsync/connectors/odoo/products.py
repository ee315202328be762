"""Products: ``product.product`` variants grouped by their ``product.template`` into ErpProducts.

A template is what a Seller Center product is (title, description), its variants the SKUs:
``default_code`` ("Internal Reference") is the ``seller_sku``, ``lst_price`` the variant's
sales price (the template's ``list_price`` plus the variant's extra), ``qty_available`` its
quantity on hand, for the warehouse named by ``stock_warehouse`` when set and over all
warehouses otherwise; ``currency_id`` the company currency the price is in. Odoo keeps images
as binaries and attributes as records of their own, so neither is read (``lacking``).

Which context key names the warehouse depends on the version (``_get_domain_locations`` in
``addons/stock/models/product.py``): Odoo 17 reads ``warehouse``, Odoo 18 ``warehouse_id``,
Odoo 19 ``warehouse_id`` or ``search_warehouse``. The read sends both ``warehouse`` and
``warehouse_id``, so every version counts that warehouse only: a key a version does not read is
ignored, while one missing would count the stock of every warehouse.

A variant that cannot be read (no internal reference, a fractional quantity) is a RecordError
of its own, and its product is read without it and marked ``partial``, as the files ERP marks a
product with a bad SKU row: the listings aspect pushes its other SKUs' price and stock but no
create or edit, since the listing would be edited without the SKU and again once it reads. A
product none of whose variants reads is left out; so is one whose template fields cannot be
read, or that holds one SKU twice.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from erpsync.core.errors import RecordError
from erpsync.core.listings import ErpProduct, ErpSku
from erpsync.core.models import Records

from .transport import Transport
from .values import many2one, read_ids, search_all, text

__all__ = ["PRODUCT", "ProductsMixin"]

PRODUCT, TEMPLATE = "product.product", "product.template"
_FIELDS = ["product_tmpl_id", "default_code", "name", "description_sale", "lst_price", "qty_available", "currency_id"]
#: the context keys naming the warehouse whose stock ``qty_available`` counts: Odoo 17's, then 18's and 19's
_WAREHOUSE_KEYS = ("warehouse", "warehouse_id")


class ProductsMixin:
    """``ProductReader`` over ``product.product``."""

    type: ClassVar[str]
    options: dict[str, Any]
    transport: Transport

    def read_products(self) -> Records[ErpProduct] | None:
        warehouse = self.options.get("stock_warehouse")
        context = {key: warehouse for key in _WAREHOUSE_KEYS} if warehouse else None
        rows = search_all(
            self.transport,
            PRODUCT,
            self.options["product_domain"],
            _FIELDS,
            page_size=int(self.options["page_size"]),
            context=context,
            operation="read products",
        )
        groups: dict[int, list[Mapping[str, Any]]] = {}
        errors: list[RecordError] = []
        for row in rows:
            template = _template(row)
            if template is None:
                record = f"product.product {row.get('id')}"
                errors.append(RecordError("no product template", record=record, field="product_tmpl_id", source="odoo"))
                continue
            groups.setdefault(template, []).append(row)
        keys = self._product_keys(groups)
        items: list[ErpProduct] = []
        first_of: dict[str, int] = {}  # product id -> the template that gave it first
        for template, variants in groups.items():
            try:
                key = keys.get(template)
                if not key:  # only a product_key_field can be empty: the database id never is
                    reason = "empty: the product id (option product_key_field)"
                    raise RecordError(reason, record=f"{TEMPLATE} {template}", field=self.options["product_key_field"])
                product, unread = _product(key, template, variants)
                errors.extend(_from_odoo(exc) for exc in unread)
                if product is None:
                    continue
                # two templates under one product id: which one the listing is would be a guess
                if product.id in first_of:
                    reason = f"product id {product.id!r} is also template {first_of[product.id]}'s"
                    field = self.options["product_key_field"] or "id"
                    raise RecordError(reason, record=f"{TEMPLATE} {template}", field=field)
                first_of[product.id] = template
                items.append(product)
            except RecordError as exc:
                errors.append(_from_odoo(exc))
        return Records(tuple(items), tuple(errors))

    def _product_keys(self, groups: Mapping[int, Any]) -> dict[int, str]:
        """Each template's product id: its database id, or what ``product_key_field`` holds."""
        key = self.options["product_key_field"]
        if not key:
            return {t: str(t) for t in groups}
        page = int(self.options["page_size"])
        rows = read_ids(self.transport, TEMPLATE, groups, [key], page_size=page, operation="read product ids")
        keys: dict[int, str] = {}
        for template, row in rows.items():
            with contextlib.suppress(RecordError):  # _product reports the template without a key
                keys[template] = text(row, key, record=f"{TEMPLATE} {template}").strip()
        return {t: k for t, k in keys.items() if k}


def _template(row: Mapping[str, Any]) -> int | None:
    value = row.get("product_tmpl_id")
    return value[0] if isinstance(value, list) and value and isinstance(value[0], int) else None


def _from_odoo(exc: RecordError) -> RecordError:
    """The error as the reader reports it: the model it read is its source."""
    return RecordError(
        exc.reason, record=exc.record, field=exc.field, source=f"odoo {PRODUCT}", record_id=exc.record_id
    )


def _product(key: str, template: int, variants: list[Mapping[str, Any]]) -> tuple[ErpProduct | None, list[RecordError]]:
    """The template's product from the variants that read, ``partial`` when some did not, and
    their errors; None when none did. Raises the RecordError of a template-wide problem."""
    first = variants[0]
    record = f"{TEMPLATE} {template}"
    currency = many2one(first, "currency_id", record=record)
    title = text(first, "name", record=record)
    description = text(first, "description_sale", record=record)
    skus: list[ErpSku] = []
    unread: list[RecordError] = []
    for variant in variants:
        try:
            skus.append(_sku(variant, f"{record}: variant {variant.get('id')}"))
        except RecordError as exc:  # this SKU's alone: the product is read without it
            unread.append(exc)
    codes = [s.seller_sku for s in skus]
    repeated = sorted({c for c in codes if codes.count(c) > 1})
    if repeated:  # one SKU at two prices or stocks: which one to push would be a guess
        unread.append(RecordError(f"SKU {repeated[0]!r} on two variants", record=record, field="default_code"))
        return None, unread
    if not skus:
        return None, unread
    product = ErpProduct(
        id=key,
        title=title,
        description=description,
        currency=currency[1] if currency else "",
        skus=tuple(skus),
        source=f"odoo {PRODUCT} {first.get('id')}",
        partial=bool(unread),
    )
    return product, unread


def _sku(row: Mapping[str, Any], record: str) -> ErpSku:
    code = text(row, "default_code", record=record).strip()
    if not code:
        raise RecordError("no internal reference (the seller_sku)", record=record, field="default_code")
    try:
        price = Decimal(str(row.get("lst_price")))
    except InvalidOperation:
        raise RecordError(f"not a price: {row.get('lst_price')!r:.30}", record=record, field="lst_price") from None
    if not price.is_finite() or price < 0:
        raise RecordError(f"not a price: {price}", record=record, field="lst_price")
    quantity = row.get("qty_available")
    if isinstance(quantity, bool) or not isinstance(quantity, int | float):
        raise RecordError(f"not a quantity: {quantity!r:.30}", record=record, field="qty_available")
    if not math.isfinite(quantity) or quantity != int(quantity):
        raise RecordError(f"{quantity} is not a whole number of units", record=record, field="qty_available")
    # stock below zero (Odoo allows it) means none to sell
    return ErpSku(seller_sku=code, price=price, inventory=max(0, int(quantity)), source=f"odoo {record}")
