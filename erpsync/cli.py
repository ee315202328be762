"""The ``erpsync`` command. The only place that turns an ErpsyncError into an exit code.

Exit codes follow Terraform's plan: 0 in sync, 2 drift found, 1 error, 64 usage error.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from erpsync.core.config import Settings
from erpsync.core.errors import ErpsyncError, UsageError
from erpsync.plugins.loading import BrokenPlugin
from erpsync.plugins.manager import (
    PluginManager,
    Registry,
    add_commands,
    build_registry,
    get_plugin_manager,
    load_settings,
)

EXIT_OK, EXIT_ERROR, EXIT_DRIFT, EXIT_USAGE = 0, 1, 2, 64
DEFAULT_CONFIG = "erpsync.toml"

err_console = Console(stderr=True)


class State:
    """What every command needs (``ctx.obj``, a ``CommandContext``): the invocation's one plugin
    manager, the registry and the configuration, each built once, when first needed."""

    def __init__(self, config: str = DEFAULT_CONFIG, pm: PluginManager | None = None) -> None:
        self.config = config
        self._pm = pm
        self._registry: Registry | None = None

    @property
    def pm(self) -> PluginManager:
        if self._pm is None:
            self._pm = get_plugin_manager()
        return self._pm

    @property
    def registry(self) -> Registry:
        """Raises PluginError if an installed plugin is broken: no command runs without one."""
        if self._registry is None:
            self._registry = build_registry(self.pm)
        return self._registry

    def settings(self) -> Settings:
        return load_settings(self.config, self.registry)

    @property
    def broken(self) -> list[BrokenPlugin]:
        """Installed plugins set aside so far (none if the manager was never built)."""
        return self._pm.broken if self._pm is not None else []


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
    if isinstance(ctx.obj, State):  # main() built it, with the plugin manager the commands came from
        ctx.obj.config = config
    else:
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

    Without --apply neither Seller Center nor the ERP is changed (like `terraform plan`); the
    state store still records the run, the drifts it saw (so alerts go out once per drift,
    not once per run) and when a seller address change was first seen (the pickup review
    clock starts there). Exit code: 0 in sync,
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
    """List the plugins, where each comes from and what it registers; name any that is broken.

    A connector's capabilities say what aspects can do with it (a connector that is no
    WarehouseWriter cannot have an address corrected). Exit code 1 if a plugin is broken.
    """
    from rich.table import Table

    from erpsync.plugins.inventory import capabilities

    pm = state.pm
    registry = build_registry(pm, allow_broken=True)
    table = Table(title="erpsync plugins")
    for col in ("plugin", "distribution", "registers", "name", "description"):
        table.add_column(col, no_wrap=col != "description")
    rows = sorted(registry.owners.items(), key=lambda kv: (kv[1], kv[0]))
    tables: dict[str, dict[str, Any]] = {
        "connector": registry.connectors,
        "aspect": registry.aspects,
        "alert sink": registry.alert_sinks,
    }
    for (kind, name), plugin in rows:
        item = tables[kind][name]
        label, description = kind, getattr(item, "description", "")
        if kind == "connector":
            label = f"connector ({item.role})"
            description = f"{description} [can: {', '.join(capabilities(item)) or 'nothing yet'}]".strip()
        table.add_row(plugin, str(pm.origins.get(plugin, "")), label, name, escape(description))
    owners = set(registry.owners.values())
    for name, plugin_obj in sorted(pm.list_name_plugin(), key=lambda kv: kv[0]):
        if name not in owners and plugin_obj is not None:
            hooks = ", ".join(sorted(h.name for h in pm.get_hookcallers(plugin_obj) or []))
            table.add_row(name, str(pm.origins.get(name, "")), "hooks", hooks, "")
    for broken in pm.broken:
        table.add_row(broken.name, str(broken.origin), "[red]broken[/red]", "-", escape(broken.reason))
    Console().print(table)
    for broken in pm.broken:
        err_console.print(f"[red]error[/red]: {escape(str(broken))}", highlight=False)
    return EXIT_ERROR if pm.broken else EXIT_OK


@cli.command()
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(min=1),
    default=None,
    metavar="DAYS",
    help="Remove what is older than DAYS (1 or more), in every table. Default: per table, below.",
)
@click.option("--dry-run", is_flag=True, help="Only count what would be removed.")
@click.pass_obj
def prune(state: State, days: int | None, dry_run: bool) -> int:
    """Delete old state: runs, settled ledger entries, resolved drifts, handled webhook ids.

    \b
    Defaults (without --older-than):
      runs, done or failed ledger entries, resolved drifts    90 days
      handled webhook ids, and kept bodies they cured         30 days

    Never removed: open drifts, pending ledger entries (a write that may have happened),
    ledger entries whose subject still has an open drift, a run that still holds a lease,
    leases, tokens, observations, and webhook bodies never handled. Webhook ids younger than
    a day always stay: the platform retries a delivery for about 16 hours.
    """
    from datetime import UTC, datetime, timedelta

    from erpsync.core.store import Retention, Store

    settings = state.settings()
    retention = Retention() if days is None else Retention.uniform(timedelta(days=days))
    with Store.open(settings.state_url) as store:
        removed = store.prune(retention, now=datetime.now(UTC), dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    for table, count in removed.items():
        click.echo(f"{table}: {verb} {count}")
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


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the CLI and exit with its code.

    The one plugin manager of the invocation is built here, before parsing, so that plugin
    commands (``erpsync auth`` among them) are known to ``--help``; the commands get it through
    ``ctx.obj``. A broken plugin never breaks ``--help``: it is reported by the commands that
    need plugins and by ``erpsync plugins``.
    """
    state = State()
    with contextlib.suppress(ErpsyncError):  # a broken built-in: raised again by the commands needing plugins
        add_commands(state.pm, cli)
    try:
        code = cli.main(args=argv, prog_name="erpsync", standalone_mode=False, obj=state)
    except click.exceptions.UsageError as exc:
        exc.show()
        if isinstance(exc, click.exceptions.NoSuchCommand) and state.broken:
            err_console.print("note: a plugin could not be loaded; `erpsync plugins` says which and why")
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
