"""The files ERP's batch: every write checked at once against the file as read, all written in one
rewrite that keeps the single write's guarantees (lock, re-read if changed, BOM and line endings)."""

from __future__ import annotations

import codecs
import csv
import io
import json
from pathlib import Path

import pytest

from erpsync.connectors.files.connector import FilesErp
from erpsync.core.connector import ShopContext
from erpsync.core.errors import PermanentError
from erpsync.core.models import HandoverMode
from erpsync.core.ports import BatchWriter, WarehouseReader, WarehouseWriter
from erpsync.shop_reads import shared_reads

HEADER = ["id", "seller_warehouse_id", "phone", "handover_mode"]


def write_csv(path: Path, rows: list[list[str]], *, crlf: bool = False, bom: bool = False) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n" if crlf else "\n").writerows([HEADER, *rows])
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + buf.getvalue().encode("utf-8"))


def rows_of(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))[1:]


@pytest.fixture
def erp(tmp_path: Path) -> FilesErp:
    (tmp_path / "erp").mkdir()
    write_csv(tmp_path / "erp" / "warehouses.csv", [[f"E{i}", f"W{i}", "1", "DROP OFF"] for i in range(1, 101)])
    return FilesErp({"path": "erp", "format": "auto"}, shop=ShopContext(name="s", base_dir=tmp_path))


def test_a_hundred_writes_in_a_batch_are_one_rewrite(erp: FilesErp, tmp_path: Path) -> None:
    path = tmp_path / "erp" / "warehouses.csv"
    with erp.batch():
        for i in range(1, 101):
            erp.set_warehouse_address(f"E{i}", {"phone": f"138{i:08d}"})
        erp.set_handover_mode("E7", HandoverMode.PICKUP)
        assert rows_of(path)[0][2] == "1"  # nothing written until the batch closes
    assert erp.rewrites == 1
    rows = rows_of(path)
    assert [r[2] for r in rows] == [f"138{i:08d}" for i in range(1, 101)]
    assert rows[6][3] == "PICK UP" and rows[5][3] == "DROP OFF"


def test_a_write_that_cannot_be_made_fails_alone_at_once_naming_the_record(erp: FilesErp, tmp_path: Path) -> None:
    path = tmp_path / "erp" / "warehouses.csv"
    with path.open("a", encoding="utf-8") as fh:
        fh.write("E5,W5b,2,DROP OFF\n")  # E5 on two rows
    with erp.batch():
        erp.set_warehouse_address("E1", {"phone": "13800000001"})
        with pytest.raises(PermanentError, match="no warehouse 'E404'"):
            erp.set_warehouse_address("E404", {"phone": "13800000002"})
        with pytest.raises(PermanentError, match=r"warehouse 'E5' is on several rows .*lines 6, 102"):
            erp.set_handover_mode("E5", HandoverMode.PICKUP)
        erp.set_warehouse_address("E2", {"phone": "13800000003"})
    assert erp.rewrites == 1
    assert [r[2] for r in rows_of(path)[:2]] == ["13800000001", "13800000003"]


def test_a_column_that_cannot_be_added_names_warehouse_and_field(tmp_path: Path) -> None:
    (tmp_path / "erp").mkdir()
    (tmp_path / "erp" / "warehouses.csv").write_text("id,seller_warehouse_id\nE1,W1\nE2,W2,extra\n", encoding="utf-8")
    erp = FilesErp({"path": "erp", "format": "auto"}, shop=ShopContext(name="s", base_dir=tmp_path))
    with erp.batch(), pytest.raises(PermanentError, match=r"warehouse 'E1': phone: cannot add column 'phone'.*line 3"):
        erp.set_warehouse_address("E1", {"phone": "13800000001"})
    assert erp.rewrites == 0


def test_the_rewrite_keeps_bom_and_crlf_and_json_too(tmp_path: Path) -> None:
    (tmp_path / "erp").mkdir()
    path = tmp_path / "erp" / "warehouses.csv"
    write_csv(path, [["E1", "W1", "1", ""], ["E2", "W2", "2", ""]], crlf=True, bom=True)
    erp = FilesErp({"path": "erp", "format": "auto"}, shop=ShopContext(name="s", base_dir=tmp_path))
    with erp.batch():
        erp.set_warehouse_address("E1", {"phone": "13800000001"})
        erp.set_warehouse_address("E2", {"phone": "13800000002"})
    raw = path.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8) and raw.count(b"\r\n") == 3 and raw.count(b"\n") == 3
    path.unlink()
    (tmp_path / "erp" / "warehouses.json").write_text('[{"id": "E1", "phone": "1"}, {"id": "E2"}]\n', "utf-8")
    with erp.batch():
        erp.set_warehouse_address("E1", {"phone": "13800000001"})
        erp.set_handover_mode("E2", HandoverMode.DROP_OFF)
    assert json.loads((tmp_path / "erp" / "warehouses.json").read_text("utf-8")) == [
        {"id": "E1", "phone": "13800000001"},
        {"id": "E2", "handover_mode": "DROP OFF"},
    ]
    assert erp.rewrites == 2


def test_a_block_left_by_an_exception_writes_nothing(erp: FilesErp, tmp_path: Path) -> None:
    before = (tmp_path / "erp" / "warehouses.csv").read_bytes()
    with pytest.raises(RuntimeError), erp.batch():
        erp.set_warehouse_address("E1", {"phone": "13800000001"})
        raise RuntimeError("the host failed")
    assert (tmp_path / "erp" / "warehouses.csv").read_bytes() == before and erp.rewrites == 0
    with erp.batch():  # the batch is closed: a new one opens
        pass


def test_the_batch_re_reads_a_file_changed_under_it_and_keeps_the_other_programs_edit(
    erp: FilesErp, tmp_path: Path
) -> None:
    path = tmp_path / "erp" / "warehouses.csv"
    with erp.batch():
        erp.set_warehouse_address("E1", {"phone": "13800000001"})
        text = path.read_text(encoding="utf-8").replace("E3,W3,1,DROP OFF", "E3,W3,1,PICK UP")  # edited in place
        path.write_text(text, encoding="utf-8")
        with path.open("a", encoding="utf-8") as fh:
            fh.write("E200,W200,9,DROP OFF\n")
    rows = rows_of(path)
    assert rows[0][2] == "13800000001" and rows[2][3] == "PICK UP" and rows[-1][0] == "E200"


def test_a_write_that_no_longer_fits_fails_the_whole_rewrite(erp: FilesErp, tmp_path: Path) -> None:
    path = tmp_path / "erp" / "warehouses.csv"
    with pytest.raises(PermanentError, match="no warehouse 'E2'"), erp.batch():
        erp.set_warehouse_address("E1", {"phone": "13800000001"})
        erp.set_warehouse_address("E2", {"phone": "13800000002"})
        path.write_text(path.read_text(encoding="utf-8").replace("E2,W2", "X2,W2"), encoding="utf-8")
    assert rows_of(path)[0][2] == "1"  # all or none


def test_shared_reads_is_a_batch_writer_exactly_when_the_connector_is(erp: FilesErp, tmp_path: Path) -> None:
    shared = shared_reads(erp)
    assert isinstance(shared, BatchWriter) and isinstance(shared, WarehouseWriter)

    class ReadOnly(FilesErp):
        batch = None  # type: ignore[assignment]
        set_warehouse_address = None  # type: ignore[assignment]

    plain = shared_reads(ReadOnly({"path": "erp", "format": "auto"}, shop=erp.shop))
    assert isinstance(plain, WarehouseReader) and not isinstance(plain, BatchWriter)

    assert shared.list_warehouses().items[0].address.phone == "1"
    with shared.batch():
        shared.set_warehouse_address("E1", {"phone": "13800000001"})
        assert shared.list_warehouses().items[0].address.phone == "1"  # read inside: not yet written
    assert shared.list_warehouses().items[0].address.phone == "13800000001"  # the memo went as it closed
    assert shared.reads == 3
