"""What the diff computes once and reuses: never another shop's guides, region or warehouse (pure)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime

import pytest

from erpsync.core.address import _PLAIN, _text_step, normalize_text
from erpsync.core.aspects.pickup import PickupObservation, pickup_drifts, pickup_notes
from erpsync.core.aspects.pickup_evidence import PickupHistory
from erpsync.core.aspects.pickup_texts import provider_words
from erpsync.core.models import Address, HandoverMode, PickupSignals, ProviderRegion, SlotSignal, Texts, Warehouse
from erpsync.core.phone import _cached, _parsed, normalize_phone
from erpsync.core.pickup_guides import DEFAULT_GUIDES, Guides, ProviderContact, steps_for_drift
from erpsync.core.pickup_regions import BEIJING, DEFAULT_REGIONS, region_for
from erpsync.core.ports import Sighting

NOW = datetime(2024, 5, 1, 10, 0, tzinfo=BEIJING)
DG = Address("张三", "13800138000", "CN", "广东省", "东莞市", "长安镇", "步步高大道126号", "523000")
STEP = Texts("call {provider} on {phone}", "致电{provider} {phone}")


def guides(phone: str, zh: str = "万色") -> Guides:
    return Guides(
        steps={"review_stuck": (STEP,), "confirm_status": DEFAULT_GUIDES.steps["confirm_status"]},
        contacts={"Wanse": ProviderContact("Wanse", phone, Texts("9-5", "9-5"))},
        names={"Wanse": Texts("Wanse", zh)},
    )


def test_steps_are_prepared_per_guides_never_shared_between_them() -> None:
    a, b = guides("400-1"), guides("400-2")
    assert steps_for_drift("review_stuck", guides=a, provider="Wanse") == (
        Texts("call Wanse on 400-1", "致电万色 400-1"),
    )
    assert steps_for_drift("review_stuck", guides=b, provider="Wanse") == (
        Texts("call Wanse on 400-2", "致电万色 400-2"),
    )
    assert steps_for_drift("review_stuck", guides=a, provider="Wanse")[0].en == "call Wanse on 400-1"
    # merged guides are new guides: the override shows, not what the base prepared
    merged = a.merged(Guides(contacts={"Wanse": ProviderContact("Wanse", "400-9", Texts("", ""))}))
    assert steps_for_drift("review_stuck", guides=merged, provider="Wanse")[0].en == "call Wanse on 400-9"


def test_each_drift_names_its_own_shop_and_warehouse() -> None:
    one = steps_for_drift("pickup_unconfirmed", shop="acme", warehouse="WH-1")
    two = steps_for_drift("pickup_unconfirmed", shop="bolt", warehouse="WH-2")
    assert any("--shop acme --warehouse WH-1" in s.en for s in one)
    assert any("--shop bolt --warehouse WH-2" in s.en and "--shop bolt --warehouse WH-2" in s.zh for s in two)
    assert not any("acme" in s.en or "WH-1" in s.en for s in two)
    assert any("--shop <shop> --warehouse <warehouse>" in s.en for s in steps_for_drift("pickup_unconfirmed"))


def test_prepared_steps_equal_steps_prepared_afresh() -> None:
    """Every kind, mode and provider: the cached answer is the answer new guides give."""
    for kind in ("mode_mismatch", "pickup_unconfirmed", "review_stuck", "label_mode_mismatch", "nothing"):
        for mode in (None, HandoverMode.PICKUP, HandoverMode.DROP_OFF):
            for provider in (None, "Wanse", "wanse", "J&T", "Other"):
                ask = {"erp_mode": mode, "provider": provider, "region": "Dongguan", "shop": "s", "warehouse": "w"}
                first = steps_for_drift(kind, **ask)  # type: ignore[arg-type]
                fresh = replace(DEFAULT_GUIDES)  # the same tables, nothing prepared
                assert steps_for_drift(kind, guides=fresh, **ask) == first  # type: ignore[arg-type]
                assert steps_for_drift(kind, **ask) == first  # type: ignore[arg-type]


def _shop(name: str, regions: tuple[ProviderRegion, ...], shop_guides: Guides) -> PickupObservation:
    wh = Warehouse("WH-1", "东莞仓", DG)
    erp = Warehouse("E1", "东莞仓", DG, handover_mode=HandoverMode.PICKUP, seller_warehouse_id="WH-1")
    saved = PickupHistory(
        address=Sighting("new", NOW.replace(month=1), NOW.replace(month=4), "old", NOW.replace(month=4))
    )
    return PickupObservation(
        shop=name,
        now=NOW,
        seller_warehouses=[wh],
        erp_warehouses=[erp],
        signals={"WH-1": PickupSignals("WH-1", SlotSignal("P-1", False, True))},
        history={"WH-1": saved},
        regions=regions,
        guides=shop_guides,
    )


def test_one_shops_guides_and_regions_never_reach_anothers_drifts() -> None:
    other = (ProviderRegion("Dongguan", ("东莞",), "Speedy", "SP", None),)
    first = pickup_drifts("pickup", _shop("acme", DEFAULT_REGIONS, guides("400-1", zh="万色一")))
    second = pickup_drifts("pickup", _shop("bolt", other, guides("400-2", zh="万色二")))
    again = pickup_drifts("pickup", _shop("acme", DEFAULT_REGIONS, guides("400-1", zh="万色一")))
    (stuck,) = [d for d in first if d.kind == "review_stuck"]
    (other_stuck,) = [d for d in second if d.kind == "review_stuck"]
    assert stuck.summary is not None and other_stuck.summary is not None
    assert "致电万色一" in stuck.summary.zh and stuck.steps == (Texts("call Wanse on 400-1", "致电万色一 400-1"),)
    assert "call Speedy" in other_stuck.summary.en and "万色" not in other_stuck.summary.zh
    assert other_stuck.shop == "bolt" and [d.summary for d in again] == [d.summary for d in first]


def test_regions_are_indexed_per_tuple_and_a_list_is_read_afresh() -> None:
    mine = (ProviderRegion("A", ("东莞",), "One", "O1", None), ProviderRegion("B", ("東莞市",), "Two", "T2", None))
    theirs = (ProviderRegion("C", ("Dongguan", "东莞"), "Three", "T3", None),)
    assert region_for(DG, mine) is mine[0]  # the first region listing the city wins
    assert region_for(DG, theirs) is theirs[0] and region_for(DG, DEFAULT_REGIONS) is DEFAULT_REGIONS[0]
    listed = list(mine)
    assert region_for(DG, listed) is mine[0]
    listed.reverse()
    assert region_for(DG, listed) is mine[1]
    assert region_for(replace(DG, city=""), mine) is None and region_for(replace(DG, city="义乌"), mine) is None


def test_notes_need_no_inferred_state() -> None:
    obs = _shop("acme", DEFAULT_REGIONS, DEFAULT_GUIDES)
    obs.erp_warehouses = [replace(obs.erp_warehouses[0], handover_mode=None)]
    assert pickup_notes(obs) == ["WH-1: ERP warehouse E1 keeps no handover mode: not compared"]


def test_providers_chinese_names_come_from_the_guides() -> None:
    assert provider_words("Wanse") == Texts("Wanse", "万色") and provider_words(" wanse ").zh == "万色"
    assert provider_words("J&T") == Texts("J&T", "极兔")
    assert provider_words("Speedy", guides("1", zh="速达")) == Texts("Speedy", "Speedy")
    named = Guides(names={"Speedy": Texts("Speedy", "速达")})
    assert provider_words("speedy", named) == Texts("speedy", "速达")
    assert provider_words(None) == Texts("the provider", "揽收服务商")


@pytest.mark.parametrize("prefix", range(100, 200))
def test_mobile_numbers_read_without_the_parser_read_as_libphonenumber_reads_them(prefix: int) -> None:
    rng = random.Random(prefix)
    for _ in range(20):
        d = f"{prefix}{rng.randrange(10**8):08d}"
        for text in (d, f"+86{d}", f"+86 {d}", f"+86-{d[:3]}-{d[3:7]}-{d[7:]}", f"{d[:3]} {d[3:7]} {d[7:]}"):
            for region in ("", "CN", "cn"):
                assert _cached(text, region) == _parsed(text, region), text
    assert normalize_phone("17951 138 0013 8000") == _parsed("17951 138 0013 8000", "")[0]


def test_text_already_normal_is_left_as_it_is() -> None:
    plain = [chr(c) for c in range(0x4E00, 0xA000)] + list("0123456789abcdefghijklmnopqrstuvwxyz#-")
    assert all(_PLAIN.fullmatch(ch) and _text_step(f"a{ch}1{ch}") == f"a{ch}1{ch}" for ch in plain)
    assert normalize_text("乌沙步步高大道126号3栋") == "乌沙步步高大道126号3栋"
    for not_plain in ("A", " ", "，", "\u200b", "\uf900", "１", "a.", "ａ"):
        assert not _PLAIN.fullmatch(not_plain)
