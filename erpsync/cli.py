"""The ``erpsync`` command. The only place that turns an ErpsyncError into an exit code.

Exit codes follow Terraform's plan: 0 in sync, 2 drift found, 1 error, 64 usage error.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from erpsync.auth_commands import auth
from erpsync.core.config import Settings
from erpsync.core.errors import ErpsyncError, UsageError
from erpsync.plugins.manager import Registry, build_registry, get_plugin_manager, load_settings

EXIT_OK, EXIT_ERROR, EXIT_DRIFT, EXIT_USAGE = 0, 1, 2, 64
DEFAULT_CONFIG = "erpsync.toml"

err_console = Console(stderr=True)


class State:
    """What every command needs: the plugin manager and registry, built once, lazily."""

    def __init__(self, config: str) -> None:
        self.config = config
        self._pm = None
        self._registry: Registry | None = None

    @property
    def pm(self):
        if self._pm is None:
            self._pm = get_plugin_manager()
        return self._pm

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = build_registry(self.pm)
        return self._registry

    def settings(self) -> Settings:
        return load_settings(self.config, self.registry)


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else (logging.INFO if verbose == 1 else logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "-c", "--config", default=lambda: os.environ.get("ERPSYNC_CONFIG", DEFAULT_CONFIG), show_default=DEFAULT_CONFIG,
    metavar="FILE", help="Configuration file (or set ERPSYNC_CONFIG).",
)  # fmt: skip
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug). Secrets are never logged.")
@click.version_option(package_name="erpsync")
@click.pass_context
def cli(ctx: click.Context, config: str, verbose: int) -> None:
    """Keep TikTok Shop Seller Center and your ERP in agreement.

    erpsync compares each warehouse's address, contact, phone and first-mile handover mode
    (PICK UP / DROP OFF) between Seller Center and your ERP, reports the drift, and with
    --apply corrects the side your policy says is wrong.

    \b
    Start here:
      erpsync demo          watch the whole job against a local sandbox (no accounts needed)
      erpsync init          write an annotated erpsync.toml
      erpsync check         validate it and test every connection
      erpsync reconcile     show drift; add --apply to fix it
    """
    _setup_logging(verbose)
    ctx.obj = State(config)


@cli.command()
@click.option("--shop", "shops", multiple=True, metavar="NAME", help="Only this shop (repeatable). Default: all.")
@click.option(
    "--aspect",
    "aspects",
    multiple=True,
    metavar="NAME",
    help="Only this aspect (repeatable): warehouse_address, pickup.",
)
@click.option("--apply", is_flag=True, help="Make the planned corrections (each recorded in the ledger first).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--wait", type=float, default=0.0, metavar="SECONDS", help="Wait this long for a shop another run holds.")
@click.pass_obj
def reconcile(
    state: State, shops: tuple[str, ...], aspects: tuple[str, ...], apply: bool, fmt: str, wait: float
) -> int:
    """Compare Seller Center with the ERP and show every drift, side by side.

    Without --apply nothing is changed (like `terraform plan`). Exit code: 0 in sync,
    2 drift found (after --apply: drift that could not be fixed), 1 error, 64 usage error.
    Alert sinks receive each drift once when it opens and once when it resolves.
    """
    from erpsync import render
    from erpsync.sync import Syncer

    settings = state.settings()
    syncer = Syncer(settings, pm=state.pm, registry=state.registry)
    try:
        with err_console.status("reconciling…") as status:
            report = syncer.run(
                shops=shops or None, aspects=aspects or None, apply=apply, wait_seconds=wait,
                progress=lambda msg: status.update(msg),
            )  # fmt: skip
    finally:
        syncer.close()
    if fmt == "json":
        click.echo(render.dumps(report))
    else:
        render.render_table(report, Console())
    return report.exit_code


@cli.command()
@click.pass_obj
def check(state: State) -> int:
    """Validate the configuration and test each shop's connections."""
    from erpsync.sync import Syncer

    settings = state.settings()
    console = Console()
    console.print(
        f"[green]ok[/green] {escape(str(settings.path))}: {len(settings.shops)} shop(s), "
        f"state in {escape(_safe_url(settings.state_url))}",
        highlight=False,
    )
    syncer = Syncer(settings, pm=state.pm, registry=state.registry)
    try:
        rows = syncer.check_connections()
    finally:
        syncer.close()
    for shop, role, ok, message in rows:
        mark = "[green]ok[/green]" if ok else "[red]failed[/red]"
        console.print(f"{mark} {escape(shop)} {role}: {escape(message)}", highlight=False)
    return EXIT_OK if all(ok for *_, ok, _ in rows) else EXIT_ERROR


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@cli.command()
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.pass_obj
def init(state: State, force: bool) -> int:
    """Write an annotated starter configuration to the config path (./erpsync.toml)."""
    from erpsync.starter import STARTER_CONFIG

    path = Path(state.config)
    if path.exists() and not force:
        raise UsageError(f"{path} exists; pass --force to overwrite it")
    path.write_text(STARTER_CONFIG, encoding="utf-8")
    click.echo(f"wrote {path}: fill in the values marked ${{...}}, then run `erpsync check`")
    return EXIT_OK


@cli.command()
@click.pass_obj
def plugins(state: State) -> int:
    """List loaded plugins and what each registers."""
    from rich.table import Table

    registry = state.registry
    table = Table(title="erpsync plugins")
    for col in ("plugin", "registers", "name", "description"):
        table.add_column(col)
    rows = sorted(registry.owners.items(), key=lambda kv: (kv[1], kv[0]))
    tables = {"connector": registry.connectors, "aspect": registry.aspects, "alert sink": registry.alert_sinks}
    for (kind, name), plugin in rows:
        item = tables[kind][name]
        label = f"{kind} ({item.role})" if kind == "connector" else kind
        table.add_row(plugin, label, name, getattr(item, "description", ""))
    hook_only = sorted(
        name for name, plugin in state.pm.list_name_plugin()
        if name not in {p for p in registry.owners.values()}
    )  # fmt: skip
    for name in hook_only:
        hooks = ", ".join(sorted(h.name for h in state.pm.get_hookcallers(state.pm.get_plugin(name)) or []))
        table.add_row(name, "hooks", hooks, "")
    Console().print(table)
    return EXIT_OK


@cli.group()
def sandbox() -> None:
    """A local TikTok Shop seller backend for demos and tests (never the real one)."""


@sandbox.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=int)
@click.option("--scenario", type=click.Path(dir_okay=False), help="Scenario JSON. Default: the demo scenario.")
def sandbox_serve(host: str, port: int, scenario: str | None) -> int:
    """Serve the sandbox until Ctrl-C. Its admin API lives under /_sandbox/."""
    from erpsync.sandbox.server import serve

    serve(host, port, scenario or "demo")
    return EXIT_OK


@cli.command()
@click.option(
    "--dir",
    "directory",
    default="erpsync-demo",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Workspace for the demo's config, ERP files and state (recreated each time).",
)
def demo(directory: str) -> int:
    """Watch the whole job: sandbox seller backend, a files ERP with drift, plan, apply, in sync."""
    from erpsync.demo import run_demo

    return run_demo(Path(directory), Console())


cli.add_command(auth)


def _add_plugin_commands() -> None:
    try:
        get_plugin_manager().hook.register_commands(cli=cli)
    except ErpsyncError as exc:  # a broken plugin must not take --help down with it
        err_console.print(f"[yellow]warning[/yellow] plugin commands not loaded: {exc}")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the CLI and exit with its code."""
    _add_plugin_commands()
    try:
        code = cli.main(args=argv, prog_name="erpsync", standalone_mode=False)
    except click.exceptions.UsageError as exc:
        exc.show()
        sys.exit(EXIT_USAGE)
    except click.exceptions.Abort:
        err_console.print("aborted")
        sys.exit(EXIT_ERROR)
    except UsageError as exc:
        err_console.print(f"[red]error[/red]: {escape(str(exc))}", highlight=False)
        sys.exit(EXIT_USAGE)
    except ErpsyncError as exc:
        err_console.print(f"[red]error[/red]: {escape(str(exc))}", highlight=False)
        sys.exit(EXIT_ERROR)
    sys.exit(code if isinstance(code, int) else EXIT_OK)
