"""The host: Syncer.run with the real plugin manager, store and files ERP, and an in-memory
seller backend registered through the same hook a third-party plugin would use."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta

import pytest
from marshmallow import Schema, fields

from erpsync.core.connector import Connector
from erpsync.core.errors import PermanentError
from erpsync.core.models import Address, Records, Warehouse
from erpsync.plugins import hookimpl
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sync import Syncer

SELLER_ADDRESS = Address("张伟", "13800138000", "CN", "广东省", "东莞市", "长安镇", "振安中路 88号", "523850")


class MemorySeller(Connector):
    """A seller backend held in memory: a plugin's connector, for testing the host alone."""

    type = "memory"
    role = "seller"

    class Options(Schema):
        fail = fields.Boolean(load_default=False)

    warehouses = (Warehouse("W1", "东莞仓", SELLER_ADDRESS, seller_warehouse_id="W1"),)
    calls = 0

    def list_warehouses(self) -> Records[Warehouse]:
        MemorySeller.calls += 1
        if self.options["fail"]:
            raise PermanentError("signature rejected", connector="memory", operation="list warehouses")
        return Records(tuple(self.warehouses))

    def check(self) -> str:
        return "memory seller"


class Plugin:
    def __init__(self) -> None:
        self.events: list[str] = []

    @hookimpl
    def register_connectors(self, register):
        register(MemorySeller)

    @hookimpl
    def sync_started(self, run):
        self.events.append(f"started {run['shops']} apply={run['apply']}")

    @hookimpl
    def sync_finished(self, report):
        self.events.append(f"finished exit={report.exit_code}")


@pytest.fixture
def setup(tmp_path):
    plugin = Plugin()
    pm = get_plugin_manager(entrypoints=False, extra=[plugin])
    registry = build_registry(pm)
    (tmp_path / "erp").mkdir()
    MemorySeller.calls = 0

    def make(*, fail: bool = False, erp_phone: str = "13900139000", policy: str = "seller", clock=None) -> Syncer:
        (tmp_path / "erpsync.toml").write_text(
            f'[[shops]]\nname = "s"\naspects = ["warehouse_address"]\n'
            f'[shops.seller]\ntype = "memory"\nfail = {str(fail).lower()}\n'
            f'[shops.erp]\ntype = "files"\npath = "erp"\n[policy]\nwarehouse_address = "{policy}"\n'
            f'[[alerts]]\ntype = "jsonl"\npath = "alerts.jsonl"\n',
            encoding="utf-8",
        )
        with (tmp_path / "erp" / "warehouses.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(
                [
                    "id",
                    "seller_warehouse_id",
                    "contact_person",
                    "phone",
                    "state",
                    "city",
                    "district",
                    "street",
                    "postal_code",
                ]
            )
            w.writerow(["E1", "W1", "张伟", erp_phone, "广东", "东莞市", "长安镇", "振安中路 88号，", "523850"])
        settings = load_settings(tmp_path / "erpsync.toml", registry)
        return Syncer(settings, pm=pm, registry=registry, clock=clock)

    make.plugin = plugin
    make.path = tmp_path
    return make


def test_plan_apply_in_sync_and_hooks(setup):
    syncer = setup()
    plan = syncer.run()
    assert [(d.field, d.seller_value, d.erp_value) for d in plan.drifts] == [("phone", "13800138000", "13900139000")]
    assert plan.exit_code == 2 and plan.shops[0].aspects[0].actions[0].status == "planned"
    applied = syncer.run(apply=True)
    assert applied.exit_code == 0 and applied.shops[0].aspects[0].actions[0].status == "applied"
    assert syncer.run().exit_code == 0
    assert setup.plugin.events == [
        "started ['s'] apply=False",
        "finished exit=2",
        "started ['s'] apply=True",
        "finished exit=0",
        "started ['s'] apply=False",
        "finished exit=0",
    ]
    syncer.close()


def test_ledger_makes_a_rerun_skip_a_done_write(setup):
    syncer = setup()
    report = syncer.run(apply=True)
    assert report.shops[0].aspects[0].actions[0].status == "applied"
    # The write happened but suppose the ERP file was restored from a backup taken before it:
    # the drift is the same occurrence (never resolved), so the ledger says it was done.
    setup(erp_phone="13900139000")
    again = syncer.run(apply=True)
    result = again.shops[0].aspects[0].actions[0]
    assert result.status == "skipped" and result.detail == "already applied (ledger)"
    entries = syncer.store.ledger_entries(shop="s")
    assert [(e.status, e.attempts) for e in entries] == [("done", 1)]
    syncer.close()


def test_a_drift_that_comes_back_is_fixed_again(setup):
    syncer = setup()
    syncer.run(apply=True)
    syncer.run()  # resolved
    setup(erp_phone="13900139000")  # someone reintroduces the old phone
    report = syncer.run(apply=True)
    assert report.shops[0].aspects[0].actions[0].status == "applied"
    assert len(syncer.store.ledger_entries(shop="s")) == 2
    syncer.close()


def test_resolve_drift_hook_can_keep_the_erp_value(setup):
    class KeepErpPhones:
        @hookimpl
        def resolve_drift(self, drift):
            return "report" if drift.field == "phone" else None

    syncer = setup()
    syncer.pm.register(KeepErpPhones())
    report = syncer.run(apply=True)
    assert report.shops[0].aspects[0].actions == [] and report.exit_code == 2
    syncer.close()


def test_erp_wins_is_unsupported_on_seller_side(setup):
    syncer = setup(policy="erp")
    report = syncer.run(apply=True)
    result = report.shops[0].aspects[0].actions[0]
    assert result.status == "unsupported" and "Seller Center" in result.detail
    assert report.exit_code == 2  # reported, not fixed, and not an error
    syncer.close()


def test_connector_failure_is_shop_fatal_and_resolves_nothing(setup):
    syncer = setup()
    syncer.run()
    assert len(syncer.store.open_drifts("s")) == 1
    broken = setup(fail=True)
    report = broken.run()
    assert report.exit_code == 1
    assert report.shops[0].error.startswith("warehouse_address: memory list warehouses: signature rejected")
    assert len(broken.store.open_drifts("s")) == 1  # the unread side did not "resolve" it
    assert MemorySeller.calls == 2
    syncer.close()
    broken.close()


def test_alerts_once_per_open_and_resolve(setup):
    import json

    syncer = setup()
    for _ in range(3):
        syncer.run()
    syncer.run(apply=True)
    syncer.run()
    syncer.run()
    lines = [json.loads(x) for x in (setup.path / "alerts.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(e["event"], e["field"], e["severity"]) for e in lines] == [
        ("opened", "phone", "critical"),
        ("resolved", "phone", "critical"),
    ]
    syncer.close()


def test_broken_alert_sink_does_not_stop_the_run(setup, caplog):
    syncer = setup()

    class Broken:
        type = "broken"

        def send(self, event):
            raise RuntimeError("channel down")

    syncer.sinks.insert(0, Broken())
    report = syncer.run()
    assert report.exit_code == 2
    assert "alert sink broken failed: channel down" in caplog.text
    assert (setup.path / "alerts.jsonl").exists()  # the next sink still got it
    syncer.close()


def test_unknown_shop_and_aspect_are_usage_errors(setup):
    from erpsync.core.errors import UsageError

    syncer = setup()
    with pytest.raises(UsageError, match=r"unknown shop 'x' \(configured: s\)"):
        syncer.run(shops=["x"])
    with pytest.raises(UsageError, match="unknown aspect 'listings'"):
        syncer.run(aspects=["listings"])
    syncer.close()


def test_runs_are_recorded(setup):
    t = datetime(2026, 1, 1, tzinfo=UTC)
    ticks = iter(t + timedelta(seconds=i) for i in range(100))
    syncer = setup(clock=lambda: next(ticks))
    report = syncer.run()
    (row,) = syncer.store.runs()
    assert row.id == report.run_id and row.status == "drift" and row.summary["drifts"] == 1
    syncer.close()
