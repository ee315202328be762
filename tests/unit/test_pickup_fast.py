"""The pickup diff's shortcuts must not change a drift: the state the rules read is the state the
observation reports, the rules it skips for a status raise nothing, its words are written late but
the same, and each warehouse's drifts name that warehouse only (pure)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from erpsync.core.aspects import pickup_drifts as shop_drifts
from erpsync.core.aspects.pickup import PickupObservation, pickup_drifts
from erpsync.core.aspects.pickup_evidence import PickupHistory
from erpsync.core.aspects.pickup_rules import RULES
from erpsync.core.aspects.pickup_texts import Reason, _lazy, at
from erpsync.core.models import (
    Address,
    HandoverMode,
    PackageSignal,
    PickupConfirmation,
    PickupSignals,
    ProviderRegion,
    SlotSignal,
    SubscriptionStatus,
    Texts,
    Warehouse,
)
from erpsync.core.pickup_regions import BEIJING, DEFAULT_REGIONS
from erpsync.core.ports import Sighting

NOW = datetime(2024, 3, 1, 10, 0, tzinfo=BEIJING)
CITIES = ("东莞市", "東莞", "深圳", "Guangzhou", "金华市", "南宁市", "")
PREFIXES = ("WS", "JT", "ws", " WS", "XX", "AC", "OL", "")
STATUSES = (None, "AWAITING_COLLECTION", "FULFILLING", "completed", "PROCESSING")
JINHUA = ProviderRegion("Jinhua", ("金华",), "Acme", "AC", datetime(2024, 2, 1, tzinfo=UTC), None, "OL")


def _when(rng: random.Random, hours: int) -> datetime:
    at = NOW - timedelta(hours=rng.randrange(0, hours))
    return at.replace(tzinfo=None) - timedelta(hours=8) if rng.random() < 0.2 else at  # naive: UTC


def _sighting(rng: random.Random, values: list[str]) -> Sighting | None:
    roll = rng.random()
    if roll < 0.3:
        return None
    if roll < 0.5:
        return Sighting(rng.choice(values), _when(rng, 500))
    before = rng.choice([None, _when(rng, 200)])
    return Sighting(rng.choice(values), _when(rng, 500), _when(rng, 100), rng.choice([*values, None]), before)


def _history(rng: random.Random, wid: str) -> PickupHistory:
    confirmation = None
    if rng.random() < 0.3:
        status = rng.choice([s for s in SubscriptionStatus if s is not SubscriptionStatus.UNKNOWN])
        confirmed = _when(rng, 300)
        confirmation = PickupConfirmation(wid, status, confirmed, confirmed + timedelta(hours=rng.choice((1, 1000))))
    yes_no = ["yes", "no"]
    return PickupHistory(
        _sighting(rng, ["a", "b"]),
        _sighting(rng, yes_no),
        _sighting(rng, ["PICKUP", "DROP_OFF", "none"]),
        _sighting(rng, yes_no),
        _sighting(rng, yes_no),
        confirmation,
        _sighting(rng, ["none", "not_subscribed", "cancelled", "pending_review", "active"]),
    )


def _signals(rng: random.Random, wid: str) -> PickupSignals:
    roll = rng.random()
    slots = None if roll < 0.5 else SlotSignal(f"P-{wid}", can_pickup=roll < 0.75, can_drop_off=True)
    packages = tuple(
        PackageSignal(
            f"P-{wid}-{k}",
            wid,
            rng.choice((HandoverMode.PICKUP, HandoverMode.DROP_OFF, None)),
            rng.choice(PREFIXES) + f"{rng.randrange(10**8):08d}" if rng.random() < 0.9 else None,
            rng.choice([None, _when(rng, 300), _when(rng, 5000), datetime(2023, 9, 10, tzinfo=BEIJING)]),
            rng.choice(STATUSES),
        )
        for k in range(rng.choice((0, 0, 1, 2, 5)))
    )
    return PickupSignals(wid, slots, packages)


def _shop(seed: int, size: int = 60) -> PickupObservation:
    """A shop with every kind of evidence: slots or not, packages, saves, confirmations, regions."""
    rng = random.Random(seed)
    seller, erp, signals, history = [], [], {}, {}
    for i in range(size):
        wid = f"WH-{i}"
        address = Address("张三", "13800138000", "CN", "广东省", rng.choice(CITIES), "长安镇", f"路{i}号")
        seller.append(Warehouse(wid, f"仓库{i}" if i % 3 else wid, address))
        if rng.random() < 0.9:
            mode = rng.choice((HandoverMode.PICKUP, HandoverMode.DROP_OFF, None))
            erp.append(Warehouse(f"E{i}", f"仓库{i}", address, handover_mode=mode, seller_warehouse_id=wid))
        if rng.random() < 0.9:
            signals[wid] = _signals(rng, wid)
        if rng.random() < 0.7:
            history[wid] = _history(rng, wid)
    return PickupObservation(
        shop=f"shop{seed}",
        now=NOW,
        seller_warehouses=seller,
        erp_warehouses=erp,
        signals=signals,
        history=history,
        regions=(*DEFAULT_REGIONS, JINHUA) if seed % 2 else DEFAULT_REGIONS,
        review_sla_hours=rng.choice((24, 2.5, 1000)),
        lookback_days=rng.choice((14, 3)),
    )


SEEDS = range(12)


@pytest.mark.parametrize("seed", SEEDS)
def test_every_drift_reasons_from_the_state_the_observation_reports(seed: int) -> None:
    obs = _shop(seed)
    states = {w.id: obs.state_for(w) for w in obs.seller_warehouses}
    drifts = pickup_drifts("pickup", obs)
    assert drifts
    for d in drifts:
        state = states[d.subject]
        assert d.why[: len(state.why)] == state.why, d
        if d.kind == "pickup_unconfirmed":
            assert state.status is SubscriptionStatus.UNKNOWN
        if d.kind in ("review_pending", "review_stuck"):
            assert state.status is SubscriptionStatus.PENDING_REVIEW and state.pending_since is not None
        if d.kind == "mode_mismatch":
            assert state.effective_mode is not None and d.seller_value == state.effective_mode.label
    seen = {(d.subject, d.kind) for d in drifts}
    for wid, state in states.items():  # a state that settles nothing is never "in sync"
        assert (state.status is not SubscriptionStatus.UNKNOWN) or (wid, "pickup_unconfirmed") in seen


@pytest.mark.parametrize("seed", SEEDS)
def test_rules_skipped_for_a_status_would_raise_nothing(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    obs = _shop(seed, size=120)
    pruned = pickup_drifts("pickup", obs)
    monkeypatch.setattr(shop_drifts, "CAN_FIRE", {status: RULES for status in SubscriptionStatus})
    assert pickup_drifts("pickup", obs) == pruned


def test_each_drift_names_its_own_warehouse_only() -> None:
    """One object is aimed at each warehouse in turn: nothing of one warehouse reaches the next."""
    obs = _shop(3, size=200)
    for d in pickup_drifts("pickup", obs):
        assert d.summary is not None
        others = {f"WH-{i}" for i in range(200)} - {d.subject}
        named = {w for w in others if f"{w}）" in d.summary.zh or f"({w})" in d.summary.en}
        assert not named and d.subject in d.summary.en + d.summary.zh, d


def test_a_reason_writes_its_words_once_and_only_when_read() -> None:
    calls: list[str] = []

    def words(package_id: str, *, note: str) -> tuple[str, Texts]:
        calls.append(package_id)
        return f"{package_id} {note}", Texts(f"en {package_id}", f"zh {package_id}")

    made = _lazy(words).__func__("P-1", note="seen")
    assert calls == []
    assert made.evidence == "P-1 seen" and made.why == Texts("en P-1", "zh P-1") and calls == ["P-1"]
    assert made == _lazy(words).__func__("P-1", note="seen") and calls == ["P-1", "P-1"]
    assert made != _lazy(words).__func__("P-2", note="seen")
    assert repr(Reason.either_way()).startswith('Reason(evidence="not subscribed, or cancelled')
    assert hash(Reason.no_packages(14)) == hash(Reason.no_packages(14))


def test_times_read_the_same_from_the_memo_naive_as_utc() -> None:
    utc = datetime(2024, 1, 1, 0, 0, tzinfo=UTC)
    assert at(utc) == at(utc.astimezone(BEIJING)) == Texts("2024-01-01 08:00 Beijing time", "2024-01-01 08:00 北京时间")
    assert at(datetime(2024, 1, 1, 0, 0)) == at(utc)  # naive is UTC
    assert at(datetime(2024, 1, 1, 0, 0, tzinfo=BEIJING)).en == "2024-01-01 00:00 Beijing time"
