"""The files ERP creates a missing orders file without ever truncating one: a file another
program creates between erpsync's look and its create is written to like any other."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from erpsync.connectors.files.connector import FilesErp
from erpsync.core.connector import ShopContext

WHEN = datetime(2026, 12, 1, tzinfo=UTC)


def orders_erp(tmp_path: Path, name: str = "orders.csv") -> FilesErp:
    (tmp_path / "erp").mkdir()
    options = {"path": "erp", "format": "auto", "orders": name}
    return FilesErp(options, shop=ShopContext(name="s", base_dir=tmp_path))


@pytest.mark.parametrize("name", ["orders.csv", "orders.json"])
def test_a_missing_orders_file_is_created_by_the_first_write(tmp_path: Path, name: str) -> None:
    erp = orders_erp(tmp_path, name)
    erp.set_order_status("o-1", "CANCELLED", WHEN)
    read = erp.order_statuses(["o-1"])
    assert read is not None and [(o.order_id, o.status) for o in read.items] == [("o-1", "CANCELLED")]


def test_an_orders_file_created_meanwhile_is_not_truncated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    erp = orders_erp(tmp_path)
    path = tmp_path / "erp" / "orders.csv"
    real_exists = Path.exists

    def exists(self: Path) -> bool:
        if self == path and not real_exists(self):
            # the ERP's export lands just after erpsync looked
            path.write_text("order_id,status,updated_at,note\no-9,DELIVERED,,keep me\n", encoding="utf-8")
            return False
        return real_exists(self)

    monkeypatch.setattr(Path, "exists", exists)
    erp.set_order_status("o-1", "CANCELLED", WHEN)
    assert path.read_text(encoding="utf-8") == (
        "order_id,status,updated_at,note\no-9,DELIVERED,,keep me\no-1,CANCELLED,2026-12-01T00:00:00+00:00,\n"
    )
