"""SKUs still on sale in Seller Center that the ERP no longer has: a warning, not a push.

A partial edit never removes SKUs (``edit_body`` sends no ``skus`` list unless SKUs are added,
and then lists every SKU the listing keeps), so a SKU removed from an ERP product, or a whole
product removed from the ERP, stays in its Seller Center listing with the last stock pushed to
it, while the edit that dropped it from the content hash is recorded as done. erpsync does not
take it off sale itself: no policy says whether stock 0, a deactivation or nothing is what the
seller wants, and a SKU the ERP lost by mistake would stop selling. So each such SKU is an
``sku_not_in_erp`` warning naming the SKU, the Seller Center product and the ERP product, which
resolves once the ERP has the SKU again or the bindings no longer put it in that listing (a
search whose hit shows the listing without it forgets it: ``listing_lookup.py``). While
it is bound in a listing, SKUs its ERP product gains are not added, since an edit's ``skus``
list would delete it (a record error says so: ``listing_observation.py``).

The SKUs "in a listing" are the ``sku`` bindings that name the listing's Seller Center product
(kept from create and edit answers and searches: ``listing_bindings.py``). SKU rows written
before the product was kept with them name none and cannot be placed: they are not reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from erpsync.core.listing_ports import BindingState
from erpsync.core.listings import ErpProduct
from erpsync.core.models import Drift, Severity, Texts

__all__ = ["SKU_NOT_IN_ERP", "Leftover", "leftover_drifts", "leftovers"]

SKU_NOT_IN_ERP = "sku_not_in_erp"


@dataclass(frozen=True)
class Leftover:
    """The SKUs bound in Seller Center product ``product_id`` that ERP product ``erp_id`` lacks;
    ``removed``: the ERP no longer has the product at all."""

    erp_id: str
    product_id: str
    seller_skus: tuple[str, ...]
    removed: bool = False


def leftovers(
    products: Mapping[str, BindingState], skus: Mapping[str, BindingState], catalogue: Sequence[ErpProduct]
) -> dict[str, Leftover]:
    """Pure: per ERP product id, the SKUs its listing holds that it does not (``products`` and
    ``skus``: the ``product`` and ``sku`` bindings of one shop, by ERP id and seller_sku)."""
    in_listing: dict[str, list[str]] = {}
    for seller_sku, row in skus.items():
        if row.seller_id and row.last_pushed_hash:
            in_listing.setdefault(row.last_pushed_hash, []).append(seller_sku)
    if not in_listing:
        return {}
    out: dict[str, Leftover] = {}
    read: set[str] = set()
    for product in catalogue:
        read.add(product.id)
        kept = products.get(product.id)
        product_id = kept.seller_id if kept is not None else None
        listed = in_listing.get(product_id) if product_id else None
        if not listed or product_id is None:
            continue
        has = {s.seller_sku for s in product.skus}
        gone = tuple(sorted(k for k in listed if k not in has))
        if gone:
            out[product.id] = Leftover(product.id, product_id, gone)
    for erp_id in products.keys() - read:
        product_id = products[erp_id].seller_id
        if product_id and product_id in in_listing:
            out[erp_id] = Leftover(erp_id, product_id, tuple(sorted(in_listing[product_id])), removed=True)
    return out


def leftover_drifts(aspect: str, shop: str, found: Iterable[Leftover]) -> list[Drift]:
    """Pure: one warning per SKU, subject the ERP product, field the seller SKU."""
    drifts = []
    for left in found:
        for seller_sku in left.seller_skus:
            if left.removed:
                why_en = f"ERP product {left.erp_id} is no longer in the ERP"
                why_zh = f"ERP 商品 {left.erp_id} 已不在 ERP 中"
            else:
                why_en = f"ERP product {left.erp_id} no longer has it"
                why_zh = f"ERP 商品 {left.erp_id} 已没有该 SKU"
            en = (
                f"SKU {seller_sku} is still on sale in Seller Center product {left.product_id} with the last "
                f"stock pushed to it, but {why_en}; "
                "erpsync does not take it off sale: delete or deactivate it in Seller Center (or set its "
                "stock to 0), then acknowledge this drift; or add the SKU back to the ERP product"
            )
            zh = (
                f"商家后台商品 {left.product_id} 的 SKU {seller_sku} 仍以上次推送的库存在售，但{why_zh}；"
                "erpsync 不会将其下架：请在商家后台删除或停用该 SKU（或将库存设为 0）后确认此差异，"
                "或将该 SKU 加回 ERP 商品"
            )
            drifts.append(
                Drift(
                    shop,
                    aspect,
                    SKU_NOT_IN_ERP,
                    left.erp_id,
                    seller_sku,
                    left.product_id,
                    None,
                    Severity.WARNING,
                    en,
                    summary=Texts(en, zh),
                )
            )
    return drifts
