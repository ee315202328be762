"""JSON files whose objects share a line (a minified export puts every object on line 1): rows are
told apart by their place in the list, never by their line, so an id given by two objects of one
line is as much a repeat as on two lines; and an error names the item where the line alone would
not say which object it is."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from erpsync.connectors.files import FilesErp
from erpsync.connectors.files.connector import FilesErpOptions
from erpsync.core.connector import ShopContext
from erpsync.core.errors import PermanentError
from erpsync.core.models import HandoverMode

W1 = {"id": "W1", "name": "A", "seller_warehouse_id": "7001", "handover_mode": "PICK UP"}
W2 = {"id": "W2", "name": "B", "seller_warehouse_id": "7002", "handover_mode": "DROP OFF"}


def erp(tmp_path: Path, name: str, text: str, **options: str) -> FilesErp:
    (tmp_path / "erp").mkdir(exist_ok=True)
    (tmp_path / "erp" / name).write_text(text, encoding="utf-8")
    opts = FilesErpOptions().load({"path": "erp", **options})
    return FilesErp(opts, shop=ShopContext(name="s", base_dir=tmp_path))


def shown(error: object) -> str:
    return str(error).rsplit("/", 1)[-1]


@pytest.mark.parametrize("minified", [True, False], ids=["one-line", "one-object-a-line"])
def test_a_warehouse_id_given_twice_on_one_line_is_a_duplicate_as_on_two_lines(tmp_path, minified) -> None:
    """Two objects starting on one line were both read, each passing for the warehouse."""
    rows = [W1, W2, {**W1, "name": "A again", "seller_warehouse_id": "7009"}]
    text = json.dumps(rows) if minified else "[\n" + ",\n".join(json.dumps(r) for r in rows) + "\n]"
    read = erp(tmp_path, "warehouses.json", text).list_warehouses()
    assert [(w.id, w.name) for w in read.items] == [("W1", "A"), ("W2", "B")]
    where, first = ("warehouses.json:1 (item 3)", "line 1, item 1") if minified else ("warehouses.json:4", "line 2")
    assert [shown(e) for e in read.errors] == [f"{where}: warehouse 'W1': id: duplicate id (first on {first})"]


def test_a_warehouse_write_to_an_id_given_twice_on_one_line_names_both_items(tmp_path) -> None:
    files = erp(tmp_path, "warehouses.json", json.dumps([W1, {**W1, "name": "A again"}]))
    with pytest.raises(PermanentError, match=r"is on several rows .*\(lines 1 \(item 1\), 1 \(item 2\)\)"):
        files.set_handover_mode("W1", HandoverMode.DROP_OFF)


def test_a_set_aside_object_holds_its_id_against_a_later_one_on_its_line(tmp_path) -> None:
    """A warehouse object giving a key twice is set aside; another object of that id later on the
    same line must not pass for the warehouse."""
    twice = '{"id": "W1", "seller_warehouse_id": "7001", "handover_mode": "PICK UP", "handover_mode": "DROP OFF"}'
    read = erp(tmp_path, "warehouses.json", f"[{twice}, {json.dumps(W1)}]").list_warehouses()
    assert read.items == ()
    assert [(shown(e.source), e.field) for e in read.errors] == [
        ("warehouses.json:1 (item 1)", "handover_mode"),
        ("warehouses.json:1 (item 2)", "id"),
    ]
    assert "duplicate id (first on line 1, item 1)" in read.errors[1].reason


def test_a_product_whose_first_object_is_set_aside_is_left_out_whole_on_one_line_too(tmp_path) -> None:
    first = (
        '{"id": "P1", "seller_sku": "S1", "title": "T1", "price": "1", "currency": "USD",'
        ' "warehouse_stock": {"W1": 1, "W1": 2}}'
    )
    second = '{"id": "P1", "seller_sku": "S2", "title": "T2", "price": "1", "currency": "USD", "inventory": "5"}'
    other = '{"id": "P2", "seller_sku": "S3", "title": "T3", "price": "1", "currency": "USD", "inventory": "5"}'
    (tmp_path / "erp").mkdir()
    (tmp_path / "erp" / "warehouses.csv").write_text("id\nW1\n", encoding="utf-8")
    read = erp(tmp_path, "products.json", f"[{first}, {second}, {other}]", products="products.json").read_products()
    assert read is not None
    assert [p.id for p in read.items] == ["P2"]  # not P1 with S2 alone and the second object's title
    assert [shown(e.source) for e in read.errors] == ["products.json:1 (item 1)", "products.json:1 (item 2)"]
    assert "the product's first row is malformed" in str(read.errors[1])


def test_a_write_refused_for_objects_giving_a_key_twice_names_their_items(tmp_path) -> None:
    twice = '{"id": "W2", "seller_warehouse_id": "7002", "handover_mode": "PICK UP", "handover_mode": "DROP OFF"}'
    files = erp(tmp_path, "warehouses.json", f"[{json.dumps(W1)}, {twice}]")
    with pytest.raises(PermanentError, match=r"the object on line 1 \(item 2\) gives a key twice"):
        files.set_warehouse_address("W1", {"phone": "13800000000"})


P = {"id": "P1", "title": "T", "price": "1", "currency": "USD", "inventory": 1}


def test_a_seller_sku_given_twice_on_one_line_names_the_item_that_gave_it_first(tmp_path) -> None:
    rows = [{**P, "seller_sku": "S1"}, {**P, "id": "P2", "seller_sku": "S2"}, {**P, "id": "P3", "seller_sku": "S1"}]
    read = erp(tmp_path, "products.json", json.dumps(rows), products="products.json").read_products()
    assert read is not None
    assert [shown(e) for e in read.errors] == [
        "products.json:1 (item 3): product 'P3': seller_sku: seller_sku 'S1' is used twice (first on line 1, item 1)"
    ]


def test_a_currency_other_than_the_products_on_one_line_names_the_item_of_its_first_row(tmp_path) -> None:
    rows = [
        {**P, "seller_sku": "S1"},
        {**P, "id": "P2", "seller_sku": "S2"},
        {**P, "seller_sku": "S3", "currency": "EUR"},
    ]
    read = erp(tmp_path, "products.json", json.dumps(rows), products="products.json").read_products()
    assert read is not None
    (error,) = read.errors
    assert error.reason == (
        "EUR is not the product's currency, USD (its first row, line 1, item 1): a product's SKUs are priced in one "
        "currency"
    )


def test_a_write_refused_for_an_object_that_is_not_utf8_names_its_item(tmp_path) -> None:
    good = b'{"order_id": "1001", "status": "CANCELLED", "updated_at": "2026-03-02T09:40:30+00:00"}'
    bad = b'{"order_id": "1002", "status": "DELIVERED", "updated_at": "2026-03-02T09:40:30+00:00", "note": "\xff"}'
    (tmp_path / "erp").mkdir()
    (tmp_path / "erp" / "orders.json").write_bytes(b"[" + good + b", " + bad + b"]\n")
    opts = FilesErpOptions().load({"path": "erp", "orders": "orders.json"})
    book = FilesErp(opts, shop=ShopContext(name="s", base_dir=tmp_path))
    with pytest.raises(PermanentError, match=r"line 1 \(item 2\) is not UTF-8"):
        book.set_order_status("1001", "DELIVERED", datetime(2026, 3, 3, tzinfo=UTC))
