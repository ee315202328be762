"""``erpsync push`` as a real process whose output is no terminal (cron, CI, a pipe), against the sandbox.

Progress is one plain line per step on stderr (the host's own step messages, as ``reconcile``
prints them); stdout carries the summary alone, so a script can read it.
"""

from __future__ import annotations

import csv

import pytest

pytestmark = pytest.mark.integration

SF = "SF Express (顺丰)"  # a provider of the demo shop's "Shipped by seller" option
DEMO = ("demo-app-key", "demo-app-secret", "demo-access-token", "7495000000000000001")


def shipments(ws, count: int) -> list[str]:
    """``count`` orders awaiting shipment, each with a row in the ERP's shipments.csv."""
    key, secret, token, shop_id = DEMO
    ws.config.write_text(
        f'[[shops]]\nname = "shop"\n[shops.seller]\ntype = "tiktok"\nbase_url = "{ws.url}"\n'
        f'app_key = "{key}"\napp_secret = "{secret}"\naccess_token = "{token}"\nshop_id = "{shop_id}"\n'
        '[shops.erp]\ntype = "files"\npath = "erp"\nshipments = "shipments.csv"\n',
        encoding="utf-8",
    )
    ids = [f"11549800000000{i:04d}" for i in range(count)]
    (ws.root / "erp").mkdir(exist_ok=True)
    with (ws.root / "erp" / "shipments.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["id", "package_id", "order_id", "tracking_number", "carrier"])
        for i, pkg in enumerate(ids):
            order = f"57699800000000{i:04d}"
            ws.admin(
                "POST",
                "orders",
                {"warehouse_id": "WH-DG", "id": order, "package": {"id": pkg}, "shipping_type": "SELLER"},
            )
            out.writerow([f"S{i}", pkg, order, f"SF55{i}", SF])
    return ids


def test_without_a_terminal_each_step_is_one_line_on_stderr_and_stdout_is_the_summary(demo_ws):
    ids = shipments(demo_ws, 2)
    out = demo_ws.cli("push", "tracking")
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.splitlines() == ["shop: 2 pushed, 0 already done, 0 failed, 0 skipped"]
    # the host's step lines (the log sink's alert lines share stderr); one per write call: a
    # package alone, or a batch naming its first package and how many more went in the same call
    steps = [line for line in out.stderr.splitlines() if line.startswith("shop: ")]
    assert steps[:2] == ["shop: starting", "shop: tracking"]
    writes = steps[2:-1]
    assert 1 <= len(writes) <= len(ids)
    assert all(line.startswith("shop: tracking: ship package ") for line in writes), writes
    assert writes[0].split()[4] == ids[0]
    assert steps[-1] == "shop: tracking: re-reading the corrected records"
    assert "\x1b[" not in out.stderr and "━" not in out.stderr  # no bar, no cursor moves in a log

    again = demo_ws.cli("push", "tracking")
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.splitlines() == ["shop: 0 pushed, 0 already done, 0 failed, 0 skipped: nothing to push"]
    # nothing written, nothing re-read
    assert [line for line in again.stderr.splitlines() if line.startswith("shop: ")] == [
        "shop: starting",
        "shop: tracking",
    ]


def test_a_dry_run_counts_to_push_writes_nothing_and_a_listed_shop_only(demo_ws):
    shipments(demo_ws, 1)
    out = demo_ws.cli("push", "tracking", "--dry-run", "--shop", "shop")
    assert out.returncode == 2, out.stdout + out.stderr  # left unpushed
    assert out.stdout.splitlines() == ["shop: 1 to push, 0 already done, 0 failed, 0 skipped"]
    assert not any("ship package" in line for line in out.stderr.splitlines())  # no write step
    assert demo_ws.admin("GET", "effects")["ship"] == {}
    unknown = demo_ws.cli("push", "tracking", "--shop", "nosuch")
    assert unknown.returncode == 64, unknown.stdout + unknown.stderr


def test_help_explains_each_count():
    import subprocess
    import sys

    shown = subprocess.run(
        [sys.executable, "-m", "erpsync", "push", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for term in ("pushed", "already done", "failed", "skipped", "bad record", "nothing to push", "--dry-run"):
        assert term in shown, term
