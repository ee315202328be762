"""The files ERP's faults inside a real run: one shop's bad file never stops the other shop.

Two shops with their own files ERP and an in-memory seller (a plugin's connector, as in
``test_sync.py``); shop "a" holds the fault, shop "b" must be reconciled as if nothing happened.
"""

from __future__ import annotations

import csv
from pathlib import Path

from marshmallow import Schema

from erpsync.core.connector import Connector
from erpsync.core.models import Address, AspectReport, Records, ShopReport, Warehouse
from erpsync.plugins import hookimpl
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sync import Syncer

ADDRESS = Address("张伟", "13800138000", "CN", "广东省", "东莞市", "长安镇", "振安中路 88号", "523850")
COLUMNS = ["id", "seller_warehouse_id", "contact_person", "phone", "state", "city", "district", "street", "postal_code"]


class Seller(Connector):
    type = "memory-seller"
    role = "seller"

    class Options(Schema):
        pass

    def list_warehouses(self) -> Records[Warehouse]:
        return Records((Warehouse("W1", "东莞仓", ADDRESS, seller_warehouse_id="W1"),))

    def check(self) -> str:
        return "memory seller"


class Plugin:
    @hookimpl
    def register_connectors(self, register):
        register(Seller)


def syncer(tmp_path: Path, extra_row_for_a: list[str] | None = None) -> Syncer:
    config = ""
    for shop in ("a", "b"):
        config += f'[[shops]]\nname = "{shop}"\naspects = ["warehouse_address"]\n'
        config += f'[shops.seller]\ntype = "memory-seller"\n[shops.erp]\ntype = "files"\npath = "erp-{shop}"\n'
        (tmp_path / f"erp-{shop}").mkdir()
        with (tmp_path / f"erp-{shop}" / "warehouses.csv").open("w", encoding="utf-8", newline="") as fh:
            rows = [
                COLUMNS,
                ["E1", "W1", "张伟", "13900139000", "广东省", "东莞市", "长安镇", "振安中路 88号", "523850"],
            ]
            if shop == "a" and extra_row_for_a:
                rows.append(extra_row_for_a)
            csv.writer(fh, lineterminator="\n").writerows(rows)
    config += '[policy]\nwarehouse_address = "seller"\n'
    (tmp_path / "erpsync.toml").write_text(config, encoding="utf-8")
    pm = get_plugin_manager(entrypoints=False, extra=[Plugin()])
    registry = build_registry(pm)
    return Syncer(load_settings(tmp_path / "erpsync.toml", registry), pm=pm, registry=registry)


def address(shop: ShopReport) -> AspectReport:
    (report,) = [r for r in shop.aspects if r.aspect == "warehouse_address"]
    return report


def test_a_field_over_128_kib_is_one_record_error_and_both_shops_run(tmp_path):
    big = ["E2", "W2", "", "", "", "", "", "x" * (200 * 1024), ""]
    run = syncer(tmp_path, big).run(apply=True)
    a, b = run.shops
    assert a.error is None and b.error is None
    (error,) = address(a).record_errors
    assert "erp-a/warehouses.csv:3: warehouse 'E2': street: a cell of 204800 characters" in error
    for shop in (a, b):
        assert [r.status for r in address(shop).actions] == ["applied"]
    assert "13800138000" in (tmp_path / "erp-a" / "warehouses.csv").read_text(encoding="utf-8")
    assert "x" * (200 * 1024) in (tmp_path / "erp-a" / "warehouses.csv").read_text(encoding="utf-8")


def test_a_read_only_file_fails_its_write_with_its_name_and_the_other_shop_is_corrected(tmp_path):
    s = syncer(tmp_path)
    (tmp_path / "erp-a" / "warehouses.csv").chmod(0o444)
    a, b = s.run(apply=True).shops
    (result,) = address(a).actions
    assert result.status == "failed"
    assert "erp-a/warehouses.csv" in (result.detail or "") and "read-only" in (result.detail or "")
    assert [r.status for r in address(b).actions] == ["applied"]
    assert "13800138000" in (tmp_path / "erp-b" / "warehouses.csv").read_text(encoding="utf-8")
