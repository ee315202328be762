"""What the listings aspect says to people: each push's drift message, action and refusal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from erpsync.core.listing_stock import stock_recorded_anew, stock_words
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
    if push.kind == "inventory" and push.by_sku:
        return f"{name}: {_stock_change(push.by_sku)}"
    what = "price" if push.kind == "price" else "stock"
    return f"{name}: {what} differs from the last pushed: {push.before or '(never pushed)'} → {push.after}"


def _stock_change(by_sku: Mapping[str, tuple[str | None, str]]) -> str:
    """What an inventory push changes, SKU by SKU, with each quantity's warehouse; a SKU whose
    binding an earlier version wrote as a bare quantity, still the same, is said to be pushed
    only so that its warehouse is recorded with it."""
    anew = [k for k, (last, text) in by_sku.items() if stock_recorded_anew(last, text)]
    changed = {k: v for k, v in by_sku.items() if k not in anew}
    parts = []
    if changed:
        never = all(last is None for last, _text in changed.values())
        before = "(never pushed)" if never else _words({k: last for k, (last, _t) in changed.items()})
        parts.append(
            f"stock differs from the last pushed: {before} → {_words({k: t for k, (_l, t) in changed.items()})}"
        )
    if anew:
        unchanged = _words({k: by_sku[k][1] for k in anew})
        parts.append(
            f"stock unchanged at {unchanged}: an earlier version recorded the quantity without its "
            "warehouse, so the next stock push sends it once and records the warehouse with it"
        )
    return "; ".join(parts)


def _words(texts: Mapping[str, str | None]) -> str:
    """``sku=5 (warehouse W), ...`` from stock texts, ``(none)`` for one never pushed."""
    return ", ".join(f"{k}={stock_words(v) if v is not None else '(none)'}" for k, v in texts.items())


def action_description(push: Push) -> str:
    if push.kind == "create":
        skus = ", ".join(s["seller_sku"] for s in push.payload["body"]["skus"])
        return f"create a Seller Center product for ERP product {push.erp_id} (SKUs {skus})"
    target = f"Seller Center product {push.payload['product_id']} (ERP {push.erp_id})"
    if push.kind == "edit":
        return f"push the content of {target}"
    if push.kind == "inventory" and push.by_sku:
        return f"set the stock of {target}: {_words({k: text for k, (_last, text) in push.by_sku.items()})}"
    return f"set the {'prices' if push.kind == 'price' else 'stock'} of {target}: {push.after}"
