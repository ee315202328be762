"""Odoo products, shipments and order statuses: the mapping, bad records, and what is not kept."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from odoo_fixtures import OdooServer, make_connector, serving

from erpsync.connectors.odoo.orders import _sourced
from erpsync.connectors.odoo.products import _from_odoo
from erpsync.core.errors import NotFoundError, PermanentError, RecordError
from erpsync.core.listings import BoundListing, ErpSku, ListingMapping, plan_pushes

ORDERS = {"order_status_field": "x_status", "order_updated_field": "x_status_at"}


@pytest.fixture
def odoo() -> Iterator[OdooServer]:
    with serving() as server:
        server.add_field("stock.picking", "x_package")
        server.add_field("sale.order", "x_status")
        server.add_field("sale.order", "x_status_at")
        yield server


def variant(odoo: OdooServer, template: int, code: str | None, price: float, qty: dict[int, float]) -> int:
    cny = odoo.find("res.currency", name="CNY") if odoo.records["res.currency"] else None
    if cny is None:
        cny = odoo.create("res.currency", {"name": "CNY"})
    name = odoo.records["product.template"][template]["name"]
    vals = {"product_tmpl_id": template, "default_code": code, "name": name, "lst_price": price}
    return odoo.create("product.product", {**vals, "qty_available": qty, "currency_id": cny, "sale_ok": True})


def test_variants_are_the_skus_of_their_template(odoo: OdooServer) -> None:
    cup = odoo.create("product.template", {"name": "景德镇陶瓷茶杯"})
    white = variant(odoo, cup, "CUP-WHT-S", 39.9, {1: 100.0, 2: 20.0})
    blue = variant(odoo, cup, "CUP-BLU-L", 45.5, {1: -3.0})  # Odoo allows stock below zero
    records = make_connector().read_products()
    assert records is not None and records.errors == ()
    (product,) = records.items
    assert (product.id, product.title, product.currency) == (str(cup), "景德镇陶瓷茶杯", "CNY")
    assert product.skus == (
        ErpSku("CUP-WHT-S", Decimal("39.9"), 120, source=f"odoo product.template {cup}: variant {white}"),
        ErpSku("CUP-BLU-L", Decimal("45.5"), 0, source=f"odoo product.template {cup}: variant {blue}"),
    )


@pytest.mark.parametrize("protocol, version", [("jsonrpc", 17), ("jsonrpc", 18), ("json2", 19)])
def test_stock_warehouse_counts_only_that_warehouse_on_every_odoo_version(
    odoo: OdooServer, protocol: str, version: int
) -> None:
    """Odoo 17 reads the warehouse from context key ``warehouse``, 18 and 19 from ``warehouse_id``:
    sent only the first, Odoo 18 and 19 counted the stock of every warehouse."""
    odoo.version = version  # JSON-2 answers as Odoo 19 whatever this says
    cup = odoo.create("product.template", {"name": "景德镇陶瓷茶杯"})
    variant(odoo, cup, "CUP-WHT-S", 39.9, {1: 100.0, 2: 20.0})
    variant(odoo, cup, "CUP-BLU-L", 45.5, {1: -3.0})
    by_warehouse = make_connector(protocol, stock_warehouse=2).read_products()
    assert by_warehouse is not None
    assert [s.inventory for s in by_warehouse.items[0].skus] == [20, 0]


def test_a_variant_that_cannot_be_read_leaves_its_product_partial_and_unpushed(odoo: OdooServer) -> None:
    """A variant that cannot be read is its own record error and its product reads without it,
    marked partial (as the files ERP marks a product with a bad SKU row): its other SKUs' price
    and stock are pushed, but no create or edit short of a SKU. A product with no variant that
    reads is left out."""
    tea = odoo.create("product.template", {"name": "龙井"})
    cup = odoo.create("product.template", {"name": "茶杯"})
    rice = odoo.create("product.template", {"name": "米"})
    variant(odoo, tea, "TEA-1", 128.0, {1: 4.0})
    good = variant(odoo, cup, "CUP-1", 39.9, {1: 1.0})
    nameless = variant(odoo, cup, None, 45.5, {1: 1.0})
    cheap = variant(odoo, cup, "CUP-3", -1.0, {1: 1.0})
    by_weight = variant(odoo, rice, "RICE-KG", 9.0, {1: 2.5})
    records = make_connector().read_products()
    assert records is not None
    assert [(p.id, p.partial) for p in records.items] == [(str(tea), False), (str(cup), True)]
    cup_product = records.items[1]
    assert cup_product.skus == (
        ErpSku("CUP-1", Decimal("39.9"), 1, source=f"odoo product.template {cup}: variant {good}"),
    )
    assert sorted((e.field, e.record) for e in records.errors) == [
        ("default_code", f"product.template {cup}: variant {nameless}"),
        ("lst_price", f"product.template {cup}: variant {cheap}"),
        ("qty_available", f"product.template {rice}: variant {by_weight}"),
    ]
    mapping = ListingMapping(category_id="600001", warehouse_id="W")
    assert plan_pushes(cup_product, mapping, None) == []  # not created without CUP-2 and CUP-3
    bound = BoundListing("T1", "old-hash", {"CUP-1": "s1"}, {"CUP-1": "30 CNY"}, {"CUP-1": "0"})
    assert [p.kind for p in plan_pushes(cup_product, mapping, bound)] == ["price", "inventory"]  # no edit


def test_a_product_id_or_a_sku_given_twice_is_a_record_error_not_two_products(odoo: OdooServer) -> None:
    """Two templates under one product_key_field value were two products of one id, and two
    variants of one default_code one product with that SKU twice: either way a push of a guess."""
    odoo.add_field("product.template", "x_spu")
    mug, mug_too, cup = (odoo.create("product.template", {"name": n, "x_spu": k}) for n, k in
                         (("Mug", "SPU-MUG"), ("Mug 2", "SPU-MUG"), ("Cup", "SPU-CUP")))  # fmt: skip
    variant(odoo, mug, "MUG-1", 5.0, {1: 1.0})
    variant(odoo, mug_too, "MUG-2", 6.0, {1: 1.0})
    variant(odoo, cup, "CUP", 5.0, {1: 1.0})
    variant(odoo, cup, "CUP", 6.0, {1: 1.0})
    records = make_connector(product_key_field="x_spu").read_products()
    assert records is not None and [p.id for p in records.items] == ["SPU-MUG"]
    assert sorted((e.record, e.field) for e in records.errors) == [
        (f"product.template {mug_too}", "x_spu"),
        (f"product.template {cup}", "default_code"),
    ]
    assert "also template" in str(records.errors[0]) or "also template" in str(records.errors[1])


def test_a_template_whose_product_key_field_is_empty_is_a_record_error_naming_that_field(odoo: OdooServer) -> None:
    """The error named the template but no field: which field to fill in Odoo was left to guess."""
    odoo.add_field("product.template", "x_spu")
    keyless = odoo.create("product.template", {"name": "茶杯"})
    keyed = odoo.create("product.template", {"name": "龙井", "x_spu": "SPU-TEA"})
    variant(odoo, keyless, "CUP-1", 9.9, {1: 1.0})
    variant(odoo, keyed, "TEA-1", 128.0, {1: 1.0})
    records = make_connector(product_key_field="x_spu").read_products()
    assert records is not None and [p.id for p in records.items] == ["SPU-TEA"]
    (error,) = records.errors
    assert (error.record, error.field) == (f"product.template {keyless}", "x_spu")


def test_shipments_are_not_kept_without_a_package_field(odoo: OdooServer) -> None:
    assert make_connector().list_shipments() is None
    assert odoo.calls == []


def test_outgoing_done_pickings_with_a_tracking_number_are_the_shipments(odoo: OdooServer) -> None:
    sf = odoo.create("delivery.carrier", {"name": "顺丰速运"})
    sale = odoo.create("sale.order", {"name": "S00012", "client_order_ref": "576900000000000101"})
    base = {"picking_type_code": "outgoing", "state": "done", "carrier_id": sf, "x_package": "1154000000000000101"}
    odoo.create("stock.picking", {**base, "name": "WH/OUT/00001", "carrier_tracking_ref": "SF1400", "sale_id": sale})
    odoo.create("stock.picking", {**base, "name": "WH/OUT/00002", "carrier_tracking_ref": "SF1401"})
    odoo.create(
        "stock.picking", {**base, "name": "WH/IN/00003", "carrier_tracking_ref": "X", "picking_type_code": "incoming"}
    )
    odoo.create("stock.picking", {**base, "name": "WH/OUT/00004", "carrier_tracking_ref": "Y", "state": "assigned"})
    odoo.create("stock.picking", {**base, "name": "WH/OUT/00005", "carrier_tracking_ref": "SF 14 02"})
    odoo.create("stock.picking", {**base, "name": "WH/OUT/00006", "carrier_tracking_ref": "SF1403", "carrier_id": None})
    records = make_connector(package_field="x_package").list_shipments()
    assert records is not None
    got = [(s.id, s.package_id, s.order_id, s.tracking_number, s.carrier) for s in records.items]
    assert got == [
        ("WH/OUT/00001", "1154000000000000101", "576900000000000101", "SF1400", "顺丰速运"),
        ("WH/OUT/00002", "1154000000000000101", "", "SF1401", "顺丰速运"),
    ]
    assert sorted(e.field or "" for e in records.errors) == ["carrier_id", "carrier_tracking_ref"]


def refused_beside_a_good_picking(odoo: OdooServer, name: str, ref: str) -> RecordError:
    """A done picking ``name`` whose tracking ref is ``ref``, beside one whose ref is good: the good
    one is read, and the one record error names ``name`` and the field."""
    sf = odoo.create("delivery.carrier", {"name": "顺丰速运"})
    base = {"picking_type_code": "outgoing", "state": "done", "carrier_id": sf, "x_package": "1154000000000000101"}
    odoo.create("stock.picking", {**base, "name": name, "carrier_tracking_ref": ref})
    odoo.create("stock.picking", {**base, "name": "WH/OUT/00099", "carrier_tracking_ref": "SF1502"})
    records = make_connector(package_field="x_package").list_shipments()
    assert records is not None
    assert [s.tracking_number for s in records.items] == ["SF1502"]
    (error,) = records.errors
    assert error.field == "carrier_tracking_ref" and name in str(error)
    return error


@pytest.mark.parametrize(
    "joined",
    [
        "SF1500,SF1501",
        "SF1500, SF1501",
        "SF1500，SF1501",
        "SF1500;SF1501",
        "SF1500；",
        "1Z999AA10123456784+1Z999AA10123456785",
    ],
)
def test_several_tracking_numbers_in_one_picking_are_a_record_error(odoo: OdooServer, joined: str) -> None:
    """stock_delivery joins a carrier's further numbers with a bare comma, Odoo's UPS connector a
    shipment's packages with "+": never one number."""
    error = refused_beside_a_good_picking(odoo, "WH/OUT/00007", joined)
    assert "not one tracking number" in str(error)


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("SF1500\u200b", "U+200B ZERO WIDTH SPACE"),
        ("\ufeffSF1500", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ("SF15\u00ad00", "U+00AD SOFT HYPHEN"),
    ],
)
def test_a_tracking_number_with_an_invisible_character_is_a_record_error(
    odoo: OdooServer, typed: str, said: str
) -> None:
    """Pasted into the picking's form, a zero-width space looks like nothing: ``_SEVERAL`` does not
    see it as a separator, the rule every ERP reader shares (core/tracking_numbers.py) refuses it."""
    error = refused_beside_a_good_picking(odoo, "WH/OUT/00009", typed)
    assert f"{typed!r} contains an invisible character ({said}" in error.reason
    assert error.package_id == "1154000000000000101"  # the tracking aspect holds that package back


def test_order_statuses_are_not_kept_without_their_fields(odoo: OdooServer) -> None:
    connector = make_connector()
    assert connector.order_statuses(["1"]) is None
    with pytest.raises(PermanentError, match="order_status_field and order_updated_field"):
        connector.set_order_status("1", "CANCELLED", datetime(2026, 3, 2, tzinfo=UTC))


def test_an_order_status_is_written_in_utc_to_the_second_and_read_back(odoo: OdooServer) -> None:
    odoo.create("sale.order", {"name": "S1", "client_order_ref": "5769001"})
    connector = make_connector("json2", **ORDERS)
    # held, nothing recorded yet: answered with no status; an order Odoo lacks is not its own
    assert connector.own_orders_only
    unrecorded = connector.order_statuses(["5769001", "5769002"])
    assert unrecorded is not None and [(s.order_id, s.status, s.updated_at) for s in unrecorded.items] == [
        ("5769001", "", None)
    ]
    beijing = timezone(timedelta(hours=8))
    connector.set_order_status("5769001", "CANCELLED", datetime(2026, 3, 2, 17, 40, 30, tzinfo=beijing))
    (order,) = odoo.records["sale.order"].values()
    assert (order["x_status"], order["x_status_at"]) == ("CANCELLED", "2026-03-02 09:40:30")
    records = connector.order_statuses(["5769001", "5769002"])
    assert records is not None and records.errors == ()
    assert [(s.order_id, s.status, s.updated_at) for s in records.items] == [
        ("5769001", "CANCELLED", datetime(2026, 3, 2, 9, 40, 30, tzinfo=UTC))
    ]
    with pytest.raises(ValueError, match="timezone-aware"):
        connector.set_order_status("5769001", "CANCELLED", datetime(2026, 3, 2))


def test_an_order_odoo_lacks_or_holds_twice(odoo: OdooServer) -> None:
    connector = make_connector(**ORDERS)
    with pytest.raises(NotFoundError, match="5769404"):
        connector.set_order_status("5769404", "CANCELLED", datetime(2026, 3, 2, tzinfo=UTC))
    for name in ("S1", "S2"):
        odoo.create("sale.order", {"name": name, "client_order_ref": "5769002", "x_status": "UNPAID"})
    with pytest.raises(PermanentError, match="2 sale orders"):
        connector.set_order_status("5769002", "CANCELLED", datetime(2026, 3, 2, tzinfo=UTC))
    records = connector.order_statuses(["5769002"])
    assert records is not None and records.items == ()
    # named by id too: the order_status aspect reads an order a record error names again by id
    assert [(e.record, e.record_id) for e in records.errors] == [("order 5769002", "5769002")]
    assert [c for c in odoo.calls if c[2] == "write"] == []


def test_an_error_the_reader_restates_keeps_its_record_id() -> None:
    """The products' and the orders' readers restate each record error with the model they read
    as its source: the record's id goes with it, as code matches an error to a record by it."""
    error = RecordError("not a price", record="product.template 7: variant 9", field="lst_price", record_id="SPU-7")
    restated = [_from_odoo(error), _sourced(error)]
    assert [(e.source, e.record, e.field, e.record_id) for e in restated] == [
        ("odoo product.product", "product.template 7: variant 9", "lst_price", "SPU-7"),
        ("odoo sale.order", "product.template 7: variant 9", "lst_price", "SPU-7"),
    ]
