"""The tracking aspect against the sandbox for an order of two packages, one shipped by hand.

An order PARTIALLY_SHIPPING has shipped some of its packages: its line items say which, and the
package shipped in Seller Center under another number than the ERP's is a difference to correct,
not a ship that Seller Center answers "already shipped" (counted as done, the difference unseen).
"""

from __future__ import annotations

import json
import time

import pytest
import requests
from sandbox_wire import sign
from test_tracking import DEMO, DEMO_CIPHER, SF, SF_ID, SHIP, package, setup, ships, write_shipments

pytestmark = pytest.mark.integration

ORDER = "576999500000000001"
HAND, WAITING = "115499500000000001", "115499500000000002"


def hand_ship(ws, pkg: str, number: str) -> None:
    """The seller ships one package in Seller Center: a signed Ship Package call of the suite's own."""
    key, secret, token, _shop = DEMO
    path = SHIP.format(package_id=pkg)
    query = {"app_key": key, "timestamp": str(int(time.time())), "shop_cipher": DEMO_CIPHER}
    shipment = {"tracking_number": number, "shipping_provider_id": SF_ID}
    body = json.dumps({"handover_method": "DROP_OFF", "self_shipment": shipment}).encode()
    query["sign"] = sign(secret, path, query, body)
    headers = {"x-tts-access-token": token, "content-type": "application/json"}
    answer = requests.post(ws.url + path, params=query, data=body, headers=headers, timeout=10)
    assert answer.status_code == 200 and answer.json()["code"] == 0, answer.text


def test_a_package_shipped_by_hand_in_a_partly_shipped_order_is_corrected_and_the_other_shipped(demo_ws):
    setup(demo_ws, 0)
    items = [{"product_name": "Mug", "package_id": HAND}, {"product_name": "Cup", "package_id": WAITING}]
    body = {"warehouse_id": "WH-DG", "id": ORDER, "shipping_type": "SELLER", "line_items": items}
    demo_ws.admin("POST", "orders", {**body, "packages": [{"id": HAND}, {"id": WAITING}]})
    hand_ship(demo_ws, HAND, "SF7000000000001")  # the order is now PARTIALLY_SHIPPING
    demo_ws.admin("DELETE", "effects")
    write_shipments(demo_ws, [(HAND, "SF7000000000002", SF), (WAITING, "SF7000000000003", SF)])
    out = demo_ws.cli("push", "tracking")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "2 pushed, 0 already done, 0 failed" in out.stdout, out.stdout
    effects = demo_ws.admin("GET", "effects")
    assert effects["ship"] == {WAITING: 1}  # the other package awaited shipment: shipped
    assert effects["shipping_info_update"] == {HAND: 1}  # the one shipped by hand: corrected, not shipped
    assert [package(demo_ws, p)["tracking_number"] for p in (HAND, WAITING)] == ["SF7000000000002", "SF7000000000003"]
    again = demo_ws.cli("push", "tracking")
    assert again.returncode == 0 and "0 pushed, 0 already done, 0 failed" in again.stdout, again.stdout
    assert ships(demo_ws) == {WAITING: 1}
