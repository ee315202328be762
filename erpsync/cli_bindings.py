"""``erpsync bindings``: which ERP warehouse erpsync took for which Seller Center warehouse.

Matches made automatically (by id, name or address) are kept in the state store so that a later
edit is reported as drift instead of unbinding the record (``erpsync/core/matching.py``). An
operator who finds one wrong fixes it for good in the config (``[shops.bindings]``), which
overrides any kept match; ``--forget`` drops kept matches so the next run matches afresh.
"""

from __future__ import annotations

import json

import click

from erpsync.cli_common import EXIT_OK, known_shop
from erpsync.plugins.context import CommandContext
from erpsync.render import escape

__all__ = ["bindings"]


@click.command()
@click.option("--shop", "shop_names", multiple=True, metavar="NAME", help="Only this shop (repeatable). Default: all.")
@click.option(
    "--forget",
    "forget",
    multiple=True,
    metavar="ERP_ID",
    help="Drop the kept match of this ERP warehouse (repeatable; needs one --shop); the next run matches it again.",
)
@click.option("--forget-all", is_flag=True, help="Drop every kept match of the --shop given.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def bindings(
    state: CommandContext, shop_names: tuple[str, ...], forget: tuple[str, ...], forget_all: bool, fmt: str
) -> int:
    """Show (or forget) the warehouse matches erpsync keeps, per shop.

    Each line is an ERP warehouse id and the Seller Center warehouse it was matched to, from the
    shop's `bindings` table in the config or kept from an automatic match (by id, name or
    address). A configured binding always wins; to correct a kept match, add the right one under
    [shops.bindings], or forget it and let the next run match again.
    """
    from erpsync.core.errors import UsageError
    from erpsync.core.matching import ENTITY
    from erpsync.core.store import Store

    settings = state.settings()
    shops = [known_shop(settings, n) for n in dict.fromkeys(shop_names)] or list(settings.shops)
    if (forget or forget_all) and len(shop_names) != 1:
        raise UsageError("--forget and --forget-all need exactly one --shop")
    if forget and forget_all:
        raise UsageError("give --forget ERP_ID or --forget-all, not both")
    with Store.open(settings.state_url) as store:
        if forget or forget_all:
            gone = store.bindings.forget(shops[0].name, ENTITY, None if forget_all else list(forget))
            click.echo(f"{shops[0].name}: forgot {gone} kept match{'es' if gone != 1 else ''}")
            return EXIT_OK
        rows = []
        for shop in shops:
            for erp_id, seller_id in sorted(shop.bindings.items()):
                rows.append({"shop": shop.name, "erp_id": erp_id, "seller_id": seller_id, "from": "config"})
            for erp_id, row in sorted(store.bindings.for_entity(shop.name, ENTITY).items()):
                if erp_id not in shop.bindings and row.seller_id:
                    matched = {"shop": shop.name, "erp_id": erp_id, "seller_id": row.seller_id, "from": "kept"}
                    rows.append(matched | {"since": row.updated_at.isoformat()})
    if fmt == "json":
        click.echo(json.dumps({"bindings": rows}, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not rows:
        click.echo("No bindings: every ERP warehouse carries its Seller Center id, or none was matched yet.")
        return EXIT_OK
    from rich.table import Table

    from erpsync.render import make_console  # unwrapped off a terminal: ids stay whole for --forget

    table = Table("shop", "ERP warehouse", "Seller Center warehouse", "from")
    for r in rows:
        source = r["from"] if r["from"] == "config" else f"kept since {r['since'][:16].replace('T', ' ')}"
        table.add_row(escape(r["shop"]), escape(r["erp_id"]), escape(r["seller_id"]), source)
    make_console().print(table)
    return EXIT_OK
