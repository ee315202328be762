"""How close does a reconcile get to the rate-limit floor at the shapes real shops have?

Each shape starts its own sandbox over loopback with a generated scenario (one app whose token
covers every shop; each shop has its own cipher, warehouses and recent packages), writes a
config with one [[shops]] table and one ERP file per shop (agreeing with Seller Center, so the
run measures reading and comparing, not recording drifts), and runs one plan-only reconcile
through the real Syncer and TikTok connector. Per shape it prints:

- requests: every emulated-API call, counted by the sandbox (``/_sandbox/counts``), and how many
  it answered 429;
- the floor: the least time those requests need at the platform's 50 calls per second per API,
  app and shop (Partner Center, "Rate limits"). Paths and shops have budgets of their own, so
  they could all overlap: the floor is the busiest (shop, path)'s requests / 50. The sandbox
  counts per path, and every shop of a shape has the same data and makes the same calls, so a
  (shop, path) has that path's requests / shops (rounded up), except on a path called without
  a shop (the authorised-shops list), which the sandbox limits per app: all its requests count;
- the elapsed wall time of the run and its ratio to the floor (1.0 = as fast as the limit allows).

Shapes (``--quick`` shrinks the big ones):

- ``wide``     1 shop x 300 warehouses, 1 package each (quick: 60 warehouses)
- ``shops``    10 shops x 2 warehouses x 15 packages
- ``latency``  1 shop x 2 warehouses x 100 packages, 50 ms sandbox latency per call (quick: 50)
- ``qps50``    1 shop x 2 warehouses x 100 packages, ``rate_limit_qps = 50`` configured (quick: 50)
- ``many``     1,000 shops x 1 warehouse x 1 package (quick: 50 shops)

Then one line ``reconcile_shapes: wide_ratio=... wide_429=... ...`` for all shapes run.

Usage: python bench/reconcile_shapes.py [--quick] [--concurrency N] [SHAPE ...]   (default: all)
"""

from __future__ import annotations

import argparse
import logging
import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from erpsync.core.rate_limit import RATE_LIMITS
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sandbox import SandboxServer
from erpsync.sandbox.scenario import resolve_source
from erpsync.sync import Syncer

QPS = 50
#: paths called without a shop cipher: their limit is the app's, shared by every shop
SHOPLESS = frozenset({"/authorization/202309/shops"})
APP_KEY, APP_SECRET, TOKEN = "demo-app-key", "demo-app-secret", "demo-access-token"


@dataclass(frozen=True)
class Shape:
    name: str
    shops: int
    warehouses: int  # per shop
    packages: int  # per warehouse
    latency_ms: int = 0
    rate_limit_qps: float | None = None  # None: the connector's default


def shapes(quick: bool) -> list[Shape]:
    return [
        Shape("wide", 1, 60 if quick else 300, 1),
        Shape("shops", 10, 2, 15),
        Shape("latency", 1, 2, 50 if quick else 100, latency_ms=50),
        Shape("qps50", 1, 2, 50 if quick else 100, rate_limit_qps=QPS),
        Shape("many", 50 if quick else 1000, 1, 1),
    ]


def shop_id(i: int) -> str:
    return f"{7496000000000000000 + i}"


def warehouse_id(i: int, j: int) -> str:
    return f"WH-{i:04d}-{j:03d}"


def scenario(shape: Shape) -> dict[str, Any]:
    """The demo scenario's geography and carriers, with the shape's shops and warehouses."""
    demo = resolve_source("demo")
    templates = demo["shops"][0]["warehouses"]  # 东莞仓 (no pickup) and 深圳仓 (active pickup)
    shops = []
    for i in range(shape.shops):
        warehouses = []
        for j in range(shape.warehouses):
            template = templates[j % len(templates)]
            warehouses.append(
                {
                    "id": warehouse_id(i, j),
                    "name": f"{template['name']} {j}",
                    "is_default": j == 0,
                    "address": template["address"],
                    "subscription": template["subscription"],
                }
            )
        shops.append(
            {
                "id": shop_id(i),
                "name": f"Bench shop {i}",
                "region": "GB",
                "cipher": f"ROW_bench{i:06d}",
                "warehouses": warehouses,
            }
        )
    token = {"access_token": TOKEN, "expires_at": 4102444800, "shops": [s["id"] for s in shops]}
    return {
        "name": f"bench-{shape.name}",
        "rate_limit_qps": QPS,
        "apps": [{"app_key": APP_KEY, "app_secret": APP_SECRET, "tokens": [token]}],
        "carriers": demo["carriers"],
        "regions": demo["regions"],
        "shops": shops,
    }


ERP_HEADER = (
    "id,name,seller_warehouse_id,contact_person,phone,region_code,state,city,district,street,postal_code,handover_mode"
)


def erp_row(i: int, j: int, template: dict[str, Any]) -> str:
    """The ERP's row for a warehouse, agreeing with Seller Center: a steady state, no drift to record."""
    a = template["address"]
    mode = "PICK UP" if template["subscription"]["status"] == "active" else "DROP OFF"
    cells = [f"E{j}", f"{template['name']} {j}", warehouse_id(i, j), a["contact_person"], a["phone_number"]]
    cells += [a["region_code"], a["state"], a["city"], a["distict"], a["address_line1"], a["postal_code"], mode]
    return ",".join(cells)


def write_config(root: Path, shape: Shape, url: str, concurrency: int | None) -> Path:
    lines = [] if concurrency is None else [f"concurrency = {concurrency}"]
    templates = resolve_source("demo")["shops"][0]["warehouses"]
    for i in range(shape.shops):
        erp = root / f"erp{i}"
        erp.mkdir()
        rows = [erp_row(i, j, templates[j % len(templates)]) for j in range(shape.warehouses)]
        (erp / "warehouses.csv").write_text(ERP_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
        qps = "" if shape.rate_limit_qps is None else f"rate_limit_qps = {shape.rate_limit_qps}\n"
        lines.append(
            f'[[shops]]\nname = "shop{i}"\n[shops.seller]\ntype = "tiktok"\nbase_url = "{url}"\n'
            f'app_key = "{APP_KEY}"\napp_secret = "{APP_SECRET}"\naccess_token = "{TOKEN}"\n'
            f'shop_id = "{shop_id(i)}"\n{qps}[shops.erp]\ntype = "files"\npath = "erp{i}"\n'
        )
    path = root / "erpsync.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def run_shape(shape: Shape, concurrency: int | None) -> dict[str, float]:
    RATE_LIMITS.clear()  # every shape starts at the configured rates
    with SandboxServer(scenario=scenario(shape)) as sandbox, tempfile.TemporaryDirectory() as tmp:
        session = requests.Session()
        for i in range(shape.shops):
            for j in range(shape.warehouses):
                body = {"warehouse_id": warehouse_id(i, j), "count": shape.packages}
                session.post(f"{sandbox.url}/_sandbox/packages", json=body, timeout=30).raise_for_status()
        if shape.latency_ms:
            faults = {"latency_ms": shape.latency_ms}
            session.post(f"{sandbox.url}/_sandbox/faults", json=faults, timeout=10).raise_for_status()
        pm = get_plugin_manager(entrypoints=False)
        registry = build_registry(pm)
        settings = load_settings(write_config(Path(tmp), shape, sandbox.url, concurrency), registry)
        syncer = Syncer(settings, pm=pm, registry=registry)
        session.delete(f"{sandbox.url}/_sandbox/counts", timeout=10)
        started = time.perf_counter()
        report = syncer.run()
        elapsed = time.perf_counter() - started
        syncer.close()
        counts = session.get(f"{sandbox.url}/_sandbox/counts", timeout=10).json()["data"]
    failed = [s for s in report.shops if s.error]
    per_shop = {
        path: c["calls"] if path in SHOPLESS else math.ceil(c["calls"] / shape.shops)
        for path, c in counts["paths"].items()
    }
    busiest = max(per_shop, key=lambda p: per_shop[p])
    floor = per_shop[busiest] / QPS
    total, refused = counts["total"]["calls"], counts["total"]["429"]
    print(
        f"{shape.name}: {shape.shops} shop(s) x {shape.warehouses} warehouse(s) x {shape.packages} package(s)"
        f"{f', latency {shape.latency_ms} ms' if shape.latency_ms else ''}"
        f"{f', rate_limit_qps = {shape.rate_limit_qps:g}' if shape.rate_limit_qps else ''}"
    )
    for path, c in counts["paths"].items():
        print(f"  {c['calls']:7d}  {path}  ({c['429']} x 429)")
    print(
        f"  requests {total}, 429s {refused}; busiest (shop, path): {per_shop[busiest]} on {busiest}; "
        f"floor {floor:.2f} s; elapsed {elapsed:.2f} s; ratio {elapsed / floor:.2f}"
        + (f"; {len(failed)} shop(s) failed" if failed else "")
    )
    return {"requests": total, "floor_s": floor, "elapsed_s": elapsed, "ratio": elapsed / floor, "429": refused}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("shapes", nargs="*", help="shape names (default: all)")
    parser.add_argument("--quick", action="store_true", help="shrink the big shapes")
    parser.add_argument("--concurrency", type=int, default=None, help="shops side by side (config `concurrency`)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # drift alerts and retries would drown the figures
    chosen = [s for s in shapes(args.quick) if not args.shapes or s.name in args.shapes]
    unknown = set(args.shapes) - {s.name for s in shapes(args.quick)}
    if unknown:
        parser.error(f"unknown shapes {sorted(unknown)}; known: {', '.join(s.name for s in shapes(False))}")
    results = {shape.name: run_shape(shape, args.concurrency) for shape in chosen}
    fields = " ".join(
        f"{name}_requests={r['requests']} {name}_floor_s={r['floor_s']:.2f} {name}_elapsed_s={r['elapsed_s']:.2f} "
        f"{name}_ratio={r['ratio']:.2f} {name}_429={r['429']}"
        for name, r in results.items()
    )
    print(f"reconcile_shapes: quick={int(args.quick)} {fields}")


if __name__ == "__main__":
    main()
