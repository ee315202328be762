"""``erpsync alerts`` and ``erpsync drifts``: look at what the alert outbox holds, try a channel,
list the open drifts and silence one's reminders.

Alerts normally go out through the outbox after a run records a drift change, so a channel set up
wrong shows only as alerts that stay pending. ``alerts test`` sends straight to one configured
channel and prints its answer, so a wrong robot URL, signing secret or keyword shows the minute
it is configured; ``alerts pending`` shows what is still waiting and why. ``drifts ack`` is for a
drift the team knows about and cannot fix soon: its reminders stop, its resolution still alerts.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import click

from erpsync import render
from erpsync.cli_common import EXIT_ERROR, EXIT_OK, chosen_lang, lang_option
from erpsync.core.errors import ErpsyncError, PermanentError, TemporaryError, UsageError
from erpsync.core.lang import Lang
from erpsync.core.models import Texts
from erpsync.core.redaction import redact
from erpsync.core.timefmt import beijing_time
from erpsync.plugins.context import CommandContext
from erpsync.render import escape
from erpsync.render_text import kind_label

if TYPE_CHECKING:
    from erpsync.core.config import AlertSettings, Settings
    from erpsync.core.store import OutboxRow
    from erpsync.plugins.alerts.base import AlertEvent

__all__ = ["TEST_MESSAGE", "alerts", "make_test_event"]

#: what a test message says, in both languages whatever the channel's language: whoever reads it
#: must see at once that it is a test and that nothing needs doing
TEST_MESSAGE = Texts(
    "erpsync test message / erpsync 测试消息: sent by `erpsync alerts test` to check this channel; "
    "no drift, nothing to do.",
    "erpsync 测试消息 / erpsync test message：由 `erpsync alerts test` 发送，用于检查此通道；没有差异，无需处理。",
)

_T = {
    "sent": Texts("sent a test message to {name}.", "已向 {name} 发送测试消息。"),
    "answer": Texts("The channel answered: {answer}", "通道的回复：{answer}"),
    "no_answer": Texts(
        "The channel gives no answer: check that the message arrived where {type} sends it.",
        "该通道没有回复：请到 {type} 的发送目的地确认消息已到达。",
    ),
    "temporary": Texts(
        "test message to {name} failed, a temporary error (a later retry may pass): {error}",
        "向 {name} 发送测试消息失败，临时错误（稍后重试可能成功）：{error}",
    ),
    "permanent": Texts(
        "test message to {name} failed, a permanent error (retrying cannot help: check its [[alerts]] settings): "
        "{error}",
        "向 {name} 发送测试消息失败，永久错误（重试无济于事：请检查它的 [[alerts]] 配置）：{error}",
    ),
    "none_pending": Texts("no alerts waiting to be delivered", "没有待发送的告警"),
    "unconfigured": Texts(
        "alerts for {names} wait, but no [[alerts]] table names that sink: they expire undelivered.",
        "{names} 有待发送的告警，但没有 [[alerts]] 配置这个名称：它们到期后不会发出。",
    ),
    "due": Texts(" (due)", "（已到期）"),
    "delivered": Texts(
        "delivered {delivered} alert(s) ({digests} digest message(s)); {retrying} to retry later, {failed} failed "
        "for good, {expired} expired undelivered.",
        "已送达 {delivered} 条告警（其中汇总消息 {digests} 条）；{retrying} 条稍后重试，{failed} 条永久失败，"
        "{expired} 条过期未送达。",
    ),
}
_EVENTS = {
    "opened": Texts("opened", "出现"),
    "resolved": Texts("resolved", "已解决"),
    "reminder": Texts("reminder", "提醒"),
    "escalated": Texts("escalated", "升级"),
}
_PENDING_COLUMNS = (
    Texts("id", "编号"),
    Texts("sink", "通道"),
    Texts("shop", "店铺"),
    Texts("subject", "对象"),
    Texts("alert", "告警"),
    Texts("status", "状态"),
    Texts("attempts", "尝试次数"),
    Texts("next attempt", "下次尝试"),
    Texts("last error", "最近错误"),
)


@click.group()
def alerts() -> None:
    """Try an alert channel, and see the alerts waiting in the outbox.

    \b
    Each alert is stored in the state store's outbox with the drift change that causes it, and
    sent after; one a channel refused for now is retried on later runs until it expires.
      erpsync alerts test NAME     send a test message to one configured channel
      erpsync alerts pending       what is still waiting, and the last error of each
      erpsync alerts deliver       send what is due now, without a reconcile run
    """


@alerts.command("test")
@click.argument("sink_name", metavar="SINK")
@lang_option("the test message (default: the sink's `language`)")
@click.pass_obj
def test_sink(state: CommandContext, sink_name: str, lang: str | None) -> int:
    """Send one test message to SINK and print the channel's answer.

    SINK is an [[alerts]] table's `name` (by default its `type`, e.g. dingtalk). The message is
    sent at once, straight to the channel, NOT through the outbox: nothing is stored, and a
    failure is not retried. Exit code 0 sent, 1 the channel refused it (the error says whether
    a retry could pass), 64 no such sink.
    """
    settings = state.settings()
    chosen = _configured(settings, sink_name)
    words: Lang = "zh" if (lang or chosen.language) == "zh" else "en"
    shop = settings.shops[0].name if settings.shops else "test"
    sink = state.registry.alert_sinks[chosen.type](chosen.options, base_dir=settings.base_dir)
    try:
        answer = sink.send(make_test_event(shop, words, datetime.now(UTC)))
    except (TemporaryError, PermanentError, OSError) as exc:
        which = "permanent" if isinstance(exc, PermanentError) else "temporary"
        error = redact(str(exc), settings.secrets)
        raise ErpsyncError(_T[which].get(words).format(name=chosen.name, error=error)) from None
    finally:
        sink.close()
    console = render.make_console()
    named = chosen.name if chosen.name == chosen.type else f"{chosen.name} ({chosen.type})"
    console.print(escape(_T["sent"].get(words).format(name=named)), highlight=False)
    if answer:
        said = _T["answer"].get(words).format(answer=redact(answer, settings.secrets))
    else:
        said = _T["no_answer"].get(words).format(type=chosen.type)
    console.print(escape(said), highlight=False)
    return EXIT_OK


def make_test_event(shop: str, lang: Lang, now: datetime) -> AlertEvent:
    """The test message: severity info, kind ``test``, a fresh id so a receiver that
    deduplicates (Standard Webhooks ``webhook-id``) shows every test."""
    import uuid  # with ``platform`` behind it: only a test message needs an id

    from erpsync.plugins.alerts.base import AlertEvent

    return AlertEvent(
        event="test",
        shop=shop,
        aspect="test",
        kind="test",
        subject="erpsync-test",
        field=None,
        seller_value=None,
        erp_value=None,
        severity="info",
        message=TEST_MESSAGE.get(lang),
        fingerprint="test",
        at=now,
        run_id="test",
        summary=TEST_MESSAGE.as_dict(),
        lang=lang,
        id=f"test_{uuid.uuid4().hex[:24]}",
        first_seen=now,
    )


def _configured(settings: Settings, name: str) -> AlertSettings:
    """The [[alerts]] table named ``name``; a usage error (64) naming the configured ones otherwise."""
    for sink in settings.alerts:
        if sink.name == name:
            return sink
    known = ", ".join(s.name for s in settings.alerts) or "none"
    raise UsageError(f"unknown alert sink {name!r} (configured: {known})")


@alerts.command(short_help="List the alerts not delivered yet.")
@click.option("--sink", default=None, metavar="NAME", help="Only this sink's alerts (an [[alerts]] `name`).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@lang_option("the table (JSON carries the stored event as it is)")
@click.pass_obj
def pending(state: CommandContext, sink: str | None, fmt: str, lang: str | None) -> int:
    """List the alerts not delivered yet: waiting for their first try, or retried after a
    temporary failure (the last error says why). Times in Beijing time.

    Alerts a channel refused for good (failed) or that waited too long (expired) are not listed:
    the run that gave up on them reported them.
    """
    from erpsync.core.store import Store

    settings = state.settings()
    configured = {a.name for a in settings.alerts}
    with Store.open(settings.state_url) as store:
        rows = store.outbox.all_pending(sink)
    if sink is not None and sink not in configured and not rows:
        _configured(settings, sink)  # raises the usage error naming the configured sinks
    now = datetime.now(UTC)
    if fmt == "json":
        click.echo(json.dumps({"count": len(rows), "pending": [_row_json(r, settings) for r in rows]}, **_JSON))
        return EXIT_OK
    words = chosen_lang(lang, settings)
    console = render.make_console()
    if not rows:
        console.print(escape(_T["none_pending"].get(words)), highlight=False)
        return EXIT_OK
    from rich.table import Table

    table = Table(show_lines=False)
    for col in _PENDING_COLUMNS:
        table.add_column(escape(col.get(words)), overflow="fold")
    for row in rows:
        event = row.event
        happened = _EVENTS.get(str(event.get("event")))
        what = kind_label(str(event.get("kind", "")), words)
        due = _T["due"].get(words) if row.next_attempt_at <= now else ""
        cells = (
            row.id,
            row.sink,
            str(event.get("shop", "")),
            str(event.get("subject", "")),
            f"{happened.get(words) if happened else event.get('event', '')}: {what}",
            row.status,
            str(row.attempts),
            beijing_time(row.next_attempt_at, words) + due,
            redact(row.last_error or "", settings.secrets),
        )
        table.add_row(*map(escape, cells))
    console.print(table)
    orphans = sorted({r.sink for r in rows} - configured)
    if orphans:
        console.print(escape(_T["unconfigured"].get(words).format(names=", ".join(orphans))), highlight=False)
    return EXIT_OK


_JSON: dict[str, Any] = {"ensure_ascii": False, "indent": 2}


def _row_json(row: OutboxRow, settings: Settings) -> dict[str, Any]:
    """One outbox row for scripts: times ISO 8601, the stored event (already redacted) whole."""
    return {
        "id": row.id,
        "sink": row.sink,
        "configured": row.sink in {a.name for a in settings.alerts},
        "status": row.status,
        "attempts": row.attempts,
        "created_at": row.created_at.isoformat(),
        "next_attempt_at": row.next_attempt_at.isoformat(),
        "last_error": redact(row.last_error, settings.secrets) if row.last_error else None,
        "event": dict(row.event),
    }


@alerts.command(short_help="Send the alerts that are due now.")
@lang_option("the summary line")
@click.pass_obj
def deliver(state: CommandContext, lang: str | None) -> int:
    """Send the outbox's due alerts now, without a reconcile run: after fixing a channel, or
    from cron between runs.

    Each sink is tried as a run tries it: with its `timeout_seconds`, a digest above its rate
    limit, a later retry after a temporary failure; alerts older than `[alerting]
    max_age_hours` expire. Exit code 0 when every due alert was delivered, 1 when some are
    still waiting (to be retried, or for room in a channel's rate limit), failed for good or
    expired (`erpsync alerts pending` shows them).
    """
    from erpsync.alert_delivery import deliver_pending
    from erpsync.alert_outbox import build_sinks
    from erpsync.core.store import Store

    settings = state.settings()
    words = chosen_lang(lang, settings)
    sinks = build_sinks(settings, state.registry)
    try:
        with Store.open(settings.state_url) as store:
            report = deliver_pending(
                store,
                sinks,
                datetime.now(UTC),
                max_age=timedelta(hours=settings.alerting.max_age_hours),
                redact=lambda text: redact(text, settings.secrets),
            )
    finally:
        for target in sinks:
            target.sink.close()
    console = render.make_console()
    counts = {
        "delivered": report.delivered,
        "digests": report.digests,
        "retrying": report.retrying,
        "failed": report.failed,
        "expired": len(report.expired),
    }
    console.print(escape(_T["delivered"].get(words).format(**counts)), highlight=False)
    for line in report.waiting_lines(words):
        console.print(escape(line), highlight=False)
    for note in report.notes():
        console.print(escape(note), highlight=False)
    still_waiting = report.retrying or report.waiting or report.failed or report.expired
    return EXIT_ERROR if still_waiting else EXIT_OK
