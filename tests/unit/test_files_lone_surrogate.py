"""A JSON file whose text escapes a lone surrogate (``"\\udcff"``, half of a UTF-16 pair): JSON
reads one, which is no character. Its object is a record error naming file, line, record and
field, as a byte that does not decode is; never read as is, never dropped without a word.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from erpsync.connectors.files import FilesErp
from erpsync.connectors.files.connector import FilesErpOptions
from erpsync.core.connector import ShopContext
from erpsync.core.errors import PermanentError


def erp(tmp_path: Path, **options: str) -> FilesErp:
    return FilesErp(FilesErpOptions().load({"path": "erp", **options}), shop=ShopContext("s", tmp_path))


def write(tmp_path: Path, raw: bytes, name: str) -> Path:
    (tmp_path / "erp").mkdir(exist_ok=True)
    path = tmp_path / "erp" / name
    path.write_bytes(raw)
    return path


S1 = b'{"id": "S1", "package_id": "P1", "order_id": "O1", "tracking_number": "SF1\\udcff", "carrier": "SF"}'
S2 = b'{"id": "S2", "package_id": "P2", "order_id": "O2", "tracking_number": "SF2", "carrier": "SF"}'
S3 = b'{"id": "S3", "package_id": "P3", "order_id": "O3", "tracking_number": "SF3", "carrier": "S\xffF"}'


@pytest.mark.parametrize("bad_byte", [False, True], ids=["alone", "beside a byte that does not decode"])
def test_an_escaped_lone_surrogate_is_a_record_error_naming_its_row_and_field(tmp_path, bad_byte):
    """Beside a real bad byte the object used to count as spoilt by it and vanish with no error."""
    raw = b"[" + b",\n".join([S1, S2, *([S3] if bad_byte else [])]) + b"]"
    write(tmp_path, raw, "shipments.json")
    records = erp(tmp_path, shipments="shipments.json").list_shipments()
    assert records is not None
    assert [s.id for s in records.items] == ["S2"]
    by_line = {e.source.rpartition(":")[2]: e for e in records.errors}
    assert sorted(by_line) == (["1", "3"] if bad_byte else ["1"])
    error = by_line["1"]
    assert error.source.endswith("erp/shipments.json:1")
    assert (error.record, error.record_id, error.field, error.package_id) == (
        "shipment 'S1'",
        "S1",
        "tracking_number",
        "P1",
    )
    assert "a lone surrogate \\udcff is no character" in error.reason
    if bad_byte:
        assert "not UTF-8 at byte" in by_line["3"].reason and by_line["3"].record_id == "S3"


def test_a_warehouse_with_an_escaped_lone_surrogate_is_not_read_and_writes_wait(tmp_path):
    """Any lone surrogate, not only the one undecodable bytes read as; the file is not rewritten
    while such an object is in it (its row is not read, so a write could not find it)."""
    path = write(
        tmp_path,
        b'[{"id": "W1", "seller_warehouse_id": "7001", "street": "Road \\ud800 1"},\n'
        b' {"id": "W2", "seller_warehouse_id": "7002", "street": "Road 2"}]',
        "warehouses.json",
    )
    before = path.read_bytes()
    connector = erp(tmp_path)
    records = connector.list_warehouses()
    assert [w.id for w in records.items] == ["W2"]
    (error,) = records.errors
    assert (error.source.rpartition(":")[2], error.record_id, error.field) == ("1", "W1", "street")
    assert "a lone surrogate \\ud800 is no character" in error.reason
    with pytest.raises(PermanentError, match="the object on line 1 holds a lone surrogate"):
        connector.set_warehouse_address("W2", {"street": "Road 3"})
    assert path.read_bytes() == before


def test_escaped_pairs_and_escaped_backslashes_are_text(tmp_path):
    """An escape pair is one character, and ``\\\\udcff`` a backslash and five letters: both read."""
    write(
        tmp_path,
        b'[{"id": "W1", "seller_warehouse_id": "7001", "street": "Road \\ud83d\\ude00 1"},\n'
        b' {"id": "W2", "seller_warehouse_id": "7002", "street": "Road \\\\udcff 2"}]',
        "warehouses.json",
    )
    records = erp(tmp_path).list_warehouses()
    assert records.errors == ()
    assert [w.address.street for w in records.items] == ["Road \U0001f600 1", "Road \\udcff 2"]
