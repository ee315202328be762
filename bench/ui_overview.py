"""Server time to render the status page's overview over 1,000 shops with 10,000 open drifts.

The store is a SQLite file filled through the store's own repositories (a run, 10 open drifts of
mixed severity, and a failed and a pending write per shop; one shop in 50 holds a lease), then
``GET /`` and a filtered ``GET /?state=drift&q=7`` are answered by the WSGI app through werkzeug's
test client: the figure is the server's time (queries, view model, template), not a browser's.
Target: under 200 ms for the overview.

    .venv/bin/python bench/ui_overview.py [--shops 1000] [--drifts-per-shop 10] [--repeat 20]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from werkzeug.test import Client

from erpsync.core.models import Drift, Severity
from erpsync.core.store import Store
from erpsync.ui.app import StatusApp
from erpsync.ui.queries import Queries

NOW = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
_SEVERITIES = (Severity.INFO, Severity.WARNING, Severity.CRITICAL)


def fill(store: Store, shops: int, per_shop: int) -> None:
    earlier = NOW - timedelta(hours=1)
    for i in range(shops):
        shop = f"shop-{i:04d}"
        store.runs.begin(f"run-{i}", shops=[shop], apply=True, now=earlier, host="bench", pid=1)
        store.runs.finish(f"run-{i}", status="drift", summary={}, now=earlier + timedelta(seconds=3))
        drifts = [
            Drift(
                shop=shop,
                aspect="warehouse_address",
                kind="address_mismatch",
                subject=f"WH-{j}",
                field="city",
                seller_value="Shenzhen",
                erp_value="Dongguan",
                severity=_SEVERITIES[j % 3],
                message=f"WH-{j}: city differs",
            )
            for j in range(per_shop)
        ]
        store.drifts.record(shop, "warehouse_address", drifts, now=earlier, run_id=f"run-{i}")
        for status in ("failed", "pending"):
            key = f"{shop}:{status}"
            store.ledger.begin(
                key,
                shop=shop,
                aspect="warehouse_address",
                kind="set_address",
                target="erp",
                subject="WH-0",
                payload={},
                run_id=f"run-{i}",
                now=earlier,
            )
            if status == "failed":
                store.ledger.finish(key, status="failed", error="refused", now=earlier)
        if i % 50 == 0:
            store.leases.acquire(f"shop:{shop}", owner=f"run-{i}", ttl_seconds=600, now=NOW, host="bench", pid=1)


def timed(client: Client, path: str, repeat: int) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        answer = client.get(path)
        times.append(time.perf_counter() - start)
        assert answer.status_code == 200, answer.status_code
        size = len(answer.get_data())
    return statistics.median(times) * 1000, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shops", type=int, default=1000)
    parser.add_argument("--drifts-per-shop", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, Store.open(f"sqlite:///{Path(folder) / 'state.db'}") as store:
        start = time.perf_counter()
        fill(store, args.shops, args.drifts_per_shop)
        filled = time.perf_counter() - start
        drifts = len(store.drifts.list_open())
        queries = Queries(store, aspects=lambda shop: ["warehouse_address"])
        client = Client(StatusApp(queries, clock=lambda: NOW))
        client.get("/")  # templates compiled once, as a running server has them
        overview, size = timed(client, "/", args.repeat)
        filtered, _ = timed(client, "/?state=drift&q=7", args.repeat)
        shop, _ = timed(client, "/shops/shop-0500", args.repeat)
        print(f"filled {args.shops} shops, {drifts} open drifts in {filled:.1f} s")
        print(f"GET / (page 1 of {args.shops} shops): median {overview:.1f} ms over {args.repeat}, {size} bytes")
        print(f"GET /?state=drift&q=7: median {filtered:.1f} ms; GET /shops/shop-0500: median {shop:.1f} ms")
        verdict = "ok" if overview < 200 else "over"
        print(
            f"UI_OVERVIEW: shops={args.shops} open_drifts={drifts} overview_ms={overview:.1f} "
            f"filtered_ms={filtered:.1f} shop_ms={shop:.1f} target_ms=200 ratio={overview / 200:.2f} {verdict}"
        )


if __name__ == "__main__":
    main()
