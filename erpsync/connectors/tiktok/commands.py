"""``erpsync auth``: authorise shops and see their tokens (authorisation for many shops).

The flow per shop: ``erpsync auth url --shop S`` prints the link; the seller opens it and
authorises the app; TikTok redirects to the app's redirect URL with ``?code=``; ``erpsync auth
exchange CODE --shop S`` trades the code for tokens, checks with Get Authorized Shops that they
are for shop S, and keeps them in the state store, from where every run reads and refreshes them.
A code is single use, so the tokens are kept when the check only fails for the moment (a
warning; every run checks the shop again) and dropped only when it fails for good (a code for
another shop). No command ever prints a token.

Added by the TikTok plugin through the ``register_commands`` hook (``__init__.py``), like any
plugin's commands. It reaches the configuration and the registry through ``ctx.obj``, a
``CommandContext`` the CLI sets up, so it imports nothing from the CLI or the host above it.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from erpsync.core.errors import ConfigError, TemporaryError, UsageError
from erpsync.plugins.context import CommandContext

if TYPE_CHECKING:
    from erpsync.connectors.tiktok.seller import TikTokSellerConnector
    from erpsync.core.config import Settings, ShopSettings
    from erpsync.core.store import Store

# The client, the store (SQLAlchemy) and rich are imported inside the commands: ``erpsync --help``
# loads this module to list ``auth`` and must not pay for what only running a command needs.


def _tiktok_shop(settings: Settings, name: str) -> ShopSettings:
    from erpsync.connectors.tiktok.seller import TikTokSellerConnector

    shop = settings.shop(name)
    if shop is None:
        known = ", ".join(s.name for s in settings.shops)
        raise UsageError(f"unknown shop {name!r} (known: {known})")
    if shop.seller.type != TikTokSellerConnector.type:
        raise UsageError(f"shop {name!r} does not use a TikTok seller backend: nothing to authorise")
    return shop


def _connector(
    state: CommandContext, settings: Settings, shop: ShopSettings, store: Store | None
) -> TikTokSellerConnector:
    from erpsync.connectors.tiktok.seller import TikTokSellerConnector
    from erpsync.core.connector import ShopContext

    cls = state.registry.connectors[shop.seller.type]
    tokens = None if store is None else store.tokens
    context = ShopContext(name=shop.name, base_dir=settings.base_dir, tokens=tokens)
    connector = cls(dict(shop.seller.options), shop=context)
    assert isinstance(connector, TikTokSellerConnector)
    return connector


def relative(when: datetime, now: datetime) -> str:
    """``expires in 3 d`` / ``expired 2 h ago``: how an operator reads an expiry at a glance."""
    seconds = (when - now).total_seconds()
    left = abs(seconds)
    if left >= 86400:
        amount = f"{left // 86400:.0f} d"
    elif left >= 3600:
        amount = f"{left // 3600:.0f} h"
    else:
        amount = f"{max(1, left // 60):.0f} min"
    return f"expires in {amount}" if seconds > 0 else f"expired {amount} ago"


@click.group()
def auth() -> None:
    """Authorise shops for the Open API and check their tokens (never printed)."""


@auth.command("url")
@click.option("--shop", "shop_name", required=True, metavar="NAME", help="The shop (its name in the config).")
@click.option("--state", "state_value", metavar="TEXT", help="Opaque value echoed to the redirect. Default: random.")
@click.option("--region", metavar="CODE", help="The shop's region; US shops authorise on the US host.")
@click.pass_obj
def url(state: CommandContext, shop_name: str, state_value: str | None, region: str | None) -> int:
    """Print the link the seller opens to authorise the app for a shop."""
    from erpsync.connectors.tiktok.auth import authorize_url

    settings = state.settings()
    shop = _tiktok_shop(settings, shop_name)
    service_id = shop.seller.options.get("service_id")
    if not service_id:
        raise ConfigError(
            "service_id is not set: add the app's service id from Partner Center to this shop's "
            "[shops.seller] table to build the authorisation link",
            path=str(settings.path),
            key=f"shop {shop_name}: seller.service_id",
        )
    import secrets  # hashlib and OpenSSL: not for ``--help``, which imports this module

    click.echo(authorize_url(service_id, state_value or secrets.token_urlsafe(16), region=region))
    click.echo(
        f"open it as the seller of shop {shop_name}; after authorising, TikTok redirects with ?code=...; "
        f"then run: erpsync auth exchange CODE --shop {shop_name}",
        err=True,
    )
    return 0


@auth.command("exchange")
@click.argument("code")
@click.option("--shop", "shop_name", required=True, metavar="NAME", help="The shop (its name in the config).")
@click.pass_obj
def exchange(state: CommandContext, code: str, shop_name: str) -> int:
    """Trade an authorisation CODE for the shop's tokens and keep them in the state store."""
    from erpsync.connectors.tiktok.client import TikTokClient
    from erpsync.core.store import Store

    settings = state.settings()
    shop = _tiktok_shop(settings, shop_name)
    with Store.open(settings.state_url) as store:
        connector = _connector(state, settings, shop, store)
        unchecked: TemporaryError | None = None
        found: dict[str, Any] | None
        try:
            record = connector.token_client().exchange(code)
            o = connector.options
            # the code may belong to another shop of the seller: check before keeping the token
            client = TikTokClient(o["base_url"], o["app_key"], o["app_secret"], record.access_token)
            try:
                found = client.shop(connector.shop_id)
            except TemporaryError as exc:
                # the code is used up: dropping the tokens now would make the seller authorise
                # again for a check that only failed for the moment; every run checks the shop
                # again when it looks its cipher up. A definite failure (another shop's code) drops them.
                unchecked, found = exc, None
            finally:
                client.close()
        finally:
            connector.close()
        now = datetime.now(UTC)
        store.tokens.put(shop_name, replace(record, last_refresh_at=None), now=now)
    scopes = ", ".join(record.granted_scopes) or "none listed"
    if found is None:
        click.echo(f"authorised shop {shop_name}: seller {record.seller_name!r}; tokens stored")
        click.echo(
            f"warning: could not check that the code is for shop {connector.shop_id} (temporary failure: "
            f"{unchecked}); the tokens are kept, since the code cannot be used twice. The next run checks "
            f"the shop; if it is not authorised there, run: erpsync auth url --shop {shop_name}",
            err=True,
        )
    else:
        click.echo(f"authorised shop {shop_name}: {found['name']} ({found['region']}), seller {record.seller_name!r}")
    click.echo(f"scopes: {scopes}")
    click.echo(
        f"access token {relative(record.access_token_expires_at, now)} (refreshed automatically); "
        f"refresh token {relative(record.refresh_token_expires_at, now)} "
        f"({record.refresh_token_expires_at:%Y-%m-%d}): re-authorise before then"
    )
    if shop.seller.options.get("access_token"):
        click.echo(f"note: shop {shop_name} still has a static access_token in the config, which wins; remove it")
    return 0


def _scopes(scopes: tuple[str, ...]) -> str:
    if len(scopes) <= 3:
        return ", ".join(scopes) or "-"
    return f"{', '.join(scopes[:3])} +{len(scopes) - 3}"


@auth.command("status")
@click.pass_obj
def status(state: CommandContext) -> int:
    """Show, per shop, where its token comes from and when it expires."""
    from rich.console import Console
    from rich.table import Table

    from erpsync.connectors.tiktok.seller import TikTokSellerConnector
    from erpsync.core.store import Store

    settings = state.settings()
    now = datetime.now(UTC)
    table = Table(title="erpsync shop authorisation")
    for column in ("shop", "source", "seller", "access token", "refresh token", "scopes", "last refresh"):
        table.add_column(column)
    with Store.open(settings.state_url) as store:
        names = [s.name for s in settings.shops if s.seller.type == TikTokSellerConnector.type]
        extra = [n for n in store.tokens.list_shops() if n not in names]
        for name in [*names, *extra]:
            shop = settings.shop(name)
            record = store.tokens.get(name)
            if shop is not None and shop.seller.options.get("access_token"):
                table.add_row(name, "static", "-", "not known (static)", "-", "-", "-")
            elif record is None:
                table.add_row(name, "none", "-", f"run: erpsync auth url --shop {name}", "-", "-", "-")
            else:
                last = f"{record.last_refresh_at:%Y-%m-%d %H:%M} UTC" if record.last_refresh_at else "never"
                table.add_row(
                    name,
                    "stored" if shop is not None else "stored (not in config)",
                    record.seller_name or "-",
                    relative(record.access_token_expires_at, now),
                    relative(record.refresh_token_expires_at, now),
                    _scopes(record.granted_scopes),
                    last,
                )
        token_note = store.tokens.encryption().note()
    # off a terminal (a pipe, cron mail) whole lines, as every erpsync table: no wrapping or cutting
    console = Console() if sys.stdout.isatty() else Console(width=10_000, soft_wrap=True)
    console.print(table)
    if token_note:
        console.print(f"note: {token_note}", highlight=False, markup=False)
    return 0
