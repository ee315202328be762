"""Shops per second: Celery workers (1 and 2) against the embedded scheduler (concurrency 1 and 8).

Each mode gets a fresh world: a sandbox (a process of its own) with N shops of one warehouse each under one app, every
shop with P orders awaiting shipment and its own files ERP shipping them, a fresh state store and
(Celery) a private ``redis-server``. The sandbox limits each shop to Q calls per second per API,
and the client paces itself at 0.9 × Q (``rate_limit_qps``, as its default 45 of 50): the rate limit is per shop, so
shops are independent and more workers should scale until something shared binds. A mode syncs
every shop's ``tracking`` once (P pushes each):

- ``embedded cN``: ``EmbeddedScheduler(ctx, concurrency=N).run_all_now(["tracking"])`` in this
  process;
- ``celery wK``: K ``erpsync worker --concurrency C`` processes, one ``dispatch_due("tracking")``
  sent, timed until the last shop's run is recorded.

Printed per mode: shops/s, the sum of the runs' own durations (from the runs table) against
wall × threads (what is left is queueing, the broker and idle threads), requests and 429s as the
sandbox counted them. The floor: the sandbox admits Q calls of a shop and API in any sliding second,
so k calls on a shop's busiest path need at least ceil(k ÷ Q) − 1 seconds (0 when k ≤ Q: the rate
does not bind, the CPUs do); N shops on T threads need at least N × that ÷ T. Ratios: celery w2 ÷ w1 (the target
is ≥ 1.8 while neither the CPUs nor the rate limit bind) and embedded c8 ÷ c1.

Usage: python bench/workers.py [SHOPS] [--packages P] [--qps Q] [--concurrency C]
       (defaults 1000 shops, 3 packages, 10 calls/s, 1 thread per worker)
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import logging
import math
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import requests

from erpsync.service.jobs import JobContext
from erpsync.service.scheduler import EmbeddedScheduler

APP = ("demo-app-key", "demo-app-secret", "demo-access-token")
SF = "SF Express (顺丰)"
#: the client paces at this share of the sandbox's limit, as it does by default (45 of 50): at the
#: limit itself, network jitter lets a call land inside the window and cost a 429 and a 1 s wait
CLIENT_SHARE = 0.9


def scenario(n: int, qps: int) -> dict[str, Any]:
    """The demo scenario with ``n`` shops of one warehouse each, all under the demo app's token."""
    data = json.loads(resources.files("erpsync.sandbox").joinpath("scenarios", "demo.json").read_text("utf-8"))
    template = data["shops"][0]
    shops = []
    for i in range(n):
        shop = copy.deepcopy(template)
        warehouse = copy.deepcopy(template["warehouses"][0])
        warehouse.update(id=f"WH-{i:05d}", is_default=True)
        shop.update(id=f"74951000000{i:08d}", name=f"Shop {i}", cipher=f"ROW_cipher{i:05d}", code=f"GBLC{i:06d}")
        shop["warehouses"] = [warehouse]
        shops.append(shop)
    data.update(shops=shops, orders=[], packages=[], products=[], rate_limit_qps=qps)
    data["apps"][0]["tokens"][0]["shops"] = [s["id"] for s in shops]
    return data


def build(root: Path, url: str, n: int, packages: int, qps: int, extra: str) -> None:
    """Orders awaiting shipment in every shop, an ERP per shop shipping them, ``root/erpsync.toml``."""
    key, secret, token = APP
    parts = [extra]
    with requests.Session() as session:
        for i in range(n):
            erp = root / "erp" / f"s{i}"
            erp.mkdir(parents=True)
            with (erp / "shipments.csv").open("w", encoding="utf-8", newline="") as fh:
                out = csv.writer(fh, lineterminator="\n")
                out.writerow(["id", "package_id", "order_id", "tracking_number", "carrier"])
                for k in range(packages):
                    pkg = f"11549{i:06d}{k:05d}"
                    body = {
                        "warehouse_id": f"WH-{i:05d}",
                        "id": f"57699{i:06d}{k:05d}",
                        "package": {"id": pkg},
                        "shipping_type": "SELLER",
                    }
                    session.post(f"{url}/_sandbox/orders", json=body, timeout=30).raise_for_status()
                    out.writerow([f"S{k}", pkg, "", f"SF{i:06d}{k:05d}", SF])
            parts.append(
                f'[[shops]]\nname = "s{i}"\naspects = ["tracking"]\n[shops.seller]\ntype = "tiktok"\n'
                f'base_url = "{url}"\napp_key = "{key}"\napp_secret = "{secret}"\naccess_token = "{token}"\n'
                f'shop_id = "74951000000{i:08d}"\nrate_limit_qps = {qps * CLIENT_SHARE}\n'
                f'[shops.erp]\ntype = "files"\npath = "erp/s{i}"\nshipments = "shipments.csv"\n'
            )
        session.delete(f"{url}/_sandbox/counts", timeout=30).raise_for_status()
    (root / "erpsync.toml").write_text("".join(parts), encoding="utf-8")


def run_seconds(root: Path) -> list[float]:
    """Each finished run's own duration, from the state store's runs table."""
    with sqlite3.connect(root / ".erpsync" / "state.db", timeout=30) as conn:
        rows = conn.execute("SELECT started_at, finished_at FROM runs WHERE finished_at IS NOT NULL").fetchall()
    return [(datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds() for a, b in rows]


@dataclass
class Mode:
    name: str
    threads: int
    wall: float = 0.0
    busy: float = 0.0
    runs: int = 0
    requests: int = 0
    #: calls of one shop on its busiest API path (every shop has the same work)
    busiest: float = 0.0
    http_429: int = 0
    pushed: int = 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def sandbox_process(data: dict[str, Any], tmp: Path) -> Iterator[str]:
    """The sandbox in a process of its own, so that it shares no interpreter lock with the
    scheduler measured in this process (the Celery workers have processes of their own too)."""
    path = tmp / "scenario.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    port = free_port()
    cmd = [sys.executable, "-m", "erpsync.sandbox", "--port", str(port), "--scenario", str(path)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{url}/_sandbox/counts", timeout=5).raise_for_status()
                break
            except requests.RequestException:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("the sandbox did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(30)


def measure(mode: Mode, args: argparse.Namespace, workers: int) -> Mode:
    """One fresh world, every shop's tracking synced once by ``workers`` Celery workers (0: embedded)."""
    with tempfile.TemporaryDirectory() as tmp, sandbox_process(scenario(args.shops, args.qps), Path(tmp)) as url:
        root = Path(tmp)
        redis_proc = None
        extra = ""
        if workers:
            port = free_port()
            redis_proc = subprocess.Popen(
                [shutil.which("redis-server") or "redis-server", "--port", str(port), "--save", "",
                 "--appendonly", "no", "--dir", tmp],
                stdout=subprocess.DEVNULL,
            )  # fmt: skip
            extra = f'[service.celery]\nbroker_url = "redis://127.0.0.1:{port}/0"\nlock_seconds = 60\n'
        build(root, url, args.shops, args.packages, args.qps, extra)
        try:
            mode.wall = run_celery(root, workers, args) if workers else run_embedded(root, mode.threads)
        finally:
            if redis_proc is not None:
                redis_proc.terminate()
                redis_proc.wait(10)
        counts = requests.get(f"{url}/_sandbox/counts", timeout=30).json()["data"]
        ships = requests.get(f"{url}/_sandbox/effects", timeout=30).json()["data"]["ship"]
        seconds = run_seconds(root)
    mode.busy, mode.runs = sum(seconds), len(seconds)
    mode.requests, mode.http_429 = counts["total"]["calls"], counts["total"]["429"]
    mode.busiest = max(row["calls"] for row in counts["paths"].values()) / args.shops
    mode.pushed = sum(ships.values())
    return mode


def run_embedded(root: Path, concurrency: int) -> float:
    ctx = JobContext.open(root / "erpsync.toml")
    scheduler = EmbeddedScheduler(ctx, concurrency=concurrency)
    try:
        started = time.perf_counter()
        scheduler.run_all_now(["tracking"])
        return time.perf_counter() - started
    finally:
        scheduler.shutdown(wait=True)
        ctx.close()


def run_celery(root: Path, workers: int, args: argparse.Namespace) -> float:
    from erpsync.service.tasks import RESULTS_KEY, build_app, dispatch

    ctx = JobContext.open(root / "erpsync.toml")
    env = {**os.environ, "ERPSYNC_CONFIG": str(root / "erpsync.toml")}
    procs = []
    logs = [root / f"worker{k}.log" for k in range(workers)]
    try:
        for k, log in enumerate(logs):
            with log.open("wb") as out:
                cmd = [sys.executable, "-m", "erpsync", "worker", "--name", f"w{k}@bench", "--loglevel", "warning"]
                procs.append(
                    subprocess.Popen([*cmd, "--concurrency", str(args.concurrency)], cwd=root, env=env, stdout=out,
                                     stderr=subprocess.STDOUT)
                )  # fmt: skip
        app = build_app(ctx.settings, list(ctx.registry.aspects))
        replies: list[Any] = []
        deadline = time.monotonic() + 120
        while len(replies) < workers and time.monotonic() < deadline:  # every worker listening
            replies = app.control.ping(timeout=0.5) or []
        if len(replies) < workers:
            raise SystemExit("workers did not start:\n" + "\n".join(log.read_text()[-2000:] for log in logs))
        from redis import Redis

        client = Redis.from_url(ctx.settings.service.celery.broker_url)  # type: ignore[union-attr]
        started = time.perf_counter()
        dispatch(app, ctx, "tracking")
        while sum(int(v) for v in client.hvals(RESULTS_KEY)) < args.shops:
            time.sleep(0.02)
        return time.perf_counter() - started
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(60)
        ctx.close()


def shop_floor(calls: float, qps: int) -> float:
    """The least seconds ``calls`` calls on one path take when ``qps`` are allowed per sliding second."""
    return max(0.0, math.ceil(calls / qps) - 1.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("shops", type=int, nargs="?", default=1000)
    parser.add_argument("--packages", type=int, default=3)
    parser.add_argument("--qps", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=1, help="threads per Celery worker")
    args = parser.parse_args()
    logging.getLogger("erpsync").setLevel(logging.ERROR)  # the embedded modes' retry lines
    c = args.concurrency
    modes = [
        measure(Mode("embedded c1", 1), args, 0),
        measure(Mode("embedded c8", 8), args, 0),
        measure(Mode(f"celery w1 c{c}", c), args, 1),
        measure(Mode(f"celery w2 c{c}", 2 * c), args, 2),
    ]
    print(f"shops: {args.shops}, packages per shop: {args.packages}, {args.qps} calls/s per shop and API")
    rate = {m.name: args.shops / m.wall for m in modes}
    for m in modes:
        floor = args.shops * shop_floor(m.busiest, args.qps) / m.threads
        print(
            f"  {m.name:14s} {rate[m.name]:7.2f} shops/s  wall {m.wall:6.1f} s  floor {floor:6.1f} s  "
            f"runs {m.runs} busy {m.busy:6.1f} s of {m.wall * m.threads:6.1f} thread-s "
            f"({m.busy / max(m.wall * m.threads, 1e-9):.0%}, {m.busy / max(m.runs, 1):.2f} s/run)  "
            f"requests {m.requests} ({m.requests / args.shops:.1f}/shop) 429s {m.http_429}  pushed {m.pushed}"
        )
    w1, w2 = modes[2], modes[3]
    c1, c8 = modes[0], modes[1]
    floor_shop = shop_floor(c1.busiest, args.qps)
    print(
        f"workers: shops={args.shops} packages={args.packages} qps={args.qps} "
        f"w1_shops_per_s={rate[w1.name]:.2f} w2_shops_per_s={rate[w2.name]:.2f} "
        f"w2_over_w1={rate[w2.name] / rate[w1.name]:.2f} "
        f"c1_shops_per_s={rate[c1.name]:.2f} c8_shops_per_s={rate[c8.name]:.2f} "
        f"c8_over_c1={rate[c8.name] / rate[c1.name]:.2f} busiest_path_calls_per_shop={c1.busiest:.1f} "
        f"shop_floor_s={floor_shop:.2f} "
        f"http_429={sum(m.http_429 for m in modes)}"
    )


if __name__ == "__main__":
    main()
