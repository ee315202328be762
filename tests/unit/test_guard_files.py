"""Guard on the files ERP: a JSON write of values already stored leaves the file alone.

A rewrite would change the file's bytes (re-indented), its inode (the atomic rename) and its
mtime, which an ERP import watching the folder takes for an edit; the CSV case is covered in
``test_files_erp.py``.
"""

from __future__ import annotations

from pathlib import Path

from erpsync.connectors.files import FilesErp, FilesOptions
from erpsync.core.connector import ShopContext
from erpsync.core.models import HandoverMode

#: compact, as another program might write it: a rewrite (indent=2) could not reproduce these bytes
STORED = '[{"id":"A","seller_warehouse_id":"1","phone":13800138000,"city":"东莞市","handover_mode":"PICK UP"}]'


def test_a_json_write_of_the_stored_values_does_not_rewrite_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "erp"
    folder.mkdir()
    path = folder / "warehouses.json"
    path.write_text(STORED, encoding="utf-8")
    before = path.stat()
    erp = FilesErp(FilesOptions().load({"path": "erp"}), shop=ShopContext(name="s", base_dir=tmp_path))

    erp.set_warehouse_address("A", {"city": "东莞市", "phone": "13800138000"})  # the number reads as this string
    erp.set_handover_mode("A", HandoverMode.PICKUP)

    after = path.stat()
    assert path.read_text(encoding="utf-8") == STORED
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert [p.name for p in folder.iterdir()] == ["warehouses.json"]  # no temp file either

    erp.set_warehouse_address("A", {"city": "深圳市"})  # a real change is written
    assert "深圳市" in path.read_text(encoding="utf-8")
