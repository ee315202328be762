"""The Tryton connector's mapping over staged answers: record errors, the values a write sends, batches.

A record Tryton holds but erpsync cannot map is one RecordError naming record and field, and the
others still come; a write sends only the fields it corrects, refuses what Tryton cannot hold
before sending anything, and a batch is one ``write`` call.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from marshmallow import ValidationError
from tryton_fake import FakeTryton, HttpFailure, connector, location, staged

from erpsync.connectors.tryton import TrytonOptions
from erpsync.core.errors import NotFoundError, OutcomeUnknownError, PermanentError, TemporaryError
from erpsync.core.listings import BoundListing, ListingMapping, plan_pushes
from erpsync.core.models import HandoverMode

OPTIONS = {"district_field": "post_office", "handover_field": "post_box", "order_status_field": "comment"}
WAREHOUSES = "model.stock.location.search_read"
WRITE = "model.party.address.write"


def warehouses(fake: FakeTryton, *rows: dict[str, Any]) -> None:
    """Stage the warehouse rows; a search by code answers only the rows with that code."""

    def answer(params: list[Any]) -> list[dict[str, Any]]:
        codes = [c[2] for c in params[0] if c[0] == "code"]
        return [r for r in rows if not codes or r["code"] == codes[0]][params[1] : params[1] + params[2]]

    fake.on(WAREHOUSES, answer)


def test_a_warehouse_reads_with_every_mapped_field() -> None:
    fake = FakeTryton()
    warehouses(fake, location())
    with staged(fake):
        (w,) = connector(**OPTIONS).list_warehouses().items
    a = w.address
    assert (w.id, w.name, w.handover_mode, w.seller_warehouse_id) == ("WH-DG-01", "东莞仓", HandoverMode.PICKUP, None)
    assert (a.contact_person, a.phone, a.region_code, a.state) == ("张伟", "13800138000", "CN", "广东省")
    assert (a.city, a.district, a.street, a.postal_code) == ("东莞市", "长安镇", "振安中路 88号", "523850")
    assert w.source == "tryton:erpsync/stock.location/12"


def test_a_phone_of_another_country_reads_as_tryton_keeps_it() -> None:
    fake = FakeTryton()
    phone = [{"id": 9, "type": "phone", "value": "+44 20 7946 0958", "active": True}]
    warehouses(fake, location(address={"contact_mechanisms.": phone}))
    with staged(fake):
        (w,) = connector().list_warehouses().items
    assert w.address.phone == "+44 20 7946 0958"


@pytest.mark.parametrize(
    ("row", "field"),
    [
        (location("WH-BAD", rid=2, address={"post_box": "SOMETIMES"}), "post_box"),
        ({"id": 2, "code": "WH-BAD", "name": "无地址", "address": None, "address.": None}, "address"),
        ({**location(rid=2), "code": None}, "code"),
    ],
    ids=["handover-value", "no-address", "no-code"],
)
def test_a_warehouse_that_cannot_be_mapped_is_a_record_error_and_the_others_read(
    row: dict[str, Any], field: str
) -> None:
    fake = FakeTryton()
    warehouses(fake, location(), row)
    with staged(fake):
        records = connector(**OPTIONS).list_warehouses()
    assert [w.id for w in records.items] == ["WH-DG-01"]
    (error,) = records.errors
    assert error.field == field and error.record
    assert "WH-BAD" in str(error) or field == "code"


def test_a_write_sends_only_the_corrected_fields_in_one_call() -> None:
    fake = FakeTryton()
    warehouses(fake, location())
    fake.on("model.country.subdivision.search", lambda p: [8] if ["name", "=", "浙江省"] in p[0][1] else [])
    with staged(fake):
        connector(**OPTIONS).set_warehouse_address(
            "WH-DG-01", {"street": "新街 1号", "state": "浙江省", "phone": "13900139000", "district": "义乌市"}
        )
    (write,) = fake.called(WRITE)
    ids, values = write.params[0], write.params[1]
    assert ids == [42]
    assert values == {
        "street_unstructured": "新街 1号",
        "street_name": None,
        "building_name": None,
        "building_number": None,
        "unit_number": None,
        "floor_number": None,
        "room_number": None,
        "post_office": "义乌市",
        "subdivision": 8,
        "contact_mechanisms": [["write", [9], {"value": "13900139000"}]],
    }


def test_writing_the_phone_as_it_is_sends_nothing() -> None:
    fake = FakeTryton()
    warehouses(fake, location())
    with staged(fake):
        connector().set_warehouse_address("WH-DG-01", {"phone": "13800138000"})
    assert fake.called(WRITE) == []


def test_a_phone_on_an_address_without_one_is_created_for_its_party() -> None:
    fake = FakeTryton()
    warehouses(fake, location(address={"contact_mechanisms.": []}))
    with staged(fake):
        connector().set_warehouse_address("WH-DG-01", {"phone": "13900139000"})
    (write,) = fake.called(WRITE)
    assert write.params[1] == {
        "contact_mechanisms": [["create", [{"type": "phone", "value": "13900139000", "party": 5}]]]
    }


def test_an_unknown_subdivision_refuses_the_write_naming_warehouse_and_field() -> None:
    fake = FakeTryton()
    warehouses(fake, location())
    fake.on("model.country.subdivision.search", [])
    with staged(fake), pytest.raises(PermanentError) as caught:
        connector().set_warehouse_address("WH-DG-01", {"state": "火星省", "city": "x"})
    assert "WH-DG-01" in str(caught.value) and "state" in str(caught.value) and "火星省" in str(caught.value)
    assert fake.called(WRITE) == [], "nothing is written"


def test_an_unknown_country_refuses_the_write() -> None:
    fake = FakeTryton()
    warehouses(fake, location())
    fake.on("model.country.country.search", [])
    with staged(fake), pytest.raises(PermanentError, match="region_code"):
        connector().set_warehouse_address("WH-DG-01", {"region_code": "ZZ"})
    assert fake.called(WRITE) == []


def test_fields_tryton_does_not_keep_are_refused_with_the_option_to_set() -> None:
    fake = FakeTryton()
    warehouses(fake, location())
    with staged(fake):
        erp = connector()
        with pytest.raises(PermanentError, match="district_field"):
            erp.set_warehouse_address("WH-DG-01", {"district": "长安镇"})
        with pytest.raises(PermanentError, match="handover_field"):
            erp.set_handover_mode("WH-DG-01", HandoverMode.PICKUP)
        with pytest.raises(ValueError, match="fax"):
            erp.set_warehouse_address("WH-DG-01", {"fax": "1"})
        assert "not kept (set option handover_field)" in erp.check()
    assert fake.called(WRITE) == []


def test_a_write_to_an_unknown_warehouse_is_not_found() -> None:
    fake = FakeTryton()
    warehouses(fake, location())
    with staged(fake), pytest.raises(NotFoundError, match="WH-NONE"):
        connector().set_warehouse_address("WH-NONE", {"city": "x"})


def test_a_batch_is_one_write_call_after_its_checks() -> None:
    fake = FakeTryton()
    warehouses(fake, location(), location("WH-YW-02", rid=13))
    with staged(fake):
        erp = connector(**OPTIONS)
        with erp.batch():
            erp.set_warehouse_address("WH-DG-01", {"city": "东莞"})
            with pytest.raises(NotFoundError):
                erp.set_warehouse_address("WH-NONE", {"city": "x"})
            erp.set_handover_mode("WH-YW-02", HandoverMode.DROP_OFF)
            erp.set_warehouse_address("WH-DG-01", {"postal_code": "523000"})
            assert fake.called(WRITE) == [], "nothing is sent before the batch ends"
    (write,) = fake.called(WRITE)
    assert write.params[:-1] == [[42], {"city": "东莞", "postal_code": "523000"}, [43], {"post_box": "DROP OFF"}]


def test_a_batch_left_by_an_exception_sends_nothing() -> None:
    fake = FakeTryton()
    warehouses(fake, location())
    with staged(fake):
        erp = connector()
        with pytest.raises(RuntimeError), erp.batch():
            erp.set_warehouse_address("WH-DG-01", {"city": "东莞"})
            raise RuntimeError
    assert fake.called(WRITE) == []


def product(
    pid: int, template: int, sku: str | None, price: str, quantity: float, code: str = "P-1", description: str = "描述"
) -> dict[str, Any]:
    return {
        "id": pid,
        "suffix_code": sku,
        "code": f"{code}{sku or ''}",
        "description": description,
        "list_price_used": {"__class__": "Decimal", "decimal": price},
        "quantity": quantity,
        "template": template,
        "template.": {"id": template, "code": code, "name": f"产品 {template}"},
    }


def test_products_group_variants_and_a_bad_variant_costs_only_its_product() -> None:
    fake = FakeTryton()
    fake.on("model.stock.location.search", [12])
    fake.on("model.company.company.read", [{"id": 1, "currency.": {"id": 2, "code": "CNY"}}])
    rows = [product(1, 10, "A", "39.90", 7.9), product(2, 10, "B", "45.50", 0), product(3, 11, None, "1", 1, "P-2")]
    fake.on("model.product.product.search_read", rows)
    with staged(fake):
        records = connector().read_products()
    (p,) = records.items
    assert (p.id, p.title, p.currency) == ("P-1", "产品 10", "CNY")
    assert [(s.seller_sku, s.price, s.inventory) for s in p.skus] == [
        ("A", Decimal("39.90"), 7),
        ("B", Decimal("45.50"), 0),
    ]
    (error,) = records.errors
    assert error.field == "suffix_code" and "P-2" in str(error)
    (search,) = fake.called("model.product.product.search_read")
    assert search.params[-1]["locations"] == [12]


def test_a_variant_that_cannot_be_read_leaves_its_product_partial_and_unpushed() -> None:
    """Template 10's variant without a SKU is its own record error and the product reads without
    it, marked partial (as the files ERP marks a product with a bad SKU row): its other SKUs'
    price and stock are pushed, but no create or edit short of a SKU."""
    fake = FakeTryton()
    fake.on("model.stock.location.search", [12])
    fake.on("model.company.company.read", [{"id": 1, "currency.": {"id": 2, "code": "CNY"}}])
    rows = [product(1, 10, "A", "39.90", 7.9), product(2, 10, None, "45.50", 0), product(3, 11, "C", "1", 1, "P-2")]
    fake.on("model.product.product.search_read", rows)
    with staged(fake):
        records = connector().read_products()
    assert [(p.id, p.partial, [s.seller_sku for s in p.skus]) for p in records.items] == [
        ("P-1", True, ["A"]),
        ("P-2", False, ["C"]),
    ]
    (error,) = records.errors
    assert (error.record, error.field) == ("product 'P-1' variant 2", "suffix_code")
    partial = records.items[0]
    mapping = ListingMapping(category_id="600001", warehouse_id="W")
    assert plan_pushes(partial, mapping, None) == []  # not created without its second SKU
    bound = BoundListing("T1", "old-hash", {"A": "s1"}, {"A": "30 CNY"}, {"A": "0"})
    assert [p.kind for p in plan_pushes(partial, mapping, bound)] == ["price", "inventory"]  # no edit


def test_a_product_s_description_is_its_first_readable_variant_s() -> None:
    """The first variant cannot be read: the product is read without it, its description too,
    so the description does not change when that variant is fixed or removed."""
    fake = FakeTryton()
    fake.on("model.stock.location.search", [12])
    fake.on("model.company.company.read", [{"id": 1, "currency.": {"id": 2, "code": "CNY"}}])
    rows = [
        product(1, 10, None, "39.90", 1, description="旧款，无 SKU"),
        product(2, 10, "B", "45.50", 0, description="新款"),
    ]
    fake.on("model.product.product.search_read", rows)
    with staged(fake):
        records = connector().read_products()
    (p,) = records.items
    assert (p.partial, [s.seller_sku for s in p.skus], p.description) == (True, ["B"], "新款")


def test_stock_of_an_unknown_warehouse_is_refused_by_name() -> None:
    fake = FakeTryton()
    fake.on("model.stock.location.search", [])
    with staged(fake), pytest.raises(PermanentError, match="stock_warehouse"):
        connector(stock_warehouse="WH-NONE").read_products()


def test_shipments_map_and_a_shipment_without_a_carrier_is_a_record_error() -> None:
    fake = FakeTryton()
    origin = {"id": 5, "sale.": {"id": 3, "reference": "576900000000000101"}}
    good = {
        "id": 1,
        "number": "SHP-1",
        "reference": "1154000000000000101",
        "shipping_reference": "SF1400000000101",
        "carrier.": {"id": 2, "party.": {"id": 8, "name": "顺丰速运"}},
        "moves.": [{"id": 4, "origin.": origin}],
    }
    bad = {**good, "id": 2, "number": "SHP-2", "carrier.": None}
    fake.on("model.stock.shipment.out.search_read", [good, bad])
    with staged(fake):
        records = connector().list_shipments()
    (s,) = records.items
    assert (s.id, s.package_id, s.order_id, s.tracking_number, s.carrier) == (
        "SHP-1",
        "1154000000000000101",
        "576900000000000101",
        "SF1400000000101",
        "顺丰速运",
    )
    (error,) = records.errors
    assert error.field == "carrier" and "SHP-2" in str(error)


def test_order_statuses_round_trip_through_the_dedicated_field() -> None:
    fake = FakeTryton()
    when = datetime(2026, 3, 2, 8, 15, tzinfo=UTC)
    fake.on(
        "model.sale.sale.search_read",
        [
            {"id": 3, "reference": "101", "comment": "AWAITING_SHIPMENT@2026-03-02T08:15:00+00:00"},
            {"id": 4, "reference": "102", "comment": ""},  # a sale with no status recorded yet
        ],
    )
    with staged(fake):
        erp = connector(**OPTIONS)
        records = erp.order_statuses(["101", "102"])
        assert records is not None
        fake.on(
            "model.sale.sale.search_read",
            [{"id": 3, "reference": "101", "comment": "AWAITING_SHIPMENT@2026-03-02T08:15:00+00:00"}],
        )
        erp.set_order_status("101", "IN_TRANSIT", when)
    s, unrecorded = records.items
    assert (s.order_id, s.status, s.updated_at) == ("101", "AWAITING_SHIPMENT", when)
    assert (unrecorded.order_id, unrecorded.status, unrecorded.updated_at) == ("102", "", None)
    assert erp.own_orders_only  # an order without a sale is not Tryton's: the aspect leaves it alone
    (write,) = fake.called("model.sale.sale.write")
    assert write.params[:2] == [[3], {"comment": "IN_TRANSIT@2026-03-02T08:15:00+00:00"}]


def test_an_order_id_two_sales_carry_is_a_record_error_with_no_status() -> None:
    """``sale.sale``'s reference is not unique: the first sale's status was answered as the order's
    (and set_order_status then refused the order for its two sales); Odoo's connector answers none."""
    fake = FakeTryton()
    fake.on(
        "model.sale.sale.search_read",
        [
            {"id": 3, "reference": "101", "comment": "AWAITING_SHIPMENT@2026-03-02T08:15:00+00:00"},
            {"id": 9, "reference": "101", "comment": ""},
            {"id": 4, "reference": "102", "comment": ""},
        ],
    )
    with staged(fake):
        records = connector(**OPTIONS).order_statuses(["101", "102"])
    assert records is not None
    assert [s.order_id for s in records.items] == ["102"]
    (error,) = records.errors
    assert (error.record, error.field, error.record_id) == ("order '101'", "reference", "101")
    assert "2 sales" in str(error) and "'3'" in str(error) and "'9'" in str(error)


@pytest.mark.parametrize(
    ("recorded", "why"),
    [
        ("shipped by hand", "is not STATUS@TIME"),
        ("SHIPPED@yesterday", "is not an ISO 8601 time"),
        ("SHIPPED@2026-03-02T08:15:00", "has no UTC offset"),
    ],
)
def test_a_status_text_erpsync_did_not_write_is_a_record_error_naming_its_field(recorded: str, why: str) -> None:
    """The error named the order but no field: which sale field holds the text was left to guess."""
    fake = FakeTryton()
    fake.on("model.sale.sale.search_read", [{"id": 3, "reference": "101", "comment": recorded}])
    with staged(fake):
        records = connector(**OPTIONS).order_statuses(["101"])
    assert records is not None and records.items == ()
    (error,) = records.errors
    assert (error.record, error.field, error.record_id) == ("order '101'", "comment", "101")
    assert why in error.reason


def test_without_a_status_field_no_order_statuses_are_kept() -> None:
    erp = connector()
    assert erp.order_statuses(["1"]) is None
    with pytest.raises(PermanentError, match="order_status_field"):
        erp.set_order_status("1", "CANCELLED", datetime(2026, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ({"token": "t"}, "token"),
        ({"handover_pickup": "X", "handover_drop_off": "X"}, "handover_drop_off"),
        ({"district_field": "city"}, "district_field"),
        ({"district_field": "attn"}, "_schema"),
        ({"order_status_field": "reference"}, "order_status_field"),
        ({"handover_field": "Not A Field"}, "handover_field"),
    ],
)
def test_options_refuse_what_cannot_work(extra: dict[str, str], key: str) -> None:
    table = {"base_url": "http://t/", "database": "d", "login": "l", "password": "p", **extra}
    with pytest.raises(ValidationError) as caught:
        TrytonOptions().load(table)
    assert key in caught.value.messages


def test_a_lost_answer_to_a_write_that_creates_a_phone_is_outcome_unknown() -> None:
    """Resent, it would create a second phone: it is reported for reconciling, not retried."""
    fake = FakeTryton()
    warehouses(fake, location(address={"contact_mechanisms.": []}))
    fake.on(WRITE, lambda _p: HttpFailure(503, "Service Unavailable"))
    with staged(fake):
        erp = connector()
        with pytest.raises(OutcomeUnknownError):
            erp.set_warehouse_address("WH-DG-01", {"phone": "13900139000"})
        with pytest.raises(TemporaryError) as caught:
            erp.set_warehouse_address("WH-DG-01", {"city": "东莞"})
    assert not isinstance(caught.value, OutcomeUnknownError), "setting values may be sent again"


@pytest.mark.parametrize("reference", ["SF1400000000102\u200b", "SF14 00000000102", "SF1400000000102\u3164"])
def test_a_shipping_reference_that_is_not_one_tracking_number_is_a_record_error(reference: str) -> None:
    """A zero-width space pasted after the number looks right in Tryton's form and is a number no
    carrier knows: refused by the rule every ERP reader shares (core/tracking_numbers.py)."""
    fake = FakeTryton()
    row = {
        "id": 1,
        "number": "SHP-1",
        "reference": "1154000000000000101",
        "shipping_reference": reference,
        "carrier.": {"id": 2, "party.": {"id": 8, "name": "顺丰速运"}},
        "moves.": [],
    }
    fake.on("model.stock.shipment.out.search_read", [row])
    with staged(fake):
        records = connector().list_shipments()
    assert records.items == ()
    (error,) = records.errors
    assert (error.record, error.field) == ("shipment 'SHP-1'", "shipping_reference")
    assert repr(reference) in error.reason
    assert error.package_id == "1154000000000000101"  # the tracking aspect holds that package back
