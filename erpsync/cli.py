"""The ``erpsync`` command. The only place that turns an ErpsyncError into an exit code.

Exit codes follow Terraform's plan: 0 in sync, 2 drift found, 1 error, 64 usage error.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from erpsync.cli_common import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    chosen_lang,
    lang_option,
    output_folder_exists,
    wait_option,
)
from erpsync.cli_lazy import LazyCommand, LazyGroup
from erpsync.core.errors import ErpsyncError, UsageError
from erpsync.logs import FORMAT_ENV, FORMATS, setup_logging
from erpsync.plugins.loading import BrokenPlugin
from erpsync.plugins.manager import (
    PluginManager,
    Registry,
    add_commands,
    build_registry,
    finish_loading,
    get_plugin_manager,
    load_settings,
)
from erpsync.report_output import FORMATS as REPORT_FORMATS
from erpsync.report_output import show_report

if TYPE_CHECKING:
    from rich.console import Console

    from erpsync.core.config import Settings

DEFAULT_CONFIG = "erpsync.toml"

#: the commands kept in modules of their own, imported when the command line names them
#: (``cli_lazy.py``); each summary is checked against its command by ``tests/unit/test_cli_lazy.py``
COMMANDS = {
    "alerts": LazyCommand(
        "erpsync.cli_alerts:alerts", "Try an alert channel, and see the alerts waiting in the outbox."
    ),
    "beat": LazyCommand(
        "erpsync.cli_worker:beat",
        "Send the sync tasks of [service.intervals] to the Celery broker, on schedule, until stopped.",
    ),
    "bindings": LazyCommand(
        "erpsync.cli_bindings:bindings",
        "Show (or forget) the warehouse matches and listing bindings erpsync keeps, per shop.",
    ),
    "demo": LazyCommand(
        "erpsync.cli_admin:demo",
        "Watch the whole job: sandbox seller backend, an ERP with drift, plan, apply, in sync, pushes.",
    ),
    "drifts": LazyCommand(
        "erpsync.cli_drifts:drifts", "List the drifts open now, oldest first, times in Beijing time."
    ),
    "pickup": LazyCommand(
        "erpsync.cli_pickup:pickup",
        "Record what Seller Center shows for a warehouse's pickup subscription (揽收订阅).",
    ),
    "plugin": LazyCommand("erpsync.cli_plugin:plugin", "Write erpsync plugins: `erpsync plugin new NAME` starts one."),
    "plugins": LazyCommand(
        "erpsync.cli_admin:plugins",
        "List the plugins, where each comes from and what it registers; name any that is broken.",
    ),
    "prune": LazyCommand(
        "erpsync.cli_admin:prune",
        "Delete old state: runs, settled ledger entries, resolved drifts, handled webhook ids and kept webhook "
        "bodies, expired pickup confirmations, sent alerts, stale sync requests and tracked packages.",
    ),
    "push": LazyCommand(
        "erpsync.cli_push:push",
        "Push one aspect's changes from the ERP: `erpsync push listings` or `erpsync push tracking`.",
    ),
    "run": LazyCommand(
        "erpsync.cli_run:run", "Run every shop's aspects on their intervals (the embedded scheduler).", short_help=True
    ),
    "sandbox": LazyCommand(
        "erpsync.cli_admin:sandbox", "A local TikTok Shop seller backend for demos and tests (never the real one)."
    ),
    "secrets": LazyCommand(
        "erpsync.cli_secrets:secrets",
        "Encrypt the shops' tokens at rest, rotate the key, see which key opens them.",
    ),
    "ui": LazyCommand(
        "erpsync.cli_ui:ui", "Serve the status page over the state store (no scheduler).", short_help=True
    ),
    "unlock": LazyCommand("erpsync.cli_admin:unlock", "Release a shop's lease that a killed run left behind."),
    "webhooks": LazyCommand(
        "erpsync.cli_webhooks:webhooks",
        "Receive TikTok Shop webhooks and act on them (targeted syncs, alerts, pauses).",
    ),
    "worker": LazyCommand(
        "erpsync.cli_worker:worker", "Run sync tasks from the Celery broker of [service.celery] until stopped."
    ),
}


class State:
    """What every command needs (``ctx.obj``, a ``CommandContext``): the invocation's one plugin
    manager, the registry and the configuration, each built once, when first needed."""

    def __init__(self, config: str = DEFAULT_CONFIG, pm: PluginManager | None = None) -> None:
        self.config = config
        self._pm = pm
        self.json_errors = False  # `--format json`: an error that stops the command is printed as JSON
        self._registry: Registry | None = None

    @property
    def pm(self) -> PluginManager:
        """Every plugin registered: raises PluginError for a broken built-in."""
        pm = self.command_plugins()
        finish_loading(pm, config=self.config)
        return pm

    def command_plugins(self) -> PluginManager:
        """The manager with what adds commands registered, the rest left for ``pm``.

        The same manager ``pm`` completes: ``--help`` needs the plugins' commands, not the
        built-ins' imports of SQLAlchemy, requests and marshmallow schemas.
        """
        if self._pm is None:
            self._pm = get_plugin_manager(commands_only=True)
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


def _setup_logging(verbose: int, log_format: str = "text") -> None:
    """Log lines to stderr, as text or JSON (``erpsync/logs.py``), each saying its run, shop and aspect."""
    setup_logging(verbose, "json" if log_format == "json" else "text")


@click.group(
    cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.option(
    "-c", "--config", default=lambda: os.environ.get("ERPSYNC_CONFIG", DEFAULT_CONFIG), show_default=DEFAULT_CONFIG,
    metavar="FILE", help="Configuration file (or set ERPSYNC_CONFIG).",
)  # fmt: skip
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug). Secrets are never logged.")
@click.option(
    "--log-format", type=click.Choice(FORMATS), default="text", envvar=FORMAT_ENV, show_default=True,
    show_envvar=True, help="Log lines as text, or one JSON object a line (run_id, shop, aspect as fields).",
)  # fmt: skip
@click.version_option(package_name="erpsync")
@click.pass_context
def cli(ctx: click.Context, config: str, verbose: int, log_format: str) -> None:
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
      erpsync pickup        record what Seller Center shows when erpsync cannot tell
    """
    _setup_logging(verbose, log_format)
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
    help="Only this aspect (repeatable): warehouse_address, pickup, listings, tracking, order_status, ship_by "
    "(and any a plugin adds; `erpsync plugins` lists them). Default: the shop's aspects.",
)
@click.option("--apply", is_flag=True, help="Make the planned corrections (each recorded in the ledger first).")
@click.option(
    "--format", "fmt", type=click.Choice(REPORT_FORMATS), default="table", show_default=True,
    help="html: one self-contained page (inline CSS, no external assets), e.g. for an email.",
)  # fmt: skip
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None,
    callback=output_folder_exists, metavar="FILE",
    help="Write the report to FILE instead of stdout (replaced whole, never half-written).",
)  # fmt: skip
@wait_option("Wait this long for a shop another run holds.")
@lang_option("the table and the HTML report (JSON carries both languages)")
@click.pass_obj
def reconcile(
    state: State,
    shops: tuple[str, ...],
    aspects: tuple[str, ...],
    apply: bool,
    fmt: str,
    output: Path | None,
    wait: float,
    lang: str | None,
) -> int:
    """Compare Seller Center with the ERP and show every drift, side by side.

    Without --apply neither Seller Center nor the ERP is changed (like `terraform plan`); the
    state store still records the run, the drifts it saw (so alerts go out once per drift,
    not once per run) and when a seller address change was first seen (the pickup review
    clock starts there). Each drift says what was seen and why, with the steps to take in
    Seller Center where only Seller Center can fix it.

    A warehouse whose pickup status no evidence settles is reported as unconfirmed: a drift,
    never "in sync"; `erpsync pickup confirm` records what Seller Center shows for it.

    Exit code: 0 in sync, 2 drift found or a warehouse unconfirmed (after --apply: drift that
    could not be fixed), 1 error, 64 usage error, 143 / 130 stopped by SIGTERM / SIGINT (after
    finishing and recording the write in hand). Alert sinks receive each drift once when it
    opens and once when it resolves.
    """
    from erpsync import render
    from erpsync.sync import Syncer

    state.json_errors = fmt == "json"
    settings = state.settings()
    syncer = Syncer(settings, pm=state.pm, registry=state.registry)
    try:
        with render.progress(_err_console()) as say:
            report = syncer.run(
                shops=shops or None,
                aspects=aspects or None,
                apply=apply,
                wait_seconds=wait,
                progress=say,
                handle_signals=True,
            )
    finally:
        syncer.close()
    show_report(report, fmt, output, chosen_lang(lang, settings))
    return report.exit_code


@cli.command()
@click.pass_obj
def check(state: State) -> int:
    """Validate the configuration and test each shop's connections."""
    from datetime import UTC, datetime

    from erpsync import render
    from erpsync.core.store.clock import clock_note
    from erpsync.render import escape
    from erpsync.sync import Syncer

    settings = state.settings()
    console = render.make_console()
    syncer = Syncer(settings, pm=state.pm, registry=state.registry)  # opens the state store: "ok" means it works
    console.print(
        f"[green]ok[/green] {escape(str(settings.path))}: {len(settings.shops)} shop(s), "
        f"state in {escape(_safe_url(settings.state_url))}",
        highlight=False,
    )
    try:
        notes = [syncer.store.tokens.encryption().note(), clock_note(syncer.store.clock_offset(datetime.now(UTC)))]
        rows = syncer.check_connections()
    finally:
        syncer.close()
    for note in filter(None, notes):
        console.print(f"[yellow]note[/yellow] {escape(note)}", highlight=False)
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
    try:
        path.write_text(STARTER_CONFIG, encoding="utf-8")
    except OSError as exc:
        raise ErpsyncError(f"cannot write {path}: {exc.strerror or exc}; pass a writable path with -c FILE") from None
    click.echo(f"wrote {path}: fill in the values marked ${{...}}, then run `erpsync check`")
    return EXIT_OK


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the CLI and exit with its code.

    The one plugin manager of the invocation is built here, before parsing, so that plugin
    commands (``erpsync auth`` among them) are known to ``--help``; the commands get it through
    ``ctx.obj``. Before parsing it holds only the installed plugins and the built-ins that add
    commands; the other built-ins join it when a command first asks for it (``State.pm``), so
    ``--help`` never imports the state store, the HTTP clients or the schemas. A broken plugin
    never breaks ``--help``: it is reported by the commands that need plugins and by
    ``erpsync plugins``.
    """
    _tolerate_console_encoding()
    state = State()
    with contextlib.suppress(ErpsyncError):  # a broken built-in: raised again by the commands needing plugins
        add_commands(state.command_plugins(), cli)
    args = sys.argv[1:] if argv is None else argv
    try:
        code = cli.main(args=argv, prog_name="erpsync", standalone_mode=False, obj=state)
    except click.exceptions.UsageError as exc:
        if state.json_errors or _asks_json(args):
            _fail(state, exc.format_message(), EXIT_USAGE, args)
        exc.show()
        if isinstance(exc, click.exceptions.NoSuchCommand) and state.broken:
            _err_console().print("note: a plugin could not be loaded; `erpsync plugins` says which and why")
        sys.exit(EXIT_USAGE)
    except click.exceptions.Abort as exc:
        # Ctrl-C before a run's own handler is in place (start-up, a prompt): 130, as during a run
        if isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt):
            _fail(state, "interrupted (SIGINT) before any work", 128 + int(signal.SIGINT), args)
        _fail(state, "aborted", EXIT_ERROR, args)
    except UsageError as exc:
        _fail(state, str(exc), EXIT_USAGE, args)
    except ErpsyncError as exc:
        _fail(state, str(exc), EXIT_ERROR, args)
    sys.exit(code if isinstance(code, int) else EXIT_OK)


def _tolerate_console_encoding() -> None:
    """Let a console that cannot show a character print a stand-in instead of crashing.

    Output carries Chinese addresses and symbols (``↔``); a GBK console (Windows in a Chinese locale,
    or ``PYTHONIOENCODING=gbk``) cannot encode some of them, and Python's default ``strict`` errors
    would end the run with a traceback after its work was done. ``?`` loses one glyph, not the run.
    """
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if encoding not in ("utf8", "utf8sig") and isinstance(stream, io.TextIOWrapper):
            with contextlib.suppress(ValueError, OSError):  # a stream that cannot change: left as it is
                stream.reconfigure(errors="replace")


def _err_console() -> Console:
    """Where errors and progress go: wraps on a terminal only, so cron mail gets whole lines."""
    from erpsync import render

    return render.make_console(stderr=True)


def _asks_json(args: list[str]) -> bool:
    """``--format json`` on a command line click could not parse (the option may be fine)."""
    return "--format=json" in args or any(a == "--format" and b == "json" for a, b in itertools.pairwise(args))


def _fail(state: State, message: str, code: int, args: list[str]) -> None:
    """Print an error that stopped the command, once: JSON on stdout under ``--format json``
    (a script reads one document, whatever happened), else one ``error:`` line on stderr."""
    from erpsync import render

    if state.json_errors or _asks_json(args):
        click.echo(render.error_json(message, code))
    else:
        _err_console().print(f"[red]error[/red]: {render.escape(message)}", highlight=False)
    sys.exit(code)
