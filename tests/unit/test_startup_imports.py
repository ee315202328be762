"""``erpsync --help`` imports none of the heavy libraries only running a command needs.

Each check runs in a fresh interpreter: this test process has imported everything already. What
is checked is which modules load, not how long they take (timings are ``bench/startup.py``'s).
"""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from erpsync.plugins.manager import COMMAND_PLUGINS, DEFAULT_PLUGINS, get_plugin_manager

#: what only running a command needs: the state store, the HTTP clients, the schemas, phone and
#: Chinese-script normalisation, the tables, the tokens' encryption, the sandbox and the built-in
#: connectors' code
HEAVY = (
    "sqlalchemy",
    "requests",
    "urllib3",
    "opencc",
    "phonenumbers",
    "marshmallow",
    "rich",
    "cryptography",
    "erpsync.sandbox",
)
HEAVY_ERPSYNC = ("erpsync.core.store", "erpsync.connectors.tiktok.seller", "erpsync.connectors.files")

PROBE = """
import contextlib, io, json, sys
import erpsync.cli
args = json.loads(sys.argv[1])
if args is not None:
    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):
        erpsync.cli.main(args)
print(json.dumps(sorted(sys.modules)))
"""


def loaded_after(args: list[str] | None) -> list[str]:
    """The modules loaded in a fresh interpreter after importing the CLI and running ``args``."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)], capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def heavy_in(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY + HEAVY_ERPSYNC)]


def test_importing_the_cli_loads_no_heavy_module():
    assert heavy_in(loaded_after(None)) == []


@pytest.mark.parametrize("args", [["--help"], ["reconcile", "--help"], ["auth", "--help"], ["pickup", "--help"]])
def test_help_loads_no_heavy_module(args):
    modules = loaded_after(args)
    assert heavy_in(modules) == []
    assert "erpsync.connectors.tiktok.commands" in modules  # `auth` is listed: the plugin's commands were added


def test_help_imports_no_command_module_nor_the_models():
    """The commands kept in modules of their own are listed from ``cli.COMMANDS``' summaries."""
    from erpsync.cli import COMMANDS

    modules = set(loaded_after(["--help"]))
    command_modules = {entry.target.partition(":")[0] for entry in COMMANDS.values()}
    assert modules & command_modules == set()
    assert {"erpsync.core.models", "erpsync.render"} & modules == set()


def test_a_command_that_runs_loads_what_it_uses():
    """The probe sees imports: running ``erpsync plugins`` registers every built-in."""
    modules = loaded_after(["plugins"])
    assert {"marshmallow", "rich", "erpsync.connectors.files", "erpsync.connectors.tiktok.seller"} <= set(modules)


def test_only_the_command_plugins_add_commands():
    """``--help`` registers only ``COMMAND_PLUGINS`` before parsing: every built-in that adds
    commands must be among them, and they lead ``DEFAULT_PLUGINS`` so the order stays pluggy's."""
    pm = get_plugin_manager(entrypoints=False)
    adding = [p for p in DEFAULT_PLUGINS if any(i.plugin_name == p for i in pm.hook.register_commands.get_hookimpls())]
    assert tuple(adding) == COMMAND_PLUGINS
    assert DEFAULT_PLUGINS[: len(COMMAND_PLUGINS)] == COMMAND_PLUGINS


def test_a_manager_built_for_commands_is_the_same_once_finished():
    from erpsync.plugins.manager import finish_loading

    full = get_plugin_manager(entrypoints=False)
    staged = get_plugin_manager(entrypoints=False, commands_only=True)
    assert [n for n, _ in staged.list_name_plugin()] == list(COMMAND_PLUGINS)
    group = click.Group("erpsync")
    from erpsync.plugins.manager import add_commands

    add_commands(staged, group)
    assert "auth" in group.commands
    finish_loading(staged)
    finish_loading(staged)  # a second call registers nothing twice
    assert [n for n, _ in staged.list_name_plugin()] == [n for n, _ in full.list_name_plugin()]
    for hook in ("register_connectors", "register_aspects", "register_alert_sinks", "resolve_drift"):
        names = [i.plugin_name for i in getattr(staged.hook, hook).get_hookimpls()]
        assert names == [i.plugin_name for i in getattr(full.hook, hook).get_hookimpls()]
