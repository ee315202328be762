"""Stock per warehouse in the listings core: what is planned, sent and recorded for each shape.

A SKU without ``warehouse_stock`` has its quantity recorded with the configured warehouse
(``W=5``), so a changed ``warehouse_id`` pushes the stock there; a bare quantity an older version
stored names no warehouse and is pushed once after an upgrade, described as unchanged. One with
``warehouse_stock`` lists every warehouse, since Update Inventory refuses a SKU that leaves one of
its warehouses out (12019028).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from erpsync.core.aspects.base import UnsupportedAction
from erpsync.core.aspects.listing_bindings import bound_listings, forget_pushed, inventory_quantities, record_push
from erpsync.core.aspects.listing_texts import action_description, drift_message
from erpsync.core.aspects.listings import ListingObservation, ListingsAspect
from erpsync.core.errors import PermanentError
from erpsync.core.listing_stock import MAX_QUANTITY, StockError, settle_stock, warehouse_quantities, whole_quantity
from erpsync.core.listings import (
    BoundListing,
    ErpProduct,
    ErpSku,
    ListingMapping,
    content_hash,
    create_body,
    plan_pushes,
    stock_text,
)
from erpsync.core.store import Store

NOW = datetime(2026, 1, 5, tzinfo=UTC)
MAPPING = ListingMapping(category_id="600001", warehouse_id="WH-1")
SPLIT = (("7001", 3), ("7002", 0))


def shirt(*skus: ErpSku) -> ErpProduct:
    return ErpProduct("P1", "Shirt", "", "USD", skus or (ErpSku("S", Decimal("5"), 4),))


def bound(stock: dict[str, str], skus: dict[str, str] | None = None) -> BoundListing:
    p = shirt()
    sku_ids = skus or {"S": "91"}
    prices = {k: "5 USD" for k in sku_ids}
    return BoundListing("T1", content_hash(p, MAPPING), sku_ids, prices, stock)


def test_a_sku_without_warehouses_names_the_configured_one_and_keeps_today_s_payload():
    sku = ErpSku("S", Decimal("5"), 4)
    assert stock_text(sku, "WH-1") == "WH-1=4"
    assert plan_pushes(shirt(sku), MAPPING, bound({"S": "WH-1=4"})) == []
    (push,) = plan_pushes(shirt(ErpSku("S", Decimal("5"), 9)), MAPPING, bound({"S": "WH-1=4"}))
    assert push.payload == {"product_id": "T1", "warehouse_id": "WH-1", "skus": {"S": {"id": "91", "quantity": 9}}}
    assert (push.before, push.after) == ("S=WH-1=4", "S=WH-1=9")


def test_a_new_warehouse_id_pushes_the_same_quantity_to_it():
    """The stock went to WH-1; [aspects.listings] warehouse_id is now WH-2: the quantity is
    unchanged, but WH-2 has never been sent it."""
    moved = ListingMapping(category_id="600001", warehouse_id="WH-2")
    sku = ErpSku("S", Decimal("5"), 4)
    assert plan_pushes(shirt(sku), MAPPING, bound({"S": "WH-1=4"})) == []  # still WH-1: nothing
    (push,) = plan_pushes(shirt(sku), moved, bound({"S": "WH-1=4"}))
    assert push.payload == {"product_id": "T1", "warehouse_id": "WH-2", "skus": {"S": {"id": "91", "quantity": 4}}}


def test_a_bare_quantity_stored_by_an_earlier_version_is_pushed_once_to_the_configured_warehouse(tmp_path: Path):
    """A bare ``"4"`` names no warehouse: it may have gone to another one, so it is pushed once,
    and recorded with its warehouse; the next plan finds nothing to push."""
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    sku = ErpSku("S", Decimal("5"), 4)
    (push,) = plan_pushes(shirt(sku), MAPPING, bound({"S": "4"}))
    assert push.kind == "inventory" and (push.before, push.after) == ("S=4", "S=WH-1=4")
    store.bindings.put(
        "s", "product", "P1", seller_id="T1", last_pushed_hash=content_hash(shirt(sku), MAPPING), now=NOW
    )
    store.bindings.put("s", "sku", "S", seller_id="91", last_pushed_hash="T1", now=NOW)
    store.bindings.put("s", "price", "S", seller_id="91", last_pushed_hash="5 USD", now=NOW)
    record_push(store.bindings, "s", "inventory", {"erp_id": "P1", **push.payload}, NOW)
    seen = bound_listings(store.bindings, "s", [shirt(sku)])["P1"]
    assert seen.inventory == {"S": "WH-1=4"} and plan_pushes(shirt(sku), MAPPING, seen) == []


def test_stock_messages_give_each_quantity_with_its_warehouse():
    (push,) = plan_pushes(shirt(ErpSku("S", Decimal("5"), 9)), MAPPING, bound({"S": "WH-1=4"}))
    message = drift_message(push, shirt())
    assert message.endswith("stock differs from the last pushed: S=4 (warehouse WH-1) → S=9 (warehouse WH-1)")
    assert action_description(push).endswith(": S=9 (warehouse WH-1)")
    split = ErpSku("S", Decimal("5"), 3, warehouse_stock=SPLIT)
    (push,) = plan_pushes(shirt(split), MAPPING, bound({"S": "WH-1=4"}))
    assert drift_message(push, shirt()).endswith("S=4 (warehouse WH-1) → S=3 (warehouse 7001) + 0 (warehouse 7002)")


def test_a_bare_quantity_stored_by_an_earlier_version_is_said_unchanged_and_recorded_with_its_warehouse():
    """After an upgrade the binding holds ``"4"``: the stock is pushed once (above), but it did not
    change, and the message says so rather than ``S=4 → S=WH-1=4``; a changed one says both."""
    (push,) = plan_pushes(shirt(), MAPPING, bound({"S": "4"}))
    message = drift_message(push, shirt())
    assert "differs" not in message and "stock unchanged at S=4 (warehouse WH-1)" in message
    assert "earlier version" in message and "records the warehouse with it" in message
    two = shirt(ErpSku("S", Decimal("5"), 4), ErpSku("T", Decimal("5"), 8))
    (push,) = [
        p
        for p in plan_pushes(two, MAPPING, bound({"S": "4", "T": "7"}, {"S": "91", "T": "92"}))
        if p.kind == "inventory"
    ]
    message = drift_message(push, two)
    assert "stock differs from the last pushed: T=7 (warehouse not recorded) → T=8 (warehouse WH-1)" in message
    assert "stock unchanged at S=4 (warehouse WH-1)" in message


def test_stock_per_warehouse_is_pushed_only_when_a_quantity_changed_listing_every_warehouse():
    sku = ErpSku("S", Decimal("5"), 3, warehouse_stock=SPLIT)
    assert stock_text(sku, "WH-1") == "7001=3;7002=0"
    assert plan_pushes(shirt(sku), MAPPING, bound({"S": "7001=3;7002=0"})) == []
    moved = ErpSku("S", Decimal("5"), 3, warehouse_stock=(("7001", 1), ("7002", 2)))  # same sum, moved
    (push,) = plan_pushes(shirt(moved), MAPPING, bound({"S": "7001=3;7002=0"}))
    assert push.kind == "inventory"
    assert push.payload == {
        "product_id": "T1",
        "skus": {
            "S": {
                "id": "91",
                "inventory": [{"warehouse_id": "7001", "quantity": 1}, {"warehouse_id": "7002", "quantity": 2}],
            }
        },
    }
    assert inventory_quantities(push.payload) == {"91": {"7001": 1, "7002": 2}}
    # a binding stored as a bare quantity (the SKU went per warehouse) is pushed once
    (push,) = plan_pushes(shirt(sku), MAPPING, bound({"S": "3"}))
    assert push.before == "S=3" and push.after == "S=7001=3;7002=0"


def test_a_product_mixing_both_shapes_sends_each_sku_in_its_own():
    skus = (ErpSku("A", Decimal("5"), 2), ErpSku("B", Decimal("5"), 3, warehouse_stock=SPLIT))
    pushes = plan_pushes(shirt(*skus), MAPPING, bound({}, {"A": "1", "B": "2"}))
    (push,) = [p for p in pushes if p.kind == "inventory"]
    assert push.payload["warehouse_id"] == "WH-1"
    assert inventory_quantities(push.payload) == {"1": {"WH-1": 2}, "2": {"7001": 3, "7002": 0}}


def test_an_older_pending_payload_is_applied_as_planned():
    older = {"erp_id": "P1", "product_id": "T1", "warehouse_id": "WH-1", "skus": {"S": {"id": "91", "quantity": 7}}}
    assert inventory_quantities(older) == {"91": {"WH-1": 7}}
    aspect = ListingsAspect()
    obs = ListingObservation(
        shop="s", now=NOW, mapping=MAPPING, products=[shirt(ErpSku("S", Decimal("5"), 9))], bound={"P1": bound({})}
    )
    (action,) = [a for a in aspect.plan(aspect.diff(obs), lambda d: "erp", obs) if a.kind == "set_inventory"]
    pending = replace(action, value=json.dumps(older))  # as a ledger row an older version wrote
    writer = _Writer()
    aspect.check_apply(pending, writer, writer)
    aspect.apply(pending, writer, writer)
    assert writer.sent == [("T1", {"91": {"WH-1": 7}})]


def test_create_lists_every_warehouse_and_needs_no_configured_warehouse():
    sku = ErpSku("S", Decimal("5"), 3, warehouse_stock=SPLIT)
    mapping = ListingMapping(category_id="600001")
    assert create_body(shirt(sku), mapping)["skus"][0]["inventory"] == [
        {"warehouse_id": "7001", "quantity": 3},
        {"warehouse_id": "7002", "quantity": 0},
    ]
    aspect = ListingsAspect()
    obs = ListingObservation(shop="s", now=NOW, mapping=mapping, products=[shirt(sku)])
    (action,) = aspect.plan(aspect.diff(obs), lambda d: "erp", obs)
    aspect.check_apply(action, _Writer(), _Writer())  # every SKU names its warehouses: it may go
    obs = ListingObservation(shop="s", now=NOW, mapping=mapping, products=[shirt()])
    (action,) = aspect.plan(aspect.diff(obs), lambda d: "erp", obs)
    with pytest.raises(UnsupportedAction, match="warehouse_id"):
        aspect.check_apply(action, _Writer(), _Writer())


def test_an_inventory_push_to_the_configured_warehouse_needs_it_set():
    aspect = ListingsAspect()
    mapping = ListingMapping()
    obs = ListingObservation(
        shop="s", now=NOW, mapping=mapping, products=[shirt(ErpSku("S", Decimal("5"), 9))], bound={"P1": bound({})}
    )
    actions = aspect.plan(aspect.diff(obs), lambda d: "erp", obs)
    (stock,) = [a for a in actions if a.kind == "set_inventory"]
    with pytest.raises(UnsupportedAction, match="set warehouse_id"):
        aspect.check_apply(stock, _Writer(), _Writer())


def test_what_is_recorded_is_what_the_next_plan_compares(tmp_path: Path):
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    bindings = store.bindings
    split = ErpSku("B", Decimal("5"), 3, warehouse_stock=SPLIT)
    product = shirt(ErpSku("A", Decimal("5"), 2), split)
    (create,) = plan_pushes(product, MAPPING, None)
    data = {
        "erp_id": "P1",
        **json.loads(json.dumps(create.payload)),
        "product_id": "T1",
        "answer": {"A": "1", "B": "2"},
    }
    record_push(bindings, "s", "create", data, NOW)
    seen = bound_listings(bindings, "s", [product])["P1"]
    assert seen.inventory == {"A": "WH-1=2", "B": "7001=3;7002=0"}
    assert plan_pushes(product, MAPPING, seen) == []
    # an inventory push in the new shape, and a pending one in the older shape, record the same texts
    moved = shirt(
        ErpSku("A", Decimal("5"), 6), ErpSku("B", Decimal("5"), 3, warehouse_stock=(("7001", 2), ("7002", 1)))
    )
    (push,) = plan_pushes(moved, MAPPING, seen)
    record_push(bindings, "s", "inventory", {"erp_id": "P1", **push.payload}, NOW)
    assert plan_pushes(moved, MAPPING, bound_listings(bindings, "s", [moved])["P1"]) == []
    older = {"erp_id": "P1", "product_id": "T1", "warehouse_id": "WH-1", "skus": {"A": {"id": "1", "quantity": 8}}}
    record_push(bindings, "s", "inventory", older, NOW)
    assert bound_listings(bindings, "s", [moved])["P1"].inventory["A"] == "WH-1=8"
    # a create payload written without the stock texts records the warehouses it sent
    del data["stock"]
    record_push(bindings, "s", "create", data, NOW)
    assert bound_listings(bindings, "s", [product])["P1"].inventory == {"A": "WH-1=2", "B": "7001=3;7002=0"}


def test_a_refused_warehouse_list_names_the_erp_product_and_seller_sku():
    aspect = ListingsAspect()
    moved = ErpSku("S", Decimal("5"), 3, warehouse_stock=(("7001", 1), ("7002", 2)))
    obs = ListingObservation(
        shop="s", now=NOW, mapping=MAPPING, products=[shirt(moved)], bound={"P1": bound({"S": "7001=3;7002=0"})}
    )
    (action,) = aspect.plan(aspect.diff(obs), lambda d: "erp", obs)
    refusing = _Writer(refuse={"91": "12019028: Multiple warehouses detected"})
    with pytest.raises(PermanentError) as raised:
        aspect.apply(action, refusing, refusing)
    assert refusing.sent == [("T1", {"91": {"7001": 1, "7002": 2}})]
    message = str(raised.value)
    assert "ERP product P1" in message and "S (SKU 91): 12019028" in message


class _Writer:
    """A seller that writes listings: ``check_apply`` makes no call; stock is kept, or refused."""

    def __init__(self, refuse: dict[str, str] | None = None) -> None:
        self.refuse = refuse or {}
        self.sent: list[tuple[str, dict[str, dict[str, int]]]] = []

    def create_listing(self, body):  # pragma: no cover - never called
        raise AssertionError

    def edit_listing(self, product_id, changes):  # pragma: no cover
        raise AssertionError

    def set_listing_prices(self, product_id, prices):  # pragma: no cover
        raise AssertionError

    def set_listing_inventory(self, product_id, quantities):
        self.sent.append((product_id, dict(quantities)))
        return dict(self.refuse)


@pytest.mark.parametrize("value", [5, " 5 ", "5", Decimal("5.0"), 0, MAX_QUANTITY])
def test_a_whole_quantity_is_an_int_digits_or_a_json_whole_decimal(value):
    assert whole_quantity(value) == int(value)


@pytest.mark.parametrize(
    ("value", "kind"),
    [(True, "not_whole"), (2.0, "not_whole"), ("2.5", "not_whole"), (-1, "not_whole"), ("²", "not_whole"),
     (Decimal("Infinity"), "not_whole"), (MAX_QUANTITY + 1, "over"), (None, "not_whole")],
)  # fmt: skip
def test_a_quantity_that_cannot_be_pushed_is_a_stock_error_naming_its_warehouse(value, kind):
    with pytest.raises(StockError) as caught:
        whole_quantity(value, warehouse="7001")
    assert (caught.value.kind, caught.value.field, caught.value.warehouse) == (kind, "warehouse_stock", "7001")
    assert str(caught.value).startswith("warehouse 7001: quantity ")


def test_a_warehouse_listed_twice_is_refused_not_overwritten():
    with pytest.raises(StockError, match="warehouse 7001 is listed twice") as caught:
        warehouse_quantities([("7001", 1), ("7002", 2), ("7001", "3")])
    assert caught.value.kind == "twice"


def test_settled_stock_is_the_sorted_warehouses_and_their_sum_which_may_pass_the_limit():
    stock = warehouse_quantities([("7002", MAX_QUANTITY), ("7001", "4")])
    assert settle_stock(stock) == (MAX_QUANTITY + 4, (("7001", 4), ("7002", MAX_QUANTITY)))
    assert settle_stock(stock, MAX_QUANTITY + 4) == settle_stock(stock, str(MAX_QUANTITY + 4))


@pytest.mark.parametrize("inventory", [9, "9", "x", "-8", ""])
def test_an_inventory_that_is_not_the_sum_is_refused(inventory):
    with pytest.raises(StockError, match=r"disagrees with warehouse_stock \(5 \+ 3 = 8\)") as caught:
        settle_stock({"7001": 5, "7002": 3}, inventory)
    assert (caught.value.field, caught.value.kind, caught.value.total) == ("inventory", "disagrees", 8)


def test_an_edit_forgets_the_kept_skus_values_it_sends_before_it_is_sent(tmp_path: Path):
    """An edit adding SKU B lists A, which the listing keeps, with its price and stock: taken
    effect with its answer lost, A's old values must not stay recorded, or an ERP going back to
    them would differ from nothing while Seller Center holds the edit's. C, listed without its
    stock (a policy that only reports stock), keeps the stock last recorded; E, sent with the
    price recorded for it, keeps it (Seller Center has it whatever becomes of the edit)."""
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    for entity, value in (("price", "5 USD"), ("inventory", "W=3")):
        store.bindings.put("s", entity, "A", seller_id="91", last_pushed_hash=value, now=NOW)
        store.bindings.put("s", entity, "C", seller_id="93", last_pushed_hash=value, now=NOW)
    kept = {"id": "91", "seller_sku": "A", "price": {"amount": "6", "currency": "USD"},
            "inventory": [{"warehouse_id": "W", "quantity": 4}]}  # fmt: skip
    price_only = {"id": "93", "seller_sku": "C", "price": {"amount": "6", "currency": "USD"}}
    store.bindings.put("s", "price", "E", seller_id="95", last_pushed_hash="5 USD", now=NOW)
    same = {"id": "95", "seller_sku": "E", "price": {"amount": "5", "currency": "USD"}}  # as recorded: kept
    new = {"seller_sku": "B", "price": {"amount": "2", "currency": "USD"}, "inventory": [{"quantity": 1}]}
    changes = {"title": "T", "skus": [kept, price_only, same, new]}
    forget_pushed(store.bindings, "s", "edit", {"erp_id": "P1", "product_id": "T1", "changes": changes}, NOW)
    price, stock = store.bindings.for_entity("s", "price"), store.bindings.for_entity("s", "inventory")
    assert price["A"].last_pushed_hash is None and stock["A"].last_pushed_hash is None
    assert price["C"].last_pushed_hash is None and stock["C"].last_pushed_hash == "W=3"
    assert price["A"].seller_id == "91" and "B" not in price and price["E"].last_pushed_hash == "5 USD"
