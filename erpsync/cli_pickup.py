"""``erpsync pickup``: record what an operator saw in Seller Center when erpsync cannot tell.

The Open API has no call that returns a warehouse's pickup subscription (揽收订阅); erpsync infers
it from handover slots, packages and address saves, and a new or quiet warehouse leaves nothing to
infer from: the report calls it unconfirmed. Seller Center shows the status on one page
(``docs/domain.md``), so an operator can look and say; the record expires (7 days unless ``--for``
says otherwise, at most 30) because the status changes whenever the address is saved, and any
newer evidence that contradicts it wins over it.
"""

from __future__ import annotations

import contextlib
import getpass
from datetime import UTC, datetime, timedelta

import click

from erpsync import render
from erpsync.cli_common import EXIT_OK, Duration, chosen_lang, known_shop, lang_option
from erpsync.core.errors import ErpsyncError
from erpsync.core.models import SubscriptionStatus, Texts
from erpsync.core.timefmt import beijing_time
from erpsync.plugins.context import CommandContext
from erpsync.render import escape
from erpsync.render_text import status_label

__all__ = ["MAX_VALIDITY", "Duration", "pickup"]

#: where Seller Center shows the status (``docs/domain.md``, "Where the operator checks the status")
STATUS_PAGE = Texts(
    "Seller Center → My account → Business information → Warehouse address → Shipping warehouse",
    "商家后台 → 我的账号 → 商家资料 → 仓库地址 → 发货仓库",
)
#: the statuses an operator can read there, as typed on the command line
STATUSES = {
    "active": SubscriptionStatus.ACTIVE,
    "not_subscribed": SubscriptionStatus.NOT_SUBSCRIBED,
    "pending": SubscriptionStatus.PENDING_REVIEW,
}
DEFAULT_VALIDITY = timedelta(days=7)
#: longer and a record would outlive the address saves and reviews it is meant to stand in for
MAX_VALIDITY = timedelta(days=30)

_T = {
    "recorded": Texts(
        "recorded: {shop}/{warehouse} pickup is {status}, as seen in {page}; kept until {until}.",
        "已记录：{shop}/{warehouse} 的揽收状态为「{status}」（{page} 中所见），有效至 {until}。",
    ),
    "unverified": Texts(
        "erpsync has not checked that warehouse {warehouse} exists: the next `erpsync reconcile` shows it. "
        "Evidence newer than this record that contradicts it (handover slots, packages, a new address save) "
        "overrides it.",
        "erpsync 未核对仓库 {warehouse} 是否存在：下次 `erpsync reconcile` 会显示。"
        "此后出现的相反证据（揽收时段、包裹、地址重新保存）会覆盖这条记录。",
    ),
    "none": Texts("no pickup confirmations recorded", "没有人工确认的揽收状态记录"),
    "cleared": Texts(
        "cleared the pickup confirmation of {shop}/{warehouse}",
        "已删除 {shop}/{warehouse} 的揽收状态确认记录",
    ),
    "expired": Texts(" (expired)", "（已过期）"),
}
_COLUMNS = (
    Texts("shop", "店铺"),
    Texts("warehouse", "仓库"),
    Texts("status", "状态"),
    Texts("confirmed", "确认时间"),
    Texts("expires", "到期时间"),
    Texts("note", "备注"),
)


@click.group()
def pickup() -> None:
    """Record what Seller Center shows for a warehouse's pickup subscription (揽收订阅).

    \b
    erpsync infers the subscription from what the Open API shows; when nothing settles it
    (a new or quiet warehouse) the report calls the warehouse unconfirmed. Look it up in
    Seller Center (商家后台 → 我的账号 → 商家资料 → 仓库地址 → 发货仓库) and record it:
      erpsync pickup confirm --shop S --warehouse W --status active
    The next reconcile uses the record until it expires; newer evidence that contradicts it wins.
    """


@pickup.command()
@click.option("--shop", required=True, metavar="NAME", help="The shop, as named in the config.")
@click.option(
    "--warehouse",
    "warehouse_id",
    required=True,
    metavar="ID",
    help="Seller Center's warehouse id, as the report shows it. Not checked online: the next reconcile shows it.",
)
@click.option(
    "--status",
    type=click.Choice(list(STATUSES)),
    required=True,
    help="What Seller Center shows: active (生效中), not_subscribed (未订阅), pending (审核中).",
)
@click.option(
    "--for",
    "validity",
    type=Duration(longest=MAX_VALIDITY, what="keep a confirmation"),
    default="7d",
    show_default=True,
    help="How long to keep it: hours or days, e.g. 12h, 3d; at most 30d.",
)
@click.option(
    "--note", default="", metavar="TEXT", help="Why, or who said so (shown by `erpsync pickup confirmations`)."
)
@lang_option("the confirmation message")
@click.pass_obj
def confirm(
    state: CommandContext,
    shop: str,
    warehouse_id: str,
    status: str,
    validity: timedelta,
    note: str,
    lang: str | None,
) -> int:
    """Record the pickup status Seller Center shows for one warehouse, for a while.

    Read it in Seller Center under 商家后台 → 我的账号 → 商家资料 → 仓库地址 → 发货仓库
    (My account → Business information → Warehouse address → Shipping warehouse). The record
    replaces an earlier one for the same warehouse and is kept 7 days unless --for says
    otherwise; evidence newer than it that contradicts it overrides it. The warehouse id is not
    checked online: the next `erpsync reconcile` shows whether it exists.
    """
    from erpsync.core.store import Store

    settings = state.settings()
    known_shop(settings, shop)
    words = chosen_lang(lang, settings)
    warehouse_id = warehouse_id.strip()
    if not warehouse_id:
        raise click.BadParameter("give Seller Center's warehouse id", param_hint="--warehouse")
    now = datetime.now(UTC)
    chosen = STATUSES[status]
    with Store.open(settings.state_url) as store:
        store.confirmations.confirm(
            shop, warehouse_id, chosen.value, now=now, expires_at=now + validity, note=note.strip(), by=_operator()
        )
    console = render.make_console()
    recorded = (
        _T["recorded"]
        .get(words)
        .format(
            shop=shop,
            warehouse=warehouse_id,
            status=status_label(chosen.value, words),
            page=STATUS_PAGE.get(words),
            until=beijing_time(now + validity, words),
        )
    )
    console.print(escape(recorded), highlight=False)
    console.print(escape(_T["unverified"].get(words).format(warehouse=warehouse_id)), highlight=False)
    return EXIT_OK


@pickup.command()
@click.option("--shop", default=None, metavar="NAME", help="Only this shop. Default: all.")
@click.option("--all", "include_expired", is_flag=True, help="Include expired confirmations.")
@lang_option("the list")
@click.pass_obj
def confirmations(state: CommandContext, shop: str | None, include_expired: bool, lang: str | None) -> int:
    """List the pickup statuses operators recorded, with when they expire (Beijing time)."""
    from erpsync.core.store import Store

    settings = state.settings()
    if shop is not None:
        known_shop(settings, shop)
    words = chosen_lang(lang, settings)
    now = datetime.now(UTC)
    with Store.open(settings.state_url) as store:
        rows = store.confirmations.list(shop, now=now, include_expired=include_expired)
    console = render.make_console()
    if not rows:
        console.print(escape(_T["none"].get(words)), highlight=False)
        return EXIT_OK
    from rich.table import Table

    table = Table(show_lines=False)
    for col in _COLUMNS:
        table.add_column(escape(col.get(words)), overflow="fold")
    for row in rows:
        confirmed = beijing_time(row.confirmed_at, words)
        by = row.confirmed_by
        expires = beijing_time(row.expires_at, words) + (_T["expired"].get(words) if row.expires_at <= now else "")
        cells = (
            row.shop,
            row.warehouse_id,
            status_label(row.status.value, words),
            f"{confirmed} ({by})" if by else confirmed,
            expires,
            row.note or "",
        )
        table.add_row(*map(escape, cells))
    console.print(table)
    return EXIT_OK


@pickup.command()
@click.option("--shop", required=True, metavar="NAME", help="The shop, as named in the config.")
@click.option("--warehouse", "warehouse_id", required=True, metavar="ID", help="Seller Center's warehouse id.")
@lang_option("the message")
@click.pass_obj
def clear(state: CommandContext, shop: str, warehouse_id: str, lang: str | None) -> int:
    """Remove a recorded pickup status: the next reconcile goes by the evidence alone."""
    from erpsync.core.store import Store

    settings = state.settings()
    known_shop(settings, shop)
    words = chosen_lang(lang, settings)
    with Store.open(settings.state_url) as store:
        removed = store.confirmations.clear(shop, warehouse_id)
    if not removed:
        raise ErpsyncError(
            f"no pickup confirmation recorded for {shop}/{warehouse_id}; `erpsync pickup confirmations` lists them"
        )
    message = _T["cleared"].get(words).format(shop=shop, warehouse=warehouse_id)
    render.make_console().print(escape(message), highlight=False)
    return EXIT_OK


def _operator() -> str | None:
    """Who recorded it, for the list: the login name, when the system knows one."""
    with contextlib.suppress(Exception):  # no user database entry (a container), no LOGNAME: unknown
        return getpass.getuser()
    return None
