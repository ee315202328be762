"""How close does one reconcile get to the Open API's rate-limit floor?

Starts the sandbox (demo scenario) with PACKAGES extra recent packages, runs one plan-only
reconcile through the real Syncer and TikTok connector, and prints:

- requests per API path (counted by the sandbox, not by the client);
- the floor: the least time those requests need at the allowed rate, max over paths of
  requests_on_path / 50 QPS (the limit is per API, so paths could in principle overlap);
- the measured wall time and its ratio to the floor (1.0 = as fast as the limit allows),
  then one line ``reconcile_requests: key=value ...`` to compare runs.
  The client paces itself at 45 QPS by default (0.9 x the limit, so latency jitter does not
  cost 429s and their 1 s Retry-After), so about 1.11 is the best this configuration can do;
- how often the run read each system (the shop's warehouse list, its cipher lookup, the ERP file:
  opened for reading, counted by an audit hook) and how many TCP connections the client opened.

Usage: python bench/reconcile_requests.py [PACKAGES]   (default 200)
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sandbox import SandboxServer
from erpsync.sync import Syncer

QPS = 50
WAREHOUSES = "/logistics/202309/warehouses"
SHOPS = "/authorization/202309/shops"


def erp_reads(erp_file: Path) -> Callable[[], int]:
    """Count the times ``erp_file`` is opened for reading from now on (audit hooks cannot be removed)."""
    opened = [0]
    target = str(erp_file)

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "open" and str(args[0]) == target and args[1] in ("r", "rb"):
            opened[0] += 1

    sys.addaudithook(hook)
    return lambda: opened[0]


def main(packages: int) -> None:
    with SandboxServer(scenario="demo") as sandbox, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for warehouse in ("WH-DG", "WH-SZ"):
            r = requests.post(
                f"{sandbox.url}/_sandbox/packages", json={"warehouse_id": warehouse, "count": packages // 2}, timeout=30
            )
            r.raise_for_status()
        (root / "erp").mkdir()
        (root / "erp" / "warehouses.csv").write_text("id,seller_warehouse_id\nE1,WH-DG\nE2,WH-SZ\n", encoding="utf-8")
        (root / "erpsync.toml").write_text(
            f'[[shops]]\nname = "bench"\n[shops.seller]\ntype = "tiktok"\nbase_url = "{sandbox.url}"\n'
            'app_key = "demo-app-key"\napp_secret = "demo-app-secret"\naccess_token = "demo-access-token"\n'
            'shop_id = "7495000000000000001"\n[shops.erp]\ntype = "files"\npath = "erp"\n',
            encoding="utf-8",
        )
        pm = get_plugin_manager(entrypoints=False)
        registry = build_registry(pm)
        settings = load_settings(root / "erpsync.toml", registry)
        syncer = Syncer(settings, pm=pm, registry=registry)
        requests.delete(f"{sandbox.url}/_sandbox/counts", timeout=10)
        erp_opened = erp_reads((root / "erp" / "warehouses.csv").resolve())
        connections_before = sandbox.connections_opened
        started = time.perf_counter()
        syncer.run()
        elapsed = time.perf_counter() - started
        syncer.close()
        connections = sandbox.connections_opened - connections_before
        erp_file_reads = erp_opened()
        counts = requests.get(f"{sandbox.url}/_sandbox/counts", timeout=10).json()["data"]

    print(f"packages in the lookback window: {packages + 4} (demo scenario has a few of its own)")
    for path, c in sorted(counts["paths"].items()):
        print(f"  {c['calls']:6d}  {path}")
    total = counts["total"]["calls"]
    floor = max(c["calls"] for c in counts["paths"].values()) / QPS
    print(f"requests: {total} ({counts['total']['429']} answered 429)")
    print(f"floor at {QPS} QPS per API: {floor:.2f} s; measured: {elapsed:.2f} s; ratio: {elapsed / floor:.2f}")
    warehouse_reads = counts["paths"].get(WAREHOUSES, {}).get("calls", 0)
    cipher_reads = counts["paths"].get(SHOPS, {}).get("calls", 0)
    print(
        f"reads in the shop's run: warehouse list {warehouse_reads}, shop cipher {cipher_reads}, "
        f"ERP file {erp_file_reads}; TCP connections opened: {connections} for {total} requests"
    )
    # the one line to compare run to run
    print(
        f"reconcile_requests: packages={packages + 4} requests={total} http_429={counts['total']['429']} "
        f"floor_s={floor:.2f} elapsed_s={elapsed:.2f} ratio={elapsed / floor:.2f} "
        f"warehouse_reads={warehouse_reads} cipher_reads={cipher_reads} erp_file_reads={erp_file_reads} "
        f"connections={connections}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
