"""Tracking reads only what moved, end to end: the real CLI, the state store, the sandbox's counts.

Shipments are pushed, their parcels collected by the carrier (``POST /_sandbox/packages/<id>/collect``),
and a pickup read leaves the package cache complete; a further ``erpsync push tracking`` then
costs one Search Package and no Get Package Detail, counted by the sandbox itself
(``/_sandbox/counts``). A package changed in the sandbox afterwards is read and handled. A shop
that runs tracking alone has no package cache: the tracking read's own rows do the same, also
for a package shipped and still waiting for the carrier.
"""

from __future__ import annotations

import csv
import json

import pytest

pytestmark = pytest.mark.integration

SF = "SF Express (顺丰)"  # a provider of the demo shop's "Shipped by seller" option
DETAIL = "/fulfillment/202309/packages/{package_id}"
SEARCH = "/fulfillment/202309/packages/search"
SHIP_PATHS = ("/fulfillment/202309/packages/ship", "/fulfillment/202309/packages/{package_id}/ship")


def calls(ws, path: str) -> int:
    return ws.counts()["paths"].get(path, {}).get("calls", 0)


def shipped_and_collected(ws, count: int, pickup_read: bool = True, collect: bool = True) -> list[str]:
    """``count`` orders at WH-DG, pushed through erpsync, then (with ``collect``) collected by the
    carrier, and (with ``pickup_read``) a pickup read that leaves the package cache complete."""
    ws.write_erp(ws.erp_rows_matching_seller({}))
    text = ws.config.read_text(encoding="utf-8").replace(
        'path = "erp"\n', 'path = "erp"\nshipments = "shipments.csv"\n', 1
    )
    ws.config.write_text(text, encoding="utf-8")
    ids = []
    for i in range(count):
        pkg = f"11549700000000{i:04d}"
        body = {
            "warehouse_id": "WH-DG",
            "id": f"57699700000000{i:04d}",
            "package": {"id": pkg},
            "shipping_type": "SELLER",
        }
        ws.admin("POST", "orders", body)
        ids.append(pkg)
    with (ws.root / "erp" / "shipments.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["id", "package_id", "order_id", "tracking_number", "carrier"])
        for n, pkg in enumerate(ids):
            out.writerow([f"S{n}", pkg, f"57699700000000{n:04d}", f"SF77{n:04d}", SF])
    pushed = ws.cli("push", "tracking")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert f"{count} pushed" in pushed.stdout
    for pkg in ids if collect else ():
        assert ws.admin("POST", f"packages/{pkg}/collect")["status"] == "FULFILLING"
    if pickup_read:
        read = ws.cli("reconcile", "--aspect", "pickup")  # the pickup read leaves the cache complete
        assert read.returncode in (0, 2), read.stdout + read.stderr
    return ids


def test_a_second_run_over_unchanged_shipped_shipments_reads_no_package_detail(demo_ws):
    ids = shipped_and_collected(demo_ws, 4)
    demo_ws.admin("DELETE", "counts")
    again = demo_ws.cli("push", "tracking")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "0 pushed, 0 already done, 0 failed, 0 skipped" in again.stdout
    assert calls(demo_ws, DETAIL) == 0
    assert calls(demo_ws, SEARCH) == 1  # what moved since the cache's cursor: nothing
    assert all(calls(demo_ws, p) == 0 for p in SHIP_PATHS)
    assert demo_ws.admin("GET", "effects")["ship"] == dict.fromkeys(ids, 1)


def test_a_package_changed_between_runs_is_read_and_handled(demo_ws):
    ids = shipped_and_collected(demo_ws, 3)
    cancelled = ids[1]
    demo_ws.admin("POST", f"orders/57699700000000{1:04d}/status", {"status": "CANCELLED"})
    demo_ws.admin("DELETE", "counts")
    out = demo_ws.cli("reconcile", "--aspect", "tracking", "--format", "json")
    assert calls(demo_ws, DETAIL) == 1  # only the package that moved
    assert out.returncode == 2, out.stdout + out.stderr  # its drift is reported
    shops = json.loads(out.stdout)["shops"]
    drifts = [d for shop in shops for aspect in shop["aspects"] for d in aspect["drifts"]]
    assert [(d["kind"], d["warehouse"]) for d in drifts] == [("package_cancelled", cancelled)]  # subject
    assert all(calls(demo_ws, p) == 0 for p in SHIP_PATHS)


def test_a_shop_that_runs_tracking_alone_reads_each_shipped_package_once(demo_ws):
    """No pickup read, so no package cache: the tracking read's own rows answer the next runs."""
    ids = shipped_and_collected(demo_ws, 4, pickup_read=False)
    demo_ws.admin("DELETE", "counts")
    collected = demo_ws.cli("push", "tracking")  # each package once more: collected since the push
    assert collected.returncode == 0, collected.stdout + collected.stderr
    assert calls(demo_ws, DETAIL) == 4
    demo_ws.admin("DELETE", "counts")
    again = demo_ws.cli("push", "tracking")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "0 pushed, 0 already done, 0 failed, 0 skipped" in again.stdout
    assert calls(demo_ws, DETAIL) == 0 and calls(demo_ws, SEARCH) == 1
    cancelled = ids[2]
    demo_ws.admin("POST", f"orders/57699700000000{2:04d}/status", {"status": "CANCELLED"})
    demo_ws.admin("DELETE", "counts")
    out = demo_ws.cli("reconcile", "--aspect", "tracking", "--format", "json")
    assert out.returncode == 2, out.stdout + out.stderr
    assert calls(demo_ws, DETAIL) == 1  # only the package that moved
    shops = json.loads(out.stdout)["shops"]
    drifts = [d for shop in shops for aspect in shop["aspects"] for d in aspect["drifts"]]
    assert [(d["kind"], d["warehouse"]) for d in drifts] == [("package_cancelled", cancelled)]
    assert all(calls(demo_ws, p) == 0 for p in SHIP_PATHS)


def test_a_package_shipped_and_waiting_for_the_carrier_is_not_read_every_run(demo_ws):
    """PROCESSING until collected, often a day: its orders said it shipped when the push's re-read
    read it, so the tracking read's rows answer it until the collection moves it."""
    ids = shipped_and_collected(demo_ws, 3, pickup_read=False, collect=False)
    demo_ws.admin("DELETE", "counts")
    again = demo_ws.cli("push", "tracking")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "0 pushed, 0 already done, 0 failed, 0 skipped" in again.stdout
    assert calls(demo_ws, DETAIL) == 0 and calls(demo_ws, SEARCH) == 1
    assert demo_ws.admin("POST", f"packages/{ids[0]}/collect")["status"] == "FULFILLING"
    demo_ws.admin("DELETE", "counts")
    collected = demo_ws.cli("push", "tracking")
    assert collected.returncode == 0, collected.stdout + collected.stderr
    assert calls(demo_ws, DETAIL) == 1  # only the package the carrier collected
    assert all(calls(demo_ws, p) == 0 for p in SHIP_PATHS)
    assert demo_ws.admin("GET", "effects")["ship"] == dict.fromkeys(ids, 1)
