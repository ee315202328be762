"""The kit's plan → apply → plan helper drives a real run: the sandbox as Seller Center, a plugin's ERP.

The files ERP is the plugin under test here (seeded from the sandbox's demo shop, with a phone
and a street that disagree), then a plugin object registering a connector of its own, the way a
third-party plugin does; each run must end in sync, with the corrections in the ERP's file.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest

import erpsync.connectors.files as files_plugin
from erpsync.connectors.files import COLUMNS, FilesErp
from erpsync.core.models import Warehouse
from erpsync.plugins import hookimpl
from erpsync.testing import Reconciler, SandboxSeller

pytest_plugins = ["erpsync.testing"]
pytestmark = pytest.mark.integration


def write_erp(folder: Path, warehouses: list[Warehouse]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "warehouses.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for i, w in enumerate(warehouses):
            a = w.address
            writer.writerow({
                "id": f"ERP-{i + 1}", "name": w.name, "seller_warehouse_id": w.id,
                "contact_person": a.contact_person, "phone": a.phone, "region_code": a.region_code,
                "state": a.state, "city": a.city, "district": a.district, "street": a.street,
                "postal_code": a.postal_code, "handover_mode": "",
            })  # fmt: skip


def drifted(sandbox: SandboxSeller) -> list[Warehouse]:
    """Seller Center's warehouses with the first one's phone and street changed, as a stale ERP holds them."""
    first, *rest = sandbox.warehouses()
    stale = replace(first.address, phone="13000000000", street=first.address.street + " 旧址")
    return [replace(first, address=stale), *rest]


@pytest.fixture
def erpsync_plugin() -> object:
    return files_plugin


def test_plan_apply_plan_with_a_builtin_erp(erpsync_reconcile: Reconciler, erpsync_sandbox, tmp_path):
    seller = erpsync_sandbox.warehouses()
    write_erp(tmp_path / "erp", drifted(erpsync_sandbox))
    run = erpsync_reconcile({"path": "erp"}, erp_type="files", aspects=["warehouse_address"])
    fields = {(d.subject, d.field) for d in run.plan.drifts}
    assert {(seller[0].id, "phone"), (seller[0].id, "street")} <= fields
    assert run.plan.exit_code == 2
    assert run.applied.errors == [] and run.applied.outstanding == []
    assert run.replan.drifts == [] and run.replan.exit_code == 0
    text = (tmp_path / "erp" / "warehouses.csv").read_text(encoding="utf-8")
    assert "13000000000" not in text and seller[0].address.phone in text
    assert any(a["event"] == "opened" for a in run.alerts) and any(a["event"] == "resolved" for a in run.alerts)


class CopyErp(FilesErp):
    """A connector of another plugin: the files ERP under another name."""

    type = "copy-erp"


class CopyPlugin:
    @hookimpl
    def register_connectors(self, register):
        register(CopyErp)


class TestAThirdPartyPlugin:
    @pytest.fixture
    def erpsync_plugin(self) -> object:
        return CopyPlugin()

    def test_its_one_erp_connector_is_the_default(self, erpsync_reconcile: Reconciler, erpsync_sandbox, tmp_path):
        assert erpsync_reconcile.erp_types() == ["copy-erp"]
        write_erp(tmp_path / "erp", drifted(erpsync_sandbox))
        run = erpsync_reconcile({"path": "erp"}, aspects=["warehouse_address"])
        assert 'type = "copy-erp"' in run.config.read_text(encoding="utf-8")
        assert run.plan.exit_code == 2 and run.applied.errors == []
        assert run.replan.exit_code == 0
