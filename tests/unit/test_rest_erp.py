"""The rest ERP over staged HTTP answers (``responses``): paging, bad items, bad bytes, writes, auth."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import responses
from responses import matchers

from erpsync.connectors.rest import RestErp, RestOptions, paths
from erpsync.connectors.rest.records import FieldReader, build_records
from erpsync.core.connector import ShopContext
from erpsync.core.errors import PermanentError, RecordError
from erpsync.core.models import HandoverMode

BASE = "http://erp.test/api"
WH_FIELDS = {
    "id": "id", "name": "name", "phone": "contact.phone", "state": "addr.province", "street": "addr.lines[0]",
    "handover_mode": "handover",
}  # fmt: skip


def connector(**tables: Any) -> RestErp:
    warehouses = {"list": "/warehouses", "items": "data", "fields": WH_FIELDS, "update": "PATCH /warehouses/{id}"}
    options = {"base_url": BASE, "token": "secret-token-1234", "warehouses": warehouses, **tables}
    return RestErp(RestOptions().load(options), shop=ShopContext("shop", Path(".")))


def wh(i: int, **extra: Any) -> dict[str, Any]:
    item = {"id": f"W{i}", "name": f"仓{i}", "contact": {"phone": "13800138000"}, "addr": {"province": "广东省"}}
    item["addr"]["lines"] = [f"路 {i}号"]
    item["handover"] = "PICK UP"
    return {**item, **extra}


def body(items: list[Any], **meta: Any) -> bytes:
    return json.dumps({"data": items, "meta": meta}, ensure_ascii=False).encode()


@responses.activate
def test_page_paging_reads_until_a_short_page():
    erp = connector(
        warehouses={
            "list": "/warehouses",
            "items": "data",
            "fields": WH_FIELDS,
            "paging": {"style": "page", "size": 2},
        }
    )
    for page, items in ((1, [wh(1), wh(2)]), (2, [wh(3), wh(4)]), (3, [wh(5)])):
        responses.get(
            f"{BASE}/warehouses",
            body=body(items),
            match=[matchers.query_param_matcher({"page": str(page), "per_page": "2"})],
        )
    records = erp.list_warehouses()
    assert [w.id for w in records.items] == ["W1", "W2", "W3", "W4", "W5"]
    assert records.items[4].source == "rest ERP /warehouses item 5"
    assert records.items[0].handover_mode is HandoverMode.PICKUP
    assert records.items[0].address.street == "路 1号"


@responses.activate
def test_offset_paging():
    erp = connector(
        warehouses={"list": "/w", "items": "data", "fields": WH_FIELDS, "paging": {"style": "offset", "size": 2}}
    )
    responses.get(
        f"{BASE}/w", body=body([wh(1), wh(2)]), match=[matchers.query_param_matcher({"offset": "0", "limit": "2"})]
    )
    responses.get(f"{BASE}/w", body=body([]), match=[matchers.query_param_matcher({"offset": "2", "limit": "2"})])
    assert [w.id for w in erp.list_warehouses().items] == ["W1", "W2"]


@responses.activate
def test_cursor_paging_follows_the_cursor_and_stops_on_a_repeat():
    paging = {"style": "cursor", "size": 1, "next_cursor": "meta.next"}
    erp = connector(warehouses={"list": "/w", "items": "data", "fields": WH_FIELDS, "paging": paging})
    responses.get(f"{BASE}/w", body=body([wh(1)], next="abc"), match=[matchers.query_param_matcher({"limit": "1"})])
    responses.get(
        f"{BASE}/w",
        body=body([wh(2)], next=None),
        match=[matchers.query_param_matcher({"cursor": "abc", "limit": "1"})],
    )
    assert [w.id for w in erp.list_warehouses().items] == ["W1", "W2"]

    responses.reset()
    responses.get(f"{BASE}/w", body=body([wh(1)], next="abc"))  # ignores the cursor: the same page for ever
    with pytest.raises(PermanentError, match="cursor 'abc' twice"):
        erp.list_warehouses()


@responses.activate
def test_a_missing_field_is_an_error_of_its_item_naming_id_field_and_path():
    broken = wh(2)
    del broken["contact"]["phone"]
    responses.get(f"{BASE}/warehouses", body=body([wh(1), broken, wh(3)]))
    records = connector().list_warehouses()
    assert [w.id for w in records.items] == ["W1", "W3"]
    (error,) = records.errors
    assert (error.record, error.field) == ("warehouse 'W2'", "phone")
    assert "missing at 'contact.phone'" in str(error)
    assert error.source == "rest ERP /warehouses item 2"


def test_an_item_s_error_keeps_the_record_id_its_build_gave():
    """Each item's error is restated with the item's source: the record's id goes with it, as
    code matches an error to a record by it."""

    def build(reader: FieldReader, source: str) -> str:
        raise RecordError("not a price", field="price", record_id="SPU-2")

    (error,) = build_records(
        [("rest ERP /products item 1", {"id": "P2"})], {"id": paths.parse_path("id")}, build, kind="product"
    ).errors
    assert (error.record, error.source, error.record_id) == ("product 'P2'", "rest ERP /products item 1", "SPU-2")


@responses.activate
def test_a_gbk_text_in_one_item_fails_that_item_alone():
    good = json.dumps({"data": [wh(1)]}, ensure_ascii=False).encode()
    gbk_item = b'{"id": "W2", "name": "' + "东莞仓".encode("gbk") + b'", "contact": {"phone": "1"}}'
    raw = good[:-2] + b", " + gbk_item + b"]}"
    responses.get(f"{BASE}/warehouses", body=raw)
    records = connector().list_warehouses()
    assert [w.id for w in records.items] == ["W1"]
    (error,) = records.errors
    assert error.record == "warehouse 'W2'" and error.field == "name"
    assert "not UTF-8: byte 0xb6" in str(error)


@responses.activate
@pytest.mark.parametrize(
    ("repeat", "field", "reason"),
    [
        ('"handover": "PICK UP", "handover": "DROP OFF"', "handover_mode", "given twice"),
        ('"handover": "PICK UP", "contact": {"phone": "1", "phone": "2"}', "contact", "'phone' given twice inside it"),
    ],
)
def test_an_item_giving_a_key_twice_fails_alone_naming_the_field(repeat, field, reason):
    good = json.dumps(wh(1), ensure_ascii=False)
    twice = '{"id": "W2", "name": "n", "addr": {"province": "广东省", "lines": ["路"]}, ' + repeat + "}"
    responses.get(f"{BASE}/warehouses", body=f'{{"data": [{good}, {twice}]}}'.encode())
    records = connector().list_warehouses()
    assert [w.id for w in records.items] == ["W1"]
    (error,) = records.errors
    assert error.record == "warehouse 'W2'" and error.field == field
    assert f"{reason}: which value is meant is unclear" in str(error)


@responses.activate
def test_an_item_that_fails_still_holds_its_id_so_a_later_one_with_it_is_a_duplicate():
    twice = '{"id": "W1", "name": "n", "handover": "PICK UP", "handover": "DROP OFF"}'
    later = json.dumps(wh(1), ensure_ascii=False)
    responses.get(f"{BASE}/warehouses", body=f'{{"data": [{twice}, {later}]}}'.encode())
    records = connector().list_warehouses()
    assert list(records.items) == []  # the second W1 does not pass for the one the ERP gave twice
    assert [e.field for e in records.errors] == ["handover_mode", "id"]
    assert "duplicate id (first at rest ERP /warehouses item 1)" in str(records.errors[1])


@responses.activate
def test_an_answer_giving_its_items_key_twice_fails_the_page():
    one, two = json.dumps([wh(1)], ensure_ascii=False), json.dumps([wh(2)], ensure_ascii=False)
    responses.get(f"{BASE}/warehouses", body=f'{{"data": {one}, "data": {two}}}'.encode())
    with pytest.raises(PermanentError, match="the answer of GET /warehouses gives 'data' twice in one object"):
        connector().list_warehouses()


@responses.activate
def test_bytes_that_break_the_json_name_the_endpoint_and_offset():
    raw = b'{"data": [' + "东".encode("gbk") + b"]}"
    responses.get(f"{BASE}/warehouses", body=raw)
    with pytest.raises(PermanentError, match=r"GET /warehouses is not UTF-8 \(byte 0xb6 at offset 10\)"):
        connector().list_warehouses()


@responses.activate
def test_unknown_subdivision_code_is_a_record_error():
    table = {"list": "/warehouses", "items": "data", "fields": WH_FIELDS, "state_format": "iso"}
    responses.get(f"{BASE}/warehouses", body=body([wh(1, addr={"province": "CN-GD", "lines": ["x"]}),
                                                   wh(2, addr={"province": "CN-ZZ", "lines": ["y"]})]))  # fmt: skip
    records = connector(warehouses=table).list_warehouses()
    assert [(w.id, w.address.state) for w in records.items] == [("W1", "广东省")]
    (error,) = records.errors
    assert error.field == "state" and "unknown country subdivision 'CN-ZZ'" in str(error)


PRODUCTS = {
    "list": "/products",
    "items": "data",
    "fields": {"id": "id", "title": "title", "currency": "cur", "skus": "skus", "warehouse_id": "wh"},
    "sku_fields": {"seller_sku": "sku", "price": "price", "inventory": "qty"},
}


@responses.activate
def test_a_product_naming_a_missing_warehouse_is_a_record_error():
    responses.get(f"{BASE}/warehouses", body=body([wh(1)]))
    sku = {"sku": "A-1", "price": 12.50, "qty": 3}
    products = [
        {"id": "P1", "title": "t", "cur": "usd", "wh": "W1", "skus": [sku]},
        {"id": "P2", "title": "t", "cur": "USD", "wh": "W9", "skus": [{**sku, "sku": "A-2"}]},
        {"id": "P3", "title": "t", "cur": "USD", "wh": "W1", "skus": [{**sku, "sku": "A-3", "qty": -1}]},
    ]
    responses.get(f"{BASE}/products", body=body(products).replace(b"12.5,", b"12.50,"))  # as the ERP writes it
    records = connector(products=PRODUCTS).read_products()
    assert records is not None
    assert [(p.id, p.currency, str(p.skus[0].price)) for p in records.items] == [("P1", "USD", "12.50")]
    assert [(e.record, e.field) for e in records.errors] == [
        ("product 'P2'", "warehouse_id"),
        ("product 'P3' SKU #1", "inventory"),
    ]
    assert "names warehouse 'W9'" in str(records.errors[0])


def test_reads_the_mapping_leaves_out_answer_none_and_writes_say_which_key():
    erp = connector()
    assert erp.read_products() is None and erp.list_shipments() is None and erp.order_statuses(["1"]) is None
    with pytest.raises(PermanentError, match="orders"):
        erp.set_order_status("1", "SHIPPED", datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(PermanentError, match=r"warehouses\.fields\.postal_code"):
        erp.set_warehouse_address("W1", {"postal_code": "1"})


@responses.activate
def test_a_write_sends_only_the_given_fields_at_their_paths_with_the_token():
    call = responses.patch(
        f"{BASE}/warehouses/W%201",
        json={},
        match=[matchers.header_matcher({"Authorization": "Bearer secret-token-1234"})],
    )
    erp = connector()
    erp.set_warehouse_address("W 1", {"phone": "13900139000", "street": "新路 1号"})
    erp.set_handover_mode("W 1", HandoverMode.DROP_OFF)
    assert [json.loads(c.request.body) for c in call.calls] == [
        {"contact": {"phone": "13900139000"}, "addr": {"lines": ["新路 1号"]}},
        {"handover": "DROP OFF"},
    ]


@pytest.mark.parametrize(
    ("answer", "kind"), [("OK", "text/plain"), ("", "text/plain"), ("done", "application/octet-stream")]
)
@responses.activate
def test_a_write_answered_with_plain_text_is_taken(answer, kind):
    # the status says the ERP took it: a plain "OK" is an answer, not a failure
    responses.patch(f"{BASE}/warehouses/W1", body=answer, content_type=kind)
    connector().set_handover_mode("W1", HandoverMode.DROP_OFF)


@responses.activate
def test_a_write_answered_with_an_html_page_is_refused():
    # a login page or a proxy's page with 200: the write was not taken by the ERP
    responses.patch(f"{BASE}/warehouses/W1", body="<html><body>Sign in</body></html>", content_type="text/html")
    with pytest.raises(PermanentError, match="HTML page"):
        connector().set_handover_mode("W1", HandoverMode.DROP_OFF)


@responses.activate
def test_hmac_signs_each_request():
    options = {"base_url": BASE, "hmac_secret": "hmac-secret-5678", "hmac_key_id": "k1",
               "warehouses": {"list": "/warehouses", "items": "data", "fields": WH_FIELDS}}  # fmt: skip
    erp = RestErp(RestOptions().load(options), shop=ShopContext("shop", Path(".")))
    responses.get(f"{BASE}/warehouses", body=body([wh(1)]))
    assert len(erp.list_warehouses().items) == 1
    sent = responses.calls[0].request.headers
    assert sent["X-Key-Id"] == "k1" and len(sent["X-Signature"]) == 64 and "Authorization" not in sent


@responses.activate
def test_a_price_or_time_no_value_can_mean_is_its_item_s_error_and_the_rest_is_read():
    """ "NaN" and "Infinity" parse as decimals; an epoch of 1e20 seconds overflows a datetime.
    Each is one item's record error: before, NaN ended the whole read and Infinity was a price."""
    responses.get(f"{BASE}/warehouses", body=body([wh(1)]))
    sku = {"sku": "A-1", "price": "9.90", "qty": 3}
    products = [
        {"id": "P1", "title": "t", "cur": "USD", "wh": "W1", "skus": [sku]},
        {"id": "P2", "title": "t", "cur": "USD", "wh": "W1", "skus": [{**sku, "sku": "A-2", "price": "NaN"}]},
        {"id": "P3", "title": "t", "cur": "USD", "wh": "W1", "skus": [{**sku, "sku": "A-3", "price": "Infinity"}]},
    ]
    responses.get(f"{BASE}/products", body=body(products))
    read = connector(products=PRODUCTS).read_products()
    assert read is not None and [p.id for p in read.items] == ["P1"]
    assert [(e.record, e.field, "not a finite number" in e.reason) for e in read.errors] == [
        ("product 'P2' SKU #1", "price", True),
        ("product 'P3' SKU #1", "price", True),
    ]
    orders = {"list": "/orders", "items": "data", "fields": {"order_id": "id", "status": "s", "updated_at": "u"}}
    responses.get(
        f"{BASE}/orders", body=b'{"data": [{"id": "O1", "s": "X", "u": 1700000000}, {"id": "O2", "s": "X", "u": 1e20}]}'
    )
    statuses = connector(orders=orders).order_statuses(["O1", "O2"])
    assert statuses is not None and [o.order_id for o in statuses.items] == ["O1"]
    assert [(e.record, e.field) for e in statuses.errors] == [("order 'O2'", "updated_at")]


@responses.activate
def test_order_statuses_answer_for_the_orders_asked_about_their_errors_included():
    """An item of another order was reported too: its error held the order_status aspect's read
    position for an order it never asked about, on every run. One whose id cannot be read may be
    any order's, so its error stays."""
    orders = {"list": "/orders", "items": "data", "fields": {"order_id": "id", "status": "s", "updated_at": "u"}}
    items = [{"id": "O1", "s": "X", "u": 1700000000}, {"id": "O-OLD", "s": "X", "u": 1e20}, {"s": "X", "u": 1}]
    responses.get(f"{BASE}/orders", body=json.dumps({"data": items}).encode())
    statuses = connector(orders=orders).order_statuses(["O1"])
    assert statuses is not None and [o.order_id for o in statuses.items] == ["O1"]
    assert [(e.record, e.field, e.record_id) for e in statuses.errors] == [("order (no id)", "order_id", None)]
    asked = connector(orders=orders).order_statuses(["O1", "O-OLD"])
    assert asked is not None
    assert [(e.record_id, e.field) for e in asked.errors] == [("O-OLD", "updated_at"), (None, "order_id")]


@responses.activate
def test_a_sku_given_twice_in_one_product_is_its_record_error():
    responses.get(f"{BASE}/warehouses", body=body([wh(1)]))
    twice = [{"sku": "S", "price": "1", "qty": 5}, {"sku": "S", "price": "2", "qty": 0}]
    responses.get(f"{BASE}/products", body=body([{"id": "P", "title": "t", "cur": "USD", "wh": "W1", "skus": twice}]))
    read = connector(products=PRODUCTS).read_products()
    assert read is not None and read.items == ()
    assert [(e.record, e.field) for e in read.errors] == [("product 'P' SKU #2", "seller_sku")]


def test_a_time_is_written_in_utc_and_a_naive_one_is_refused():
    from datetime import timedelta, timezone

    from erpsync.connectors.rest.build import format_time

    beijing = datetime(2024, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=8)))
    assert format_time(beijing, "iso") == "2024-03-01T02:00:00+00:00"
    assert format_time(beijing, "epoch") == 1709258400
    with pytest.raises(ValueError, match="without a timezone"):
        format_time(datetime(2024, 3, 1, 10, 0), "epoch")  # read as local time, it would depend on the machine


@responses.activate
def test_a_server_capping_its_pages_is_read_to_the_total():
    """A server that gives 2 items a page when 3 are asked for: its first page looks like the last,
    so without ``paging.total`` W3 would go unread; with it, reading goes on until 3 came."""
    paging = {"style": "page", "size": 3, "total": "meta.total"}
    erp = connector(warehouses={"list": "/w", "items": "data", "fields": WH_FIELDS, "paging": paging})
    for page, items in ((1, [wh(1), wh(2)]), (2, [wh(3)])):
        responses.get(
            f"{BASE}/w",
            body=body(items, total=3),
            match=[matchers.query_param_matcher({"page": str(page), "per_page": "3"})],
        )
    assert [w.id for w in erp.list_warehouses().items] == ["W1", "W2", "W3"]
    assert len(responses.calls) == 2  # the total reached: no third page asked for


@responses.activate
def test_offset_paging_to_a_total_stops_at_an_empty_page():
    """Items removed between pages: the total is never reached, and an empty page ends the read."""
    paging = {"style": "offset", "size": 2, "total": "meta.total"}
    erp = connector(warehouses={"list": "/w", "items": "data", "fields": WH_FIELDS, "paging": paging})
    responses.get(
        f"{BASE}/w", body=body([wh(1)], total=5), match=[matchers.query_param_matcher({"offset": "0", "limit": "2"})]
    )
    responses.get(
        f"{BASE}/w", body=body([], total=5), match=[matchers.query_param_matcher({"offset": "1", "limit": "2"})]
    )
    assert [w.id for w in erp.list_warehouses().items] == ["W1"]


@responses.activate
def test_a_missing_total_names_the_endpoint_and_the_path():
    paging = {"style": "page", "size": 2, "total": "meta.count"}
    erp = connector(warehouses={"list": "/w", "items": "data", "fields": WH_FIELDS, "paging": paging})
    responses.get(f"{BASE}/w", body=body([wh(1)]))
    with pytest.raises(
        PermanentError, match=r"GET /w \(page=1, per_page=2\) holds no item count at 'meta.count' \(got nothing"
    ):
        erp.list_warehouses()


def test_a_total_with_cursor_paging_is_refused():
    with pytest.raises(Exception, match="only the 'page' and 'offset' styles read a total"):
        connector(
            warehouses={
                "list": "/w",
                "items": "data",
                "fields": WH_FIELDS,
                "paging": {"style": "cursor", "next_cursor": "meta.next", "total": "meta.total"},
            }
        )


@responses.activate
@pytest.mark.parametrize("total", [None, "meta.total"])
def test_an_endpoint_ignoring_the_page_parameter_is_an_error_naming_it(total: str | None) -> None:
    """The same first page every time: with a total, reading would otherwise stop once the count
    was reached, the later items never read; without one, only after ``max_pages`` pages."""
    paging = {"style": "page", "size": 2, "total": total, "max_pages": 50}
    erp = connector(warehouses={"list": "/w", "items": "data", "fields": WH_FIELDS, "paging": paging})
    responses.get(f"{BASE}/w", body=body([wh(1), wh(2)], total=5))
    with pytest.raises(
        PermanentError, match=r"GET /w \(page=3, per_page=2\) returned the same items as the two pages before"
    ):
        erp.list_warehouses()
    assert len(responses.calls) == 3


@responses.activate
def test_a_page_repeated_once_by_rows_added_while_reading_is_read_on() -> None:
    """A list kept newest first that gained a page of rows between two reads gives the page before
    again: that is no ignored parameter, and the read goes on (the repeats are duplicate ids)."""
    paging = {"style": "offset", "size": 2}
    erp = connector(warehouses={"list": "/w", "items": "data", "fields": WH_FIELDS, "paging": paging})
    for offset, items in ((0, [wh(4), wh(3)]), (2, [wh(4), wh(3)]), (4, [wh(2), wh(1)]), (6, [])):
        responses.get(
            f"{BASE}/w", body=body(items), match=[matchers.query_param_matcher({"offset": str(offset), "limit": "2"})]
        )
    got = erp.list_warehouses()
    assert {w.id for w in got.items} == {"W4", "W3", "W2", "W1"} and len(got.errors) >= 1


SHIPMENTS = {
    "list": "/shipments",
    "items": "data",
    "fields": {"id": "id", "package_id": "package", "tracking_number": "tracking.number", "carrier": "carrier"},
}


@responses.activate
def test_a_tracking_number_given_as_a_json_float_or_with_an_invisible_character_is_its_item_s_error():
    """A JavaScript ERP writes a 22-digit USPS number it keeps as a number as 9.400111899223345e+21:
    its digits past a double's precision are gone. Read as text it would be pushed mangled."""

    def item(i: int, number: Any) -> dict[str, Any]:
        return {"id": f"S{i}", "package": f"P{i}", "tracking": {"number": number}, "carrier": "USPS"}

    raw = body([item(1, 9.400111899223345e21), item(2, "SF1002\u200b"), item(3, " 9400111899223344556677 ")])
    assert b"9.400111899223345e+21" in raw
    responses.get(f"{BASE}/shipments", body=raw)
    records = connector(shipments=SHIPMENTS).list_shipments()
    assert records is not None
    assert [(s.id, s.tracking_number) for s in records.items] == [("S3", "9400111899223344556677")]
    assert [(e.record, e.field, e.source) for e in records.errors] == [
        ("shipment 'S1'", "tracking_number", "rest ERP /shipments item 1"),
        ("shipment 'S2'", "tracking_number", "rest ERP /shipments item 2"),
    ]
    assert "given as the number 9.400111899223345E+21" in records.errors[0].reason
    assert "'SF1002\\u200b' contains an invisible character" in records.errors[1].reason
    assert "(at 'tracking.number')" in records.errors[1].reason
    assert [e.package_id for e in records.errors] == ["P1", "P2"]  # the tracking aspect holds them back
