"""Odoo warehouses: the mapping field by field, bad records, corrections and the handover option.

The bad input every ERP connector must survive, as Odoo can produce it: a warehouse whose address
partner is missing, a subdivision that cannot be read, and a byte that is not UTF-8 in an answer
(Odoo itself always sends UTF-8 JSON; a proxy re-encoding the body can break it). Each is one
RecordError naming the record and the field, and the other warehouses are still read.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from odoo_fixtures import OdooServer, make_connector, serving

from erpsync.core.errors import NotFoundError, PermanentError
from erpsync.core.models import Address, HandoverMode, Warehouse


@pytest.fixture
def odoo() -> Iterator[OdooServer]:
    with serving() as server:
        cn = server.find("res.country", code="CN")
        gd = server.find("res.country.state", code="GD")
        zj = server.find("res.country.state", code="ZJ")
        a = server.create(
            "res.partner",
            {"name": "张伟", "phone": "13800138000", "street": "振安中路 88号", "street2": "长安镇",
             "city": "东莞市", "zip": "523850", "state_id": gd, "country_id": cn},
        )  # fmt: skip
        b = server.create("res.partner", {"name": "李娜", "city": "金华市", "state_id": zj, "country_id": cn})
        server.create("stock.warehouse", {"name": "东莞仓", "code": "DG", "partner_id": a}, id=11)
        server.create("stock.warehouse", {"name": "义乌仓", "code": "YW", "partner_id": b}, id=12)
        yield server


def partner_of(odoo: OdooServer, warehouse: int) -> dict[str, object]:
    return odoo.records["res.partner"][odoo.records["stock.warehouse"][warehouse]["partner_id"]]


def writes(odoo: OdooServer) -> list[tuple[str, str, str]]:
    return [c for c in odoo.calls if c[2] == "write"]


def test_a_warehouse_reads_from_its_address_partner(odoo: OdooServer) -> None:
    records = make_connector().list_warehouses()
    assert records.errors == ()
    assert records.items[0] == Warehouse(
        id="11",
        name="东莞仓",
        address=Address("张伟", "13800138000", "CN", "广东省", "东莞市", "长安镇", "振安中路 88号", "523850"),
        handover_mode=None,
        seller_warehouse_id=None,
        source="odoo stock.warehouse 11",
    )
    assert records.items[1].address == Address("李娜", "", "CN", "浙江省", "金华市", "", "", "")


def test_the_district_field_is_an_option(odoo: OdooServer) -> None:
    odoo.add_field("res.partner", "x_district")
    partner_of(odoo, 11)["x_district"] = "长安"
    assert make_connector(district_field="x_district").list_warehouses().items[0].address.district == "长安"
    assert make_connector(district_field="").list_warehouses().items[0].address.district == ""


def test_a_warehouse_without_a_partner_is_a_record_error_and_the_rest_is_read(odoo: OdooServer) -> None:
    odoo.records["stock.warehouse"][11]["partner_id"] = None
    records = make_connector().list_warehouses()
    assert [w.id for w in records.items] == ["12"]
    (error,) = records.errors
    assert (error.field, error.record) == ("partner_id", "warehouse 11 (东莞仓)")
    assert "no address" in str(error)


def test_a_partner_that_cannot_be_read_is_a_record_error(odoo: OdooServer) -> None:
    odoo.records["stock.warehouse"][11]["partner_id"] = 555  # hidden by a record rule, say
    records = make_connector().list_warehouses()
    assert [w.id for w in records.items] == ["12"]
    assert records.errors[0].field == "partner_id" and "555" in str(records.errors[0])


def test_an_unknown_subdivision_is_a_record_error_naming_warehouse_and_field(odoo: OdooServer) -> None:
    partner_of(odoo, 11)["state_id"] = 777  # a res.country.state the user cannot read
    records = make_connector().list_warehouses()
    assert [w.id for w in records.items] == ["12"]
    (error,) = records.errors
    assert error.field == "state_id" and error.record is not None and "warehouse 11" in error.record
    assert "unknown subdivision 777" in str(error)


@pytest.mark.parametrize("protocol", ["jsonrpc", "json2"])
def test_a_byte_that_is_not_utf8_is_a_record_error_not_a_silent_replacement(odoo: OdooServer, protocol: str) -> None:
    odoo.mangle("振安中路", "振安中路".encode("gbk"))  # a proxy re-encoding one value as GBK
    records = make_connector(protocol).list_warehouses()
    assert [w.id for w in records.items] == ["12"], "the other warehouse is still read"
    (error,) = records.errors
    assert error.field == "street" and error.record is not None and "warehouse 11" in error.record
    assert "not UTF-8: byte 0xd5" in str(error)
    assert "\ufffd" not in str(error)
    str(error).encode("utf-8")  # the message itself prints anywhere


def test_a_correction_writes_only_the_given_partner_fields(odoo: OdooServer) -> None:
    before = dict(partner_of(odoo, 11))
    make_connector().set_warehouse_address(
        "11", {"phone": "13600136000", "postal_code": "523851", "district": "虎门镇"}
    )
    after = partner_of(odoo, 11)
    assert after == {**before, "phone": "13600136000", "zip": "523851", "street2": "虎门镇"}


@pytest.mark.parametrize("value", ["江苏省", "JS"])
def test_a_state_is_found_by_name_or_code_in_the_partners_country(odoo: OdooServer, value: str) -> None:
    make_connector().set_warehouse_address("11", {"state": value})
    assert partner_of(odoo, 11)["state_id"] == odoo.find("res.country.state", code="JS")


def test_an_archived_address_partner_is_read_and_its_state_corrected(odoo: OdooServer) -> None:
    """The read shows an archived partner's address (``active_test`` false); the state correction
    looked the partner's country up without it, found no partner and refused: "no country"."""
    partner_of(odoo, 11)["active"] = False
    erp = make_connector()
    (w, _) = erp.list_warehouses().items
    assert (w.id, w.address.region_code, w.address.state) == ("11", "CN", "广东省")
    erp.set_warehouse_address("11", {"state": "浙江省"})
    assert partner_of(odoo, 11)["state_id"] == odoo.find("res.country.state", code="ZJ")


def test_a_new_country_and_its_state_are_written_together(odoo: OdooServer) -> None:
    us = odoo.find("res.country", code="US")
    ca = odoo.create("res.country.state", {"name": "California", "code": "CA", "country_id": us})
    make_connector().set_warehouse_address("11", {"region_code": "us", "state": "CA"})
    assert (partner_of(odoo, 11)["country_id"], partner_of(odoo, 11)["state_id"]) == (us, ca)


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"state": "火星省", "phone": "1"}, "state"), ({"region_code": "ZZ"}, "region_code")],
)
def test_an_unknown_subdivision_or_country_refuses_the_whole_write(
    odoo: OdooServer, changes: dict[str, str], field: str
) -> None:
    before = dict(partner_of(odoo, 11))
    with pytest.raises(PermanentError) as info:
        make_connector().set_warehouse_address("11", changes)
    assert f"warehouse 11: {field}:" in str(info.value)
    assert writes(odoo) == [] and partner_of(odoo, 11) == before


def test_writes_that_cannot_be_made(odoo: OdooServer) -> None:
    connector = make_connector(district_field="")
    with pytest.raises(PermanentError, match="district_field"):
        connector.set_warehouse_address("11", {"district": "虎门镇"})
    with pytest.raises(ValueError, match="fax"):
        connector.set_warehouse_address("11", {"fax": "1"})
    for unknown in ("999", "WH-1", "0"):
        with pytest.raises(NotFoundError):
            connector.set_warehouse_address(unknown, {"city": "x"})
    odoo.records["stock.warehouse"][12]["partner_id"] = None
    with pytest.raises(PermanentError, match="warehouse 12 has no address partner"):
        connector.set_warehouse_address("12", {"city": "x"})
    assert writes(odoo) == []


def test_without_a_handover_field_the_mode_is_not_kept_and_says_which_option(odoo: OdooServer) -> None:
    connector = make_connector()
    assert all(w.handover_mode is None for w in connector.list_warehouses().items)
    with pytest.raises(PermanentError, match="set option handover_field"):
        connector.set_handover_mode("11", HandoverMode.PICKUP)
    assert writes(odoo) == []
    assert connector.check() == "odoo (jsonrpc): 2 warehouses; handover mode: not kept (set option handover_field)"


def test_a_handover_field_round_trips_and_an_unknown_value_is_a_record_error(odoo: OdooServer) -> None:
    odoo.add_field("stock.warehouse", "x_handover")
    odoo.add_field("stock.warehouse", "x_tts_id")
    odoo.records["stock.warehouse"][12]["x_tts_id"] = "7494000000000000002"
    mapping = {"handover_field": "x_handover", "handover_pickup": "上门", "handover_drop_off": "自寄"}
    connector = make_connector("json2", seller_warehouse_field="x_tts_id", **mapping)
    connector.set_handover_mode("11", HandoverMode.PICKUP)
    connector.set_handover_mode("12", HandoverMode.DROP_OFF)
    assert odoo.records["stock.warehouse"][11]["x_handover"] == "上门"
    fresh = make_connector("json2", seller_warehouse_field="x_tts_id", **mapping)
    got = {w.id: (w.handover_mode, w.seller_warehouse_id) for w in fresh.list_warehouses().items}
    assert got == {"11": (HandoverMode.PICKUP, None), "12": (HandoverMode.DROP_OFF, "7494000000000000002")}
    odoo.records["stock.warehouse"][11]["x_handover"] = "truck"
    records = make_connector(**mapping).list_warehouses()
    assert [e.field for e in records.errors] == ["x_handover"] and [w.id for w in records.items] == ["12"]
    assert "'truck' is neither '上门' nor '自寄'" in str(records.errors[0])
    assert "in stock.warehouse x_handover" in make_connector(**mapping).check()
    with pytest.raises(NotFoundError):
        connector.set_handover_mode("404", HandoverMode.PICKUP)


def test_a_bad_byte_in_the_name_still_names_the_warehouse_by_id(odoo: OdooServer) -> None:
    odoo.mangle("东莞仓", b"\xb6\xab\xdd\xb8\xb2\xd6")  # the name as GBK
    (error,) = make_connector("json2").list_warehouses().errors
    assert (error.record, error.field) == ("warehouse 11", "name")
