"""Load third-party plugins from the ``erpsync`` entry-point group, each under its own guard.

pluggy's ``load_setuptools_entrypoints`` stops at the first plugin whose import raises, and the
exception (a traceback, for an operator) would take every command down, ``--help`` included.
Here each entry point is imported and registered on its own: one that fails is set aside as a
``BrokenPlugin`` naming its distribution and entry point, the others load, and the commands
that need plugins refuse to run with one clear error (``PluginManager.check_loaded``).
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass

import pluggy

from erpsync.core.errors import ErpsyncError

GROUP = "erpsync"


class PluginError(ErpsyncError):
    """A plugin is broken: it cannot be imported, a duplicate name, a hook matching no spec."""


@dataclass(frozen=True)
class Origin:
    """Where a plugin comes from: its distribution and version, and the entry point, if any."""

    distribution: str
    version: str
    entry_point: str = ""  # ``name = module:attr`` as the distribution declares it

    def __str__(self) -> str:
        return f"{self.distribution} {self.version}".strip()


@dataclass(frozen=True)
class BrokenPlugin:
    """A plugin set aside: what failed, and where it comes from."""

    name: str
    origin: Origin
    reason: str  # ``ImportError: No module named 'x'``; never a traceback

    def __str__(self) -> str:
        where = f"entry point {self.origin.entry_point!r} of " if self.origin.entry_point else ""
        return (
            f"plugin {self.name!r} ({where}distribution {self.origin}) is broken: {self.reason}; "
            f"fix it, or uninstall it (pip uninstall {self.origin.distribution})"
        )


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, plus where each plugin comes from and which plugins were set aside."""

    def __init__(self) -> None:
        super().__init__(GROUP)
        self.origins: dict[str, Origin] = {}
        self.broken: list[BrokenPlugin] = []
        #: built-in module paths and extra objects not registered yet (``manager.finish_loading``)
        self.deferred: tuple[tuple[str, ...], tuple[object, ...]] | None = None

    def check_loaded(self) -> None:
        """Raise one PluginError naming every broken plugin: a run must not go on without one."""
        if self.broken:
            raise PluginError("\n".join(str(b) for b in self.broken))


def describe(exc: BaseException) -> str:
    """``ImportError: No module named 'x'``: the exception as one line, without a traceback."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def load_entry_points(pm: PluginManager) -> set[str]:
    """Register every installed plugin that loads; set the others aside. Returns the names loaded."""
    loaded: set[str] = set()
    for ep in sorted(importlib.metadata.entry_points(group=GROUP), key=lambda e: e.name):
        if pm.has_plugin(ep.name) or pm.is_blocked(ep.name):
            continue
        dist = ep.dist
        origin = Origin(
            dist.name if dist else "unknown distribution",
            dist.version if dist else "",
            f"{ep.name} = {ep.value}",
        )
        try:
            pm.register(ep.load(), name=ep.name)
        except (Exception, SystemExit) as exc:  # a plugin's import may raise anything, even exit
            pm.broken.append(BrokenPlugin(ep.name, origin, describe(exc)))
            continue
        pm.origins[ep.name] = origin
        loaded.add(ep.name)
    return loaded


def check_pending(pm: PluginManager, guarded: set[str]) -> None:
    """Hook implementations that match no spec: set aside a guarded plugin, raise for the others."""
    while True:
        try:
            pm.check_pending()
            return
        except pluggy.PluginValidationError as exc:
            name = pm.get_name(exc.plugin) or repr(exc.plugin)
            if name not in guarded:
                raise PluginError(f"plugin {name!r}: {exc}") from exc
            pm.unregister(exc.plugin)
            guarded.discard(name)
            pm.broken.append(BrokenPlugin(name, pm.origins.pop(name), describe(exc)))
