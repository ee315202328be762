"""A value given twice in an ERP file is never resolved silently: JSON keeps the last of a repeated
key and a CSV row dict the last of a repeated column, so the reader must say so itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from erpsync.connectors.files import FilesErp
from erpsync.connectors.files.connector import FilesErpOptions
from erpsync.core.connector import ShopContext
from erpsync.core.errors import PermanentError
from erpsync.core.models import HandoverMode

HEADER = (
    "id,name,seller_warehouse_id,contact_person,phone,region_code,state,city,district,street,postal_code,"
    "handover_mode\n"
)
GOOD = "WH-1,东莞仓,7001,张伟,13800138000,CN,广东省,东莞市,洪梅镇,洪梅大道 1 号,523000,PICK UP\n"
OBJECT = '{"id": "A", "seller_warehouse_id": "7001", "handover_mode": "PICK UP"}'


def erp(tmp_path: Path, **options: str) -> FilesErp:
    opts = FilesErpOptions().load({"path": "erp", **options})
    return FilesErp(opts, shop=ShopContext(name="s", base_dir=tmp_path))


def write(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / "erp").mkdir(exist_ok=True)
    path = tmp_path / "erp" / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_json_object_giving_a_key_twice_is_a_record_error_and_the_rest_is_read(tmp_path):
    twice = '{"id": "B", "seller_warehouse_id": "7002", "handover_mode": "PICK UP", "handover_mode": "DROP OFF"}'
    write(tmp_path, "warehouses.json", f"[\n{OBJECT},\n{twice}\n]")
    records = erp(tmp_path).list_warehouses()
    assert [w.id for w in records.items] == ["A"]
    (error,) = records.errors
    assert str(error).endswith(
        "warehouses.json:3: warehouse 'B': handover_mode: given twice: which value is meant is unclear "
        "(JSON keeps the last silently)"
    )


def test_a_key_repeated_inside_a_nested_object_names_the_rows_field(tmp_path):
    nested = '{"id": "B", "seller_warehouse_id": "7002", "extra": {"x": [{"k": 1, "k": 2}]}}'
    write(tmp_path, "warehouses.json", f"[{OBJECT}, {nested}]")
    records = erp(tmp_path).list_warehouses()
    assert [w.id for w in records.items] == ["A"]
    (error,) = records.errors
    assert error.field == "extra" and "extra: 'k' given twice inside it" in str(error)


def test_writes_are_refused_while_an_object_repeats_a_key_and_the_file_is_left_alone(tmp_path):
    twice = '{"id": "B", "note": "x", "note": "y"}'
    path = write(tmp_path, "warehouses.json", f"[{OBJECT},\n{twice}]")
    before = path.read_bytes()
    with pytest.raises(PermanentError, match="the object on line 2 gives a key twice"):
        erp(tmp_path).set_handover_mode("A", HandoverMode.DROP_OFF)
    assert path.read_bytes() == before  # a rewrite would have kept "y" and dropped "x"


def test_a_json_file_without_repeats_is_written_as_before(tmp_path):
    path = write(tmp_path, "warehouses.json", json.dumps([json.loads(OBJECT)]))
    erp(tmp_path).set_handover_mode("A", HandoverMode.DROP_OFF)
    assert json.loads(path.read_text())[0]["handover_mode"] == "DROP OFF"


def test_a_csv_header_naming_a_column_twice_makes_the_file_unusable(tmp_path):
    write(tmp_path, "warehouses.csv", HEADER.replace(",postal_code,", ",phone,") + GOOD)
    with pytest.raises(PermanentError) as info:
        erp(tmp_path).list_warehouses()
    assert "line 1: the header names column 'phone' twice (columns 5 and 11)" in str(info.value)


def test_empty_header_cells_may_repeat(tmp_path):
    write(tmp_path, "warehouses.csv", HEADER.rstrip("\n") + ",,\n" + GOOD.rstrip("\n") + ",,\n")
    assert [w.id for w in erp(tmp_path).list_warehouses().items] == ["WH-1"]


@pytest.mark.parametrize(
    ("name", "text", "option"),
    [
        (
            "shipments.json",
            '[{"id": "S1", "package_id": "1", "tracking_number": "T1", "tracking_number": "T2", "carrier": "c"}]',
            "shipments",
        ),
        (
            "products.json",
            '[{"id": "P1", "seller_sku": "A", "title": "T", "price": "1", "price": "2", "currency": "USD",'
            ' "inventory": 1}]',
            "products",
        ),
    ],
)
def test_side_files_report_a_repeated_key_too(tmp_path, name, text, option):
    write(tmp_path, "warehouses.csv", HEADER + GOOD)
    write(tmp_path, name, text)
    connector = erp(tmp_path, **{option: name})
    records = connector.list_shipments() if option == "shipments" else connector.read_products()
    assert records is not None and list(records.items) == []
    (error,) = records.errors
    assert f"{name}:1:" in str(error) and "twice" in str(error)


def test_a_row_set_aside_still_holds_its_id_so_a_later_row_with_it_is_a_duplicate(tmp_path):
    twice = '{"id": "W1", "seller_warehouse_id": "7001", "handover_mode": "PICK UP", "handover_mode": "DROP OFF"}'
    later = '{"id": "W1", "name": "B", "seller_warehouse_id": "7002", "handover_mode": "DROP OFF"}'
    write(tmp_path, "warehouses.json", f"[{twice},\n{later}]")
    records = erp(tmp_path).list_warehouses()
    assert list(records.items) == []  # neither row passes for W1
    assert [(e.source.rsplit("/", 1)[-1], e.field) for e in records.errors] == [
        ("warehouses.json:1", "handover_mode"),
        ("warehouses.json:2", "id"),
    ]
    assert "duplicate id (first on line 1)" in str(records.errors[1])


def test_a_product_whose_first_row_repeats_a_key_is_left_out_whole(tmp_path):
    first = (
        '{"id": "P1", "seller_sku": "S1", "title": "T1", "price": "1", "currency": "USD",'
        ' "warehouse_stock": {"W1": 1, "W1": 2}}'
    )
    second = '{"id": "P1", "seller_sku": "S2", "title": "T2", "price": "1", "currency": "USD", "inventory": "5"}'
    other = '{"id": "P2", "seller_sku": "S3", "title": "T3", "price": "1", "currency": "USD", "inventory": "5"}'
    write(tmp_path, "warehouses.csv", HEADER + GOOD)
    write(tmp_path, "products.json", f"[{first},\n{second},\n{other}]")
    records = erp(tmp_path, products="products.json").read_products()
    assert records is not None
    assert [p.id for p in records.items] == ["P2"]  # not P1 with S2 alone and the second row's title
    assert [e.source.rsplit("/", 1)[-1] for e in records.errors] == ["products.json:1", "products.json:2"]
    assert "the product's first row is malformed" in str(records.errors[1])


@pytest.mark.parametrize(
    ("name", "text", "said"),
    [
        ("warehouses.json", f'[{{"id": "A", "phone": {"9" * 5000}}}]', "4300 digits"),
        ("warehouses.json", "[" * 100_000 + "]" * 100_000, "nested too deep"),
        ("shipments.json", '{"id": "S1"}', "expected a list of objects, one per record"),
    ],
    ids=["a-5000-digit-number", "nested-100000-deep", "an-object-not-a-list"],
)
def test_json_python_cannot_read_is_one_error_naming_the_file(tmp_path, name, text, said):
    """Valid JSON that Python refuses to read (a huge integer, deep nesting) or that is not a list
    is the file's error, which the run reports for its shop, not an exception that ends the run."""
    write(tmp_path, name, text)
    files = erp(tmp_path, **({"shipments": name} if name.startswith("shipments") else {"format": "json"}))
    with pytest.raises(PermanentError, match=said) as caught:
        files.list_shipments() if name.startswith("shipments") else files.list_warehouses()
    assert name in str(caught.value)


def test_a_tracking_number_with_an_invisible_character_or_given_as_a_json_float_is_not_read(tmp_path):
    """Pushed, either would reach the buyer as a number no carrier knows: ``1Z\u200b999`` looks
    like 1Z999, and 9.400111899223345e21 has lost the digits past a float's precision."""
    rows = [
        {"id": "S1", "package_id": "P1", "tracking_number": "1Z\u200b999", "carrier": "UPS"},
        {"id": "S2", "package_id": "P2", "tracking_number": 9.400111899223345e21, "carrier": "USPS"},
        {"id": "S3", "package_id": "P3", "tracking_number": 9400111899223344556677, "carrier": "USPS"},
    ]
    write(tmp_path, "shipments.json", json.dumps(rows))
    read = erp(tmp_path, shipments="shipments.json").list_shipments()
    assert [(s.id, s.tracking_number) for s in read.items] == [
        ("S3", "9400111899223344556677")
    ]  # a JSON integer is exact
    assert [(e.record, e.field) for e in read.errors] == [
        ("shipment 'S1'", "tracking_number"),
        ("shipment 'S2'", "tracking_number"),
    ]
    assert "invisible character" in read.errors[0].reason and "write it as a string" in read.errors[1].reason


@pytest.mark.parametrize("number", ["SF10\u316401", "SF1001\u0301", "SF10\ue00001"])
def test_a_tracking_number_with_a_blank_letter_a_combining_mark_or_a_private_character_is_not_read(tmp_path, number):
    """Neither a control nor a format character, each still draws nothing of its own in a number:
    the files ERP refuses them as every ERP reader does (core/tracking_numbers.py)."""
    rows = [{"id": "S1", "package_id": "P1", "tracking_number": number, "carrier": "SF"}]
    write(tmp_path, "shipments.json", json.dumps(rows))
    read = erp(tmp_path, shipments="shipments.json").list_shipments()
    assert read.items == ()
    (error,) = read.errors
    assert (error.record, error.field, error.package_id) == ("shipment 'S1'", "tracking_number", "P1")
    assert "invisible character" in error.reason


def test_a_json_number_read_as_infinity_is_written_back_as_it_was(tmp_path):
    """``1e400`` is valid JSON Python reads as infinity; re-rendered it would be ``Infinity``,
    which no strict JSON reader (the ERP's own included) accepts: a rewrite keeps its text."""
    text = f'[{OBJECT}, {{"id": "B", "seller_warehouse_id": "7002", "weight": 1e400}}]'
    path = write(tmp_path, "warehouses.json", text)
    erp(tmp_path).set_warehouse_address("A", {"city": "东莞市"})
    after = path.read_text(encoding="utf-8")
    assert after.endswith(', {"id": "B", "seller_warehouse_id": "7002", "weight": 1e400}]')
    assert json.loads(after)[0]["city"] == "东莞市"
