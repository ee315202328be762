"""``erpsync demo --erp tryton``: the demo's job against a real Tryton server instead of ERP files.

It starts the sandbox seller backend and a local trytond (SQLite, in the workspace: the ``tryton``
extra), enters Seller Center's warehouses into Tryton with the demo's drift (a changed street
number and contact, PICK UP where the pickup subscription is not active), then runs reconcile
three times (plan, apply, plan) through the Tryton connector. Then Tryton gets a product and a
shipment for the order the sandbox was given, and ``push listings`` and ``push tracking`` send each
once; run again, they find nothing. Tryton keeps no product photos, so the demo registers a small
``map_listing`` plugin that gives the listing the photo it uploaded: what a seller would write.
"""

from __future__ import annotations

import secrets
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from erpsync import render
from erpsync.core.connector import ShopContext
from erpsync.core.errors import ErpsyncError
from erpsync.core.listings import ErpProduct
from erpsync.demo import (
    CARRIER,
    ORDER,
    PACKAGE,
    PRODUCT,
    SHOP_ID,
    TRACKING,
    WAREHOUSE,
    admin,
    bump_number,
    counted,
    explain,
    prepare,
    push_one,
    upload_image,
)
from erpsync.erp_servers.tryton import TrytonServer, TrytonServerError, TrytonUnavailable, require_trytond
from erpsync.erp_servers.tryton_seed import SUBDIVISIONS, AddressSpec, TrytonSeeder, Variant
from erpsync.plugins import hookimpl
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sandbox.server import SandboxServer
from erpsync.sync import Syncer

CONFIG = """\
# Written by `erpsync demo --erp tryton`. The seller backend is the local sandbox; the ERP is the
# local Tryton server the demo started (database in ./tryton). Both stop when the demo ends.
[[shops]]
name = "demo-shop"

[shops.seller]
type = "tiktok"
base_url = "{url}"
app_key = "demo-app-key"
app_secret = "demo-app-secret"
access_token = "demo-access-token"
shop_id = "{shop_id}"

[shops.erp]
type = "tryton"
base_url = "{tryton_url}"
database = "{database}"
login = "{login}"
password = "{password}"
# Tryton's address has no district and no handover mode: these Char fields of party.address hold them
district_field = "post_office"
handover_field = "post_box"
stock_warehouse = "{warehouse}"

[[alerts]]
type = "jsonl"
path = "alerts.jsonl"

[aspects.listings]
category_id = "600001"
warehouse_id = "{warehouse}"
"""


class DemoPhoto:
    """The listing's photo, which Tryton does not keep: the uri of the image the demo uploaded."""

    def __init__(self, uri: str) -> None:
        self.uri = uri

    @hookimpl
    def map_listing(self, product: ErpProduct, body: dict[str, Any]) -> None:
        body["main_images"] = [{"uri": self.uri}]


def run_tryton_demo(workspace: Path, console: Console, lang: str = "en") -> int:
    """Run the demo against a local Tryton; 0 when the final plan is in sync and each push was made once."""
    try:
        require_trytond()
    except TrytonUnavailable as exc:
        raise ErpsyncError(f"erpsync demo --erp tryton: {exc}") from None
    prepare(workspace)
    try:
        return _run(workspace, console, lang)
    except TrytonServerError as exc:  # the server did not start, or refused what the demo entered
        raise ErpsyncError(f"erpsync demo --erp tryton: the local Tryton server: {exc}") from None


def _run(workspace: Path, console: Console, lang: str) -> int:
    say = console.print
    say(Panel.fit("erpsync demo: Seller Center (a local sandbox) ↔ Tryton (a local trytond)", style="bold"))
    say("Starting Tryton: the first start creates its database (stock, sale, carrier modules), about a minute.")
    password = secrets.token_urlsafe(16)
    with SandboxServer(scenario="demo") as sandbox, TrytonServer(workspace / "tryton", password=password) as tryton:
        admin(
            sandbox.url,
            "POST",
            "orders",
            {"warehouse_id": WAREHOUSE, "id": ORDER, "package": {"id": PACKAGE}, "shipping_type": "SELLER"},
        )
        say(
            f"1. Started the sandbox seller backend at {sandbox.url} and Tryton at {tryton.url} "
            f"(database {tryton.database!r}); gave the shop an order awaiting shipment, {ORDER}."
        )
        config = CONFIG.format(
            url=sandbox.url,
            shop_id=SHOP_ID,
            tryton_url=tryton.url,
            database=tryton.database,
            login=tryton.login,
            password=password,
            warehouse=WAREHOUSE,
        )
        (workspace / "erpsync.toml").write_text(config, encoding="utf-8")
        pm = get_plugin_manager(entrypoints=False)
        registry = build_registry(pm)
        settings = load_settings(workspace / "erpsync.toml", registry)
        seller = registry.connectors["tiktok"](
            dict(settings.shops[0].seller.options), shop=ShopContext("demo-shop", workspace)
        )
        try:
            warehouses = list(seller.list_warehouses().items)
            image = upload_image(seller)
        finally:
            seller.close()
        seeder = TrytonSeeder(tryton)
        locations = _enter_warehouses(seeder, warehouses)
        say(
            "2. Entered Seller Center's warehouses into Tryton (stock.location of type warehouse, each with its "
            "party address and phone) with differences that must count: a changed street number and contact, "
            "and PICK UP for a warehouse whose pickup subscription is not active."
        )
        pm.register(DemoPhoto(image))
        syncer = Syncer(settings, pm=pm, registry=registry)
        try:
            say("\n3. [bold]erpsync reconcile[/bold] (plan: nothing is changed)")
            plan = syncer.run()
            render.render_table(plan, console, lang)
            explain(plan, console, lang)
            say("\n4. [bold]erpsync reconcile --apply[/bold] (the policy says Seller Center wins: fix Tryton)")
            applied = syncer.run(apply=True)
            render.render_table(applied, console, lang)
            say("\n5. [bold]erpsync reconcile[/bold] again")
            final = syncer.run()
            render.render_table(final, console, lang)
            _show_tryton(seeder, console)
            pushed = _push(syncer, seeder, locations[WAREHOUSE], console)
        finally:
            syncer.close()
        effects = admin(sandbox.url, "GET", "effects")
    created, shipped = effects.get("product_create", {}), effects.get("ship", {})
    once = created == {PRODUCT["seller_sku"]: 1} and shipped == {PACKAGE: 1}
    say(
        f"\nThe sandbox counted what reached Seller Center: {counted(created)} create(s) of product "
        f"{PRODUCT['seller_sku']}, {counted(shipped)} ship call(s) for package {PACKAGE}"
        + (": each push made once over two runs." if once else ", not once each.")
        + f"\nTryton's log: {escape(str(tryton.log_file))}. Next: `erpsync init` for your own shop."
    )
    return final.exit_code or pushed or (0 if once else 1)


def _enter_warehouses(seeder: TrytonSeeder, warehouses: list[Any]) -> dict[str, int]:
    """Tryton's copy of Seller Center's warehouses with the demo's differences; code → location id."""
    by_name = {name: code for code, name in SUBDIVISIONS.items()}
    seeder.deactivate_warehouse("WH")  # the stock module's own warehouse: no address, not the seller's
    made = {}
    for i, w in enumerate(warehouses):
        a = w.address
        street, contact = (
            (bump_number(a.street), a.contact_person + "（旧）") if i == 1 else (a.street, a.contact_person)
        )
        spec = AddressSpec(
            country=a.region_code,
            subdivision=by_name.get(a.state, ""),
            city=a.city,
            street=street,
            postal_code=a.postal_code,
            attn=contact,
            phone=a.phone,
            extra={"post_office": a.district, "post_box": "PICK UP"},
        )
        made[w.id] = seeder.warehouse(w.id, w.name, spec)
    return made


def _show_tryton(seeder: TrytonSeeder, console: Console) -> None:
    fields = ["code", "address.street", "address.attn", "address.post_box"]
    rows = seeder.call("stock.location", "search_read", [["type", "=", "warehouse"]], 0, None, None, fields)
    console.print("Tryton's warehouses now:")
    for row in rows:
        address = row.get("address.") or {}
        console.print(
            f"  {row['code']}: {escape(str(address.get('street')))}, {escape(str(address.get('attn')))}, "
            f"handover {address.get('post_box')}",
            highlight=False,
        )


def _push(syncer: Syncer, seeder: TrytonSeeder, warehouse: int, console: Console) -> int:
    """Steps 6 and 7: Tryton's new product and shipment pushed, then the same pushes finding nothing."""
    variant = Variant(PRODUCT["seller_sku"], Decimal(PRODUCT["price"]), int(PRODUCT["inventory"]))
    (product,) = seeder.product(PRODUCT["id"], PRODUCT["title"], [variant], warehouse=warehouse)
    sale = seeder.sale(ORDER, {product: 1}, warehouse=warehouse)
    seeder.shipment(
        PACKAGE, warehouse=warehouse, products={product: 1}, shipping_reference=TRACKING, carrier=CARRIER, sale=sale
    )
    console.print(
        f"\n6. Tryton lists a product ({PRODUCT['seller_sku']}, {PRODUCT['inventory']} in stock at {WAREHOUSE}) and "
        f"ships order {ORDER}: a sale with that reference, and an outgoing shipment with reference {PACKAGE}, "
        f"carrier {CARRIER} and shipping reference {TRACKING}. Each push is recorded in the state store before "
        "and after it is made."
    )
    first = [push_one(syncer, aspect, console) for aspect in ("listings", "tracking")]
    console.print("\n7. The same two commands again: both sides are read afresh.")
    again = [push_one(syncer, aspect, console) for aspect in ("listings", "tracking")]
    return max(first + again)
