"""``erpsync bindings``: which ERP warehouse erpsync took for which Seller Center warehouse.

Matches made automatically (by id, name or address) are kept in the state store so that a later
edit is reported as drift instead of unbinding the record (``erpsync/core/matching.py``). An
operator who finds one wrong fixes it for good in the config (``[shops.bindings]``), which
overrides any kept match; ``--forget`` drops kept matches so the next run matches afresh.

``--listings`` shows the listings aspect's bindings instead (ERP product → Seller Center product
and its SKUs), and ``--forget-listing`` frees one ERP product's listing, so that the next run finds
it by seller_sku and binds it to whichever ERP product has its SKUs then (an ERP product renamed
while its listing exists); which rows go and which stay is ``core/aspects/listing_forget.py``'s.
It forgets under the shop's lease, as a run works: a run working on the shop read the binding
before, and the edit it applies writes the binding back, so forgetting beside it would print
"forgot" while the listing stays bound. A held shop is refused (exit code 1), naming the holder.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import click

from erpsync.cli_common import EXIT_OK, known_shop, wait_option
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
@click.option(
    "--listings",
    "listings",
    is_flag=True,
    help="Show the listing bindings instead: ERP product, Seller Center product, its SKUs and SKU ids.",
)
@click.option(
    "--forget-listing",
    "forget_listing",
    multiple=True,
    metavar="ERP_ID",
    help="Free this ERP product's listing (repeatable; needs one --shop): the next run finds it by seller_sku "
    "and binds it to the ERP product that has its SKUs then, creating nothing.",
)
@wait_option("With --forget-listing: wait this long for the shop while a run holds it (default: refuse at once).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_obj
def bindings(
    state: CommandContext,
    shop_names: tuple[str, ...],
    forget: tuple[str, ...],
    forget_all: bool,
    listings: bool,
    forget_listing: tuple[str, ...],
    wait: float,
    fmt: str,
) -> int:
    """Show (or forget) the warehouse matches and listing bindings erpsync keeps, per shop.

    Each line is an ERP warehouse id and the Seller Center warehouse it was matched to, from the
    shop's `bindings` table in the config or kept from an automatic match (by id, name or
    address). A configured binding always wins; to correct a kept match, add the right one under
    [shops.bindings], or forget it and let the next run match again.

    With --listings, each line is an ERP product and the Seller Center product it is bound to,
    with its SKUs. A listing is bound to one ERP product only, so an ERP product renamed while
    its listing exists is a record error on every run; --forget-listing OLD_ID frees the listing
    and the next run binds it to the product that has its SKUs, without creating one or pushing
    again what was pushed. It is refused (exit code 1) while a run works on the shop, whose
    edits would bind the listing back: retry when the run is done, or pass --wait.
    """
    from erpsync.core.errors import UsageError
    from erpsync.core.matching import ENTITY
    from erpsync.core.store import Store

    settings = state.settings()
    shops = [known_shop(settings, n) for n in dict.fromkeys(shop_names)] or list(settings.shops)
    if (forget or forget_all or forget_listing) and len(shop_names) != 1:
        raise UsageError("--forget, --forget-all and --forget-listing need exactly one --shop")
    if sum(map(bool, (forget, forget_all, forget_listing))) > 1:
        raise UsageError("give one of --forget ERP_ID, --forget-all or --forget-listing ERP_ID")
    if wait and not forget_listing:
        raise UsageError("--wait goes with --forget-listing")
    if (forget or forget_all) and listings:
        raise UsageError("--forget and --forget-all drop warehouse matches: use --forget-listing with --listings")
    if listings or forget_listing:
        return _listings(settings.state_url, [s.name for s in shops], forget_listing, fmt, wait)
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

    def cells(r: dict[str, Any]) -> list[str]:
        source = r["from"] if r["from"] == "config" else f"kept since {r['since'][:16].replace('T', ' ')}"
        return [escape(r["shop"]), escape(r["erp_id"]), escape(r["seller_id"]), source]

    empty = "No bindings: every ERP warehouse carries its Seller Center id, or none was matched yet."
    return _show("bindings", rows, fmt, empty, ("shop", "ERP warehouse", "Seller Center warehouse", "from"), cells)


def _listings(state_url: str, shops: list[str], forget: tuple[str, ...], fmt: str, wait: float) -> int:
    """``--listings``: the listing bindings of ``shops``; with ``forget``, free those of one shop
    under its lease (the module docstring says why), waiting up to ``wait`` seconds for it."""
    from erpsync.core.aspects.listing_forget import forget_listings, listing_bindings
    from erpsync.core.errors import LockedError
    from erpsync.core.listings import PRODUCT, SKU
    from erpsync.core.store import Store
    from erpsync.sync_run import LEASE_TTL_SECONDS

    with Store.open(state_url) as store:
        if forget:
            owner = f"erpsync-bindings-{uuid.uuid4().hex[:8]}"  # what a run refused meanwhile names
            try:
                with store.leases.hold(
                    f"shop:{shops[0]}", owner=owner, ttl_seconds=LEASE_TTL_SECONDS, wait_seconds=wait
                ):
                    gone = forget_listings(store.bindings, shops[0], forget, datetime.now(UTC))
            except LockedError as exc:
                raise LockedError(f"{shops[0]}: no listing forgotten: {exc}") from None
            for erp_id, product_id in gone.items():
                click.echo(
                    f"{shops[0]}: forgot ERP product {erp_id}'s listing (Seller Center product {product_id});"
                    " the next run finds it by seller_sku"
                )
            return EXIT_OK
        rows: list[dict[str, Any]] = []
        for shop in shops:
            products = store.bindings.for_entity(shop, PRODUCT)
            for bound in listing_bindings(products, store.bindings.for_entity(shop, SKU)):
                since = products[bound.erp_id].updated_at.isoformat()
                listing = {"shop": shop, "erp_id": bound.erp_id, "product_id": bound.product_id}
                rows.append(listing | {"skus": dict(bound.skus), "since": since})

    def cells(r: dict[str, Any]) -> list[str]:
        skus, since = "\n".join(f"{k} = {v}" for k, v in r["skus"].items()), r["since"][:16].replace("T", " ")
        return [escape(r["shop"]), escape(r["erp_id"]), escape(r["product_id"]), escape(skus), since]

    empty = "No listing bindings: no ERP product was pushed to, or found in, Seller Center yet."
    header = ("shop", "ERP product", "Seller Center product", "SKUs (seller_sku = SKU id)", "since")
    return _show("listings", rows, fmt, empty, header, cells)


def _show(
    key: str,
    rows: list[dict[str, Any]],
    fmt: str,
    empty: str,
    header: Sequence[str],
    cells: Callable[[dict[str, Any]], list[str]],
) -> int:
    """``rows`` as JSON under ``key``, or as a table of ``header`` and each row's ``cells``."""
    if fmt == "json":
        click.echo(json.dumps({key: rows}, ensure_ascii=False, indent=2))
        return EXIT_OK
    if not rows:
        click.echo(empty)
        return EXIT_OK
    from rich.table import Table

    from erpsync.render import make_console  # unwrapped off a terminal: ids stay whole for the --forget options

    table = Table(*header)
    for r in rows:
        table.add_row(*cells(r))
    make_console().print(table)
    return EXIT_OK
