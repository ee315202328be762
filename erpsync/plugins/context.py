"""What a plugin's commands receive as ``ctx.obj``: the CLI's plugins and configuration, built once.

The CLI sets it up (``erpsync.cli.State``) before any command runs; a plugin command takes it
with ``@click.pass_obj`` instead of importing the CLI, which sits above every plugin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from erpsync.core.config import Settings
    from erpsync.plugins.manager import PluginManager, Registry


class CommandContext(Protocol):
    #: the configuration file the command line names (``-c``, ``ERPSYNC_CONFIG``, ``erpsync.toml``)
    config: str

    @property
    def pm(self) -> PluginManager:
        """The one plugin manager of this invocation."""
        ...

    @property
    def registry(self) -> Registry:
        """What the plugins registered; raises PluginError if an installed plugin is broken."""
        ...

    def settings(self) -> Settings:
        """The configuration, loaded and validated against the registry; raises ConfigError."""
        ...
