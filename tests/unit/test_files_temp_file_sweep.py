"""The temp files a killed files ERP write left are removed by the next run, beside the orders
file as beside the warehouses file, whichever file the run reads first."""

from __future__ import annotations

import os
from pathlib import Path

from erpsync.connectors.files.connector import FilesErp
from erpsync.core.connector import ShopContext

DEAD = 2**22 + 12345  # above the kernel's highest pid: no such process


def erp_with_leftovers(tmp_path: Path, *, warehouses: bool) -> tuple[FilesErp, list[Path]]:
    folder = tmp_path / "erp"
    folder.mkdir()
    if warehouses:
        (folder / "warehouses.csv").write_text("id\nE1\n", encoding="utf-8")
    (folder / "orders.csv").write_text("order_id,status,updated_at\n", encoding="utf-8")
    left = [folder / f".{name}.erpsync-tmp-{DEAD}-abc" for name in ("warehouses.csv", "orders.csv")]
    for path in left:
        path.write_text("x", encoding="utf-8")
    options = {"path": "erp", "format": "auto", "orders": "orders.csv"}
    return FilesErp(options, shop=ShopContext(name="s", base_dir=tmp_path)), left


def test_a_killed_orders_write_leaves_no_temp_file_past_the_next_run(tmp_path: Path) -> None:
    erp, left = erp_with_leftovers(tmp_path, warehouses=True)
    erp.list_warehouses()
    assert [path.name for path in left if path.exists()] == []


def test_an_erp_kept_for_order_statuses_alone_is_swept_too(tmp_path: Path) -> None:
    erp, left = erp_with_leftovers(tmp_path, warehouses=False)
    erp.order_statuses(["o-1"])
    assert [path.name for path in left if path.exists()] == []
    assert sorted(os.listdir(tmp_path / "erp")) == ["orders.csv"]
