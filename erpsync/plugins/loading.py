"""Load third-party plugins from the ``erpsync`` entry-point group, each under its own guard.

pluggy's ``load_setuptools_entrypoints`` stops at the first plugin whose import raises, and the
exception (a traceback, for an operator) would take every command down, ``--help`` included.
Here each entry point is imported and registered on its own: one that fails is set aside as a
``BrokenPlugin`` naming its distribution and entry point, the others load, and the commands
that need plugins refuse to run with one clear error (``PluginManager.check_loaded``), which
says how to block the plugin: ``ERPSYNC_BLOCK_PLUGINS=name1,name2`` in the environment (read
before any plugin is imported, so it blocks a plugin's commands too), or ``blocked = [...]`` in
the config's ``[plugins]`` table (read once the config file is known, before the run).

Two distributions whose entry points share a name clash: the first (by distribution name) loads,
the second is set aside as broken, so the run stops rather than use whichever happened to win.
"""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pluggy

from erpsync.core.errors import ErpsyncError

GROUP = "erpsync"
#: the environment variable that blocks plugins by name, comma-separated
BLOCK_ENV = "ERPSYNC_BLOCK_PLUGINS"


def how_to_block(name: str) -> str:
    """The two ways to run without plugin ``name``, as the end of an error message."""
    return f'or block it: {BLOCK_ENV}={name}, or blocked = ["{name}"] in the [plugins] table of the config'


def env_blocked(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The plugin names ``ERPSYNC_BLOCK_PLUGINS`` lists (commas, spaces around names ignored)."""
    raw = (os.environ if environ is None else environ).get(BLOCK_ENV, "")
    return tuple(n.strip() for n in raw.split(",") if n.strip())


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
    #: the whole message, when the reason already says all (a registration refused: its PluginError)
    message: str = ""

    def __str__(self) -> str:
        if self.message:
            return self.message
        where = f"entry point {self.origin.entry_point!r} of " if self.origin.entry_point else ""
        return (
            f"plugin {self.name!r} ({where}distribution {self.origin}) is broken: {self.reason}; "
            f"fix it, uninstall it (pip uninstall {self.origin.distribution}), {how_to_block(self.name)}"
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
    eps = importlib.metadata.entry_points(group=GROUP)
    for ep in sorted(eps, key=lambda e: (e.name, e.dist.name if e.dist else "")):
        if pm.is_blocked(ep.name):
            continue
        dist = ep.dist
        origin = Origin(
            dist.name if dist else "unknown distribution",
            dist.version if dist else "",
            f"{ep.name} = {ep.value}",
        )
        first = pm.origins.get(ep.name)
        if first is not None or pm.has_plugin(ep.name):
            if first is None or first.distribution != origin.distribution:  # the same one found twice is fine
                taken = f"distribution {first}" if first else "another plugin"
                reason = f"its name {ep.name!r} is taken by {taken}; uninstall one of the two"
                pm.broken.append(BrokenPlugin(ep.name, origin, reason))
            continue
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


def configured_blocked(path: str | Path) -> tuple[str, ...]:
    """The names ``blocked`` lists in the config's ``[plugins]`` table; none if it cannot be read.

    Read before the config is loaded, because loading it needs the registry the blocked plugins
    would break. A file that is missing or invalid blocks nothing here: loading it reports why.
    """
    import tomllib  # here: ``erpsync --help`` never reads the config

    try:
        table = tomllib.loads(Path(path).read_bytes().decode("utf-8-sig")).get("plugins", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return ()
    names = table.get("blocked", []) if isinstance(table, dict) else []
    return tuple(n for n in names if isinstance(n, str) and n) if isinstance(names, list) else ()


def block(pm: PluginManager, names: Iterable[str]) -> None:
    """Block plugins by name: unregister them if loaded, and forget them if they were set aside."""
    for name in names:
        if not pm.is_blocked(name):
            pm.set_blocked(name)  # pluggy unregisters a plugin registered under that name
        pm.origins.pop(name, None)
        pm.broken[:] = [b for b in pm.broken if b.name != name]
