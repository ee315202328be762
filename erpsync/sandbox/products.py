"""Product endpoints (``/product/...``): the wire shapes; the rules live in :mod:`catalog`.

Paths are the documented versions (Partner Center API reference, public scrape 2025-12): search is
``/product/202502/products/search`` and partial edit ``/product/202509/products/{id}/partial_edit``;
their superseded 202309 paths are still served by the same handlers. The rest is 202309.

Codes: a product that is unknown, deleted or of another shop answers 404/12052032 "The product does
not exist" (Get Product, Update Inventory, Update Price and Edit Product Partially list it). Search:
more than 10 ``seller_skus`` answers 12019027 and a page_size outside 1..100 answers 12019109 (Search
Products (202502) list); a bad status or page token is 36009004 (no documented code fits: a guess).
"""

from __future__ import annotations

from typing import Any

from erpsync.sandbox import audit, catalog, paging
from erpsync.sandbox.call import Call
from erpsync.sandbox.envelope import (
    BAD_REQUEST,
    PAGE_SIZE_INVALID,
    PRODUCT_NOT_FOUND,
    TOO_MANY_SELLER_SKUS,
    SandboxError,
)
from erpsync.sandbox.model import Product, Sku
from erpsync.sandbox.uploads import upload_image

MAX_PAGE_SIZE = 100
MAX_SELLER_SKUS = 10
#: Search Products' ``audit_status`` filter: the base version's or a post-live edit's audit
AUDIT_STATUSES = ("AUDITING", "FAILED", "APPROVED")
STATUSES = ("DRAFT", "PENDING", "FAILED", "ACTIVATE", "SELLER_DEACTIVATED", "PLATFORM_DEACTIVATED", "FREEZE", "DELETED")
IMAGE_HOST = "https://p16-oec-va.ibyteimg.com"


def _sku_view(sku: Sku) -> dict[str, Any]:
    return {
        "id": sku.id,
        "seller_sku": sku.seller_sku,
        "price": {"sale_price": sku.amount, "tax_exclusive_price": sku.amount, "currency": sku.currency},
        "inventory": [{"warehouse_id": w, "quantity": q} for w, q in sku.inventory.items()],
        "sales_attributes": list(sku.sales_attributes),
    }


def product_view(p: Product) -> dict[str, Any]:
    return {
        "id": p.id,
        "title": p.title,
        "description": p.description,
        "status": p.status,
        "audit": {"status": p.audit_status},
        "audit_failed_reasons": [dict(r) for r in p.audit_failed_reasons],
        "main_images": [{"uri": u, "urls": [f"{IMAGE_HOST}/{u}~tplv-origin.image"]} for u in p.main_images],
        "category_chains": [{"id": p.category_id, "parent_id": "0", "local_name": "", "is_leaf": True}],
        "brand": {"id": p.brand_id} if p.brand_id else None,
        "product_attributes": list(p.product_attributes),
        "package_weight": dict(p.package_weight),
        "package_dimensions": dict(p.package_dimensions) if p.package_dimensions else None,
        "skus": [_sku_view(s) for s in p.skus],
        "create_time": p.create_time,
        "update_time": p.update_time,
    }


def _written(p: Product) -> dict[str, Any]:
    return {"product_id": p.id, "skus": [{"id": s.id, "seller_sku": s.seller_sku} for s in p.skus], "warnings": []}


def _own_product(call: Call) -> Product:
    audit.settle(call.state)
    product = call.state.world.products.get(call.values["product_id"])
    if product is None or product.shop_id != call.shop.id or product.status == "DELETED":
        raise SandboxError(404, PRODUCT_NOT_FOUND, f"The product does not exist: {call.values['product_id']}")
    return product


def upload(call: Call) -> dict[str, Any]:
    if not call.request.mimetype == "multipart/form-data":
        raise SandboxError(400, BAD_REQUEST, "Invalid params: images/upload takes multipart/form-data")
    return upload_image(call.state.world.uploads, call.caller.app.app_key, call.request.form, call.request.files)


def create(call: Call) -> dict[str, Any]:
    audit.settle(call.state)
    body = call.body()
    return _written(catalog.create(call.state, call.shop.id, call.caller.app.app_key, body))


def partial_edit(call: Call) -> dict[str, Any]:
    product = _own_product(call)
    return _written(catalog.edit(call.state, product, call.caller.app.app_key, call.body()))


def get_product(call: Call) -> dict[str, Any]:
    return product_view(_own_product(call))


def search(call: Call) -> dict[str, Any]:
    """Keyset paging over (update_time, id) with status, seller_skus and time-window filters."""
    audit.settle(call.state)
    body = call.body()
    status = body.get("status")
    if status is not None and status != "ALL" and status not in STATUSES:
        raise SandboxError(400, BAD_REQUEST, f"Invalid params: status must be ALL or one of {', '.join(STATUSES)}")
    audits = body.get("audit_status")
    if audits is not None and not (isinstance(audits, list) and all(a in AUDIT_STATUSES for a in audits)):
        raise SandboxError(400, BAD_REQUEST, f"Invalid params: audit_status must list {', '.join(AUDIT_STATUSES)}")
    skus = body.get("seller_skus")
    if skus is not None and not (isinstance(skus, list) and all(isinstance(s, str) for s in skus)):
        raise SandboxError(400, BAD_REQUEST, "Invalid params: seller_skus must be a list of strings")
    if skus is not None and len(skus) > MAX_SELLER_SKUS:
        raise SandboxError(
            400, TOO_MANY_SELLER_SKUS, f"The maximum count of seller_skus in the search filter is {MAX_SELLER_SKUS}"
        )
    names = ("update_time_ge", "update_time_le", "create_time_ge", "create_time_le")
    b = {k: paging.int_field(body, k) for k in names}
    wanted = set(skus or [])

    def keep(p: Product) -> bool:
        return (
            p.shop_id == call.shop.id
            and ((status in (None, "ALL") and p.status != "DELETED") or p.status == status)
            and (not audits or p.audit_status in audits)
            and (not wanted or any(s.seller_sku in wanted for s in p.skus))
            and (b["update_time_ge"] is None or p.update_time >= b["update_time_ge"])
            and (b["update_time_le"] is None or p.update_time <= b["update_time_le"])
            and (b["create_time_ge"] is None or p.create_time >= b["create_time_ge"])
            and (b["create_time_le"] is None or p.create_time <= b["create_time_le"])
        )

    rows = [p for p in call.state.world.products.values() if keep(p)]
    chunk, token = paging.page(
        rows, call.params, MAX_PAGE_SIZE, "products", lambda p: (p.update_time, p.id), False, PAGE_SIZE_INVALID
    )
    return {
        "products": [
            {
                k: v
                for k, v in product_view(p).items()
                if k in ("id", "title", "status", "audit", "skus", "create_time", "update_time")
            }
            for p in chunk
        ],
        "next_page_token": token,
        "total_count": len(rows),
    }


def inventory_update(call: Call) -> dict[str, Any]:
    errors = catalog.update_inventory(call.state, _own_product(call), call.body())
    return {"errors": errors} if errors else {}


def prices_update(call: Call) -> dict[str, Any]:
    catalog.update_prices(call.state, _own_product(call), call.body())
    return {}


P = "/product/202309"
#: (rule, method, handler, no shop_cipher?) — same shape as api.ROUTES.
ROUTES = [
    (f"{P}/images/upload", "POST", upload, True),
    (f"{P}/products", "POST", create, False),
    ("/product/202502/products/search", "POST", search, False),
    (f"{P}/products/search", "POST", search, False),  # superseded, still served
    (f"{P}/products/<product_id>", "GET", get_product, False),
    ("/product/202509/products/<product_id>/partial_edit", "POST", partial_edit, False),
    (f"{P}/products/<product_id>/partial_edit", "POST", partial_edit, False),  # superseded, still served
    (f"{P}/products/<product_id>/inventory/update", "POST", inventory_update, False),
    (f"{P}/products/<product_id>/prices/update", "POST", prices_update, False),
]
