"""An ERP that keeps no Seller Center ids, against the sandbox: the core matches, reports, keeps."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.integration

MODES = {"WH-DG": "DROP OFF", "WH-SZ": "PICK UP"}


def test_rows_without_seller_ids_match_by_name_and_a_twin_is_reported(demo_ws):
    rows = demo_ws.erp_rows_matching_seller(MODES)
    for i, row in enumerate(rows):
        row["id"], row["seller_warehouse_id"] = f"ERP-{i}", ""
    rows[1]["street"] += "B座"  # material drift on the name-matched Shenzhen record
    twin = {**rows[0], "id": "ERP-9", "street": "另一条路 1号"}  # same name as ERP-0, another street
    demo_ws.write_config(extra="")
    demo_ws.write_erp([*rows, twin])

    plan = demo_ws.cli("reconcile", "--format", "json", "--aspect", "warehouse_address")
    report = json.loads(plan.stdout)
    (aspect,) = [a for s in report["shops"] for a in s["aspects"] if a["aspect"] == "warehouse_address"]
    drifts = {(d["warehouse"], d["field"]) for d in aspect["drifts"]}
    # ERP-0 and its twin share a name: only the street (equal to WH-DG's) decides, for ERP-0 alone
    assert drifts == {("WH-SZ", "street")}, plan.stdout
    notes = json.dumps(report, ensure_ascii=False)
    assert "ERP warehouse ERP-9 (东莞仓) could be Seller Center warehouse WH-DG: not compared, never guessed" in notes

    # configured bindings win: ERP-9 bound to WH-DG by the operator, ERP-0 is left unmatched
    demo_ws.write_config(extra="")
    text = demo_ws.config.read_text(encoding="utf-8")
    demo_ws.config.write_text(text.replace("[shops.seller]", '[shops.bindings]\nERP-9 = "WH-DG"\n[shops.seller]'))
    plan = demo_ws.cli("reconcile", "--format", "json", "--aspect", "warehouse_address")
    report = json.loads(plan.stdout)
    (aspect,) = [a for s in report["shops"] for a in s["aspects"] if a["aspect"] == "warehouse_address"]
    assert ("WH-DG", "street") in {(d["warehouse"], d["field"]) for d in aspect["drifts"]}, plan.stdout
