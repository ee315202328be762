"""``register()`` refuses a connector class the host could not use, with one error naming plugin and fix."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from erpsync import sdk
from erpsync.connectors.files import FilesErp
from erpsync.connectors.tiktok.seller import TikTokSellerConnector
from erpsync.core.erp_connector import capabilities_of
from erpsync.plugins.loading import Origin
from erpsync.plugins.manager import build_registry, get_plugin_manager
from erpsync.plugins.registration import connector_problems


class Good(sdk.ErpConnector):
    type = "good"
    Options = sdk.Schema
    capabilities = ("warehouses", "addresses")

    def list_warehouses(self) -> sdk.Records[sdk.Warehouse]:
        return sdk.Records()

    def set_warehouse_address(self, warehouse_id: str, changes: Mapping[str, str]) -> None:
        pass


def variant(**attrs: Any) -> type:
    """``Good`` with some class attributes replaced (or removed, given None)."""
    cls = type("Variant", (Good,), {k: v for k, v in attrs.items() if v is not None})
    for name, value in attrs.items():
        if value is None:
            setattr(cls, name, None)
    return cls


def test_the_built_in_connectors_pass():
    assert connector_problems(FilesErp) == []
    assert connector_problems(TikTokSellerConnector) == []
    assert capabilities_of(FilesErp) == (
        "warehouses", "addresses", "handover", "batch", "products", "shipments", "order_statuses"
    )  # fmt: skip
    assert capabilities_of(TikTokSellerConnector) == ("warehouses", "pickup_signals")
    assert connector_problems(Good) == []


class Secrets(sdk.Schema):
    token = sdk.fields.String()


@pytest.mark.parametrize(
    ("attrs", "problem"),
    [
        ({"type": None}, "type = None: set type to a name such as 'myerp'"),
        ({"type": "my erp"}, "type = 'my erp': set type to a name"),
        ({"role": "warehouse"}, "role = 'warehouse': set role to 'seller' or 'erp'"),
        ({"Options": None}, "Options is not a marshmallow Schema"),
        ({"Options": dict}, "Options is not a marshmallow Schema"),
        ({"Options": Secrets, "secret_options": ("tokn",)}, "secret_options names 'tokn', which Options does not have"),
        ({"capabilities": ()}, "capabilities is empty: declare at least one of warehouses, addresses, handover"),
        ({"capabilities": ("warehouses", "adresses")}, "capabilities names 'adresses', which is no capability"),
        (
            {"capabilities": ("warehouses",)},
            "defines set_warehouse_address but does not declare 'addresses': add it to capabilities",
        ),
    ],
    ids=[
        "no-type",
        "bad-type",
        "bad-role",
        "no-options",
        "options-not-schema",
        "secret-typo",
        "none",
        "unknown",
        "hidden",
    ],
)
def test_each_problem_is_named(attrs, problem):
    assert any(p.startswith(problem) for p in connector_problems(variant(**attrs))), connector_problems(
        variant(**attrs)
    )


def test_a_misspelt_method_of_a_declared_capability():
    class Misspelt(sdk.ErpConnector):
        type = "misspelt"
        Options = sdk.Schema
        capabilities = ("handover",)

        def set_handover_mod(self, warehouse_id: str, mode: sdk.HandoverMode) -> None:  # sic
            pass

    assert connector_problems(Misspelt) == [
        "capability 'handover' needs set_handover_mode(warehouse_id, mode), which is missing "
        "(set_handover_mod looks misspelt)"
    ]


def test_a_misspelt_method_of_a_plain_connector():
    class Plain(sdk.Connector):
        type = "plain"
        role = "erp"
        Options = sdk.Schema

        def list_warehouses(self) -> sdk.Records[sdk.Warehouse]:
            return sdk.Records()

        def set_handover_mod(self, warehouse_id: str, mode: sdk.HandoverMode) -> None:  # sic
            pass

    assert connector_problems(Plain) == [
        "defines set_handover_mod: did you mean set_handover_mode(warehouse_id, mode) (capability 'handover')?"
    ]


def test_a_method_the_host_cannot_call():
    class Narrow(Good):
        def set_warehouse_address(self, changes):  # no warehouse id
            pass

    class Positional(sdk.Connector):
        type = "positional"
        role = "seller"
        Options = sdk.Schema

        def list_warehouses(self) -> sdk.Records[sdk.Warehouse]:
            return sdk.Records()

        def read_pickup_signals(self, warehouse_ids, when):  # the host passes since= by keyword
            return sdk.Records()

    [problem] = connector_problems(Narrow)
    assert problem.startswith("capability 'addresses': set_warehouse_address(self, changes) cannot be called as ")
    assert "set_warehouse_address(warehouse_id, changes)" in problem
    [problem] = connector_problems(Positional)
    assert problem.startswith("capability 'pickup_signals': read_pickup_signals(self, warehouse_ids, when)")


def test_extra_parameters_with_defaults_and_keyword_catch_alls_are_fine():
    class Lenient(Good):
        def set_warehouse_address(self, warehouse_id: str, changes: Mapping[str, str], dry: bool = False) -> None:
            pass

    class Catchall(sdk.Connector):
        type = "catchall"
        role = "seller"
        Options = sdk.Schema

        def read_pickup_signals(self, warehouse_ids: list[str], **kwargs: datetime) -> sdk.Records[Any]:
            return sdk.Records()

    assert connector_problems(Lenient) == []
    assert connector_problems(Catchall) == []


def test_not_a_connector_and_no_capability_at_all():
    class Bare(sdk.Connector):
        type = "bare"
        role = "seller"
        Options = sdk.Schema

    assert connector_problems(object) == [
        "is not a connector class: subclass erpsync.sdk.ErpConnector (or erpsync.sdk.Connector)"
    ]
    assert connector_problems(Bare)[0].startswith("implements no capability: subclass erpsync.sdk.ErpConnector")


# --- through the plugin manager: one PluginError naming plugin, distribution and the fix --------------


class Broken(sdk.ErpConnector):
    type = "acme"
    Options = sdk.Schema
    capabilities = ("handover",)

    def set_handover_mod(self, warehouse_id: str, mode: sdk.HandoverMode) -> None:  # sic
        pass


class AcmePlugin:
    @sdk.hookimpl
    def register_connectors(self, register):
        register(Broken)


def test_register_refuses_with_one_error_naming_plugin_distribution_and_fix():
    pm = get_plugin_manager(entrypoints=False)
    pm.register(AcmePlugin(), name="acme")
    pm.origins["acme"] = Origin("erpsync-acme", "1.0", "acme = erpsync_acme")
    with pytest.raises(sdk.PluginError) as info:
        build_registry(pm)
    assert str(info.value) == (
        "plugin 'acme' (distribution erpsync-acme 1.0): connector Broken cannot be used: capability 'handover' "
        "needs set_handover_mode(warehouse_id, mode), which is missing (set_handover_mod looks misspelt). "
        'Fix the plugin (docs/plugins.md), or block it: ERPSYNC_BLOCK_PLUGINS=acme, or blocked = ["acme"] '
        "in the [plugins] table of the config"
    )


def test_a_listing_sets_the_refused_plugin_aside_and_lists_the_rest():
    pm = get_plugin_manager(entrypoints=False)
    pm.register(AcmePlugin(), name="acme")
    registry = build_registry(pm, allow_broken=True)
    assert "files" in registry.connectors and "acme" not in registry.connectors
    [broken] = pm.broken
    assert broken.name == "acme" and str(broken).startswith("plugin 'acme': connector Broken cannot be used")


def test_a_duplicate_names_both_plugins_their_distributions_and_how_to_block():
    class Files(Good):
        type = "files"

    class Clash:
        @sdk.hookimpl
        def register_connectors(self, register):
            register(Files)

    pm = get_plugin_manager(entrypoints=False)
    pm.register(Clash(), name="clash")
    pm.origins["clash"] = Origin("erpsync-clash", "2.0")
    with pytest.raises(sdk.PluginError) as info:
        build_registry(pm)
    message = str(info.value)
    assert message.startswith("connector 'files' is registered twice: by plugin 'clash' and by plugin ")
    assert "(distributions erpsync-clash 2.0 and erpsync " in message
    assert message.endswith('ERPSYNC_BLOCK_PLUGINS=clash, or blocked = ["clash"] in the [plugins] table of the config')


def test_the_env_blocks_a_plugin(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ERPSYNC_BLOCK_PLUGINS", " acme , erpsync.plugins.alerts.jsonl")
    pm = get_plugin_manager(entrypoints=False)
    pm.register(AcmePlugin(), name="acme")  # pluggy refuses silently: the name is blocked
    registry = build_registry(pm)
    assert "acme" not in registry.connectors and "jsonl" not in registry.alert_sinks
    assert pm.is_blocked("acme")


def test_the_config_blocks_a_plugin(tmp_path: Path):
    from erpsync.plugins.manager import finish_loading

    config = tmp_path / "erpsync.toml"
    config.write_text('\ufeff[plugins]\nblocked = ["acme"]\n', encoding="utf-8")
    pm = get_plugin_manager(entrypoints=False, commands_only=True)
    pm.register(AcmePlugin(), name="acme")
    finish_loading(pm, config=config)
    assert "acme" not in build_registry(pm).connectors
    finish_loading(pm, config=tmp_path / "missing.toml")  # no file: nothing more is blocked, no error


def test_the_config_file_accepts_the_plugins_table(tmp_path: Path):
    from erpsync.core.config import load_config
    from erpsync.core.errors import ConfigError

    class Seller(Good):
        type = "seller"
        role = "seller"

    class SellerPlugin:
        @sdk.hookimpl
        def register_connectors(self, register):
            register(Seller)

    registry = build_registry(get_plugin_manager(entrypoints=False, extra=[SellerPlugin()]))
    shop = '[[shops]]\nname = "s"\n[shops.seller]\ntype = "seller"\n[shops.erp]\ntype = "files"\npath = "e"\n'
    config = tmp_path / "erpsync.toml"
    config.write_text('[plugins]\nblocked = ["acme"]\n' + shop, encoding="utf-8")
    load_config(config, connectors=registry.connectors, aspects=registry.aspects, alert_sinks=registry.alert_sinks)
    config.write_text('[plugins]\nblocked = "acme"\n' + shop, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"plugins\.blocked: Not a valid list"):
        load_config(config, connectors=registry.connectors, aspects=registry.aspects, alert_sinks=registry.alert_sinks)
