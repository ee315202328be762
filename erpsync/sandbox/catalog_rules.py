"""The rules a product write must pass, each with the error code it answers (docs/open-api-full.md §2).

The writes that apply them live in :mod:`catalog`.

Each rule answers HTTP 400 with the code the Partner Center API reference (public scrape, 2025-12)
lists for it on Create Product, Edit Product Partially (202509), Update Inventory or Update Price
(constants in :mod:`envelope`): empty title 12052261, title over 255 characters 12052051, description
missing 12052015, category missing 12052023, no main image 12052028, an image uri not uploaded through
this app 12052300, package weight 12019011, package dimensions 12019012, price amount 12052073,
currency 12052084, quantity out of 0..99999 12052055, unknown warehouse 12052097 (on partial edit, whose
list lacks that code, 12052530 as for a warehouse of another shop), more than 100 SKUs 12052050, an
empty SKU list on an edit 12052902, a sku id not of the product 12052557 (12052556 per SKU in
Update Inventory's ``data.errors``), not every assigned warehouse in an inventory update 12019028,
a price update on a product not ACTIVATE 12052901. Where nothing documented fits (malformed
structure, a missing or duplicate seller_sku, save_mode, product_attributes) the answer is 36009004:
the live code there is a guess. The 255-character title and 99999 quantity limits are the project's
contract (docs/open-api-full.md), not the reference's.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from erpsync.sandbox.envelope import (
    BAD_REQUEST,
    CATEGORY_NOT_FOUND,
    CURRENCY_INVALID,
    DESCRIPTION_REQUIRED,
    IMAGE_URI_ILLEGAL,
    MAIN_IMAGE_REQUIRED,
    PRICE_INVALID,
    QUANTITY_OUT_OF_RANGE,
    SIZE_INVALID,
    TITLE_EMPTY,
    TITLE_TOO_LONG,
    TOO_MANY_SKUS,
    WAREHOUSE_NOT_FOUND,
    WAREHOUSE_NOT_OF_SHOP,
    WEIGHT_INVALID,
    SandboxError,
)
from erpsync.sandbox.model import Product, Sku
from erpsync.sandbox.state import SandboxState

MAX_QUANTITY = 99_999
#: Create Product, ``title``: "DE, ES, FR, IE, IT, JP, UK, US: [1, 255]; BR, MX: [1, 300];
#: Other regions: [25, 255]" characters (the shop's region decides; GB is the UK's code)
TITLE_LENGTHS = {
    **dict.fromkeys(("DE", "ES", "FR", "IE", "IT", "JP", "GB", "UK", "US"), (1, 255)),
    **dict.fromkeys(("BR", "MX"), (1, 300)),
}
OTHER_TITLE_LENGTH = (25, 255)
MAX_SKUS = 100
CONTENT_FIELDS = ("title", "description", "main_images", "product_attributes")
WEIGHT_UNITS = ("KILOGRAM", "POUND")


def bad(message: str, code: int = BAD_REQUEST) -> SandboxError:
    """A 400 answer with ``code`` (36009004 when no documented code fits)."""
    return SandboxError(400, code, f"Invalid params: {message}")


def _text(body: dict[str, Any], name: str, code: int, *, low: int = 1, high: int | None = None) -> str:
    """A string field; ``code`` when absent or too short, TITLE_TOO_LONG when over ``high``."""
    value = body.get(name)
    span = f"{low}-{high}" if high else f"at least {low}"
    if not isinstance(value, str) or len(value.strip()) < low:
        raise bad(f"{name} must be a string of {span} characters", code)
    if high is not None and len(value) > high:
        raise bad(f"{name} must be a string of {span} characters (the product name exceeds the limit)", TITLE_TOO_LONG)
    return value


def _amount(value: Any, where: str, code: int) -> str:
    try:
        ok = isinstance(value, str) and Decimal(value).is_finite() and Decimal(value) > 0
    except InvalidOperation:
        ok = False
    if not ok:
        raise bad(f"{where} must be a decimal string > 0, got {value!r}", code)
    return str(value)


def price(raw: Any, where: str) -> tuple[str, str]:
    """``{amount, currency}`` → (amount, currency), each checked with its own code."""
    if not isinstance(raw, dict):
        raise bad(f"{where} must be an object {{amount, currency}}", PRICE_INVALID)
    currency = raw.get("currency")
    if not isinstance(currency, str) or not currency:
        raise bad(f"{where}.currency is required", CURRENCY_INVALID)
    return _amount(raw.get("amount"), f"{where}.amount", PRICE_INVALID), currency


def inventory(
    state: SandboxState, shop_id: str, raw: Any, where: str, unknown: int = WAREHOUSE_NOT_FOUND
) -> dict[str, int]:
    """``[{warehouse_id, quantity}]`` → stock; ``unknown`` is the code for a warehouse that does not exist."""
    if not isinstance(raw, list) or not raw:
        raise bad(f"{where} must be a non-empty list of {{warehouse_id, quantity}}")
    stock: dict[str, int] = {}
    for i, row in enumerate(raw):
        wid = row.get("warehouse_id") if isinstance(row, dict) else None
        warehouse = state.world.warehouses.get(str(wid))
        if warehouse is None:
            raise bad(f"{where}[{i}].warehouse_id {wid!r}: the warehouse does not exist", unknown)
        if warehouse.shop_id != shop_id:
            message = f"{where}[{i}].warehouse_id {wid!r}: the warehouse does not belong to this shop"
            raise bad(message, WAREHOUSE_NOT_OF_SHOP)
        qty = row.get("quantity")
        if isinstance(qty, bool) or not isinstance(qty, int) or not 0 <= qty <= MAX_QUANTITY:
            message = f"{where}[{i}].quantity must be an integer 0..{MAX_QUANTITY}, got {qty!r}"
            raise bad(message, QUANTITY_OUT_OF_RANGE)
        stock[str(wid)] = qty
    return stock


def _images(state: SandboxState, app_key: str, raw: Any) -> list[str]:
    if not isinstance(raw, list) or not raw:
        raise bad("main_images must list at least one {uri} (a main product image is required)", MAIN_IMAGE_REQUIRED)
    uris = []
    for i, image in enumerate(raw):
        uri = image.get("uri") if isinstance(image, dict) else None
        upload = state.world.uploads.get(str(uri))
        if upload is None or upload["app_key"] != app_key:
            message = f"main_images[{i}].uri {uri!r} was not uploaded through /product/202309/images/upload"
            raise bad(message, IMAGE_URI_ILLEGAL)
        uris.append(str(uri))
    return uris


def taken_skus(state: SandboxState, shop_id: str, skip: Product | None) -> set[str]:
    """The seller_skus already used by the shop's live products, except ``skip``'s."""
    return {
        s.seller_sku
        for p in state.world.products.values()
        if p.shop_id == shop_id and p.status != "DELETED" and p is not skip
        for s in p.skus
    }


def new_skus(
    state: SandboxState,
    shop_id: str,
    raw: Any,
    taken: set[str],
    where: str = "skus",
    unknown: int = WAREHOUSE_NOT_FOUND,
) -> list[Sku]:
    """New SKUs from ``raw``; ``taken`` grows with each seller_sku so duplicates in one call fail too."""
    if not isinstance(raw, list) or not raw:
        raise bad(f"{where} must list at least one sku")
    if len(raw) > MAX_SKUS:
        raise bad(f"{where}: a single product cannot have more than {MAX_SKUS} different SKUs", TOO_MANY_SKUS)
    skus = []
    for i, row in enumerate(raw):
        w = f"{where}[{i}]"
        if not isinstance(row, dict):
            raise bad(f"{w} must be an object")
        seller_sku = row.get("seller_sku")
        if not isinstance(seller_sku, str) or not seller_sku:
            raise bad(f"{w}.seller_sku is required")
        if seller_sku in taken:
            raise bad(f"{w}.seller_sku {seller_sku!r} already exists in this shop")
        taken.add(seller_sku)
        amount, currency = price(row.get("price"), f"{w}.price")
        stock = inventory(state, shop_id, row.get("inventory"), f"{w}.inventory", unknown)
        attributes = list(row.get("sales_attributes", []))
        skus.append(Sku(state.new_id("1729"), seller_sku, amount, currency, stock, attributes))
    return skus


def product_fields(
    state: SandboxState, body: dict[str, Any], app_key: str, *, partial: bool, region: str = ""
) -> dict[str, Any]:
    """Validate the product-level fields present in ``body`` (all required ones unless ``partial``);
    the title's length by the shop's ``region``. A title too short answers TITLE_EMPTY: the page
    names no code of its own for it (a guess)."""
    out: dict[str, Any] = {}
    if not partial or "title" in body:
        low, high = TITLE_LENGTHS.get(region.upper(), OTHER_TITLE_LENGTH)
        out["title"] = _text(body, "title", TITLE_EMPTY, low=low, high=high)
    if not partial or "description" in body:
        out["description"] = _text(body, "description", DESCRIPTION_REQUIRED, low=0)
    if not partial or "category_id" in body:
        out["category_id"] = str(_text(body, "category_id", CATEGORY_NOT_FOUND))
    if not partial or "main_images" in body:
        out["main_images"] = _images(state, app_key, body.get("main_images"))
    if "brand_id" in body:
        out["brand_id"] = None if body["brand_id"] is None else str(body["brand_id"])
    if "product_attributes" in body:
        if not isinstance(body["product_attributes"], list):
            raise bad("product_attributes must be a list")
        out["product_attributes"] = body["product_attributes"]
    if not partial or "package_weight" in body:
        weight = body.get("package_weight")
        if not isinstance(weight, dict) or weight.get("unit") not in WEIGHT_UNITS:
            raise bad(f"package_weight must be {{value, unit}} with unit {' or '.join(WEIGHT_UNITS)}", WEIGHT_INVALID)
        _amount(str(weight.get("value")), "package_weight.value", WEIGHT_INVALID)
        out["package_weight"] = dict(weight)
    if "package_dimensions" in body:
        if not isinstance(body["package_dimensions"], dict):
            raise bad("package_dimensions must be an object {length, width, height, unit}", SIZE_INVALID)
        out["package_dimensions"] = dict(body["package_dimensions"])
    mode = body.get("save_mode", "LISTING")
    if mode not in ("LISTING", "AS_DRAFT"):
        raise bad("save_mode must be LISTING or AS_DRAFT")
    out["save_mode"] = mode
    return out
