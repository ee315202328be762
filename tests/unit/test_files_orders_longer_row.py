"""A row of the files ERP's orders.csv with more cells than the header is reported alone, and
stops a write only when a column must be added (its extra cell would become that column's)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from erpsync.connectors.files.connector import FilesErp
from erpsync.core.connector import ShopContext
from erpsync.core.errors import PermanentError

WHEN = datetime(2026, 12, 1, tzinfo=UTC)


def orders_erp(tmp_path: Path, text: str) -> tuple[FilesErp, Path]:
    (tmp_path / "erp").mkdir()
    path = tmp_path / "erp" / "orders.csv"
    path.write_text(text, encoding="utf-8")
    options = {"path": "erp", "format": "auto", "orders": "orders.csv"}
    return FilesErp(options, shop=ShopContext(name="s", base_dir=tmp_path)), path


def test_a_longer_row_does_not_block_order_writes_when_no_column_is_added(tmp_path: Path) -> None:
    erp, path = orders_erp(tmp_path, "order_id,status,updated_at\no-1,UNPAID,\no-2,UNPAID,,stray note\n")
    read = erp.order_statuses(["o-1", "o-2"])
    assert read is not None and [o.order_id for o in read.items] == ["o-1"] and len(read.errors) == 1
    erp.set_order_status("o-1", "CANCELLED", WHEN)
    assert path.read_text(encoding="utf-8") == (
        "order_id,status,updated_at\no-1,CANCELLED,2026-12-01T00:00:00+00:00\no-2,UNPAID,,stray note\n"
    )


def test_a_longer_row_refuses_a_write_that_adds_a_column(tmp_path: Path) -> None:
    text = "order_id,status\no-1,UNPAID\no-2,UNPAID,stray note\n"
    erp, path = orders_erp(tmp_path, text)
    with pytest.raises(PermanentError, match=r"cannot add column 'updated_at': line 3 has more cells than the header"):
        erp.set_order_status("o-1", "CANCELLED", WHEN)
    assert path.read_text(encoding="utf-8") == text
