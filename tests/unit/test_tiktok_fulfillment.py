"""FulfillmentApi against ``responses``: request shapes, batch shipping, error mapping, 72 h, caching."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import requests
import responses
from open_api_fakes import APP_KEY, BASE, CIPHER, NOW, SECRET, TOKEN, Clock, Signed, fail, ok, query
from responses.registries import OrderedRegistry

from erpsync.connectors.tiktok.client import TikTokClient
from erpsync.connectors.tiktok.fulfillment.api import FulfillmentApi
from erpsync.connectors.tiktok.fulfillment.errors import (
    AlreadyShippedError,
    NotShippedError,
    ShippingInfoWindowClosedError,
)
from erpsync.connectors.tiktok.fulfillment.models import (
    DeliveryOption,
    HandoverMethod,
    PackageStatus,
    PickupSlot,
    Shipment,
    ShippingProvider,
    TrackingEvent,
)
from erpsync.core.errors import NotFoundError, OutcomeUnknownError, PermanentError, RecordError, TemporaryError
from erpsync.core.http import HttpPolicy

FF = f"{BASE}/fulfillment/202309"
LOG = f"{BASE}/logistics/202309"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api(clock: Clock) -> FulfillmentApi:
    policy = HttpPolicy(max_attempts=2, rate_limit_qps=1000)
    client = TikTokClient(BASE, APP_KEY, SECRET, TOKEN, policy=policy, clock=clock, sleep=clock.sleep, monotonic=clock)
    return FulfillmentApi(client, CIPHER, clock=clock, cache_ttl=3600)


def body(request: requests.PreparedRequest) -> object:
    return json.loads(request.body)


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


PACKAGE = {
    "package_id": "P1",
    "package_status": "FULFILLING",
    "handover_method": "PICKUP",
    "tracking_number": "TRK1",
    "shipping_type": "SELLER",
    "shipping_provider_id": 7117,  # a JSON number
    "shipping_provider_name": "Royal Mail",
    "delivery_option_id": "D1",
    "pickup_slot": {"start_time": NOW + 3600, "end_time": NOW + 7200},
    "orders": [{"id": "O1"}, {"id": 5770000000000000001}],
    "create_time": NOW - 100,
    "update_time": NOW,
    "sender_address": {"full_address": "ignored"},
    "brand_new_field": [1, 2],
}


# -- reading ---------------------------------------------------------------------------------


@responses.activate
def test_get_package_is_typed(api: FulfillmentApi, assert_signed: Signed) -> None:
    responses.get(f"{FF}/packages/P1", json=ok(PACKAGE))
    package = api.get_package("P1")
    request = responses.calls[0].request
    assert request.method == "GET" and request.body is None
    assert_signed(request)
    assert package.id == "P1"
    assert package.status is PackageStatus.FULFILLING
    assert package.handover_method is HandoverMethod.PICKUP
    assert (package.tracking_number, package.shipping_provider_id) == ("TRK1", "7117")
    assert package.shipping_provider_name == "Royal Mail"
    assert package.order_ids == ("O1", "5770000000000000001")
    assert package.pickup_slot == PickupSlot(at(NOW + 3600), at(NOW + 7200), True)
    assert package.create_time == at(NOW - 100) and package.update_time.tzinfo is UTC


@responses.activate
def test_get_package_minimal_and_missing_id_uses_the_asked_one(api: FulfillmentApi) -> None:
    responses.get(f"{FF}/packages/P2", json=ok({"package_status": "PROCESSING", "tracking_number": ""}))
    package = api.get_package("P2")
    assert package.id == "P2" and package.tracking_number is None and package.handover_method is None


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"package_status": 3}, "package_status"),  # a new value is not an error, a non-text one is
        ({"package_status": None}, "package_status"),
        ({"handover_method": ["PICKUP"]}, "handover_method"),
        ({"orders": [{"id": True}]}, "orders.0.id"),
        ({"pickup_slot": {"start_time": "soon", "end_time": 1}}, "pickup_slot.start_time"),
        ({"create_time": 10**30}, "create_time"),
    ],
)
@responses.activate
def test_malformed_package_is_a_record_error(api: FulfillmentApi, patch: dict, field: str) -> None:
    responses.get(f"{FF}/packages/P1", json=ok({**PACKAGE, **patch}))
    with pytest.raises(RecordError) as info:
        api.get_package("P1")
    assert info.value.field == field
    assert info.value.record == "package P1"


@responses.activate
def test_unknown_package_is_not_found(api: FulfillmentApi) -> None:
    # 21011028: "The package does not belong to the current shop" (the not_found kind)
    responses.get(f"{FF}/packages/NOPE", status=404, json=fail(21011028, "not this shop's"))
    with pytest.raises(NotFoundError) as info:
        api.get_package("NOPE")
    assert isinstance(info.value, PermanentError)
    assert info.value.code == 21011028 and info.value.request_id == "req-9"
    assert "does not belong to this shop" in str(info.value)
    assert len(responses.calls) == 1  # permanent: not retried


@responses.activate(registry=OrderedRegistry)
def test_search_packages_typed_pages_and_bad_records(api: FulfillmentApi, assert_signed: Signed) -> None:
    url = f"{FF}/packages/search"
    good = {"id": "P1", "status": "PROCESSING", "orders": [{"id": "O1"}], "create_time": NOW, "tracking_number": ""}
    odd = {"id": "P2", "status": None}
    responses.post(url, json=ok({"packages": [good, odd], "next_page_token": "t2", "total_count": 3}))
    responses.post(url, json=ok({"packages": [{"id": 3, "status": "COMPLETED"}], "next_page_token": ""}))
    pages = list(api.search_packages(NOW - 86400, package_status="PROCESSING"))
    assert [[p.id for p in page.items] for page in pages] == [["P1"], ["3"]]
    first = pages[0].items[0]
    assert first.status is PackageStatus.PROCESSING and first.order_ids == ("O1",)
    assert first.create_time == at(NOW) and first.tracking_number is None
    [error] = pages[0].errors
    assert error.record == "package P2" and error.field == "status"
    requests_ = [c.request for c in responses.calls]
    assert body(requests_[0]) == {"create_time_ge": NOW - 86400, "package_status": "PROCESSING"}
    assert query(requests_[1])["page_token"] == "t2"
    for request in requests_:
        assert_signed(request)


def summary(i: int) -> dict:
    return {"id": f"P{i}", "orders": [{"id": f"O{i}"}], "status": "PROCESSING", "create_time": NOW + i}


@responses.activate(registry=OrderedRegistry)
def test_search_packages_pages_lazily_and_signs_the_exact_body(api: FulfillmentApi, assert_signed: Signed) -> None:
    url = f"{FF}/packages/search"
    responses.post(url, json=ok({"packages": [summary(1), summary(2)], "next_page_token": "t2", "total_count": 3}))
    responses.post(url, json=ok({"packages": [summary(3)], "next_page_token": "", "total_count": 3}))
    pages = api.search_packages(NOW - 86400)
    first = next(pages)
    assert [p.id for p in first.items] == ["P1", "P2"]
    assert len(responses.calls) == 1  # the second page is not fetched before it is needed
    assert [p.id for page in pages for p in page.items] == ["P3"]
    one, two = (c.request for c in responses.calls)
    q1, q2 = assert_signed(one), assert_signed(two)
    assert q1["page_size"] == "50" and "page_token" not in q1
    assert q2["page_token"] == "t2"
    assert one.headers["Content-Type"] == "application/json"
    assert one.body == b'{"create_time_ge":1699913600}'  # these exact bytes were signed


@pytest.mark.parametrize("token", [{"next": "t2"}, ["t2"], True, 1.5])
@responses.activate
def test_search_packages_odd_page_token_is_a_broken_response_not_a_crash(api: FulfillmentApi, token: object) -> None:
    responses.post(f"{FF}/packages/search", json=ok({"packages": [summary(1)], "next_page_token": token}))
    pages = api.search_packages()
    assert [p.id for p in next(pages).items] == ["P1"]
    with pytest.raises(PermanentError, match="next_page_token"):
        next(pages)
    assert len(responses.calls) == 1


@responses.activate(registry=OrderedRegistry)
def test_search_packages_repeated_token_stops(api: FulfillmentApi) -> None:
    url = f"{FF}/packages/search"
    responses.post(url, json=ok({"packages": [summary(1)], "next_page_token": "t2"}))
    responses.post(url, json=ok({"packages": [summary(2)], "next_page_token": "t2"}))
    with pytest.raises(PermanentError, match="twice"):
        list(api.search_packages())


def test_search_packages_page_size_is_checked_before_calling(api: FulfillmentApi) -> None:
    for bad in (0, 51, True):
        with pytest.raises(ValueError, match=r"1\.\.50"):
            next(api.search_packages(page_size=bad))


@responses.activate(registry=OrderedRegistry)
def test_search_packages_lost_answer_is_asked_again(api: FulfillmentApi) -> None:
    url = f"{FF}/packages/search"
    responses.post(url, status=500, json=fail(36009003))
    responses.post(url, json=ok({"packages": [summary(1)], "next_page_token": ""}))
    assert [p.id for page in api.search_packages() for p in page.items] == ["P1"]  # a read: idempotent
    assert len(responses.calls) == 2


@pytest.mark.parametrize("status", [404, 200])
@responses.activate
def test_not_found_is_typed_by_code_whatever_the_status(api: FulfillmentApi, status: int) -> None:
    responses.get(f"{FF}/packages/P9", status=status, json=fail(21011028, "not this shop's"))
    with pytest.raises(NotFoundError) as info:
        api.get_package("P9")
    assert info.value.status == status


@responses.activate
def test_handover_time_slots_typed(api: FulfillmentApi, assert_signed: Signed) -> None:
    slots = {
        "can_pickup": True,
        "can_drop_off": False,
        "pickup_slots": [
            {"start_time": NOW, "end_time": NOW + 3600, "avaliable": False},
            {"start_time": NOW + 3600, "end_time": NOW + 7200},
        ],
    }
    responses.get(f"{FF}/packages/P1/handover_time_slots", json=ok(slots))
    result = api.handover_time_slots("P1")
    assert_signed(responses.calls[0].request)
    assert result.can_pickup and not result.can_drop_off
    assert [s.available for s in result.pickup_slots] == [False, True]
    assert result.pickup_slots[1].start == at(NOW + 3600)


@responses.activate
def test_handover_time_slots_malformed(api: FulfillmentApi) -> None:
    responses.get(f"{FF}/packages/P1/handover_time_slots", json=ok({"can_pickup": "maybe", "can_drop_off": True}))
    with pytest.raises(RecordError) as info:
        api.handover_time_slots("P1")
    assert info.value.field == "can_pickup" and "P1" in info.value.record


@responses.activate
def test_order_tracking_millis_become_aware_utc(api: FulfillmentApi, assert_signed: Signed) -> None:
    events = [
        {"description": "Collected", "update_time_millis": NOW * 1000 + 250},
        {"description": "In transit", "update_time_millis": (NOW + 60) * 1000},
    ]
    responses.get(f"{FF}/orders/O1/tracking", json=ok({"tracking": events}))
    tracking = api.order_tracking("O1")
    assert_signed(responses.calls[0].request)
    assert tracking == [
        TrackingEvent("Collected", datetime.fromtimestamp(NOW + 0.25, UTC)),
        TrackingEvent("In transit", at(NOW + 60)),
    ]
    assert tracking[0].at.tzinfo is UTC


@responses.activate
def test_order_tracking_malformed_names_the_event(api: FulfillmentApi) -> None:
    responses.get(f"{FF}/orders/O1/tracking", json=ok({"tracking": [{"description": "x", "update_time_millis": 1.5}]}))
    with pytest.raises(RecordError) as info:
        api.order_tracking("O1")
    assert info.value.field == "update_time_millis" and "O1" in info.value.record


# -- shipping ----------------------------------------------------------------------------------


@responses.activate
def test_ship_package_body_without_self_shipment(api: FulfillmentApi, assert_signed: Signed) -> None:
    responses.post(f"{FF}/packages/P1/ship", json=ok({}))
    slot = PickupSlot(at(NOW + 3600), at(NOW + 7200))
    api.ship_package("P1", handover_method="PICKUP", pickup_slot=slot)
    request = responses.calls[0].request
    assert request.method == "POST"
    assert_signed(request)
    assert request.headers["Content-Type"] == "application/json"
    assert body(request) == {
        "handover_method": "PICKUP",
        "pickup_slot": {"start_time": NOW + 3600, "end_time": NOW + 7200},
    }


@responses.activate
def test_ship_package_self_shipment_when_tracking_given(api: FulfillmentApi) -> None:
    responses.post(f"{FF}/packages/P1/ship", json=ok({}))
    api.ship_package("P1", handover_method=HandoverMethod.DROP_OFF, tracking_number="TRK9", shipping_provider_id="SP1")
    assert body(responses.calls[0].request) == {
        "handover_method": "DROP_OFF",
        "self_shipment": {"tracking_number": "TRK9", "shipping_provider_id": "SP1"},
    }


@pytest.mark.parametrize(
    "kwargs",
    [
        {"handover_method": "DROP_OFF", "tracking_number": "TRK9"},
        {"handover_method": "DROP_OFF", "shipping_provider_id": "SP1"},
        {"handover_method": "CARRIER_PIGEON"},
        {"handover_method": "DROP_OFF", "pickup_slot": PickupSlot(at(NOW), at(NOW + 1))},
    ],
)
@responses.activate
def test_ship_package_inconsistent_arguments_are_refused_without_a_call(api: FulfillmentApi, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        api.ship_package("P1", **kwargs)
    assert len(responses.calls) == 0


@pytest.mark.parametrize(
    ("code", "status", "error"),
    [
        (21011028, 404, NotFoundError),
        (21011040, 400, AlreadyShippedError),
        (21011020, 400, AlreadyShippedError),
        (11006021, 400, AlreadyShippedError),
        (21008099, 200, AlreadyShippedError),
        (21011043, 400, NotShippedError),
        (21011050, 400, ShippingInfoWindowClosedError),
    ],
)
@responses.activate
def test_fulfilment_codes_map_to_error_classes(api: FulfillmentApi, code: int, status: int, error: type) -> None:
    responses.post(f"{FF}/packages/P1/ship", status=status, json=fail(code, "server words"))
    with pytest.raises(error) as info:
        api.ship_package("P1", handover_method="DROP_OFF")
    assert isinstance(info.value, PermanentError)
    assert info.value.code == code and info.value.status == status
    assert "server words" in str(info.value)


@responses.activate
def test_already_shipped_says_its_hint_once(api: FulfillmentApi) -> None:
    responses.post(f"{FF}/packages/P1/ship", status=400, json=fail(21011040, "package already shipped"))
    with pytest.raises(AlreadyShippedError) as info:
        api.ship_package("P1", handover_method="DROP_OFF")
    assert info.value.message == (
        "the package was already shipped: nothing to do: server said 'package already shipped'"
    )


@responses.activate(registry=OrderedRegistry)
def test_ship_is_resent_after_a_lost_answer_and_a_resend_reads_as_already_shipped(api: FulfillmentApi) -> None:
    url = f"{FF}/packages/P1/ship"
    responses.post(url, body=requests.ReadTimeout("answer lost"))
    responses.post(url, status=400, json=fail(21011040, "package already shipped"))
    with pytest.raises(AlreadyShippedError):
        api.ship_package("P1", handover_method="DROP_OFF")
    assert len(responses.calls) == 2  # idempotent: resent, not OutcomeUnknownError


@responses.activate(registry=OrderedRegistry)
def test_batch_ship_is_resent_after_a_5xx(api: FulfillmentApi) -> None:
    url = f"{FF}/packages/ship"
    responses.post(url, status=500, json=fail(36009003))
    errors = [{"code": 21011040, "message": "package already shipped", "detail": {"package_id": "P0"}}]
    responses.post(url, json=ok({"errors": errors}))
    result = api.ship_packages(shipments(2))
    assert (result.already_shipped, result.shipped) == (["P0"], ["P1"])
    assert len(responses.calls) == 2


@responses.activate
def test_other_errors_keep_the_client_mapping(api: FulfillmentApi) -> None:
    responses.post(f"{FF}/packages/P1/ship", status=400, json=fail(36009004, "bad param"))
    with pytest.raises(PermanentError) as info:
        api.ship_package("P1", handover_method="DROP_OFF")
    assert type(info.value) is PermanentError and info.value.code == 36009004


def shipments(n: int) -> list[Shipment]:
    return [Shipment(f"P{i}", HandoverMethod.DROP_OFF) for i in range(n)]


@responses.activate
def test_ship_packages_in_chunks_of_50(api: FulfillmentApi, assert_signed: Signed) -> None:
    responses.post(f"{FF}/packages/ship", json=ok({"errors": []}))
    result = api.ship_packages(shipments(120))
    sent = [body(c.request)["packages"] for c in responses.calls]
    assert [len(p) for p in sent] == [50, 50, 20]
    assert sent[0][0] == {"id": "P0", "handover_method": "DROP_OFF"}
    assert [p["id"] for chunk in sent for p in chunk] == [f"P{i}" for i in range(120)]
    assert result.shipped == [f"P{i}" for i in range(120)]
    assert result.failed == {} and result.already_shipped == []
    for call in responses.calls:
        assert_signed(call.request)


@responses.activate
def test_ship_packages_maps_per_package_errors(api: FulfillmentApi) -> None:
    errors = [
        {"code": 21011020, "message": "already shipped", "detail": {"package_id": "P1"}},
        {"code": 21011028, "message": "not this shop's", "detail": {"package_id": "P2"}},
        {"code": "36009004", "message": "bad slot", "detail": {"package_id": "P3"}},
    ]
    responses.post(f"{FF}/packages/ship", json=ok({"errors": errors}))
    batch = [
        Shipment("P0", HandoverMethod.PICKUP, PickupSlot(at(NOW), at(NOW + 60))),
        Shipment("P1", HandoverMethod.DROP_OFF, tracking_number="T1", shipping_provider_id="SP"),
        Shipment("P2", HandoverMethod.DROP_OFF),
        Shipment("P3", HandoverMethod.DROP_OFF),
    ]
    result = api.ship_packages(batch)
    assert body(responses.calls[0].request) == {
        "packages": [
            {"id": "P0", "handover_method": "PICKUP", "pickup_slot": {"start_time": NOW, "end_time": NOW + 60}},
            {
                "id": "P1",
                "handover_method": "DROP_OFF",
                "self_shipment": {"tracking_number": "T1", "shipping_provider_id": "SP"},
            },
            {"id": "P2", "handover_method": "DROP_OFF"},
            {"id": "P3", "handover_method": "DROP_OFF"},
        ]
    }
    assert result.shipped == ["P0"]
    assert result.already_shipped == ["P1"]
    assert set(result.failed) == {"P2", "P3"}
    assert isinstance(result.failed["P2"], NotFoundError)
    assert type(result.failed["P3"]) is PermanentError and "bad slot" in str(result.failed["P3"])


@responses.activate
@pytest.mark.parametrize("code", [True, False, 21011020.5, [21011020]])
def test_a_per_package_code_that_is_no_integer_is_no_code(api: FulfillmentApi, code: object) -> None:
    """true is not 1 and false is not success: the entry is its package's failure, judged by its message."""
    errors = [{"code": code, "message": "package already shipped", "detail": {"package_id": "P0"}}]
    responses.post(f"{FF}/packages/ship", json=ok({"errors": errors}))
    result = api.ship_packages(shipments(2))
    assert result.shipped == ["P1"] and set(result.failed) | set(result.already_shipped) == {"P0"}
    failure = result.failed.get("P0")
    assert failure is None or failure.code is None


@responses.activate
def test_ship_packages_unattributable_error_makes_outcome_unknown(api: FulfillmentApi) -> None:
    errors = [{"code": 21011028, "message": "?"}, {"code": 21011043, "detail": {"package_id": "P1"}}]
    responses.post(f"{FF}/packages/ship", json=ok({"errors": errors}))
    result = api.ship_packages(shipments(3))
    assert result.shipped == []
    assert isinstance(result.failed["P1"], NotShippedError)
    assert isinstance(result.failed["P0"], TemporaryError) and "outcome unknown" in str(result.failed["P0"])


@responses.activate(registry=OrderedRegistry)
def test_ship_packages_failed_call_fails_only_its_chunk(api: FulfillmentApi) -> None:
    responses.post(f"{FF}/packages/ship", json=ok({}))
    responses.post(f"{FF}/packages/ship", status=400, json=fail(36009004, "bad"))
    result = api.ship_packages(shipments(60))
    assert result.shipped == [f"P{i}" for i in range(50)]
    assert set(result.failed) == {f"P{i}" for i in range(50, 60)}


def test_ship_packages_refuses_duplicates(api: FulfillmentApi) -> None:
    with pytest.raises(ValueError, match="P1"):
        api.ship_packages([Shipment("P1", HandoverMethod.DROP_OFF), Shipment("P1", HandoverMethod.PICKUP)])


# -- shipping info -------------------------------------------------------------------------------


@responses.activate
def test_update_shipping_info_package_and_order_paths(api: FulfillmentApi, assert_signed: Signed) -> None:
    responses.post(f"{FF}/packages/P1/shipping_info/update", json=ok({}))
    responses.post(f"{FF}/orders/O1/shipping_info/update", json=ok({}))
    api.update_shipping_info(
        package_id="P1", tracking_number="T2", shipping_provider_id="SP", shipped_at=at(NOW - 3600)
    )
    api.update_shipping_info(order_id="O1", tracking_number="T3", shipping_provider_id=42)
    one, two = (c.request for c in responses.calls)
    assert_signed(one)
    assert body(one) == {"tracking_number": "T2", "shipping_provider_id": "SP"}
    assert urlsplit(two.url).path == "/fulfillment/202309/orders/O1/shipping_info/update"
    assert body(two) == {"tracking_number": "T3", "shipping_provider_id": "42"}


@responses.activate(registry=OrderedRegistry)
def test_a_shipping_info_update_whose_answer_was_lost_is_not_resent(api: FulfillmentApi) -> None:
    """The platform lets a number change once or a few times (21011051, 21011052): a resend of a
    change that was made may be refused or use one up. The next run's read settles it."""
    responses.post(f"{FF}/packages/P1/shipping_info/update", body=requests.ReadTimeout("answer lost"))
    with pytest.raises(OutcomeUnknownError):
        api.update_shipping_info(package_id="P1", tracking_number="T2", shipping_provider_id="SP")
    assert len(responses.calls) == 1


@pytest.mark.parametrize("ids", [{}, {"package_id": "P1", "order_id": "O1"}])
def test_update_shipping_info_needs_exactly_one_id(api: FulfillmentApi, ids: dict) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        api.update_shipping_info(**ids, tracking_number="T", shipping_provider_id="SP")


@responses.activate
def test_update_shipping_info_after_72h_is_refused_without_calling(api: FulfillmentApi) -> None:
    shipped = at(NOW) - timedelta(hours=72, seconds=1)
    with pytest.raises(ShippingInfoWindowClosedError) as info:
        api.update_shipping_info(package_id="P1", tracking_number="T", shipping_provider_id="SP", shipped_at=shipped)
    assert len(responses.calls) == 0
    assert "72 h" in str(info.value) and info.value.code == 21011049
    # an explicit ``now`` wins over the clock
    responses.post(f"{FF}/packages/P1/shipping_info/update", json=ok({}))
    api.update_shipping_info(
        package_id="P1", tracking_number="T", shipping_provider_id="SP", shipped_at=shipped, now=shipped
    )
    assert len(responses.calls) == 1


@responses.activate
def test_update_shipping_info_server_72h_rule_maps_the_same(api: FulfillmentApi) -> None:
    responses.post(f"{FF}/orders/O1/shipping_info/update", status=400, json=fail(21011050, "exceeded 72 hours"))
    with pytest.raises(ShippingInfoWindowClosedError) as info:
        api.update_shipping_info(order_id="O1", tracking_number="T", shipping_provider_id="SP")
    assert "within a limited number of hours" in str(info.value) and "exceeded 72 hours" in str(info.value)


@responses.activate
def test_update_shipping_info_not_shipped(api: FulfillmentApi) -> None:
    responses.post(f"{FF}/packages/P1/shipping_info/update", status=400, json=fail(21011043))
    with pytest.raises(NotShippedError):
        api.update_shipping_info(package_id="P1", tracking_number="T", shipping_provider_id="SP")


# -- logistics cache ---------------------------------------------------------------------------


OPTIONS = {
    "delivery_options": [
        {"id": "D1", "name": "Standard", "type": "STANDARD"},
        {"id": 2002, "name": "Own carrier", "type": "SEND_BY_SELLER"},
    ]
}


@responses.activate
def test_delivery_options_cached_per_warehouse_until_ttl(
    api: FulfillmentApi, clock: Clock, assert_signed: Signed
) -> None:
    responses.get(f"{LOG}/warehouses/W1/delivery_options", json=ok(OPTIONS))
    responses.get(f"{LOG}/warehouses/W2/delivery_options", json=ok({"delivery_options": []}))
    first = api.delivery_options("W1")
    assert first == [
        DeliveryOption("D1", "Standard", "STANDARD"),
        DeliveryOption("2002", "Own carrier", "SEND_BY_SELLER"),
    ]
    assert first[1].sent_by_seller and not first[0].sent_by_seller
    assert_signed(responses.calls[0].request)
    clock.now += 3599
    assert api.delivery_options("W1") == first
    assert len(responses.calls) == 1  # cached
    assert api.delivery_options("W2") == []
    assert len(responses.calls) == 2  # another warehouse: its own entry
    clock.now += 2
    api.delivery_options("W1")
    assert len(responses.calls) == 3  # expired: refetched


@responses.activate
def test_shipping_providers_cached_and_all_options(api: FulfillmentApi, clock: Clock, assert_signed: Signed) -> None:
    responses.get(f"{LOG}/warehouses/W1/delivery_options", json=ok(OPTIONS))
    responses.get(
        f"{LOG}/delivery_options/D1/shipping_providers", json=ok({"shipping_providers": [{"id": 1, "name": "A"}]})
    )
    responses.get(
        f"{LOG}/delivery_options/2002/shipping_providers", json=ok({"shipping_providers": [{"id": "SP2", "name": "B"}]})
    )
    assert api.shipping_providers("W1", "D1") == [ShippingProvider("1", "A", "D1")]
    assert api.shipping_providers("W1", "D1") == [ShippingProvider("1", "A", "D1")]
    assert len(responses.calls) == 1
    assert_signed(responses.calls[0].request)
    everything = api.shipping_providers("W1")
    assert everything == [ShippingProvider("1", "A", "D1"), ShippingProvider("SP2", "B", "2002")]
    assert len(responses.calls) == 3  # options + the one provider list not cached yet
    api.shipping_providers("W1")
    assert len(responses.calls) == 3
    clock.now += 3600
    api.shipping_providers("W1", "D1")
    assert len(responses.calls) == 4


@responses.activate
def test_an_option_fulfilled_by_tiktok_has_no_providers_and_the_others_are_listed(api: FulfillmentApi) -> None:
    # Get Shipping Providers documents 21008117: the option is fulfilled by TikTok, no provider
    responses.get(f"{LOG}/warehouses/W1/delivery_options", json=ok(OPTIONS))
    responses.get(
        f"{LOG}/delivery_options/D1/shipping_providers",
        json=fail(21008117, "The delivery of the specified delivery_option_id is fulfilled by TikTok."),
    )
    responses.get(
        f"{LOG}/delivery_options/2002/shipping_providers", json=ok({"shipping_providers": [{"id": "SP2", "name": "B"}]})
    )
    assert api.shipping_providers("W1") == [ShippingProvider("SP2", "B", "2002")]
    assert api.shipping_providers("W1", "D1") == []
    assert len(responses.calls) == 3  # the empty answer is cached like the others


@responses.activate
def test_malformed_delivery_option_raises_and_is_not_cached(api: FulfillmentApi) -> None:
    url = f"{LOG}/warehouses/W1/delivery_options"
    responses.get(url, json=ok({"delivery_options": [{"name": "no id", "type": "STANDARD"}]}))
    with pytest.raises(RecordError) as info:
        api.delivery_options("W1")
    assert info.value.field == "id" and info.value.record == "delivery option #0"
    with pytest.raises(RecordError):
        api.delivery_options("W1")
    assert len(responses.calls) == 2


def test_blank_shipping_provider_means_not_yet_assigned():
    """An unshipped package has shipping_provider_id "" on the wire: absent, not malformed."""
    from erpsync.connectors.tiktok.fulfillment.schemas import PackageSummarySchema

    summary = PackageSummarySchema().load(
        {"id": "1", "status": "PROCESSING", "shipping_provider_id": "", "orders": [{"id": "9"}]}
    )
    assert summary.shipping_provider_id is None
