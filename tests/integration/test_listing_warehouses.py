"""Stock per warehouse end to end: the files ERP's ``warehouse_stock``, the real client, the sandbox.

The demo scenario's Seller Center product 1731100000000000001 has one SKU, ``CUSHION-45-SAND``,
assigned to two warehouses (``WH-DG`` and ``WH-SZ``). Update Inventory must list both for it
(12019028 otherwise), so an ERP that gives one quantity per warehouse pushes both, and one that
gives a single figure for it is refused, product by product, while the run goes on. The
sandbox's catalogue (``/_sandbox/products``) and effect counts (``inventory_update`` per
seller_sku) show what reached Seller Center.
"""

from __future__ import annotations

import csv

import pytest
from image_bytes import png
from listing_shop import configure, run_listings, upload_image

from erpsync.connectors.files.products import PRODUCT_COLUMNS

pytestmark = pytest.mark.integration

#: the demo scenario's Seller Center product with one SKU in two warehouses
CUSHION, CUSHION_SKU = "1731100000000000001", "CUSHION-45-SAND"


def setup(ws) -> str:
    """The shop's config with a products file; the uri of an image uploaded through the app."""
    configure(ws)
    uri = upload_image(ws, png())
    ws.admin("DELETE", "effects")
    return uri


def write_products(ws, uri: str, rows: list[dict[str, str]]) -> None:
    """Rows of the products file (missing columns empty), each with the uploaded image."""
    (ws.root / "erp").mkdir(exist_ok=True)
    base = {"title": "Linen cushion cover 45 cm", "description": "Washed linen, hidden zip.", "currency": "GBP"}
    with (ws.root / "erp" / "products.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.DictWriter(fh, fieldnames=PRODUCT_COLUMNS, lineterminator="\n", restval="")
        out.writeheader()
        out.writerows([{**base, "price": "12", "images": uri, **row} for row in rows])


def cushion(**cells: str) -> dict[str, str]:
    return {"id": "P-CUSHION", "seller_sku": CUSHION_SKU, **cells}


def stock_in_seller_center(ws) -> dict[str, int]:
    (product,) = [p for p in ws.admin("GET", "products")["products"] if p["id"] == CUSHION]
    (sku,) = product["skus"]
    return {i["warehouse_id"]: i["quantity"] for i in sku["inventory"]}


def inventory_pushes(ws) -> dict[str, int]:
    return ws.admin("GET", "effects").get("inventory_update", {})


def test_each_warehouse_s_quantity_is_pushed_once_and_a_change_once_more(demo_ws):
    uri = setup(demo_ws)
    assert stock_in_seller_center(demo_ws) == {"WH-DG": 60, "WH-SZ": 25}
    write_products(demo_ws, uri, [cushion(warehouse_stock="WH-DG=40|WH-SZ=10")])
    first = run_listings(demo_ws)
    assert first.record_errors == []
    assert all(r.status == "applied" for r in first.actions), first.actions
    assert "set_inventory" in [r.action.kind for r in first.actions]
    assert stock_in_seller_center(demo_ws) == {"WH-DG": 40, "WH-SZ": 10}
    assert inventory_pushes(demo_ws) == {CUSHION_SKU: 1}

    write_products(demo_ws, uri, [cushion(warehouse_stock="WH-DG=40|WH-SZ=11", inventory="51")])
    second = run_listings(demo_ws)
    assert [(r.action.kind, r.status) for r in second.actions] == [("set_inventory", "applied")], second.actions
    assert stock_in_seller_center(demo_ws) == {"WH-DG": 40, "WH-SZ": 11}
    assert inventory_pushes(demo_ws) == {CUSHION_SKU: 2}

    third = run_listings(demo_ws)
    assert third.actions == [] and third.record_errors == []
    assert inventory_pushes(demo_ws) == {CUSHION_SKU: 2}


def test_one_quantity_for_a_two_warehouse_sku_is_refused_naming_it_and_the_run_goes_on(demo_ws):
    uri = setup(demo_ws)
    lamp = {"id": "P-LAMP", "seller_sku": "LAMP", "title": "Lamp", "inventory": "3"}
    bad_stock = {"id": "P-BAD", "seller_sku": "BAD", "title": "Bad", "warehouse_stock": "WH-DG=1|WH-DG=2"}
    write_products(demo_ws, uri, [cushion(inventory="50"), bad_stock, lamp])
    report = run_listings(demo_ws)
    (error,) = report.record_errors
    assert "products.csv:3" in error and "warehouse_stock" in error and "WH-DG is listed twice" in error
    by_kind = {r.action.kind: r for r in report.actions}
    refused = by_kind["set_inventory"]
    assert refused.status == "failed", refused
    # the platform's refusal, with the ERP product and the SKU it concerns
    assert "12019028" in (refused.detail or ""), refused.detail
    assert "ERP P-CUSHION" in refused.action.description and CUSHION_SKU in refused.action.description, refused
    assert stock_in_seller_center(demo_ws) == {"WH-DG": 60, "WH-SZ": 25}  # nothing half-written
    assert CUSHION_SKU not in inventory_pushes(demo_ws)
    assert by_kind["create_listing"].status == "applied"  # the lamp: the rest of the run went on
    assert demo_ws.admin("GET", "effects")["product_create"] == {"LAMP": 1}


def test_the_operator_s_push_names_the_refusal_the_product_and_the_sku(demo_ws):
    uri = setup(demo_ws)
    write_products(demo_ws, uri, [cushion(inventory="50")])
    done = demo_ws.cli("push", "listings")
    assert done.returncode == 1, done.stderr
    (failed,) = [line for line in done.stdout.splitlines() if line.strip().startswith("failed ")]
    assert CUSHION in failed and "12019028" in failed and "include all warehouse ids" in failed.lower(), failed
    (step,) = [line for line in done.stderr.splitlines() if "set the stock" in line]
    assert "ERP P-CUSHION" in step and f"{CUSHION_SKU}=50 (warehouse WH-DG)" in step, step  # the configured one
