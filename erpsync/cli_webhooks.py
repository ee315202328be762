"""``erpsync webhooks``: receive TikTok Shop webhooks, and resume a shop a deauthorisation paused.

``serve`` runs the receiver on waitress until SIGTERM or Ctrl-C; ``paused`` lists the shops whose
jobs are stopped and why; ``resume`` starts them again. Resume lives here because the pause comes
from a webhook (seller deauthorisation): the operator who reads that alert re-authorises the shop
and resumes it in the same place. ``kept`` lists the bodies the receiver kept without handling
them, shows one, or deletes them: each is a raw body with buyer data, so the table shows only
what and why, and a body is printed only when asked for by id.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from erpsync import render
from erpsync.cli_common import EXIT_ERROR, EXIT_OK, checked_listen, known_shop, serve_until_stopped
from erpsync.core.ports import KeptNotification
from erpsync.core.timefmt import beijing_time
from erpsync.plugins.context import CommandContext
from erpsync.render import escape

__all__ = ["webhooks"]


@click.group()
def webhooks() -> None:
    """Receive TikTok Shop webhooks and act on them (targeted syncs, alerts, pauses)."""


@webhooks.command(short_help="Run the webhook receiver (a production WSGI server).")
@click.option(
    "--listen",
    metavar="HOST:PORT",
    default=None,
    callback=checked_listen,
    help="Where to listen; default [service.webhooks] listen (0.0.0.0:8080). Port 0 picks a free one.",
)
@click.pass_obj
def serve(state: CommandContext, listen: str | None) -> int:
    """Receive TikTok Shop webhooks on HOST:PORT (any path) until SIGTERM or Ctrl-C.

    Each delivery is checked (signature over the raw body with [service.webhooks] app_key and
    app_secret, timestamp within timestamp_window_seconds, body at most max_body_bytes),
    claimed in the state store so a notification is handled once, and answered within the
    platform's 3 s. What it does:

    \b
    - order status / package update / cancellation: a sync of that shop's tracking and order_status
    - product audit failure: a sync of that shop's listings (its drift and alert)
    - seller deauthorisation: an alert, and the shop's jobs paused (`erpsync webhooks resume SHOP`)
    - authorisation expiring: an alert

    Syncs are requested through `erpsync run` (trigger = "scheduler") or the Celery queue
    (trigger = "celery"); this command runs no sync itself. A notification for a shop_id no
    configured shop carries is kept for inspection, never dropped. Register the URL in Partner
    Center (its webhook settings) as http(s)://THIS-HOST:PORT/ behind your TLS proxy.
    """
    from erpsync.service.jobs import JobContext
    from erpsync.service.webhook_server import WebhookServer

    ctx = JobContext.open(state.config, pm=state.pm)
    try:
        server = WebhookServer(ctx, listen=listen)
        host, port = server.address
        click.echo(f"erpsync webhooks: listening on http://{host}:{port}/ (SIGTERM or Ctrl-C stops)", err=True)
        serve_until_stopped(server)  # the deliveries in hand finish first
    finally:
        ctx.close()
    click.echo("erpsync webhooks: stopped", err=True)
    return EXIT_OK


@webhooks.command(short_help="List the shops whose jobs are paused.")
@click.pass_obj
def paused(state: CommandContext) -> int:
    """List the paused shops (a seller deauthorisation pauses one), with why and since when."""
    from erpsync.core.store import Store

    settings = state.settings()
    with Store.open(settings.state_url) as store:
        rows = store.shop_pauses.all()
    console = render.make_console()
    if not rows:
        console.print("no shop is paused", highlight=False)
    for row in rows:
        console.print(escape(f"{row.shop}: paused {beijing_time(row.paused_at, 'en')}: {row.reason}"), highlight=False)
    return EXIT_OK


@webhooks.command(short_help="Resume a paused shop's jobs.")
@click.argument("shop")
@click.pass_obj
def resume(state: CommandContext, shop: str) -> int:
    """Let the scheduler and the workers run SHOP's jobs again.

    A shop is paused when its seller removed erpsync's authorisation: re-authorise it first
    (`erpsync auth url --shop SHOP`, then `erpsync auth exchange CODE --shop SHOP`), or every
    job fails again. Exit code 1 when SHOP was not paused.
    """
    from erpsync.core.store import Store

    settings = state.settings()
    with Store.open(settings.state_url) as store:
        was_paused = store.shop_pauses.resume(shop)
    if not was_paused:
        known_shop(settings, shop)  # a typo is a usage error; a shop gone from the config may still resume
    now = beijing_time(datetime.now(UTC), "en")
    click.echo(f"{shop}: resumed at {now}" if was_paused else f"{shop} was not paused")
    return EXIT_OK if was_paused else EXIT_ERROR


@webhooks.command(short_help="List, show or delete the webhook bodies kept without handling.")
@click.option("--all", "include_handled", is_flag=True, help="Also those a later delivery handled.")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True, help="The most recent N.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--body", "body_id", type=int, default=None, metavar="ID", help="Print kept body ID as received.")
@click.option("--delete", "delete_ids", type=int, multiple=True, metavar="ID", help="Delete kept body ID (repeatable).")
@click.pass_obj
def kept(
    state: CommandContext, include_handled: bool, limit: int, fmt: str, body_id: int | None, delete_ids: tuple[int, ...]
) -> int:
    """List the webhook bodies the receiver answered 200 without handling, most recent first:
    not JSON or not the documented shape, a type erpsync does not parse, a shop_id no configured
    shop carries, or a handler that failed (until a later delivery of it is handled). Times in
    Beijing time.

    Each holds the raw body, buyer data included: the list shows only its size and why it was
    kept; --body ID prints one as received, --delete ID deletes it once read. `erpsync prune`
    deletes those never handled 30 days after their last delivery (--older-than DAYS: after DAYS).
    Exit code 1 when an ID is not kept.
    """
    from erpsync.core.store import Store

    settings = state.settings()
    with Store.open(settings.state_url) as store:
        if delete_ids:
            deleted = store.notifications.delete_kept(delete_ids)
            click.echo(f"deleted {deleted} of {len(set(delete_ids))} kept webhook body(ies)")
            return EXIT_OK if deleted == len(set(delete_ids)) else EXIT_ERROR
        if body_id is not None:
            one = store.notifications.get_kept(body_id)
            if one is None:
                click.echo(f"no kept webhook body {body_id}", err=True)
                return EXIT_ERROR
            click.echo(one.raw_body, nl=False)  # bytes: written as they are
            return EXIT_OK
        rows = store.notifications.list_kept(include_handled=include_handled, limit=limit)
    if fmt == "json":
        click.echo(
            json.dumps({"count": len(rows), "kept": [_kept_json(r) for r in rows]}, ensure_ascii=False, indent=2)
        )
        return EXIT_OK
    console = render.make_console()
    if not rows:
        console.print("no webhook body is kept", highlight=False)
        return EXIT_OK
    from rich.table import Table

    table = Table()
    for col in ("id", "last delivery", "deliveries", "bytes", "key", "why kept"):
        table.add_column(col, overflow="fold", no_wrap=col in ("id", "deliveries", "bytes"))
    for row in rows:
        why = f"{row.reason} (handled since)" if row.handled else row.reason
        cells = (str(row.id), beijing_time(row.last_seen_at, "en"), str(row.deliveries), str(len(row.raw_body)))
        table.add_row(*cells, escape(row.key or "-"), escape(why))
    console.print(table)
    if len(rows) == limit:
        console.print(f"the {limit} most recent; --limit shows more", highlight=False)
    return EXIT_OK


def _kept_json(row: KeptNotification) -> dict[str, object]:
    """A kept body for ``--format json``: everything but the body itself."""
    return {
        "id": row.id,
        "source": row.source,
        "key": row.key,
        "reason": row.reason,
        "deliveries": row.deliveries,
        "bytes": len(row.raw_body),
        "sha256": row.body_sha256,
        "first_seen_at": row.first_seen_at.isoformat(),
        "last_seen_at": row.last_seen_at.isoformat(),
        "handled": row.handled,
    }
