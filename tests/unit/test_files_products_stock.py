"""The files ERP's stock per Seller Center warehouse: the products file's ``warehouse_stock``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from erpsync.connectors.files import FilesErp
from erpsync.connectors.files.connector import FilesErpOptions
from erpsync.connectors.files.products import PRODUCT_COLUMNS, ProductRecord
from erpsync.core.connector import ShopContext
from erpsync.core.listings import ErpProduct

HEADER = ",".join(PRODUCT_COLUMNS) + "\n"
A, B = "7068517275539719942", "7068517275539719943"


def read(tmp_path: Path, name: str, text: str) -> tuple[list[ErpProduct], list[str]]:
    (tmp_path / "erp").mkdir(exist_ok=True)
    (tmp_path / "erp" / name).write_text(text, encoding="utf-8")
    opts = FilesErpOptions().load({"path": "erp", "products": name})
    records = FilesErp(opts, shop=ShopContext(name="s", base_dir=tmp_path)).read_products()
    assert records is not None
    return list(records.items), [str(e) for e in records.errors]


def csv_row(sku: str, inventory: str, stock: str, pid: str = "P1") -> str:
    return f"{pid},{sku},Shirt,,10,USD,{inventory},,,{stock}\n"


def test_csv_pairs_give_each_warehouse_its_quantity_and_inventory_their_sum(tmp_path):
    items, errors = read(tmp_path, "products.csv", HEADER + csv_row("S1", "", f"{B}=3|{A}=5"))
    assert errors == []
    (sku,) = items[0].skus
    assert sku.warehouse_stock == ((A, 5), (B, 3))  # sorted by warehouse id
    assert sku.inventory == 8


def test_inventory_alone_is_one_warehouse_as_before(tmp_path):
    items, errors = read(tmp_path, "products.csv", HEADER + csv_row("S1", "7", ""))
    assert errors == []
    assert items[0].skus[0].inventory == 7 and items[0].skus[0].warehouse_stock == ()


def test_both_given_must_agree(tmp_path):
    text = HEADER + csv_row("S1", "8", f"{A}=5|{B}=3") + csv_row("S2", "9", f"{A}=5|{B}=3", pid="P2")
    items, errors = read(tmp_path, "products.csv", text)
    assert [p.id for p in items] == ["P1"] and items[0].skus[0].inventory == 8
    (error,) = errors
    assert "products.csv:3: product 'P2': inventory: '9' disagrees with warehouse_stock (5 + 3 = 8)" in error


def test_json_takes_an_object_per_sku(tmp_path):
    rows = [
        {
            "id": "P1",
            "seller_sku": "S1",
            "title": "T",
            "price": "1",
            "currency": "USD",
            "warehouse_stock": {A: 5, B: 0},
        },
        {"id": "P1", "seller_sku": "S2", "title": "T", "price": 1, "currency": "USD", "warehouse_stock": f"{A}=2"},
    ]
    items, errors = read(tmp_path, "products.json", json.dumps(rows))
    assert errors == []
    assert [(s.inventory, s.warehouse_stock) for s in items[0].skus] == [(5, ((A, 5), (B, 0))), (2, ((A, 2),))]


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        (f"{A}=-1", f"warehouse {A}: quantity '-1' is not a whole number >= 0"),
        (f"{A}=2.5", f"warehouse {A}: quantity '2.5' is not a whole number >= 0"),
        (f"{A}=100000", f"warehouse {A}: quantity 100,000 is over 99,999"),
        (f"{A}=1|{A}=2", f"warehouse {A} is listed twice"),
        (f"{A}:5", f"'{A}:5' is not warehouse_id=quantity"),
        (f"{A}=", f"'{A}=' is not warehouse_id=quantity"),
        ("=5", "'=5' is not warehouse_id=quantity"),
        (f"{A}=1||{B}=2", "'' is not warehouse_id=quantity"),
    ],
)
def test_bad_csv_stock_names_file_line_and_field_and_the_rest_goes_on(tmp_path, cell, reason):
    text = HEADER + csv_row("OK1", "1", "") + csv_row("BAD", "", cell, pid="P2") + csv_row("OK2", "", f"{B}=4", "P3")
    items, errors = read(tmp_path, "products.csv", text)
    assert [p.id for p in items] == ["P1", "P3"]
    assert len(errors) == 1 and errors[0].endswith(f"products.csv:3: product 'P2': warehouse_stock: {reason}"), errors


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({A: -1}, f"warehouse {A}: quantity -1 is not a whole number >= 0"),
        ({A: 2.0}, f"warehouse {A}: quantity 2.0 is not a whole number >= 0"),
        ({A: True}, f"warehouse {A}: quantity True is not a whole number >= 0"),
        ({A: 100_000}, f"warehouse {A}: quantity 100,000 is over 99,999"),
        ({"": 1}, "'' is not warehouse_id=quantity"),
        ([[A, 1]], "must be warehouse_id=quantity pairs (an object in JSON)"),
    ],
)
def test_bad_json_stock_is_a_record_error(tmp_path, value, reason):
    rows = [
        {"id": "P1", "seller_sku": "S1", "title": "T", "price": "1", "currency": "USD", "warehouse_stock": value},
        {"id": "P2", "seller_sku": "S2", "title": "T", "price": "1", "currency": "USD", "inventory": 3},
    ]
    items, errors = read(tmp_path, "products.json", json.dumps(rows))
    assert [p.id for p in items] == ["P2"]
    where = "products.json:1 (item 1)"  # both objects on line 1
    assert len(errors) == 1 and errors[0].endswith(f"{where}: product 'P1': warehouse_stock: {reason}"), errors


def test_a_warehouse_named_twice_in_a_json_object_is_not_dropped_silently(tmp_path):
    text = (
        f'[{{"id": "P1", "seller_sku": "S1", "title": "T", "price": "1", "currency": "USD",'
        f' "warehouse_stock": {{"{A}": 5, "{A}": 3}}}}]'
    )
    items, errors = read(tmp_path, "products.json", text)
    assert items == []
    assert len(errors) == 1, errors
    assert errors[0].endswith(
        f"products.json:1: product 'P1': warehouse_stock: '{A}' given twice inside it"
        ": which value is meant is unclear (JSON keeps the last silently)"
    ), errors


def test_neither_inventory_nor_warehouse_stock_is_an_error(tmp_path):
    items, errors = read(tmp_path, "products.csv", HEADER + csv_row("S1", "", ""))
    assert items == []
    assert len(errors) == 1 and errors[0].endswith("inventory: missing: give inventory or warehouse_stock"), errors


def test_stock_errors_come_with_the_row_s_other_field_errors(tmp_path):
    items, errors = read(tmp_path, "products.csv", HEADER + "P1,S1,Shirt,,-1,USD,,,," + f"{A}=x\n")
    assert items == []
    fields = sorted(e.split(": ")[2] for e in errors)
    assert fields == ["price", "warehouse_stock"], errors


def test_the_sum_may_pass_the_one_warehouse_limit(tmp_path):
    """99,999 is Update Inventory's limit per warehouse; the sum is for people and is not sent."""
    items, errors = read(tmp_path, "products.csv", HEADER + csv_row("S1", "", f"{A}=99999|{B}=99999"))
    assert errors == [] and items[0].skus[0].inventory == 199_998


def test_a_loaded_row_carries_its_settled_stock():
    """The row's stock is read once, while loading: the loaded row holds the settled figures."""
    row = {"id": "P1", "seller_sku": "S1", "title": "T", "price": "1", "currency": "USD"}
    data = ProductRecord().load({**row, "inventory": "", "warehouse_stock": f"{B}=3|{A}=5"})
    assert (data["inventory"], data["warehouse_stock"]) == (8, ((A, 5), (B, 3)))
    assert ProductRecord().load({**row, "inventory": "7"})["inventory"] == 7
