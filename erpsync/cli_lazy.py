"""A click group that imports a command's module only when that command runs.

``erpsync --help`` lists every command, and an operator (or cron) pays at each start for every
module the CLI imports before it parses the command line. The command modules import the
report renderer, the models and their own helpers; importing all of them to print one screen of
help was half of ``erpsync --help``'s time. So the built-in commands outside ``cli.py`` are named
by where they live, with the summary ``--help`` (and shell completion of a command's name) shows
for them, and imported when the command line names them.

The summaries are copies: ``tests/unit/test_cli_lazy.py`` loads every command and checks that
its summary and hidden flag are the ones listed, so a changed docstring fails a test instead of
showing stale help. Commands added with ``add_command`` (the plugins') are ordinary click
commands and win over a lazy one of the same name, as a later ``add_command`` always did. A
command not loaded yet is not in ``commands``: ``get_command`` loads it.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

import click

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

__all__ = ["LazyCommand", "LazyGroup"]


class LazyCommand(NamedTuple):
    """Where a command lives (``module:attribute``) and the summary ``--help`` lists it with."""

    target: str
    #: the first paragraph of the command's help, which click shortens to the screen's width
    summary: str
    #: the summary is the command's ``short_help``, which click shows whole
    short_help: bool = False

    def stand_in(self, name: str) -> click.Command:
        """A command that only lists: its summary, shortened as click shortens the real one's."""
        if self.short_help:
            return click.Command(name, short_help=self.summary)
        return click.Command(name, help=self.summary)

    def load(self) -> click.Command:
        module, _, attribute = self.target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.target} is not a click command")
        return command


class LazyGroup(click.Group):
    """A group whose ``lazy`` commands are imported the first time they are looked up to run."""

    def __init__(self, *args: Any, lazy: Mapping[str, LazyCommand] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, LazyCommand] = dict(lazy or {})
        self._listing = False  # True while ``--help`` lists the commands: summaries suffice

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        if self._listing:
            return self.lazy[cmd_name].stand_in(cmd_name)
        command = self.lazy[cmd_name].load()
        self.commands[cmd_name] = command
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.NoSuchCommand as exc:
            # click suggests "Did you mean" from ``commands``, which holds only the ones loaded so far
            raise click.exceptions.NoSuchCommand(
                exc.command_name, possibilities=self.list_commands(ctx), ctx=ctx
            ) from None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Click's listing, with each command not yet imported shown by its summary."""
        with self._summaries():
            super().format_commands(ctx, formatter)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        """Completing a command's name shows summaries too; completing its arguments loads it."""
        with self._summaries():
            return super().shell_complete(ctx, incomplete)

    @contextmanager
    def _summaries(self) -> Iterator[None]:
        self._listing = True
        try:
            yield
        finally:
            self._listing = False
