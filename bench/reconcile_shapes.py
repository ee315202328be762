"""How close does a reconcile get to the rate-limit floor at the shapes real shops have?

Each shape starts its own sandbox over loopback, in a process of its own, with a generated scenario (one app whose token
covers every shop; each shop has its own cipher, warehouses and recent packages), writes a
config with one [[shops]] table and one ERP file per shop (agreeing with Seller Center, so the
run measures reading and comparing, not recording drifts), and runs one plan-only reconcile
through the real Syncer and TikTok connector. The sandbox does not share the run's interpreter: the
platform's servers spend none of the client's CPU, and a sandbox thread in this process would hold
the interpreter lock for every answer it builds, so the figures would time the sandbox. Per shape
it prints:

- requests: every emulated-API call, counted by the sandbox (``/_sandbox/counts``), and how many
  it answered 429;
- the floor: the least time those requests need at the platform's 50 calls per second per API,
  app and shop (Partner Center, "Rate limits"). Paths and shops have budgets of their own, so
  they could all overlap: the floor is the busiest (shop, path)'s requests / 50. The sandbox
  counts per path, and every shop of a shape has the same data and makes the same calls, so a
  (shop, path) has that path's requests / shops (rounded up), except on a path called without
  a shop (the authorised-shops list), which the sandbox limits per app: all its requests count;
- the elapsed wall time of the run and its ratio to the floor (1.0 = as fast as the limit allows);
- the client's CPU time (all its threads, ``time.process_time``) and per shop. The interpreter runs
  Python on one core at a time, and nearly all of a run's CPU is Python (parsing, HTTP plumbing,
  the store), so a run cannot end before its CPU time either: where that exceeds the rate floor
  (many small shops: a few calls each, all on budgets of their own) the CPU is the bound, and
  the ratio to the floor says only how far below the limit the client stays. So each run also
  names its bound (``rate`` or ``cpu``, the larger) and the ratio of its elapsed time to it.

Shapes (``--quick`` shrinks the big ones):

- ``wide``     1 shop x 300 warehouses, 1 package each (quick: 60 warehouses)
- ``shops``    10 shops x 2 warehouses x 15 packages
- ``latency``  1 shop x 2 warehouses x 100 packages, 50 ms sandbox latency per call (quick: 50)
- ``qps50``    1 shop x 2 warehouses x 100 packages, ``rate_limit_qps = 50`` configured (quick: 50)
- ``many``     1,000 shops x 1 warehouse x 1 package (quick: 50 shops)

Then one line ``reconcile_shapes: load=... wide_ratio=... wide_429=... wide_bound=... ...`` for all
shapes run (``load``: the one-minute load average as the bench started; the machine is shared).

``--timeline`` also prints, per run and API, when its calls were answered (seconds from the run's
start, first and last, noted by an observer of every HTTP call the client makes,
``core/http_observers.py``): which phases follow one another and which overlap.

Usage: python bench/reconcile_shapes.py [--quick] [--timeline] [--concurrency N] [SHAPE ...]   (default: all)
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from erpsync.connectors.tiktok.shop_directory import AUTHORISED_SHOPS
from erpsync.core.http_observers import CALL_OBSERVERS
from erpsync.core.rate_limit import RATE_LIMITS
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
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


class Sandbox:
    """The sandbox serving ``data`` in a child process on a free loopback port, until the block ends."""

    def __init__(self, data: dict[str, Any], folder: Path) -> None:
        self.path = folder / "scenario.json"
        self.path.write_text(json.dumps(data), encoding="utf-8")
        with socket.socket() as probe:  # a port free now; nothing else on this machine races for it
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Sandbox:
        command = [sys.executable, "-m", "erpsync.sandbox", "--port", str(self.port), "--scenario", str(self.path)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{self.url}/_sandbox/counts", timeout=1).raise_for_status()
                return self
            except requests.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the sandbox did not start") from None
                time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


class Timeline:
    """When each API's calls were answered during a run (seconds from ``start``), by the client's
    call observers; empty unless ``on``."""

    def __init__(self, on: bool) -> None:
        self.on = on
        self.start = 0.0
        self.answered: list[tuple[str, float]] = []

    def __enter__(self) -> Timeline:
        self.answered.clear()
        self.start = time.perf_counter()
        if self.on:
            CALL_OBSERVERS.append(self.note)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.on:
            CALL_OBSERVERS.remove(self.note)

    def note(self, api: str, status: int | None, rate_limited: bool) -> None:
        self.answered.append((api.split(" ", 1)[-1], time.perf_counter() - self.start))

    def print(self) -> None:
        by_api: dict[str, list[float]] = {}
        for api, at in self.answered:
            by_api.setdefault(api, []).append(at)
        for api, times in sorted(by_api.items(), key=lambda item: min(item[1])):
            print(f"    answered {min(times):6.2f} s to {max(times):6.2f} s: {len(times):5d}  {api}")


def run_shape(shape: Shape, concurrency: int | None, timeline: bool = False) -> dict[str, dict[str, Any]]:
    """The shape's first run (every package read) and a second one with nothing changed."""
    RATE_LIMITS.clear()  # every shape starts at the configured rates
    AUTHORISED_SHOPS.clear()  # and reads its own authorised-shops answer
    print(
        f"{shape.name}: {shape.shops} shop(s) x {shape.warehouses} warehouse(s) x {shape.packages} package(s)"
        f"{f', latency {shape.latency_ms} ms' if shape.latency_ms else ''}"
        f"{f', rate_limit_qps = {shape.rate_limit_qps:g}' if shape.rate_limit_qps else ''}"
    )
    with tempfile.TemporaryDirectory() as tmp, Sandbox(scenario(shape), Path(tmp)) as sandbox:
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
        results = {}
        for run in ("first", "again"):
            time.sleep(1.1)  # the sandbox counts calls over the last second: start each run on a fresh window
            session.delete(f"{sandbox.url}/_sandbox/counts", timeout=10)
            with Timeline(timeline) as answers:
                started, cpu = time.perf_counter(), time.process_time()
                report = syncer.run()
                elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            counts = session.get(f"{sandbox.url}/_sandbox/counts", timeout=10).json()["data"]
            results[run] = figures(shape, run, counts, elapsed, cpu, sum(1 for s in report.shops if s.error))
            answers.print()
        syncer.close()
    return results


def figures(shape: Shape, run: str, counts: dict[str, Any], elapsed: float, cpu: float, failed: int) -> dict[str, Any]:
    """Print one run's calls per path and its figures; return the figures."""
    per_shop = {
        path: c["calls"] if path in SHOPLESS else math.ceil(c["calls"] / shape.shops)
        for path, c in counts["paths"].items()
    }
    busiest = max(per_shop, key=lambda p: per_shop[p])
    floor = per_shop[busiest] / QPS
    total, refused = counts["total"]["calls"], counts["total"]["429"]
    print(f"  {run} run:")
    for path, c in counts["paths"].items():
        print(f"  {c['calls']:7d}  {path}  ({c['429']} x 429)")
    bound, bound_s = ("cpu", cpu) if cpu > floor else ("rate", floor)
    print(
        f"    requests {total}, 429s {refused}; busiest (shop, path): {per_shop[busiest]} on {busiest}; "
        f"floor {floor:.2f} s; elapsed {elapsed:.2f} s; ratio {elapsed / floor:.2f}; "
        f"client CPU {cpu:.2f} s ({cpu / shape.shops * 1000:.1f} ms per shop); "
        f"bound: {bound} ({bound_s:.2f} s), elapsed / bound {elapsed / bound_s:.2f}"
        + (f"; {failed} shop(s) failed" if failed else "")
    )
    return {
        "requests": total,
        "floor_s": floor,
        "elapsed_s": elapsed,
        "ratio": elapsed / floor,
        "429": refused,
        "cpu_s": cpu,
        "cpu_ms_per_shop": cpu / shape.shops * 1000,
        "bound": bound,
        "bound_ratio": elapsed / bound_s,
        "ms_per_shop": elapsed / shape.shops * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("shapes", nargs="*", help="shape names (default: all)")
    parser.add_argument("--quick", action="store_true", help="shrink the big shapes")
    parser.add_argument("--timeline", action="store_true", help="when each API's calls were answered, per run")
    parser.add_argument("--concurrency", type=int, default=None, help="shops side by side (config `concurrency`)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # drift alerts and retries would drown the figures
    chosen = [s for s in shapes(args.quick) if not args.shapes or s.name in args.shapes]
    unknown = set(args.shapes) - {s.name for s in shapes(args.quick)}
    if unknown:
        parser.error(f"unknown shapes {sorted(unknown)}; known: {', '.join(s.name for s in shapes(False))}")
    load = os.getloadavg()[0]
    results = {shape.name: run_shape(shape, args.concurrency, args.timeline) for shape in chosen}
    fields = " ".join(
        f"{name}_requests={r['first']['requests']} {name}_floor_s={r['first']['floor_s']:.2f} "
        f"{name}_elapsed_s={r['first']['elapsed_s']:.2f} {name}_ratio={r['first']['ratio']:.2f} "
        f"{name}_429={r['first']['429']} {name}_cpu_s={r['first']['cpu_s']:.2f} "
        f"{name}_cpu_ms_per_shop={r['first']['cpu_ms_per_shop']:.1f} {name}_bound={r['first']['bound']} "
        f"{name}_bound_ratio={r['first']['bound_ratio']:.2f} "
        f"{name}_again_requests={r['again']['requests']} {name}_again_floor_s={r['again']['floor_s']:.2f} "
        f"{name}_again_elapsed_s={r['again']['elapsed_s']:.2f} {name}_again_ratio={r['again']['ratio']:.2f} "
        f"{name}_again_429={r['again']['429']} {name}_again_ms_per_shop={r['again']['ms_per_shop']:.1f} "
        f"{name}_again_cpu_ms_per_shop={r['again']['cpu_ms_per_shop']:.1f} {name}_again_bound={r['again']['bound']} "
        f"{name}_again_bound_ratio={r['again']['bound_ratio']:.2f}"
        for name, r in results.items()
    )
    print(f"reconcile_shapes: load={load:.2f} quick={int(args.quick)} {fields}")


if __name__ == "__main__":
    main()
