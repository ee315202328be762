"""Products: create, edit, inventory and price writes (docs/open-api-full.md §2).

Each write validates with :mod:`catalog_rules` (which lists every rule and its error code) before it
changes anything, so a rejected write leaves the product as it was. The audit lifecycle
(submission, lazy decision, webhooks) lives in :mod:`audit`.
"""

from __future__ import annotations

import copy
from typing import Any

from erpsync.sandbox.audit import submit
from erpsync.sandbox.catalog_rules import (
    CONTENT_FIELDS,
    MAX_SKUS,
    bad,
    inventory,
    new_skus,
    price,
    product_fields,
    taken_skus,
)
from erpsync.sandbox.envelope import (
    ALL_WAREHOUSES_REQUIRED,
    PRODUCT_STATUS_FORBIDS,
    SKU_NOT_FOUND,
    SKU_NOT_OF_PRODUCT,
    SKUS_EMPTY,
    TOO_MANY_SKUS,
    WAREHOUSE_NOT_OF_SHOP,
    SandboxError,
)
from erpsync.sandbox.model import Product, Sku
from erpsync.sandbox.state import SandboxState


def _region(state: SandboxState, shop_id: str) -> str:
    shop = state.world.shops.get(shop_id)
    return shop.region if shop is not None else ""


def create(state: SandboxState, shop_id: str, app_key: str, body: dict[str, Any]) -> Product:
    """Validate and store a new product; LISTING enters audit, AS_DRAFT stays a draft."""
    fields = product_fields(state, body, app_key, partial=False, region=_region(state, shop_id))
    skus = new_skus(state, shop_id, body.get("skus"), taken_skus(state, shop_id, None))
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
    """Apply only the fields sent; content changes (or LISTING a draft) re-enter audit.

    A ``skus`` list is the product's SKUs afterwards, as the 202309 reference reads (quoted in
    docs/listings.md): an ``id`` given edits that SKU, a row without one creates a SKU, and a SKU
    of the product left out is deleted; an id not of the product is refused (12052557).
    """
    fields = product_fields(state, body, app_key, partial=True, region=_region(state, product.shop_id))
    mode = fields.pop("save_mode")
    updates: list[tuple[Sku, dict[str, Any]]] = []
    added: list[Sku] = []
    if "skus" in body:
        raw = body["skus"]
        if not isinstance(raw, list) or not raw:
            raise bad("skus: the SKU list is empty (omit it or list the SKUs)", SKUS_EMPTY)
        if len(raw) > MAX_SKUS:
            raise bad(f"a single product cannot have more than {MAX_SKUS} different SKUs", TOO_MANY_SKUS)
        taken = taken_skus(state, product.shop_id, product)
        by_id = {s.id: s for s in product.skus}
        for i, row in enumerate(raw):
            sku_id = row.get("id") if isinstance(row, dict) else None
            if sku_id is None:
                own = taken | {s.seller_sku for s in product.skus} | {s.seller_sku for s in added}
                added += new_skus(state, product.shop_id, [row], own, f"skus[{i}]", WAREHOUSE_NOT_OF_SHOP)
                continue
            if str(sku_id) not in by_id:
                raise bad(
                    f"skus[{i}].id {sku_id!r}: the SKU ID does not belong to product {product.id}", SKU_NOT_OF_PRODUCT
                )
            change: dict[str, Any] = {}
            if "price" in row:
                change["amount"], change["currency"] = price(row["price"], f"skus[{i}].price")
            if "inventory" in row:
                where = f"skus[{i}].inventory"
                change["inventory"] = inventory(state, product.shop_id, row["inventory"], where, WAREHOUSE_NOT_OF_SHOP)
            updates.append((by_id[str(sku_id)], change))
    content = any(name in body for name in CONTENT_FIELDS)
    if content and product.status == "ACTIVATE":  # a post-live edit: the live values stay until it passes
        kept = product.live_content if product.live_content is not None else {}
        for name in fields:
            kept.setdefault(name, copy.deepcopy(getattr(product, name)))
        product.live_content = kept
    for name, value in fields.items():
        setattr(product, name, value)
    for sku, change in updates:
        for name, value in change.items():
            setattr(sku, name, value)
    if "skus" in body:  # the SKUs not given are deleted
        given = {id(sku) for sku, _change in updates}
        product.skus = [s for s in product.skus if id(s) in given]
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
        raise bad("skus: the SKU list is empty (list at least one {id, inventory})", SKUS_EMPTY)
    by_id = {s.id: s for s in product.skus}
    errors, writes = [], []
    for i, row in enumerate(raw):
        sku_id = str(row.get("id")) if isinstance(row, dict) else None
        sku = by_id.get(sku_id) if sku_id else None
        if sku is None:
            errors.append(
                {
                    "code": SKU_NOT_FOUND,
                    "message": f"The SKU id not exist: {sku_id} (product {product.id})",
                    "detail": {"sku_id": sku_id},
                }
            )
            continue
        stock = inventory(state, product.shop_id, row.get("inventory"), f"skus[{i}].inventory")
        missing = sorted(set(sku.inventory) - set(stock))
        if missing:
            message = f"skus[{i}].inventory must list every warehouse of sku {sku.id}; missing warehouse_id {missing}"
            raise bad(message, ALL_WAREHOUSES_REQUIRED)
        writes.append((sku, stock))
    for sku, stock in writes:
        sku.inventory = stock
        state.effects.record("inventory_update", sku.seller_sku)
    if writes:
        product.update_time = max(state.now(), product.update_time)
    return errors


def update_prices(state: SandboxState, product: Product, body: dict[str, Any]) -> None:
    """Reprice SKUs of an ACTIVATE product (12052901 for any other status: which statuses the live API
    allows is not documented, ACTIVATE only is the sandbox's choice)."""
    if product.status != "ACTIVATE":
        message = f"The product in its current status ({product.status}) is not available for this operation"
        raise SandboxError(400, PRODUCT_STATUS_FORBIDS, message)
    raw = body.get("skus")
    if not isinstance(raw, list) or not raw:
        raise bad("skus: the SKU list is empty (list at least one {id, price})", SKUS_EMPTY)
    by_id = {s.id: s for s in product.skus}
    writes = []
    for i, row in enumerate(raw):
        sku = by_id.get(str(row.get("id"))) if isinstance(row, dict) else None
        if sku is None:
            raise bad(f"skus[{i}].id: the SKU ID does not belong to product {product.id}", SKU_NOT_OF_PRODUCT)
        writes.append((sku, price(row.get("price"), f"skus[{i}].price")))
    for sku, (amount, currency) in writes:
        sku.amount, sku.currency = amount, currency
        state.effects.record("price_update", sku.seller_sku)
    product.update_time = max(state.now(), product.update_time)
