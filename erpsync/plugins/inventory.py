"""What ``erpsync plugins`` shows: each plugin's origin and what it registers, a connector's capabilities.

Aspects ask for capabilities (``erpsync.core.ports``), not for connectors, so an operator
choosing a connector needs to see them: a connector that is no ``WarehouseWriter`` cannot have
an address corrected, whatever the policy says.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any, Protocol

from erpsync.core import ports

if TYPE_CHECKING:
    from erpsync.plugins.loading import Origin, PluginManager
    from erpsync.plugins.manager import Registry


def _capabilities() -> dict[str, tuple[str, ...]]:
    """Every protocol of ``core/ports.py`` with the methods it asks for, by name."""
    out: dict[str, tuple[str, ...]] = {}
    for name, obj in vars(ports).items():
        if inspect.isclass(obj) and obj.__module__ == ports.__name__ and Protocol in obj.__mro__:
            out[name] = tuple(m for m, v in vars(obj).items() if not m.startswith("_") and callable(v))
    return out


def capabilities(cls: type) -> list[str]:
    """The capability protocols ``cls`` implements: those whose every method it defines."""
    return [
        name
        for name, methods in _capabilities().items()
        if methods and all(callable(getattr(cls, m, None)) for m in methods)
    ]


def listing(pm: PluginManager, registry: Registry) -> list[dict[str, Any]]:
    """One row per registered item, plugin registering nothing, blocked plugin and broken plugin.

    Each row: ``plugin``, ``distribution``, ``version``, ``status`` (``loaded``, ``blocked`` or
    ``broken``), ``registers`` (``connector``, ``aspect``, ``alert sink``, ``hooks`` or empty),
    ``name``, ``role`` and ``capabilities`` (connectors), ``description`` and ``error``.
    """
    from erpsync.core.erp_connector import capabilities_of

    tables: dict[str, dict[str, Any]] = {
        "connector": registry.connectors,
        "aspect": registry.aspects,
        "alert sink": registry.alert_sinks,
    }

    def row(plugin: str, origin: Origin | None, **values: Any) -> dict[str, Any]:
        base: dict[str, Any] = {
            "plugin": plugin,
            "distribution": origin.distribution if origin else "",
            "version": origin.version if origin else "",
            "status": "loaded",
            "registers": "",
            "name": "",
            "role": None,
            "capabilities": None,
            "description": "",
            "error": None,
        }
        return base | values

    rows = []
    for (kind, name), plugin in sorted(registry.owners.items(), key=lambda kv: (kv[1], kv[0])):
        item = tables[kind][name]
        extra: dict[str, Any] = {"description": getattr(item, "description", "")}
        if kind == "connector":
            extra |= {"role": item.role, "capabilities": list(capabilities_of(item))}
        rows.append(row(plugin, pm.origins.get(plugin), registers=kind, name=name, **extra))
    owners = set(registry.owners.values()) | {b.name for b in pm.broken}  # broken ones are listed below
    for name, plugin_obj in sorted(pm.list_name_plugin(), key=lambda kv: kv[0]):
        if plugin_obj is None:
            rows.append(row(name, None, status="blocked"))
        elif name not in owners:
            hooks = ", ".join(sorted(h.name for h in pm.get_hookcallers(plugin_obj) or []))
            rows.append(row(name, pm.origins.get(name), registers="hooks", name=hooks))
    for broken in pm.broken:
        rows.append(row(broken.name, broken.origin, status="broken", error=str(broken)))
    return rows
