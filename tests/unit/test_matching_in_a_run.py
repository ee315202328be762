"""Matching inside a real run: a files ERP that keeps no Seller Center ids, the store, the config.

The seller is a plugin's in-memory connector (as in ``test_sync.py``); the ERP is the built-in
files ERP, whose ``seller_warehouse_id`` column is left out, so every pair comes from the core.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import ClassVar

import pytest
from marshmallow import Schema

from erpsync.core.connector import Connector
from erpsync.core.errors import ConfigError
from erpsync.core.models import Address, AspectReport, Records, Warehouse
from erpsync.plugins import hookimpl
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sync import Syncer

DG = Address("张伟", "13800138000", "CN", "广东省", "东莞市", "长安镇", "振安中路 88号", "523850")
SZ = Address("李娜", "13900139000", "CN", "广东省", "深圳市", "宝安区", "福海街道 1 号", "518000")
COLUMNS = ["id", "name", "contact_person", "phone", "state", "city", "district", "street", "postal_code"]


class Seller(Connector):
    type = "memory-seller"
    role = "seller"

    class Options(Schema):
        pass

    warehouses: ClassVar[list[Warehouse]] = [
        Warehouse("W1", "东莞仓", DG, seller_warehouse_id="W1"),
        Warehouse("W2", "深圳仓", SZ),
    ]

    def list_warehouses(self) -> Records[Warehouse]:
        return Records(tuple(self.warehouses))

    def check(self) -> str:
        return "memory seller"


class Plugin:
    @hookimpl
    def register_connectors(self, register):
        register(Seller)


def write_erp(root: Path, rows: list[list[str]]) -> None:
    (root / "erp").mkdir(exist_ok=True)
    with (root / "erp" / "warehouses.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([COLUMNS, *rows])


def row(id: str, name: str, a: Address) -> list[str]:
    return [id, name, a.contact_person, a.phone, a.state, a.city, a.district, a.street, a.postal_code]


def syncer(root: Path, shop_extra: str = "") -> Syncer:
    config = '[[shops]]\nname = "acme"\naspects = ["warehouse_address"]\n' + shop_extra
    config += '[shops.seller]\ntype = "memory-seller"\n[shops.erp]\ntype = "files"\npath = "erp"\n'
    (root / "erpsync.toml").write_text(config, encoding="utf-8")
    pm = get_plugin_manager(entrypoints=False, extra=[Plugin()])
    registry = build_registry(pm)
    return Syncer(load_settings(root / "erpsync.toml", registry), pm=pm, registry=registry)


def address(s: Syncer) -> AspectReport:
    (shop,) = s.run(apply=False).shops
    assert shop.error is None
    (report,) = [r for r in shop.aspects if r.aspect == "warehouse_address"]
    return report


def test_records_without_seller_ids_are_matched_and_the_matches_kept(tmp_path: Path) -> None:
    write_erp(tmp_path, [row("E1", "东莞仓", DG), row("E2", "Shenzhen WH", SZ)])  # by name, by address
    s = syncer(tmp_path)
    first = address(s)
    assert first.drifts == [] and first.notes == []
    kept = s.store.bindings.for_entity("acme", "warehouse")
    assert {k: v.seller_id for k, v in kept.items()} == {"E1": "W1", "E2": "W2"}

    # the ERP's Shenzhen street changes: the kept match still pairs it, so it is drift, not "unmatched"
    write_erp(
        tmp_path, [row("E1", "东莞仓", DG), row("E2", "Shenzhen WH", Address(**{**vars(SZ), "street": "新路 9 号"}))]
    )
    second = address(syncer(tmp_path))
    assert [(d.subject, d.field) for d in second.drifts] == [("W2", "street")]
    assert "(ERP warehouse E2)" in second.drifts[0].message


def test_configured_bindings_override_and_ambiguity_is_reported(tmp_path: Path) -> None:
    write_erp(tmp_path, [row("E1", "东莞仓", DG), row("E2", "东莞仓", SZ)])  # one name twice: E1 ambiguous
    s = syncer(tmp_path, '[shops.bindings]\nE2 = "W2"\n')
    report = address(s)
    assert report.drifts == []  # E2 bound by the config frees "东莞仓" for E1 alone, by name and address
    assert {k: v.seller_id for k, v in s.store.bindings.for_entity("acme", "warehouse").items()} == {"E1": "W1"}

    write_erp(tmp_path, [row("E1", "东莞仓", SZ), row("E3", "东莞仓", SZ)])
    s = syncer(tmp_path, "match_by = []\n")
    report = address(s)
    # E1 keeps its learned match (to W1, so its address is drift); E3 fits nothing by the config's keys
    assert {d.subject for d in report.drifts} == {"W1", "W2"}
    assert any(n.startswith("ERP warehouse E3 (东莞仓) matches no Seller Center warehouse") for n in report.notes)


def test_matches_to_a_deleted_warehouse_are_forgotten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_erp(tmp_path, [row("E1", "东莞仓", DG), row("E2", "深圳仓", SZ)])
    s = syncer(tmp_path)
    address(s)
    assert s.store.bindings.for_entity("acme", "warehouse")["E2"].seller_id == "W2"
    monkeypatch.setattr(Seller, "warehouses", [Seller.warehouses[0], Warehouse("W3", "深圳仓", SZ)])  # re-created
    s = syncer(tmp_path)
    report = address(s)
    assert report.drifts == []
    assert s.store.bindings.for_entity("acme", "warehouse")["E2"].seller_id == "W3"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[shops.bindings]\nE1 = "W1"\nE2 = "W1"\n', "'E1' and 'E2' are both bound to Seller Center warehouse 'W1'"),
        ('[shops.bindings]\nE1 = ""\n', "give the Seller Center warehouse id"),
        ('match_by = ["name", "phone"]\n', "use code, name, address, not 'phone'"),
        ('match_by = ["name", "name"]\n', "a key is listed twice"),
    ],
)
def test_bad_matching_settings_are_named(tmp_path: Path, extra: str, message: str) -> None:
    write_erp(tmp_path, [])
    with pytest.raises(ConfigError) as info:
        syncer(tmp_path, extra)
    assert message in str(info.value) and "shops[0]" in str(info.value)
