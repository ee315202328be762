"""A row of the files ERP's orders.csv with more cells than the header is reported alone and
kept as it is (a write of its order never goes into it), and stops a write only when a column
must be added (its extra cell would become that column's)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from order_status_fakes import T0, Orders, order_status
from test_order_status_cursor import files_syncer

from erpsync.connectors.files.connector import FilesErp
from erpsync.core.connector import ShopContext
from erpsync.core.errors import PermanentError
from erpsync.core.orders import SellerOrder

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


def test_a_longer_row_of_the_order_written_is_kept_as_it_is_and_a_row_is_added(tmp_path: Path) -> None:
    """Its order id cannot be trusted, so a write does not go into it (where the read would never
    see it): the status goes into a row of its own, which the read then finds."""
    erp, path = orders_erp(tmp_path, "order_id,status,updated_at\no-1,AWAITING_SHIPMENT,,stray note\n")
    erp.set_order_status("o-1", "CANCELLED", WHEN)
    assert path.read_text(encoding="utf-8") == (
        "order_id,status,updated_at\no-1,AWAITING_SHIPMENT,,stray note\no-1,CANCELLED,2026-12-01T00:00:00+00:00\n"
    )
    read = erp.order_statuses(["o-1"])
    assert read is not None and [(o.order_id, o.status) for o in read.items] == [("o-1", "CANCELLED")]


def test_a_good_row_after_a_longer_row_of_the_same_order_is_the_one_written(tmp_path: Path) -> None:
    erp, path = orders_erp(tmp_path, "order_id,status,updated_at\no-1,UNPAID,,stray note\no-1,AWAITING_SHIPMENT,\n")
    erp.set_order_status("o-1", "CANCELLED", WHEN)
    assert path.read_text(encoding="utf-8") == (
        "order_id,status,updated_at\no-1,UNPAID,,stray note\no-1,CANCELLED,2026-12-01T00:00:00+00:00\n"
    )


@pytest.mark.parametrize(
    "rows", ["o-1,AWAITING_SHIPMENT,,stray note\n", "o-1,UNPAID,,stray note\no-1,AWAITING_SHIPMENT,\n"]
)
def test_a_cancellation_of_an_order_with_a_longer_row_sticks_in_one_run(tmp_path: Path, rows: str) -> None:
    """Written into the longer row, the status was never read back: every run wrote it again and
    failed "still differs", and a good row of the order after it was never written."""
    sync, clock = files_syncer(tmp_path, rows)
    Orders.orders = (SellerOrder("o-1", "CANCELLED", T0 - timedelta(minutes=30)),)
    first = order_status(sync)
    assert [r.status for r in first.actions] == ["applied"]
    assert sync.store.drifts.open_subjects("s", "order_status") == set()
    clock.now = T0 + timedelta(hours=1)
    assert order_status(sync).actions == []
    lines = (tmp_path / "erp" / "orders.csv").read_text(encoding="utf-8").splitlines()
    assert lines[1].endswith(",,stray note") and lines[-1].startswith("o-1,CANCELLED,")
