"""``erpsync plugin new NAME``: start an ERP plugin from a package that works as generated.

Registered on the ``erpsync`` group by ``erpsync.cli``. The scaffold and the plugin manager are
imported inside the command, so ``erpsync --help`` loads neither.
"""

from __future__ import annotations

from pathlib import Path

import click

from erpsync.cli_common import EXIT_OK
from erpsync.plugins.context import CommandContext

__all__ = ["plugin"]


@click.group()
def plugin() -> None:
    """Write erpsync plugins: `erpsync plugin new NAME` starts one."""


@plugin.command()
@click.argument("name")
@click.option(
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    metavar="DIR",
    help="Where to write it (new or empty). Default: ./erpsync-NAME.",
)
@click.pass_obj
def new(state: CommandContext, name: str, directory: Path | None) -> int:
    """Scaffold an installable ERP plugin called NAME (e.g. acme: distribution erpsync-acme).

    \b
    It writes:
      pyproject.toml             the distribution, its `erpsync` entry point and test extra
      src/erpsync_NAME/          a connector for an ERP with an HTTP JSON API, built on
                                 erpsync.sdk.HttpErpConnector, registered by the entry point
      tests/                     the connector contract suite and a plan -> apply -> plan run
                                 against the sandbox, both against a fake of the ERP's API
      erpsync.toml               the local sandbox as Seller Center, the new connector as ERP
      README.md                  what to edit: the API paths, the field mapping, the options

    NAME is the connector type configurations use: lower-case letters and digits, words joined
    by '-' or '_', a letter first, not a type another plugin registers. The tests pass as
    generated: `pip install -e DIR[test]`, then `pytest` in DIR.
    """
    from erpsync.plugins.manager import build_registry
    from erpsync.scaffold import Names, check_name, write_plugin

    check_name(name)  # a bad name is refused before the plugins are loaded to find the taken ones
    taken = build_registry(state.pm, allow_broken=True).connectors
    target = directory if directory is not None else Path(Names.of(name).dist)
    written = write_plugin(name, target, taken=taken)
    click.echo(f"wrote {len(written)} files in {target}:")
    for path in written:
        click.echo(f"  {path.relative_to(target).as_posix()}")
    names = Names.of(name)
    click.echo(
        f"next: pip install -e '{target}[test]', run pytest in {target}, then edit "
        f"src/{names.package}/connector.py for your ERP's API (README.md says what to change)"
    )
    return EXIT_OK
