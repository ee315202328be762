"""``erpsync ui``: the status page on its own, for a one-off look over the configured state store.

``erpsync run`` serves the same page beside ``/healthz`` and ``/metrics``; this command is for a
machine where no service runs (a cron ``erpsync run --once``, or plain ``reconcile`` runs). Its
"run now" and "retry" actions write sync requests, which only a running ``erpsync run`` carries
out.
"""

from __future__ import annotations

import click

from erpsync.cli_common import EXIT_OK, checked_listen, serve_until_stopped
from erpsync.plugins.context import CommandContext

__all__ = ["ui"]


@click.command(short_help="Serve the status page over the state store (no scheduler).")
@click.option(
    "--listen",
    metavar="HOST:PORT",
    default="127.0.0.1:8765",
    show_default=True,
    callback=checked_listen,
    help="Where to listen. Port 0 picks a free one.",
)
@click.pass_obj
def ui(state: CommandContext, listen: str) -> int:
    """Serve the status page on HOST:PORT until SIGTERM or Ctrl-C.

    Every shop's state, open drifts, pushes and runs; acknowledging a drift, retrying a failed
    push, running a shop now and releasing a dead lease after logging in with [service.ui] token
    (without one the page is read-only). See docs/status-page.md.
    """

    from erpsync.core.store import Store
    from erpsync.service.listen import serve_on
    from erpsync.ui.app import status_app

    settings = state.settings()
    with Store.open(settings.state_url) as store:
        app = status_app(store, settings, list(state.registry.aspects))
        server = serve_on(app, listen, threads=4)
        click.echo(
            f"erpsync ui: listening on http://{server.effective_host}:{server.effective_port}/ "
            "(SIGTERM or Ctrl-C stops)",
            err=True,
        )
        serve_until_stopped(server)
    click.echo("erpsync ui: stopped", err=True)
    return EXIT_OK
