"""How long does a first ``--apply`` of thousands of ERP corrections take?

A shop with ROWS warehouses (default 10,000) whose ERP CSV disagrees with Seller Center on the
phone of FIXES of them (default 6,500): one ``Syncer.run(apply=True)`` of the warehouse_address
aspect with the real plugin manager, SQLite state store and files ERP. Seller Center is a
plugin's in-memory connector (the question is the ERP side's cost, and an API's pacing would
hide it). The files ERP's atomic replaces are counted by wrapping the real function.

The floor is one rewrite of the file, whatever the number of corrections: ``rewrites`` is the
ratio to it. For scale, ``one_rewrite_s`` is one single write to the same file (one rewrite,
lock and re-check included): what each correction would cost written on its own. ``apply_s``
is the time the writes took (ledger begin, the buffered writes, the rewrite, ledger finish) and
``deliver_s`` the alert delivery after the shop (each fix opens and resolves one alert, sent to
the default log sink). Ends with one line
``bulk_apply: rows=... fixes=... elapsed_s=... apply_s=... deliver_s=... rewrites=...``.

Usage: python bench/bulk_apply.py [ROWS] [FIXES]
"""

from __future__ import annotations

import csv
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from marshmallow import Schema

from erpsync.connectors.files import replace as rp
from erpsync.connectors.files.connector import FilesErp
from erpsync.core.connector import Connector, ShopContext
from erpsync.core.models import Address, Records, Warehouse
from erpsync.plugins import hookimpl
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sync import Syncer

COLUMNS = ["id", "seller_warehouse_id", "name", "contact_person", "phone", "state", "city", "district", "street"]
COLUMNS += ["postal_code", "handover_mode"]


def address(i: int) -> Address:
    return Address("张伟", f"138{i:08d}", "CN", "广东省", "东莞市", "长安镇", f"振安中路 {i}号", "523850")


class BenchSeller(Connector):
    type = "bench-seller"
    role = "seller"
    rows = 0

    class Options(Schema):
        pass

    def list_warehouses(self) -> Records[Warehouse]:
        items = (Warehouse(f"W{i}", f"仓{i}", address(i), seller_warehouse_id=f"W{i}") for i in range(1, self.rows + 1))
        return Records(tuple(items))

    def check(self) -> str:
        return "bench seller"


class Plugin:
    @hookimpl
    def register_connectors(self, register: Any) -> None:
        register(BenchSeller)


def write_erp(path: Path, rows: int, fixes: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(COLUMNS)
        for i in range(1, rows + 1):
            a = address(i)
            phone = f"139{i:08d}" if i <= fixes else a.phone
            cells = [f"E{i}", f"W{i}", f"仓{i}", a.contact_person, phone, a.state, a.city, a.district, a.street]
            out.writerow([*cells, a.postal_code, "DROP OFF"])


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    fixes = int(sys.argv[2]) if len(sys.argv) > 2 else 6_500
    logging.disable(logging.CRITICAL)  # the default log sink would print one line per alert
    calls: list[float] = []
    real = rp.replace

    def counted(*args: Any, **kwargs: Any) -> None:
        started = time.perf_counter()
        real(*args, **kwargs)
        calls.append(time.perf_counter() - started)

    rp.replace = counted  # type: ignore[assignment]
    spent = {"apply": 0.0, "deliver": 0.0}

    def timed(name: str, method: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - started

        return run

    Syncer._apply_group = timed("apply", Syncer._apply_group)  # type: ignore[method-assign]
    Syncer._deliver = timed("deliver", Syncer._deliver)  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        BenchSeller.rows = rows
        write_erp(root / "erp" / "warehouses.csv", rows, fixes)
        (root / "erpsync.toml").write_text(
            '[[shops]]\nname = "s"\naspects = ["warehouse_address"]\ntime_budget_seconds = 3600\n'
            '[shops.seller]\ntype = "bench-seller"\n[shops.erp]\ntype = "files"\npath = "erp"\n'
            '[policy]\nwarehouse_address = "seller"\n',
            encoding="utf-8",
        )
        pm = get_plugin_manager(entrypoints=False, extra=[Plugin()])
        registry = build_registry(pm)
        syncer = Syncer(load_settings(root / "erpsync.toml", registry), pm=pm, registry=registry)
        started = time.perf_counter()
        report = syncer.run(apply=True)
        elapsed = time.perf_counter() - started
        syncer.close()
        (shop,) = report.shops
        applied = sum(r.status == "applied" for a in shop.aspects for r in a.actions)
        assert shop.error is None, shop.error
        assert applied == fixes, (applied, fixes)
        rewrites = len(calls)

        erp = FilesErp({"path": "erp", "format": "auto"}, shop=ShopContext(name="s", base_dir=root))
        started = time.perf_counter()
        erp.set_warehouse_address(f"E{rows}", {"phone": "13700000000"})
        one = time.perf_counter() - started
    print(f"rows {rows:,}, corrections applied {applied:,}, run {elapsed:.2f} s, rewrites {rewrites}")
    print(f"  the writes (ledger begin, buffered writes, the rewrite, ledger finish): {spent['apply']:.2f} s")
    print(f"  alert delivery after the shop (each fix opens and resolves an alert): {spent['deliver']:.2f} s")
    print(f"one single write to the same file: {one:.3f} s; x {fixes:,} corrections = {one * fixes:.0f} s")
    print(
        f"bulk_apply: rows={rows} fixes={applied} elapsed_s={elapsed:.2f} apply_s={spent['apply']:.2f} "
        f"deliver_s={spent['deliver']:.2f} rewrites={rewrites} one_rewrite_s={one:.3f}"
    )


if __name__ == "__main__":
    main()
