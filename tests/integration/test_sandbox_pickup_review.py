"""The pickup review as the seed tells it, in the sandbox over loopback, on its virtual clock.

Each transition is driven through the admin API (``/_sandbox/warehouses/<id>/address``, ``.../review``,
``.../decline``, ``/_sandbox/clock``) and checked where erpsync would see it: the Open API's handover
time slots, the labels of new packages and the warehouse address text, read with the suites' own
signed client (sandbox_wire.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from sandbox_wire import WAREHOUSES, Wire

pytestmark = pytest.mark.integration

DG = "WH-DG-01"  # 东莞, pickup active (Wanse)
SZ = "WH-SZ-01"  # 深圳, review pending since -1h, world delay 4 h
DG_PACKAGE = "115400000000000001"  # a PICKUP WS label of WH-DG-01, order awaiting collection
HOUR = 3600


class Pickup(Wire):
    """The suites' signed client plus the pickup look-ups these tests share."""

    def now(self) -> int:
        return self.admin("GET", "state")["clock"]["virtual_now"]

    def warehouse(self, warehouse_id: str) -> dict[str, Any]:
        return next(w for w in self.admin("GET", "state")["warehouses"] if w["id"] == warehouse_id)

    def status(self, warehouse_id: str) -> str:
        return self.warehouse(warehouse_id)["subscription"]["status"]

    def slots(self, package_id: str) -> dict[str, Any]:
        return self.ok("GET", f"/fulfillment/202309/packages/{package_id}/handover_time_slots")

    def detail(self, package_id: str) -> dict[str, Any]:
        return self.ok("GET", f"/fulfillment/202309/packages/{package_id}")

    def new_label(self, warehouse_id: str) -> dict[str, Any]:
        """A package added now, labelled as Seller Center would print it; its Open API detail."""
        added = self.admin("POST", "packages", {"warehouse_id": warehouse_id})["packages"][0]
        return self.detail(added["id"])

    def open_api_address(self, warehouse_id: str) -> dict[str, str]:
        return next(w for w in self.ok("GET", WAREHOUSES)["warehouses"] if w["id"] == warehouse_id)["address"]

    def post(self, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
        response = self.http.post(f"{self.base}/_sandbox/{path}", json=body)
        return response.status_code, response.json()


@pytest.fixture
def sc(server: Any) -> Pickup:
    client = Pickup(server.url)
    client.admin("POST", "reset")
    return client


def near(a: int | None, b: int) -> bool:
    """Virtual now moves with the wall clock: two reads may differ by a second or two."""
    return a is not None and abs(a - b) <= 2


def assert_no_pickup(sc: Pickup, package_id: str) -> None:
    slots = sc.slots(package_id)
    assert (slots["can_pickup"], slots["can_drop_off"], slots["pickup_slots"]) == (False, True, [])


def assert_pickup(sc: Pickup, package_id: str) -> None:
    slots = sc.slots(package_id)
    assert slots["can_pickup"] is True and slots["can_drop_off"] is True and slots["pickup_slots"]


# -- review delay per warehouse ------------------------------------------------------------------


def test_review_completes_after_the_warehouses_own_delay(sc: Pickup) -> None:
    saved = sc.admin("POST", f"warehouses/{DG}/address", {"phone_number": "13800138009"})
    requested = saved["subscription"]["requested_at"]
    view = sc.admin("POST", f"warehouses/{DG}/review", {"delay_hours": 2})
    sub = view["subscription"]
    assert sub["status"] == "pending_review" and sub["review_delay_hours"] == 2 and sub["review_delay_override"]
    assert sub["review_due_at"] == requested + 2 * HOUR
    sc.advance(2 * HOUR - 60)
    assert sc.status(DG) == "pending_review"
    assert_no_pickup(sc, DG_PACKAGE)
    sc.advance(120)
    done = sc.warehouse(DG)["subscription"]
    assert done["status"] == "active" and done["reviewed_at"] == requested + 2 * HOUR
    assert done["review_due_at"] is None
    assert_pickup(sc, DG_PACKAGE)
    # the world's delay (4 h) still governs the other warehouse: saved at -1h, due in 3 h
    assert sc.status(SZ) == "pending_review"
    assert sc.warehouse(SZ)["subscription"]["review_delay_override"] is False


def test_a_stalled_review_stays_pending_until_its_delay_changes(sc: Pickup) -> None:
    stalled = sc.admin("POST", f"warehouses/{DG}/review", {"delay_hours": None})["subscription"]
    assert stalled["status"] == "active" and stalled["review_delay_hours"] is None  # no review to stall yet
    sc.admin("POST", f"warehouses/{DG}/address", {})
    sc.advance(14 * 86400)
    sub = sc.warehouse(DG)["subscription"]
    assert sub["status"] == "pending_review" and sub["review_due_at"] is None
    assert_no_pickup(sc, DG_PACKAGE)
    assert sc.new_label(DG)["handover_method"] == "DROP_OFF"
    # the provider calls at last: a 1 h delay that elapsed long ago completes the review now, not in the past
    changed_at = sc.now()
    done = sc.admin("POST", f"warehouses/{DG}/review", {"delay_hours": 1})["subscription"]
    assert done["status"] == "active" and near(done["reviewed_at"], changed_at)
    assert near(done["history"][-1]["at"], changed_at)
    assert_pickup(sc, DG_PACKAGE)


def test_the_override_outlives_the_next_save(sc: Pickup) -> None:
    sc.admin("POST", f"warehouses/{DG}/review", {"delay_hours": None})
    sc.admin("POST", f"warehouses/{DG}/address", {})
    sc.advance(30 * HOUR)
    sc.admin("POST", f"warehouses/{DG}/address", {})  # the seller re-saves: still no call
    sc.advance(30 * HOUR)
    assert sc.status(DG) == "pending_review"


def test_complete_now(sc: Pickup) -> None:
    sc.admin("POST", "settings", {"review_delay_hours": None})
    sc.admin("POST", f"warehouses/{DG}/address", {})
    sc.advance(6 * HOUR)
    assert_no_pickup(sc, DG_PACKAGE)
    at = sc.now()
    sub = sc.admin("POST", f"warehouses/{DG}/review", {"complete": True})["subscription"]
    assert sub["status"] == "active" and near(sub["reviewed_at"], at)
    assert sub["history"][-1]["status"] == "active"
    assert_pickup(sc, DG_PACKAGE)
    code, body = sc.post(f"warehouses/{DG}/review", {"complete": True})
    assert code == 409 and "no review is pending" in body["message"] and "active" in body["message"]


def test_world_delay_change_mid_review_completes_no_earlier_than_the_change(sc: Pickup) -> None:
    sc.admin("POST", "settings", {"review_delay_hours": None})
    sc.admin("POST", f"warehouses/{DG}/address", {})
    sc.advance(10 * HOUR)
    at = sc.now()
    sc.admin("POST", "settings", {"review_delay_hours": 4})
    sub = sc.warehouse(DG)["subscription"]
    assert sub["status"] == "active" and near(sub["reviewed_at"], at)  # not at save + 4 h


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({}, 400, "delay_hours"),
        ({"delay_hours": -1}, 400, "delay_hours"),
        ({"delay_hours": True}, 400, "delay_hours"),
        ({"delay_hours": "4"}, 400, "delay_hours"),
        ({"complete": "yes"}, 400, "complete"),
        ({"other": 1}, 400, "other"),
    ],
)
def test_review_refuses_bad_bodies(sc: Pickup, body: dict[str, Any], status: int, words: str) -> None:
    code, answer = sc.post(f"warehouses/{DG}/review", body)
    assert code == status and answer["code"] == 36009004 and words in answer["message"]
    assert sc.warehouse(DG)["subscription"]["review_delay_override"] is False


def test_unknown_warehouse_is_404(sc: Pickup) -> None:
    for path, body in (("review", {"complete": True}), ("decline", None)):
        code, answer = sc.post(f"warehouses/NOPE/{path}", body)
        assert code == 404 and "NOPE" in answer["message"]


# -- a declined call ---------------------------------------------------------------------------


def test_declined_call_cancels_and_labels_go_drop_off(sc: Pickup) -> None:
    assert sc.new_label(DG)["tracking_number"].startswith("WS")
    sc.admin("POST", f"warehouses/{DG}/address", {"address_line1": "振安中路 88号 3栋。"})
    at = sc.now()
    sub = sc.admin("POST", f"warehouses/{DG}/decline")["subscription"]
    assert sub["status"] == "cancelled" and near(sub["cancelled_at"], at) and sub["reviewed_at"] is None
    assert [h["status"] for h in sub["history"]][-2:] == ["pending_review", "cancelled"]
    sc.advance(5 * HOUR)  # past the 4 h the review would have taken: the declined request stays rejected
    assert sc.status(DG) == "cancelled"
    assert_no_pickup(sc, DG_PACKAGE)
    label = sc.new_label(DG)
    assert label["handover_method"] == "DROP_OFF" and label["tracking_number"].startswith("SF")
    assert label["shipping_provider_name"].startswith("SF Express")


def test_decline_needs_a_pending_review(sc: Pickup) -> None:
    code, answer = sc.post(f"warehouses/{DG}/decline")
    assert code == 409 and "no review is pending" in answer["message"] and "active" in answer["message"]
    code, answer = sc.post(f"warehouses/{SZ}/decline", {"note": "x"})
    assert code == 400 and sc.status(SZ) == "pending_review"
    assert sc.admin("POST", f"warehouses/{SZ}/decline")["subscription"]["status"] == "cancelled"
    code, answer = sc.post(f"warehouses/{SZ}/decline")
    assert code == 409 and "cancelled" in answer["message"]
    sc.admin("POST", f"warehouses/{DG}/address", {})
    sc.advance(4 * HOUR + 60)  # the review completed meanwhile: nothing left to decline
    code, answer = sc.post(f"warehouses/{DG}/decline")
    assert code == 409 and sc.status(DG) == "active"


def test_a_stuck_review_can_still_be_declined(sc: Pickup) -> None:
    sc.admin("POST", f"warehouses/{DG}/review", {"delay_hours": None})
    sc.admin("POST", f"warehouses/{DG}/address", {})
    sc.advance(13 * 86400)
    assert sc.admin("POST", f"warehouses/{DG}/decline")["subscription"]["status"] == "cancelled"


def test_saving_after_a_decline_starts_a_new_review(sc: Pickup) -> None:
    sc.admin("POST", f"warehouses/{DG}/cancel_pickup")  # the one-step shortcut still works
    assert sc.status(DG) == "cancelled"
    assert sc.admin("POST", f"warehouses/{DG}/address", {})["subscription"]["status"] == "pending_review"
    sc.advance(4 * HOUR + 60)
    assert sc.status(DG) == "active"


# -- punctuation-only saves --------------------------------------------------------------------


@pytest.mark.parametrize(
    "line1", ["振安中路 88号 3栋,", "振安中路 88号 3栋，", "振安中路 88号 3栋.", "振安中路 88号 3栋。"]
)
def test_punctuation_only_save_starts_a_review_and_shows_exactly(sc: Pickup, line1: str) -> None:
    before = sc.open_api_address(DG)
    assert before["address_line1"] == "振安中路 88号 3栋"
    at = sc.now()
    saved = sc.admin("POST", f"warehouses/{DG}/address", {"address_line1": line1})
    assert saved["subscription"]["status"] == "pending_review" and near(saved["saved_at"], at)
    assert near(saved["subscription"]["requested_at"], at)
    after = sc.open_api_address(DG)
    assert after["address_line1"] == line1
    assert after["full_address"] == before["full_address"] + line1[-1]
    assert {k: v for k, v in after.items() if k not in ("address_line1", "full_address")} == {
        k: v for k, v in before.items() if k not in ("address_line1", "full_address")
    }
    assert sc.detail(DG_PACKAGE)["sender_address"]["address_line1"] == line1
    assert_no_pickup(sc, DG_PACKAGE)


def test_identical_save_restarts_the_review(sc: Pickup) -> None:
    address = sc.open_api_address(DG)
    first = sc.admin("POST", f"warehouses/{DG}/address", {"full_address": address["full_address"]})
    assert first["subscription"]["status"] == "pending_review"
    assert sc.open_api_address(DG) == address  # the same text, yet a new request
    sc.advance(3 * HOUR)
    again = sc.admin("POST", f"warehouses/{DG}/address", {})  # re-saved unchanged while under review
    assert again["subscription"]["requested_at"] >= first["subscription"]["requested_at"] + 3 * HOUR
    sc.advance(2 * HOUR)  # 5 h after the first save, 2 h after the second
    assert sc.status(DG) == "pending_review"
    sc.advance(2 * HOUR + 60)
    assert sc.status(DG) == "active"
    statuses = [h["status"] for h in sc.warehouse(DG)["subscription"]["history"]]
    assert statuses == ["active", "pending_review", "pending_review", "active"]


def test_saves_and_reviews_run_on_the_virtual_clock(sc: Pickup) -> None:
    sc.advance(5 * 86400)
    at = sc.now()
    sub = sc.admin("POST", f"warehouses/{DG}/address", {})["subscription"]
    assert near(sub["requested_at"], at) and sub["review_due_at"] == sub["requested_at"] + 4 * HOUR
    sc.advance(4 * HOUR)
    assert sc.warehouse(DG)["subscription"]["reviewed_at"] == sub["requested_at"] + 4 * HOUR


# -- handover evidence during a review -----------------------------------------------------------


def test_handover_evidence_follows_the_review(sc: Pickup) -> None:
    assert_pickup(sc, DG_PACKAGE)
    sc.admin("POST", f"warehouses/{DG}/address", {"address_line1": "振安中路 88号 3栋,"})
    assert_no_pickup(sc, DG_PACKAGE)  # a package labelled PICKUP before the save: no pickup offered now
    during = sc.new_label(DG)
    assert during["handover_method"] == "DROP_OFF" and during["tracking_number"].startswith("SF")
    assert_no_pickup(sc, during["package_id"])
    order = sc.admin("POST", "orders", {"warehouse_id": DG, "status": "AWAITING_COLLECTION"})
    shipped = sc.detail(order["packages"][0]["id"])
    assert shipped["handover_method"] == "DROP_OFF" and shipped["tracking_number"].startswith("SF")
    sc.advance(4 * HOUR)
    assert_pickup(sc, DG_PACKAGE)
    assert_pickup(sc, during["package_id"])
    after = sc.new_label(DG)
    assert after["handover_method"] == "PICKUP" and after["tracking_number"].startswith("WS")
    assert after["shipping_provider_name"].startswith("Wanse")
    assert sc.detail(during["package_id"])["handover_method"] == "DROP_OFF"  # printed labels keep their mode


def test_pending_scenario_warehouse_offers_no_pickup_until_reviewed(sc: Pickup) -> None:
    sz_package = sc.admin("POST", "packages", {"warehouse_id": SZ})["packages"][0]
    assert sz_package["handover_method"] == "DROP_OFF" and sz_package["tracking_number"].startswith("SF")
    assert_no_pickup(sc, sz_package["id"])
    sc.advance(3 * HOUR + 60)
    assert_pickup(sc, sz_package["id"])
    assert sc.new_label(SZ)["tracking_number"].startswith("WS")
