"""The warehouse address aspect: observe, diff, plan, apply (fake connectors, no I/O)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from erpsync.core.aspects.base import ObserveContext, UnsupportedAction
from erpsync.core.aspects.warehouse_address import WarehouseAddressAspect, WarehouseObservation
from erpsync.core.errors import RecordError, UsageError
from erpsync.core.models import Address, Drift, PickupConfirmation, Records, Severity, Warehouse
from erpsync.core.ports import Sighting

NOW = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
ADDR = Address("张三", "13800138000", "CN", "广东省", "东莞市", "长安镇", "乌沙步步高大道126号", "523000")
SELLER = Warehouse("WH-DG", "Dongguan main", ADDR)
ERP = Warehouse(
    "E-1",
    "东莞仓",
    replace(ADDR, phone="+86 138-0013-8000", street="乌沙步步高大道126号，"),
    seller_warehouse_id="WH-DG",
)
aspect = WarehouseAddressAspect()


class Reader:
    type = "fake"

    def __init__(self, warehouses: list[Warehouse], errors: tuple[RecordError, ...] = ()) -> None:
        self.warehouses, self.errors = warehouses, errors

    def list_warehouses(self) -> Records[Warehouse]:
        return Records(tuple(self.warehouses), self.errors)


class ReaderWriter(Reader):
    def __init__(self, warehouses: list[Warehouse]) -> None:
        super().__init__(warehouses)
        self.written: list[tuple[str, dict[str, str]]] = []

    def set_warehouse_address(self, warehouse_id: str, changes: dict[str, str]) -> None:
        self.written.append((warehouse_id, dict(changes)))


class Nothing:
    type = "files"


class Memory:
    """An ``ObservationMemory`` that never saw anything before: this aspect does not ask it."""

    def observe(self, key: str, value: str, now: datetime) -> Sighting:
        return Sighting(value, first_seen_at=now)

    def pickup_confirmation(self, warehouse_id: str, now: datetime) -> PickupConfirmation | None:
        return None


def observe(seller: list[Warehouse], erp: list[Warehouse]) -> WarehouseObservation:
    return WarehouseObservation("acme", NOW, seller_warehouses=seller, erp_warehouses=erp)


def always(winner: str):  # type: ignore[no-untyped-def]
    return lambda drift: winner


def test_observe_reads_both_sides_and_keeps_record_errors() -> None:
    bad = RecordError("not a phone number", record="E-9", field="phone", source="erp/warehouses.csv:4")
    ctx = ObserveContext("acme", Reader([SELLER]), Reader([ERP], (bad,)), NOW, Memory())
    obs = aspect.observe(ctx)
    assert obs.seller_warehouses == [SELLER] and obs.erp_warehouses == [ERP]
    assert obs.record_errors == [bad]


@pytest.mark.parametrize(("seller", "erp", "side"), [(Nothing(), Reader([]), "seller"), (Reader([]), Nothing(), "ERP")])
def test_observe_without_reader_is_a_usage_error(seller: object, erp: object, side: str) -> None:
    with pytest.raises(UsageError, match=f"{side} '.*' cannot read warehouses"):
        aspect.observe(ObserveContext("acme", seller, erp, NOW, Memory()))


def test_cosmetic_differences_are_in_sync() -> None:
    assert aspect.diff(observe([SELLER], [ERP])) == []


def test_one_drift_per_material_field_with_plain_message() -> None:
    erp = replace(
        ERP,
        address=replace(ERP.address, phone="13900139000", street="乌沙步步高大道128号", postal_code="523001"),
    )
    drifts = aspect.diff(observe([SELLER], [erp]))
    assert [(d.kind, d.subject, d.field, d.severity) for d in drifts] == [
        ("field_mismatch", "WH-DG", "phone", Severity.CRITICAL),
        ("field_mismatch", "WH-DG", "street", Severity.CRITICAL),
        ("field_mismatch", "WH-DG", "postal_code", Severity.INFO),
    ]
    assert "phone differs: Seller Center 13800138000, ERP 13900139000" in drifts[0].message
    assert (drifts[0].seller_value, drifts[0].erp_value) == ("13800138000", "13900139000")


def test_contact_is_a_warning_and_empty_is_shown() -> None:
    erp = replace(ERP, address=replace(ERP.address, contact_person=""))
    (drift,) = aspect.diff(observe([SELLER], [erp]))
    assert drift.severity is Severity.WARNING
    assert "contact person differs: Seller Center 张三, ERP (empty)" in drift.message


def test_missing_unknown_duplicate_and_unbound() -> None:
    other = Warehouse("WH-SZ", "Shenzhen", replace(ADDR, city="深圳市"))
    ghost = Warehouse("E-2", "old", ADDR, seller_warehouse_id="WH-GONE")
    twin = replace(ERP, id="E-3")
    loose = Warehouse("E-4", "domestic", ADDR)
    obs = observe([SELLER, other], [twin, ERP, ghost, loose])
    drifts = aspect.diff(obs)
    kinds = {(d.kind, d.subject) for d in drifts}
    assert kinds == {
        ("missing_in_erp", "WH-SZ"),
        ("unknown_warehouse", "E-2"),
        ("duplicate_binding", "WH-DG"),
    }
    dup = next(d for d in drifts if d.kind == "duplicate_binding")
    assert "compared E-1, ignored E-3" in dup.message
    assert obs.notes == []  # diff is pure: notes come from observe


def test_every_drift_says_what_differs_in_chinese_too() -> None:
    # the JSON report and --lang zh show ``summary.zh``: it must be Chinese, not the English again
    erp = replace(ERP, address=replace(ERP.address, contact_person=""))
    (mismatch,) = aspect.diff(observe([SELLER], [erp]))
    assert mismatch.summary is not None and mismatch.summary.en == mismatch.message
    assert mismatch.summary.zh == "仓库 WH-DG 的联系人不一致：商家后台为 张三，ERP 为 (空)（ERP 仓库 E-1）"
    other = Warehouse("WH-SZ", "Shenzhen", replace(ADDR, city="深圳市"))
    ghost = Warehouse("E-2", "old", ADDR, seller_warehouse_id="WH-GONE")
    drifts = aspect.diff(observe([SELLER, other], [ERP, replace(ERP, id="E-3"), ghost]))
    zh = {d.kind: d.summary.zh for d in drifts if d.summary is not None}
    assert zh == {
        "missing_in_erp": "商家后台仓库 WH-SZ（Shenzhen）没有绑定的 ERP 仓库"
        "（按编号、名称和地址都没有匹配的；也可在店铺的 bindings 中绑定）",
        "unknown_warehouse": "ERP 仓库 E-2 绑定的商家后台仓库 WH-GONE 不存在（已删除或重建？）",
        "duplicate_binding": "仓库 WH-DG：有多个 ERP 仓库绑定到它；已比较 E-1，忽略 E-3",
    }


def test_observe_notes_unbound_erp_records() -> None:
    loose = Warehouse("E-4", "domestic", ADDR)
    obs = aspect.observe(ObserveContext("acme", Reader([SELLER]), Reader([ERP, loose]), NOW, Memory()))
    assert obs.notes == [
        "ERP warehouse E-4 (domestic) matches no Seller Center warehouse by id, name or address: not compared; "
        'bind it in the shop\'s bindings ("E-4" = "<Seller Center warehouse id>")'
    ]
    assert aspect.diff(obs) == []


def _mismatched() -> tuple[WarehouseObservation, list[Drift]]:
    erp = replace(ERP, address=replace(ERP.address, phone="13900139000", street="乌沙步步高大道128号"))
    obs = observe([SELLER], [erp])
    return obs, aspect.diff(obs)


def test_plan_seller_wins_one_action_per_erp_warehouse() -> None:
    obs, drifts = _mismatched()
    (action,) = aspect.plan(drifts, always("seller"), obs)
    assert (action.kind, action.target, action.subject, action.field) == ("set_address", "erp", "E-1", None)
    assert action.description == "set ERP warehouse E-1 address fields phone, street from Seller Center"
    assert action.drifts == tuple(d.fingerprint for d in drifts)
    value = json.loads(action.value or "")
    # only the drifted fields: an ERP edit to another field since observe is not reverted
    assert value == {"phone": "13800138000", "street": "乌沙步步高大道126号"}
    again = aspect.plan(drifts, always("seller"), obs)
    assert again[0].idempotency_key == action.idempotency_key


def test_plan_erp_wins_targets_the_seller_and_report_plans_nothing() -> None:
    obs, drifts = _mismatched()
    (action,) = aspect.plan(drifts, always("erp"), obs)
    assert (action.target, action.subject) == ("seller", "WH-DG")
    assert json.loads(action.value or "")["phone"] == "13900139000"
    assert aspect.plan(drifts, always("report"), obs) == []


def test_plan_splits_by_winner_and_ignores_unfixable_kinds() -> None:
    obs, drifts = _mismatched()
    missing = Drift("acme", "warehouse_address", "missing_in_erp", "WH-X", None, None, None, Severity.WARNING, "m")
    actions = aspect.plan([*drifts, missing], lambda d: "seller" if d.field == "phone" else "erp", obs)
    assert [(a.target, a.description.split(" fields ")[1]) for a in actions] == [
        ("erp", "phone from Seller Center"),
        ("seller", "street from ERP"),
    ]


def test_apply_writes_through_the_erp_writer() -> None:
    obs, drifts = _mismatched()
    (action,) = aspect.plan(drifts, always("seller"), obs)
    erp = ReaderWriter([])
    aspect.apply(action, Reader([]), erp)
    assert erp.written == [("E-1", {"phone": "13800138000", "street": "乌沙步步高大道126号"})]


def test_apply_without_writer_is_unsupported() -> None:
    obs, drifts = _mismatched()
    (to_erp,) = aspect.plan(drifts, always("seller"), obs)
    with pytest.raises(UnsupportedAction, match="ERP 'files' cannot write warehouse addresses: drift reported"):
        aspect.apply(to_erp, Reader([]), Nothing())
    (to_seller,) = aspect.plan(drifts, always("erp"), obs)
    with pytest.raises(UnsupportedAction, match=r"only be edited in Seller Center.*re-triggers the pickup review"):
        aspect.apply(to_seller, Reader([]), ReaderWriter([]))
    seller = ReaderWriter([])
    aspect.apply(to_seller, seller, Nothing())
    assert seller.written[0][0] == "WH-DG"


def test_unreadable_erp_rows_turn_missing_into_a_note_not_a_drift():
    from datetime import UTC, datetime

    from erpsync.core.aspects.warehouse_address import WarehouseAddressAspect, WarehouseObservation
    from erpsync.core.errors import RecordError
    from erpsync.core.models import Address, Warehouse

    seller = [Warehouse("W1", "东莞仓", Address(city="东莞"), seller_warehouse_id="W1")]
    obs = WarehouseObservation(
        shop="s",
        now=datetime(2026, 1, 1, tzinfo=UTC),
        record_errors=[RecordError("bad", source="erp/warehouses.csv:2", record="warehouse 'E1'", field="phone")],
        seller_warehouses=seller,
        erp_warehouses=[],
    )
    obs.missing_checked = False  # what observe() sets when ERP rows were unreadable
    assert WarehouseAddressAspect().diff(obs) == []
    obs.missing_checked = True
    assert [d.kind for d in WarehouseAddressAspect().diff(obs)] == ["missing_in_erp"]


class ErpWithBadRow(Reader):
    def list_warehouses(self):
        from erpsync.core.errors import RecordError

        bad = RecordError("not a phone number", source="erp/warehouses.csv:3", record="warehouse 'E-2'", field="phone")
        return Records(tuple(self.warehouses), (bad,))


def test_observe_scopes_resolution_to_what_both_sides_showed() -> None:
    from erpsync.core.aspects.base import ObserveContext

    seller = [Warehouse("W1", "a", Address(city="东莞")), Warehouse("W2", "b", Address(city="深圳"))]
    erp = [Warehouse("E-1", "a", Address(city="东莞"), seller_warehouse_id="W1")]
    ctx = ObserveContext("acme", Reader(seller), ErpWithBadRow(erp), datetime(2026, 1, 1, tzinfo=UTC), memory=None)
    obs = aspect.observe(ctx)
    assert obs.scope == {"W1"}  # W2's record may be the unreadable row: its drifts stay as they were
    assert obs.notes == ["W2 (b): no readable ERP record; 1 ERP record(s) could not be read, see the errors"]
    assert aspect.diff(obs) == []
    clean = aspect.observe(ObserveContext("acme", Reader(seller), Reader(erp), ctx.now, memory=None))
    assert clean.scope == {"W1", "W2"} and [d.kind for d in aspect.diff(clean)] == ["missing_in_erp"]
    empty = aspect.observe(ObserveContext("acme", Reader([]), Reader(erp), ctx.now, memory=None))
    assert empty.scope == set()  # an empty seller answer resolves nothing
