"""Matching ERP warehouse records to Seller Center's: explicit rules first, then unambiguous keys only."""

from __future__ import annotations

import pytest

from erpsync.core.matching import Match, MatchRules, match_warehouses
from erpsync.core.models import Address, Warehouse

DG = Address(state="广东省", city="东莞市", district="长安镇", street="锦厦路 8 号")
SZ = Address(state="广东省", city="深圳市", district="宝安区", street="福海街道 1 号")
GZ = Address(state="广东省", city="广州市", district="白云区", street="太和镇 2 号")

SELLER = [
    Warehouse("7001", "Dongguan main", DG),
    Warehouse("7002", "Shenzhen", SZ),
    Warehouse("7003", "Guangzhou", GZ),
]


NOWHERE = Address()


def erp(id: str, name: str = "", address: Address = NOWHERE, bound: str | None = None) -> Warehouse:
    return Warehouse(id, name, address, seller_warehouse_id=bound)


def bound(match: Match) -> dict[str, str | None]:
    return {w.id: w.seller_warehouse_id for w in match.erp}


def test_each_key_matches_alone() -> None:
    records = [
        erp("7001"),  # its id is Seller Center's
        erp("E-2", "  ＳＨＥＮＺＨＥＮ "),  # same name, width, case and spaces aside
        erp("E-3", address=Address(state="广东", city="广州", district="白云区", street="太和镇2号")),
    ]
    match = match_warehouses(SELLER, records, MatchRules())
    assert bound(match) == {"7001": "7001", "E-2": "7002", "E-3": "7003"}
    assert match.how == {"7001": "code", "E-2": "name", "E-3": "address"}
    assert match.learned == {"7001": "7001", "E-2": "7002", "E-3": "7003"}
    assert not match.ambiguous and not match.unmatched


def test_configured_binding_beats_the_record_and_every_key() -> None:
    records = [erp("E-1", "Shenzhen", SZ, bound="7002")]
    match = match_warehouses(SELLER, records, MatchRules(configured={"E-1": "7003"}))
    assert bound(match) == {"E-1": "7003"} and match.how == {"E-1": "configured"}
    assert match.learned == {}  # explicit bindings are not learned: the config keeps them


def test_the_record_s_own_id_is_used_and_not_learned() -> None:
    match = match_warehouses(SELLER, [erp("E-1", "Guangzhou", bound="7002")], MatchRules())
    assert bound(match) == {"E-1": "7002"} and match.how == {"E-1": "record"} and match.learned == {}


def test_learned_match_survives_the_edit_that_is_drift() -> None:
    moved = Address(state="广东省", city="东莞市", district="长安镇", street="新路 99 号")
    match = match_warehouses(SELLER, [erp("E-1", "DG warehouse", moved)], MatchRules(learned={"E-1": "7001"}))
    assert bound(match) == {"E-1": "7001"} and match.how == {"E-1": "learned"}
    assert match.learned == {} and match.stale == []


def test_learned_match_to_a_deleted_warehouse_is_dropped_and_matched_again() -> None:
    match = match_warehouses(SELLER, [erp("E-1", "Shenzhen")], MatchRules(learned={"E-1": "7999"}))
    assert match.stale == ["E-1"]
    assert bound(match) == {"E-1": "7002"} and match.learned == {"E-1": "7002"}


def test_learned_match_loses_to_an_explicit_claim_on_its_warehouse() -> None:
    records = [erp("E-1", "x"), erp("E-2", "y", bound="7001")]
    match = match_warehouses(SELLER, records, MatchRules(learned={"E-1": "7001"}, by=()))
    assert match.stale == ["E-1"] and bound(match) == {"E-1": None, "E-2": "7001"}
    assert match.unmatched == ["E-1"]


def test_two_warehouses_with_one_name_are_ambiguous_never_guessed() -> None:
    seller = [*SELLER, Warehouse("7004", "Shenzhen", GZ)]
    match = match_warehouses(seller, [erp("E-2", "Shenzhen")], MatchRules())
    assert bound(match) == {"E-2": None}
    assert match.ambiguous == {"E-2": ("7002", "7004")}
    (note,) = match.notes(match.erp)
    assert "ERP warehouse E-2 (Shenzhen) could be Seller Center warehouse 7002 or 7004" in note
    assert 'bindings ("E-2" = "<Seller Center warehouse id>")' in note


def test_two_records_with_one_name_are_ambiguous() -> None:
    match = match_warehouses(SELLER, [erp("E-2", "Shenzhen"), erp("E-9", "shenzhen")], MatchRules())
    assert match.ambiguous == {"E-2": ("7002",), "E-9": ("7002",)} and match.learned == {}


def test_keys_that_disagree_are_ambiguous() -> None:
    match = match_warehouses(SELLER, [erp("E-1", "Shenzhen", GZ)], MatchRules())  # name: 7002, address: 7003
    assert match.ambiguous == {"E-1": ("7002", "7003")} and bound(match) == {"E-1": None}


def test_two_records_sure_by_different_keys_of_one_warehouse_are_both_ambiguous() -> None:
    match = match_warehouses(SELLER, [erp("E-1", "Shenzhen"), erp("E-2", address=SZ)], MatchRules())
    assert match.ambiguous == {"E-1": ("7002",), "E-2": ("7002",)} and match.learned == {}


def test_a_key_that_agrees_confirms_the_one_that_decides() -> None:
    match = match_warehouses(SELLER, [erp("E-1", "Shenzhen", SZ)], MatchRules())
    assert bound(match) == {"E-1": "7002"} and match.how == {"E-1": "name"}


def test_nothing_fits_is_unmatched_and_says_how_to_bind() -> None:
    match = match_warehouses(
        SELLER, [erp("E-5", "Chengdu", Address(city="成都", street="天府大道 1 号"))], MatchRules()
    )
    assert match.unmatched == ["E-5"]
    assert match.notes(match.erp) == [
        "ERP warehouse E-5 (Chengdu) matches no Seller Center warehouse by id, name or address: not compared; "
        'bind it in the shop\'s bindings ("E-5" = "<Seller Center warehouse id>")'
    ]


@pytest.mark.parametrize("by", [(), ("code",)])
def test_match_by_limits_the_keys(by: tuple) -> None:
    match = match_warehouses(SELLER, [erp("E-2", "Shenzhen")], MatchRules(by=by))
    assert bound(match) == {"E-2": None} and match.unmatched == ["E-2"]


def test_an_empty_street_matches_no_address() -> None:
    seller = [Warehouse("7001", "a", Address(city="东莞")), Warehouse("7002", "b", Address(city="深圳"))]
    match = match_warehouses(seller, [erp("E-1", address=Address(city="东莞"))], MatchRules())
    assert match.unmatched == ["E-1"]


def test_warehouses_already_bound_are_not_offered_again() -> None:
    records = [erp("E-1", "Shenzhen", bound="7002"), erp("E-2", "Shenzhen")]
    match = match_warehouses(SELLER, records, MatchRules())
    assert bound(match) == {"E-1": "7002", "E-2": None} and match.unmatched == ["E-2"]


def test_linear_at_a_large_shop() -> None:
    n = 20_000
    seller = [Warehouse(f"S{i}", f"warehouse {i}", Address(city="深圳", street=f"{i} 号")) for i in range(n)]
    records = [erp(f"E{i}", f"Warehouse {i}") for i in range(n)]
    match = match_warehouses(seller, records, MatchRules(by=("name",)))
    assert len(match.learned) == n and match.learned["E123"] == "S123"
