"""Housekeeping commands: ``plugins``, ``prune``, ``unlock``, ``sandbox serve`` and ``demo``.

Registered on the ``erpsync`` group by ``erpsync.cli``; each takes the invocation's plugins and
configuration as ``ctx.obj`` (a ``CommandContext``), never by importing the CLI module.
"""

from __future__ import annotations

from pathlib import Path

import click

from erpsync import render
from erpsync.cli_common import EXIT_ERROR, EXIT_OK, known_shop, lang_option
from erpsync.core.errors import ErpsyncError
from erpsync.plugins.context import CommandContext
from erpsync.plugins.manager import build_registry
from erpsync.render import escape

__all__ = ["demo", "plugins", "prune", "sandbox", "unlock"]


@click.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def plugins(state: CommandContext, fmt: str) -> int:
    """List the plugins, where each comes from and what it registers; name any that is broken.

    Per connector: its role and capabilities, which say what aspects can do with it (an ERP
    without "addresses" cannot have an address corrected). Plugins that the environment
    (ERPSYNC_BLOCK_PLUGINS) or the config ([plugins] blocked) blocks are listed as blocked.
    Exit code 1 if a plugin is broken.
    """
    import json

    from erpsync.plugins.inventory import listing
    from erpsync.plugins.loading import block, configured_blocked

    pm = state.pm
    block(pm, configured_blocked(state.config))
    rows = listing(pm, build_registry(pm, allow_broken=True))
    err_console = render.make_console(stderr=True)
    for broken in pm.broken:
        err_console.print(f"[red]error[/red]: {escape(str(broken))}", highlight=False)
    if fmt == "json":
        click.echo(json.dumps({"plugins": rows}, ensure_ascii=False, indent=2))
        return EXIT_ERROR if pm.broken else EXIT_OK
    from rich.table import Table

    table = Table(title="erpsync plugins")
    for col in ("plugin", "distribution", "registers", "name", "capabilities", "description"):
        table.add_column(col, no_wrap=col not in ("description", "capabilities"))
    for row in rows:
        registers = row["registers"]
        if row["status"] != "loaded":
            registers = "[red]broken[/red]" if row["status"] == "broken" else "blocked"
        elif row["role"]:
            registers = f"{registers} ({row['role']})"
        capabilities = ", ".join(row["capabilities"]) if row["capabilities"] is not None else ""
        description = row["error"] if row["status"] == "broken" else row["description"]
        origin = f"{row['distribution']} {row['version']}".strip()
        cells = (row["plugin"], origin, row["name"] or "-", capabilities, description)
        table.add_row(*(escape(c) for c in cells[:2]), registers, *(escape(c) for c in cells[2:]))
    render.make_console().print(table)
    return EXIT_ERROR if pm.broken else EXIT_OK


@click.command()
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
def prune(state: CommandContext, days: int | None, dry_run: bool) -> int:
    """Delete old state: runs, settled ledger entries, resolved drifts, handled webhook ids and
    kept webhook bodies, expired pickup confirmations, sent alerts, stale sync requests and
    tracked packages.

    \b
    Defaults (without --older-than):
      runs, done or failed ledger entries, resolved drifts    90 days
      pickup confirmations, counted from their expiry         90 days
      handled webhook ids, and kept bodies they cured         30 days (at least the replay window)
      webhook bodies kept and never handled, counted from
        their last delivery                                   30 days
      alerts delivered, failed for good or expired            30 days
      sync requests, pending or taken, counted from the ask    7 days
      tracked packages, counted from when a run last wanted   30 days (at least 7)

    Never removed: open drifts, pending ledger entries (a write that may have happened),
    ledger entries whose subject still has an open drift, a run that still holds a lease,
    leases, tokens, observations, pickup confirmations still valid and alerts still pending.
    Handled webhook ids stay for at least a day (the platform retries a delivery for about 16
    hours) and at least the replay window: [service.webhooks] timestamp_window_seconds plus the
    300 s allowed ahead of the clock (24 h 05 min by default), while a replayed body would still
    be accepted. `erpsync webhooks kept` lists the kept bodies.
    """
    from datetime import UTC, datetime, timedelta

    from erpsync.connectors.tiktok.webhooks.receiver import FUTURE_SKEW_SECONDS
    from erpsync.core.store import Retention, Store

    settings = state.settings()
    retention = Retention() if days is None else Retention.uniform(timedelta(days=days))
    # how long the receiver still accepts a delivered body, as its own hourly prune keeps ids
    replay_window = timedelta(seconds=settings.service.webhooks.timestamp_window_seconds + FUTURE_SKEW_SECONDS)
    with Store.open(settings.state_url) as store:
        removed = store.prune(retention, now=datetime.now(UTC), dry_run=dry_run, replay_window=replay_window)
    verb = "would remove" if dry_run else "removed"
    for table, count in removed.items():
        click.echo(f"{table}: {verb} {count}")
    return EXIT_OK


@click.command()
@click.option("--shop", required=True, metavar="NAME", help="The shop whose lease to release.")
@click.option("--force", is_flag=True, help="Release it even if the run holding it may still be working.")
@click.pass_obj
def unlock(state: CommandContext, shop: str, force: bool) -> int:
    """Release a shop's lease that a killed run left behind.

    A run killed on this host frees its shops by itself (the next run sees its process is gone),
    and any lease ends a minute after its run stops renewing it. This is for the rest: a run
    killed on another host. It refuses while the holder may still be running unless --force.
    """
    from datetime import UTC, datetime

    from erpsync.core.run_guard import unlock_shop
    from erpsync.core.store import Store
    from erpsync.core.store.leases import this_host

    settings = state.settings()
    known_shop(settings, shop)
    with Store.open(settings.state_url) as store:
        done, message = unlock_shop(store, shop, force=force, now=datetime.now(UTC), here=this_host())
    if not done:
        raise ErpsyncError(message)
    click.echo(message)
    return EXIT_OK


@click.group()
def sandbox() -> None:
    """A local TikTok Shop seller backend for demos and tests (never the real one)."""


@sandbox.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=int)
@click.option("--scenario", type=click.Path(dir_okay=False), help="Scenario JSON. Default: the demo scenario.")
def sandbox_serve(host: str, port: int, scenario: str | None) -> int:
    """Serve the sandbox until Ctrl-C. Its admin API lives under /_sandbox/."""
    from erpsync.sandbox.scenario_values import ScenarioError
    from erpsync.sandbox.server import serve

    try:
        serve(host, port, scenario or "demo")
    except ScenarioError as exc:
        raise ErpsyncError(f"--scenario {exc}") from None
    except OSError as exc:  # the port is taken, or the address is not this host's
        raise ErpsyncError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
    return EXIT_OK


@click.command()
@click.option(
    "--dir",
    "directory",
    default="erpsync-demo",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Workspace for the demo's config, ERP files and state (recreated each time).",
)
@click.option(
    "--erp",
    type=click.Choice(["files", "tryton"]),
    default="files",
    show_default=True,
    help="The demo's ERP: CSV files, or a local Tryton server (needs pip install 'erpsync[tryton]').",
)
@lang_option("the demo's reports")
def demo(directory: str, erp: str, lang: str | None) -> int:
    """Watch the whole job: sandbox seller backend, an ERP with drift, plan, apply, in sync, pushes."""
    try:
        if erp == "tryton":
            from erpsync.demo_tryton import run_tryton_demo

            return run_tryton_demo(Path(directory), render.make_console(), lang or "en")
        from erpsync.demo import run_demo

        return run_demo(Path(directory), render.make_console(), lang or "en")
    except OSError as exc:
        where = exc.filename or directory
        raise ErpsyncError(
            f"cannot write the demo workspace {where}: {exc.strerror or exc}; pass a writable folder with --dir"
        ) from None
