"""Products: validation, the audit lifecycle, inventory and price writes (docs/open-api-full.md §2).

The audit lifecycle (submission, lazy decision, webhooks) lives in :mod:`audit`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from erpsync.sandbox.audit import submit
from erpsync.sandbox.envelope import BAD_REQUEST, PRICE_UPDATE_FORBIDDEN, SKU_NOT_FOUND, SandboxError
from erpsync.sandbox.model import Product, Sku
from erpsync.sandbox.state import SandboxState

MAX_QUANTITY = 99_999
MAX_TITLE = 255
CONTENT_FIELDS = ("title", "description", "main_images", "product_attributes")
WEIGHT_UNITS = ("KILOGRAM", "POUND")


def bad(message: str) -> SandboxError:
    return SandboxError(400, BAD_REQUEST, f"Invalid params: {message}")


def _text(body: dict[str, Any], name: str, *, low: int = 1, high: int | None = None) -> str:
    value = body.get(name)
    if not isinstance(value, str) or len(value.strip()) < low or (high is not None and len(value) > high):
        span = f"{low}-{high}" if high else f"at least {low}"
        raise bad(f"{name} must be a string of {span} characters")
    return value


def _amount(value: Any, where: str) -> str:
    try:
        ok = isinstance(value, str) and Decimal(value).is_finite() and Decimal(value) > 0
    except InvalidOperation:
        ok = False
    if not ok:
        raise bad(f"{where} must be a decimal string > 0, got {value!r}")
    return str(value)


def _price(raw: Any, where: str) -> tuple[str, str]:
    if not isinstance(raw, dict):
        raise bad(f"{where} must be an object {{amount, currency}}")
    currency = raw.get("currency")
    if not isinstance(currency, str) or not currency:
        raise bad(f"{where}.currency is required")
    return _amount(raw.get("amount"), f"{where}.amount"), currency


def _inventory(state: SandboxState, shop_id: str, raw: Any, where: str) -> dict[str, int]:
    if not isinstance(raw, list) or not raw:
        raise bad(f"{where} must be a non-empty list of {{warehouse_id, quantity}}")
    stock: dict[str, int] = {}
    for i, row in enumerate(raw):
        wid = row.get("warehouse_id") if isinstance(row, dict) else None
        warehouse = state.world.warehouses.get(str(wid))
        if warehouse is None or warehouse.shop_id != shop_id:
            raise bad(f"{where}[{i}].warehouse_id {wid!r} is not a warehouse of this shop")
        qty = row.get("quantity")
        if isinstance(qty, bool) or not isinstance(qty, int) or not 0 <= qty <= MAX_QUANTITY:
            raise bad(f"{where}[{i}].quantity must be an integer 0..{MAX_QUANTITY}, got {qty!r}")
        stock[str(wid)] = qty
    return stock


def _images(state: SandboxState, app_key: str, raw: Any) -> list[str]:
    if not isinstance(raw, list) or not raw:
        raise bad("main_images must list at least one {uri}")
    uris = []
    for i, image in enumerate(raw):
        uri = image.get("uri") if isinstance(image, dict) else None
        upload = state.world.uploads.get(str(uri))
        if upload is None or upload["app_key"] != app_key:
            raise bad(f"main_images[{i}].uri {uri!r} was not uploaded through /product/202309/images/upload")
        uris.append(str(uri))
    return uris


def _taken_skus(state: SandboxState, shop_id: str, skip: Product | None) -> set[str]:
    return {
        s.seller_sku
        for p in state.world.products.values()
        if p.shop_id == shop_id and p.status != "DELETED" and p is not skip
        for s in p.skus
    }


def _new_skus(state: SandboxState, shop_id: str, raw: Any, taken: set[str], where: str = "skus") -> list[Sku]:
    if not isinstance(raw, list) or not raw:
        raise bad(f"{where} must list at least one sku")
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
        amount, currency = _price(row.get("price"), f"{w}.price")
        stock = _inventory(state, shop_id, row.get("inventory"), f"{w}.inventory")
        attributes = list(row.get("sales_attributes", []))
        skus.append(Sku(state.new_id("1729"), seller_sku, amount, currency, stock, attributes))
    return skus


def _common(state: SandboxState, body: dict[str, Any], app_key: str, *, partial: bool) -> dict[str, Any]:
    """Validate the product-level fields present in ``body`` (all required ones unless ``partial``)."""
    out: dict[str, Any] = {}
    if not partial or "title" in body:
        out["title"] = _text(body, "title", high=MAX_TITLE)
    if not partial or "description" in body:
        out["description"] = _text(body, "description", low=0)
    if not partial or "category_id" in body:
        out["category_id"] = str(_text(body, "category_id"))
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
            raise bad(f"package_weight must be {{value, unit}} with unit {' or '.join(WEIGHT_UNITS)}")
        _amount(str(weight.get("value")), "package_weight.value")
        out["package_weight"] = dict(weight)
    if "package_dimensions" in body:
        if not isinstance(body["package_dimensions"], dict):
            raise bad("package_dimensions must be an object {length, width, height, unit}")
        out["package_dimensions"] = dict(body["package_dimensions"])
    mode = body.get("save_mode", "LISTING")
    if mode not in ("LISTING", "AS_DRAFT"):
        raise bad("save_mode must be LISTING or AS_DRAFT")
    out["save_mode"] = mode
    return out


def create(state: SandboxState, shop_id: str, app_key: str, body: dict[str, Any]) -> Product:
    """Validate and store a new product; LISTING enters audit, AS_DRAFT stays a draft."""
    fields = _common(state, body, app_key, partial=False)
    skus = _new_skus(state, shop_id, body.get("skus"), _taken_skus(state, shop_id, None))
    mode = fields.pop("save_mode")
    now = state.now()
    product = Product(
        id=state.new_id("1731"),
        shop_id=shop_id,
        skus=skus,
        status="DRAFT",
        audit_status="NONE",
        create_time=now,
        update_time=now,
        **fields,
    )
    if mode == "LISTING":
        submit(state, product)
    state.world.products[product.id] = product
    for sku in skus:
        state.effects.record("product_create", sku.seller_sku)
    return product


def edit(state: SandboxState, product: Product, app_key: str, body: dict[str, Any]) -> Product:
    """Apply only the fields sent; content changes (or LISTING a draft) re-enter audit."""
    fields = _common(state, body, app_key, partial=True)
    mode = fields.pop("save_mode")
    updates: list[tuple[Sku, dict[str, Any]]] = []
    added: list[Sku] = []
    if "skus" in body:
        raw = body["skus"]
        if not isinstance(raw, list) or not raw:
            raise bad("skus must be a non-empty list")
        taken = _taken_skus(state, product.shop_id, product)
        by_id = {s.id: s for s in product.skus}
        for i, row in enumerate(raw):
            sku_id = row.get("id") if isinstance(row, dict) else None
            if sku_id is None:
                own = taken | {s.seller_sku for s in product.skus} | {s.seller_sku for s in added}
                added += _new_skus(state, product.shop_id, [row], own, f"skus[{i}]")
                continue
            if str(sku_id) not in by_id:
                raise bad(f"skus[{i}].id {sku_id!r} is not a sku of product {product.id}")
            change: dict[str, Any] = {}
            if "price" in row:
                change["amount"], change["currency"] = _price(row["price"], f"skus[{i}].price")
            if "inventory" in row:
                change["inventory"] = _inventory(state, product.shop_id, row["inventory"], f"skus[{i}].inventory")
            updates.append((by_id[str(sku_id)], change))
    content = any(name in body for name in CONTENT_FIELDS)
    for name, value in fields.items():
        setattr(product, name, value)
    for sku, change in updates:
        for name, value in change.items():
            setattr(sku, name, value)
    product.skus += added
    product.update_time = max(state.now(), product.update_time)
    if (content and product.status != "DRAFT") or (mode == "LISTING" and product.status == "DRAFT"):
        submit(state, product)
    state.effects.record("product_edit", product.id)
    return product


def update_inventory(state: SandboxState, product: Product, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Write stock for the listed SKUs; unknown SKU ids come back as per-SKU errors, the rest apply."""
    raw = body.get("skus")
    if not isinstance(raw, list) or not raw:
        raise bad("skus must list at least one {id, inventory}")
    by_id = {s.id: s for s in product.skus}
    errors, writes = [], []
    for i, row in enumerate(raw):
        sku_id = str(row.get("id")) if isinstance(row, dict) else None
        sku = by_id.get(sku_id) if sku_id else None
        if sku is None:
            errors.append(
                {
                    "code": SKU_NOT_FOUND,
                    "message": f"sku {sku_id} not found in product {product.id}",
                    "detail": {"sku_id": sku_id},
                }
            )
            continue
        stock = _inventory(state, product.shop_id, row.get("inventory"), f"skus[{i}].inventory")
        missing = sorted(set(sku.inventory) - set(stock))
        if missing:
            raise bad(f"skus[{i}].inventory must list every warehouse of sku {sku.id}; missing warehouse_id {missing}")
        writes.append((sku, stock))
    for sku, stock in writes:
        sku.inventory = stock
        state.effects.record("inventory_update", sku.seller_sku)
    if writes:
        product.update_time = max(state.now(), product.update_time)
    return errors


def update_prices(state: SandboxState, product: Product, body: dict[str, Any]) -> None:
    """Reprice SKUs of an ACTIVATE product (12019090 for any other status)."""
    if product.status != "ACTIVATE":
        raise SandboxError(
            400, PRICE_UPDATE_FORBIDDEN, f"product status {product.status} does not allow price update (ACTIVATE only)"
        )
    raw = body.get("skus")
    if not isinstance(raw, list) or not raw:
        raise bad("skus must list at least one {id, price}")
    by_id = {s.id: s for s in product.skus}
    writes = []
    for i, row in enumerate(raw):
        sku = by_id.get(str(row.get("id"))) if isinstance(row, dict) else None
        if sku is None:
            raise bad(f"skus[{i}].id is not a sku of product {product.id}")
        writes.append((sku, _price(row.get("price"), f"skus[{i}].price")))
    for sku, (amount, currency) in writes:
        sku.amount, sku.currency = amount, currency
        state.effects.record("price_update", sku.seller_sku)
    product.update_time = max(state.now(), product.update_time)
