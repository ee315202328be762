"""The tracking aspect's observe over the real files ERP, and a seller double of plain data.

The seller here is a plain class implementing ``PackageShipper`` with data (no HTTP): the
TikTok side is exercised against the sandbox in ``tests/integration/test_tracking.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from erpsync.connectors.files import FilesErp
from erpsync.core.aspects.base import ObserveContext
from erpsync.core.aspects.tracking import TrackingAspect, TrackingSettings
from erpsync.core.connector import Connector, ShopContext
from erpsync.core.models import Records
from erpsync.core.ports import FailedWrite, Sighting
from erpsync.core.shipping import (
    ErpShipment,
    PackageShippingState,
    ProviderNames,
    ShipmentReader,
    ShipOutcomes,
    ShippingStatus,
    ShipRequest,
)
from erpsync.core.store.observations import Seen, seen_again

NOW = datetime(2026, 3, 2, tzinfo=UTC)
HEADER = "id,package_id,order_id,tracking_number,carrier\n"


class Shop(Connector):
    """Seller Center as plain data: every package awaits shipment, warehouse WH1 offers one carrier."""

    type = "plain-seller"
    role = "seller"

    def __init__(self) -> None:
        super().__init__({}, shop=ShopContext("shop", Path(".")))
        self.lookups: list[str] = []

    def read_shipping_states(self, package_ids: Sequence[str]) -> Records[PackageShippingState]:
        return Records(
            tuple(
                PackageShippingState(p, ShippingStatus.AWAITING_SHIPMENT, warehouse_id="WH1")
                if not p.startswith("X")
                else PackageShippingState(p, ShippingStatus.UNKNOWN)
                for p in package_ids
            )
        )

    def shipping_provider_ids(self, warehouse_id: str) -> Mapping[str, str]:
        self.lookups.append(warehouse_id)
        return {"J&T Express": "7208000000000000002"}

    def ship_packages(self, requests: Sequence[ShipRequest]) -> ShipOutcomes:
        raise AssertionError("observe never ships")

    def update_tracking(self, package_id: str, tracking_number: str, shipping_provider_id: str, *, shipped_at):
        raise AssertionError("observe never writes")


def erp(tmp_path: Path, text: str | None, name: str = "shipments.csv") -> FilesErp:
    (tmp_path / "erp").mkdir(exist_ok=True)
    options = {"path": "erp", "format": "auto"}
    if text is not None:
        (tmp_path / "erp" / name).write_text(text, encoding="utf-8")
        options["shipments"] = name
    return FilesErp(FilesErp.Options().load(options), shop=ShopContext("shop", tmp_path))


def observe(files: Connector, seller: Connector, carriers: dict[str, str] | None = None):
    settings = TrackingSettings().load({"carriers": carriers} if carriers is not None else {})
    ctx = ObserveContext("shop", seller, files, NOW, memory=Memory(), settings=settings)
    return TrackingAspect().observe(ctx)


def test_bad_rows_are_record_errors_naming_file_line_and_field_and_the_rest_goes_on(tmp_path):
    files = erp(
        tmp_path,
        HEADER
        + "S1,P1,O1,SF1001,SF Express\n"
        + "S2,P2,O2,,SF Express\n"
        + "S3,P3,O3,SF 1003,SF Express\n"
        + "S4,P4,O4,JT1004,Unknown Post\n"
        + "S5,P5,O5,JT1005,J&T Express\n"
        + "S6,P1,O6,SF1006,SF Express\n"
        + "S7,P7,O7,SF1007,SF Express\n",
    )
    seller = Shop()
    obs = observe(files, seller, {"SF Express": "7208000000000000001"})
    errors = sorted(str(e) for e in obs.record_errors)
    assert any("shipments.csv:3" in e and "tracking_number" in e and "empty" in e for e in errors), errors
    assert any("shipments.csv:4" in e and "tracking_number" in e and "spaces" in e for e in errors), errors
    assert any("shipments.csv:5" in e and "carrier" in e and "Unknown Post" in e for e in errors), errors
    for line in (2, 7):  # P1's two shipments disagree: both are errors
        assert any(f"shipments.csv:{line}: " in e and "SF1001" in e and "SF1006" in e for e in errors), errors
    assert len(errors) == 5
    assert [s.id for s in obs.shipments] == ["S5", "S7"]
    assert obs.providers == {"P5": "7208000000000000002", "P7": "7208000000000000001"}
    assert seller.lookups == ["WH1"]  # the providers of a warehouse are asked for once per run
    assert obs.scope == {"P5", "P7"}


def test_json_shipments_read_like_csv(tmp_path):
    files = erp(
        tmp_path,
        '[{"id": "S1", "package_id": 1154, "order_id": "O1", "tracking_number": "SF1", "carrier": "J&T Express"}]',
        "shipments.json",
    )
    obs = observe(files, Shop())
    assert [(s.package_id, s.source) for s in obs.shipments] == [("1154", f"{tmp_path}/erp/shipments.json:1")]


def test_an_erp_without_shipments_reports_nothing_and_reads_no_seller(tmp_path):
    files = erp(tmp_path, None)
    assert isinstance(files, ShipmentReader)  # the capability is there, the file is not configured
    obs = TrackingAspect().observe(
        ObserveContext("shop", object(), files, NOW, memory=None)  # type: ignore[arg-type]
    )
    assert (obs.shipments, obs.record_errors, obs.notes, obs.scope) == ([], [], [], set())
    assert TrackingAspect().diff(obs) == []


def test_an_unknown_package_is_reported_by_id(tmp_path):
    files = erp(tmp_path, HEADER + "S1,X9,O1,SF1,J&T Express\n")
    obs = observe(files, Shop())
    (drift,) = TrackingAspect().diff(obs)
    assert (drift.kind, drift.subject) == ("package_unknown", "X9")


def test_the_shipments_option_must_name_a_csv_or_json_file(tmp_path):
    from marshmallow import ValidationError

    with pytest.raises(ValidationError):
        FilesErp.Options().load({"path": "erp", "shipments": "shipments.xlsx"})


class Shipped(Shop):
    """Seller Center where every package shipped (by the seller) under ``numbers[package]``."""

    def __init__(self, numbers: dict[str, str]) -> None:
        super().__init__()
        self.numbers = numbers

    def read_shipping_states(self, package_ids: Sequence[str]) -> Records[PackageShippingState]:
        return Records(
            tuple(
                PackageShippingState(p, ShippingStatus.SHIPPED, (f"O{p}",), self.numbers[p], warehouse_id="WH1")
                for p in package_ids
            )
        )


class Memory:
    """The observations store's rule (``seen_again``) over a dict."""

    def __init__(self) -> None:
        self.rows: dict[str, Seen] = {}

    def observe(self, key: str, value: str, now: datetime) -> Sighting:
        self.rows[key] = seen_again(self.rows.get(key), value, now)
        return self.rows[key].sighting()

    def pickup_confirmation(self, warehouse_id: str, now: datetime) -> None:
        return None


def observe_with(files: Connector, seller: Connector, memory: Memory):
    settings = TrackingSettings().load({"carriers": {"SF Express": "7208000000000000001"}})
    return TrackingAspect().observe(ObserveContext("shop", seller, files, NOW, memory=memory, settings=settings))


def test_a_number_seen_changed_since_it_differed_marks_its_one_update_used(tmp_path):
    """TikTok allows one update per order: once erpsync has seen the number change, a new
    difference is reported, not corrected again (the plan's rule, tracking_plan.py)."""
    memory, seller = Memory(), Shipped({"P1": "JT77", "P2": "SF2"})
    files = erp(tmp_path, HEADER + "S1,P1,O1,SF1,SF Express\nS2,P2,O2,SF2,SF Express\n")
    first = observe_with(files, seller, memory)
    assert first.corrected == {} and list(memory.rows) == ["tracking_number:P1"]  # P2 agrees: not recorded
    seller.numbers["P1"] = "SF1"  # the correction went through
    assert observe_with(files, seller, memory).corrected == {}
    files = erp(tmp_path, HEADER + "S1,P1,O1,SF9,SF Express\nS2,P2,O2,SF2,SF Express\n")  # the ERP changes again
    again = observe_with(files, seller, memory)
    assert again.corrected == {"P1": "JT77"}
    (drift,) = TrackingAspect().diff(again)
    assert "changed once already (from JT77)" in drift.message
    assert TrackingAspect().plan([drift], lambda _d: "erp", again) == []


class OneOrder(Shipped):
    """Seller Center where packages P1 and P2 belong to one order, O1, both shipped by the seller."""

    def read_shipping_states(self, package_ids: Sequence[str]) -> Records[PackageShippingState]:
        return Records(
            tuple(
                PackageShippingState(p, ShippingStatus.SHIPPED, ("O1",), self.numbers[p], warehouse_id="WH1")
                for p in package_ids
            )
        )


def plan_erp_wins(obs) -> list:
    aspect = TrackingAspect()
    return aspect.plan(aspect.diff(obs), lambda _d: "erp", obs)


def test_a_package_of_an_order_corrected_through_another_package_is_reported_not_corrected(tmp_path):
    """TikTok allows one update per order: after erpsync corrected P1, an ERP change of P2 of the
    same order is reported on every run, never sent to be refused with 21011051."""
    memory, seller = Memory(), OneOrder({"P1": "SF1", "P2": "SF2"})
    files = erp(tmp_path, HEADER + "S1,P1,O1,SF9,SF Express\nS2,P2,O1,SF2,SF Express\n")
    assert [a.kind for a in plan_erp_wins(observe_with(files, seller, memory))] == ["update_tracking"]
    seller.numbers["P1"] = "SF9"  # the correction went through: the order's one update is used
    assert plan_erp_wins(observe_with(files, seller, memory)) == []
    files = erp(tmp_path, HEADER + "S1,P1,O1,SF9,SF Express\nS2,P2,O1,SF8,SF Express\n")  # the ERP changes P2
    for _run in range(2):
        obs = observe_with(files, seller, memory)
        assert obs.corrected == {"P1": "SF1"}
        assert plan_erp_wins(obs) == []
        (drift,) = TrackingAspect().diff(obs)
        assert drift.subject == "P2" and "one update per order" in drift.message


def test_two_packages_of_one_order_differing_are_corrected_once_then_the_other_is_reported(tmp_path):
    memory, seller = Memory(), OneOrder({"P1": "SF1", "P2": "SF2"})
    files = erp(tmp_path, HEADER + "S1,P1,O1,SF9,SF Express\nS2,P2,O1,SF8,SF Express\n")
    assert [(a.kind, a.subject) for a in plan_erp_wins(observe_with(files, seller, memory))] == [
        ("update_tracking", "P1")
    ]
    seller.numbers["P1"] = "SF9"  # P1's correction went through
    for _run in range(2):
        assert plan_erp_wins(observe_with(files, seller, memory)) == []


def test_a_package_agreeing_with_the_erp_is_remembered_only_beside_a_differing_one_of_its_order(tmp_path):
    """Shipments that agree are not written to the memory, unless their order has one that differs."""
    memory = Memory()
    files = erp(tmp_path, HEADER + "S1,P1,O1,SF1,SF Express\nS2,P2,O1,SF2,SF Express\n")
    observe_with(files, OneOrder({"P1": "SF1", "P2": "SF2"}), memory)
    assert memory.rows == {}
    observe_with(files, OneOrder({"P1": "SF1", "P2": "JT2"}), memory)
    assert sorted(memory.rows) == ["tracking_number:P1", "tracking_number:P2"]


class Unmoved(Shipped):
    """Seller Center's states as the TikTok connector answers unmoved packages from its rows: no orders."""

    def read_shipping_states(self, package_ids: Sequence[str]) -> Records[PackageShippingState]:
        return Records(
            tuple(
                PackageShippingState(p, ShippingStatus.SHIPPED, (), self.numbers[p], warehouse_id="WH1")
                for p in package_ids
            )
        )


def test_packages_answered_without_their_orders_share_the_order_the_erp_names(tmp_path):
    """A state kept from an earlier read carries no orders: the ERP shipment's order stands for
    it, so a package of an order already corrected is still only reported, and of two differing
    at once only one is corrected."""
    memory, seller = Memory(), OneOrder({"P1": "SF1", "P2": "SF2"})
    files = erp(tmp_path, HEADER + "S1,P1,O1,SF9,SF Express\nS2,P2,O1,SF2,SF Express\n")
    assert [a.subject for a in plan_erp_wins(observe_with(files, seller, memory))] == ["P1"]
    seller.numbers["P1"] = "SF9"  # erpsync's correction went through: the order's update is used
    files = erp(tmp_path, HEADER + "S1,P1,O1,SF9,SF Express\nS2,P2,O1,SF8,SF Express\n")
    assert plan_erp_wins(observe_with(files, Unmoved(seller.numbers), memory)) == []

    both = erp(tmp_path, HEADER + "S1,P1,O2,SF7,SF Express\nS2,P2,O2,SF6,SF Express\n")
    assert [a.subject for a in plan_erp_wins(observe_with(both, Unmoved({"P1": "SF1", "P2": "SF2"}), Memory()))] == [
        "P1"
    ]


def refusal(package: str, number: str, code: str | None = "21011051") -> FailedWrite:
    """The ledger's failed correction of ``package`` to ``number``, refused with ``code``."""
    error = f"tiktok update shipping info of package {package}: refused" + (f" (code {code})" if code else "")
    return FailedWrite("update_tracking", package, "7208000000000000001", number, error, code, NOW)


def observe_refused(files: Connector, seller: Connector, *refused: FailedWrite):
    settings = TrackingSettings().load({"carriers": {"SF Express": "7208000000000000001"}})
    ctx = ObserveContext("shop", seller, files, NOW, memory=Memory(), settings=settings)
    ctx.failed_writes = lambda: refused
    return TrackingAspect().observe(ctx)


def test_a_correction_refused_as_the_orders_second_update_is_reported_not_sent_again(tmp_path):
    """21011051 for the ERP's current number: the order's update was used before erpsync saw the
    package (by hand); the difference is reported with the refusal, and no correction planned."""
    files = erp(tmp_path, HEADER + "S1,P1,O1,SF1,SF Express\n")
    obs = observe_refused(files, Shipped({"P1": "JT77"}), refusal("P1", "SF1"))
    assert obs.refused == {"P1": "SF1"}
    (drift,) = TrackingAspect().diff(obs)
    assert "Seller Center refused erpsync's change to SF1 with 21011051" in drift.message
    assert "by hand in Seller Center" in drift.message and "ask TikTok support" in drift.message
    assert plan_erp_wins(obs) == []


@pytest.mark.parametrize(
    "failed",
    [refusal("P1", "SF0"), refusal("P2", "SF1"), refusal("P1", "SF1", code="21011001"), refusal("P1", "SF1", None)],
    ids=["another-number", "another-package", "another-code", "no-code"],
)
def test_a_refusal_of_another_number_package_or_code_does_not_stop_the_correction(tmp_path, failed):
    files = erp(tmp_path, HEADER + "S1,P1,O1,SF1,SF Express\n")
    obs = observe_refused(files, Shipped({"P1": "JT77", "P2": "JT78"}), failed)
    assert obs.refused == {}
    assert [(a.kind, a.subject, a.value) for a in plan_erp_wins(obs)] == [("update_tracking", "P1", "SF1")]


@pytest.mark.parametrize("code", ["21011051", "21011049"])
def test_a_refusal_holds_when_the_erp_writes_the_refused_number_in_another_case(tmp_path, code):
    """The same number, whatever its case: sent again, it would be refused again."""
    files = erp(tmp_path, HEADER + "S1,P1,O1,sf1001ab,SF Express\n")
    obs = observe_refused(files, Shipped({"P1": "JT77"}), refusal("P1", "SF1001AB", code=code))
    assert (obs.refused or obs.closed) and plan_erp_wins(obs) == []
    (drift,) = TrackingAspect().diff(obs)
    assert f"Seller Center refused erpsync's change to SF1001AB with {code}" in drift.message


def test_a_refusal_of_one_package_holds_back_the_others_of_its_order(tmp_path):
    files = erp(tmp_path, HEADER + "S1,P1,O1,SF9,SF Express\nS2,P2,O1,SF8,SF Express\n")
    obs = observe_refused(files, OneOrder({"P1": "SF1", "P2": "SF2"}), refusal("P1", "SF9"))
    assert plan_erp_wins(obs) == []
    by_package = {d.subject: d.message for d in TrackingAspect().diff(obs)}
    assert "Seller Center refused erpsync's change to SF9 with 21011051" in by_package["P1"]
    assert "package P1 of the same order O1: Seller Center refused erpsync's change to SF9" in by_package["P2"]


def test_the_ledger_is_not_read_while_every_package_agrees(tmp_path):
    def unread() -> list[FailedWrite]:
        raise AssertionError("nothing differs: no ledger read")

    files = erp(tmp_path, HEADER + "S1,P1,O1,SF1,SF Express\n")
    settings = TrackingSettings().load({"carriers": {"SF Express": "7208000000000000001"}})
    ctx = ObserveContext("shop", Shipped({"P1": "SF1"}), files, NOW, memory=Memory(), settings=settings)
    ctx.failed_writes = unread
    assert TrackingAspect().observe(ctx).refused == {}


def test_a_number_differing_only_in_case_is_neither_remembered_nor_looked_up_in_the_ledger(tmp_path):
    def unread() -> list[FailedWrite]:
        raise AssertionError("the same number but for case: nothing differs, no ledger read")

    files = erp(tmp_path, HEADER + "S1,P1,O1,sf1001,SF Express\n")
    settings = TrackingSettings().load({"carriers": {"SF Express": "7208000000000000001"}})
    memory = Memory()
    ctx = ObserveContext("shop", Shipped({"P1": "SF1001"}), files, NOW, memory=memory, settings=settings)
    ctx.failed_writes = unread
    obs = TrackingAspect().observe(ctx)
    assert (obs.refused, memory.rows) == ({}, {})
    assert TrackingAspect().diff(obs) == []


class PluginErp(Connector):
    """An ERP plugin's ``ShipmentReader`` that hands its rows over as they came."""

    type = "plugin-erp"
    role = "erp"

    def __init__(self, *shipments: ErpShipment) -> None:
        super().__init__({}, shop=ShopContext("shop", Path(".")))
        self.shipments = shipments

    def list_shipments(self) -> Records[ErpShipment]:
        return Records(self.shipments)


class TwoCarriers(Shop):
    def shipping_provider_ids(self, warehouse_id: str) -> Mapping[str, str]:
        return {"J&T Express": "7208000000000000002", "SF Express": "7208000000000000001"}


def test_shipments_sharing_an_id_are_refused_naming_each_other_and_their_packages_are_held_back():
    """A reader giving two shipments one id (Tryton numbers them per company, a plugin may too):
    the id names neither, so neither package is pushed, nor the other rows of those packages; each
    error names both rows and their packages. The other shipments go on."""
    rows = [
        ErpShipment("WH/OUT/1", "P1", "O1", "SF1001", "SF Express", "company A"),
        ErpShipment("WH/OUT/1", "P2", "O2", "JT2002", "J&T Express", "company B"),
        ErpShipment("WH/OUT/2", "P2", "O2", "JT2002", "J&T Express", "company B row 2"),
        ErpShipment("WH/OUT/3", "P3", "O3", "SF3003", "SF Express", "company A row 3"),
    ]
    obs = observe(PluginErp(*rows), TwoCarriers())
    assert [(a.subject, a.value, a.field) for a in plan_erp_wins(obs)] == [("P3", "SF3003", "7208000000000000001")]
    assert obs.scope == {"P3"}
    assert [(e.record, e.field, e.package_id) for e in obs.record_errors] == [
        ("shipment 'WH/OUT/1'", "id", "P1"),
        ("shipment 'WH/OUT/1'", "id", "P2"),
        ("shipment 'WH/OUT/2'", "tracking_number", "P2"),
    ]
    shown = "package P1, SF1001 by SF Express (company A), package P2, JT2002 by J&T Express (company B)"
    for error in obs.record_errors[:2]:
        assert shown in str(error), error


def test_one_shipment_a_plugin_gives_twice_is_pushed_once_without_an_error():
    """A plugin's SQL join over order lines gives one shipment once per line: the copies agree on
    the package, the number (case aside) and the carrier, so the id names one shipment and it is
    pushed, as when the rows of one package that agree are one."""
    row = ErpShipment("WH/OUT/7", "P7", "O7", "SF7007", "SF Express", "plugin")
    again = ErpShipment("WH/OUT/7", "P7", "O7", "sf7007", "SF Express", "plugin, line 2")
    obs = observe(PluginErp(row, row, again), TwoCarriers())
    assert obs.record_errors == []
    assert [(a.subject, a.value, a.field) for a in plan_erp_wins(obs)] == [("P7", "SF7007", "7208000000000000001")]


def test_copies_of_one_id_that_differ_in_number_or_carrier_only_are_still_refused():
    """The same package under one id but another number, or another carrier name: which the id
    names is not known, so each row is a record error on id and the package is held back."""
    rows = [
        ErpShipment("WH/OUT/1", "P1", "O1", "SF1001", "SF Express", "line 1"),
        ErpShipment("WH/OUT/1", "P1", "O1", "SF1001", "J&T Express", "line 2"),
        ErpShipment("WH/OUT/2", "P2", "O2", "SF2002", "SF Express", "line 3"),
        ErpShipment("WH/OUT/2", "P2", "O2", "SF2009", "SF Express", "line 4"),
        ErpShipment("WH/OUT/3", "P3", "O3", "SF3003", "SF Express", "line 5"),
    ]
    obs = observe(PluginErp(*rows), TwoCarriers())
    assert [(e.source, e.field, e.package_id) for e in obs.record_errors] == [
        ("line 1", "id", "P1"),
        ("line 2", "id", "P1"),
        ("line 3", "id", "P2"),
        ("line 4", "id", "P2"),
    ]
    assert "SF1001 by J&T Express (line 2)" in str(obs.record_errors[0])
    assert [a.subject for a in plan_erp_wins(obs)] == ["P3"]


def test_observe_refuses_a_bad_number_whichever_reader_let_it_through():
    """The one rule (core/tracking_numbers.py) runs on every reader's shipments: a plugin's
    float, invisible character or padding never reaches Seller Center."""
    rows = [
        ErpShipment("S1", "P1", "O1", "  SF1001 ", "J&T Express", "plugin row 1"),
        ErpShipment("S2", "P2", "O2", "SF1002\u200b", "J&T Express", "plugin row 2"),
        ErpShipment("S3", "P3", "O3", 9.400111899223345e21, "J&T Express", "plugin row 3"),  # type: ignore[arg-type]
    ]
    obs = observe(PluginErp(*rows), Shop())
    assert [(s.id, s.tracking_number) for s in obs.shipments] == [("S1", "SF1001")]
    assert [(e.source, e.record, e.field) for e in obs.record_errors] == [
        ("plugin row 2", "shipment 'S2'", "tracking_number"),
        ("plugin row 3", "shipment 'S3'", "tracking_number"),
    ]
    assert "'SF1002\\u200b' contains an invisible character (U+200B ZERO WIDTH SPACE" in str(obs.record_errors[0])
    assert obs.scope == {"P1"}
    (action,) = TrackingAspect().plan(TrackingAspect().diff(obs), lambda _d: "erp", obs)
    assert action.value == "SF1001"


@pytest.mark.parametrize("shipments", [(("S1", "SF1001"), ("S2", "SF2002")), (("S2", "SF2002"), ("S1", "SF1001"))])
def test_a_package_whose_erp_shipments_disagree_is_not_pushed_and_each_row_names_the_others(tmp_path, shipments):
    """Which of two numbers the parcel carries is not known: pushing the first row's would let the
    file's order decide what Seller Center takes once. The rest of the file still goes."""
    rows = "".join(f"{sid},P1,O1,{number},SF Express\n" for sid, number in shipments)
    files = erp(tmp_path, HEADER + rows + "S3,P3,O3,SF3003,SF Express\n")
    obs = observe(files, Shop(), {"SF Express": "7208000000000000001"})
    assert [(a.kind, a.subject, a.value) for a in plan_erp_wins(obs)] == [("ship", "P3", "SF3003")]
    assert [(e.source, e.record, e.field) for e in obs.record_errors] == [
        (f"{tmp_path}/erp/shipments.csv:{line}", f"shipment {sid!r}", "tracking_number")
        for line, (sid, _) in enumerate(shipments, 2)
    ]
    for error in obs.record_errors:  # each names both rows and both numbers
        assert all(s in str(error) for s in ("shipments.csv:2", "shipments.csv:3", "SF1001", "SF2002")), error
    assert obs.scope == {"P3"}  # P1's drifts stay as they were


@pytest.mark.parametrize("numbers", [("SF2002", "SF1001"), ("SF1001", "SF2002")])
def test_reordering_the_erp_file_does_not_correct_a_pushed_number(tmp_path, numbers):
    """P1 was shipped with SF1001; an ERP export holding SF1001 and SF2002 for it, in either order,
    does not spend the order's one update on a correction."""
    rows = "".join(f"S{i},P1,O1,{n},SF Express\n" for i, n in enumerate(numbers, 1))
    obs = observe_with(erp(tmp_path, HEADER + rows), Shipped({"P1": "SF1001"}), Memory())
    assert plan_erp_wins(obs) == []
    assert len(obs.record_errors) == 2 and obs.scope == set()


@pytest.mark.parametrize("order", ["valid first", "refused first"])
def test_a_package_one_of_whose_erp_shipments_is_refused_is_not_pushed(order):
    """The refused row may carry the parcel's number: the valid one is no more the package's than
    it, so nothing is pushed for the package, whichever row comes first; others go on."""
    rows = [
        ErpShipment("S1", "P1", "O1", "SF1001", "J&T Express", "plugin row 1"),
        ErpShipment("S2", "P1", "O1", "SF2002\u200b", "J&T Express", "plugin row 2"),
    ]
    rows = rows if order == "valid first" else rows[::-1]
    rows.append(ErpShipment("S3", "P3", "O3", "SF3003", "J&T Express", "plugin row 3"))
    obs = observe(PluginErp(*rows), Shop())
    assert [(a.kind, a.subject) for a in plan_erp_wins(obs)] == [("ship", "P3")]
    assert obs.scope == {"P3"}  # P1's drifts stay as they were
    by_shipment = {e.record: str(e) for e in obs.record_errors}
    assert "invisible character" in by_shipment["shipment 'S2'"]
    assert "could not read (plugin row 2, shipment 'S2': tracking_number)" in by_shipment["shipment 'S1'"]


def test_a_package_a_reader_refused_a_row_of_is_not_pushed(tmp_path):
    """The files ERP refuses 'SF 2' itself (a space inside), naming its package: its other row's
    number is not shipped."""
    files = erp(tmp_path, HEADER + "S1,P1,O1,SF1,SF Express\nS2,P1,O1,SF 2,SF Express\n")
    obs = observe(files, Shop(), {"SF Express": "7208000000000000001"})
    assert plan_erp_wins(obs) == [] and obs.scope == set()
    assert [(e.record, e.package_id) for e in obs.record_errors] == [("shipment 'S2'", "P1"), ("shipment 'S1'", "P1")]
    assert "shipments.csv:3, shipment 'S2': tracking_number" in str(obs.record_errors[1])


_SET_ASIDE = {
    "a CSV row with a byte that is not UTF-8": (
        "shipments.csv",
        (HEADER + "S1,P1,O1,SF1,SF Express\n").encode() + b"S2,P1,O1,SF2\xff,SF Express\n",
    ),
    "a JSON object with a byte that is not UTF-8": (
        "shipments.json",
        b'[{"id": "S1", "package_id": "P1", "order_id": "O1", "tracking_number": "SF1", "carrier": "SF Express"},\n'
        b' {"id": "S2", "package_id": "P1", "order_id": "O1",\n'
        b'  "tracking_number": "SF2\xff", "carrier": "SF Express"}]',
    ),
    "a JSON object giving the tracking number twice": (
        "shipments.json",
        b'[{"id": "S1", "package_id": "P1", "order_id": "O1", "tracking_number": "SF1", "carrier": "SF Express"},\n'
        b' {"id": "S2", "package_id": "P1", "order_id": "O1", "tracking_number": "SF1",'
        b' "tracking_number": "SF2", "carrier": "SF Express"}]',
    ),
}


@pytest.mark.parametrize("case", list(_SET_ASIDE))
def test_a_package_a_row_set_aside_while_parsing_names_is_not_pushed(tmp_path, case):
    """A row the files reader sets aside before reading it (it does not decode; it gives a key
    twice) may carry the parcel's other number: its error names its package, so the package's
    row that reads well is not shipped either."""
    name, raw = _SET_ASIDE[case]
    files = erp(tmp_path, "", name)
    (tmp_path / "erp" / name).write_bytes(raw)
    obs = observe(files, Shop(), {"SF Express": "7208000000000000001"})
    assert plan_erp_wins(obs) == [] and obs.scope == set()
    assert [(e.record, e.package_id) for e in obs.record_errors] == [("shipment 'S2'", "P1"), ("shipment 'S1'", "P1")]


def test_a_row_set_aside_whose_package_cell_is_unreadable_holds_nothing_back(tmp_path):
    """A package id that did not decode, or that the object gives twice, names no package: the
    error names none, and the other packages' rows go on."""
    raw = (HEADER + "S1,P1,O1,SF1,SF Express\n").encode() + b"S2,P\xff1,O1,SF2,SF Express\n"
    files = erp(tmp_path, "", "shipments.csv")
    (tmp_path / "erp" / "shipments.csv").write_bytes(raw)
    obs = observe(files, Shop(), {"SF Express": "7208000000000000001"})
    assert [(e.record, e.package_id) for e in obs.record_errors] == [("shipment 'S2'", None)]
    text = '[{"id": "S2", "package_id": "P1", "package_id": "P2", "tracking_number": "SF2", "carrier": "SF Express"}]'
    obs = observe(erp(tmp_path, text, "shipments.json"), Shop())
    assert [(e.record, e.field, e.package_id) for e in obs.record_errors] == [("shipment 'S2'", "package_id", None)]


def test_the_same_number_in_two_erp_shipments_of_a_package_is_one_shipment(tmp_path):
    files = erp(tmp_path, HEADER + "S1,P1,O1,SF1001,SF Express\nS2,P1,O1,SF1001,SF Express\n")
    obs = observe(files, Shop(), {"SF Express": "7208000000000000001"})
    assert obs.record_errors == []
    assert [(a.kind, a.subject, a.value) for a in plan_erp_wins(obs)] == [("ship", "P1", "SF1001")]


@pytest.mark.parametrize("carriers", [("SF Express", "J&T Express"), ("J&T Express", "SF Express")])
def test_erp_shipments_of_a_package_naming_different_carriers_are_not_pushed(tmp_path, carriers):
    """Which carrier the parcel went with is not known: pushing the first row's would let the
    file's order decide. Each row is an error naming both; the rest of the file still goes."""
    rows = "".join(f"S{i},P1,O1,SF1001,{c}\n" for i, c in enumerate(carriers, 1))
    files = erp(tmp_path, HEADER + rows + "S3,P3,O3,SF3003,SF Express\n")
    ids = {"SF Express": "7208000000000000001", "J&T Express": "7208000000000000009"}
    obs = observe(files, Shop(), ids)
    assert [(a.kind, a.subject) for a in plan_erp_wins(obs)] == [("ship", "P3")]
    assert [(e.record, e.field) for e in obs.record_errors] == [
        ("shipment 'S1'", "carrier"),
        ("shipment 'S2'", "carrier"),
    ]
    for error in obs.record_errors:
        assert all(c in str(error) for c in carriers) and "under different carriers" in str(error), error
    assert obs.scope == {"P3"}


def test_carrier_names_of_one_provider_or_of_a_package_done_are_no_conflict(tmp_path):
    """Two names the table maps to one id mean one carrier; a package shipped with the ERP's
    number needs no carrier at all, so its rows' names do not matter."""
    files = erp(tmp_path, HEADER + "S1,P1,O1,SF1001,SF Express\nS2,P1,O1,SF1001,顺丰速运\n")
    one = {"SF Express": "7208000000000000001", "顺丰速运": "7208000000000000001"}
    assert [(a.kind, a.field) for a in plan_erp_wins(observe(files, Shop(), one))] == [("ship", one["顺丰速运"])]
    obs = observe(files, Shipped({"P1": "SF1001"}), {"SF Express": "7208000000000000001"})
    assert obs.record_errors == [] and obs.scope == {"P1"} and TrackingAspect().diff(obs) == []


def test_two_erp_shipments_of_a_package_differing_only_in_case_are_one_shipment(tmp_path):
    """Numbers that differ only in case are one number (same_tracking_number): no conflict, and the
    first row's number, as the ERP writes it, is the one shipped."""
    files = erp(tmp_path, HEADER + "S1,P1,O1,sf1001,SF Express\nS2,P1,O1,SF1001,SF Express\n")
    obs = observe(files, Shop(), {"SF Express": "7208000000000000001"})
    assert obs.record_errors == []
    assert [(a.kind, a.subject, a.value) for a in plan_erp_wins(obs)] == [("ship", "P1", "sf1001")]


def test_a_package_shipped_with_the_erps_number_in_another_case_needs_no_carrier(tmp_path):
    files = erp(tmp_path, HEADER + "S1,P1,O1,sf1001,顺丰速运\n")
    obs = observe(files, Shipped({"P1": "SF1001"}))
    assert obs.record_errors == [] and obs.scope == {"P1"}
    assert TrackingAspect().diff(obs) == []


def test_a_package_shipped_with_the_erps_number_needs_no_carrier(tmp_path):
    """Shipped by hand in Seller Center with the ERP's number: nothing to push, so an ERP carrier
    name that is no provider's is no record error; the same name with another number still is."""
    files = erp(tmp_path, HEADER + "S1,P1,O1,SF1001,顺丰速运\nS2,P2,O2,SF2002,顺丰速运\n")
    seller = Shipped({"P1": "SF1001", "P2": "SF2999"})
    obs = observe(files, seller)
    assert [(e.record, e.field) for e in obs.record_errors] == [("shipment 'S2'", "carrier")]
    assert obs.scope == {"P1"} and [s.id for s in obs.shipments] == ["S1"]
    assert TrackingAspect().diff(obs) == []


class PastWindow(Shipped):
    """A seller plugin that knows the shipping time: shipped five days ago."""

    def read_shipping_states(self, package_ids: Sequence[str]) -> Records[PackageShippingState]:
        when = NOW - timedelta(days=5)
        return Records(
            tuple(
                PackageShippingState(p, ShippingStatus.SHIPPED, (f"O{p}",), self.numbers[p], None, when, "WH1")
                for p in package_ids
            )
        )


@pytest.mark.parametrize(
    ("seller", "refused", "said"),
    [
        (PastWindow({"P1": "JT77"}), (), "past the 72 h"),
        (Shipped({"P1": "JT77"}), (refusal("P1", "SF1001"),), "with 21011051"),
        (Shipped({"P1": "JT77"}), (refusal("P1", "SF1001", code="21011049"),), "with 21011049"),
    ],
    ids=["past-the-window", "update-used", "may-no-longer-change"],
)
def test_a_difference_nothing_can_push_needs_no_carrier_and_is_reported(tmp_path, seller, refused, said):
    """Only the platform's support can change the number now: an ERP carrier name Seller Center
    does not know is no record error on every run, and the drift says why nothing is sent."""
    files = erp(tmp_path, HEADER + "S1,P1,O1,SF1001,Royal Mail Tracked\n")
    ctx = ObserveContext("shop", seller, files, NOW, memory=Memory(), settings=TrackingSettings().load({}))
    ctx.failed_writes = lambda: refused
    obs = TrackingAspect().observe(ctx)
    assert obs.record_errors == [] and obs.scope == {"P1"}, [str(e) for e in obs.record_errors]
    (drift,) = TrackingAspect().diff(obs)
    assert drift.kind == "tracking_differs" and said in drift.message
    assert plan_erp_wins(obs) == []


class CachedAmbiguous(Shipped):
    """The TikTok connector's shape for a package answered from its cached row: no delivery
    option, and the warehouse's two options offer "SF Express" under two ids."""

    def shipping_provider_ids(self, warehouse_id: str) -> Mapping[str, str]:
        return ProviderNames([("SF Express", "1", "D1"), ("SF Express", "2", "D2")])


def test_a_refused_correction_needs_no_carrier_the_delivery_option_would_settle(tmp_path):
    files = erp(tmp_path, HEADER + "S1,P1,O1,SF1001,SF Express\n")
    settings = TrackingSettings().load({})
    ctx = ObserveContext("shop", CachedAmbiguous({"P1": "JT77"}), files, NOW, memory=Memory(), settings=settings)
    ctx.failed_writes = lambda: [refusal("P1", "SF1001")]
    obs = TrackingAspect().observe(ctx)
    assert obs.record_errors == [] and obs.refused == {"P1": "SF1001"}
    ctx.failed_writes = lambda: []  # not refused: a correction is due, and the name must resolve
    assert [e.field for e in TrackingAspect().observe(ctx).record_errors] == ["carrier"]


class NaiveTimes(Shipped):
    """A seller plugin giving P1's shipping time as ``datetime.fromtimestamp(ts)``: no time zone."""

    def read_shipping_states(self, package_ids: Sequence[str]) -> Records[PackageShippingState]:
        when = {"P1": datetime(2026, 3, 1), "P2": datetime(2026, 3, 1, tzinfo=UTC)}
        return Records(
            tuple(
                PackageShippingState(p, ShippingStatus.SHIPPED, (f"O{p}",), self.numbers[p], None, when[p], "WH1")
                for p in package_ids
            )
        )


def test_a_naive_shipped_at_from_a_seller_is_a_record_error_and_the_run_goes_on(tmp_path):
    files = erp(tmp_path, HEADER + "S1,P1,O1,SF1001,SF Express\nS2,P2,O2,SF2002,SF Express\n")
    obs = observe_with(files, NaiveTimes({"P1": "SF1", "P2": "SF2"}), Memory())
    assert [(e.record, e.field, e.record_id) for e in obs.record_errors] == [("package 'P1'", "shipped_at", "P1")]
    assert "no time zone" in str(obs.record_errors[0])
    assert obs.scope == {"P2"}
    assert [(a.kind, a.subject) for a in plan_erp_wins(obs)] == [("update_tracking", "P2")]
