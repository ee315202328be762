"""``erpsync demo``: the whole job on a fresh machine, with no accounts and no servers to install.

It starts the sandbox seller backend on a free loopback port, lays out a workspace with a files
ERP that disagrees with Seller Center in the ways operators meet (cosmetic differences that must
NOT count, a changed street and contact that must, a handover mode that contradicts the pickup
subscription), then runs reconcile three times: plan, apply, plan again (in sync). Then the ERP
lists a product and ships an order the sandbox was given at the start, and ``push listings`` and
``push tracking`` send each to Seller Center once; run again, they find nothing to push. The
sandbox's effect counts (what really reached Seller Center) prove "once", not erpsync's own word.
"""

from __future__ import annotations

import csv
import json
import shutil
import struct
import zlib
from pathlib import Path
from typing import Any

import requests
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from erpsync import render
from erpsync.connectors.files.products import PRODUCT_COLUMNS
from erpsync.connectors.files.shipments import SHIPMENT_COLUMNS
from erpsync.connectors.tiktok.products.api import ProductsApi
from erpsync.connectors.tiktok.seller import TikTokSellerConnector
from erpsync.core.connector import ShopContext
from erpsync.core.models import RunReport, Warehouse
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.render_push import show
from erpsync.sandbox.server import SandboxServer
from erpsync.sync import Syncer

MARKER = ".erpsync-demo"
SHOP_ID = "7495000000000000001"
CONFIG = """\
# Written by `erpsync demo`. The seller backend is the local sandbox; the ERP is ./erp.
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
type = "files"
path = "erp"
products = "products.csv"
shipments = "shipments.csv"

[[alerts]]
type = "jsonl"
path = "alerts.jsonl"

[aspects.listings]
category_id = "600001"
warehouse_id = "{warehouse}"
"""
COLUMNS = (
    "id", "name", "seller_warehouse_id", "contact_person", "phone", "region_code",
    "state", "city", "district", "street", "postal_code", "handover_mode",
)  # fmt: skip
#: the warehouse the demo's order ships from and its product's stock is pushed to (the demo scenario's)
WAREHOUSE = "WH-DG"
#: a carrier of the demo shop's "Shipped by seller" delivery option, found by its exact name
CARRIER = "SF Express (顺丰)"
PRODUCT = {
    "id": "P-MUG", "seller_sku": "MUG-350", "title": "Stoneware mug 350 ml", "description": "Dishwasher safe.",
    "price": "9.90", "currency": "USD", "inventory": "40",
}  # fmt: skip
TRACKING = "SF7700000000001"
#: the order the sandbox is given at the start, awaiting shipment with one package
ORDER, PACKAGE = "576990000000000001", "115490000000000001"


def run_demo(workspace: Path, console: Console, lang: str = "en") -> int:
    """Run the demo; return 0 when the final plan is in sync and every push was made once.

    ``lang`` is the reports' language."""
    prepare(workspace)
    say = console.print
    say(Panel.fit("erpsync demo: Seller Center (a local sandbox) ↔ a files ERP", style="bold"))
    with SandboxServer(scenario="demo") as sandbox:
        admin(
            sandbox.url,
            "POST",
            "orders",
            {"warehouse_id": WAREHOUSE, "id": ORDER, "package": {"id": PACKAGE}, "shipping_type": "SELLER"},
        )
        say(
            f"1. Started the sandbox seller backend at {sandbox.url} (it checks signatures like the real Open API) "
            f"and gave the shop an order awaiting shipment, {ORDER}."
        )
        config = CONFIG.format(url=sandbox.url, shop_id=SHOP_ID, warehouse=WAREHOUSE)
        (workspace / "erpsync.toml").write_text(config, encoding="utf-8")
        pm = get_plugin_manager(entrypoints=False)
        registry = build_registry(pm)
        settings = load_settings(workspace / "erpsync.toml", registry)
        seller_cls = registry.connectors["tiktok"]
        seller = seller_cls(dict(settings.shops[0].seller.options), shop=ShopContext("demo-shop", workspace))
        try:
            warehouses = list(seller.list_warehouses().items)
            image = upload_image(seller)
        finally:
            seller.close()
        _write_erp(workspace / "erp", warehouses)
        say(
            f"2. Wrote a demo workspace in {escape(str(workspace))}/: erpsync.toml and erp/warehouses.csv, an ERP "
            "export of Seller Center's warehouses with cosmetic differences (full-width commas, +86 phone format, "
            "广东 for 广东省) that must not count, and real ones that must: a changed street number and "
            "contact, and PICK UP for a warehouse whose pickup subscription is not active. Its products and "
            "shipments files are empty for now."
        )
        syncer = Syncer(settings, pm=pm, registry=registry)
        try:
            say("\n3. [bold]erpsync reconcile[/bold] (plan: nothing is changed)")
            plan = syncer.run()
            render.render_table(plan, console, lang)
            explain(plan, console, lang)
            say("\n4. [bold]erpsync reconcile --apply[/bold] (the policy says Seller Center wins: fix the ERP)")
            applied = syncer.run(apply=True)
            render.render_table(applied, console, lang)
            say("\n5. [bold]erpsync reconcile[/bold] again")
            final = syncer.run()
            render.render_table(final, console, lang)
            _alerts_and_erp(workspace, console)
            pushed = _push(syncer, workspace / "erp", image, console)
        finally:
            syncer.close()
        effects = admin(sandbox.url, "GET", "effects")
    created, shipped = effects.get("product_create", {}), effects.get("ship", {})
    once = created == {PRODUCT["seller_sku"]: 1} and shipped == {PACKAGE: 1}
    say(
        f"\nThe sandbox counted what reached Seller Center: {counted(created)} create(s) of product "
        f"{PRODUCT['seller_sku']}, {counted(shipped)} ship call(s) for package {PACKAGE}"
        + (": each push made once over two runs." if once else ", not once each.")
        + f"\nThe status page shows these runs: `erpsync -c {workspace / 'erpsync.toml'} ui`."
        + "\nNext: `erpsync init` for your own shop."
    )
    return final.exit_code or pushed or (0 if once else 1)


def counted(effects: dict[str, int]) -> int:
    return sum(effects.values())


def _alerts_and_erp(workspace: Path, console: Console) -> None:
    alerts = workspace / "alerts.jsonl"
    lines = alerts.read_text(encoding="utf-8").splitlines() if alerts.exists() else []
    opened = sum(1 for line in lines if json.loads(line)["event"] == "opened")
    console.print(
        f"Drift alerts went to {escape(str(alerts))}: {opened} opened, {len(lines) - opened} resolved, each once. "
        f"Look at the ERP file now: {escape(str(workspace / 'erp' / 'warehouses.csv'))}."
    )


def _push(syncer: Syncer, erp: Path, image: str, console: Console) -> int:
    """Steps 6 and 7: the ERP's new product and shipment pushed, then the same pushes finding nothing.

    Returns the worst exit code of the four pushes: 0 when each push was made or found done."""
    _write_rows(erp / "products.csv", PRODUCT_COLUMNS, [{**PRODUCT, "images": image}])
    shipment = {"id": "S-1", "package_id": PACKAGE, "order_id": ORDER, "tracking_number": TRACKING, "carrier": CARRIER}
    _write_rows(erp / "shipments.csv", SHIPMENT_COLUMNS, [shipment])
    console.print(
        f"\n6. The ERP lists a product ({PRODUCT['seller_sku']} in erp/products.csv, its photo uploaded through "
        f"the Open API) and ships order {ORDER} (erp/shipments.csv: package {PACKAGE}, "
        f"{CARRIER} {TRACKING}). Each push is recorded in the state store before and after it is made."
    )
    first = [push_one(syncer, aspect, console) for aspect in ("listings", "tracking")]
    console.print("\n7. The same two commands again: both sides are read afresh.")
    again = [push_one(syncer, aspect, console) for aspect in ("listings", "tracking")]
    return max(first + again)


def push_one(syncer: Syncer, aspect: str, console: Console) -> int:
    """``erpsync push ASPECT``'s summary, and what each push made (one line each: the demo has two)."""
    console.print(f"[bold]erpsync push {aspect}[/bold]")
    report = syncer.run(aspects=[aspect], apply=True)
    show(report, aspect, dry_run=False, console=console)
    for shop in report.shops:
        for result in (r for part in shop.aspects for r in part.actions if r.status == "applied"):
            console.print(f"  {escape(result.action.description)}", highlight=False)
    return report.exit_code


def admin(url: str, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """The sandbox's admin API, acting as the platform: add an order, count what reached it."""
    response = requests.request(method, f"{url}/_sandbox/{path}", json=body, timeout=10)
    response.raise_for_status()
    data: dict[str, Any] = response.json()["data"]
    return data


def upload_image(seller: Any) -> str:
    """The product photo's uri: listings may only show images uploaded to TikTok Shop."""
    if not isinstance(seller, TikTokSellerConnector):
        raise TypeError("the demo's seller is the TikTok connector")
    return ProductsApi(seller.tiktok_client, seller.cipher()).upload_image(_png(), "mug.png").uri


def _png(side: int = 300) -> bytes:
    """A ``side``×``side`` terracotta PNG: a real image file that a main image may be.

    Upload Product Image takes a MAIN_IMAGE of 300×300 to 4000×4000 px; rows of one colour
    compress to a few hundred bytes, so the demo builds it here instead of shipping a file.
    """

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    pixels = chunk(b"IDAT", zlib.compress((b"\0" + b"\xd0\x80\x40" * side) * side, 9))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + pixels + chunk(b"IEND", b"")


def _write_rows(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n", restval="")
        writer.writeheader()
        writer.writerows(rows)


def prepare(workspace: Path) -> None:
    if workspace.exists():
        if not (workspace / MARKER).exists() and any(workspace.iterdir()):
            from erpsync.core.errors import UsageError

            raise UsageError(f"{workspace} exists and is not a demo workspace; pass --dir with a new folder")
        shutil.rmtree(workspace)
    workspace.mkdir(parents=True)
    (workspace / MARKER).write_text("created by `erpsync demo`; safe to delete\n", encoding="utf-8")


def _write_erp(directory: Path, warehouses: list[Warehouse]) -> None:
    """The ERP's copy of Seller Center's warehouses, with the differences the demo shows."""
    directory.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, w in enumerate(warehouses):
        a = w.address
        row = {
            "id": f"ERP-{i + 1:02d}", "name": w.name, "seller_warehouse_id": w.id,
            "contact_person": a.contact_person, "phone": _plus86(a.phone), "region_code": a.region_code,
            "state": a.state.removesuffix("省"), "city": a.city, "district": a.district,
            "street": a.street.replace(",", "，") + "，", "postal_code": a.postal_code,
            "handover_mode": "PICK UP",
        }  # fmt: skip
        if i == 1:  # a material difference: the street number and the contact changed
            row["street"] = bump_number(a.street)
            row["contact_person"] = a.contact_person + "（旧）"
        rows.append(row)
    _write_rows(directory / "warehouses.csv", COLUMNS, rows)
    _write_rows(directory / "products.csv", PRODUCT_COLUMNS, [])
    _write_rows(directory / "shipments.csv", SHIPMENT_COLUMNS, [])


def _plus86(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) == 11:
        return f"+86 {digits[:3]}-{digits[3:7]}-{digits[7:]}"
    return phone


def bump_number(street: str) -> str:
    for i in range(len(street) - 1, -1, -1):
        if street[i].isdigit():
            return street[:i] + str((int(street[i]) + 2) % 10) + street[i + 1 :]
    return street + " 2号"


def explain(report: RunReport, console: Console, lang: str = "en") -> None:
    if not report.drifts:
        console.print("   Nothing to explain: in sync.")
        return
    console.print("   In plain words:")
    for d in report.drifts:
        console.print(f"   • {escape(d.text(lang))}", highlight=False)
    console.print(
        "   The cosmetic differences are not in the table: erpsync normalises punctuation, spaces, "
        "phone formats and province suffixes before comparing."
    )
