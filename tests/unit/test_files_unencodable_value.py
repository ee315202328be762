"""A value the files ERP's encoding cannot hold is refused as the write is made, naming the
warehouse and field, so in a batch it fails alone and the other writes are made."""

from __future__ import annotations

from pathlib import Path

import pytest

from erpsync.connectors.files.connector import FilesErp
from erpsync.core.connector import ShopContext
from erpsync.core.errors import PermanentError

GBK_FILE = "id,street\nE1,老街\nE2,新街\n".encode("gbk")
NO_GBK_FORM = "𠮷野家 2 号"  # U+20BB7 is in GB 18030, not in GBK


def gbk_erp(tmp_path: Path) -> FilesErp:
    (tmp_path / "erp").mkdir()
    (tmp_path / "erp" / "warehouses.csv").write_bytes(GBK_FILE)
    options = {"path": "erp", "format": "auto", "encoding": "gbk"}
    return FilesErp(options, shop=ShopContext(name="s", base_dir=tmp_path))


def test_an_unencodable_value_in_a_batch_fails_alone_naming_warehouse_and_field(tmp_path: Path) -> None:
    erp = gbk_erp(tmp_path)
    with erp.batch():
        erp.set_warehouse_address("E1", {"street": "人民路 1 号"})
        with pytest.raises(PermanentError) as refused:
            erp.set_warehouse_address("E2", {"street": NO_GBK_FORM})
    assert "warehouse 'E2': street: '𠮷' has no gbk form (option encoding)" in str(refused.value)
    written = (tmp_path / "erp" / "warehouses.csv").read_bytes()
    assert "人民路 1 号".encode("gbk") in written and "新街".encode("gbk") in written


def test_an_unencodable_single_write_names_warehouse_and_field(tmp_path: Path) -> None:
    erp = gbk_erp(tmp_path)
    with pytest.raises(PermanentError) as refused:
        erp.set_warehouse_address("E2", {"street": NO_GBK_FORM})
    assert "warehouse 'E2': street: '𠮷' has no gbk form (option encoding)" in str(refused.value)
    assert (tmp_path / "erp" / "warehouses.csv").read_bytes() == GBK_FILE
