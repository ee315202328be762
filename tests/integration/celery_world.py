"""Many sandbox shops, each with packages awaiting shipment and a files ERP that ships them.

The Celery worker tests build this world: one sandbox app whose token covers ``n`` shops (one
warehouse each), ``packages`` orders per shop, and a config with one shop entry per sandbox shop
running only the ``tracking`` aspect. What happened is judged by the sandbox's own counts (one
``ship`` effect per package pushed) and the state store's runs table.
"""

from __future__ import annotations

import copy
import csv
import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import requests

APP_KEY, APP_SECRET, TOKEN = "demo-app-key", "demo-app-secret", "demo-access-token"
SF = "SF Express (顺丰)"  # a provider of the demo shop's "Shipped by seller" option


def shop_id(i: int) -> str:
    return f"74951000000{i:08d}"


def scenario(n: int, qps: int) -> dict[str, Any]:
    """The demo scenario with its one shop replaced by ``n`` shops of one warehouse each."""
    data = json.loads(resources.files("erpsync.sandbox").joinpath("scenarios", "demo.json").read_text("utf-8"))
    template = data["shops"][0]
    shops = []
    for i in range(n):
        shop = copy.deepcopy(template)
        warehouse = copy.deepcopy(template["warehouses"][0])
        warehouse.update(id=f"WH-{i:05d}", is_default=True)
        shop.update(id=shop_id(i), name=f"Shop {i}", cipher=f"ROW_cipher{i:05d}", code=f"GBLC{i:06d}")
        shop["warehouses"] = [warehouse]
        shops.append(shop)
    data["shops"] = shops
    data["apps"][0]["tokens"][0]["shops"] = [s["id"] for s in shops]
    data["orders"], data["packages"], data["products"] = [], [], []
    data["rate_limit_qps"] = qps
    return data


def build(root: Path, url: str, n: int, packages: int, *, qps: int, extra: str = "") -> dict[str, str]:
    """Orders awaiting shipment in every shop, each shop's ERP shipping them, and ``root/erpsync.toml``
    with ``extra`` appended; package id → its shop's name."""
    owner: dict[str, str] = {}
    lines = []
    with requests.Session() as session:
        for i in range(n):
            erp = root / "erp" / f"s{i}"
            erp.mkdir(parents=True, exist_ok=True)
            rows = []
            for k in range(packages):
                pkg, order = f"11549{i:06d}{k:05d}", f"57699{i:06d}{k:05d}"
                body = {"warehouse_id": f"WH-{i:05d}", "id": order, "package": {"id": pkg}, "shipping_type": "SELLER"}
                session.post(f"{url}/_sandbox/orders", json=body, timeout=10).raise_for_status()
                rows.append([f"S{k}", pkg, "", f"SF{i:06d}{k:05d}", SF])
                owner[pkg] = f"s{i}"
            with (erp / "shipments.csv").open("w", encoding="utf-8", newline="") as fh:
                out = csv.writer(fh, lineterminator="\n")
                out.writerow(["id", "package_id", "order_id", "tracking_number", "carrier"])
                out.writerows(rows)
            lines.append(
                f'[[shops]]\nname = "s{i}"\naspects = ["tracking"]\n[shops.seller]\ntype = "tiktok"\n'
                f'base_url = "{url}"\napp_key = "{APP_KEY}"\napp_secret = "{APP_SECRET}"\n'
                f'access_token = "{TOKEN}"\nshop_id = "{shop_id(i)}"\nmax_attempts = 8\nrate_limit_qps = {qps}\n'
                f'[shops.erp]\ntype = "files"\npath = "erp/s{i}"\nshipments = "shipments.csv"\n'
            )
        session.delete(f"{url}/_sandbox/effects", timeout=10).raise_for_status()
        session.delete(f"{url}/_sandbox/counts", timeout=10).raise_for_status()
    (root / "erpsync.toml").write_text("".join(lines) + extra, encoding="utf-8")
    return owner


@dataclass(frozen=True)
class Run:
    id: str
    shop: str
    pid: int
    started: datetime
    finished: datetime | None
    status: str


def runs(root: Path) -> list[Run]:
    """Every run in the state database (none while the first worker still creates it)."""
    db = root / ".erpsync" / "state.db"
    if not db.exists():
        return []
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        try:
            rows = conn.execute("SELECT id, shops, pid, started_at, finished_at, status FROM runs").fetchall()
        except sqlite3.OperationalError:  # no runs table yet
            return []
    return [
        Run(i, json.loads(s)[0], pid, datetime.fromisoformat(a), datetime.fromisoformat(b) if b else None, st)
        for i, s, pid, a, b, st in rows
    ]


def start(root: Path, *args: str, log: Path) -> subprocess.Popen[bytes]:
    """``erpsync ARGS`` as a child process in ``root``, its output in ``log``."""
    env = {**os.environ, "COLUMNS": "200", "ERPSYNC_CONFIG": str(root / "erpsync.toml")}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "erpsync", *args], cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT
        )
