"""Build the plugin manager and the registries the host needs.

``get_plugin_manager()`` is free of import-time side effects: each call builds a fresh manager,
so tests need no global state; the CLI builds one per invocation and passes it on. Built-ins are
listed in ``DEFAULT_PLUGINS`` and loaded through the same hooks as third-party plugins found in
the ``erpsync`` entry-point group; a third-party plugin that cannot be loaded is set aside
(``erpsync.plugins.loading``) and reported by the commands that need plugins.

Registration hooks are called through pluggy, one implementing plugin at a time
(``PluginManager.subset_hook_caller``), so that ``register`` knows which plugin is calling: a
duplicate name is refused with an error naming both plugins, and an exception names the plugin
that raised. Per plugin, the call is still pluggy's: implementations run in pluggy's order
(``tryfirst``/``trylast``, then last registered first) and wrappers of a registration hook run
around each plugin's call. The alternatives were worse: pluggy's call monitoring reports a
whole call, not which implementation is running, and finding the caller in the stack, or
swapping pluggy's implementation objects, relies on internals.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from erpsync.plugins import hookspecs
from erpsync.plugins.loading import (
    BrokenPlugin,
    Origin,
    PluginError,
    PluginManager,
    block,
    check_pending,
    configured_blocked,
    describe,
    env_blocked,
    how_to_block,
    load_entry_points,
)

if TYPE_CHECKING:
    import click

    from erpsync.core.aspects.base import Aspect
    from erpsync.core.config import Settings

__all__ = [
    "COMMAND_PLUGINS",
    "DEFAULT_PLUGINS",
    "PluginError",
    "PluginManager",
    "Registry",
    "add_commands",
    "block",
    "build_registry",
    "call_each",
    "finish_loading",
    "get_plugin_manager",
    "load_settings",
]

DEFAULT_PLUGINS: tuple[str, ...] = (
    "erpsync.connectors.tiktok",
    "erpsync.connectors.files",
    "erpsync.connectors.tryton",
    "erpsync.connectors.odoo",
    "erpsync.connectors.rest",
    "erpsync.plugins.defaults",
    "erpsync.plugins.alerts.log",
    "erpsync.plugins.alerts.jsonl",
    "erpsync.plugins.alerts.dingtalk",
    "erpsync.plugins.alerts.feishu",
    "erpsync.plugins.alerts.wecom",
    "erpsync.plugins.alerts.slack",
    "erpsync.plugins.alerts.webhook",
    "erpsync.plugins.alerts.mail",
)

#: the built-ins that implement ``register_commands``, the leading entries of ``DEFAULT_PLUGINS``:
#: the only built-ins the command line needs before it is parsed. The others import SQLAlchemy,
#: requests and marshmallow schemas, which ``erpsync --help`` never uses, so the CLI registers
#: them when a command first asks for its plugins (``finish_loading``); being a prefix, they are
#: registered in the same order either way, and pluggy calls implementations in the same order.
COMMAND_PLUGINS: tuple[str, ...] = DEFAULT_PLUGINS[:1]


def _own_origin() -> Origin:
    try:
        return Origin("erpsync", importlib.metadata.version("erpsync"))
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that is not installed
        return Origin("erpsync", "")


def get_plugin_manager(
    *,
    entrypoints: bool = True,
    blocked: Iterable[str] = (),
    extra: Iterable[object] = (),
    commands_only: bool = False,
) -> PluginManager:
    """A fresh manager with the built-ins, the installed plugins and ``extra`` objects registered.

    ``commands_only`` leaves out the built-ins outside ``COMMAND_PLUGINS`` and the ``extra``
    objects until ``finish_loading(pm)``: enough to add every plugin's commands to the command
    line without importing what only a command needs.

    ``blocked`` names plugins not to load, and so does ``ERPSYNC_BLOCK_PLUGINS`` (comma-separated).

    Never raises for an installed plugin that is broken (see ``PluginManager.broken``); raises
    PluginError for a broken built-in or ``extra`` object, which is a bug, not a deployment fault.
    """
    extra = tuple(extra)
    pm = PluginManager()
    pm.add_hookspecs(hookspecs)
    for name in (*blocked, *env_blocked()):
        pm.set_blocked(name)
    guarded = load_entry_points(pm) if entrypoints else set()
    rest = DEFAULT_PLUGINS[len(COMMAND_PLUGINS) :]
    _register_builtins(pm, COMMAND_PLUGINS if commands_only else DEFAULT_PLUGINS, () if commands_only else extra)
    check_pending(pm, guarded)
    if commands_only:
        pm.deferred = (rest, extra)
    return pm


def finish_loading(pm: PluginManager, *, config: str | Path | None = None) -> None:
    """Register what ``get_plugin_manager(commands_only=True)`` left out; nothing if it left nothing.

    ``config`` is the configuration file: the plugins its ``[plugins] blocked`` list names are
    blocked first (unregistered, or no longer reported as broken). Raises PluginError for a broken
    built-in, as ``get_plugin_manager`` does; the manager keeps what it left out, so a later call
    raises again rather than carry on without a built-in.
    """
    if config is not None:
        block(pm, configured_blocked(config))
    if pm.deferred is None:
        return
    paths, extra = pm.deferred
    _register_builtins(pm, paths, extra)
    check_pending(pm, set())
    pm.deferred = None


def _register_builtins(pm: PluginManager, paths: Iterable[str], extra: Iterable[object]) -> None:
    own = _own_origin()
    try:
        for path in paths:
            if not pm.is_blocked(path) and pm.get_plugin(path) is None:
                pm.register(importlib.import_module(path), name=path)
                pm.origins[path] = own
        for obj in extra:
            pm.register(obj)
    except ValueError as exc:  # pluggy's PluginValidationError is a ValueError too
        raise PluginError(str(exc)) from exc


@dataclass
class Registry:
    """What the loaded plugins registered, by name, and which plugin registered each."""

    connectors: dict[str, type[Any]] = field(default_factory=dict)
    aspects: dict[str, Aspect] = field(default_factory=dict)
    alert_sinks: dict[str, type[Any]] = field(default_factory=dict)
    owners: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, name) -> plugin

    def connectors_for(self, role: str) -> dict[str, type[Any]]:
        return {n: c for n, c in self.connectors.items() if c.role == role}


def call_each(
    pm: PluginManager,
    hook_name: str,
    kwargs_for: Callable[[str], dict[str, Any]],
    on_error: Callable[[str, Exception], None] | None = None,
) -> None:
    """Call a hook through pluggy once per implementing plugin, in pluggy's order.

    ``kwargs_for(plugin_name)`` gives that plugin's call its arguments. An exception goes to
    ``on_error(plugin_name, exc)`` if given; otherwise it is raised as a PluginError naming the plugin.
    """
    impls = reversed(getattr(pm.hook, hook_name).get_hookimpls())
    plugins = list(dict.fromkeys(i.plugin for i in impls if not (i.hookwrapper or i.wrapper)))
    for plugin in plugins:
        name = pm.get_name(plugin) or repr(plugin)
        caller = pm.subset_hook_caller(hook_name, remove_plugins=[p for p in plugins if p is not plugin])
        try:
            caller(**kwargs_for(name))
        except Exception as exc:
            if on_error is not None:
                on_error(name, exc)
            elif isinstance(exc, PluginError):
                raise
            else:
                raise PluginError(f"plugin {name!r} failed in {hook_name}: {describe(exc)}") from exc


def build_registry(pm: PluginManager, *, allow_broken: bool = False) -> Registry:
    """Call the three registration hooks; duplicates name both plugins.

    Raises PluginError if an installed plugin could not be loaded, unless ``allow_broken`` (for
    ``erpsync plugins``, which lists what loaded and what did not).
    """
    if not allow_broken:
        pm.check_loaded()
    from erpsync.plugins.registration import connector_problems  # imports marshmallow: not at start-up

    registry = Registry()

    def set_aside(name: str, exc: Exception) -> None:
        """For a listing: a plugin whose registration fails is reported, the others still listed."""
        origin = pm.origins.get(name, Origin("unknown distribution", ""))
        if isinstance(exc, PluginError):
            pm.broken.append(BrokenPlugin(name, origin, "registration refused", str(exc)))
        else:
            pm.broken.append(BrokenPlugin(name, origin, f"registration failed: {describe(exc)}"))

    hooks: tuple[tuple[str, str, dict[str, Any], Callable[[Any], str]], ...] = (
        ("connector", "register_connectors", registry.connectors, lambda c: c.type),
        ("aspect", "register_aspects", registry.aspects, lambda a: a.name),
        ("alert sink", "register_alert_sinks", registry.alert_sinks, lambda s: s.type),
    )
    for kind, hook_name, table, name_of in hooks:

        def kwargs_for(
            plugin: str, kind: str = kind, table: dict[str, Any] = table, name_of: Callable[[Any], str] = name_of
        ) -> dict[str, Any]:
            def register(item: Any) -> None:
                problems = connector_problems(item) if kind == "connector" else []
                name = getattr(item, "type", None) if kind == "connector" else name_of(item)
                if isinstance(name, str) and name in table:
                    first = registry.owners[(kind, name)]
                    dists = [str(o) for o in (pm.origins.get(first), pm.origins.get(plugin)) if o]
                    where = f" (distribution{'s' if len(dists) > 1 else ''} {' and '.join(dists)})" if dists else ""
                    raise PluginError(
                        f"{kind} {name!r} is registered twice: by plugin {first!r} and by plugin {plugin!r}{where}; "
                        f"uninstall one of them, {how_to_block(_blockable(pm, first, plugin))}"
                    )
                if problems:
                    what = getattr(item, "__name__", repr(item))
                    raise PluginError(
                        f"plugin {plugin!r}{_from(pm, plugin)}: connector {what} cannot be used: "
                        f"{'; '.join(problems)}. Fix the plugin (docs/plugins.md), {how_to_block(plugin)}"
                    )
                table[str(name)] = item
                registry.owners[(kind, str(name))] = plugin

            return {"register": register}

        call_each(pm, hook_name, kwargs_for, on_error=set_aside if allow_broken else None)
    return registry


def _blockable(pm: PluginManager, first: str, second: str) -> str:
    """Which of two clashing plugins to suggest blocking: an installed one rather than a built-in."""
    builtin = _own_origin().distribution
    own = pm.origins.get(second)
    return first if own is not None and own.distribution == builtin and second in DEFAULT_PLUGINS else second


def _from(pm: PluginManager, plugin: str) -> str:
    """`` (distribution erpsync-acme 1.0)`` where the plugin comes from, if known."""
    origin = pm.origins.get(plugin)
    return f" (distribution {origin})" if origin else ""


def add_commands(pm: PluginManager, cli: click.Group) -> None:
    """Let each plugin add its commands; a plugin that fails here is set aside, not raised.

    Called before the command line is parsed, so ``--help`` lists plugin commands; a failure
    must not take ``--help`` down, so it is reported by the commands that need plugins.
    """

    def set_aside(name: str, exc: Exception) -> None:
        origin = pm.origins.get(name, Origin("unknown distribution", ""))
        pm.broken.append(BrokenPlugin(name, origin, f"register_commands failed: {describe(exc)}"))

    call_each(pm, "register_commands", lambda _: {"cli": cli}, on_error=set_aside)


def load_settings(path: str | Path, registry: Registry) -> Settings:
    """Load a config file, validating connector, aspect and sink names against what is registered."""
    from erpsync.core.config import load_config

    return load_config(path, connectors=registry.connectors, aspects=registry.aspects, alert_sinks=registry.alert_sinks)
