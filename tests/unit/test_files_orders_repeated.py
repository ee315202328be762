"""An order the files ERP's orders file lists more than once: exact copies are one status, and a
write sets every row of the order; rows that differ (or one that could not be read) leave the
order with no status to trust, each a record error naming all of them, so no drift resolves on
one of them. CSV and JSON alike, a minified JSON file (every object on line 1) included.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from order_status_fakes import T0, Clock, Orders, OrdersById, Plugin, order_status
from test_order_status_cursor import files_syncer

from erpsync.connectors.files import FilesErp
from erpsync.core.connector import ShopContext
from erpsync.core.orders import SellerOrder
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sync import Syncer

T = datetime(2026, 3, 1, 7, 30, tzinfo=UTC)
HEADER = "order_id,status,updated_at,note\n"


def book(tmp_path: Path, name: str, text: str) -> tuple[FilesErp, Path]:
    (tmp_path / "erp").mkdir(exist_ok=True)
    path = tmp_path / "erp" / name
    path.write_text(text, encoding="utf-8")
    options = FilesErp.Options().load({"path": "erp", "orders": name})
    return FilesErp(options, shop=ShopContext(name="s", base_dir=tmp_path)), path


def minified(*rows: dict[str, str]) -> str:
    return json.dumps(list(rows))


def where(error) -> str:
    return error.source.rsplit("/", 1)[-1]


@pytest.mark.parametrize(
    ("name", "text", "places"),
    [
        ("orders.csv", HEADER + "o-1,AWAITING_SHIPMENT,,a\no-2,UNPAID,,\no-1,IN_TRANSIT,,b\n", ["2", "4"]),
        (
            "orders.json",
            minified(
                {"order_id": "o-1", "status": "AWAITING_SHIPMENT"},
                {"order_id": "o-2", "status": "UNPAID"},
                {"order_id": "o-1", "status": "IN_TRANSIT"},
            ),
            ["1 (item 1)", "1 (item 3)"],
        ),
    ],
    ids=["csv", "minified-json"],
)
def test_rows_of_an_order_that_differ_are_each_an_error_naming_all_and_no_status(tmp_path, name, text, places):
    """The first row stood for the order and the second was "duplicate id"; minified, both were
    read, and the aspect compared with the last while a write set the first."""
    erp, _path = book(tmp_path, name, text)
    read = erp.order_statuses(["o-1", "o-2"])
    assert [(r.order_id, r.status) for r in read.items] == [("o-2", "UNPAID")]
    assert [(where(e), e.record_id, e.field) for e in read.errors] == [
        (f"{name}:{place}", "o-1", "order_id") for place in places
    ]
    for error in read.errors:
        assert error.reason.startswith("rows of this order differ: AWAITING_SHIPMENT (")
        assert all(f"{name}:{place})" in error.reason for place in places), error.reason
        assert "IN_TRANSIT (" in error.reason


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("orders.csv", HEADER + f"o-1,CANCELLED,{T.isoformat()},a\no-1,CANCELLED,{T.isoformat()},b\n"),
        (
            "orders.json",
            minified(
                {"order_id": "o-1", "status": "CANCELLED", "updated_at": T.isoformat()},
                {"order_id": "o-1", "status": "CANCELLED", "updated_at": "2026-03-01T15:30:00+08:00"},
            ),
        ),
    ],
    ids=["csv", "minified-json-same-instant"],
)
def test_exact_copies_of_an_order_are_one_status(tmp_path, name, text):
    erp, _path = book(tmp_path, name, text)
    read = erp.order_statuses(["o-1"])
    assert [(r.order_id, r.status, r.updated_at) for r in read.items] == [("o-1", "CANCELLED", T)]
    assert read.errors == ()


@pytest.mark.parametrize(
    ("name", "text", "unread"),
    [
        ("orders.csv", HEADER + "o-1,CANCELLED,yesterday,a\no-1,CANCELLED,,b\n", "orders.csv:2"),
        (
            "orders.json",
            '[{"order_id": "o-1", "status": "CANCELLED", "status": "UNPAID"},'
            ' {"order_id": "o-1", "status": "CANCELLED"}]',
            "orders.json:1 (item 1)",
        ),
    ],
    ids=["csv-malformed-time", "json-key-given-twice"],
)
def test_a_row_of_the_order_that_could_not_be_read_leaves_it_no_status(tmp_path, name, text, unread):
    """The unread row may say something else: the good row must not pass for the order."""
    erp, _path = book(tmp_path, name, text)
    read = erp.order_statuses(["o-1"])
    assert read.items == ()
    assert all(e.record_id == "o-1" for e in read.errors) and len(read.errors) == 2
    differ = read.errors[-1]
    assert differ.field == "order_id" and "a row erpsync could not read (" in differ.reason
    assert differ.reason.split("a row erpsync could not read (")[1].startswith(str(erp.directory / unread))


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("orders.csv", HEADER + "o-1,AWAITING_SHIPMENT,,a\no-2,UNPAID,,\no-1,IN_TRANSIT,,b\n"),
        (
            "orders.json",
            minified(
                {"order_id": "o-1", "status": "AWAITING_SHIPMENT"},
                {"order_id": "o-2", "status": "UNPAID"},
                {"order_id": "o-1", "status": "IN_TRANSIT"},
            ),
        ),
    ],
    ids=["csv", "minified-json"],
)
def test_a_status_written_goes_into_every_row_of_the_order_and_is_read_back(tmp_path, name, text):
    """Only the first row was written: the other kept its status, and the order read back
    either as it (minified JSON) or as a duplicate that hid it (CSV)."""
    erp, path = book(tmp_path, name, text)
    erp.set_order_status("o-1", "CANCELLED", T)
    read = erp.order_statuses(["o-1", "o-2"])
    assert [(r.order_id, r.status) for r in read.items] == [("o-1", "CANCELLED"), ("o-2", "UNPAID")]
    assert read.errors == ()
    written = path.read_text(encoding="utf-8")
    assert "AWAITING_SHIPMENT" not in written and "IN_TRANSIT" not in written
    if name == "orders.csv":  # the ERP's own columns stay as they were
        assert written.splitlines()[1::2] == [f"o-1,CANCELLED,{T.isoformat()},a", f"o-1,CANCELLED,{T.isoformat()},b"]


def test_a_cancellation_of_an_order_listed_twice_is_recorded_in_both_rows(tmp_path) -> None:
    """The drift resolved while the later row still said AWAITING_SHIPMENT."""
    sync, _clock = files_syncer(tmp_path, "o-1,AWAITING_SHIPMENT,\no-1,AWAITING_SHIPMENT,\n")
    Orders.orders = (SellerOrder("o-1", "CANCELLED", T0 - timedelta(minutes=30)),)
    report = order_status(sync)
    assert [r.status for r in report.actions] == ["applied"] and report.record_errors == []
    lines = (tmp_path / "erp" / "orders.csv").read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[:2] for line in lines[1:]] == [["o-1", "CANCELLED"], ["o-1", "CANCELLED"]]
    assert sync.store.drifts.open_subjects("s", "order_status") == set()


def report_syncer(tmp_path: Path, rows: str) -> tuple[Syncer, Clock]:
    """``files_syncer`` with the ``report`` policy: nothing is written, drifts stay open."""
    files_syncer(tmp_path, rows)
    config = tmp_path / "erpsync.toml"
    config.write_text(config.read_text(encoding="utf-8") + '[policy]\norder_status = "report"\n', encoding="utf-8")
    pm = get_plugin_manager(entrypoints=False, extra=[Plugin()])
    registry = build_registry(pm)
    clock = Clock()
    return Syncer(load_settings(config, registry), pm=pm, registry=registry, clock=clock), clock


def test_an_open_drift_does_not_resolve_on_one_of_rows_that_differ(tmp_path) -> None:
    """The first row agreeing with Seller Center resolved the drift, while a later row of the
    order still said AWAITING_SHIPMENT (an ERP reading that row would ship a cancelled order)."""
    sync, clock = report_syncer(tmp_path, "o-1,AWAITING_SHIPMENT,\n")
    cancelled = T0 - timedelta(minutes=30)
    Orders.orders = (SellerOrder("o-1", "CANCELLED", cancelled),)
    order_status(sync)
    assert sync.store.drifts.open_subjects("s", "order_status") == {"o-1"}
    path = tmp_path / "erp" / "orders.csv"
    path.write_text(f"order_id,status,updated_at\no-1,CANCELLED,{cancelled.isoformat()}\no-1,AWAITING_SHIPMENT,\n")
    clock.now = T0 + timedelta(hours=1)
    OrdersById.asked = []
    report = order_status(sync)
    assert sync.store.drifts.open_subjects("s", "order_status") == {"o-1"}
    assert [e.split(": ")[:3] for e in report.record_errors] == [
        [f"{path}:{line}", "order 'o-1'", "order_id"] for line in (2, 3)
    ]
