"""The files ERP: reads CSV/JSON, names file/line/field for a bad row, writes atomically."""

from __future__ import annotations

import csv
import errno
import json
import os
import tempfile
from pathlib import Path

import pytest

from erpsync.connectors.files import COLUMNS, FilesErp, FilesOptions
from erpsync.core.connector import ShopContext
from erpsync.core.errors import PermanentError
from erpsync.core.models import HandoverMode

HEADER = ",".join(COLUMNS) + "\n"
GOOD = "WH-1,东莞仓,7001,张伟,13800138000,CN,广东省,东莞市,洪梅镇,洪梅大道 1 号,523000,PICK UP\n"


def erp(tmp_path: Path, **options) -> FilesErp:
    opts = FilesOptions().load({"path": "erp", **options})
    return FilesErp(opts, shop=ShopContext(name="s", base_dir=tmp_path))


def write_csv(tmp_path: Path, body: str) -> Path:
    d = tmp_path / "erp"
    d.mkdir(exist_ok=True)
    path = d / "warehouses.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_reads_a_good_row(tmp_path):
    write_csv(tmp_path, GOOD)
    records = erp(tmp_path).list_warehouses()
    assert records.errors == ()
    (w,) = records.items
    assert w.id == "WH-1" and w.seller_warehouse_id == "7001"
    assert w.handover_mode is HandoverMode.PICKUP
    assert w.address.street == "洪梅大道 1 号" and w.address.phone == "13800138000"
    assert w.source.endswith("warehouses.csv:2")


def test_malformed_rows_are_named_and_the_rest_goes_on(tmp_path):
    write_csv(
        tmp_path,
        GOOD
        + "WH-2,深圳仓,7002,李娜,call me,CN,广东省,深圳市,,科技园,,DROP OFF\n"
        + "WH-3,广州仓,7003,王芳,13900139000,CN,广东省,广州市,,天河路,,by boat\n"
        + ",无名仓,7004,,,,,,,,,\n"
        + "WH-5,佛山仓,7005,陈,13700137000,CN,广东省,佛山市,,路,,自寄\n"
        + "WH-1,dup,7001,,,,,,,,,\n"
        + "WH-6,x,7006,a,1,CN,s,c,d,st,p,PICK UP,extra\n",
    )
    records = erp(tmp_path).list_warehouses()
    assert [w.id for w in records.items] == ["WH-1", "WH-5"]
    assert records.items[1].handover_mode is HandoverMode.DROP_OFF
    messages = [str(e) for e in records.errors]
    assert any(m.endswith("warehouses.csv:3: warehouse 'WH-2': phone: not a phone number") for m in messages)
    assert any(
        "warehouses.csv:4: warehouse 'WH-3': handover_mode: unknown handover mode 'by boat'" in m for m in messages
    )
    assert any("warehouses.csv:5: warehouse (no id): id: must not be empty" in m for m in messages)
    assert any("warehouses.csv:7: warehouse 'WH-1': id: duplicate id (first on line 2)" in m for m in messages)
    assert any("warehouses.csv:8: warehouse 'WH-6': row has more cells than the header" in m for m in messages)
    assert len(messages) == 5


def test_json_format_with_numbers_as_ids(tmp_path):
    d = tmp_path / "erp"
    d.mkdir()
    rows = [{"id": 1, "seller_warehouse_id": 7001, "phone": 13800138000, "handover_mode": "上门揽收"}, "junk"]
    (d / "warehouses.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    records = erp(tmp_path).list_warehouses()
    assert records.items[0].id == "1" and records.items[0].address.phone == "13800138000"
    assert records.items[0].handover_mode is HandoverMode.PICKUP
    assert "warehouses.json:8: warehouse: not an object" in str(records.errors[0])  # the line "junk" is on


def test_a_json_record_is_named_by_the_line_it_starts_on(tmp_path):
    d = tmp_path / "erp"
    d.mkdir()
    good = {"id": "W1", "seller_warehouse_id": "7001", "handover_mode": "PICK UP"}
    bad = {"id": "W2", "seller_warehouse_id": "7002", "handover_mode": "by boat"}
    (d / "warehouses.json").write_text(
        "[\n" + json.dumps(good, indent=2) + ",\n\n  " + json.dumps(bad) + "\n]\n", encoding="utf-8"
    )
    records = erp(tmp_path).list_warehouses()
    assert [w.id for w in records.items] == ["W1"] and records.items[0].source.endswith("warehouses.json:2")
    (error,) = records.errors
    assert error.source.endswith("warehouses.json:8"), error  # not 2, its place in the list


@pytest.mark.parametrize("text", ["", "\n\n", "\r\n"])
def test_an_empty_csv_file_is_an_error_not_an_erp_without_warehouses(tmp_path, text):
    d = tmp_path / "erp"
    d.mkdir()
    (d / "warehouses.csv").write_text(text, encoding="utf-8")
    with pytest.raises(PermanentError, match=r"warehouses\.csv: is empty: a CSV file starts with a header row"):
        erp(tmp_path).list_warehouses()


def test_a_csv_file_with_a_header_and_no_rows_holds_no_warehouses(tmp_path):
    write_csv(tmp_path, "")
    records = erp(tmp_path).list_warehouses()
    assert records.items == () and records.errors == ()


@pytest.mark.parametrize(
    ("phone", "valid"),
    [
        ("138 0013 8000", True),
        ("+86 (138) 0013-8000", True),
        ("１３８\u30000013\u00a08000", True),
        ('"138\n0013 8000"', False),
        ("138\t0013", False),
    ],
)
def test_a_phone_is_one_line_of_digits_and_spaces(tmp_path, phone, valid):
    write_csv(tmp_path, GOOD.replace("13800138000", phone))
    records = erp(tmp_path).list_warehouses()
    assert [e.field for e in records.errors] == ([] if valid else ["phone"])


def test_write_touches_only_the_target_row_and_keeps_bad_rows(tmp_path):
    bad = "WH-2,深圳仓,7002,李娜,call me,CN,广东省,深圳市,,科技园,,DROP OFF\n"
    path = write_csv(tmp_path, GOOD + bad)
    connector = erp(tmp_path)
    connector.set_handover_mode("WH-1", HandoverMode.DROP_OFF)
    connector.set_warehouse_address("WH-1", {"contact_person": "王五", "phone": "13900139000"})
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert rows[0]["handover_mode"] == "DROP OFF" and rows[0]["contact_person"] == "王五"
    assert rows[0]["phone"] == "13900139000"
    assert rows[0]["name"] == "东莞仓" and rows[0]["street"] == "洪梅大道 1 号"  # fields not given are kept
    assert path.read_text(encoding="utf-8").splitlines()[2] == bad.strip()
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temp file left


def test_write_json(tmp_path):
    d = tmp_path / "erp"
    d.mkdir()
    (d / "warehouses.json").write_text(json.dumps([{"id": "A", "seller_warehouse_id": "1", "note": "kept"}]))
    erp(tmp_path).set_handover_mode("A", HandoverMode.PICKUP)
    data = json.loads((d / "warehouses.json").read_text())
    assert data == [{"id": "A", "seller_warehouse_id": "1", "note": "kept", "handover_mode": "PICK UP"}]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: None, "does not exist (option 'path')"),
        (lambda p: (p / "erp").write_text("x"), "is not a directory"),
        (lambda p: (p / "erp").mkdir(), "no warehouses.csv or warehouses.json in"),
    ],
)
def test_unreadable_directory_is_a_clear_permanent_error(tmp_path, setup, message):
    setup(tmp_path)
    with pytest.raises(PermanentError) as info:
        erp(tmp_path).list_warehouses()
    assert message in str(info.value) and str(info.value).startswith("files ERP read warehouses:")


def test_write_unknown_row(tmp_path):
    write_csv(tmp_path, GOOD)
    with pytest.raises(PermanentError, match="no warehouse 'WH-9'"):
        erp(tmp_path).set_handover_mode("WH-9", HandoverMode.PICKUP)


def test_check_summarises(tmp_path):
    write_csv(tmp_path, GOOD + "WH-2,x,,,not a phone,,,,,,,\n")
    assert erp(tmp_path).check().endswith("warehouses.csv: 1 warehouses, 1 malformed")


def test_full_width_phone_is_valid_and_kept_as_written(tmp_path):
    write_csv(tmp_path, GOOD.replace("13800138000", "１３８００１３８０００"))
    records = erp(tmp_path).list_warehouses()
    assert records.errors == ()
    assert records.items[0].address.phone == "１３８００１３８０００"


def test_set_warehouse_address_refuses_unknown_fields(tmp_path):
    path = write_csv(tmp_path, GOOD)
    before = path.read_bytes()
    with pytest.raises(ValueError, match="not address fields: name"):
        erp(tmp_path).set_warehouse_address("WH-1", {"name": "x", "phone": "1"})
    assert path.read_bytes() == before


def test_write_finds_an_id_cell_with_stray_spaces(tmp_path):
    path = write_csv(tmp_path, GOOD.replace("WH-1,", " WH-1 ,", 1))
    connector = erp(tmp_path)
    assert connector.list_warehouses().items[0].id == "WH-1"
    connector.set_warehouse_address("WH-1", {"phone": "13900139000"})
    assert connector.list_warehouses().items[0].address.phone == "13900139000"
    assert path.read_text(encoding="utf-8").splitlines()[1].startswith(" WH-1 ,")


def test_ambiguous_id_is_reported_on_read_and_refused_on_write(tmp_path):
    bad_first = GOOD.replace("13800138000", "call me")
    path = write_csv(tmp_path, bad_first + GOOD.replace("洪梅大道 1 号", "新地址"))
    before = path.read_bytes()
    connector = erp(tmp_path)
    records = connector.list_warehouses()
    assert records.items == ()
    messages = [str(e) for e in records.errors]
    assert any("warehouses.csv:3: warehouse 'WH-1': id: duplicate id (first on line 2)" in m for m in messages)
    with pytest.raises(PermanentError) as info:
        connector.set_warehouse_address("WH-1", {"phone": "13900139000"})
    message = str(info.value)
    assert message.startswith("files ERP write warehouse:")
    assert "warehouses.csv" in message and "'WH-1'" in message and "lines 2, 3" in message
    assert path.read_bytes() == before


def test_line_numbers_count_blank_lines_and_match_the_written_row(tmp_path):
    path = write_csv(tmp_path, "\n" + GOOD + "\n" + GOOD.replace("WH-1", "WH-2").replace("7001", "7002"))
    connector = erp(tmp_path)
    records = connector.list_warehouses()
    assert [w.source.rsplit(":", 1)[1] for w in records.items] == ["3", "5"]
    connector.set_handover_mode("WH-2", HandoverMode.DROP_OFF)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[4].startswith("WH-2,") and lines[4].endswith(",DROP OFF")
    assert lines[2].endswith(",PICK UP") and lines[1] == lines[3] == ""


def test_rewrite_keeps_bom_and_crlf(tmp_path):
    path = write_csv(tmp_path, "")
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + GOOD).replace("\n", "\r\n").encode("utf-8"))
    erp(tmp_path).set_warehouse_address("WH-1", {"street": "振安中路 88号"})
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") == 2 and b"\n" not in data.replace(b"\r\n", b"")
    assert "振安中路 88号" in data.decode("utf-8-sig")


def test_rewrite_keeps_lf_without_bom(tmp_path):
    path = write_csv(tmp_path, GOOD)
    erp(tmp_path).set_handover_mode("WH-1", HandoverMode.DROP_OFF)
    data = path.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data


def test_json_rewrite_keeps_bom_and_crlf(tmp_path):
    d = tmp_path / "erp"
    d.mkdir()
    path = d / "warehouses.json"
    text = json.dumps([{"id": "A ", "seller_warehouse_id": "1"}], indent=2).replace("\n", "\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    erp(tmp_path).set_warehouse_address("A", {"city": "东莞市"})
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert json.loads(data.decode("utf-8-sig")) == [{"id": "A ", "seller_warehouse_id": "1", "city": "东莞市"}]


def test_write_of_values_already_there_leaves_the_file_alone(tmp_path):
    path = write_csv(
        tmp_path, '"WH-1",东莞仓,7001,张伟,13800138000,CN,广东省,东莞市,洪梅镇,洪梅大道 1 号,523000,PICK UP\n'
    )
    before = path.read_bytes()
    erp(tmp_path).set_warehouse_address("WH-1", {"phone": "13800138000", "region_code": "CN"})
    assert path.read_bytes() == before


def test_new_column_is_refused_when_a_row_has_extra_cells(tmp_path):
    d = tmp_path / "erp"
    d.mkdir()
    path = d / "warehouses.csv"
    path.write_text("id,seller_warehouse_id\nWH-1,7001\nWH-2,7002,stray\n", encoding="utf-8")
    with pytest.raises(PermanentError, match=r"cannot add column 'phone'.*line 3 has more cells"):
        erp(tmp_path).set_warehouse_address("WH-1", {"phone": "13800138000"})


@pytest.mark.parametrize("target", ["mkstemp", "replace"])
def test_os_error_while_writing_is_a_permanent_error_and_leaves_the_file(tmp_path, monkeypatch, target):
    path = write_csv(tmp_path, GOOD)
    before = path.read_bytes()

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(tempfile if target == "mkstemp" else os, target, full)
    with pytest.raises(PermanentError) as info:
        erp(tmp_path).set_handover_mode("WH-1", HandoverMode.DROP_OFF)
    message = str(info.value)
    assert message.startswith("files ERP write warehouse: cannot write ")
    assert "warehouses.csv" in message and os.strerror(errno.ENOSPC) in message
    assert info.value.connector == "files ERP" and info.value.operation == "write warehouse"
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["warehouses.csv"]  # no temp file left
