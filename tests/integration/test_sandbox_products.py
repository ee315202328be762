"""Sandbox products over real HTTP: create validation, audit lifecycle, search, inventory, prices."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sandbox_wire import Wire, expect_error, product_body

pytestmark = pytest.mark.integration

P = "/product/202309/products"
SEARCH = "/product/202502/products/search"
EDIT = "/product/202509/products/{}/partial_edit"
ACTIVE = "1731000000000000101"  # scenario: ACTIVATE, skus MUG-350-RED (DG+SZ) and MUG-350-BLUE (DG)
RED, BLUE = "1729000000000000101", "1729000000000000102"
DRAFT = "1731000000000000102"


def test_create_then_audit_approves_after_the_delay(wire: Wire) -> None:
    created = wire.ok("POST", P, body=product_body(wire))
    assert created["skus"][0]["seller_sku"] == "CAMP-MUG-1" and created["warnings"] == []
    pid = created["product_id"]
    product = wire.ok("GET", f"{P}/{pid}")
    assert (product["status"], product["audit"]["status"]) == ("PENDING", "AUDITING")
    assert product["main_images"][0]["urls"] and product["category_chains"][0]["id"] == "600001"
    sku = product["skus"][0]
    assert sku["price"]["tax_exclusive_price"] == "6.50" and sku["inventory"] == [
        {"warehouse_id": "WH-DG-01", "quantity": 10}
    ]
    # the virtual clock is the wall clock plus an offset, so the real seconds a loaded machine
    # takes between these calls count too: 30 s short of the 600 s audit delay, not 1
    wire.advance(570)
    assert wire.ok("GET", f"{P}/{pid}")["audit"]["status"] == "AUDITING"
    wire.advance(30)
    product = wire.ok("GET", f"{P}/{pid}")
    assert (product["status"], product["audit"]["status"], product["audit_failed_reasons"]) == (
        "ACTIVATE",
        "APPROVED",
        [],
    )
    assert wire.admin("GET", "effects")["product_create"] == {"CAMP-MUG-1": 1}


def test_audit_fails_by_scenario_rule_and_content_edit_reenters_audit(wire: Wire) -> None:
    pid = wire.ok("POST", P, body=product_body(wire, title="Replica designer mug"))["product_id"]
    wire.advance(600)
    failed = wire.ok("GET", f"{P}/{pid}")
    assert (failed["status"], failed["audit"]["status"]) == ("FAILED", "FAILED")
    (reason,) = failed["audit_failed_reasons"]
    assert reason["position"] == "title" and "replica" in reason["reasons"][0].lower() and reason["suggestions"]
    edited = wire.ok("POST", EDIT.format(pid), body={"title": "Designer-style mug"})
    assert edited["product_id"] == pid
    again = wire.ok("GET", f"{P}/{pid}")
    assert (again["status"], again["audit"]["status"], again["title"]) == ("PENDING", "AUDITING", "Designer-style mug")
    wire.advance(600)
    assert wire.ok("GET", f"{P}/{pid}")["status"] == "ACTIVATE"
    expect_error(wire.call("POST", EDIT.format(999), body={"title": "x"}), 404, 12052032)
    expect_error(wire.call("GET", f"{P}/999"), 404, 12052032)


def test_draft_stays_draft(wire: Wire) -> None:
    pid = wire.ok("POST", P, body=product_body(wire, save_mode="AS_DRAFT"))["product_id"]
    wire.advance(3600)
    product = wire.ok("GET", f"{P}/{pid}")
    assert (product["status"], product["audit"]["status"]) == ("DRAFT", "NONE")


def _bad(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    target: Any = changed
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = keys[-1]
    if value is KeyError:
        del target[last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return changed


@pytest.mark.parametrize(
    ("path", "value", "names", "code"),
    [
        ("title", "", "title", 12052261),
        ("title", "x" * 256, "title", 12052051),
        ("description", KeyError, "description", 12052015),
        ("category_id", KeyError, "category_id", 12052023),
        ("main_images", [], "main_images", 12052028),
        ("main_images", [{"uri": "tos-not/uploaded"}], "main_images", 12052300),
        ("package_weight", {"value": "1", "unit": "STONE"}, "package_weight", 12019011),
        ("package_dimensions", "big", "package_dimensions", 12019012),
        ("skus", [], "skus", 36009004),
        ("skus.0.price.amount", "0", "amount", 12052073),
        ("skus.0.price.amount", 6.5, "amount", 12052073),
        ("skus.0.price.amount", "abc", "amount", 12052073),
        ("skus.0.price.currency", "", "currency", 12052084),
        ("skus.0.inventory.0.quantity", 100_000, "quantity", 12052055),
        ("skus.0.inventory.0.quantity", -1, "quantity", 12052055),
        ("skus.0.inventory.0.warehouse_id", "WH-GZ-01", "warehouse_id", 12052530),
        ("skus.0.inventory.0.warehouse_id", "WH-NOWHERE", "warehouse_id", 12052097),
        ("skus.0.seller_sku", "MUG-350-RED", "seller_sku", 36009004),
        ("save_mode", "LATER", "save_mode", 36009004),
    ],
)
def test_create_validation(wire: Wire, path: str, value: Any, names: str, code: int) -> None:
    body = _bad(product_body(wire), path, value)
    payload = expect_error(wire.call("POST", P, body=body), 400, code)
    assert names in payload["message"]
    assert wire.admin("GET", "effects")["product_create"] == {}


def test_quantity_bounds_are_inclusive(wire: Wire) -> None:
    body = product_body(wire)
    body["skus"][0]["inventory"] = [{"warehouse_id": "WH-DG-01", "quantity": 99_999}]
    body["skus"].append({"seller_sku": "ZERO", "price": {"amount": "1", "currency": "GBP"},
                         "inventory": [{"warehouse_id": "WH-SZ-01", "quantity": 0}]})  # fmt: skip
    wire.ok("POST", P, body=body)


def test_search_paging_filters_and_page_size(wire: Wire) -> None:
    for i in range(5):
        wire.ok("POST", P, body=product_body(wire, sku=f"S-{i}"))
        wire.advance(1)
    seen, token, total = [], "", None
    while True:
        params: dict[str, Any] = {"page_size": 2, **({"page_token": token} if token else {})}
        page = wire.ok("POST", SEARCH, params=params, body={"status": "PENDING"})
        total = page["total_count"]
        seen += [p["id"] for p in page["products"]]
        assert {p["status"] for p in page["products"]} == {"PENDING"}
        token = page["next_page_token"]
        if not token:
            break
    assert total == 5 and len(set(seen)) == 5
    by_sku = wire.ok("POST", SEARCH, params={"page_size": 100}, body={"seller_skus": ["MUG-350-BLUE"]})
    assert [p["id"] for p in by_sku["products"]] == [ACTIVE] and by_sku["products"][0]["audit"]["status"] == "APPROVED"
    all_products = wire.ok("POST", SEARCH, params={"page_size": 100}, body={})
    assert all_products["total_count"] == 7
    times = [(p["update_time"], p["id"]) for p in all_products["products"]]
    assert times == sorted(times)
    newest = max(t for t, _ in times)
    window = wire.ok("POST", SEARCH, params={"page_size": 100}, body={"update_time_ge": newest})
    assert window["total_count"] == 1
    for size in (0, 101, "x"):
        expect_error(wire.call("POST", SEARCH, params={"page_size": size}, body={}), 400, 12019109)
    expect_error(wire.call("POST", SEARCH, params={"page_size": 5, "page_token": "zz"}, body={}), 400, 36009004)


def test_search_takes_at_most_ten_seller_skus(wire: Wire) -> None:
    ten = [f"S-{i}" for i in range(9)] + ["MUG-350-BLUE"]
    assert wire.ok("POST", SEARCH, params={"page_size": 10}, body={"seller_skus": ten})["total_count"] == 1
    payload = expect_error(
        wire.call("POST", SEARCH, params={"page_size": 10}, body={"seller_skus": [*ten, "S-10"]}), 400, 12019027
    )
    assert "10" in payload["message"]


def test_superseded_202309_paths_are_still_served(wire: Wire) -> None:
    old = wire.ok("POST", f"{P}/search", params={"page_size": 100}, body={})
    new = wire.ok("POST", SEARCH, params={"page_size": 100}, body={})
    assert old["total_count"] == new["total_count"] == 2
    assert wire.ok("POST", f"{P}/{DRAFT}/partial_edit", body={"description": "old path"})["product_id"] == DRAFT
    assert wire.ok("POST", EDIT.format(DRAFT), body={"description": "new path"})["product_id"] == DRAFT
    assert wire.ok("GET", f"{P}/{DRAFT}")["description"] == "new path"


def test_partial_edit_codes(wire: Wire) -> None:
    expect_error(wire.call("POST", EDIT.format(ACTIVE), body={"skus": []}), 400, 12052902)
    expect_error(wire.call("POST", EDIT.format(ACTIVE), body={"skus": [{"id": "404"}]}), 400, 12052557)
    unknown = {"skus": [{"id": RED, "inventory": [{"warehouse_id": "WH-NOWHERE", "quantity": 1}]}]}
    expect_error(wire.call("POST", EDIT.format(ACTIVE), body=unknown), 400, 12052530)
    many = {"skus": [{"id": RED}, {"id": BLUE}] + [{"seller_sku": f"N-{i}", "price": {"amount": "1", "currency": "GBP"},
                      "inventory": [{"warehouse_id": "WH-DG-01", "quantity": 1}]} for i in range(99)]}  # fmt: skip
    expect_error(wire.call("POST", EDIT.format(ACTIVE), body=many), 400, 12052050)
    assert len(wire.ok("GET", f"{P}/{ACTIVE}")["skus"]) == 2  # refused: nothing deleted or added


def test_an_edits_sku_list_is_the_products_skus_afterwards(wire: Wire) -> None:
    """As the 202309 reference reads (docs/listings.md): an id given edits that SKU, a row without
    one creates a SKU, and a SKU of the product left out (BLUE) is deleted; an edit without a
    skus list leaves the SKUs alone."""
    new = {"seller_sku": "MUG-350-GREEN", "price": {"amount": "6", "currency": "GBP"},
           "inventory": [{"warehouse_id": "WH-DG-01", "quantity": 4}]}  # fmt: skip
    body = {"skus": [{"id": RED, "price": {"amount": "7.5", "currency": "GBP"}}, new]}
    answer = wire.ok("POST", EDIT.format(ACTIVE), body=body)
    assert [s["seller_sku"] for s in answer["skus"]] == ["MUG-350-RED", "MUG-350-GREEN"]
    skus = {s["seller_sku"]: s for s in wire.ok("GET", f"{P}/{ACTIVE}")["skus"]}
    assert set(skus) == {"MUG-350-RED", "MUG-350-GREEN"} and skus["MUG-350-RED"]["id"] == RED
    assert skus["MUG-350-RED"]["price"]["sale_price"] == "7.5"
    wire.ok("POST", EDIT.format(ACTIVE), body={"title": "Mug, 350 ml"})
    assert {s["seller_sku"] for s in wire.ok("GET", f"{P}/{ACTIVE}")["skus"]} == {"MUG-350-RED", "MUG-350-GREEN"}


def test_inventory_update(wire: Wire) -> None:
    path = f"{P}/{ACTIVE}/inventory/update"
    body = {"skus": [{"id": RED, "inventory": [{"warehouse_id": "WH-DG-01", "quantity": 5},
                                               {"warehouse_id": "WH-SZ-01", "quantity": 0}]}]}  # fmt: skip
    assert wire.ok("POST", path, body=body) == {}
    red = next(s for s in wire.ok("GET", f"{P}/{ACTIVE}")["skus"] if s["id"] == RED)
    assert {i["warehouse_id"]: i["quantity"] for i in red["inventory"]} == {"WH-DG-01": 5, "WH-SZ-01": 0}
    missing = {"skus": [{"id": RED, "inventory": [{"warehouse_id": "WH-DG-01", "quantity": 5}]}]}
    assert "WH-SZ-01" in expect_error(wire.call("POST", path, body=missing), 400, 12019028)["message"]
    too_many = {"skus": [{"id": BLUE, "inventory": [{"warehouse_id": "WH-DG-01", "quantity": 100_000}]}]}
    expect_error(wire.call("POST", path, body=too_many), 400, 12052055)
    nowhere = {"skus": [{"id": BLUE, "inventory": [{"warehouse_id": "WH-NOWHERE", "quantity": 1}]}]}
    expect_error(wire.call("POST", path, body=nowhere), 400, 12052097)
    expect_error(wire.call("POST", path, body={"skus": []}), 400, 12052902)
    partly = {"skus": [{"id": "404", "inventory": [{"warehouse_id": "WH-DG-01", "quantity": 1}]},
                       {"id": BLUE, "inventory": [{"warehouse_id": "WH-DG-01", "quantity": 7}]}]}  # fmt: skip
    data = wire.ok("POST", path, body=partly)
    (error,) = data["errors"]
    assert error["detail"] == {"sku_id": "404"} and error["code"] == 12052556
    assert wire.admin("GET", "effects")["inventory_update"] == {"MUG-350-RED": 1, "MUG-350-BLUE": 1}
    expect_error(wire.call("POST", f"{P}/999/inventory/update", body=body), 404, 12052032)


def test_price_update_only_for_active_products(wire: Wire) -> None:
    body = {"skus": [{"id": RED, "price": {"amount": "9.49", "currency": "GBP"}}]}
    assert wire.ok("POST", f"{P}/{ACTIVE}/prices/update", body=body) == {}
    red = next(s for s in wire.ok("GET", f"{P}/{ACTIVE}")["skus"] if s["id"] == RED)
    assert red["price"]["sale_price"] == "9.49"
    draft_body = {"skus": [{"id": "1729000000000000103", "price": {"amount": "4.00", "currency": "GBP"}}]}
    expect_error(wire.call("POST", f"{P}/{DRAFT}/prices/update", body=draft_body), 400, 12052901)
    bad = {"skus": [{"id": RED, "price": {"amount": "-1", "currency": "GBP"}}]}
    expect_error(wire.call("POST", f"{P}/{ACTIVE}/prices/update", body=bad), 400, 12052073)
    stranger = {"skus": [{"id": "404", "price": {"amount": "1.00", "currency": "GBP"}}]}
    expect_error(wire.call("POST", f"{P}/{ACTIVE}/prices/update", body=stranger), 400, 12052557)
    expect_error(wire.call("POST", f"{P}/999/prices/update", body=body), 404, 12052032)
    assert wire.admin("GET", "effects")["price_update"] == {"MUG-350-RED": 1}


def test_a_failed_edit_of_a_live_product_leaves_it_live_and_unchanged(wire: Wire) -> None:
    # Partial Edit Product: the edit is audited, and if it fails "the existing product stays live
    # and remains unchanged"; Search Products: status filters the base version only, audit_status
    # FAILED also finds a failed post-live edit
    pid = wire.ok("POST", P, body=product_body(wire, title="Camping mug"))["product_id"]
    wire.advance(600)
    assert wire.ok("GET", f"{P}/{pid}")["status"] == "ACTIVATE"
    wire.ok("POST", EDIT.format(pid), body={"title": "Replica camping mug"})
    auditing = wire.ok("GET", f"{P}/{pid}")
    assert (auditing["status"], auditing["audit"]["status"]) == ("ACTIVATE", "AUDITING")
    wire.advance(600)
    failed = wire.ok("GET", f"{P}/{pid}")
    assert (failed["status"], failed["audit"]["status"], failed["title"]) == ("ACTIVATE", "FAILED", "Camping mug")
    assert failed["audit_failed_reasons"][0]["position"] == "title"
    by_audit = wire.ok("POST", SEARCH, params={"page_size": 50}, body={"audit_status": ["FAILED"]})
    assert [p["id"] for p in by_audit["products"]] == [pid]
    by_status = wire.ok("POST", SEARCH, params={"page_size": 50}, body={"status": "FAILED"})
    assert pid not in [p["id"] for p in by_status["products"]]
    wire.ok("POST", EDIT.format(pid), body={"title": "Camping mug, steel"})  # a good edit passes
    wire.advance(600)
    passed = wire.ok("GET", f"{P}/{pid}")
    assert (passed["status"], passed["audit"]["status"]) == ("ACTIVATE", "APPROVED")
    assert passed["title"] == "Camping mug, steel"


def test_a_title_over_255_characters_is_refused_in_a_gb_shop(wire: Wire) -> None:
    # Create Product, title: "DE, ES, FR, IE, IT, JP, UK, US: [1, 255]"; the sandbox's shop is GB
    expect_error(wire.call("POST", P, body=product_body(wire, title="x" * 256)), 400, 12052051)
    assert wire.ok("POST", P, body=product_body(wire, title="Mug", sku="SHORT-GB"))["product_id"]
