"""The files ERP's products: a CSV or JSON catalogue, read for the listings aspect.

The ``products`` option names the file, relative to the ``path`` directory (``products.csv`` or
``products.json``, a list of objects; the suffix says which). One row per SKU; rows with the same
``id`` are the SKUs of one product, whose title, description, currency, images and attributes are
taken from its first row; a later row in another currency is an error (its price would be read in
the first row's). Columns:

- ``id`` (the ERP's product id), ``seller_sku`` (the SKU's code, shared with Seller Center; unique
  in the file), ``title``, ``description``;
- ``price`` (a decimal > 0, in ``currency``, a three-letter code such as ``USD``) and
  ``inventory`` (the quantity in stock, a whole number 0..99,999, pushed to
  ``[aspects.listings] warehouse_id``);
- ``warehouse_stock``: the quantity in each Seller Center warehouse, for a SKU stocked in more
  than one (``7068517275539719942=5|7068517275539719943=3``, an object in JSON;
  ``product_stock.py``). ``inventory`` may then be left empty; given, it must be the sum;
- ``images``: image names or uploaded uris separated by ``|`` (a list in JSON), mapped to uris
  by ``[aspects.listings] images``;
- ``attributes``: ``name=value`` pairs separated by ``|`` (an object in JSON), mapped to TikTok
  attribute ids by ``[aspects.listings] attributes``.

Without the option the ERP keeps no products and the listings aspect has nothing to push. A
malformed row (a missing SKU, a negative price, a seller_sku used twice, a warehouse listed
twice, another currency than its product's first row) is a RecordError naming file, line and
field, and the other rows go on; a product whose first row is malformed is left out whole, with
one error per row. A row claims its seller_sku whatever else is wrong with it, so the same SKU on
a later row is "used twice" even when the first row is malformed. erpsync only reads this file.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates, validates_schema

from erpsync.core.errors import RecordError
from erpsync.core.listings import ErpProduct, ErpSku
from erpsync.core.models import Records

from .host import FilesHost
from .ids import IdLines
from .parse import broken_rows, cell, read_side_file, row_id
from .parse_csv import misshapen
from .product_stock import row_stock
from .schema import field_errors, file_option

__all__ = ["PRODUCT_COLUMNS", "ProductRecord", "ProductsMixin", "ProductsOptions"]

PRODUCT_COLUMNS = (
    "id", "seller_sku", "title", "description", "price", "currency", "inventory", "images", "attributes",
    "warehouse_stock",
)  # fmt: skip
_REQUIRED = validate.Length(min=1, error="must not be empty")
#: erpsync's own bounds of a price cell (a guess: the Open API documents none)
MAX_PRICE_DIGITS = 12
MAX_PRICE_DECIMALS = 6


class ProductsOptions(Schema):
    """The files ERP's ``products`` option (mixed into its options schema)."""

    products = file_option("products, for the listings aspect")


class ProductRecord(Schema):
    """One SKU row. Ids, SKU and title must be present; price > 0 (stock: ``product_stock.py``).

    Loaded, ``inventory`` is the SKU's quantity (an int) and ``warehouse_stock`` its pairs.
    """

    class Meta:
        unknown = EXCLUDE

    id = fields.String(required=True, validate=_REQUIRED)
    #: Create Product: "Valid length: 1-50 characters", "Text without spaces"
    seller_sku = fields.String(required=True, validate=validate.Length(min=1, max=50))
    title = fields.String(required=True, validate=validate.Length(min=1, max=255))
    description = fields.String(load_default="")
    price = fields.String(required=True, validate=_REQUIRED)
    currency = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{3}$", error="a code such as USD"))
    inventory = fields.String(load_default="")
    warehouse_stock = fields.Raw(load_default="")
    images = fields.Raw(load_default="")
    attributes = fields.Raw(load_default="")

    @validates_schema(skip_on_field_errors=False)
    def _stock(self, data: dict[str, Any], **_: Any) -> None:
        # read here, not after load, so a row's stock errors come with its other fields' errors;
        # the cells are replaced by what they settle to (``data`` is the loaded row), read once
        cells = data.get("warehouse_stock", ""), data.get("inventory", "")
        data["inventory"], data["warehouse_stock"] = row_stock(*cells)

    @validates("seller_sku")
    def _one_token(self, value: str, **_: Any) -> None:
        if any(ch.isspace() for ch in value):
            raise ValidationError("contains spaces")

    @validates("price")
    def _price(self, value: str, **_: Any) -> None:
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise ValidationError("not a decimal number") from None
        if not amount.is_finite() or amount <= 0:
            raise ValidationError("must be a number > 0")
        # no source gives the platform's bounds; these only keep an absurd cell (1e999999) from
        # becoming a million-digit price text, or an overflow far from its row
        exponent = amount.as_tuple().exponent  # an int: the amount is finite
        if amount.adjusted() >= MAX_PRICE_DIGITS or (isinstance(exponent, int) and exponent < -MAX_PRICE_DECIMALS):
            raise ValidationError(
                f"out of range: at most {MAX_PRICE_DIGITS} digits before the decimal point "
                f"and {MAX_PRICE_DECIMALS} after"
            )


def _images(raw: Any) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else str(raw or "").split("|")
    return tuple(str(i).strip() for i in items if str(i).strip())


def _attributes(raw: Any) -> tuple[tuple[str, str], ...]:
    if isinstance(raw, Mapping):
        return tuple((str(k).strip(), str(v).strip()) for k, v in raw.items())
    text = str(raw or "").strip()
    pairs = []
    for part in text.split("|") if text else ():
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise ValidationError({"attributes": [f"{part.strip()!r} is not name=value"]})
        pairs.append((name.strip(), value.strip()))
    return tuple(pairs)


def _load(
    schema: ProductRecord, row: dict[str, Any], source: str, record: str, sku_place: dict[str, str], place: str
) -> tuple[list[RecordError], dict[str, Any] | None]:
    """One row's errors, and its fields when it has none.

    Its seller_sku is noted in ``sku_place`` with the row's ``place`` (``Document.place_in_words``)
    before the rest of the row is checked, valid or not: a row whose price is bad still claims
    its SKU, so another row giving the same one is told it is used twice, rather than read into a
    second product.
    """
    errors: list[RecordError] = []
    sku = cell(row.get("seller_sku"))
    readable = isinstance(sku, str) and sku != ""
    first = sku_place.get(sku) if readable else None
    if readable and first is None:
        sku_place[sku] = place
    data: dict[str, Any] | None = None
    try:
        data = schema.load({k: cell(v) for k, v in row.items() if k is not None})
        data["images"], data["attributes"] = _images(data["images"]), _attributes(data["attributes"])
    except ValidationError as exc:
        errors.extend(field_errors(exc, source=source, record=record))
        data = None
    if first is not None:
        reason = f"seller_sku {sku!r} is used twice (first on {first})"
        errors.append(RecordError(reason, source=source, record=record, field="seller_sku"))
    return errors, None if errors else data


class ProductsMixin(FilesHost):
    """``ProductReader`` for the files ERP (``core/listing_ports.py``)."""

    def read_products(self) -> Records[ErpProduct] | None:
        name = self.options.get("products")
        if not name:
            return None
        path = self.directory / name
        shown = self._shown(path)
        encoding = self.options.get("encoding", "utf-8")
        doc = read_side_file(path, shown, "read products", encoding)
        errors = broken_rows(doc, shown, "product")
        products: dict[str, tuple[dict[str, Any], list[ErpSku]]] = {}
        bad: set[str] = set()  # products whose first row was malformed: left out whole
        partial: set[str] = set()  # products with a later row malformed: read without that SKU
        sku_place: dict[str, str] = {}
        met = IdLines(doc)  # a product whose first row was set aside (see its error) is left out whole
        schema = ProductRecord()
        for line, index, row in doc.rows:
            source, place = doc.source(shown, line, index), doc.place_in_words(line, index)
            if not isinstance(row, dict):
                errors.append(RecordError("not an object", source=source, record="product"))
                continue
            rid = row_id(row)
            record = f"product {rid!r}" if rid else "product (no id)"
            if rid and rid not in products and met.set_aside_before(rid, index):
                bad.add(rid)
            if (wrong := misshapen(row, source, record)) is not None:  # no cell is its column's
                row_errors, data = [wrong], None
            else:
                row_errors, data = _load(schema, row, source, record, sku_place, place)
                if data is not None and rid in products and data["currency"] != products[rid][0]["currency"]:
                    first = products[rid][0]
                    reason = (
                        f"{data['currency']} is not the product's currency, {first['currency']} (its first row, "
                        f"{first['place']}): a product's SKUs are priced in one currency"
                    )
                    row_errors.append(RecordError(reason, source=source, record=record, field="currency"))
            if row_errors:
                errors.extend(row_errors)
                if rid and rid not in products:  # a product whose first row failed is left out whole
                    bad.add(rid)
                elif rid:
                    partial.add(rid)
                continue
            assert data is not None
            sku = data["seller_sku"]
            if rid in bad:
                reason = "the product's first row is malformed (see its error): not read"
                errors.append(RecordError(reason, source=source, record=record))
                continue
            _first, skus = products.setdefault(rid, ({**data, "source": source, "place": place}, []))
            quantity, stock = data["inventory"], data["warehouse_stock"]
            skus.append(ErpSku(sku, Decimal(data["price"]), quantity, source, warehouse_stock=stock))
        partial.update(rid for rid in met.aside if rid in products)  # a later row set aside
        items = tuple(
            ErpProduct(
                id=rid,
                title=first["title"],
                description=first["description"],
                currency=first["currency"],
                skus=tuple(skus),
                images=first["images"],
                attributes=first["attributes"],
                source=first["source"],
                partial=rid in partial,
            )
            for rid, (first, skus) in products.items()
        )
        return Records(items, tuple(errors))
