"""The files ERP's ``encoding`` option: a GBK row among UTF-8 ones costs only itself, and a GBK export reads whole.

A file saved in the Windows Chinese code page is GBK, and one edited by hand in two tools can be
both: mostly UTF-8 with a row pasted in GBK. Each line that does not decode is one record error
naming file, line and byte (and the row's id and column when they can be read), the other rows
are read, and a rewrite, which could not reproduce that line, is refused. The bytes here are the
real encodings of the text, as Python's codecs write them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from marshmallow import ValidationError

from erpsync.connectors.files import COLUMNS, FilesErp
from erpsync.connectors.files.connector import FilesErpOptions
from erpsync.connectors.files.parse import NOT_UTF8_HINT
from erpsync.core.connector import ShopContext
from erpsync.core.errors import PermanentError
from erpsync.core.models import HandoverMode

HEADER = ",".join(COLUMNS) + "\n"
ROWS = [
    "WH-1,东莞仓,7001,张伟,13800138000,CN,广东省,东莞市,长安镇,振安中路 88号,523850,PICK UP\n",
    "WH-2,义乌仓,7002,李娜,13900139000,CN,浙江省,金华市,义乌市,稠州北路 1号,322000,DROP OFF\n",
    "WH-3,深圳仓,7003,王芳,13700137000,CN,广东省,深圳市,龙岗区,坂田街道 5号,518129,\n",
]


def erp(tmp_path: Path, **options: str) -> FilesErp:
    return FilesErp(FilesErpOptions().load({"path": "erp", **options}), shop=ShopContext("s", tmp_path))


def write(tmp_path: Path, data: bytes, name: str = "warehouses.csv") -> Path:
    (tmp_path / "erp").mkdir(exist_ok=True)
    path = tmp_path / "erp" / name
    path.write_bytes(data)
    return path


def mixed(tmp_path: Path) -> Path:
    """UTF-8 rows with the second row in GBK, as a hand edit in another tool leaves it."""
    data = (HEADER + ROWS[0]).encode() + ROWS[1].encode("gbk") + ROWS[2].encode()
    return write(tmp_path, data)


def test_a_gbk_row_among_utf8_rows_is_one_record_error_naming_line_byte_record_and_field(tmp_path):
    mixed(tmp_path)
    records = erp(tmp_path).list_warehouses()
    assert [w.id for w in records.items] == ["WH-1", "WH-3"]
    assert records.items[1].address.street == "坂田街道 5号" and records.items[1].source.endswith(":4")
    (error,) = records.errors
    first_gbk_byte = ROWS[1].encode("gbk")[len("WH-2,")]  # the first byte of 义 in GBK
    assert error.source.endswith("warehouses.csv:3") and error.record == "warehouse 'WH-2'"
    assert error.field == "name"  # the first cell holding undecodable bytes
    assert error.reason == (
        f"not UTF-8 at byte 6 of the line (0x{first_gbk_byte:02X}): set option encoding if the export is GBK/GB18030"
    )
    assert NOT_UTF8_HINT not in str(error)  # the other lines are UTF-8: the file is, mostly


def test_a_file_that_is_not_utf8_at_all_errs_per_line_and_hints_at_the_encoding_once(tmp_path):
    write(tmp_path, (HEADER + "".join(ROWS)).encode("gb18030"))
    records = erp(tmp_path).list_warehouses()
    assert records.items == ()
    assert [e.source.rpartition(":")[2] for e in records.errors] == ["2", "3", "4"]
    assert [e.record for e in records.errors] == ["warehouse 'WH-1'", "warehouse 'WH-2'", "warehouse 'WH-3'"]
    assert NOT_UTF8_HINT in records.errors[0].reason
    assert 'set encoding = "gb18030"' in str(records.errors[0])
    assert all(NOT_UTF8_HINT not in e.reason for e in records.errors[1:])


def test_with_encoding_gb18030_a_gbk_export_reads_whole_and_a_write_keeps_its_encoding(tmp_path):
    path = write(tmp_path, (HEADER + "".join(ROWS)).replace("\n", "\r\n").encode("gb18030"))
    connector = erp(tmp_path, encoding="gb18030")
    records = connector.list_warehouses()
    assert records.errors == () and [w.name for w in records.items] == ["东莞仓", "义乌仓", "深圳仓"]
    connector.set_warehouse_address("WH-2", {"street": "前进东路 20号"})
    connector.set_handover_mode("WH-3", HandoverMode.PICKUP)
    text = path.read_bytes().decode("gb18030")  # still GB18030 (strict: a UTF-8 byte would fail here)
    assert text.splitlines()[2].endswith(",前进东路 20号,322000,DROP OFF") and "\r\n" in text
    assert text.splitlines()[1] == ROWS[0].rstrip("\n") and text.splitlines()[3].endswith(",PICK UP")
    assert [w.address.street for w in erp(tmp_path, encoding="gb18030").list_warehouses().items][1] == "前进东路 20号"


def test_a_character_the_encoding_lacks_refuses_the_write_and_leaves_the_file(tmp_path):
    path = write(tmp_path, (HEADER + "".join(ROWS)).encode("gbk"))
    before = path.read_bytes()
    with pytest.raises(PermanentError, match=r"has no gbk form \(option encoding\)"):
        erp(tmp_path, encoding="gbk").set_warehouse_address("WH-1", {"street": "振安中路 88号 🏭"})
    assert path.read_bytes() == before


def test_writes_to_a_file_with_an_undecodable_line_are_refused_and_the_file_is_unchanged(tmp_path):
    path = mixed(tmp_path)
    before = path.read_bytes()
    connector = erp(tmp_path)
    with pytest.raises(PermanentError, match=r"line 3 is not UTF-8 \(see option encoding\): fix it"):
        connector.set_warehouse_address("WH-1", {"phone": "13600136000"})
    with connector.batch(), pytest.raises(PermanentError, match="line 3 is not UTF-8"):
        connector.set_handover_mode("WH-3", HandoverMode.PICKUP)
    assert path.read_bytes() == before


def test_json_and_side_files_read_in_the_encoding_too(tmp_path):
    shipments = [
        {"id": "S1", "package_id": "P1", "order_id": "O1", "tracking_number": "SF1", "carrier": "顺丰速运"},
        {"id": "S2", "package_id": "P2", "order_id": "O2", "tracking_number": "YT2", "carrier": "圆通速递"},
    ]
    text = json.dumps(shipments, ensure_ascii=False, indent=2)
    write(tmp_path, HEADER.encode(), "warehouses.csv")
    write(tmp_path, text.encode("gb18030"), "shipments.json")
    assert [
        s.carrier for s in erp(tmp_path, shipments="shipments.json", encoding="gb18030").list_shipments().items
    ] == [
        "顺丰速运",
        "圆通速递",
    ]
    lines = text.splitlines(keepends=True)
    spoilt = "".join(lines[:13]).encode() + "".join(lines[13:]).encode("gbk")  # S2's carrier line in GBK
    write(tmp_path, spoilt, "shipments.json")
    records = erp(tmp_path, shipments="shipments.json").list_shipments()
    assert [s.id for s in records.items] == ["S1"]
    (error,) = records.errors
    assert error.source.endswith("shipments.json:14") and "not UTF-8 at byte" in error.reason
    assert (error.record, error.field, error.package_id) == ("shipment 'S2'", "carrier", "P2")


def test_json_objects_sharing_a_line_that_does_not_decode_are_each_named(tmp_path):
    """A JSON export may put every object on one line: each object holding an undecodable byte is
    set aside under that line and its item in the list, with its own id and package; the others
    on the line are read."""
    objects = [
        {"id": f"S{n}", "package_id": f"P{n}", "order_id": "O", "tracking_number": f"SF{n}", "carrier": c}
        for n, c in ((1, "顺丰速运"), (2, "SF"), (3, "圆通速递"))
    ]
    text = json.dumps(objects, ensure_ascii=False).replace("顺丰速运", "\0").replace("圆通速递", "\1")
    raw = text.encode().replace(b"\0", "顺丰速运".encode("gbk")).replace(b"\1", "圆通速递".encode("gbk"))
    write(tmp_path, raw, "shipments.json")
    records = erp(tmp_path, shipments="shipments.json").list_shipments()
    assert [s.id for s in records.items] == ["S2"]
    assert [(e.source.rpartition(":")[2], e.record_id, e.package_id) for e in records.errors] == [
        ("1 (item 1)", "S1", "P1"),
        ("1 (item 3)", "S3", "P3"),
    ]


def named(errors) -> list[tuple[str, str | None, str | None, str | None, str]]:
    """(line, id, field, package, byte the reason names) of each error."""
    return [
        (e.source.rpartition(":")[2], e.record_id, e.field, e.package_id, e.reason.split(" of the line")[0])
        for e in errors
    ]


def at(raw: bytes, line: int, needle: bytes) -> str:
    """What an error says of ``needle``'s first byte on ``line`` (lines and bytes from 1)."""
    byte = raw.split(b"\n")[line - 1].index(needle) + 1
    return f"not UTF-8 at byte {byte}"


def test_an_object_is_not_blamed_for_the_bad_byte_of_the_object_ending_on_its_first_line(tmp_path):
    """S1 ends on the line where S2 begins, with a byte that is not UTF-8 before S2 starts: that
    byte is S1's alone; S2 is named by its own byte, on its own line, in its own field."""
    raw = (
        b'[{"id": "S1", "package_id": "P1", "order_id": "O1",\n'
        b' "tracking_number": "SF1001", "carrier": "J\xffT"}, {"id": "S2", "package_id": "P2",\n'
        b' "order_id": "O2", "tracking_number": "SF1002", "carrier": "Y\xfeT"},\n'
        b' {"id": "S3", "package_id": "P3", "order_id": "O3", "tracking_number": "SF1003", "carrier": "SF"}]\n'
    )
    write(tmp_path, raw, "shipments.json")
    records = erp(tmp_path, shipments="shipments.json").list_shipments()
    assert [s.id for s in records.items] == ["S3"]
    assert named(records.errors) == [
        ("2", "S1", "carrier", "P1", at(raw, 2, b"\xff")),
        ("3", "S2", "carrier", "P2", at(raw, 3, b"\xfe")),
    ]


def test_objects_sharing_a_line_are_each_named_by_their_own_first_bad_byte_there(tmp_path):
    """Every bad byte of a line is found: two objects on one line each name their own (and their
    item in the list); an object with bad bytes on two lines is named once per line, by the field
    its byte there is in."""
    raw = (
        b'[{"id": "S1", "package_id": "P1", "order_id": "O\xff1", "tracking_number": "SF1", "carrier": "J\xfeT"},'
        b' {"id": "S2", "package_id": "P2", "order_id": "O2", "tracking_number": "SF2", "carrier": "Y\xfdT",\n'
        b' "note": "\xfc"},\n'
        b' {"id": "S3", "package_id": "P3", "order_id": "O3", "tracking_number": "SF3", "carrier": "SF"}]'
    )
    write(tmp_path, raw, "shipments.json")
    records = erp(tmp_path, shipments="shipments.json").list_shipments()
    assert [s.id for s in records.items] == ["S3"]
    assert named(records.errors) == [
        ("1 (item 1)", "S1", "order_id", "P1", at(raw, 1, b"\xff")),
        ("1 (item 2)", "S2", "carrier", "P2", at(raw, 1, b"\xfd")),
        ("2", "S2", "note", "P2", at(raw, 2, b"\xfc")),
    ]
    assert all(str(e).startswith(f"{e.source}: shipment {e.record_id!r}") for e in records.errors), records.errors


def test_a_csv_row_over_two_lines_is_named_on_each_by_the_cell_its_bad_byte_there_is_in(tmp_path):
    """A quoted cell may hold a newline: the row is named once per line holding a bad byte, by the
    cell that byte is in, not by the first spoilt cell of the row."""
    gbk = '"WH-2",义乌仓,7002,李娜,13900139000,CN,浙江省,"金华市\n义乌"'.encode("gbk")
    raw = HEADER.encode() + ROWS[0].encode() + gbk + ",稠州北路,1号,322000,DROP OFF\n".encode() + ROWS[2].encode()
    write(tmp_path, raw)
    records = erp(tmp_path).list_warehouses()
    assert [w.id for w in records.items] == ["WH-1", "WH-3"]
    assert [(e.source.rpartition(":")[2], e.record, e.field) for e in records.errors] == [
        ("3", "warehouse 'WH-2'", "name"),
        ("4", "warehouse 'WH-2'", "city"),
    ]


def test_order_statuses_keep_the_files_encoding_and_refuse_a_file_they_would_spoil(tmp_path):
    write(tmp_path, HEADER.encode())
    text = "order_id,status,updated_at,备注\n1001,CANCELLED,2026-03-02T09:40:30+00:00,买家取消\n"
    path = write(tmp_path, text.encode("gb18030"), "orders.csv")
    book = erp(tmp_path, orders="orders.csv", encoding="gb18030")
    book.set_order_status("1002", "AWAITING_SHIPMENT", datetime(2026, 3, 2, 8, 15, tzinfo=UTC))
    assert path.read_bytes().decode("gb18030").splitlines()[1].endswith(",买家取消")
    (status,) = erp(tmp_path, orders="orders.csv", encoding="gb18030").order_statuses(["1002"]).items
    assert status.status == "AWAITING_SHIPMENT"
    before = path.read_bytes()
    utf8_reader = erp(tmp_path, orders="orders.csv")
    records = utf8_reader.order_statuses(["1001", "1002"])
    assert [s.order_id for s in records.items] == ["1002"]
    assert [(e.source.rpartition(":")[2], e.record) for e in records.errors] == [("1", None), ("2", "order '1001'")]
    with pytest.raises(PermanentError, match="lines 1, 2 are not UTF-8"):
        utf8_reader.set_order_status("1002", "CANCELLED", datetime(2026, 3, 3, tzinfo=UTC))
    assert path.read_bytes() == before


@pytest.mark.parametrize("value", ["utf-16", "no-such-codec"])
def test_an_encoding_that_cannot_be_read_line_by_line_is_refused_in_the_config(value):
    with pytest.raises(ValidationError) as exc:
        FilesErpOptions().load({"path": "erp", "encoding": value})
    assert "encoding" in exc.value.messages
