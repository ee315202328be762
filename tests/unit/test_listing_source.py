"""The fingerprint that lets an unchanged product skip the exact comparison, and never lies.

An equal fingerprint is trusted to mean "nothing to push": so every change that the exact
comparison (``plan_pushes``) would act on must change it, the same values must always give the
same one, and the bindings it was kept with must be the ones it vouches for.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from store_backends import BACKENDS, open_store

from erpsync.core.aspects.listing_bindings import bound_listings, keep_sources, record_push
from erpsync.core.aspects.listings import ListingObservation
from erpsync.core.listing_source import fingerprint, mapping_key
from erpsync.core.listings import (
    BoundListing,
    ErpProduct,
    ErpSku,
    ListingMapping,
    content_hash,
    plan_pushes,
    price_text,
    stock_text,
)
from erpsync.core.store import Store

NOW = datetime(2026, 1, 5, tzinfo=UTC)
MAPPING = ListingMapping(category_id="600001", warehouse_id="WH-1", attributes={"fit": "100393"})
KEY = mapping_key(MAPPING)


def pushed(product: ErpProduct, mapping: ListingMapping = MAPPING) -> BoundListing:
    """The bindings after ``product`` was pushed as it is, with the fingerprint a run kept."""
    bound = BoundListing(
        "T1",
        content_hash(product, mapping),
        {s.seller_sku: f"id-{s.seller_sku}" for s in product.skus},
        {s.seller_sku: price_text(s.price, product.currency) for s in product.skus},
        {s.seller_sku: stock_text(s, mapping.warehouse_id) for s in product.skus},
    )
    return replace(bound, source=fingerprint(product, mapping_key(mapping), bound))


def pushes(product: ErpProduct, bound: BoundListing, mapping: ListingMapping = MAPPING) -> ListingObservation:
    obs = ListingObservation(shop="s", now=NOW, mapping=mapping, products=[product], bound={product.id: bound})
    obs.pushes()
    return obs


text = st.text(max_size=12)  # any code point, separators and controls included
skus = st.builds(
    ErpSku,
    st.sampled_from(["A", "B", "A\x1fB"]),
    st.sampled_from([Decimal("5"), Decimal("5.00"), Decimal("6"), Decimal("-0")]),
    st.integers(0, 3),
    warehouse_stock=st.sampled_from([(), (("7001", 1),), (("7001", 1), ("7002", 0))]),
)
products = st.builds(
    ErpProduct,
    id=st.just("P1"),
    title=text,
    description=text,
    currency=st.sampled_from(["USD", "EUR"]),
    skus=st.lists(skus, min_size=1, max_size=3, unique_by=lambda s: s.seller_sku).map(tuple),
    images=st.lists(text, max_size=3).map(tuple),
    attributes=st.lists(st.tuples(st.sampled_from(["fit", "x"]), text), max_size=2).map(tuple),
)


@settings(max_examples=300, deadline=None)
@given(products, st.one_of(st.none(), products))
def test_the_fingerprint_decides_as_the_exact_comparison_would(then, now):
    """Kept when ``then`` was pushed; ``now`` is what the ERP holds (None: the same): same plan."""
    now = then if now is None else now
    bound = pushed(then)
    exact = plan_pushes(now, MAPPING, replace(bound, source=None))
    assert pushes(now, bound).pushes() == exact


def test_a_product_unchanged_is_skipped_and_a_change_to_any_field_is_compared():
    base = ErpProduct(
        "P1", "Mug", "<p>x</p>", "USD", (ErpSku("M", Decimal("4"), 1),), images=("a.jpg",), attributes=(("fit", "S"),)
    )
    bound = pushed(base)
    assert pushes(base, bound).learned_sources == {}  # matched: not compared, not kept again
    sku = base.skus[0]
    changes = [
        replace(base, title="Mug 2"),
        replace(base, description="<p>y</p>"),
        replace(base, currency="EUR"),
        replace(base, images=("b.jpg",)),
        replace(base, attributes=(("fit", "L"),)),
        replace(base, attributes=(("x", "S"),)),  # not mapped: no push, yet compared
        replace(base, skus=(replace(sku, price=Decimal("4.5")),)),
        replace(base, skus=(replace(sku, inventory=2),)),
        replace(base, skus=(replace(sku, warehouse_stock=(("7001", 1),)),)),
    ]
    for changed in changes:
        assert fingerprint(changed, KEY, bound) != bound.source, changed
    as_text = replace(base, title="1")
    assert fingerprint(replace(base, title=1), KEY, bound) != fingerprint(as_text, KEY, bound)  # type: ignore[arg-type]


def test_texts_that_join_alike_have_other_fingerprints():
    bound = BoundListing("T1", "h", {})
    one = ErpProduct("P1", "a\x1fb", "c", "USD", (), images=("x", "y"))
    two = ErpProduct("P1", "a", "b\x1fc", "USD", (), images=("x\x1fy",))
    assert fingerprint(one, KEY, bound) != fingerprint(two, KEY, bound)


def test_equal_values_give_one_fingerprint_however_the_objects_are_shared():
    bound = BoundListing("T1", "h", {})
    name = "".join(["ima", "ge.jpg"])  # not interned, its own object
    shared = ErpProduct("P1", "t", "d", "USD", (), images=(sys.intern("image.jpg"), sys.intern("image.jpg")))
    apart = ErpProduct("P1", "t", "d", "USD", (), images=(name, "".join(["image", ".jpg"])))
    assert fingerprint(shared, KEY, bound) == fingerprint(apart, KEY, bound)


def test_the_mapping_and_the_bindings_are_part_of_it():
    product = ErpProduct("P1", "Mug", "", "USD", (ErpSku("M", Decimal("4"), 1),))
    bound = pushed(product)
    for other in (
        replace(MAPPING, warehouse_id="WH-2"),
        replace(MAPPING, images={"a.jpg": "uri"}),
        replace(MAPPING, package_weight=("2", "KILOGRAM")),
    ):
        assert mapping_key(other) != KEY
        assert fingerprint(product, mapping_key(other), bound) != bound.source
    assert fingerprint(product, KEY, replace(bound, content_hash="other")) != bound.source
    assert fingerprint(product, KEY, replace(bound, product_id="T2")) != bound.source
    # bindings that changed after the fingerprint was kept (a push by a run that overtook the one
    # that kept it, then the ERP back to what it was): never vouched for
    assert fingerprint(product, KEY, replace(bound, prices={"M": "5 USD"})) != bound.source
    assert fingerprint(product, KEY, replace(bound, inventory={"M": "2"})) != bound.source
    assert fingerprint(product, KEY, replace(bound, sku_ids={"M": "id-other"})) != bound.source
    hooked = replace(MAPPING, shape=lambda product, body: None)
    assert mapping_key(hooked) is None and fingerprint(product, None, bound) is None


def test_a_field_marshal_cannot_write_gives_no_fingerprint():
    odd = ErpProduct("P1", "Mug", "", "USD", (), images=(object(),))  # type: ignore[arg-type]
    assert fingerprint(odd, KEY, BoundListing("T1", "h", {})) is None


def test_kept_after_a_run_that_found_nothing_and_cleared_by_any_push(tmp_path: Path):
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    bindings = store.bindings
    product = ErpProduct("P1", "Mug", "", "USD", (ErpSku("M", Decimal("4"), 1),))
    (create,) = plan_pushes(product, MAPPING, None)
    record_push(
        bindings, "s", "create", {"erp_id": "P1", **create.payload, "product_id": "T1", "answer": {"M": "9"}}, NOW
    )
    first = bound_listings(bindings, "s", [product])["P1"]
    assert first.source is None
    obs = pushes(product, first)
    assert obs.pushes() == [] and set(obs.learned_sources) == {"P1"}
    keep_sources(bindings, "s", obs.learned_sources, NOW)
    second = bound_listings(bindings, "s", [product])["P1"]
    assert second.source == fingerprint(product, KEY, second)
    assert pushes(product, second).learned_sources == {}  # skipped by its fingerprint
    stocked = replace(product, skus=(ErpSku("M", Decimal("4"), 7),))
    (stock,) = pushes(stocked, second).pushes()
    record_push(bindings, "s", "inventory", {"erp_id": "P1", **stock.payload}, NOW)
    assert bound_listings(bindings, "s", [stocked])["P1"].source is None
    # a fingerprint kept for another Seller Center product than the one bound is not used
    keep_sources(bindings, "s", {"P1": ("T-other", "f")}, NOW)
    assert bound_listings(bindings, "s", [stocked])["P1"].source is None


@pytest.mark.parametrize("backend", BACKENDS)
def test_put_many_writes_and_replaces_in_one_call(backend: str, tmp_path: Path) -> None:
    with open_store(backend, tmp_path) as store:
        store.bindings.put("s", "source", "P1", seller_id="T1", last_pushed_hash="old", now=NOW)
        store.bindings.put("s", "product", "P1", seller_id="T1", last_pushed_hash="h", now=NOW)
        store.bindings.put_many("s", "source", {"P1": ("T1", "new"), "P2": ("T2", "f2")}, now=NOW)
        rows = store.bindings.for_entity("s", "source")
        assert {k: (r.seller_id, r.last_pushed_hash) for k, r in rows.items()} == {
            "P1": ("T1", "new"),
            "P2": ("T2", "f2"),
        }
        assert store.bindings.get("s", "product", "P1").last_pushed_hash == "h"  # another entity: untouched
        store.bindings.put_many("s", "source", {}, now=NOW)  # nothing: no write
