"""A JSON rewrite of the files ERP renders anew only the objects it corrects: every other object
keeps its text, numbers included (6901234567890123.45 and 1.10 are not floats' 6901234567890123.0
and 1.1, and 1e400, read as infinity, is not written as the invalid ``Infinity``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from erpsync.connectors.files.connector import FilesErp
from erpsync.core.connector import ShopContext

WHEN = datetime(2026, 12, 1, tzinfo=UTC)


def json_erp(tmp_path: Path, name: str, raw: bytes, **options: str) -> tuple[FilesErp, Path]:
    (tmp_path / "erp").mkdir()
    (tmp_path / "erp" / name).write_bytes(raw)
    erp = FilesErp({"path": "erp", "format": "auto", **options}, shop=ShopContext(name="s", base_dir=tmp_path))
    return erp, tmp_path / "erp" / name


def test_numbers_in_objects_nobody_corrected_keep_their_text(tmp_path: Path) -> None:
    raw = b'[\n  {"id": "E1", "phone": "1"},\n  {"id": "E2", "barcode": 6901234567890123.45, "weight": 1.10}\n]\n'
    erp, path = json_erp(tmp_path, "warehouses.json", raw)
    erp.set_warehouse_address("E1", {"phone": "13800000001"})
    assert path.read_bytes() == raw.replace(b'"phone": "1"', b'"phone": "13800000001"')


def test_a_number_read_as_infinity_in_an_untouched_object_does_not_stop_a_batch(tmp_path: Path) -> None:
    raw = b'[{"id": "E1", "phone": "1"},\n {"id": "E2", "postal_code": 1e400}]\n'
    erp, path = json_erp(tmp_path, "warehouses.json", raw)
    with erp.batch():
        erp.set_warehouse_address("E1", {"phone": "13800000001"})
    assert path.read_bytes() == raw.replace(b'"phone": "1"', b'"phone": "13800000001"')


def test_a_corrected_object_keeps_its_numbers_its_place_and_the_line_endings(tmp_path: Path) -> None:
    raw = (
        b'[\r\n    {\r\n        "id": "E1",\r\n        "weight": 1.10,\r\n        "size": 1e400\r\n    },\r\n'
        b'    {"id": "E2", "weight": 2.50}\r\n]\r\n'
    )
    erp, path = json_erp(tmp_path, "warehouses.json", raw)
    erp.set_warehouse_address("E1", {"city": "东莞市"})
    expected = (
        '[\r\n    {\r\n      "id": "E1",\r\n      "weight": 1.10,\r\n      "size": 1e400,\r\n'
        '      "city": "东莞市"\r\n    },\r\n    {"id": "E2", "weight": 2.50}\r\n]\r\n'
    )
    assert path.read_bytes().decode("utf-8") == expected


def test_an_orders_json_rewrite_keeps_the_objects_it_does_not_write(tmp_path: Path) -> None:
    raw = b'[\n  {"order_id": "o-1", "status": "UNPAID"},\n  {"order_id": "o-2", "amount": 1.10, "x": 1e400}\n]\n'
    erp, path = json_erp(tmp_path, "orders.json", b"[]", orders="orders.json")
    path.write_bytes(raw)
    with erp.batch():
        erp.set_order_status("o-1", "CANCELLED", WHEN)
        erp.set_order_status("o-3", "DELIVERED", WHEN)
    text = path.read_text(encoding="utf-8")
    assert '  {"order_id": "o-2", "amount": 1.10, "x": 1e400},\n' in text
    assert [row["status"] for row in json.loads(text) if "status" in row] == ["CANCELLED", "DELIVERED"]


def test_nan_infinity_and_minus_zero_in_a_corrected_object_are_written_back_as_read(tmp_path: Path) -> None:
    """Python's JSON reader takes NaN and Infinity (its writer writes them): a corrected object
    holding one crashed the run (a ValueError out of the batch), where the old full rewrite failed
    that one write. They, and an integer -0, are now written back as they were read."""
    raw = b'[{"id": "E1", "phone": "1", "a": NaN, "b": -Infinity, "c": [1, Infinity], "d": -0}]\n'
    erp, path = json_erp(tmp_path, "warehouses.json", raw)
    with erp.batch():
        erp.set_warehouse_address("E1", {"phone": "13800000001"})
    assert path.read_bytes() == raw.replace(b'"phone": "1"', b'"phone": "13800000001"')


def test_a_nan_in_a_written_order_is_written_back_as_read(tmp_path: Path) -> None:
    erp, _warehouses = json_erp(tmp_path, "warehouses.json", b"[]", orders="orders.json")
    orders = tmp_path / "erp" / "orders.json"
    orders.write_bytes(b'[{"order_id": "o-1", "status": "UNPAID", "amount": NaN}]\n')
    with erp.batch():
        erp.set_order_status("o-1", "CANCELLED", WHEN)
    written = orders.read_text(encoding="utf-8")
    assert '"amount": NaN' in written and '"status": "CANCELLED"' in written
