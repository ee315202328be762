"""The rest ERP end to end: the real CLI, the REST ERP server and the sandbox seller, both on loopback.

The config is ``config/rest-erp.toml`` itself with the two servers' ports filled in, so the
worked example is what is tested: ``check``, a plan that finds the drifts the seed holds, an
``--apply`` that PATCHes only those fields into the ERP, a plan that finds nothing, and a
tracking number from the ERP's shipments pushed to Seller Center.
"""

from __future__ import annotations

import copy
import json

import pytest
from rest_erp_world import CONFIG, TOKEN

from erpsync.erp_servers.rest import RestErpServer
from erpsync.erp_servers.rest_sample import SAMPLE

pytestmark = pytest.mark.integration

SF = "SF Express (顺丰)"  # a provider of the demo shop's "Shipped by seller" option


def seeded() -> dict:
    """The sample, drifted: Dongguan's ERP record says PICK UP (Seller Center: not subscribed),
    Shenzhen's street has a building the seller's address lacks; products are out of this test."""
    data = copy.deepcopy(SAMPLE)
    dg, sz = data["warehouses"]
    dg["contact"]["phone"] = "13800138000"
    dg["logistics"]["handover"] = "collect"
    sz["address"]["lines"] = ["西乡街道 固戍二路 12号 B座"]
    data["products"] = []
    return data


@pytest.fixture
def rest_erp(demo_ws, monkeypatch):
    monkeypatch.setenv("REST_ERP_TOKEN", TOKEN)
    with RestErpServer(seeded(), token=TOKEN) as erp:
        text = CONFIG.read_text(encoding="utf-8")
        text = text.replace("http://127.0.0.1:8765", demo_ws.url).replace("http://127.0.0.1:8070", erp.url)
        demo_ws.config.write_text(text, encoding="utf-8")
        yield erp


def drifts(stdout: str) -> set[tuple[str, str]]:
    report = json.loads(stdout)
    return {(d["warehouse"], d["field"]) for s in report["shops"] for a in s["aspects"] for d in a["drifts"]}


def test_check_plan_apply_then_in_sync(demo_ws, rest_erp):
    check = demo_ws.cli("check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "2 warehouses" in check.stdout and "also mapped: products, shipments, orders" in check.stdout

    before = rest_erp.app.snapshot()
    plan = demo_ws.cli("reconcile", "--format", "json")
    assert plan.returncode == 2, plan.stdout + plan.stderr
    found = drifts(plan.stdout)
    statuses = {subject for subject, field in found if field == "status"}  # the shop's orders, none in the ERP
    assert found - {(o, "status") for o in statuses} == {("WH-DG", "handover_mode"), ("WH-SZ", "street")}
    assert statuses
    assert rest_erp.app.snapshot() == before  # a plan writes nothing
    assert not [r for r in rest_erp.app.requests if not r.startswith("GET ")]

    applied = demo_ws.cli("reconcile", "--apply")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "fixed in ERP" in applied.stdout
    dg, sz = rest_erp.app.snapshot()["warehouses"]
    assert dg["logistics"] == {"handover": "self"}
    assert sz["address"]["lines"] == ["西乡街道 固戍二路 12号"]
    assert sz["address"]["province"] == "CN-GD" and sz["contact"] == before["warehouses"][1]["contact"]
    writes = [r for r in rest_erp.app.requests if not r.startswith("GET ")]
    assert sorted(w for w in writes if "/warehouses/" in w) == [
        "PATCH /api/v1/warehouses/ERP-DG",
        "PATCH /api/v1/warehouses/ERP-SZ",
    ]
    assert {o["id"] for o in rest_erp.app.snapshot()["orders"]} == statuses  # recorded with PUT
    assert all(o["status"] and o["updated"] for o in rest_erp.app.snapshot()["orders"])

    again = demo_ws.cli("reconcile")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "In sync" in again.stdout


def test_tracking_number_from_the_erp_is_pushed_once(demo_ws, rest_erp):
    pkg, order = "115499000000009001", "576999000000009001"
    demo_ws.admin(
        "POST", "orders", {"warehouse_id": "WH-DG", "id": order, "package": {"id": pkg}, "shipping_type": "SELLER"}
    )
    shipment = {"id": "S1", "package": pkg, "order": order, "waybill": {"number": "SF9001", "carrier": SF}}
    rest_erp.app.load({**rest_erp.app.snapshot(), "shipments": [{**shipment, "warehouse": "ERP-DG"}]})

    first = demo_ws.cli("push", "tracking")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "1 pushed, 0 already done, 0 failed" in first.stdout
    package = next(p for p in demo_ws.admin("GET", "state")["packages"] if p["id"] == pkg)
    assert package["tracking_number"] == "SF9001"
    second = demo_ws.cli("push", "tracking")
    assert "0 pushed" in second.stdout, second.stdout


def test_a_shipment_naming_a_missing_warehouse_is_reported_and_the_rest_pushed(demo_ws, rest_erp):
    rows = []
    for n in (1, 2):
        pkg, order = f"11549900000000910{n}", f"57699900000000910{n}"
        demo_ws.admin(
            "POST", "orders", {"warehouse_id": "WH-DG", "id": order, "package": {"id": pkg}, "shipping_type": "SELLER"}
        )
        waybill = {"number": f"SF910{n}", "carrier": SF}
        rows.append({"id": f"S{n}", "package": pkg, "order": order, "waybill": waybill, "warehouse": "ERP-DG"})
    rows[1]["warehouse"] = "ERP-GONE"
    rest_erp.app.load({**rest_erp.app.snapshot(), "shipments": rows})
    result = demo_ws.cli("push", "tracking")
    assert "1 pushed" in result.stdout, result.stdout + result.stderr
    assert "ERP-GONE" in result.stdout + result.stderr


def test_hmac_signed_requests_are_accepted_and_a_wrong_secret_is_refused(demo_ws, monkeypatch):
    monkeypatch.setenv("REST_ERP_SECRET", "rest-erp-hmac-secret-01")
    with RestErpServer(seeded(), hmac_secret="rest-erp-hmac-secret-01") as erp:
        text = CONFIG.read_text(encoding="utf-8").replace("http://127.0.0.1:8070", erp.url)
        text = text.replace('token = "${REST_ERP_TOKEN:-rest-erp-demo-token}"', 'hmac_secret = "${REST_ERP_SECRET}"')
        demo_ws.config.write_text(text.replace("http://127.0.0.1:8765", demo_ws.url), encoding="utf-8")
        assert demo_ws.cli("check").returncode == 0
        monkeypatch.setenv("REST_ERP_SECRET", "another-secret-value")
        refused = demo_ws.cli("check")
        assert refused.returncode != 0
        assert "refused the credentials" in refused.stdout + refused.stderr
        assert "another-secret-value" not in refused.stdout + refused.stderr
