"""Sandbox parts without HTTP: time parsing, provider switch, lifecycle, rate limiter, scenario errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from werkzeug.test import Client

from erpsync.sandbox import SandboxApp, api
from erpsync.sandbox.faults import DROP, FAIL, Faults
from erpsync.sandbox.model import ProviderPeriod, Region, Subscription
from erpsync.sandbox.ratelimit import SlidingWindowLimit
from erpsync.sandbox.scenario import build_world, resolve_source
from erpsync.sandbox.scenario_values import ScenarioError, parse_time
from erpsync.sandbox.signing import compute_sign, string_to_sign
from erpsync.sandbox.subscription import (
    NoPendingReview,
    cancel,
    complete,
    decline,
    due_at,
    evaluate,
    find_region,
    request,
    retime,
    set_delay,
)

SWITCH = 1695052800  # 2023-09-19T00:00:00+08:00


def test_parse_time_forms() -> None:
    now = 1_700_000_000.0
    assert parse_time(123, now, "t") == 123
    assert parse_time("now", now, "t") == 1_700_000_000
    assert parse_time("-2d", now, "t") == 1_700_000_000 - 2 * 86400
    assert parse_time("+1h30m", now, "t") == 1_700_000_000 + 5400
    assert parse_time("2023-09-19T00:00:00+08:00", now, "t") == SWITCH
    for bad in ("2023-09-19T00:00:00", "yesterday", True, None):
        with pytest.raises(ScenarioError, match="t"):
            parse_time(bad, now, "t")


def test_provider_switch_jt_to_ws() -> None:
    region = Region("广东省", "东莞市", [ProviderPeriod("JT", None), ProviderPeriod("WS", SWITCH)])
    assert region.provider_at(SWITCH - 1) == "JT"
    assert region.provider_at(SWITCH) == "WS"
    assert find_region([region], {"state": "广东省", "city": "东莞市"}) is region
    assert find_region([region], {"state": "广东省", "city": "佛山市"}) is None


def test_lifecycle() -> None:
    sub = Subscription("not_subscribed")
    request(sub, 1000, in_coverage=True)
    assert (sub.status, sub.requested_at) == ("pending_review", 1000)
    assert evaluate(sub, 1000 + 4 * 3600 - 1, 4).status == "pending_review"
    assert evaluate(sub, 1000 + 4 * 3600, 4).status == "active"
    assert sub.reviewed_at == 1000 + 4 * 3600
    request(sub, 50_000, in_coverage=True)
    assert evaluate(sub, 10**9, None).status == "pending_review"  # stuck review
    sub.review_delay_hours = 0
    assert evaluate(sub, 50_000, None).status == "active"  # per-warehouse override wins
    request(sub, 60_000, in_coverage=False)
    assert evaluate(sub, 10**9, 4).status == "out_of_coverage"
    cancel(sub, 70_000)
    assert sub.status == "cancelled" and [h["status"] for h in sub.history][-1] == "cancelled"


def test_review_due_time_follows_the_delay_that_applies() -> None:
    sub = Subscription("active")
    assert due_at(sub, 4) is None  # nothing pending
    request(sub, 1000, in_coverage=True)
    assert due_at(sub, 4) == 1000 + 4 * 3600
    assert due_at(sub, None) is None  # the world's reviews stall
    set_delay(sub, 2, 1000, 4)
    assert due_at(sub, None) == 1000 + 2 * 3600  # the warehouse's own delay wins
    set_delay(sub, None, 1000, 4)
    assert due_at(sub, 4) is None and evaluate(sub, 10**9, 4).status == "pending_review"


def test_a_delay_changed_mid_review_never_completes_it_in_the_past() -> None:
    sub = request(Subscription("not_subscribed"), 1000, in_coverage=True)
    set_delay(sub, 1, 1000 + 10 * 3600, None)  # stalled for 10 h, then the delay becomes 1 h
    assert evaluate(sub, 1000 + 10 * 3600, None).reviewed_at == 1000 + 10 * 3600
    assert sub.history[-1] == {"at": 1000 + 10 * 3600, "status": "active", "reason": "provider review completed"}
    fresh = request(Subscription("active"), 5000, in_coverage=True)
    set_delay(fresh, 2, 5000 + 3600, 4)  # still ahead: due at save + 2 h, as set
    assert due_at(fresh, 4) == 5000 + 2 * 3600
    request(fresh, 90_000, in_coverage=True)  # a new save forgets the old change time
    assert fresh.review_not_before is None and due_at(fresh, 4) == 90_000 + 2 * 3600


def test_retime_completes_what_was_due_at_its_own_time() -> None:
    sub = request(Subscription("not_subscribed"), 1000, in_coverage=True)
    retime(sub, 1000 + 9 * 3600, 4)  # due at +4 h under the old delay: done then, not at the change
    assert (sub.status, sub.reviewed_at, sub.review_not_before) == ("active", 1000 + 4 * 3600, None)


def test_complete_and_decline_act_on_a_pending_review_only() -> None:
    sub = request(Subscription("not_subscribed"), 1000, in_coverage=True)
    assert complete(sub, 2000, None).status == "active" and sub.reviewed_at == 2000
    with pytest.raises(NoPendingReview, match="active"):
        complete(sub, 3000, None)
    with pytest.raises(NoPendingReview, match="active"):
        decline(sub, 3000, None)
    request(sub, 4000, in_coverage=True)
    decline(sub, 5000, None)
    assert (sub.status, sub.cancelled_at, sub.reviewed_at) == ("cancelled", 5000, None)
    assert evaluate(sub, 10**9, 0).status == "cancelled"  # a declined request never completes
    request(sub, 6000, in_coverage=True)
    with pytest.raises(NoPendingReview, match="active"):
        decline(sub, 6000 + 4 * 3600, 4)  # the review completed before the call to decline it
    request(sub, 7000, in_coverage=False)
    with pytest.raises(NoPendingReview, match="out_of_coverage"):
        complete(sub, 8000, 4)


def test_rate_limiter_sliding_window() -> None:
    now = [0.0]
    limiter = SlidingWindowLimit(qps=3, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")
    now[0] = 0.999
    assert not limiter.allow("a")
    now[0] = 1.0001
    assert limiter.allow("a")


def test_signing_details() -> None:
    params = {"b": "2", "a": "1", "sign": "x", "access_token": "t"}
    assert string_to_sign("/p", params, b"{}") == b"/pa1b2{}"
    assert string_to_sign("/p", params, b"--xx", multipart=True) == b"/pa1b2"
    assert compute_sign("s", "/p", params) == compute_sign("s", "/p", {"a": "1", "b": "2"})


def _scenario(**changes: Any) -> dict[str, Any]:
    data = resolve_source("default")
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"rate_limit_qps": 0}, "rate_limit_qps"),
        ({"review_delay_hours": -1}, "review_delay_hours"),
        ({"orders": [{"id": "1", "warehouse_id": "nope"}]}, r"orders\[0\].warehouse_id"),
        ({"packages": [{"id": "1", "order_ids": ["missing"]}]}, r"packages\[0\].order_ids"),
    ],
)
def test_scenario_errors_name_the_location(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        build_world(_scenario(**change), 1_700_000_000)


def test_builtin_scenarios_load() -> None:
    for name in ("default", "demo"):
        world = build_world(resolve_source(name), 1_700_000_000)
        assert world.packages and world.warehouses


def test_unexpected_error_is_an_envelope_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    app = SandboxApp("default")

    def boom(call: Any) -> dict[str, Any]:
        raise RuntimeError("secret internals")

    routes = list(api.ROUTES)
    routes[1] = (routes[1][0], routes[1][1], boom, routes[1][3])
    monkeypatch.setattr("erpsync.sandbox.app.ROUTES", routes)
    # bypass auth: the error must surface as 500/36009003 whatever raised it
    monkeypatch.setattr("erpsync.sandbox.app.authenticate", lambda *a, **k: _caller(app))
    response = Client(app).get("/logistics/202309/warehouses", headers={"content-type": "application/json"})
    body = json.loads(response.get_data())
    assert response.status_code == 500 and body["code"] == 36009003
    assert "secret internals" not in body["message"] and "Traceback" not in response.get_data(as_text=True)


def _caller(app: SandboxApp) -> Any:
    from erpsync.sandbox.auth import Caller

    world = app.state.world
    app_ = world.apps["sandbox-app-key"]
    token = app_.tokens["sandbox-access-token"]
    return Caller(app_, token, world.shops[token.shop_ids[0]])


def test_clock_start_sets_virtual_now_and_relative_times() -> None:
    world = build_world(_scenario(clock_start="2023-09-18T10:00:00+08:00"), 1_700_000_000)
    assert 1_700_000_000 + world.clock_offset == SWITCH - 14 * 3600
    package = world.packages["115400000000000001"]  # "-1d"
    assert package.create_time == SWITCH - 14 * 3600 - 86400


def test_wire_switches_load_from_the_scenario() -> None:
    world = build_world(_scenario(errors_as_http_200=True, omit_retry_after=True), 1_700_000_000)
    assert world.errors_as_http_200 and world.omit_retry_after and not world.rotate_refresh_tokens
    with pytest.raises(ScenarioError, match="rotate_refresh_tokens"):
        build_world(_scenario(rotate_refresh_tokens="yes"), 1_700_000_000)


def test_commit_faults_are_used_up_in_order_and_filtered_by_path() -> None:
    faults = Faults({"drop_after_commit": 1, "fail_after_commit": 1, "commit_fault_paths": ["/a"]})
    assert faults.after_commit("/b") is None
    assert [faults.after_commit("/a") for _ in range(3)] == [DROP, FAIL, None]
    faults.configure({"fail_after_commit_rate": 0.5, "seed": 7, "commit_fault_paths": None})
    outcomes = [faults.after_commit("/b") for _ in range(200)]
    assert set(outcomes) == {FAIL, None} and 60 < outcomes.count(FAIL) < 140
    with pytest.raises(ValueError, match="fail_after_commit_rate"):
        faults.configure({"fail_after_commit_rate": -0.1, "fail_after_commit": 3})
    assert faults.fail_after_commit == 0  # a rejected update changes nothing


def test_who_ships_a_scenario_package_given_or_from_its_delivery_option_or_its_order() -> None:
    data = resolve_source("default")
    order = next(o for o in data["orders"] if o["status"] == "AWAITING_SHIPMENT")
    seller_order = {**order, "id": "576900000000000901", "shipping_type": "SELLER"}
    base = {"order_ids": [order["id"]], "status": "PROCESSING", "create_time": "-1h"}
    data["orders"].append(seller_order)
    data["packages"] += [
        {**base, "id": "P-GIVEN", "shipping_type": "SELLER"},
        {**base, "id": "P-OPTION", "delivery_option_id": "7129736000000002"},  # SEND_BY_SELLER
        {**base, "id": "P-STANDARD", "delivery_option_id": "7129736000000001"},
        {**base, "id": "P-ORDER", "order_ids": [seller_order["id"]]},
        {**base, "id": "P-DEFAULT"},
    ]
    world = build_world(data, 1_700_000_000)
    found = {
        pid: world.packages[pid].shipping_type for pid in ("P-GIVEN", "P-OPTION", "P-STANDARD", "P-ORDER", "P-DEFAULT")
    }
    assert found == {
        "P-GIVEN": "SELLER",
        "P-OPTION": "SELLER",
        "P-STANDARD": "TIKTOK",
        "P-ORDER": "SELLER",
        "P-DEFAULT": "TIKTOK",
    }
    data["packages"].append({**base, "id": "P-BAD", "shipping_type": "PIGEON"})
    with pytest.raises(ScenarioError, match=r"packages\[\d+\].shipping_type"):
        build_world(data, 1_700_000_000)
