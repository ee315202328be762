"""``erpsync drifts``: the drifts open now, from the state store, and ``drifts ack`` to silence one.

A report shows what one run saw; this shows what is still open across runs, with the ids alerts
and the ledger use, without calling Seller Center or the ERP. An acknowledged drift gets no
reminders (for a while, or until it resolves): a team that knows about a drift it cannot fix
this week is not paged about it every day, and still hears when it resolves.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import click

from erpsync import render
from erpsync.cli_common import EXIT_OK, chosen_lang, known_shop, lang_option, parse_duration
from erpsync.core.errors import ErpsyncError
from erpsync.core.models import Texts
from erpsync.core.timefmt import BEIJING, beijing_time
from erpsync.plugins.context import CommandContext
from erpsync.render import escape
from erpsync.render_text import ASPECTS, FIELDS, SEVERITIES, kind_label

if TYPE_CHECKING:
    from erpsync.core.store import DriftRow

__all__ = ["MAX_ACK", "Until", "drifts", "problem_label"]

#: the longest silence a duration may ask for; longer, leave --until out: silent until it resolves
MAX_ACK = timedelta(days=90)

_T = {
    "none": Texts("no open drifts", "没有未解决的差异"),
    "until_resolved": Texts("until it resolves", "直到解决"),
    "ran_out": Texts("ran out {when}", "已于 {when} 失效"),
    "acked": Texts(
        "acknowledged drift {id} ({shop}/{subject}: {problem}): no reminders {until}; its resolution is still alerted.",
        "已确认差异 {id}（{shop}/{subject}：{problem}）：{until}不再提醒；解决时仍会通知。",
    ),
    "acked_until": Texts("until {when}", "{when} 之前"),
    "acked_resolves": Texts("until it resolves", "在解决之前"),
}
_COLUMNS = (
    Texts("id", "编号"),
    Texts("shop", "店铺"),
    Texts("aspect", "方面"),
    Texts("subject", "对象"),
    Texts("problem", "问题"),
    Texts("severity", "严重程度"),
    Texts("opened", "出现时间"),
    Texts("acked", "已确认"),
)


class Until(click.ParamType):
    """``--until``: a duration from now (``12h``, ``3d``, at most :data:`MAX_ACK`) or a time
    (ISO 8601; without an offset it is Beijing time, the clock every time erpsync shows is in).

    Converts to a ``timedelta`` or an aware ``datetime``: the command adds its own ``now``.
    """

    name = "until"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> timedelta | datetime:
        if isinstance(value, timedelta | datetime):
            return value
        text = str(value).strip()
        length = parse_duration(text)
        if length is not None:
            if not timedelta(hours=1) <= length <= MAX_ACK:
                self.fail(
                    f"{value!r}: silence between 1h and {MAX_ACK.days}d, or leave --until out: until it resolves",
                    param,
                    ctx,
                )
            return length
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            self.fail(
                f"{value!r} is neither a duration (12h, 3d) nor a time (2026-12-01 18:00, Beijing time)", param, ctx
            )
        return (when if when.tzinfo is not None else when.replace(tzinfo=BEIJING)).astimezone(UTC)


def problem_label(kind: str, field: str | None, lang: str) -> str:
    """A drift's problem as the report's table names it: the pickup kind in ops words, an address
    field as Seller Center's form names it, anything else (a plugin's kind) as it is."""
    label = kind_label(kind, lang)
    if label != kind:
        return label
    words = FIELDS.get(field or "")
    return words.get(lang) if words is not None else (field or kind)


@click.group(invoke_without_command=True)
@click.option("--shop", default=None, metavar="NAME", help="Only this shop. Default: all.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@lang_option("the table (JSON carries both languages)")
@click.pass_context
def drifts(ctx: click.Context, shop: str | None, fmt: str, lang: str | None) -> int | None:
    """List the drifts open now, oldest first, times in Beijing time.

    Read from the state store: what the last runs saw, not a new check (`erpsync reconcile`
    is). The id is the drift occurrence's, as alerts carry it; `erpsync drifts ack ID`
    silences that drift's reminders.
    """
    if ctx.invoked_subcommand is not None:
        return None
    from erpsync.core.store import Store

    state: CommandContext = ctx.obj
    settings = state.settings()
    if shop is not None:
        known_shop(settings, shop)
    with Store.open(settings.state_url) as store:
        rows = store.drifts.list_open(shop)
    now = datetime.now(UTC)
    if fmt == "json":
        document = {"count": len(rows), "drifts": [_drift_json(r, now) for r in rows]}
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return EXIT_OK
    words = chosen_lang(lang, settings)
    console = render.make_console()
    if not rows:
        console.print(escape(_T["none"].get(words)), highlight=False)
        return EXIT_OK
    from rich.table import Table

    table = Table(show_lines=False)
    for col in _COLUMNS:
        table.add_column(escape(col.get(words)), overflow="fold")
    for row in rows:
        severity = SEVERITIES.get(row.severity.value)
        aspect = ASPECTS.get(row.aspect)
        cells = (
            str(row.id),
            row.shop,
            aspect.get(words) if aspect else row.aspect,
            row.subject,
            problem_label(row.kind, row.field, words),
            severity.get(words) if severity else row.severity.value,
            beijing_time(row.opened_at, words),
            _acked(row, now, words),
        )
        table.add_row(*map(escape, cells))
    console.print(table)
    return EXIT_OK


def _acked(row: DriftRow, now: datetime, lang: str) -> str:
    if row.acked_at is None:
        return "—"
    if row.acked_until is None:
        return _T["until_resolved"].get(lang)
    when = beijing_time(row.acked_until, lang)
    return when if row.acked(now) else _T["ran_out"].get(lang).format(when=when)


def _drift_json(row: DriftRow, now: datetime) -> dict[str, Any]:
    """One open drift for scripts: values as stored, texts in both languages, times ISO 8601."""

    def iso(when: datetime | None) -> str | None:
        return when.isoformat() if when is not None else None

    return {
        "id": row.id,
        "fingerprint": row.fingerprint,
        "shop": row.shop,
        "aspect": row.aspect,
        "kind": row.kind,
        "subject": row.subject,
        "field": row.field,
        "seller_value": row.seller_value,
        "erp_value": row.erp_value,
        "severity": row.severity.value,
        "summary": {"en": row.text("en"), "zh": row.text("zh")},
        "opened_at": iso(row.opened_at),
        "last_seen_at": iso(row.last_seen_at),
        "last_alerted_at": iso(row.last_alerted_at),
        "acked": row.acked(now),
        "acked_at": iso(row.acked_at),
        "acked_until": iso(row.acked_until),
    }


@drifts.command()
@click.argument("drift_id", metavar="ID", type=click.IntRange(min=1))
@click.option(
    "--until",
    "until",
    type=Until(),
    default=None,
    metavar="T",
    help=f"Silence for a while (12h, 3d; at most {MAX_ACK.days}d) or until a time (2026-12-01 18:00, Beijing "
    "time unless it carries an offset). Default: until the drift resolves.",
)
@lang_option("the message")
@click.pass_obj
def ack(state: CommandContext, drift_id: int, until: timedelta | datetime | None, lang: str | None) -> int:
    """Silence the reminders of open drift ID (the id `erpsync drifts` shows).

    Its resolution is still alerted, and a drift that comes back after resolving is a new
    drift with a new id, alerted again. A later ack replaces this one.
    """
    from erpsync.core.store import Store

    settings = state.settings()
    words = chosen_lang(lang, settings)
    now = datetime.now(UTC)
    ends = now + until if isinstance(until, timedelta) else until
    if ends is not None and ends <= now:
        raise click.BadParameter(f"{beijing_time(ends)} has passed: give a later time", param_hint="--until")
    with Store.open(settings.state_url) as store:
        row = store.drifts.ack(drift_id, now=now, until=ends)
        known = store.drifts.get(drift_id) if row is None else None
    if row is None:
        if known is not None and known.resolved_at is not None:
            raise ErpsyncError(
                f"drift {drift_id} resolved at {beijing_time(known.resolved_at)}: it sends no more reminders"
            )
        raise ErpsyncError(f"no open drift with id {drift_id}; `erpsync drifts` lists the open ones with their ids")
    period = (
        _T["acked_resolves"].get(words)
        if ends is None
        else _T["acked_until"].get(words).format(when=beijing_time(ends, words))
    )
    message = (
        _T["acked"]
        .get(words)
        .format(
            id=row.id,
            shop=row.shop,
            subject=row.subject,
            problem=problem_label(row.kind, row.field, words),
            until=period,
        )
    )
    render.make_console().print(escape(message), highlight=False)
    return EXIT_OK
