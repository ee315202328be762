"""How close does pushing N tracking numbers come to what the rate limit allows?

Starts the sandbox (demo scenario) with N packages awaiting shipment at one warehouse, writes a
files ERP whose shipments file ships each with its own number, and runs the real Syncer on the
``tracking`` aspect with ``--apply`` over loopback. Measured:

- requests: every Open API call the sandbox counted, and per package: a detail read to observe,
  one for the re-read that verifies the push (only packages pushed are read again), a 50th of a
  Batch Ship Packages call and two 50ths of an orders call;
- floor_s: the busiest API path's calls at the documented 50 per second per API and shop
  (Partner Center, "Rate limits"): what the platform would allow at best, with every path used
  side by side. Every package here is pushed, so the detail path is the busiest (two reads each);
- elapsed_s and ratio = elapsed ÷ floor; http_429 = refusals met (the client paces each path at
  its configured ``rate_limit_qps``, 45 by default, so a ratio of at least 50/45 is by design);
- a second run, which must push nothing (ships stay at one per package).

Usage: python bench/push_tracking.py [N]   (default 500)
"""

from __future__ import annotations

import csv
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sandbox import SandboxServer
from erpsync.sync import Syncer

SHOP_ID = "7495000000000000001"
DOCUMENTED_QPS = 50.0
SF = "SF Express (顺丰)"


def main(n: int) -> None:
    with SandboxServer("demo") as sandbox, tempfile.TemporaryDirectory() as tmp:
        api = requests.Session()

        def admin(method: str, path: str, body: Any = None) -> Any:
            r = api.request(method, f"{sandbox.url}/_sandbox/{path}", json=body, timeout=120)
            r.raise_for_status()
            return r.json()["data"]

        packages = admin(
            "POST",
            "packages",
            {"warehouse_id": "WH-DG", "count": n, "handover_method": "DROP_OFF", "shipping_type": "SELLER"},
        )
        ids = [p["id"] for p in packages["packages"]]
        root = Path(tmp)
        (root / "erp").mkdir()
        with (root / "erp" / "shipments.csv").open("w", encoding="utf-8", newline="") as fh:
            out = csv.writer(fh, lineterminator="\n")
            out.writerow(["id", "package_id", "order_id", "tracking_number", "carrier"])
            out.writerows([f"S{i}", pkg, "", f"SFB{i:09d}", SF] for i, pkg in enumerate(ids))
        (root / "erpsync.toml").write_text(
            f'[[shops]]\nname = "bench"\n[shops.seller]\ntype = "tiktok"\nbase_url = "{sandbox.url}"\n'
            'app_key = "demo-app-key"\napp_secret = "demo-app-secret"\naccess_token = "demo-access-token"\n'
            f'shop_id = "{SHOP_ID}"\n[shops.erp]\ntype = "files"\npath = "erp"\nshipments = "shipments.csv"\n',
            encoding="utf-8",
        )
        pm = get_plugin_manager(entrypoints=False)
        registry = build_registry(pm)

        def run() -> tuple[float, Any]:
            syncer = Syncer(load_settings(root / "erpsync.toml", registry), pm=pm, registry=registry)
            try:
                start = time.perf_counter()
                report = syncer.run(aspects=["tracking"], apply=True)
                return time.perf_counter() - start, report
            finally:
                syncer.close()

        admin("DELETE", "counts")
        elapsed, report = run()
        counts = admin("GET", "counts")
        applied = sum(r.status == "applied" for s in report.shops for a in s.aspects for r in a.actions)
        second_elapsed, _ = run()
        ships = admin("GET", "effects")["ship"]

    paths = counts["paths"]
    total = counts["total"]
    busiest, most = max(((p, row["calls"]) for p, row in paths.items()), key=lambda x: x[1])
    floor = most / DOCUMENTED_QPS
    print(f"packages: {n}, pushed: {applied}, errors: {report.errors[:3]}")
    for path, row in paths.items():
        print(f"  {path}: {row['calls']} calls ({row['429']} × 429)")
    print(f"busiest path: {busiest} ({most} calls)")
    print(f"second run: {second_elapsed:.1f} s; ships per package: {sorted(set(ships.values()))}")
    print(
        f"push_tracking: packages={n} requests={total['calls']} requests_per_package={total['calls'] / n:.2f} "
        f"floor_s={floor:.1f} elapsed_s={elapsed:.1f} ratio={elapsed / floor:.2f} http_429={total['429']}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
