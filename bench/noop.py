"""What does a run cost when nothing changed? Reads against the reads that cannot be avoided.

Starts the sandbox (demo scenario) with N extra warehouses of one shop, one new package each,
and an ERP file that agrees with Seller Center; the ERP also keeps a catalogue of ``--products``
products (one SKU each) and ``--shipments`` shipments, each of a package Seller Center shows
shipped three days ago under the ERP's tracking number. Runs the real Syncer (every aspect,
``--apply``) twice over loopback, on the sandbox's clock, moved an hour before each run so no
package changed inside the search's overlap window. The first run creates the products (one
Create Product each) and finds every shipment done; the second run is measured:

- write calls: the sandbox's write effects (ship, shipping info, products) plus rewrites of the
  ERP file; the target is 0. The calls to the sandbox's write paths (every POST but a search,
  ``sandbox/api.py``'s ``is_write``) are counted too, so a write the sandbox refused shows;
- read calls: every other Open API call the sandbox counted;
- reads needed for what changed (nothing): the shop's cipher lookup (1), its warehouse list (1
  page: the list is not paged), the package search (1 page: it finds no change) and the handover
  slots of each warehouse with packages in the lookback (slots are live state with no
  ``update_time``, ``docs/architecture.md``), so ``N + demo warehouses + 3``. Details and orders
  are needed only for changed packages: none. The ``ship_by`` aspect searches the orders awaiting
  shipment, one search per status it watches: live state too, as a ship-by time nears with no
  change (``docs/orders.md``). The listings add one Search Products page (the
  shop's failed audits, ``docs/listings.md``): every product is bound, so no SKU is looked up.
  The shipments add one more package search page: the tracking read asks Search Package what
  moved since the package cache's cursor, and answers every shipped package it does not name
  from the cache (``docs/tracking.md``), so no detail and no orders call. A package shipped,
  given another tracking number or cancelled gets a new ``update_time``, which that search reads
  (the sandbox moves it on each of these; that the live API does the same is a guess);
- the ratio read calls ÷ reads needed; the target is 1.0.

The rate limit is not what is measured (``bench/reconcile_shapes.py`` is): sandbox and client
allow ``QPS`` calls per second per API, so a run of 20,000 shipments takes its work's time.

Usage: python bench/noop.py [N] [--products P] [--shipments S] [--quick]   (defaults 100, 20000, 20000)

The defaults are the sizes the figure is asked for; most of their time is the first run creating
20,000 products. ``--quick`` takes 2,000 products and 2,000 shipments, a few minutes' run.
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import struct
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import requests

from erpsync.connectors.tiktok.products.api import ProductsApi
from erpsync.connectors.tiktok.seller import TikTokSellerConnector
from erpsync.core.connector import ShopContext
from erpsync.core.orders import AWAITING_SHIPMENT
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sandbox import SandboxServer
from erpsync.sandbox.api import ROUTES, is_write, template
from erpsync.sync import Syncer

SHOP_ID = "7495000000000000001"
APP = ("demo-app-key", "demo-app-secret", "demo-access-token")
SF = ("SF Express (顺丰)", "7208502187360519003")  # the demo's "Shipped by seller" provider
QPS = 2000
WRITE_PATHS = {template(path) for path, method, _h, _c in ROUTES if is_write(path, method)}
LOOKBACK = timedelta(days=14)
COLUMNS = ["id", "name", "seller_warehouse_id", "contact_person", "phone", "region_code", "state", "city",
           "district", "street", "postal_code", "handover_mode"]  # fmt: skip


def scenario(n: int, shipments: int) -> dict[str, Any]:
    """The demo scenario with ``n`` more warehouses in its shop, copies of its first one, and
    ``shipments`` orders shipped by the seller three days ago from that first warehouse."""
    data = json.loads(resources.files("erpsync.sandbox").joinpath("scenarios", "demo.json").read_text("utf-8"))
    warehouses = data["shops"][0]["warehouses"]
    first = warehouses[0]
    for i in range(n):
        extra = copy.deepcopy(first)
        extra.update(id=f"WH-N{i:05d}", name=f"仓 {i}", is_default=False)
        warehouses.append(extra)
    for i in range(shipments):
        order, package = f"5769880000{i:08d}", f"1154880000{i:08d}"
        data["orders"].append(
            {
                "id": order,
                "warehouse_id": first["id"],
                "status": "IN_TRANSIT",
                "create_time": "-3d",
                "shipping_type": "SELLER",
            }
        )
        data["packages"].append(
            {
                "id": package,
                "order_ids": [order],
                "tracking_number": f"SF{8000000000 + i}",
                "status": "FULFILLING",
                "create_time": "-3d",
                "shipped_at": "-3d",
                "shipping_type": "SELLER",
            }
        )
    data["rate_limit_qps"] = QPS
    data["audit_delay_seconds"] = 0  # created products pass their audit at once
    return data


def png() -> bytes:
    """A 300x300 PNG, the image every product shows (Create Product wants an uploaded one)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 300, 300, 8, 2, 0, 0, 0)  # MAIN_IMAGE: 300x300 to 4000x4000 px
    pixels = chunk(b"IDAT", zlib.compress(b"\0" * 901 * 300))  # 300 black rows of 300 RGB pixels
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + pixels + chunk(b"IEND", b"")


def write_products(path: Path, count: int) -> None:
    """``count`` products of one SKU each, all showing the uploaded image ``front.png``."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["id", "seller_sku", "title", "description", "price", "currency", "inventory", "images",
                      "attributes"])  # fmt: skip
        for i in range(count):
            out.writerow([f"P{i}", f"SKU-{i:06d}", f"Mug {i}", f"<p>A mug, number {i}.</p>", f"{4 + i % 50}.99",
                          "USD", str(i % 300), "front.png", "material=Stoneware"])  # fmt: skip


def write_shipments(path: Path, count: int) -> None:
    """One ERP shipment per shipped package, with the number Seller Center has."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["id", "package_id", "order_id", "tracking_number", "carrier"])
        for i in range(count):
            out.writerow([f"S{i}", f"1154880000{i:08d}", f"5769880000{i:08d}", f"SF{8000000000 + i}", SF[0]])


def upload_image(url: str, root: Path) -> str:
    """The uri Seller Center gives the product image (the ERP names it ``front.png``)."""
    key, secret, token = APP
    options = {"base_url": url, "app_key": key, "app_secret": secret, "access_token": token, "shop_id": SHOP_ID}
    seller = TikTokSellerConnector(options, shop=ShopContext(name="bench", base_dir=root))
    try:
        return ProductsApi(seller.tiktok_client, seller.cipher()).upload_image(png(), "front.png").uri
    finally:
        seller.close()


def erp_rows(state: dict[str, Any]) -> list[dict[str, str]]:
    """An ERP that agrees with Seller Center on every address; handover modes left to the seller."""
    rows = []
    for i, w in enumerate(w for w in state["warehouses"] if w["shop_id"] == SHOP_ID):
        a = w["address"]
        street = " ".join(a[f"address_line{n}"] for n in range(1, 5) if a.get(f"address_line{n}"))
        rows.append({"id": f"E{i}", "name": w["name"], "seller_warehouse_id": w["id"],
                     "contact_person": a["contact_person"], "phone": a["phone_number"],
                     "region_code": a["region_code"], "state": a["state"], "city": a["city"],
                     "district": a["distict"], "street": street, "postal_code": a["postal_code"],
                     "handover_mode": ""})  # fmt: skip
    return rows


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    lines = [",".join(COLUMNS)] + [",".join(r[c].replace(",", " ") for c in COLUMNS) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def file_writes(folder: Path) -> Callable[[], int]:
    """Count writes into ``folder`` from now on: opened for writing, or replaced (audit hooks stay)."""
    count = [0]
    root = str(folder.resolve())

    def hook(event: str, args: tuple[Any, ...]) -> None:
        opened = event == "open" and str(args[0]).startswith(root) and any(m in str(args[1]) for m in "wax+")
        replaced = event in ("os.replace", "os.rename") and str(args[1]).startswith(root)
        count[0] += opened or replaced

    sys.addaudithook(hook)
    return lambda: count[0]


def main(n: int, products: int, shipments: int) -> None:
    with SandboxServer(scenario(n, shipments)) as sandbox, tempfile.TemporaryDirectory() as tmp:
        api = requests.Session()

        def admin(method: str, path: str, body: Any = None) -> Any:
            r = api.request(method, f"{sandbox.url}/_sandbox/{path}", json=body, timeout=60)
            r.raise_for_status()
            return r.json()["data"]

        for i in range(n):
            admin("POST", "packages", {"warehouse_id": f"WH-N{i:05d}", "handover_method": "DROP_OFF"})
        state = admin("GET", "state")
        root = Path(tmp)
        (root / "erp").mkdir()
        write_csv(root / "erp" / "warehouses.csv", erp_rows(state))
        write_products(root / "erp" / "products.csv", products)
        write_shipments(root / "erp" / "shipments.csv", shipments)
        uri = upload_image(sandbox.url, root)
        (root / "erpsync.toml").write_text(
            f'[[shops]]\nname = "bench"\n[shops.seller]\ntype = "tiktok"\nbase_url = "{sandbox.url}"\n'
            'app_key = "demo-app-key"\napp_secret = "demo-app-secret"\naccess_token = "demo-access-token"\n'
            f'shop_id = "{SHOP_ID}"\nrate_limit_qps = {QPS}\nconcurrency = 8\n'
            '[shops.erp]\ntype = "files"\npath = "erp"\nproducts = "products.csv"\nshipments = "shipments.csv"\n'
            f'[aspects.listings]\ncategory_id = "600001"\nwarehouse_id = "{state["warehouses"][0]["id"]}"\n'
            f'images = {{ "front.png" = "{uri}" }}\n'
            f'[aspects.tracking]\ncarriers = {{ "{SF[0]}" = "{SF[1]}" }}\n',
            encoding="utf-8",
        )
        pm = get_plugin_manager(entrypoints=False)
        registry = build_registry(pm)
        offset = [0.0]

        def now() -> datetime:
            return datetime.now(UTC) + timedelta(seconds=offset[0])

        def run() -> None:
            syncer = Syncer(load_settings(root / "erpsync.toml", registry), pm=pm, registry=registry, clock=now)
            try:
                syncer.run(apply=True)
            finally:
                syncer.close()

        # an hour passes between the packages' last change and each run, so none is inside the
        # search's overlap window (a change that close to a run is searched for again, by design)
        offset[0] = float(admin("POST", "clock", {"advance_seconds": 3600})["offset_seconds"])
        run()  # the first run reads everything and fixes what it may
        offset[0] = float(admin("POST", "clock", {"advance_seconds": 3600})["offset_seconds"])
        admin("DELETE", "counts")
        effects_before = admin("GET", "effects")
        writes_to_erp = file_writes(root / "erp")
        started = time.monotonic()
        run()
        elapsed = time.monotonic() - started
        counts = admin("GET", "counts")
        effects_after = admin("GET", "effects")
        erp_writes = writes_to_erp()
        state = admin("GET", "state")

    effect_writes = sum(sum(v.values()) for v in effects_after.values()) - sum(
        sum(v.values()) for v in effects_before.values()
    )
    horizon = state["clock"]["virtual_now"] - int(LOOKBACK.total_seconds())
    with_packages = {
        p["warehouse_id"] for p in state["packages"] if p["shop_id"] == SHOP_ID and p["create_time"] >= horizon
    }
    warehouses = sum(1 for w in state["warehouses"] if w["shop_id"] == SHOP_ID)
    packages = sum(1 for p in state["packages"] if p["shop_id"] == SHOP_ID and p["create_time"] >= horizon)
    needed = {
        "cipher lookups": 1,
        "warehouse list pages": 1,
        "package search pages": 1,
        "handover slots (warehouses with packages)": len(with_packages),
    }
    needed["order search pages (ship_by: orders awaiting shipment, one search per status)"] = len(AWAITING_SHIPMENT)
    needed["failed-audit search pages (listings)"] = 1 if products else 0
    needed["package search pages (tracking: what moved since the cache's cursor)"] = 1 if shipments else 0
    write_calls = sum(c["calls"] for path, c in counts["paths"].items() if path in WRITE_PATHS)
    reads = counts["total"]["calls"] - write_calls
    product_reads = sum(c["calls"] for path, c in counts["paths"].items() if path.startswith("/product/"))
    writes = effect_writes + erp_writes
    first = {kind: sum(by_id.values()) for kind, by_id in effects_before.items() if by_id}
    print("first run's writes: " + (", ".join(f"{k} {v}" for k, v in sorted(first.items())) or "none"))
    print(
        f"second run over {warehouses} warehouses, {packages} packages in the lookback, {products} products and "
        f"{shipments} shipments, nothing changed"
    )
    for path, c in sorted(counts["paths"].items()):
        print(f"  {c['calls']:6d}  {path}" + (f" ({c['429']} answered 429)" if c["429"] else ""))
    print("reads needed for what changed:")
    for what, count in needed.items():
        print(f"  {count:6d}  {what}")
    total_needed = sum(needed.values())
    print(
        f"writes: {writes} (sandbox effects {effect_writes}, ERP file writes {erp_writes}; write calls {write_calls})"
    )
    print(
        f"noop: warehouses={warehouses} packages={packages} writes={writes} reads={reads} "
        f"needed={total_needed} ratio={reads / total_needed:.2f} products={products} shipments={shipments} "
        f"write_calls={write_calls} product_reads={product_reads} run_s={elapsed:.1f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=100, help="extra warehouses, one package each")
    parser.add_argument("--products", type=int, default=20_000, help="ERP products, all listed and unchanged")
    parser.add_argument("--shipments", type=int, default=20_000, help="ERP shipments, all shipped and unchanged")
    parser.add_argument("--quick", action="store_true", help="2,000 products and 2,000 shipments")
    args = parser.parse_args()
    if args.quick:
        args.products, args.shipments = 2_000, 2_000
    main(args.n, args.products, args.shipments)
