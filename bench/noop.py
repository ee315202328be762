"""What does a run cost when nothing changed? Reads against the reads that cannot be avoided.

Starts the sandbox (demo scenario) with N extra warehouses of one shop, one new package each,
and an ERP file that agrees with Seller Center. Runs the real Syncer (every aspect, ``--apply``)
twice over loopback, on the sandbox's clock, moved an hour before each run so no package changed
inside the search's overlap window; the second run is measured:

- write calls: the sandbox's write effects (ship, shipping info, products) plus rewrites of the
  ERP file; the target is 0;
- read calls: every Open API call the sandbox counted;
- reads needed for what changed (nothing): the shop's cipher lookup (1), its warehouse list (1
  page: the list is not paged), the package search (1 page: it finds no change) and the handover
  slots of each warehouse with packages in the lookback (slots are live state with no
  ``update_time``, ``docs/architecture.md``), so ``N + demo warehouses + 3``. Details and orders
  are needed only for changed packages: none;
- the ratio read calls ÷ reads needed; the target is 1.0.

Usage: python bench/noop.py [N]   (default 100)
"""

from __future__ import annotations

import copy
import json
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import requests

from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sandbox import SandboxServer
from erpsync.sync import Syncer

SHOP_ID = "7495000000000000001"
LOOKBACK = timedelta(days=14)
COLUMNS = ["id", "name", "seller_warehouse_id", "contact_person", "phone", "region_code", "state", "city",
           "district", "street", "postal_code", "handover_mode"]  # fmt: skip


def scenario(n: int) -> dict[str, Any]:
    """The demo scenario with ``n`` more warehouses in its shop, copies of its first one."""
    data = json.loads(resources.files("erpsync.sandbox").joinpath("scenarios", "demo.json").read_text("utf-8"))
    warehouses = data["shops"][0]["warehouses"]
    template = warehouses[0]
    for i in range(n):
        extra = copy.deepcopy(template)
        extra.update(id=f"WH-N{i:05d}", name=f"仓 {i}", is_default=False)
        warehouses.append(extra)
    return data


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


def main(n: int) -> None:
    with SandboxServer(scenario(n)) as sandbox, tempfile.TemporaryDirectory() as tmp:
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
        (root / "erpsync.toml").write_text(
            f'[[shops]]\nname = "bench"\n[shops.seller]\ntype = "tiktok"\nbase_url = "{sandbox.url}"\n'
            'app_key = "demo-app-key"\napp_secret = "demo-app-secret"\naccess_token = "demo-access-token"\n'
            f'shop_id = "{SHOP_ID}"\n[shops.erp]\ntype = "files"\npath = "erp"\n',
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
        run()
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
    reads = counts["total"]["calls"]
    writes = effect_writes + erp_writes
    print(f"second run over {warehouses} warehouses and {packages} packages in the lookback, nothing changed")
    for path, c in sorted(counts["paths"].items()):
        print(f"  {c['calls']:6d}  {path}" + (f" ({c['429']} answered 429)" if c["429"] else ""))
    print("reads needed for what changed:")
    for what, count in needed.items():
        print(f"  {count:6d}  {what}")
    total_needed = sum(needed.values())
    print(f"writes: {writes} (sandbox effects {effect_writes}, ERP file writes {erp_writes})")
    print(
        f"noop: warehouses={warehouses} packages={packages} writes={writes} reads={reads} "
        f"needed={total_needed} ratio={reads / total_needed:.2f}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
