"""Order statuses written in a files ERP batch need only the orders file: the warehouses file is
read by the batch's first warehouse write, so one missing, half-saved or malformed stops no order."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from erpsync.connectors.files.connector import FilesErp
from erpsync.core.connector import ShopContext
from erpsync.core.errors import PermanentError

WHEN = datetime(2026, 12, 1, tzinfo=UTC)


def orders_erp(tmp_path: Path, warehouses_json: str | None) -> FilesErp:
    (tmp_path / "erp").mkdir()
    if warehouses_json is not None:
        (tmp_path / "erp" / "warehouses.json").write_text(warehouses_json, encoding="utf-8")
    (tmp_path / "erp" / "orders.csv").write_text("order_id,status,updated_at\n", encoding="utf-8")
    options = {"path": "erp", "format": "auto", "orders": "orders.csv"}
    return FilesErp(options, shop=ShopContext(name="s", base_dir=tmp_path))


@pytest.mark.parametrize("warehouses_json", [None, '[{"id": "E1"},'], ids=["missing", "half-saved"])
def test_an_order_status_batch_does_not_read_the_warehouses_file(tmp_path: Path, warehouses_json: str | None) -> None:
    erp = orders_erp(tmp_path, warehouses_json)
    with erp.batch():
        erp.set_order_status("O2", "CANCELLED", WHEN)
    assert "O2,CANCELLED" in (tmp_path / "erp" / "orders.csv").read_text()


def test_an_unreadable_warehouses_file_fails_the_warehouse_write_alone(tmp_path: Path) -> None:
    erp = orders_erp(tmp_path, '[{"id": "E1"},')
    with erp.batch():
        with pytest.raises(PermanentError, match=r"warehouses\.json: not valid JSON"):
            erp.set_warehouse_address("E1", {"phone": "13800000001"})
        erp.set_order_status("O2", "CANCELLED", WHEN)
    assert "O2,CANCELLED" in (tmp_path / "erp" / "orders.csv").read_text()
    assert (tmp_path / "erp" / "warehouses.json").read_text() == '[{"id": "E1"},'


@pytest.mark.parametrize("warehouses_json", ['[{"id": "E1"},', ""], ids=["half-saved", "missing"])
def test_a_run_writes_order_statuses_whatever_the_warehouses_file(tmp_path: Path, warehouses_json: str) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from order_status_fakes import T0, Orders, Plugin, Syncer, build_registry, get_plugin_manager, load_settings

    from erpsync.core.orders import SellerOrder

    (tmp_path / "erp").mkdir()
    if warehouses_json:
        (tmp_path / "erp" / "warehouses.json").write_text(warehouses_json, encoding="utf-8")
    (tmp_path / "erp" / "orders.csv").write_text("order_id,status,updated_at\n", encoding="utf-8")
    (tmp_path / "erpsync.toml").write_text(
        '[[shops]]\nname = "s"\naspects = ["order_status"]\n[shops.seller]\ntype = "orders-seller"\n'
        '[shops.erp]\ntype = "files"\npath = "erp"\norders = "orders.csv"\n[policy]\norder_status = "seller"\n',
        encoding="utf-8",
    )
    Orders.orders, Orders.reads = (SellerOrder("o1", "CANCELLED", T0),), []
    pm = get_plugin_manager(entrypoints=False, extra=[Plugin()])
    registry = build_registry(pm)
    settings = load_settings(tmp_path / "erpsync.toml", registry)
    sync = Syncer(settings, pm=pm, registry=registry, clock=lambda: T0 + timedelta(hours=1))
    shop = sync.run(apply=True).shops[0]
    report = next(a for a in shop.aspects if a.aspect == "order_status")
    assert [r.status for r in report.actions] == ["applied"], [r.detail for r in report.actions]
    assert "o1" in (tmp_path / "erp" / "orders.csv").read_text()
