"""What the listings aspect says to people: each push's drift message, action and refusal."""

from __future__ import annotations

from typing import Any

from erpsync.core.listings import ErpProduct, Push

__all__ = ["action_description", "drift_message", "stock_refused"]


def stock_refused(data: dict[str, Any], failures: dict[str, str]) -> str:
    """What the operator reads when Update Inventory refused SKUs: the ERP product and seller SKUs."""
    named = {v["id"]: seller_sku for seller_sku, v in data["skus"].items()}
    erp = f"ERP product {data['erp_id']} (" if data.get("erp_id") else "("
    skus = "; ".join(
        f"{named[i]} (SKU {i}): {why}" if i in named else f"SKU {i}: {why}" for i, why in sorted(failures.items())
    )
    return f"{erp}Seller Center product {data['product_id']}): stock not set for {skus}"


def drift_message(push: Push, product: ErpProduct) -> str:
    where = f" ({product.source})" if product.source else ""
    name = f"ERP product {product.id} ({product.title[:40]}){where}"
    if push.kind == "create":
        return f"{name} is not in Seller Center: to be created"
    if push.kind == "edit":
        if push.before is None:
            return f"{name} is Seller Center product {push.payload['product_id']}, never pushed: content to push"
        return f"{name}: content changed since the last push ({push.before} → {push.after})"
    what = "price" if push.kind == "price" else "stock"
    return f"{name}: {what} differs from the last pushed: {push.before or '(never pushed)'} → {push.after}"


def action_description(push: Push) -> str:
    if push.kind == "create":
        skus = ", ".join(s["seller_sku"] for s in push.payload["body"]["skus"])
        return f"create a Seller Center product for ERP product {push.erp_id} (SKUs {skus})"
    target = f"Seller Center product {push.payload['product_id']} (ERP {push.erp_id})"
    if push.kind == "edit":
        return f"push the content of {target}"
    return f"set the {'prices' if push.kind == 'price' else 'stock'} of {target}: {push.after}"
