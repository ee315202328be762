"""The TikTok seller's ``find_listings``: Search Products hits as the listings the aspect reads.

A hit lists every SKU of its product, not only those searched for (docs/listings.md says what of
it is documented and what is a guess), so each listing says it is the whole product: only such a
hit shows a SKU missing from it as deleted in Seller Center. Over the real client, answered by
``responses``.
"""

from __future__ import annotations

import responses
from listing_seller import Seller
from open_api_fakes import BASE, ok

SEARCH = f"{BASE}/product/202502/products/search"


def hit(product_id: str, *skus: tuple[str, str]) -> dict:
    """A Search Products hit holding ``(sku id, seller_sku)`` SKUs."""
    rows = [{"id": i, "seller_sku": k, "price": {"sale_price": "9", "currency": "USD"}} for i, k in skus]
    return {"id": product_id, "title": "Shirt", "status": "ACTIVATE", "skus": rows}


@responses.activate
def test_a_hit_is_the_whole_product_with_every_sku_not_only_those_searched() -> None:
    responses.post(SEARCH, json=ok({"products": [hit("1729", ("S1", "SHIRT-S"), ("S2", "SHIRT-M"))]}))
    (listing,) = Seller().find_listings(["SHIRT-S"])["SHIRT-S"]
    assert (listing.product_id, dict(listing.skus), listing.whole) == ("1729", {"SHIRT-S": "S1", "SHIRT-M": "S2"}, True)
