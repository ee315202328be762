"""The host: Syncer.run with the real plugin manager, store and files ERP, and an in-memory
seller backend registered through the same hook a third-party plugin would use."""

from __future__ import annotations

import csv
import json
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


def test_a_correction_that_did_not_stick_is_written_again(setup):
    """The ERP reverted the phone: the next --apply writes it again, never reports it fixed."""
    syncer = setup()
    assert syncer.run(apply=True).shops[0].aspects[0].actions[0].status == "applied"
    setup(erp_phone="13900139000")  # the ERP's own master-data sync put the old phone back
    again = syncer.run(apply=True)
    assert again.shops[0].aspects[0].actions[0].status == "applied" and again.exit_code == 0
    assert "13800138000" in (setup.path / "erp" / "warehouses.csv").read_text(encoding="utf-8")
    assert [(e.status, e.attempts) for e in syncer.store.ledger.list_entries(shop="s")] == [("done", 1), ("done", 1)]
    syncer.close()


def test_a_crash_between_write_and_ledger_loses_nothing(setup, monkeypatch):
    """Killed after the ERP write but before ledger.finish: the rerun finishes the job once."""
    syncer = setup()
    real_finish = syncer.store.ledger.finish_many

    def crash(outcomes, **kw):
        if any(o.status == "done" for o in outcomes):
            raise KeyboardInterrupt  # what a SIGINT at exactly the wrong moment looks like
        return real_finish(outcomes, **kw)

    monkeypatch.setattr(syncer.store.ledger, "finish_many", crash)
    with pytest.raises(KeyboardInterrupt):
        syncer.run(apply=True)
    assert [e.status for e in syncer.store.ledger.list_entries(shop="s")] == ["pending"]  # recorded before
    assert syncer.store.runs.list_recent()[0].status == "crashed"
    monkeypatch.setattr(syncer.store.ledger, "finish_many", real_finish)
    rerun = syncer.run(apply=True)
    # the write had happened: the rerun sees no drift and writes nothing more
    assert rerun.exit_code == 0 and rerun.drifts == []
    assert syncer.run().exit_code == 0
    events = [json.loads(x)["event"] for x in (setup.path / "alerts.jsonl").read_text().splitlines()]
    assert events == ["opened", "resolved"]  # the alert went out before the write, once
    syncer.close()


def test_ledger_keys_pushes_once_and_corrections_per_run():
    from dataclasses import replace

    from erpsync.core.models import Action

    correction = Action("s", "a", "set", "erp", "E1", "phone", "1", "d", ("fp",))
    push = replace(correction, idempotent=False)
    occ = {"fp": 7}
    assert Syncer._ledger_key("run1", push, occ) == Syncer._ledger_key("run2", push, occ)
    assert Syncer._ledger_key("run1", correction, occ) != Syncer._ledger_key("run2", correction, occ)
    assert Syncer._ledger_key("run1", push, occ) != Syncer._ledger_key("run1", push, {"fp": 8})


def test_a_drift_that_comes_back_is_fixed_again(setup):
    syncer = setup()
    syncer.run(apply=True)
    syncer.run()  # resolved
    setup(erp_phone="13900139000")  # someone reintroduces the old phone
    report = syncer.run(apply=True)
    assert report.shops[0].aspects[0].actions[0].status == "applied"
    assert len(syncer.store.ledger.list_entries(shop="s")) == 2
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
    assert syncer.store.ledger.list_entries(shop="s") == []  # no write attempted, nothing recorded
    syncer.close()


def test_connector_failure_is_shop_fatal_and_resolves_nothing(setup):
    syncer = setup()
    syncer.run()
    assert len(syncer.store.drifts.list_open("s")) == 1
    broken = setup(fail=True)
    report = broken.run()
    assert report.exit_code == 1
    assert report.shops[0].error.startswith("warehouse_address: memory list warehouses: signature rejected")
    assert len(broken.store.drifts.list_open("s")) == 1  # the unread side did not "resolve" it
    assert MemorySeller.calls == 2
    syncer.close()
    broken.close()


def test_alerts_once_per_open_and_resolve(setup):
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
    from erpsync.alert_outbox import ConfiguredSink
    from erpsync.core.config import AlertSettings
    from erpsync.plugins.alerts.base import AlertSink

    syncer = setup()

    class Broken(AlertSink):
        type = "broken"

        def send(self, event):
            raise RuntimeError("channel down")

    syncer.sinks.insert(0, ConfiguredSink(AlertSettings("broken", "broken", {}), Broken({}, base_dir=setup.path)))
    report = syncer.run()
    assert report.exit_code == 2
    assert "alert sink broken failed: channel down; retried later" in caplog.text
    assert (setup.path / "alerts.jsonl").exists()  # the next sink still got it
    (pending,) = syncer.store.outbox.all_pending("broken")  # kept for the next run
    assert pending.last_error == "RuntimeError: channel down"
    syncer.close()


def test_unknown_shop_and_aspect_are_usage_errors(setup):
    from erpsync.core.errors import UsageError

    syncer = setup()
    with pytest.raises(UsageError, match=r"unknown shop 'x' \(configured: s\)"):
        syncer.run(shops=["x"])
    with pytest.raises(UsageError, match="unknown aspect 'returns'"):
        syncer.run(aspects=["returns"])
    syncer.close()


def test_runs_are_recorded(setup):
    t = datetime(2026, 1, 1, tzinfo=UTC)
    ticks = iter(t + timedelta(seconds=i) for i in range(100))
    syncer = setup(clock=lambda: next(ticks))
    report = syncer.run()
    (row,) = syncer.store.runs.list_recent()
    assert row.id == report.run_id and row.status == "drift" and row.summary["drifts"] == 1
    syncer.close()


def test_an_aspect_not_enabled_for_the_shop_is_a_usage_error(setup):
    from erpsync.core.errors import UsageError

    syncer = setup()  # the shop enables warehouse_address only
    with pytest.raises(UsageError, match="aspect pickup is not enabled for shop s"):
        syncer.run(aspects=["pickup"])
    report = syncer.run(aspects=["pickup", "warehouse_address"])
    notes = {a.aspect: a.notes for a in report.shops[0].aspects}
    assert notes["pickup"] == ["not enabled for this shop: not run"]
    syncer.close()


def test_named_aspects_run_in_the_order_they_were_registered(setup):
    """As named, they ran in that order: ``--aspect ship_by --aspect tracking`` checked ship-by
    times before the run shipped the orders it then pushed tracking numbers for."""
    syncer = setup()
    report = syncer.run(aspects=["pickup", "warehouse_address"])
    assert [a.aspect for a in report.shops[0].aspects] == ["warehouse_address", "pickup"]
    syncer.close()


def test_repeated_shop_and_aspect_names_run_once(setup):
    syncer = setup()
    report = syncer.run(shops=["s", "s"], aspects=["warehouse_address", "warehouse_address"])
    assert len(report.shops) == 1 and len(report.shops[0].aspects) == 1
    syncer.close()


def test_a_plan_run_writes_only_erpsyncs_own_view(setup):
    """Plan: no ledger entry, nothing written to either side; the run, its drifts (alerts are
    deduplicated from them) and observations are recorded, as the module docstring says."""
    syncer = setup()
    erp_file = setup.path / "erp" / "warehouses.csv"
    before = erp_file.read_bytes()
    plan = syncer.run()
    assert plan.exit_code == 2 and [a.status for a in plan.shops[0].aspects[0].actions] == ["planned"]
    assert erp_file.read_bytes() == before
    assert syncer.store.ledger.list_entries() == []
    assert [r.status for r in syncer.store.runs.list_recent()] == ["drift"]
    (opened,) = syncer.store.drifts.list_open("s")
    assert opened.opened_run == plan.run_id
    again = syncer.run()  # the same drift: still open, not opened (or alerted) again
    assert again.shops[0].aspects[0].opened == [] and [d.id for d in syncer.store.drifts.list_open("s")] == [opened.id]
    assert syncer.store.leases.get("shop:s") is None  # the lease was given back
    syncer.close()


def test_a_sync_started_hook_that_raises_does_not_stop_the_run(setup, caplog):
    syncer = setup()

    class Raising:
        @hookimpl
        def sync_started(self, run):
            raise RuntimeError("plugin bug")

    syncer.pm.register(Raising())
    report = syncer.run()
    assert report.exit_code == 2 and report.shops[0].aspects[0].drifts  # the run went on
    assert "a sync_started hook failed" in caplog.text and "plugin bug" in caplog.text
    assert syncer.store.runs.list_recent()[0].status == "drift"
    assert setup.plugin.events[-1] == "finished exit=2"
    syncer.close()


def test_connectors_get_the_token_repository_not_the_store(setup):
    from erpsync.core.ports import TokenStore
    from erpsync.core.store import Store

    syncer = setup()
    shop = syncer.settings.shops[0]
    seller = syncer._connector(shop, "seller")
    try:
        assert seller.shop.tokens is syncer.store.tokens and isinstance(seller.shop.tokens, TokenStore)
        assert not isinstance(seller.shop.tokens, Store) and not hasattr(seller.shop.tokens, "ledger")
    finally:
        seller.close()
        syncer.close()
