"""erpsync's kit for plugin authors' tests: a pytest plugin and the ERP connector contract suite.

Opt in from a test module or the root ``conftest.py`` (no entry point loads it by itself, so
installing erpsync never changes how other projects' tests run)::

    pytest_plugins = ["erpsync.testing"]

Then override ``erpsync_plugin`` to return the plugin under test, and use the fixtures below;
subclass ``ErpConnectorContract`` for the connector contract. ``docs/plugin-testing.md`` is the
guide. The fixtures are function-scoped: each test gets its own sandbox, store and folder, so
tests never see each other's state.

The case modules' ``assert`` statements are rewritten by pytest (``_rewrite.py``, imported
before them), so a failing case shows both sides. This module holds no assertion and says
PYTEST_DONT_REWRITE: a test module that imports it before ``pytest_plugins`` loads it would
otherwise get a warning that it was imported too early to be rewritten.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from erpsync.core.store import Store
from erpsync.plugins.loading import check_pending
from erpsync.plugins.manager import PluginError, PluginManager, Registry, build_registry, get_plugin_manager
from erpsync.sandbox import SandboxServer

from . import _rewrite  # noqa: F401  (first: registers the case modules for assert rewriting)
from .contract import ErpConnectorContract
from .contract_base import ContractBase
from .failures import http_failure
from .harness import Harness, Kind, Operation
from .reconcile import Reconciler, Reconciliation, SandboxSeller, render_config
from .samples import NEW_VALUES, SAMPLE_WAREHOUSES, UNKNOWN_ID
from .samples_commerce import (
    NEW_ORDER_STATUS,
    SAMPLE_ORDER_STATUSES,
    SAMPLE_PRODUCTS,
    SAMPLE_SHIPMENTS,
    UNKNOWN_ORDER_ID,
)

__all__ = [
    "NEW_ORDER_STATUS",
    "NEW_VALUES",
    "SAMPLE_ORDER_STATUSES",
    "SAMPLE_PRODUCTS",
    "SAMPLE_SHIPMENTS",
    "SAMPLE_WAREHOUSES",
    "UNKNOWN_ID",
    "UNKNOWN_ORDER_ID",
    "ContractBase",
    "ErpConnectorContract",
    "Harness",
    "Kind",
    "Operation",
    "Reconciler",
    "Reconciliation",
    "SandboxSeller",
    "http_failure",
    "render_config",
]


@pytest.fixture
def erpsync_plugin() -> object:
    """The plugin under test: override it to return your plugin module or object."""
    pytest.fail(
        "override the erpsync_plugin fixture to return the plugin under test, e.g.\n"
        "    @pytest.fixture\n    def erpsync_plugin():\n        import my_erp_plugin\n        return my_erp_plugin",
        pytrace=False,
    )


@pytest.fixture
def erpsync_pm(erpsync_plugin: object) -> PluginManager:
    """A plugin manager with erpsync's built-ins and the plugin under test, nothing else installed.

    Entry points are not loaded: another installed plugin cannot change the outcome, and the
    plugin under test is registered once even when it is installed too.
    """
    pm = get_plugin_manager(entrypoints=False)
    if not pm.is_registered(erpsync_plugin):  # a built-in is registered already
        try:
            pm.register(erpsync_plugin, name=plugin_name(erpsync_plugin))
        except ValueError as exc:  # pluggy's PluginValidationError too
            raise PluginError(str(exc)) from exc
        check_pending(pm, set())
    return pm


def plugin_name(plugin: object) -> str:
    """What errors call the plugin: its module's name, or the dotted name of its class."""
    if isinstance(plugin, ModuleType):
        return plugin.__name__
    cls = plugin if isinstance(plugin, type) else type(plugin)
    return f"{cls.__module__}.{cls.__qualname__}"


@pytest.fixture
def erpsync_registry(erpsync_pm: PluginManager) -> Registry:
    """What the plugins registered (connectors, aspects, alert sinks), as the CLI builds it."""
    return build_registry(erpsync_pm)


@pytest.fixture
def erpsync_sandbox() -> Iterator[SandboxSeller]:
    """The sandbox seller backend on a free loopback port, serving the demo shop."""
    with SandboxServer(scenario="demo") as server:
        yield SandboxSeller(server)


@pytest.fixture
def erpsync_store(tmp_path: Path) -> Iterator[Store]:
    """A fresh state store on a SQLite file in ``tmp_path``, closed after the test."""
    store = Store.open(f"sqlite:///{tmp_path / 'state' / 'state.db'}")
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def erpsync_reconcile(
    erpsync_sandbox: SandboxSeller,
    erpsync_plugin: object,
    erpsync_pm: PluginManager,
    erpsync_registry: Registry,
    erpsync_store: Store,
    tmp_path: Path,
) -> Reconciler:
    """``erpsync_reconcile(erp_options)``: plan → apply → plan with the sandbox as Seller Center."""
    return Reconciler(erpsync_sandbox, erpsync_plugin, erpsync_pm, erpsync_registry, erpsync_store, tmp_path)
