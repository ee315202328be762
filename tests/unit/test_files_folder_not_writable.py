"""A files ERP folder erpsync may not create files in is named as the cause of a failed write:
the file is replaced through a temporary file in its folder, so a writable file is not enough."""

from __future__ import annotations

import errno
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from erpsync.connectors.files.connector import FilesErp
from erpsync.core.connector import ShopContext
from erpsync.core.errors import PermanentError

WHEN = datetime(2026, 12, 1, tzinfo=UTC)


def files_erp(tmp_path: Path) -> FilesErp:
    (tmp_path / "erp").mkdir()
    (tmp_path / "erp" / "warehouses.csv").write_text("id,phone\nE1,1\n", encoding="utf-8")
    options = {"path": "erp", "format": "auto", "orders": "orders.csv"}
    return FilesErp(options, shop=ShopContext(name="s", base_dir=tmp_path))


@pytest.fixture
def folder_refuses_new_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a non-root user meets in a folder without write permission (root is let through),
    once ``tmp_path`` is made."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(errno.EACCES, "Permission denied")

    real_open = os.open

    def open_refusing_creation(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_CREAT:
            refuse()
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    monkeypatch.setattr(os, "open", open_refusing_creation)


@pytest.mark.usefixtures("folder_refuses_new_files")
def test_a_warehouse_write_names_the_folder_that_is_not_writable(tmp_path: Path) -> None:
    erp = files_erp(tmp_path)
    with pytest.raises(PermanentError) as refused:
        erp.set_warehouse_address("E1", {"phone": "13800000001"})
    reason = str(refused.value).rsplit("warehouses.csv", 1)[1]
    assert f"the folder {tmp_path / 'erp'} is not writable" in reason
    assert (tmp_path / "erp" / "warehouses.csv").read_text(encoding="utf-8") == "id,phone\nE1,1\n"


@pytest.mark.usefixtures("folder_refuses_new_files")
@pytest.mark.parametrize("orders_exist", [True, False], ids=["rewritten", "created"])
def test_an_order_status_write_names_the_folder_that_is_not_writable(tmp_path: Path, orders_exist: bool) -> None:
    erp = files_erp(tmp_path)
    if orders_exist:
        (tmp_path / "erp" / "orders.csv").write_text("order_id,status,updated_at\n", encoding="utf-8")
    with pytest.raises(PermanentError, match=r"orders\.csv: cannot write: the folder .* is not writable"):
        erp.set_order_status("o-1", "CANCELLED", WHEN)
