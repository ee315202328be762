"""Build the plugin manager and the registries the host needs.

``get_plugin_manager()`` is free of import-time side effects: each call builds a fresh manager,
so tests need no global state. Built-ins are listed in ``DEFAULT_PLUGINS`` and loaded through the
same hooks as third-party plugins found in the ``erpsync`` entry-point group.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pluggy

from erpsync.core.config import Settings, load_config
from erpsync.core.errors import ErpsyncError
from erpsync.plugins import hookspecs

DEFAULT_PLUGINS: tuple[str, ...] = (
    "erpsync.connectors.tiktok",
    "erpsync.connectors.files",
    "erpsync.plugins.defaults",
    "erpsync.plugins.alerts.log",
    "erpsync.plugins.alerts.jsonl",
)


class PluginError(ErpsyncError):
    """A plugin is broken: a duplicate name, a hook that matches no spec, a bad registration."""


def get_plugin_manager(
    *, entrypoints: bool = True, blocked: Iterable[str] = (), extra: Iterable[object] = ()
) -> pluggy.PluginManager:
    """A fresh manager with the built-ins, the installed plugins and ``extra`` objects registered."""
    pm = pluggy.PluginManager("erpsync")
    pm.add_hookspecs(hookspecs)
    for name in blocked:
        pm.set_blocked(name)
    if entrypoints:
        pm.load_setuptools_entrypoints("erpsync")
    for path in DEFAULT_PLUGINS:
        if not pm.is_blocked(path) and pm.get_plugin(path) is None:
            pm.register(importlib.import_module(path), name=path)
    for obj in extra:
        pm.register(obj)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin {exc.plugin!r}: {exc}") from exc
    return pm


@dataclass
class Registry:
    """What the loaded plugins registered, by name, and which plugin registered each."""

    connectors: dict[str, type[Any]] = field(default_factory=dict)
    aspects: dict[str, Any] = field(default_factory=dict)
    alert_sinks: dict[str, type[Any]] = field(default_factory=dict)
    owners: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, name) -> plugin

    def connectors_for(self, role: str) -> dict[str, type[Any]]:
        return {n: c for n, c in self.connectors.items() if c.role == role}


def build_registry(pm: pluggy.PluginManager) -> Registry:
    """Call the three registration hooks, one plugin at a time so duplicates name both plugins."""
    registry = Registry()
    hooks = (
        ("connector", "register_connectors", registry.connectors, lambda c: c.type),
        ("aspect", "register_aspects", registry.aspects, lambda a: a.name),
        ("alert sink", "register_alert_sinks", registry.alert_sinks, lambda s: s.type),
    )
    for kind, hook_name, table, name_of in hooks:
        caller = getattr(pm.hook, hook_name)
        for impl in caller.get_hookimpls():
            plugin_name = pm.get_name(impl.plugin) or repr(impl.plugin)

            def register(
                item: Any, *, _kind: str = kind, _table: dict = table, _name_of=name_of, _p: str = plugin_name
            ) -> None:
                name = _name_of(item)
                if name in _table:
                    first = registry.owners[(_kind, name)]
                    raise PluginError(
                        f"{_kind} {name!r} is registered twice: by plugin {first!r} and by plugin {_p!r}; "
                        f"uninstall or block one of them"
                    )
                _table[name] = item
                registry.owners[(_kind, name)] = _p

            impl.function(register=register)
    return registry


def load_settings(path: str | Path, registry: Registry) -> Settings:
    """Load a config file, validating connector, aspect and sink names against what is registered."""
    aspects = {name: getattr(aspect, "policy_keys", ()) for name, aspect in registry.aspects.items()}
    return load_config(path, connectors=registry.connectors, aspects=aspects, alert_sinks=registry.alert_sinks)
