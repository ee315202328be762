"""Every documented TikTok error code, sent through the real client, raises the right error type.

The expected codes come from ``tests/fixtures/tiktok/documented_error_codes.json`` (copied from
the Partner Center API reference pages of the endpoints erpsync calls), and the expected types
from the explicit sets below, not from the table under test: the table (``error_codes.csv``)
must agree with both. Any documented code not in a set below must be a plain PermanentError.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import responses
from open_api_fakes import APP_KEY, BASE, CIPHER, SECRET, TOKEN, Clock, fail, ok
from responses.registries import OrderedRegistry

from erpsync.connectors.tiktok import error_codes
from erpsync.connectors.tiktok.client import TikTokClient
from erpsync.connectors.tiktok.envelope import HINTS
from erpsync.connectors.tiktok.error_codes import Kind
from erpsync.connectors.tiktok.fulfillment.api import FulfillmentApi
from erpsync.connectors.tiktok.fulfillment.errors import AlreadyShippedError
from erpsync.connectors.tiktok.fulfillment.models import Shipment
from erpsync.core.errors import (
    AlreadyDoneError,
    AuthError,
    NotFoundError,
    OutcomeUnknownError,
    PermanentError,
    TemporaryError,
)
from erpsync.core.http import HttpPolicy
from erpsync.core.rate_limit import RateLimits

FIXTURE = Path(__file__).parents[1] / "fixtures" / "tiktok" / "documented_error_codes.json"
DOCUMENTED = json.loads(FIXTURE.read_text(encoding="utf-8"))["codes"]

#: "already shipped" (Ship Package, Batch Ship Packages); "already delivered" implies shipped
ALREADY_SHIPPED = {21011040, 21011020, 11006021, 21008099, 21011027}
#: "does not belong to the current shop / seller"
NOT_THIS_SHOP = {21011028, 21008111}
#: the product (or its SKU) does not exist, or is not listed in this shop
MISSING_PRODUCT = {12052032, 12052260, 12019150, 12052048, 12052556, 12052557}
#: internal errors, timeouts, "system process error, try again", "if multiple retry have failed"
TEMPORARY = {
    36009003,
    36009007,
    36009002,
    21001003,
    21001008,
    21001011,
    11001031,
    11001027,
    10002014,
    10002015,
    10037002,
    10037003,
    10037004,
    12001000,
    12052881,
    21022029,
    21042001,
    21042076,
    10007002,  # "due to the order's current status, please try again later"
    21011008,  # "package is not complete. If the error persists, ..." (a guess: see the docs page)
}
AUTH = {106001, 105002, 101000, 105005, 36009033, 10006402, 36004001, 36004004, 36004005}
EXPECTED: dict[int, type] = {
    **dict.fromkeys(ALREADY_SHIPPED, AlreadyDoneError),
    **dict.fromkeys(NOT_THIS_SHOP | MISSING_PRODUCT, NotFoundError),
    **dict.fromkeys(TEMPORARY, TemporaryError),
    **dict.fromkeys(AUTH, AuthError),
}
#: codes the client used to rely on that no page documents
NOT_DOCUMENTED = {21011001, 21011005, 21011006, 12019090}


def expected(code: int) -> type:
    return EXPECTED.get(code, PermanentError)


def make_client(clock: Clock) -> TikTokClient:
    policy = HttpPolicy(max_attempts=1, rate_limit_qps=1000)
    return TikTokClient(BASE, APP_KEY, SECRET, TOKEN, policy=policy, clock=clock, sleep=clock.sleep, monotonic=clock)


def concrete(path: str | None) -> str:
    """A documented path with its ``{placeholders}`` filled in (common codes: a plain read)."""
    return re.sub(r"\{[^}]+\}", "X1", path) if path else "/logistics/202309/warehouses"


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_the_fixture_is_the_full_documented_list() -> None:
    endpoints = {e["endpoint"] for e in DOCUMENTED}
    assert len(endpoints - {"common-errors", "token"}) == 21
    assert {e["code"] for e in DOCUMENTED} >= ALREADY_SHIPPED | NOT_THIS_SHOP | MISSING_PRODUCT | TEMPORARY | AUTH


def test_the_table_covers_every_documented_code_and_names_its_pages() -> None:
    table = error_codes.table()
    missing = sorted({e["code"] for e in DOCUMENTED} - set(table))
    assert missing == []
    for entry in DOCUMENTED:
        row = table[entry["code"]]
        assert row.meaning, entry["code"]
        if entry["path"] is not None:
            page = entry["endpoint"].rsplit("-", 1)[0]  # the page name without its version suffix
            assert page in row.operations, (entry["code"], page)


def test_the_table_kinds_are_the_expected_ones() -> None:
    """The table against the explicit sets above, both ways (a kind nobody expected fails too)."""
    by_class = {
        Kind.TEMPORARY: TemporaryError,
        Kind.RATE_LIMITED: TemporaryError,
        Kind.NOT_PROCESSED: TemporaryError,
        Kind.AUTH: AuthError,
        Kind.ALREADY_DONE: AlreadyDoneError,
        Kind.NOT_FOUND: NotFoundError,
        Kind.PERMANENT: PermanentError,
    }
    for entry in DOCUMENTED:
        assert by_class[error_codes.table()[entry["code"]].kind] is expected(entry["code"]), entry["code"]
    assert error_codes.codes_of(Kind.ALREADY_DONE) == ALREADY_SHIPPED
    assert error_codes.codes_of(Kind.NOT_FOUND) == NOT_THIS_SHOP | MISSING_PRODUCT
    assert error_codes.codes_of(Kind.RATE_LIMITED) == {36009002}
    assert error_codes.codes_of(Kind.NOT_PROCESSED) == {10007002}


def test_undocumented_codes_are_not_in_the_table() -> None:
    assert all(error_codes.lookup(code) is None for code in NOT_DOCUMENTED)
    assert error_codes.kind_of(12052700) is Kind.PERMANENT  # "the seller is inactive", not "not found"
    assert error_codes.kind_of(21011005) is Kind.PERMANENT  # unknown: judged by message and status


@pytest.mark.parametrize("status", [200, 400])
@pytest.mark.parametrize("entry", DOCUMENTED, ids=[f"{e['code']}-{e['endpoint']}" for e in DOCUMENTED])
@responses.activate
def test_every_documented_code_raises_its_type(clock: Clock, entry: dict, status: int) -> None:
    method = entry["method"] or "GET"
    path = concrete(entry["path"])
    responses.add(method, BASE + path, status=status, json=fail(entry["code"], entry["message"]))
    with pytest.raises(Exception) as info:
        make_client(clock).call(method, path, cipher=CIPHER, body={} if method == "POST" else None, idempotent=True)
    exc = info.value
    want = expected(entry["code"])
    assert type(exc) is want, (entry["code"], type(exc).__name__)
    assert (exc.code, exc.status, exc.request_id) == (entry["code"], status, "req-9")
    assert (HINTS.get(entry["code"]) or error_codes.meaning(entry["code"])) in str(exc)


@pytest.mark.parametrize("code", sorted(ALREADY_SHIPPED))
@responses.activate
def test_already_shipped_codes_are_already_shipped_for_the_push_layer(clock: Clock, code: int) -> None:
    api = FulfillmentApi(make_client(clock), CIPHER, clock=clock)
    responses.post(f"{BASE}/fulfillment/202309/packages/P1/ship", status=400, json=fail(code, "shipped"))
    with pytest.raises(AlreadyShippedError) as info:
        api.ship_package("P1", handover_method="DROP_OFF")
    assert isinstance(info.value, AlreadyDoneError)
    errors = [{"code": code, "message": "shipped", "detail": {"package_id": "P2"}}]
    responses.post(f"{BASE}/fulfillment/202309/packages/ship", json=ok({"errors": errors}))
    result = api.ship_packages([Shipment("P2", "DROP_OFF"), Shipment("P3", "DROP_OFF")])
    assert (result.already_shipped, result.shipped, result.failed) == (["P2"], ["P3"], {})


@responses.activate
def test_a_temporary_code_in_a_batch_entry_is_temporary(clock: Clock) -> None:
    api = FulfillmentApi(make_client(clock), CIPHER, clock=clock)
    errors = [{"code": 21001003, "message": "System timeout.", "detail": {"package_id": "P2"}}]
    responses.post(f"{BASE}/fulfillment/202309/packages/ship", json=ok({"errors": errors}))
    result = api.ship_packages([Shipment("P2", "DROP_OFF")])
    assert type(result.failed["P2"]) is TemporaryError


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ("Invalid credentials. The `x-tts-access-token` header is invalid.", AuthError),
        ("Invalid credentials. Invalid `app_key` query parameter.", AuthError),
        ("Missing credentials. The request does not include a required signature in the query.", AuthError),
        ("Invalid timestamp. The value of the `timestamp` query parameter must not be lesser than 0.", PermanentError),
        ("Unexpected identifier. The `shop_cipher` query parameter is not required for this request.", PermanentError),
    ],
)
@responses.activate
def test_the_catch_all_code_is_auth_only_when_it_speaks_of_credentials(clock: Clock, message: str, error: type) -> None:
    responses.get(f"{BASE}/logistics/202309/warehouses", status=401, json=fail(36009004, message))
    with pytest.raises(error) as info:
        make_client(clock).call("GET", "/logistics/202309/warehouses", cipher=CIPHER)
    assert type(info.value) is error


@pytest.mark.parametrize(
    ("status", "message", "error"),
    [
        (200, "System busy, please try again later.", TemporaryError),
        (200, "Request timed out.", TemporaryError),
        (400, "Internal error.", TemporaryError),
        (200, "If multiple retry have failed, contact us", TemporaryError),
        (503, "unavailable", TemporaryError),
        (429, "slow down", TemporaryError),
        (401, "who are you", AuthError),
        (400, "the widget is too blue", PermanentError),
        (200, "", PermanentError),
    ],
)
@responses.activate
def test_an_unknown_code_falls_back_on_message_and_status(clock: Clock, status: int, message: str, error: type) -> None:
    responses.get(f"{BASE}/logistics/202309/warehouses", status=status, json=fail(99999999, message))
    with pytest.raises(error) as info:
        make_client(clock).call("GET", "/logistics/202309/warehouses", cipher=CIPHER)
    assert type(info.value) is error and info.value.code == 99999999


@pytest.mark.parametrize("code", [11001002, 36009004, 106001])
@responses.activate(registry=OrderedRegistry)
def test_http_429_is_rate_limited_whatever_the_code(clock: Clock, code: int) -> None:
    """A 429 carrying a code the table calls permanent (or auth) is still a refusal for the rate."""
    url = f"{BASE}/logistics/202309/warehouses"
    responses.get(url, status=429, headers={"Retry-After": "2"}, json=fail(code, "too many requests"))
    responses.get(url, json=ok({"warehouses": []}))
    limits = RateLimits(clock=clock, sleep=clock.sleep)
    policy = HttpPolicy(max_attempts=2, rate_limit_qps=40)
    client = TikTokClient(BASE, APP_KEY, SECRET, TOKEN, policy=policy, clock=clock, sleep=clock.sleep,
                          monotonic=clock, rate_limits=limits)  # fmt: skip
    assert error_codes.kind_of(code, "too many requests", 429) is Kind.RATE_LIMITED
    assert not client.warehouses(CIPHER).items
    assert len(responses.calls) == 2 and 2.0 in clock.sleeps
    key = ("tiktok", urlsplit(BASE).netloc, (APP_KEY, CIPHER, "/logistics/202309/warehouses"))
    assert (limits.rate(key) or 40) < 40  # the refusal slowed the key (one clean call gave a little back)
    for _ in range(2):  # the call and its one retry
        responses.get(url, status=429, json=fail(code, "too many requests"))
    with pytest.raises(TemporaryError, match=r"^tiktok list warehouses: rate limited \(HTTP 429\); "):
        client.warehouses(CIPHER)


@responses.activate
def test_a_temporary_code_carries_retry_after(clock: Clock) -> None:
    headers = {"Retry-After": "7"}
    responses.get(f"{BASE}/logistics/202309/warehouses", status=200, headers=headers, json=fail(36009002))
    with pytest.raises(TemporaryError) as info:
        make_client(clock).call("GET", "/logistics/202309/warehouses", cipher=CIPHER)
    assert info.value.retry_after == 7


@pytest.mark.parametrize(("code", "error"), [(21001003, OutcomeUnknownError), (36009002, TemporaryError)])
@responses.activate
def test_a_temporary_code_on_a_non_idempotent_write_is_outcome_unknown(clock: Clock, code: int, error: type) -> None:
    """A "system timeout" on a write may have taken effect; only the rate limit proves it did not."""
    responses.post(f"{BASE}/fulfillment/202309/packages/P1/ship", json=fail(code, "System timeout."))
    with pytest.raises(TemporaryError) as info:
        make_client(clock).call("POST", "/fulfillment/202309/packages/P1/ship", cipher=CIPHER, body={})
    assert type(info.value) is error


@pytest.mark.parametrize(("code", "error"), [(10007002, TemporaryError), (36009003, OutcomeUnknownError)])
@responses.activate
def test_a_documented_refusal_of_a_one_shot_write_is_a_plain_temporary_error(
    clock: Clock, code: int, error: type
) -> None:
    """10007002 ("you cannot update the shipping information due to the order's current status")
    says the update was not made: nothing to reconcile. An internal error may come after it was."""
    api = FulfillmentApi(make_client(clock), CIPHER, clock=clock)
    url = f"{BASE}/fulfillment/202309/packages/P1/shipping_info/update"
    responses.post(url, json=fail(code, "order status does not allow"))
    with pytest.raises(TemporaryError) as info:
        api.update_shipping_info(package_id="P1", tracking_number="T1", shipping_provider_id="7")
    assert type(info.value) is error, str(info.value)
    assert (type(info.value) is OutcomeUnknownError) == ("may have taken effect" in str(info.value))


@pytest.mark.parametrize("code", [21011040, 12052032, 105002, 21001003, 99999999])
@responses.activate
def test_the_error_text_says_what_the_code_means_but_never_the_secrets(clock: Clock, code: int) -> None:
    leaky = f"bad request for app_secret={SECRET} token {TOKEN}"
    responses.get(f"{BASE}/logistics/202309/warehouses", status=400, json=fail(code, leaky))
    with pytest.raises(Exception) as info:
        make_client(clock).call("GET", "/logistics/202309/warehouses", cipher=CIPHER)
    text = str(info.value)
    assert SECRET not in text and TOKEN not in text
    assert "server said" in text
    hint = error_codes.meaning(code)
    if code == 105002:
        assert "re-authorise the shop" in text  # the hand-written hint of a common code
    elif hint:
        assert hint in text
