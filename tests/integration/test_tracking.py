"""The tracking aspect end to end: the real CLI, the files ERP's shipments file, the sandbox's fulfilment.

Each test adds orders awaiting shipment to the demo shop (``POST /_sandbox/orders``), writes the
ERP's ``shipments.csv`` and runs ``erpsync push tracking``; the sandbox's effect counts
(``/_sandbox/effects``: one ``ship`` per package that really shipped) prove "exactly once".
"""

from __future__ import annotations

import csv
import json
import time

import pytest
import requests
from sandbox_wire import sign

pytestmark = pytest.mark.integration

SF = "SF Express (顺丰)"  # a provider of the demo shop's "Shipped by seller" option
SF_ID = "7208502187360519003"
SHIP = "/fulfillment/202309/packages/{package_id}/ship"
BATCH_SHIP = "/fulfillment/202309/packages/ship"
DETAIL = "/fulfillment/202309/packages/{package_id}"
UPDATE = "/fulfillment/202309/packages/{package_id}/shipping_info/update"
#: the demo scenario's app, token and shop (erpsync/sandbox/scenarios/demo.json)
DEMO = ("demo-app-key", "demo-app-secret", "demo-access-token", "7495000000000000001")
DEMO_CIPHER = "ROW_demoCipher0001"


def setup(ws, packages: int, *, carriers: str = "") -> list[str]:
    """``packages`` new orders awaiting shipment at WH-DG; the config reads erp/shipments.csv."""
    key, secret, token, shop_id = DEMO
    table = f"[aspects.tracking]\ncarriers = {{ {carriers} }}\n" if carriers else ""
    ws.config.write_text(
        f'[[shops]]\nname = "shop"\n[shops.seller]\ntype = "tiktok"\nbase_url = "{ws.url}"\n'
        f'app_key = "{key}"\napp_secret = "{secret}"\naccess_token = "{token}"\nshop_id = "{shop_id}"\n'
        f'max_attempts = 8\n[shops.erp]\ntype = "files"\npath = "erp"\nshipments = "shipments.csv"\n{table}',
        encoding="utf-8",
    )
    ids = []
    for i in range(packages):
        pkg = f"11549900000000{i:04d}"
        body = {
            "warehouse_id": "WH-DG",
            "id": f"57699900000000{i:04d}",
            "package": {"id": pkg},
            "shipping_type": "SELLER",
        }
        ws.admin("POST", "orders", body)
        ids.append(pkg)
    ws.admin("DELETE", "effects")
    return ids


def write_shipments(ws, rows: list[tuple[str, str, str]]) -> None:
    (ws.root / "erp").mkdir(exist_ok=True)
    with (ws.root / "erp" / "shipments.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["id", "package_id", "order_id", "tracking_number", "carrier"])
        for n, (pkg, number, carrier) in enumerate(rows, start=1):
            out.writerow([f"S{n}", pkg, "", number, carrier])


def package(ws, pkg: str) -> dict:
    return next(p for p in ws.admin("GET", "state")["packages"] if p["id"] == pkg)


def ships(ws) -> dict[str, int]:
    return ws.admin("GET", "effects")["ship"]


def test_push_ships_each_package_once_and_a_second_run_does_nothing(demo_ws):
    ids = setup(demo_ws, 3)
    write_shipments(demo_ws, [(p, f"SF10{i}", SF) for i, p in enumerate(ids)])
    first = demo_ws.cli("push", "tracking")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "3 pushed, 0 already done, 0 failed, 0 skipped" in first.stdout
    assert ships(demo_ws) == dict.fromkeys(ids, 1)
    assert [package(demo_ws, p)["tracking_number"] for p in ids] == ["SF100", "SF101", "SF102"]

    calls = demo_ws.counts()["paths"].get(SHIP, {}).get("calls", 0)
    second = demo_ws.cli("push", "tracking")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "0 pushed, 0 already done, 0 failed, 0 skipped" in second.stdout
    assert ships(demo_ws) == dict.fromkeys(ids, 1)  # no second ship
    assert demo_ws.counts()["paths"].get(SHIP, {}).get("calls", 0) == calls  # not even tried


def test_dry_run_writes_nothing(demo_ws):
    (pkg,) = setup(demo_ws, 1)
    write_shipments(demo_ws, [(pkg, "SF1", SF)])
    out = demo_ws.cli("push", "tracking", "--dry-run")
    assert out.returncode == 2, out.stdout + out.stderr  # drift left: nothing was pushed
    assert "1 to push" in out.stdout
    assert ships(demo_ws) == {}


@pytest.mark.parametrize(("packages", "path"), [(1, SHIP), (3, BATCH_SHIP)], ids=["one", "batch"])
def test_a_lost_answer_is_retried_and_the_package_still_ships_once(demo_ws, packages, path):
    ids = setup(demo_ws, packages)
    write_shipments(demo_ws, [(p, f"SF20{i}", SF) for i, p in enumerate(ids)])
    demo_ws.admin("POST", "faults", {"drop_after_commit": 1, "commit_fault_paths": [path]})
    demo_ws.admin("DELETE", "counts")
    out = demo_ws.cli("push", "tracking")
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"{packages} pushed, 0 already done, 0 failed" in out.stdout  # "already shipped" on retry: done
    assert ships(demo_ws) == dict.fromkeys(ids, 1)
    assert demo_ws.counts()["paths"][path]["calls"] == 2  # the call, and its retry after the lost answer


def test_many_packages_ship_in_calls_of_50_and_one_refused_fails_alone(demo_ws):
    ids = setup(demo_ws, 120, carriers='"Bogus Post" = "999"')
    rows = [(p, f"SF5{i:03d}", SF) for i, p in enumerate(ids)]
    rows[70] = (ids[70], "BG70", "Bogus Post")  # the sandbox refuses provider 999: that package alone
    write_shipments(demo_ws, rows)
    demo_ws.admin("DELETE", "counts")
    out = demo_ws.cli("push", "tracking")
    assert out.returncode == 1, out.stdout + out.stderr
    assert f"119 pushed, 0 already done, 1 failed ({ids[70]})" in out.stdout
    paths = demo_ws.counts()["paths"]
    assert paths[BATCH_SHIP]["calls"] == 3  # ceil(120 / 50) Batch Ship Packages calls
    assert paths.get(SHIP, {}).get("calls", 0) == 0  # none one by one
    assert ships(demo_ws) == {p: 1 for p in ids if p != ids[70]}
    assert package(demo_ws, ids[119])["tracking_number"] == "SF5119"


def test_the_re_read_after_pushing_reads_again_only_the_packages_pushed(demo_ws):
    ids = setup(demo_ws, 3)
    done = ("115410000000000001", "SF2000000000001", SF)  # a demo package shipped under this number
    write_shipments(demo_ws, [(p, f"SF6{i}", SF) for i, p in enumerate(ids)] + [done])
    demo_ws.admin("DELETE", "counts")
    out = demo_ws.cli("push", "tracking")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "3 pushed, 0 already done, 0 failed" in out.stdout
    assert demo_ws.counts()["paths"][DETAIL]["calls"] == 4 + 3  # observe all four, re-read the three shipped


def shipped_a_day_ago(ws, pkg: str, order: str, number: str, shipping_type: str) -> None:
    """A package its ``shipping_type`` shipped a day ago under ``number``, waiting for the carrier."""
    body = {"warehouse_id": "WH-DG", "id": order, "status": "AWAITING_COLLECTION", "create_time": "-1d",
            "shipping_type": shipping_type, "package": {"id": pkg, "tracking_number": number}}  # fmt: skip
    ws.admin("POST", "orders", body)


def test_already_shipped_with_the_same_number_is_done_and_another_is_corrected_in_the_window(demo_ws):
    setup(demo_ws, 0)
    # the seller shipped these a day ago under SF2000000000001 and SF2000000000002
    one, two = "115499100000000001", "115499100000000002"
    shipped_a_day_ago(demo_ws, one, "576999100000000001", "SF2000000000001", "SELLER")
    shipped_a_day_ago(demo_ws, two, "576999100000000002", "SF2000000000002", "SELLER")
    write_shipments(demo_ws, [(one, "SF2000000000001", SF), (two, "SF3000000000002", SF)])
    out = demo_ws.cli("push", "tracking")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 pushed" in out.stdout
    assert ships(demo_ws) == {}
    assert demo_ws.admin("GET", "effects")["shipping_info_update"] == {two: 1}
    assert package(demo_ws, two)["tracking_number"] == "SF3000000000002"
    again = demo_ws.cli("push", "tracking")
    assert "0 pushed" in again.stdout and again.returncode == 0
    assert demo_ws.admin("GET", "effects")["shipping_info_update"] == {two: 1}


def test_a_number_corrected_once_is_not_corrected_again_but_reported_each_run(demo_ws):
    """TikTok allows one delivery-information update per order (the sandbox answers 21011051 to a
    second): a second ERP change is reported as a difference only support can fix, never sent."""
    setup(demo_ws, 0)
    pkg = "115499300000000001"
    shipped_a_day_ago(demo_ws, pkg, "576999300000000001", "SF4000000000001", "SELLER")
    write_shipments(demo_ws, [(pkg, "SF4000000000002", SF)])
    first = demo_ws.cli("push", "tracking")
    assert first.returncode == 0 and "1 pushed" in first.stdout, first.stdout + first.stderr
    write_shipments(demo_ws, [(pkg, "SF4000000000003", SF)])  # the ERP changes its mind again
    for _ in range(2):
        out = demo_ws.cli("push", "tracking")
        said = out.stdout + out.stderr
        assert out.returncode == 2, said  # a drift left open, no failure
        assert f"0 failed, 1 skipped ({pkg})" in out.stdout, said
    assert demo_ws.admin("GET", "effects")["shipping_info_update"] == {pkg: 1}
    listed = demo_ws.cli("drifts", "--format", "json")
    assert "changed once already (from SF4000000000001)" in listed.stdout, listed.stdout + listed.stderr
    assert package(demo_ws, pkg)["tracking_number"] == "SF4000000000002"


def hand_update(ws, pkg: str, number: str) -> None:
    """The seller changes a package's number in Seller Center (the order's one update): a signed
    Update Package Shipping Info call of the suite's own, not erpsync's."""
    key, secret, token, _shop = DEMO
    path = UPDATE.format(package_id=pkg)
    query = {"app_key": key, "timestamp": str(int(time.time())), "shop_cipher": DEMO_CIPHER}
    body = json.dumps({"tracking_number": number, "shipping_provider_id": SF_ID}).encode()
    query["sign"] = sign(secret, path, query, body)
    headers = {"x-tts-access-token": token, "content-type": "application/json"}
    answer = requests.post(ws.url + path, params=query, data=body, headers=headers, timeout=10)
    assert answer.status_code == 200 and answer.json()["code"] == 0, answer.text


def test_a_correction_refused_as_the_orders_second_update_is_sent_once_then_reported(demo_ws):
    """An update made by hand before erpsync ever read the package cannot be seen: the correction
    is sent and refused with 21011051. The refusal is kept (the ledger's failed row): later runs
    send nothing and leave the drift open, saying why, until the ERP's number changes (a change of
    its case alone is the same number)."""
    setup(demo_ws, 0)
    pkg = "115499400000000001"
    shipped_a_day_ago(demo_ws, pkg, "576999400000000001", "SF5000000000001", "SELLER")
    hand_update(demo_ws, pkg, "SF5000000000002")
    write_shipments(demo_ws, [(pkg, "SF5000000000003", SF)])
    demo_ws.admin("DELETE", "counts")
    first = demo_ws.cli("push", "tracking")
    assert first.returncode == 1 and f"1 failed ({pkg})" in first.stdout, first.stdout + first.stderr
    assert "21011051" in first.stdout + first.stderr
    for _ in range(2):
        out = demo_ws.cli("push", "tracking")
        assert out.returncode == 2, out.stdout + out.stderr  # a drift left open, no failure
        assert f"0 failed, 1 skipped ({pkg})" in out.stdout, out.stdout + out.stderr
    assert demo_ws.counts()["paths"][UPDATE]["calls"] == 1  # the refused correction, never sent again
    listed = demo_ws.cli("drifts", "--format", "json")
    assert "refused erpsync's change to SF5000000000003 with 21011051" in listed.stdout, listed.stdout
    write_shipments(demo_ws, [(pkg, "sf5000000000003", SF)])  # the same number in lower case: not sent
    out = demo_ws.cli("push", "tracking")
    assert out.returncode == 2 and f"0 failed, 1 skipped ({pkg})" in out.stdout, out.stdout + out.stderr
    assert demo_ws.counts()["paths"][UPDATE]["calls"] == 1
    write_shipments(demo_ws, [(pkg, "SF5000000000004", SF)])  # a new number is tried once
    assert f"1 failed ({pkg})" in demo_ws.cli("push", "tracking").stdout
    assert demo_ws.cli("push", "tracking").returncode == 2
    assert demo_ws.counts()["paths"][UPDATE]["calls"] == 2
    assert package(demo_ws, pkg)["tracking_number"] == "SF5000000000002"


def test_a_package_tiktok_ships_is_never_self_shipped_nor_corrected(demo_ws):
    """TikTok ships a TIKTOK package under its own label: erpsync pushes nothing for it, and says so;
    the SELLER package beside it ships as before."""
    (seller_pkg,) = setup(demo_ws, 1)
    tiktok_pkg, shipped_pkg = "115499200000000001", "115499200000000002"
    body = {"warehouse_id": "WH-DG", "id": "576999200000000001", "package": {"id": tiktok_pkg}}
    demo_ws.admin("POST", "orders", body)  # TIKTOK: the default
    shipped_a_day_ago(demo_ws, shipped_pkg, "576999200000000002", "JT7000000000002", "TIKTOK")
    demo_ws.admin("DELETE", "effects")
    write_shipments(
        demo_ws,
        [(seller_pkg, "SF800", SF), (tiktok_pkg, "SF801", SF), (shipped_pkg, "SF802", SF)],
    )
    out = demo_ws.cli("push", "tracking")
    assert out.returncode == 2, out.stdout + out.stderr  # drifts left open: both TIKTOK packages
    assert f"1 pushed, 0 already done, 0 failed, 2 skipped ({tiktok_pkg}, {shipped_pkg})" in out.stdout
    effects = demo_ws.admin("GET", "effects")
    assert effects["ship"] == {seller_pkg: 1}  # the TIKTOK package awaiting shipment was not shipped
    assert effects["shipping_info_update"] == {}  # nor the shipped one corrected
    assert package(demo_ws, seller_pkg)["tracking_number"] == "SF800"
    assert package(demo_ws, tiktok_pkg)["tracking_number"] == ""
    assert package(demo_ws, shipped_pkg)["tracking_number"] == "JT7000000000002"
    said = out.stdout + out.stderr
    assert f"package {tiktok_pkg} is shipped by TikTok" in said and "erpsync pushes nothing for it" in said
    assert "the platform's label carries tracking number JT7000000000002" in said and "correct the ERP" in said
    again = demo_ws.cli("push", "tracking")
    assert "0 pushed, 0 already done, 0 failed, 2 skipped" in again.stdout, again.stdout + again.stderr
    assert demo_ws.admin("GET", "effects") == effects  # nothing tried on the second run either


def test_another_number_past_72_hours_is_refused_and_reported_by_id(demo_ws):
    (pkg,) = setup(demo_ws, 1)
    write_shipments(demo_ws, [(pkg, "SF400", SF)])
    assert demo_ws.cli("push", "tracking").returncode == 0
    demo_ws.admin("POST", "clock", {"advance_seconds": 73 * 3600})
    write_shipments(demo_ws, [(pkg, "SF401", SF)])  # the ERP fixes a typo three days later
    out = demo_ws.cli("push", "tracking")
    assert out.returncode == 1, out.stdout + out.stderr
    assert f"1 failed ({pkg})" in out.stdout
    assert "21011049" in out.stdout or "72 h" in out.stdout
    assert package(demo_ws, pkg)["tracking_number"] == "SF400"
    assert demo_ws.admin("GET", "effects")["shipping_info_update"] == {}
    # refused as past the window: nothing can be pushed, so a carrier name Seller Center does not
    # know is no record error, and the difference stays reported with the refusal
    write_shipments(demo_ws, [(pkg, "SF401", "Royal Mail Tracked")])
    again = demo_ws.cli("push", "tracking")
    assert again.returncode == 2 and "unknown carrier" not in again.stdout, again.stdout + again.stderr
    listed = demo_ws.cli("drifts", "--format", "json")
    assert "refused erpsync's change to SF401 with 21011049" in listed.stdout, listed.stdout


def test_a_package_that_fails_alone_is_named_and_the_others_ship(demo_ws):
    ids = setup(demo_ws, 3, carriers='"Bogus Post" = "999"')
    demo_ws.admin("POST", f"orders/57699900000000{1:04d}/status", {"status": "CANCELLED"})
    write_shipments(demo_ws, [(ids[0], "SF1", SF), (ids[1], "SF2", SF), (ids[2], "BG3", "Bogus Post")])
    out = demo_ws.cli("push", "tracking")
    assert out.returncode == 1, out.stdout + out.stderr
    assert f"1 failed ({ids[2]})" in out.stdout  # the sandbox refuses provider 999
    assert f"1 skipped ({ids[1]})" in out.stdout  # cancelled: reported, never shipped
    assert ships(demo_ws) == {ids[0]: 1}


def test_bad_rows_are_named_by_file_line_and_field_and_the_rest_is_pushed(demo_ws):
    ids = setup(demo_ws, 4)
    write_shipments(
        demo_ws,
        [(ids[0], "SF1", SF), (ids[1], "", SF), (ids[2], "SF 3", SF), (ids[3], "XX4", "Unknown Post")],
    )
    out = demo_ws.cli("push", "tracking")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "1 pushed" in out.stdout and "3 bad record(s)" in out.stdout
    assert "shipments.csv:3: shipment 'S2': tracking_number" in out.stdout
    assert "shipments.csv:4: shipment 'S3': tracking_number: 'SF 3' contains spaces" in out.stdout
    assert "shipments.csv:5: shipment 'S4': carrier: unknown carrier 'Unknown Post'" in out.stdout
    assert ships(demo_ws) == {ids[0]: 1}


def test_a_package_whose_erp_rows_disagree_is_not_pushed_and_a_done_one_needs_no_carrier(demo_ws):
    ids = setup(demo_ws, 5)
    rows = [(ids[0], "SF1", SF), (ids[1], "SF2", SF), (ids[1], "SF9", SF), (ids[2], "SF3", SF), (ids[2], "SF3", SF)]
    rows += [(ids[3], "SF4", SF), (ids[3], "SF 5", SF)]  # the second row refused as it is read: no number
    rows += [(ids[4], "SF6", SF), (ids[4], "SF6", "J&T Express")]  # one number, two carriers
    write_shipments(demo_ws, rows)
    out = demo_ws.cli("push", "tracking")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "2 pushed" in out.stdout and "6 bad record(s)" in out.stdout  # one per disagreeing row
    for line, sid in ((9, "S8"), (10, "S9")):
        assert f"shipments.csv:{line}: shipment '{sid}': carrier: package {ids[4]} has ERP shipments" in out.stdout
    for line, sid in ((3, "S2"), (4, "S3")):
        assert f"shipments.csv:{line}: shipment '{sid}': tracking_number: package {ids[1]}" in out.stdout
    assert "shipments.csv:8: shipment 'S7': tracking_number: 'SF 5' contains spaces" in out.stdout
    assert f"shipments.csv:7: shipment 'S6': tracking_number: package {ids[3]} has an ERP shipment" in out.stdout
    assert ships(demo_ws) == {ids[0]: 1, ids[2]: 1}  # the same number twice is one shipment
    assert package(demo_ws, ids[3])["tracking_number"] == package(demo_ws, ids[4])["tracking_number"] == ""
    # the ERP now names the carrier in its own words, which Seller Center does not know: the
    # packages are shipped with the ERP's numbers, so there is nothing to push and nothing to resolve
    write_shipments(demo_ws, [(ids[0], "SF1", "顺丰速运"), (ids[2], "SF3", "顺丰速运")])
    again = demo_ws.cli("push", "tracking")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "unknown carrier" not in again.stdout
    assert ships(demo_ws) == {ids[0]: 1, ids[2]: 1}


def test_a_shop_whose_erp_keeps_no_shipments_pushes_nothing_and_reads_no_package(demo_ws):
    demo_ws.admin("DELETE", "counts")
    out = demo_ws.cli("push", "tracking")  # the stock config: no shipments option
    assert out.returncode == 0, out.stdout + out.stderr
    assert "shop: not run: ERP 'files' keeps no shipments" in out.stdout  # never "0 pushed": nothing was checked
    assert demo_ws.counts()["total"]["calls"] == 0
    unknown = demo_ws.cli("push", "nosuch")
    assert unknown.returncode == 64 and "unknown aspect 'nosuch'" in unknown.stderr
