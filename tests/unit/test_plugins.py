"""The plugin host: built-ins load through the same hooks as third-party plugins."""

from __future__ import annotations

import inspect

import pytest

from erpsync.core.connector import Connector
from erpsync.plugins import hookimpl, hookspecs
from erpsync.plugins.manager import DEFAULT_PLUGINS, PluginError, build_registry, get_plugin_manager


def test_builtins_register_through_hooks(registry):
    assert set(registry.connectors) >= {"tiktok", "files"}
    assert set(registry.aspects) >= {"warehouse_address", "pickup"}
    assert set(registry.alert_sinks) >= {"log", "jsonl"}
    assert registry.owners[("connector", "files")] == "erpsync.connectors.files"
    assert registry.connectors_for("erp") == {"files": registry.connectors["files"]}


def test_every_hook_is_documented():
    specs = [f for name, f in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(f, "erpsync_spec")]
    assert len(specs) >= 7
    for spec in specs:
        assert spec.__doc__ and len(spec.__doc__.strip()) > 40, spec.__name__


def test_duplicate_name_names_both_plugins():
    class Impostor(Connector):
        type = "files"
        role = "erp"

    class Plugin:
        @hookimpl
        def register_connectors(self, register):
            register(Impostor)

    pm = get_plugin_manager(entrypoints=False)
    pm.register(Plugin(), name="erpsync-impostor")
    with pytest.raises(PluginError) as info:
        build_registry(pm)
    assert str(info.value) == (
        "connector 'files' is registered twice: by plugin 'erpsync.connectors.files' and by plugin "
        "'erpsync-impostor'; uninstall or block one of them"
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
