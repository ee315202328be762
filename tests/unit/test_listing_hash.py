"""The content hash is written without building the body, and must equal the body's JSON digest.

Stored hashes are compared run after run: a hash that changed for an unchanged product would
re-push the whole catalogue once. So the fast text is checked against the body serialised by
``json.dumps`` on generated products, and one digest is pinned as stored by earlier versions.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from erpsync.core.listing_hash import canonical_json
from erpsync.core.listings import ErpProduct, ErpSku, ListingMapping, _content, content_hash, price_text

NAMES = ["front.jpg", "back.jpg", "material", "fit", "x", 'q"uote', "é"]
text = st.text(max_size=40)  # any code point: quotes, backslashes, controls, CJK, emoji


def json_digest(product: ErpProduct, mapping: ListingMapping) -> str:
    """The content hash as the body's canonical JSON, the way it has always been defined."""
    data = {"content": _content(product, mapping), "skus": sorted(s.seller_sku for s in product.skus)}
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


mappings = st.builds(
    ListingMapping,
    category_id=text,
    warehouse_id=text,
    brand_id=st.one_of(st.none(), text),
    attributes=st.dictionaries(st.sampled_from(NAMES), text, max_size=4),
    images=st.dictionaries(st.sampled_from(NAMES) | text, text, max_size=4),
    package_weight=st.tuples(text, st.sampled_from(["KILOGRAM", "POUND"])),
)
skus = st.lists(st.builds(ErpSku, text, st.just(Decimal("1")), st.just(1)), min_size=1, max_size=4)
products = st.builds(
    ErpProduct,
    id=st.just("P1"),
    title=text,
    description=st.text(max_size=300),
    currency=st.just("USD"),
    skus=skus.map(tuple),
    images=st.lists(st.sampled_from(NAMES) | text, max_size=5).map(tuple),
    attributes=st.lists(st.tuples(st.sampled_from(NAMES) | text, text), max_size=5).map(tuple),
)


@settings(max_examples=400, deadline=None)
@given(products, mappings)
def test_the_fast_hash_is_the_json_digest_of_the_body(product, mapping):
    assert content_hash(product, mapping) == json_digest(product, mapping)


def test_a_field_that_is_not_a_string_is_hashed_as_its_json():
    odd = ErpProduct("P1", 7, None, "USD", (ErpSku("A", Decimal("1"), 1),), attributes=(("fit", 3.5),))  # type: ignore[arg-type]
    mapping = ListingMapping(category_id=600001, attributes={"fit": 100393})  # type: ignore[arg-type]
    assert content_hash(odd, mapping) == json_digest(odd, mapping)


def test_a_hash_stored_by_earlier_versions_still_matches():
    mapping = ListingMapping(
        category_id="600001",
        warehouse_id="WH-1",
        brand_id="7000",
        attributes={"material": "100392", "fit": "100393"},
        images={"front.jpg": "tos-uri-front"},
        package_weight=("0.5", "POUND"),
    )
    product = ErpProduct(
        id="P1",
        title='Cotton shirt "Ünïcode" 棉衬衫',
        description="<p>Soft\n\ttab \\ back</p>",
        currency="USD",
        skus=(ErpSku("SHIRT-S", Decimal("12.50"), 5), ErpSku("SHIRT-M", Decimal("13"), 0)),
        images=("front.jpg", "tos-uri-back"),
        attributes=(("material", "Cotton"), ("internal", "X9"), ("fit", "Slim 修身")),
    )
    assert content_hash(product, mapping) == "792b9b66c21429e1ed2933caaf457d4a30b6c47b2e209aee8482d1631bed012c"
    assert content_hash(product, ListingMapping()) == "09efb8da24cc46f428c34008ebd41733215375248572a5ff9e23504c73bcf63d"


def test_a_mapping_made_anew_is_encoded_anew():
    product = ErpProduct("P1", "Mug", "", "USD", (ErpSku("MUG", Decimal("4"), 1),), images=("a.jpg",))
    first = content_hash(product, ListingMapping(images={"a.jpg": "uri-1"}))
    assert content_hash(product, ListingMapping(images={"a.jpg": "uri-2"})) != first


def test_remembered_prices_keep_each_amount_s_own_text():
    assert price_text(Decimal("12.50"), "USD") == price_text(Decimal("12.5"), "USD") == "12.5 USD"
    assert price_text(Decimal("1E+1"), "USD") == "10 USD"
    assert price_text(Decimal("0"), "USD") == "0 USD"
    assert price_text(Decimal("-0"), "USD") == "-0 USD"  # equal to 0, written apart: never remembered
    assert price_text(Decimal("12.5"), "EUR") == "12.5 EUR"
