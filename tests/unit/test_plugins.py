"""The plugin host: built-ins load through the same hooks as third-party plugins."""

from __future__ import annotations

import importlib.metadata
import inspect

import click
import pytest
from marshmallow import Schema

from erpsync.core.connector import Connector
from erpsync.core.models import Records, Warehouse
from erpsync.plugins import hookimpl, hookspecs
from erpsync.plugins.inventory import capabilities
from erpsync.plugins.manager import DEFAULT_PLUGINS, PluginError, add_commands, build_registry, get_plugin_manager


def test_builtins_register_through_hooks(registry):
    assert set(registry.connectors) >= {"tiktok", "files"}
    assert set(registry.aspects) >= {"warehouse_address", "pickup"}
    assert set(registry.alert_sinks) >= {"log", "jsonl"}
    assert registry.owners[("connector", "files")] == "erpsync.connectors.files"
    erps = ("files", "tryton", "odoo", "rest")
    assert registry.connectors_for("erp") == {name: registry.connectors[name] for name in erps}
    assert all(registry.owners[("connector", name)] == f"erpsync.connectors.{name}" for name in erps)


def test_every_hook_is_documented():
    specs = [f for name, f in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(f, "erpsync_spec")]
    assert len(specs) >= 7
    for spec in specs:
        assert spec.__doc__ and len(spec.__doc__.strip()) > 40, spec.__name__


def test_duplicate_name_names_both_plugins():
    class Impostor(Connector):
        type = "files"
        role = "erp"
        Options = Schema

        def list_warehouses(self) -> Records[Warehouse]:
            return Records()

    class Plugin:
        @hookimpl
        def register_connectors(self, register):
            register(Impostor)

    pm = get_plugin_manager(entrypoints=False)
    pm.register(Plugin(), name="erpsync-impostor")
    with pytest.raises(PluginError) as info:
        build_registry(pm)
    # pluggy calls the plugin registered last first
    assert str(info.value) == (
        "connector 'files' is registered twice: by plugin 'erpsync-impostor' and by plugin "
        f"'erpsync.connectors.files' (distribution erpsync {importlib.metadata.version('erpsync')}); "
        'uninstall one of them, or block it: ERPSYNC_BLOCK_PLUGINS=erpsync-impostor, or blocked = ["erpsync-impostor"] '
        "in the [plugins] table of the config"
    )


def test_a_hookimpl_matching_no_spec_fails_loudly():
    class Typo:
        @hookimpl
        def register_conectors(self, register):  # sic
            pass

    with pytest.raises(PluginError, match="register_conectors"):
        get_plugin_manager(entrypoints=False, extra=[Typo()])


def test_blocking_a_builtin(pm):
    pm2 = get_plugin_manager(entrypoints=False, blocked=["erpsync.plugins.alerts.jsonl"])
    assert "jsonl" not in build_registry(pm2).alert_sinks
    assert "jsonl" in build_registry(pm).alert_sinks


def test_resolve_drift_plugin_overrides_policy(pm):
    from erpsync.core.models import Drift, Severity
    from erpsync.core.policy import DEFAULT_POLICIES

    drift = Drift("s", "warehouse_address", "field_mismatch", "W1", "phone", "1", "2", Severity.WARNING, "m")
    assert pm.hook.resolve_drift(drift=drift, policy=DEFAULT_POLICIES["warehouse_address"]) == "seller"

    class KeepErpPhones:
        @hookimpl
        def resolve_drift(self, drift):
            return "report" if drift.field == "phone" else None

    pm.register(KeepErpPhones())
    assert pm.hook.resolve_drift(drift=drift, policy=DEFAULT_POLICIES["warehouse_address"]) == "report"


def test_default_plugins_are_importable_modules():
    import importlib

    for path in DEFAULT_PLUGINS:
        assert importlib.import_module(path)


# --- registration goes through pluggy's hook calling -----------------------------------------


class Impostor(Connector):
    type = "files"
    role = "erp"


def test_registration_follows_pluggys_order():
    class Late:
        @hookimpl(trylast=True)
        def register_connectors(self, register):
            register(Impostor)

    pm = get_plugin_manager(entrypoints=False)
    pm.register(Late(), name="erpsync-late")
    with pytest.raises(PluginError, match=r"by plugin 'erpsync\.connectors\.files' and by plugin 'erpsync-late'"):
        build_registry(pm)


def test_registration_runs_wrappers_and_call_monitoring():
    calls: list[str] = []

    class Wrapper:
        @hookimpl(wrapper=True)
        def register_aspects(self, register):
            calls.append("wrapper before")
            result = yield
            calls.append("wrapper after")
            return result

    pm = get_plugin_manager(entrypoints=False, extra=[Wrapper()])
    pm.add_hookcall_monitoring(lambda name, impls, kwargs: calls.append(name), lambda *_: None)
    registry = build_registry(pm)
    assert set(registry.aspects) == {"warehouse_address", "pickup", "ship_by", "order_status", "tracking", "listings"}
    assert calls.count("wrapper before") == calls.count("wrapper after") == 1  # one registering plugin
    assert calls.count("register_connectors") == 5  # tiktok, files, tryton, odoo, rest: one call each
    assert "register_alert_sinks" in calls


def test_ship_by_is_registered_after_tracking():
    """A run takes aspects in this order: ship_by before tracking alerted an order as unshipped
    that the same run then shipped ("opened ship_by_near", then "resolved" next run)."""
    order = list(build_registry(get_plugin_manager(entrypoints=False)).aspects)
    assert order == ["warehouse_address", "pickup", "order_status", "tracking", "ship_by", "listings"]


def test_a_registration_hook_that_raises_names_its_plugin():
    class Crash:
        @hookimpl
        def register_alert_sinks(self, register):
            raise RuntimeError("pager key missing")

    pm = get_plugin_manager(entrypoints=False)
    pm.register(Crash(), name="erpsync-pager")
    with pytest.raises(PluginError) as info:
        build_registry(pm)
    assert str(info.value) == "plugin 'erpsync-pager' failed in register_alert_sinks: RuntimeError: pager key missing"


# --- commands: plugins add them; the CLI builds one plugin manager per invocation ---------------


def test_auth_is_a_command_of_the_tiktok_plugin():
    group = click.Group("erpsync")
    add_commands(get_plugin_manager(entrypoints=False), group)
    assert "auth" in group.commands
    without = click.Group("erpsync")
    add_commands(get_plugin_manager(entrypoints=False, blocked=["erpsync.connectors.tiktok"]), without)
    assert "auth" not in without.commands


def test_a_plugin_whose_commands_fail_is_set_aside():
    class Clumsy:
        @hookimpl
        def register_commands(self, cli):
            raise KeyError("verbose")

    pm = get_plugin_manager(entrypoints=False)
    pm.register(Clumsy(), name="erpsync-clumsy")
    group = click.Group("erpsync")
    add_commands(pm, group)
    assert "auth" in group.commands
    assert [b.reason for b in pm.broken] == ["register_commands failed: KeyError: 'verbose'"]
    with pytest.raises(PluginError, match="plugin 'erpsync-clumsy'"):
        build_registry(pm)


def test_the_cli_builds_one_plugin_manager(monkeypatch, capsys):
    import erpsync.cli
    import erpsync.plugins.manager

    built: list[object] = []

    def counting(**kwargs):
        pm = erpsync.plugins.manager.get_plugin_manager(entrypoints=False, **kwargs)
        built.append(pm)
        return pm

    monkeypatch.setattr(erpsync.cli, "get_plugin_manager", counting)
    monkeypatch.setenv("COLUMNS", "250")
    with pytest.raises(SystemExit) as info:
        erpsync.cli.main(["plugins"])
    assert info.value.code == 0
    assert len(built) == 1
    out = capsys.readouterr().out
    erpsync_version = importlib.metadata.version("erpsync")
    tiktok = next(line for line in out.splitlines() if "erpsync.connectors.tiktok" in line)
    assert f"erpsync {erpsync_version}" in tiktok
    assert "warehouses, pickup_signals" in tiktok


def test_capabilities_are_the_protocols_a_connector_implements(registry):
    assert capabilities(registry.connectors["files"]) == [
        "WarehouseReader",
        "WarehouseWriter",
        "PickupWriter",
        "BatchWriter",
    ]
    assert capabilities(registry.connectors["tiktok"]) == ["WarehouseReader", "PickupReader"]
    assert capabilities(Impostor) == []


# --- a plugin aspect's [aspects.X] table reaches its observe() --------------------------------


def test_a_plugin_aspects_settings_reach_it_in_a_run(tmp_path):
    from marshmallow import Schema, fields

    from erpsync.core.aspects.base import Aspect, Observation
    from erpsync.plugins.manager import load_settings
    from erpsync.sync import Syncer

    seen: list[dict] = []

    class Nothing(Connector):
        type = "nothing"
        role = "seller"
        Options = Schema

        def list_warehouses(self) -> Records[Warehouse]:
            return Records()

    class Stock(Aspect):
        name = "stock"

        class Settings(Schema):
            threshold = fields.Integer(required=True)
            unit = fields.String(load_default="pcs")

        def observe(self, ctx):
            seen.append(dict(ctx.settings))
            return Observation(shop=ctx.shop, now=ctx.now)

        def diff(self, observation):
            return []

        def plan(self, drifts, decide, observation):
            return []

        def apply(self, action, seller, erp):
            raise AssertionError("nothing is planned")

    class StockPlugin:
        @hookimpl
        def register_connectors(self, register):
            register(Nothing)

        @hookimpl
        def register_aspects(self, register):
            register(Stock())

    pm = get_plugin_manager(entrypoints=False, extra=[StockPlugin()])
    registry = build_registry(pm)
    (tmp_path / "erp").mkdir()
    config = tmp_path / "erpsync.toml"
    config.write_text(
        '[[shops]]\nname = "s"\n[shops.seller]\ntype = "nothing"\n[shops.erp]\ntype = "files"\npath = "erp"\n'
        "[aspects.stock]\nthreshold = 3\n",
        encoding="utf-8",
    )
    syncer = Syncer(load_settings(config, registry), pm=pm, registry=registry)
    try:
        report = syncer.run(aspects=["stock"])
    finally:
        syncer.close()
    assert report.exit_code == 0, report
    assert seen == [{"threshold": 3, "unit": "pcs"}]
