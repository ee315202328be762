"""A demo shop with many packages awaiting shipment and an ERP that ships every one of them.

The exactly-once tests build this world, run the real ``erpsync push tracking`` against it (killed,
or answered with lost answers) and judge the outcome only by what the sandbox counted: its effect
counts (``GET /_sandbox/effects``: one ``ship`` per package that really shipped) and its packages'
tracking numbers. The ledger is read only to see that no row was left pending.
"""

from __future__ import annotations

import csv
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import requests

if TYPE_CHECKING:
    from conftest import Workspace

#: the demo scenario's app, token and shop (erpsync/sandbox/scenarios/demo.json)
DEMO = ("demo-app-key", "demo-app-secret", "demo-access-token", "7495000000000000001")
SF = "SF Express (顺丰)"  # a provider of the demo shop's "Shipped by seller" option
#: every path a ship can take: Ship Package and Batch Ship Packages
SHIP_PATHS = ["/fulfillment/202309/packages/{package_id}/ship", "/fulfillment/202309/packages/ship"]
#: the rate limit is not under test here (bench/push_tracking.py measures the pacing): both the
#: sandbox and the client allow this many calls per second per API, so a run's time is its work
QPS = 2000


def build(ws: Workspace, count: int) -> dict[str, str]:
    """``count`` orders awaiting shipment at WH-DG, a shipments file numbering each; package id → number."""
    key, secret, token, shop_id = DEMO
    ws.config.write_text(
        f'[[shops]]\nname = "shop"\n[shops.seller]\ntype = "tiktok"\nbase_url = "{ws.url}"\n'
        f'app_key = "{key}"\napp_secret = "{secret}"\naccess_token = "{token}"\nshop_id = "{shop_id}"\n'
        f"max_attempts = 8\nrate_limit_qps = {QPS}\nconcurrency = 8\n"
        f'[shops.erp]\ntype = "files"\npath = "erp"\nshipments = "shipments.csv"\n',
        encoding="utf-8",
    )
    ws.admin("POST", "settings", {"rate_limit_qps": QPS})
    numbers: dict[str, str] = {}
    with requests.Session() as session:
        for i in range(count):
            pkg = f"1154990000{i:08d}"
            body = {
                "warehouse_id": "WH-DG",
                "id": f"5769990000{i:08d}",
                "package": {"id": pkg},
                "shipping_type": "SELLER",
            }
            session.post(f"{ws.url}/_sandbox/orders", json=body, timeout=10).raise_for_status()
            numbers[pkg] = f"SF{7000000000 + i}"
    (ws.root / "erp").mkdir(exist_ok=True)
    with (ws.root / "erp" / "shipments.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["id", "package_id", "order_id", "tracking_number", "carrier"])
        for n, (pkg, number) in enumerate(numbers.items(), start=1):
            out.writerow([f"S{n}", pkg, "", number, SF])
    ws.admin("DELETE", "effects")
    ws.admin("DELETE", "counts")
    return numbers


def ships(ws: Workspace) -> dict[str, int]:
    """Package id → how many times the sandbox shipped it."""
    return ws.admin("GET", "effects")["ship"]


def shipped_count(ws: Workspace) -> int:
    return sum(ships(ws).values())


def tracking_numbers(ws: Workspace, ids: set[str]) -> dict[str, str]:
    """The tracking number each of ``ids`` has in Seller Center now."""
    return {p["id"]: p["tracking_number"] for p in ws.admin("GET", "state")["packages"] if p["id"] in ids}


def ledger_statuses(ws: Workspace) -> dict[str, int]:
    """Status → rows of the ledger, read straight from the state database."""
    db = ws.root / ".erpsync" / "state.db"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return dict(conn.execute("SELECT status, count(*) FROM ledger GROUP BY status").fetchall())


def start_push(ws: Workspace, log: Path) -> subprocess.Popen[bytes]:
    """``erpsync push tracking`` as a child process, its output in ``log``.

    Into a file, not a pipe: a run of 1,000 pushes writes more than a pipe holds, and a child
    blocked on a full pipe would stop pushing while the test waits for it to push.
    """
    env = {**os.environ, "COLUMNS": "200", "ERPSYNC_CONFIG": str(ws.config)}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "erpsync", "push", "tracking"], cwd=ws.root, env=env, stdout=out, stderr=out
        )


def tail(log: Path, lines: int = 15) -> str:
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
