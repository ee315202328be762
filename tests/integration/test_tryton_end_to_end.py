"""Seller Center (the sandbox) against a real Tryton on loopback, through the real CLI and Syncer.

Tryton is seeded through its own JSON-RPC as its client would (erpsync/erp_servers/tryton_seed.py),
the shop's ``[shops.erp]`` is ``type = "tryton"``, and the outcome is read back from both sides:
the sandbox's state and effect counts, and Tryton's records.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from image_bytes import png
from tryton_world import seed_seller_warehouses, seeder, tryton, use_tryton, warehouse_address  # noqa: F401

from erpsync.connectors.tiktok.products.api import ProductsApi
from erpsync.connectors.tiktok.seller import TikTokSellerConnector
from erpsync.core.connector import ShopContext
from erpsync.core.listings import ErpProduct
from erpsync.erp_servers.tryton_seed import Variant
from erpsync.plugins import hookimpl
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sync import Syncer

pytestmark = pytest.mark.integration

#: the demo scenario's app, token and shop (erpsync/sandbox/scenarios/demo.json)
DEMO = ("demo-app-key", "demo-app-secret", "demo-access-token", "7495000000000000001")
IN_SYNC_MODES = {"WH-DG": "DROP OFF", "WH-SZ": "PICK UP"}


def drifts(report: dict) -> set[tuple[str, str]]:
    return {(d["warehouse"], d["field"]) for s in report["shops"] for a in s["aspects"] for d in a["drifts"]}


def test_a_drifted_warehouse_is_planned_applied_in_tryton_and_then_in_sync(demo_ws, tryton, seeder):  # noqa: F811
    modes = {**IN_SYNC_MODES, "WH-DG": "PICK UP"}  # WH-DG is not subscribed: the ERP is wrong
    seed_seller_warehouses(seeder, demo_ws, modes)
    sz = demo_ws.seller_warehouses()[1]["address"]
    seller_street = sz["address_line1"]
    (sz_location,) = seeder.call("stock.location", "search", [["code", "=", "WH-SZ"]], 0, None, None)
    (address,) = seeder.call("stock.location", "read", [sz_location], ["address"])
    seeder.write("party.address", [address["address"]], {"street_unstructured": seller_street + "B座"})
    use_tryton(demo_ws, tryton)

    plan = demo_ws.cli("reconcile", "--format", "json")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert drifts(json.loads(plan.stdout)) == {("WH-DG", "handover_mode"), ("WH-SZ", "street")}
    assert warehouse_address(seeder, "WH-DG")["post_box"] == "PICK UP"  # a plan writes nothing

    applied = demo_ws.cli("reconcile", "--apply")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "fixed in ERP" in applied.stdout
    assert warehouse_address(seeder, "WH-DG")["post_box"] == "DROP OFF"
    assert warehouse_address(seeder, "WH-SZ")["street"] == seller_street

    again = demo_ws.cli("reconcile")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "In sync" in again.stdout


# --- listings --------------------------------------------------------------------------------------------------


class PhotoPlugin:
    """What a seller whose Tryton keeps no photos writes: the listing's photo from elsewhere (``map_listing``)."""

    def __init__(self, uri: str) -> None:
        self.uri = uri

    @hookimpl
    def map_listing(self, product: ErpProduct, body: dict[str, Any]) -> None:
        body["main_images"] = [{"uri": self.uri}]


def upload_photo(ws) -> str:
    """A photo uploaded through the Open API, as a listing's images must be; its uri."""
    key, secret, token, shop_id = DEMO
    options = {"base_url": ws.url, "app_key": key, "app_secret": secret, "access_token": token, "shop_id": shop_id}
    seller = TikTokSellerConnector(options, shop=ShopContext(name="shop", base_dir=ws.root))
    try:
        return ProductsApi(seller.tiktok_client, seller.cipher()).upload_image(png(), "photo.png").uri
    finally:
        seller.close()


def run_aspect(ws, aspect: str, *plugins: object):
    pm = get_plugin_manager(entrypoints=False)
    for plugin in plugins:
        pm.register(plugin)
    registry = build_registry(pm)
    syncer = Syncer(load_settings(ws.config, registry), pm=pm, registry=registry)
    try:
        report = syncer.run(aspects=[aspect], apply=True)
    finally:
        syncer.close()
    (shop,) = report.shops
    assert shop.error is None, shop.error
    (result,) = shop.aspects
    return result


def test_a_tryton_product_is_listed_once_then_its_price_and_stock_follow(demo_ws, tryton, seeder):  # noqa: F811
    warehouses = seed_seller_warehouses(seeder, demo_ws, IN_SYNC_MODES)
    (mug,) = seeder.product(
        "MUG", "Stoneware mug 350 ml", [Variant("MUG-350", Decimal("9.90"), 40)], warehouse=warehouses["WH-DG"]
    )
    use_tryton(demo_ws, tryton, extra='[aspects.listings]\ncategory_id = "600001"\nwarehouse_id = "WH-DG"\n')
    demo_ws.admin("POST", "settings", {"audit_delay_seconds": 0})  # audits pass at once: prices can be set
    photo = PhotoPlugin(upload_photo(demo_ws))
    demo_ws.admin("DELETE", "effects")

    first = run_aspect(demo_ws, "listings", photo)
    assert first.record_errors == [], first.record_errors
    assert [(r.action.kind, r.status) for r in first.actions] == [("create_listing", "applied")], first.actions
    assert effects(demo_ws) == {"product_create": {"MUG-350": 1}}
    assert run_aspect(demo_ws, "listings", photo).actions == []  # bound and in agreement: nothing to push

    seeder.write("product.product", [mug], {"list_price": {"__class__": "Decimal", "decimal": "8.50"}})
    seeder.stock(warehouses["WH-DG"], {mug: 45})  # a stocktake counts 45
    changed = run_aspect(demo_ws, "listings", photo)
    assert sorted((r.action.kind, r.status) for r in changed.actions) == [
        ("set_inventory", "applied"),
        ("set_prices", "applied"),
    ], [(r.action.kind, r.status, r.detail) for r in changed.actions]
    assert effects(demo_ws) == {
        "product_create": {"MUG-350": 1},
        "price_update": {"MUG-350": 1},
        "inventory_update": {"MUG-350": 1},
    }
    (sku,) = [
        s for p in demo_ws.admin("GET", "products")["products"] for s in p["skus"] if s["seller_sku"] == "MUG-350"
    ]
    assert (Decimal(sku["price"]["sale_price"]), sku["price"]["currency"]) == (Decimal("8.50"), "CNY")  # the company's
    assert {i["warehouse_id"]: i["quantity"] for i in sku["inventory"]} == {"WH-DG": 45}
    assert run_aspect(demo_ws, "listings", photo).actions == []


def effects(ws) -> dict[str, dict[str, int]]:
    return {k: v for k, v in ws.admin("GET", "effects").items() if v}


# --- tracking ----------------------------------------------------------------------------------------------------

SF = "SF Express (顺丰)"  # a provider of the demo shop's "Shipped by seller" option


def awaiting_shipment(ws, count: int, prefix: str = "1154880000") -> dict[str, str]:
    """``count`` orders awaiting shipment at WH-DG in Seller Center; package id → order id."""
    packages = {}
    with requests.Session() as session:
        for i in range(count):
            pkg, order = f"{prefix}{i:08d}", f"5768{prefix[4:]}{i:08d}"
            body = {"warehouse_id": "WH-DG", "id": order, "package": {"id": pkg}, "shipping_type": "SELLER"}
            session.post(f"{ws.url}/_sandbox/orders", json=body, timeout=10).raise_for_status()
            packages[pkg] = order
    ws.admin("DELETE", "effects")
    ws.admin("DELETE", "counts")
    return packages


def ships(ws) -> dict[str, int]:
    return ws.admin("GET", "effects")["ship"]


def tracking_numbers(ws, ids) -> dict[str, str]:
    return {p["id"]: p["tracking_number"] for p in ws.admin("GET", "state")["packages"] if p["id"] in ids}


def test_tryton_shipments_ship_each_package_once_with_its_order(demo_ws, tryton, seeder):  # noqa: F811
    warehouses = seed_seller_warehouses(seeder, demo_ws, IN_SYNC_MODES)
    (mug,) = seeder.product("MUG", "Mug", [Variant("MUG-1", Decimal("4"), 10)], warehouse=warehouses["WH-DG"])
    packages = awaiting_shipment(demo_ws, 3)
    numbers = {}
    for i, (pkg, order) in enumerate(packages.items()):
        sale = seeder.sale(order, {mug: 1}, warehouse=warehouses["WH-DG"])
        numbers[pkg] = f"SF31{i:08d}"
        seeder.shipment(
            pkg,
            warehouse=warehouses["WH-DG"],
            products={mug: 1},
            shipping_reference=numbers[pkg],
            carrier=SF,
            sale=sale,
        )
    # a shipment the carrier has not numbered yet is not read, and is not an error
    seeder.shipment("NOT-YET", warehouse=warehouses["WH-DG"], products={mug: 1})
    use_tryton(demo_ws, tryton)

    first = demo_ws.cli("push", "tracking")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "3 pushed, 0 already done, 0 failed, 0 skipped" in first.stdout
    assert ships(demo_ws) == dict.fromkeys(packages, 1)
    assert tracking_numbers(demo_ws, set(packages)) == numbers

    second = demo_ws.cli("push", "tracking")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "0 pushed" in second.stdout
    assert ships(demo_ws) == dict.fromkeys(packages, 1)


def test_a_tryton_shipment_without_a_carrier_is_named_and_the_rest_ship(demo_ws, tryton, seeder):  # noqa: F811
    warehouses = seed_seller_warehouses(seeder, demo_ws, IN_SYNC_MODES)
    (mug,) = seeder.product("MUG", "Mug", [Variant("MUG-1", Decimal("4"), 10)], warehouse=warehouses["WH-DG"])
    good, bad = awaiting_shipment(demo_ws, 2)
    seeder.shipment(good, warehouse=warehouses["WH-DG"], products={mug: 1}, shipping_reference="SF41", carrier=SF)
    no_carrier = seeder.shipment(bad, warehouse=warehouses["WH-DG"], products={mug: 1}, shipping_reference="SF42")
    use_tryton(demo_ws, tryton)

    out = demo_ws.cli("push", "tracking")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "1 pushed" in out.stdout and "1 bad record(s)" in out.stdout
    assert f"shipment '{seeder.shipment_number(no_carrier)}': carrier" in out.stdout
    assert ships(demo_ws) == {good: 1}


# --- crash and rerun ---------------------------------------------------------------------------------------------

PACKAGES = 150
QPS = 2000  # the pacing is not under test (bench/push_tracking.py measures it): a run's time is its work


def start_push(ws, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "COLUMNS": "200", "ERPSYNC_CONFIG": str(ws.config)}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "erpsync", "push", "tracking"], cwd=ws.root, env=env, stdout=out, stderr=out
        )


def tail(log: Path, lines: int = 15) -> str:
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def test_killed_mid_push_and_rerun_every_tryton_shipment_ships_exactly_once(demo_ws, tryton, seeder, tmp_path):  # noqa: F811
    warehouses = seed_seller_warehouses(seeder, demo_ws, IN_SYNC_MODES)
    (mug,) = seeder.product("MUG", "Mug", [Variant("MUG-1", Decimal("4"), 10)], warehouse=warehouses["WH-DG"])
    demo_ws.admin("POST", "settings", {"rate_limit_qps": QPS})
    packages = awaiting_shipment(demo_ws, PACKAGES)
    numbers = {pkg: f"SF{8000000000 + i}" for i, pkg in enumerate(packages)}
    for pkg, number in numbers.items():
        seeder.shipment(pkg, warehouse=warehouses["WH-DG"], products={mug: 1}, shipping_reference=number, carrier=SF)
    use_tryton(demo_ws, tryton)
    text = demo_ws.config.read_text(encoding="utf-8")
    demo_ws.config.write_text(text.replace("max_attempts = 8\n", f"max_attempts = 8\nrate_limit_qps = {QPS}\n"))
    log = tmp_path / "push.log"

    # three Batch Ship Packages calls of 50, 300 ms each: the kill, sent as the first is seen, has
    # two calls' time to land before the last ends, even on a loaded machine
    demo_ws.admin("POST", "faults", {"latency_ms": 300})
    proc = start_push(demo_ws, log)
    deadline = time.monotonic() + 120
    while sum(ships(demo_ws).values()) < PACKAGES // 5:
        assert proc.poll() is None, f"the run ended (exit {proc.returncode}) before the kill:\n{tail(log)}"
        assert time.monotonic() < deadline, tail(log)
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    killed_at = sum(ships(demo_ws).values())
    assert 0 < killed_at < PACKAGES, f"killed at {killed_at} ships"
    demo_ws.admin("POST", "faults", {"latency_ms": 0})

    for _ in range(3):
        rerun = start_push(demo_ws, log)
        if rerun.wait(timeout=300) == 0:
            break
    else:
        raise AssertionError(f"no clean rerun:\n{tail(log)}")
    counted = ships(demo_ws)
    assert {p: n for p, n in counted.items() if n != 1} == {}, "shipped twice"
    assert set(counted) == set(packages), f"never shipped: {sorted(set(packages) - set(counted))[:5]}"
    assert tracking_numbers(demo_ws, set(packages)) == numbers
    assert demo_ws.admin("GET", "effects")["shipping_info_update"] == {}
    calls = demo_ws.counts()["total"]
    last = start_push(demo_ws, log)
    assert last.wait(timeout=300) == 0, tail(log)
    assert ships(demo_ws) == counted
    assert demo_ws.counts()["total"]["calls"] >= calls["calls"]  # it read, and shipped nothing


# --- the demo ----------------------------------------------------------------------------------------------------


def erpsync(*args: str, cwd: Path, prelude: str = "") -> subprocess.CompletedProcess[str]:
    """The real ``erpsync`` command in a child process; ``prelude`` runs first in that process."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TTS_", "ERPSYNC_"))}
    code = f"{prelude}\nfrom erpsync.cli import main\nmain({list(args)!r})"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env={**environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_the_demo_runs_the_whole_job_against_a_local_tryton(tmp_path):
    result = erpsync("demo", "--erp", "tryton", "--dir", "ws", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "3 drift(s) found on 1 shop(s); 2 correction(s) planned" in out
    assert "3 drift(s) found on 1 shop(s); 3 fixed, 0 still open." in out
    assert "In sync: 1 shop(s), no drift." in out
    assert "WH-DG: 振安中路 88号 3栋, 陈伟, handover DROP OFF" in out  # read back from Tryton after --apply
    summaries = [line for line in out[out.index("6. Tryton lists") :].splitlines() if line.startswith("demo-shop: ")]
    assert summaries == [
        "demo-shop: 1 pushed, 0 already done, 0 failed, 0 skipped",
        "demo-shop: 1 pushed, 0 already done, 0 failed, 0 skipped",
        "demo-shop: 0 pushed, 0 already done, 0 failed, 0 skipped: nothing to push",
        "demo-shop: 0 pushed, 0 already done, 0 failed, 0 skipped: nothing to push",
    ]
    assert "1 create(s) of product MUG-350, 1 ship call(s) for package 115490000000000001: each push made once" in out
    assert 'type = "tryton"' in (tmp_path / "ws" / "erpsync.toml").read_text(encoding="utf-8")
    assert (tmp_path / "ws" / "tryton" / "erpsync.sqlite").exists()


def test_the_tryton_demo_without_trytond_names_the_extra(tmp_path):
    # what a machine without the extra looks like to the command: trytond cannot be imported
    result = erpsync(
        "demo", "--erp", "tryton", "--dir", "ws", cwd=tmp_path, prelude="import sys\nsys.modules['trytond'] = None"
    )
    assert result.returncode != 0
    assert "pip install 'erpsync[tryton]'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "ws").exists()  # refused before the workspace was touched
