"""Pickup truth through the sandbox on a moved clock: saves, reviews, cancellations, labels.

Each test tells one story from the 2023 provider switch notice (docs/domain.md) with the sandbox
playing Seller Center, the provider and the driver, and erpsync's ``Syncer`` run as cron would run
it, both on one clock (``pickup_world``). The demo scenario: WH-DG (东莞) never subscribed and
ships DROP OFF; WH-SZ (深圳) has an active Wanse subscription and WS waybills; reviews take 4 h.
"""

from __future__ import annotations

import pytest
from pickup_world import World, drift, events, kinds, open_world

pytestmark = pytest.mark.integration


@pytest.fixture
def world(demo_ws, pm, registry):
    with open_world(demo_ws, pm, registry) as w:
        yield w


def subscribing(world: World) -> None:
    """In sync, then WH-DG asks for pickup: the seller saves the address, ops set the ERP to PICK UP."""
    world.set_erp({"WH-DG": "DROP OFF", "WH-SZ": "PICK UP"})
    assert world.run().exit_code == 0  # erpsync has seen the address just before the save
    world.resave("WH-DG")
    world.switch_erp("WH-DG", "PICK UP")


def test_punctuation_only_save_is_seen_as_a_review(world):
    """The switch notice's way to (re)subscribe (Q4): add a comma and save. Nothing else shows that
    save: WH-DG was not offered pickup before and is not now, and the normalised address is equal."""
    world.set_erp({"WH-DG": "DROP OFF", "WH-SZ": "PICK UP"})
    assert world.run(aspects=None).exit_code == 0
    world.resave("WH-DG", "，")
    world.switch_erp("WH-DG", "PICK UP")  # the ERP keeps the address as it was, without the comma
    world.advance(hours=1)
    report = world.run(aspects=None)

    assert world.status("WH-DG") == "pending_review"
    assert kinds(report) == {("review_pending", "WH-DG")}  # no address drift, no "not subscribed"
    pending = drift(report, "review_pending", "WH-DG")
    assert pending.severity.value == "warning"
    assert "the warehouse address was re-saved" in " ".join(w.en for w in pending.why)


def test_review_done_in_four_hours_is_a_warning_and_never_flips_the_erp(world):
    subscribing(world)
    erp_before = world.ws.erp_file.read_bytes()

    world.advance(hours=1)
    pending = world.run(apply=True)
    assert kinds(pending, "WH-DG") == {("review_pending", "WH-DG")}
    assert drift(pending, "review_pending", "WH-DG").severity.value == "warning"
    assert not [r for s in pending.shops for a in s.aspects for r in a.actions]  # nothing to revert later
    assert world.ws.erp_file.read_bytes() == erp_before  # still PICK UP: where the review leads

    world.advance(hours=4)  # the provider reviews within 4 h of the save
    assert world.status("WH-DG") == "active"
    active = world.run(apply=True)
    assert active.exit_code == 0, kinds(active)
    assert world.ws.erp_file.read_bytes() == erp_before
    assert events(world.ws.alerts()) == [("opened", "review_pending"), ("resolved", "review_pending")]


def test_review_stuck_from_the_save_until_it_completes(world):
    """Past 24 h counted from the save (not from the run that noticed it), open while pending."""
    world.review("WH-DG", delay_hours=None)  # the provider never calls
    subscribing(world)

    world.advance(hours=3)  # the next cron run notices the save
    assert kinds(world.run(), "WH-DG") == {("review_pending", "WH-DG")}
    world.advance(hours=20, minutes=50)  # 23 h 50 min after the save
    assert kinds(world.run(), "WH-DG") == {("review_pending", "WH-DG")}
    world.advance(minutes=20)  # 24 h 10 min after the save, 21 h 10 min after it was noticed
    stuck = world.run()
    assert kinds(stuck, "WH-DG") == {("review_stuck", "WH-DG")}
    assert drift(stuck, "review_stuck", "WH-DG").severity.value == "critical"

    world.advance(days=15)  # every package of WH-DG has left the 14-day lookback
    assert world.status("WH-DG") == "pending_review"
    assert ("review_stuck", "WH-DG") in kinds(world.run())

    world.review("WH-DG", complete=True)
    world.add_package("WH-DG")  # the first label after the review: PICK UP with a Wanse waybill
    assert kinds(world.run(), "WH-DG") == set()

    told = events(world.ws.alerts(), "WH-DG")
    # one drift in two stages: opened while pending, escalated once stuck (never resolved between),
    # reminders while it stayed open for days (remind_after_hours, 24 by default), one resolved
    assert told[:2] == [("opened", "review_pending"), ("escalated", "review_stuck")]
    assert told[-1] == ("resolved", "review_stuck")
    assert {e[0] for e in told[2:-1]} == {"reminder"}


def test_deliberate_cancellation_is_not_a_stuck_review(world):
    """The seller cancels as the switch notice says (Q13): ERP to DROP OFF, re-save, decline the call."""
    world.set_erp({"WH-DG": "DROP OFF", "WH-SZ": "PICK UP"})
    assert world.run().exit_code == 0
    world.switch_erp("WH-SZ", "DROP OFF")
    world.resave("WH-SZ")

    world.advance(hours=1)  # the provider has not called yet
    assert world.run(apply=True).exit_code == 0  # read as a cancellation: no review to wait for
    world.advance(hours=1)
    world.decline("WH-SZ")
    assert world.status("WH-SZ") == "cancelled"

    for days in (2, 13):  # 2 days after the save, then 15
        world.advance(days=days)
        assert kinds(world.run(apply=True), "WH-SZ") == set()  # no review, stuck or not
        assert world.erp_modes()["WH-SZ"] == "DROP OFF"

    # WH-SZ's PICK UP labels printed while pickup was active were never flagged (above, at 2 days);
    # one printed after the cancellation is, and the drift names the status erpsync inferred.
    late = world.add_package("WH-SZ", handover_method="PICKUP", tracking_number="WS8000000001")
    labels = drift(world.run(), "label_mode_mismatch", "WH-SZ")
    assert "cancelled" in labels.text("en")
    assert late["id"] in labels.text("en") and "1 parcel(s)" in labels.text("en")


def test_drift_turning_the_other_way_is_a_new_alert(world):
    world.set_erp({"WH-DG": "PICK UP", "WH-SZ": "PICK UP"})
    first = world.run()
    assert drift(first, "mode_mismatch", "WH-DG").erp_value == "PICK UP"  # not subscribed: no driver comes

    # Between two runs the seller subscribes and someone sets the ERP to DROP OFF by hand.
    world.resave("WH-DG")
    world.advance(hours=5)
    assert world.status("WH-DG") == "active"
    world.switch_erp("WH-DG", "DROP OFF")
    turned = world.run()
    assert drift(turned, "mode_mismatch", "WH-DG").erp_value == "DROP OFF"

    new = drift(turned, "mode_mismatch", "WH-DG").fingerprint
    old = drift(first, "mode_mismatch", "WH-DG").fingerprint
    assert new != old
    seen = [(a["run_id"], a["event"], a["erp_value"], a["fingerprint"]) for a in world.ws.alerts()]
    assert [s for s in seen if s[0] == first.run_id] == [(first.run_id, "opened", "PICK UP", old)]
    assert sorted(s[1:] for s in seen if s[0] == turned.run_id) == [  # both in the run that saw the turn
        ("opened", "DROP OFF", new),
        ("resolved", "PICK UP", old),
    ]


def test_label_alert_resolves_when_the_parcels_are_collected(world):
    """PICK UP labels while not subscribed: no driver comes; once the parcels are handed over, over."""
    world.set_erp({"WH-DG": "DROP OFF", "WH-SZ": "PICK UP"})
    wrong = [world.add_package("WH-DG", handover_method="PICKUP")["id"] for _ in range(2)]

    first = world.run()
    labels = drift(first, "label_mode_mismatch", "WH-DG")
    assert labels.severity.value == "critical" and "2 parcel(s)" in labels.text("en")
    assert first.exit_code == 2

    world.collect(wrong[0])
    world.advance(days=1)
    assert "1 parcel(s)" in drift(world.run(), "label_mode_mismatch", "WH-DG").text("en")

    world.collect(wrong[1])
    world.advance(days=1)
    done = world.run()
    assert done.exit_code == 0, kinds(done)  # long before the parcels leave the 14-day lookback
    told = [e for e in events(world.ws.alerts()) if e[0] != "reminder"]  # a reminder a day while open
    assert told == [("opened", "label_mode_mismatch"), ("resolved", "label_mode_mismatch")]
