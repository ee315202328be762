"""The pure listings core: shaping an ERP product into API bodies, the content hash, the planning."""

from __future__ import annotations

from decimal import Decimal

from erpsync.core.listings import (
    BoundListing,
    ErpProduct,
    ErpSku,
    ListingMapping,
    content_hash,
    create_body,
    edit_body,
    plan_pushes,
    price_text,
)

MAPPING = ListingMapping(
    category_id="600001",
    warehouse_id="WH-1",
    brand_id="7000",
    attributes={"material": "100392"},
    images={"front.jpg": "tos-uri-front"},
)


def product(**changes: object) -> ErpProduct:
    base: dict[str, object] = {
        "id": "P1",
        "title": "Cotton shirt",
        "description": "<p>Soft</p>",
        "currency": "USD",
        "skus": (ErpSku("SHIRT-S", Decimal("12.50"), 5), ErpSku("SHIRT-M", Decimal("13"), 0)),
        "images": ("front.jpg", "tos-uri-back"),
        "attributes": (("material", "Cotton"), ("internal_code", "X9")),
        "source": "erp/products.csv:2",
    }
    base.update(changes)
    return ErpProduct(**base)  # type: ignore[arg-type]


def bound(**changes: object) -> BoundListing:
    p = product()
    base: dict[str, object] = {
        "product_id": "1731",
        "content_hash": content_hash(p, MAPPING),
        "sku_ids": {"SHIRT-S": "17291", "SHIRT-M": "17292"},
        "prices": {"SHIRT-S": "12.5 USD", "SHIRT-M": "13 USD"},
        "inventory": {"SHIRT-S": "WH-1=5", "SHIRT-M": "WH-1=0"},
    }
    base.update(changes)
    return BoundListing(**base)  # type: ignore[arg-type]


def test_create_body_maps_config_and_erp_fields():
    body = create_body(product(), MAPPING)
    assert body["category_id"] == "600001" and body["brand_id"] == "7000"
    assert body["main_images"] == [{"uri": "tos-uri-front"}, {"uri": "tos-uri-back"}]  # mapped, else as is
    # only attributes the config maps are sent, with the TikTok attribute id
    assert body["product_attributes"] == [{"id": "100392", "values": [{"name": "Cotton"}]}]
    assert body["skus"][0] == {
        "seller_sku": "SHIRT-S",
        "price": {"amount": "12.5", "currency": "USD"},
        "inventory": [{"warehouse_id": "WH-1", "quantity": 5}],
    }
    assert body["save_mode"] == "LISTING"
    assert body["package_weight"] == {"value": "1", "unit": "KILOGRAM"}


def test_mapping_from_settings_leaves_brand_out_when_unset():
    mapping = ListingMapping.from_settings({"category_id": "1", "warehouse_id": "W", "brand_id": None})
    assert "brand_id" not in create_body(product(), mapping)
    assert ListingMapping.from_settings({}).missing_for_create() == ["category_id", "warehouse_id"]


def test_hash_ignores_price_and_inventory_but_not_content_or_mapping():
    base = content_hash(product(), MAPPING)
    repriced = product(skus=(ErpSku("SHIRT-S", Decimal("99"), 1), ErpSku("SHIRT-M", Decimal("1"), 7)))
    assert content_hash(repriced, MAPPING) == base
    assert content_hash(product(title="Linen shirt"), MAPPING) != base
    assert content_hash(product(images=("tos-uri-back", "front.jpg")), MAPPING) != base  # order shows
    assert content_hash(product(), ListingMapping(**{**MAPPING.__dict__, "brand_id": "8000"})) != base
    assert content_hash(product(skus=(ErpSku("SHIRT-S", Decimal("1"), 1),)), MAPPING) != base  # a SKU gone
    # an attribute the mapping does not send is not content either
    assert content_hash(product(attributes=(("material", "Cotton"),)), MAPPING) == base


def test_price_text_is_canonical():
    assert price_text(Decimal("12.50"), "USD") == price_text(Decimal("12.5"), "USD") == "12.5 USD"
    assert price_text(Decimal("100"), "USD") == "100 USD"  # not 1E+2


def test_unbound_product_is_created_with_price_and_stock_in_the_create():
    (push,) = plan_pushes(product(), MAPPING, None)
    assert push.kind == "create" and push.erp_id == "P1"
    assert push.payload["hash"] == content_hash(product(), MAPPING)
    assert [s["seller_sku"] for s in push.payload["body"]["skus"]] == ["SHIRT-S", "SHIRT-M"]
    # a resent create carries the same idempotency key; other content, another key
    key = push.payload["body"]["idempotency_key"]
    assert key == plan_pushes(product(), MAPPING, None)[0].payload["body"]["idempotency_key"]
    assert (
        len(key) <= 128 and key != plan_pushes(product(title="x"), MAPPING, None)[0].payload["body"]["idempotency_key"]
    )


def test_nothing_changed_plans_nothing():
    assert plan_pushes(product(), MAPPING, bound()) == []


def test_price_change_goes_to_the_price_endpoint_only_for_that_sku():
    changed = product(skus=(ErpSku("SHIRT-S", Decimal("11"), 5), ErpSku("SHIRT-M", Decimal("13.00"), 0)))
    (push,) = plan_pushes(changed, MAPPING, bound())
    assert push.kind == "price"
    assert push.payload == {"product_id": "1731", "skus": {"SHIRT-S": {"id": "17291", "price": "11 USD"}}}
    assert (push.before, push.after) == ("SHIRT-S=12.5 USD", "SHIRT-S=11 USD")


def test_inventory_change_goes_to_the_inventory_endpoint_with_the_configured_warehouse():
    changed = product(skus=(ErpSku("SHIRT-S", Decimal("12.5"), 5), ErpSku("SHIRT-M", Decimal("13"), 40)))
    (push,) = plan_pushes(changed, MAPPING, bound())
    assert push.kind == "inventory"
    assert push.payload == {
        "product_id": "1731",
        "warehouse_id": "WH-1",
        "skus": {"SHIRT-M": {"id": "17292", "quantity": 40}},
    }


def test_content_change_is_one_partial_edit_after_price_and_stock():
    changed = product(
        title="Linen shirt", skus=(ErpSku("SHIRT-S", Decimal("9"), 1), ErpSku("SHIRT-M", Decimal("13"), 0))
    )
    pushes = plan_pushes(changed, MAPPING, bound())
    assert [p.kind for p in pushes] == ["price", "inventory", "edit"]  # an edit sends it back to audit
    edit = pushes[-1]
    assert edit.payload["product_id"] == "1731" and edit.payload["changes"]["title"] == "Linen shirt"
    assert "skus" not in edit.payload["changes"]  # listed SKUs are not resent
    assert edit.payload["hash"] == content_hash(changed, MAPPING)


def test_a_new_sku_travels_in_the_edit_not_in_price_or_stock_pushes():
    grown = product(skus=(*product().skus, ErpSku("SHIRT-L", Decimal("14"), 3)))
    pushes = plan_pushes(grown, MAPPING, bound())
    assert [p.kind for p in pushes] == ["edit"]
    (edit,) = pushes
    assert edit.payload["changes"] == edit_body(grown, MAPPING, bound().sku_ids)
    assert edit.payload["stock"] == {"SHIRT-L": "WH-1=3"}  # recorded for the new SKU only


def test_an_edit_adding_a_sku_lists_every_sku_the_listing_keeps_with_its_id():
    """The 202309 reference deletes a SKU of the product that an edit's skus list leaves out
    (docs/listings.md): the SKUs already listed go with their ids and the ERP's values, the new
    one without an id."""
    grown = product(skus=(*product().skus, ErpSku("SHIRT-L", Decimal("14"), 3)))
    skus = edit_body(grown, MAPPING, bound().sku_ids)["skus"]
    stock = [{"warehouse_id": "WH-1", "quantity": q} for q in (5, 0, 3)]
    assert skus == [
        {
            "id": "17291",
            "seller_sku": "SHIRT-S",
            "price": {"amount": "12.5", "currency": "USD"},
            "inventory": [stock[0]],
        },
        {"id": "17292", "seller_sku": "SHIRT-M", "price": {"amount": "13", "currency": "USD"}, "inventory": [stock[1]]},
        {"seller_sku": "SHIRT-L", "price": {"amount": "14", "currency": "USD"}, "inventory": [stock[2]]},
    ]


def test_a_sku_is_not_added_while_the_listing_holds_skus_the_erp_lacks():
    """SHIRT-M is gone from the ERP but still bound in the listing: an edit listing the SKUs
    would delete it, so the content goes alone, hashed without SHIRT-L (planned again next run),
    and with the content unchanged nothing is edited at all."""
    grown = product(title="Linen shirt", skus=(product().skus[0], ErpSku("SHIRT-L", Decimal("14"), 3)))
    kept = bound(sku_ids={"SHIRT-S": "17291"})
    (edit,) = [p for p in plan_pushes(grown, MAPPING, kept, ("SHIRT-M",)) if p.kind == "edit"]
    assert "skus" not in edit.payload["changes"] and "stock" not in edit.payload
    assert edit.payload["changes"]["title"] == "Linen shirt"
    without = product(title="Linen shirt", skus=(product().skus[0],))
    assert edit.payload["hash"] == content_hash(without, MAPPING) != content_hash(grown, MAPPING)
    same = product(skus=(product().skus[0], ErpSku("SHIRT-L", Decimal("14"), 3)))
    unchanged = bound(
        sku_ids={"SHIRT-S": "17291"}, content_hash=content_hash(product(skus=(product().skus[0],)), MAPPING)
    )
    assert [p.kind for p in plan_pushes(same, MAPPING, unchanged, ("SHIRT-M",))] == []


def test_a_product_found_by_seller_sku_is_edited_and_repriced_never_created():
    found = BoundListing("1731", None, {"SHIRT-S": "17291", "SHIRT-M": "17292"})
    pushes = plan_pushes(product(), MAPPING, found)
    assert [p.kind for p in pushes] == ["price", "inventory", "edit"]
    assert pushes[0].before is None  # never pushed
    assert set(pushes[0].payload["skus"]) == {"SHIRT-S", "SHIRT-M"}


def test_a_partial_product_is_neither_created_nor_edited_but_its_good_skus_are_repriced():
    """A SKU row unread: the SKU set, which the hash covers, is unknown, so no content is pushed."""
    partial = product(title="Linen shirt", skus=(ErpSku("SHIRT-S", Decimal("9"), 5),), partial=True)
    assert plan_pushes(partial, MAPPING, None) == []
    assert [p.kind for p in plan_pushes(partial, MAPPING, bound())] == ["price"]
