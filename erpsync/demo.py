"""``erpsync demo``: the whole job on a fresh machine, with no accounts and no servers to install.

It starts the sandbox seller backend on a free loopback port, lays out a workspace with a files
ERP that disagrees with Seller Center in the ways operators meet (cosmetic differences that must
NOT count, a changed street and contact that must, a handover mode that contradicts the pickup
subscription), then runs reconcile three times: plan, apply, plan again (in sync).
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from erpsync import render
from erpsync.core.connector import ShopContext
from erpsync.core.models import RunReport, Warehouse
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sandbox.server import SandboxServer
from erpsync.sync import Syncer

MARKER = ".erpsync-demo"
SHOP_ID = "7495000000000000001"
CONFIG = """\
# Written by `erpsync demo`. The seller backend is the local sandbox; the ERP is ./erp.
[[shops]]
name = "demo-shop"

[shops.seller]
type = "tiktok"
base_url = "{url}"
app_key = "demo-app-key"
app_secret = "demo-app-secret"
access_token = "demo-access-token"
shop_id = "{shop_id}"

[shops.erp]
type = "files"
path = "erp"

[[alerts]]
type = "jsonl"
path = "alerts.jsonl"
"""
COLUMNS = (
    "id", "name", "seller_warehouse_id", "contact_person", "phone", "region_code",
    "state", "city", "district", "street", "postal_code", "handover_mode",
)  # fmt: skip


def run_demo(workspace: Path, console: Console, lang: str = "en") -> int:
    """Run the demo; return 0 when the final plan is in sync. ``lang`` is the reports' language."""
    _prepare(workspace)
    say = console.print
    say(Panel.fit("erpsync demo: Seller Center (a local sandbox) ↔ a files ERP", style="bold"))
    with SandboxServer(scenario="demo") as sandbox:
        say(f"1. Started the sandbox seller backend at {sandbox.url} (it checks signatures like the real Open API).")
        (workspace / "erpsync.toml").write_text(CONFIG.format(url=sandbox.url, shop_id=SHOP_ID), encoding="utf-8")
        pm = get_plugin_manager(entrypoints=False)
        registry = build_registry(pm)
        settings = load_settings(workspace / "erpsync.toml", registry)
        seller_cls = registry.connectors["tiktok"]
        seller = seller_cls(dict(settings.shops[0].seller.options), shop=ShopContext("demo-shop", workspace))
        try:
            warehouses = list(seller.list_warehouses().items)
        finally:
            seller.close()
        _write_erp(workspace / "erp", warehouses)
        say(
            f"2. Wrote a demo workspace in {escape(str(workspace))}/: erpsync.toml and erp/warehouses.csv, an ERP "
            "export of Seller Center's warehouses with cosmetic differences (full-width commas, +86 phone format, "
            "广东 for 广东省) that must not count, and real ones that must: a changed street number and "
            "contact, and PICK UP for a warehouse whose pickup subscription is not active."
        )
        syncer = Syncer(settings, pm=pm, registry=registry)
        try:
            say("\n3. [bold]erpsync reconcile[/bold] (plan: nothing is changed)")
            plan = syncer.run()
            render.render_table(plan, console, lang)
            _explain(plan, console, lang)
            say("\n4. [bold]erpsync reconcile --apply[/bold] (the policy says Seller Center wins: fix the ERP)")
            applied = syncer.run(apply=True)
            render.render_table(applied, console, lang)
            say("\n5. [bold]erpsync reconcile[/bold] again")
            final = syncer.run()
            render.render_table(final, console, lang)
        finally:
            syncer.close()
    alerts = workspace / "alerts.jsonl"
    lines = alerts.read_text(encoding="utf-8").splitlines() if alerts.exists() else []
    opened = sum(1 for line in lines if json.loads(line)["event"] == "opened")
    say(
        f"\nDrift alerts went to {escape(str(alerts))}: {opened} opened, {len(lines) - opened} resolved, each once.\n"
        f"Look at the ERP file now: {escape(str(workspace / 'erp' / 'warehouses.csv'))}. "
        "Next: `erpsync init` for your own shop."
    )
    return final.exit_code


def _prepare(workspace: Path) -> None:
    if workspace.exists():
        if not (workspace / MARKER).exists() and any(workspace.iterdir()):
            from erpsync.core.errors import UsageError

            raise UsageError(f"{workspace} exists and is not a demo workspace; pass --dir with a new folder")
        shutil.rmtree(workspace)
    workspace.mkdir(parents=True)
    (workspace / MARKER).write_text("created by `erpsync demo`; safe to delete\n", encoding="utf-8")


def _write_erp(directory: Path, warehouses: list[Warehouse]) -> None:
    """The ERP's copy of Seller Center's warehouses, with the differences the demo shows."""
    directory.mkdir(parents=True, exist_ok=True)
    rows = []
    for i, w in enumerate(warehouses):
        a = w.address
        row = {
            "id": f"ERP-{i + 1:02d}", "name": w.name, "seller_warehouse_id": w.id,
            "contact_person": a.contact_person, "phone": _plus86(a.phone), "region_code": a.region_code,
            "state": a.state.removesuffix("省"), "city": a.city, "district": a.district,
            "street": a.street.replace(",", "，") + "，", "postal_code": a.postal_code,
            "handover_mode": "PICK UP",
        }  # fmt: skip
        if i == 1:  # a material difference: the street number and the contact changed
            row["street"] = _bump_number(a.street)
            row["contact_person"] = a.contact_person + "（旧）"
        rows.append(row)
    with (directory / "warehouses.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _plus86(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) == 11:
        return f"+86 {digits[:3]}-{digits[3:7]}-{digits[7:]}"
    return phone


def _bump_number(street: str) -> str:
    for i in range(len(street) - 1, -1, -1):
        if street[i].isdigit():
            return street[:i] + str((int(street[i]) + 2) % 10) + street[i + 1 :]
    return street + " 2号"


def _explain(report: RunReport, console: Console, lang: str = "en") -> None:
    if not report.drifts:
        console.print("   Nothing to explain: in sync.")
        return
    console.print("   In plain words:")
    for d in report.drifts:
        console.print(f"   • {escape(d.text(lang))}", highlight=False)
    console.print(
        "   The cosmetic differences are not in the table: erpsync normalises punctuation, spaces, "
        "phone formats and province suffixes before comparing."
    )
