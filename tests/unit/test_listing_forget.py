"""``core/aspects/listing_forget.py``: the listing bindings as listed, and what a product found in
a listing no ERP product is bound to takes from the bindings."""

from __future__ import annotations

from dataclasses import dataclass

from erpsync.core.aspects.listing_forget import Kept, listing_bindings
from erpsync.core.listings import BoundListing


@dataclass(frozen=True)
class Row:
    seller_id: str | None
    last_pushed_hash: str | None


def test_a_listing_holds_the_skus_whose_rows_name_its_product() -> None:
    products = {"P2": Row("T2", "h"), "P1": Row("T1", None), "P0": Row(None, None)}
    skus = {"B": Row("b", "T2"), "A": Row("a", "T2"), "C": Row("c", "T1"), "OLD": Row("o", None)}
    assert [(b.erp_id, b.product_id, dict(b.skus)) for b in listing_bindings(products, skus)] == [
        ("P1", "T1", {"C": "c"}),
        ("P2", "T2", {"A": "a", "B": "b"}),
    ]


def test_a_found_product_takes_only_values_pushed_to_the_sku_ids_found() -> None:
    """A SKU remade by hand (another id) gets its value pushed anew; the content hash is the one
    its listing's forgotten binding left, none for another listing."""
    kept = Kept(
        hashes={"T2": "h2"},
        prices={"A": Row("a", "1 USD"), "B": Row("b-old", "2 USD")},
        stock={"A": Row("a", "W=1"), "B": Row("b-old", "W=2")},
    )
    assert kept.listing("T2", {"A": "a", "B": "b"}) == BoundListing(
        "T2", "h2", {"A": "a", "B": "b"}, {"A": "1 USD"}, {"A": "W=1"}
    )
    assert kept.listing("T3", {"A": "a"}).content_hash is None
