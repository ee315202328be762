"""The commands ``cli.py`` names by module: listed by ``--help`` without importing them, each
listed with its own summary, and imported whole when the command line names them."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from erpsync.cli import COMMANDS, cli
from erpsync.cli_lazy import LazyCommand, LazyGroup


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_listed_summary_is_the_commands_own(name):
    """A changed docstring must change the summary here too, or this fails (``--help`` would be stale)."""
    entry = COMMANDS[name]
    command = entry.load()
    stand_in = entry.stand_in(name)  # what ``--help`` and completion show before the command is loaded
    for width in (30, 45, 70, 200):
        assert stand_in.get_short_help_str(width) == command.get_short_help_str(width)
    assert not command.hidden and not command.deprecated
    assert command.name == name


def _group() -> LazyGroup:
    """A group with one lazy command, ``later``, in ``lazy_probe.py`` (written by the test that runs it)."""

    @click.group(cls=LazyGroup, lazy={"later": LazyCommand("lazy_probe:later", "Runs later.")})
    def group() -> None:
        pass

    return group


def test_listing_the_commands_imports_none_of_them(monkeypatch):
    imported = []
    monkeypatch.setattr(LazyCommand, "load", lambda self: imported.append(self.target))
    result = CliRunner().invoke(_group(), ["--help"])
    assert result.exit_code == 0, result.output
    assert "later  Runs later." in result.output
    assert imported == []


def test_a_command_named_on_the_command_line_is_imported_and_runs(tmp_path, monkeypatch):
    (tmp_path / "lazy_probe.py").write_text(
        "import click\n@click.command()\ndef later():\n    '''Runs later.'''\n    click.echo('ran')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    group = _group()
    result = CliRunner().invoke(group, ["later"])
    assert (result.exit_code, result.output) == (0, "ran\n")
    assert "later" in group.commands  # imported once, kept


def test_an_added_command_wins_over_a_lazy_one_of_the_same_name():
    group = _group()

    @click.command("later")
    def plugin_later() -> None:
        """A plugin's own."""
        click.echo("plugin")

    group.add_command(plugin_later)
    result = CliRunner().invoke(group, ["later"])
    assert result.output == "plugin\n"
    assert "A plugin's own." in CliRunner().invoke(group, ["--help"]).output


def test_a_target_that_is_not_a_command_is_refused_by_name():
    with pytest.raises(TypeError, match=r"erpsync\.cli_lazy:LazyGroup is not a click command"):
        LazyCommand("erpsync.cli_lazy:LazyGroup", "").load()


def test_a_mistyped_command_is_told_the_lazy_one_it_resembles():
    result = CliRunner().invoke(cli, ["pickp"])
    assert result.exit_code == 2
    assert "Did you mean 'pickup'?" in result.output


def test_completing_a_command_name_imports_no_command(monkeypatch):
    from click.shell_completion import ShellComplete

    monkeypatch.setattr(LazyCommand, "load", lambda self: pytest.fail(f"imported {self.target}"))
    complete = ShellComplete(_group(), {}, "group", "_GROUP_COMPLETE")
    assert [(c.value, c.help) for c in complete.get_completions([], "la")] == [("later", "Runs later.")]


def test_every_listed_command_loads():
    """``erpsync`` lists its own commands and the lazy ones, and each one loads."""
    ctx = click.Context(cli)
    names = cli.list_commands(ctx)
    assert set(COMMANDS) <= set(names)
    assert {"reconcile", "check", "init"} <= set(names)
    for name in names:
        assert cli.get_command(ctx, name) is not None


def test_a_plugin_reaches_a_built_in_group_as_the_plugin_docs_say():
    """``docs/plugins.md``: ``cli.get_command(click.Context(cli), "pickup")`` loads the group."""
    group = cli.get_command(click.Context(cli), "pickup")
    assert isinstance(group, click.Group)

    @click.command("extra")
    def extra() -> None:
        click.echo("extra ran")

    group.add_command(extra)
    try:
        assert CliRunner().invoke(cli, ["pickup", "extra"]).output == "extra ran\n"
    finally:
        group.commands.pop("extra")
