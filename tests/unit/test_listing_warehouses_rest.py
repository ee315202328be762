"""The rest ERP's stock per Seller Center warehouse (``sku_fields.warehouse_stock``), over staged answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import responses
from marshmallow import ValidationError

from erpsync.connectors.rest import RestErp, RestOptions
from erpsync.core.connector import ShopContext

BASE = "http://erp.test/api"
WAREHOUSES = {"list": "/warehouses", "items": "data", "fields": {"id": "id", "name": "name"}}
A, B = "7068517275539719942", "7068517275539719943"


def products(**sku_fields: str) -> dict[str, Any]:
    return {
        "list": "/products",
        "items": "data",
        "fields": {"id": "id", "title": "title", "currency": "cur", "skus": "skus"},
        "sku_fields": {"seller_sku": "sku", "price": "price", **sku_fields},
    }


def read(table: dict[str, Any], items: list[dict[str, Any]]):
    options = {"base_url": BASE, "token": "t0ken-1234", "warehouses": WAREHOUSES, "products": table}
    erp = RestErp(RestOptions().load(options), shop=ShopContext("shop", Path(".")))
    responses.get(f"{BASE}/warehouses", json={"data": []})
    responses.get(f"{BASE}/products", body=json.dumps({"data": items}))
    records = erp.read_products()
    assert records is not None
    return records


def item(pid: str, **sku: Any) -> dict[str, Any]:
    return {"id": pid, "title": "t", "cur": "USD", "skus": [{"sku": f"S-{pid}", "price": "2", **sku}]}


@responses.activate
def test_an_object_or_a_list_gives_each_warehouse_its_quantity():
    records = read(
        products(warehouse_stock="stock"),
        [item("P1", stock={B: 3, A: "5"}), item("P2", stock=[{"warehouse_id": A, "quantity": 7.0}])],
    )
    assert records.errors == ()
    assert [(p.skus[0].inventory, p.skus[0].warehouse_stock) for p in records.items] == [
        (8, ((A, 5), (B, 3))),
        (7, ((A, 7),)),
    ]


@responses.activate
def test_inventory_mapped_too_must_agree_and_alone_stays_one_warehouse():
    records = read(
        products(inventory="qty", warehouse_stock="stock"),
        [item("P1", qty=8, stock={A: 5, B: 3}), item("P2", qty=9, stock={A: 5, B: 3}), item("P3", qty=4, stock=None)],
    )
    assert [(p.id, p.skus[0].inventory, p.skus[0].warehouse_stock) for p in records.items] == [
        ("P1", 8, ((A, 5), (B, 3))),
        ("P3", 4, ()),
    ]
    (error,) = records.errors
    assert error.field == "inventory" and "9 disagrees with warehouse_stock, whose sum is 8" in str(error)


@pytest.mark.parametrize(
    ("stock", "reason"),
    [
        ({A: -1}, f"warehouse {A}: quantity -1 is not a whole number 0..99,999"),
        ({A: 1.5}, f"warehouse {A}: quantity 1.5 is not a whole number 0..99,999"),
        ({A: 100_000}, f"warehouse {A}: quantity 100000 is not a whole number 0..99,999"),
        ([{"warehouse_id": A, "quantity": 1}, {"warehouse_id": A, "quantity": 2}], f"warehouse {A} is listed twice"),
        ([{"warehouse": A, "qty": 1}], "expected an object of warehouse id"),
        ({}, "no warehouse listed (and inventory is not mapped)"),
    ],
)
@responses.activate
def test_bad_stock_is_the_item_s_record_error_and_the_rest_goes_on(stock, reason):
    records = read(products(warehouse_stock="stock"), [item("P1", stock=stock), item("P2", stock={A: 1})])
    assert [p.id for p in records.items] == ["P2"]
    (error,) = records.errors
    assert error.record == "product 'P1' SKU #1" and error.field == "warehouse_stock", error
    assert reason in str(error)


def test_a_mapping_without_any_stock_path_is_refused_at_load():
    options = {"base_url": BASE, "warehouses": WAREHOUSES, "products": products()}
    with pytest.raises(ValidationError, match="map inventory, warehouse_stock"):
        RestOptions().load(options)
