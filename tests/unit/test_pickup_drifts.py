"""The pickup drift rules one by one: reviews, labels, waybills, words and guided steps (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from erpsync.core.aspects.pickup import PickupAspect, PickupObservation, pickup_notes
from erpsync.core.aspects.pickup_evidence import PickupHistory
from erpsync.core.models import (
    Address,
    Drift,
    HandoverMode,
    PackageSignal,
    PickupConfirmation,
    PickupSignals,
    ProviderRegion,
    Severity,
    SlotSignal,
    Texts,
    Warehouse,
)
from erpsync.core.models import SubscriptionStatus as S
from erpsync.core.pickup_guides import Guides, ProviderContact
from erpsync.core.pickup_regions import BEIJING, DEFAULT_REGIONS
from erpsync.core.ports import Sighting

PICKUP, DROP_OFF = HandoverMode.PICKUP, HandoverMode.DROP_OFF
NOW = datetime(2024, 5, 1, 10, 0, tzinfo=BEIJING)
SWITCH = datetime(2023, 9, 19, 0, 0, tzinfo=BEIJING)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
DG = Address("张三", "13800138000", "CN", "广东省", "东莞市", "长安镇", "步步高大道126号", "523000")
SZ = replace(DG, city="深圳市", district="宝安区")
YIWU = replace(DG, state="浙江省", city="义乌市")
aspect = PickupAspect()


def pkg(
    pid: str, method: HandoverMode, at: datetime, status: str = "PROCESSING", tracking: str | None = None
) -> PackageSignal:
    waybill = tracking if tracking is not None else ("WS" + pid if method is PICKUP else "")
    return PackageSignal(pid, "WH-1", method, waybill or None, at, status)


def sig(*packages: PackageSignal, can_pickup: bool | None = None) -> PickupSignals:
    slots = None if can_pickup is None else SlotSignal("P-slot", can_pickup, True)
    return PickupSignals("WH-1", slots, packages)


def saved(at: datetime, *, was_active: bool = False, erp_dropped: bool = False) -> PickupHistory:
    """A save seen at ``at``; ``erp_dropped``: the ERP switched to DROP OFF in the same run."""
    h = PickupHistory(address=Sighting("new", at - 60 * DAY, at, "old", at))
    if erp_dropped:
        h = replace(h, erp_mode=Sighting("DROP_OFF", at - 60 * DAY, at, "PICKUP", at - HOUR))
    return replace(h, active=Sighting("no", at - 60 * DAY, at, "yes", at)) if was_active else h


def observation(
    signals: PickupSignals | None,
    erp_mode: HandoverMode | None,
    *,
    address: Address = DG,
    history: PickupHistory | None = None,
    regions: tuple[ProviderRegion, ...] = DEFAULT_REGIONS,
    guides: Guides | None = None,
    now: datetime = NOW,
) -> PickupObservation:
    obs = PickupObservation(
        "acme",
        now,
        seller_warehouses=[Warehouse("WH-1", "东莞一仓", address)],
        erp_warehouses=[Warehouse("E-1", "Dongguan 1", address, handover_mode=erp_mode, seller_warehouse_id="WH-1")],
        signals={"WH-1": signals} if signals else {},
        history={"WH-1": history} if history else {},
        regions=regions,
    )
    if guides is not None:
        obs.guides = guides
    return obs


def kinds(obs: PickupObservation) -> dict[str, Drift]:
    return {d.kind: d for d in aspect.diff(obs)}


# --- reviews -----------------------------------------------------------------------------------


@pytest.mark.parametrize("erp_mode", [PICKUP, None])
def test_a_review_under_the_sla_is_a_warning_and_not_a_mode_mismatch(erp_mode: HandoverMode | None) -> None:
    found = kinds(observation(sig(can_pickup=False), erp_mode, history=saved(NOW - 23 * HOUR)))
    assert set(found) == {"review_pending"}
    d = found["review_pending"]
    assert d.severity is Severity.WARNING and d.field == "subscription_status"
    assert "pending for 23 h" in d.message and "The ERP is left as is" in d.message
    assert d.summary is not None and "审核中" in d.summary.zh and "北京时间" in d.summary.zh


def test_the_review_is_stuck_from_the_sla_on_and_says_what_to_do() -> None:
    d = kinds(observation(sig(can_pickup=False), PICKUP, history=saved(NOW - 24 * HOUR)))["review_stuck"]
    assert d.severity is Severity.CRITICAL and d.seller_value == "pending_review"  # the table says 审核中
    assert "since 2024-04-30 10:00 Beijing time" in d.message
    assert "check them in Seller Center and call Wanse" in d.message
    assert d.summary is not None and "致电万色" in d.summary.zh
    assert "set the ERP to DROP OFF" in d.why[-1].en  # how a deliberate cancellation ends it
    sla = replace(observation(sig(can_pickup=False), PICKUP, history=saved(NOW - 30 * HOUR)), review_sla_hours=48)
    assert set(kinds(sla)) == {"review_pending"}


def test_a_review_under_the_sla_says_its_hours_rounded_down() -> None:
    """23.6 h is not "pending for 24 h (limit 24 h)", which reads as stuck while it is a warning."""
    d = kinds(observation(sig(can_pickup=False), PICKUP, history=saved(NOW - 23.6 * HOUR)))["review_pending"]
    assert "pending for 23 h" in d.message and d.summary is not None and "已 23 小时" in d.summary.zh


@pytest.mark.parametrize("was_active", [True, False])
def test_a_save_then_the_erp_switched_to_drop_off_is_never_a_review(was_active: bool) -> None:
    history = saved(NOW - 30 * DAY, was_active=was_active, erp_dropped=True)
    obs = observation(sig(can_pickup=False), DROP_OFF, history=history)
    assert kinds(obs) == {}
    assert obs.state_for(obs.seller_warehouses[0]).status is (S.CANCELLED if was_active else S.NOT_SUBSCRIBED)


# --- labels ------------------------------------------------------------------------------------


def test_labels_only_for_parcels_still_to_hand_over() -> None:
    parcels = [
        pkg("P1", PICKUP, NOW - 5 * HOUR, "PROCESSING"),
        pkg("P2", PICKUP, NOW - 6 * HOUR, "FULFILLING"),
        pkg("P3", PICKUP, NOW - 7 * HOUR, "COMPLETED"),
        pkg("P4", PICKUP, NOW - 8 * HOUR, "CANCELLED"),
        pkg("P5", PICKUP, NOW - 9 * HOUR, None),  # status unknown: not known to be handed over
    ]
    d = kinds(observation(sig(*parcels, can_pickup=False), DROP_OFF))["label_mode_mismatch"]
    assert d.severity is Severity.CRITICAL and d.identity == "PICK UP"
    assert d.erp_value == "2 package(s) labelled PICK UP: P1, P5"
    assert "not yet handed over" in d.message and "尚未交接" in (d.summary.zh if d.summary else "")
    handed_over = [replace(p, status="FULFILLING") for p in parcels]
    assert "label_mode_mismatch" not in kinds(observation(sig(*handed_over, can_pickup=False), DROP_OFF))


def test_labels_only_for_parcels_printed_after_the_state_began() -> None:
    history = saved(NOW - 10 * HOUR, was_active=True, erp_dropped=True)  # cancelled 10 h ago
    before = pkg("P-old", PICKUP, NOW - 11 * HOUR)
    obs = observation(sig(before, can_pickup=False), DROP_OFF, history=history)
    assert obs.state_for(obs.seller_warehouses[0]).status is S.CANCELLED and kinds(obs) == {}
    after = pkg("P-new", PICKUP, NOW - 9 * HOUR)
    d = kinds(observation(sig(before, after, can_pickup=False), DROP_OFF, history=history))["label_mode_mismatch"]
    assert d.erp_value == "1 package(s) labelled PICK UP: P-new" and d.severity is Severity.CRITICAL


def test_drop_off_labels_while_active_are_a_warning() -> None:
    d = kinds(observation(sig(pkg("P1", DROP_OFF, NOW - HOUR), can_pickup=True), PICKUP))["label_mode_mismatch"]
    assert (d.severity, d.identity, d.seller_value) == (Severity.WARNING, "DROP OFF", "PICK UP")


def test_labels_judged_on_strong_or_operator_evidence_only() -> None:
    weak = sig(pkg("P0", DROP_OFF, NOW - 9 * HOUR), pkg("P1", PICKUP, NOW - HOUR))
    assert "label_mode_mismatch" not in kinds(observation(weak, PICKUP))
    confirmation = PickupConfirmation("WH-1", S.ACTIVE, NOW - timedelta(minutes=30), NOW + 7 * DAY)
    operator = replace(PickupHistory(), confirmation=confirmation)
    quiet = sig(pkg("P0", DROP_OFF, NOW - 9 * HOUR))
    d = kinds(observation(quiet, PICKUP, history=operator))["label_mode_mismatch"]
    assert d.erp_value == "1 package(s) labelled DROP OFF: P0"
    pending = sig(pkg("P9", PICKUP, NOW - HOUR), can_pickup=False)
    assert "label_mode_mismatch" not in kinds(observation(pending, PICKUP, history=saved(NOW - 2 * HOUR)))


# --- waybills ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("package", "flagged"),
    [
        (pkg("P1", PICKUP, SWITCH, tracking="JT123"), True),  # the switch instant is already Wanse's
        (pkg("P1", PICKUP, SWITCH - timedelta(seconds=1), tracking="JT123"), False),
        (pkg("P1", PICKUP, SWITCH + HOUR, tracking="ws123"), False),
        (pkg("P1", PICKUP, SWITCH + HOUR, "FULFILLING", tracking="JT123"), False),  # collected already
        (pkg("P1", DROP_OFF, SWITCH + HOUR, tracking="JT123"), False),
        (pkg("P1", PICKUP, SWITCH + HOUR, tracking=""), False),
    ],
)
def test_waybill_provider_mismatch_after_a_dated_switch(package: PackageSignal, flagged: bool) -> None:
    found = kinds(observation(sig(package), PICKUP, now=SWITCH + DAY))
    assert ("waybill_provider_mismatch" in found) is flagged
    if flagged:
        d = found["waybill_provider_mismatch"]
        assert (d.field, d.seller_value, d.erp_value) == ("tracking_number", "WS…", "JT123")
        assert "Wanse took over Dongguan from J&T" in d.message
        assert d.summary is not None and "东莞的揽收服务商已由极兔换为万色" in d.summary.zh


def test_a_region_without_a_switch_date_gets_a_note_not_a_drift() -> None:
    undated = tuple(replace(r, switch_at=None) for r in DEFAULT_REGIONS)
    obs = observation(sig(pkg("P1", PICKUP, NOW - HOUR, tracking="JT123")), PICKUP, address=SZ, regions=undated)
    assert "waybill_provider_mismatch" not in kinds(obs)
    (note,) = pickup_notes(obs)
    assert note.startswith("WH-1: 1 PICK UP waybill(s) do not start with WS (JT123)") and "switch_at" in note
    clean = observation(sig(pkg("P1", PICKUP, NOW - HOUR)), PICKUP, address=SZ, regions=undated)
    assert pickup_notes(clean) == []


def test_no_waybill_rule_outside_regions() -> None:
    obs = observation(sig(pkg("P1", PICKUP, NOW - HOUR, tracking="JT1")), PICKUP, address=YIWU)
    assert "waybill_provider_mismatch" not in kinds(obs) and pickup_notes(obs) == []


# --- words and steps ---------------------------------------------------------------------------

EVERY_KIND = {
    "mode_mismatch": observation(sig(can_pickup=False), PICKUP),
    "pickup_unconfirmed": observation(sig(), PICKUP),
    "review_pending": observation(sig(can_pickup=False), PICKUP, history=saved(NOW - HOUR)),
    "review_stuck": observation(sig(can_pickup=False), PICKUP, history=saved(NOW - 2 * DAY)),
    "label_mode_mismatch": observation(sig(pkg("P1", PICKUP, NOW - HOUR), can_pickup=False), DROP_OFF),
    "pickup_out_of_coverage": observation(sig(), PICKUP, address=YIWU),
    "waybill_provider_mismatch": observation(sig(pkg("P1", PICKUP, NOW - HOUR, tracking="JT1")), PICKUP),
}


@pytest.mark.parametrize("kind", sorted(EVERY_KIND))
def test_every_pickup_drift_speaks_both_languages(kind: str) -> None:
    d = kinds(EVERY_KIND[kind])[kind]
    assert d.summary is not None and d.message == d.summary.en and d.text("zh") == d.summary.zh
    assert any("\u4e00" <= ch <= "\u9fff" for ch in d.summary.zh)
    assert "WH-1" in d.summary.en and "WH-1" in d.summary.zh
    assert d.why and all(w.en and w.zh for w in d.why)
    assert all(s.en and s.zh for s in d.steps)


def test_steps_come_from_the_observations_guides_for_the_regions_provider() -> None:
    guides = Guides(
        steps={"review_stuck": (Texts("call {provider} on {phone} about {warehouse}", "致电{provider} {phone}"),)},
        contacts={"Wanse": ProviderContact("Wanse", "400-1", Texts("9-5", "9-5"))},
        names={"Wanse": Texts("Wanse", "万色")},
    )
    obs = replace(EVERY_KIND["review_stuck"], guides=guides)
    assert kinds(obs)["review_stuck"].steps == (Texts("call Wanse on 400-1 about WH-1", "致电万色 400-1"),)


def test_outside_every_region_the_steps_say_what_can_be_done_not_subscribe() -> None:
    """A city no provider covers cannot subscribe: the steps say ship DROP OFF and check the address."""
    outside = kinds(observation(sig(pkg("P1", PICKUP, NOW - HOUR), can_pickup=False), PICKUP, address=YIWU))
    for kind in ("mode_mismatch", "label_mode_mismatch"):
        steps = outside[kind].steps
        assert not any("To subscribe" in s.en or "订阅揽收：" in s.zh for s in steps), kind
        assert any("outside every first-mile pickup provider's coverage" in s.en for s in steps), kind
        assert any("Ship DROP OFF" in s.en and "请自寄（DROP OFF）" in s.zh for s in steps), kind
        assert any("correct the address" in s.en and "更正地址" in s.zh for s in steps), kind
        assert any("handover mode to DROP OFF" in s.en for s in steps), kind
    inside = kinds(observation(sig(can_pickup=False), PICKUP))["mode_mismatch"].steps
    assert any("To subscribe" in s.en for s in inside)  # inside coverage subscribing is the way
