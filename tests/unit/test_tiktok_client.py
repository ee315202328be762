"""The Open API client against ``responses``: request shape, signature, errors, paging, validation."""

from __future__ import annotations

import logging

import pytest
import requests
import responses
from open_api_fakes import APP_KEY, BASE, CIPHER, NOW, SECRET, TOKEN, Clock, Signed, fail, ok, query
from responses.registries import OrderedRegistry

from erpsync.connectors.tiktok.client import DEFAULT_RATE_LIMIT_QPS, TikTokClient, needs_cipher
from erpsync.connectors.tiktok.signing import TikTokAuth
from erpsync.core.errors import AuthError, OutcomeUnknownError, PermanentError, TemporaryError
from erpsync.core.http import HttpPolicy


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(clock: Clock) -> TikTokClient:
    policy = HttpPolicy(max_attempts=3, rate_limit_qps=50)
    return TikTokClient(BASE, APP_KEY, SECRET, TOKEN, policy=policy, clock=clock, sleep=clock.sleep, monotonic=clock)


SHOPS = {
    "shops": [
        {
            "id": "7495",
            "name": "Demo GB",
            "region": "GB",
            "seller_type": "CROSS_BORDER",
            "cipher": CIPHER,
            "code": "GB1",
        },
        {"id": 8001, "name": "Other", "region": "US", "seller_type": "LOCAL", "cipher": "c2", "code": "US1"},
    ]
}


@responses.activate
def test_shops_request_shape_without_cipher(client: TikTokClient, assert_signed: Signed) -> None:
    responses.get(f"{BASE}/authorization/202309/shops", json=ok(SHOPS))
    shops = client.shops()
    assert [s["id"] for s in shops.items] == ["7495", "8001"]  # a numeric id becomes a string
    request = responses.calls[0].request
    q = assert_signed(request, cipher=False)
    assert q["timestamp"] == str(NOW)
    assert request.body is None


@responses.activate
def test_shop_cipher_is_looked_up_once_and_sent_on_logistics(client: TikTokClient, assert_signed: Signed) -> None:
    responses.get(f"{BASE}/authorization/202309/shops", json=ok(SHOPS))
    responses.get(f"{BASE}/logistics/202309/warehouses", json=ok({"warehouses": []}))
    assert client.shop_cipher("7495") == CIPHER
    assert client.shop_cipher("7495") == CIPHER
    client.warehouses(CIPHER)
    assert len(responses.calls) == 2
    q = assert_signed(responses.calls[1].request, cipher=True)
    assert q["shop_cipher"] == CIPHER


@responses.activate
def test_unknown_shop_names_it_and_lists_the_authorised_ones(client: TikTokClient) -> None:
    responses.get(f"{BASE}/authorization/202309/shops", json=ok(SHOPS))
    with pytest.raises(PermanentError) as info:
        client.shop_cipher("999")
    text = str(info.value)
    assert "shop 999" in text and "7495 'Demo GB' (GB)" in text and "8001" in text


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/authorization/202309/shops", False),
        ("/seller/202309/shops", False),
        ("/product/202309/global_products/1", False),
        ("/product/202309/images/upload", False),
        ("/logistics/202309/warehouses", True),
        ("/fulfillment/202309/packages/search", True),
        ("/order/202309/orders", True),
    ],
)
def test_needs_cipher(path: str, expected: bool) -> None:
    assert needs_cipher(path) is expected


@responses.activate
def test_cipher_is_never_sent_to_authorization_paths(client: TikTokClient, assert_signed: Signed) -> None:
    responses.get(f"{BASE}/authorization/202309/shops", json=ok(SHOPS))
    client.call("GET", "/authorization/202309/shops", cipher=CIPHER)
    assert_signed(responses.calls[0].request, cipher=False)


@pytest.mark.parametrize(
    ("status", "code", "error", "hint"),
    [
        (429, 36009002, TemporaryError, "rate limited"),
        (500, 36009003, TemporaryError, "internal"),
        (200, 36009003, TemporaryError, "internal"),
        (401, 106001, AuthError, "signature rejected: check app_secret"),
        (401, 105002, AuthError, "token expired"),
        (401, 36009004, PermanentError, "read the server message"),
        (400, 106013, PermanentError, "shop_cipher missing"),
        (403, 101000, AuthError, "does not match the shop"),
        (403, 105005, AuthError, "missing API scope"),
        (404, 36009014, PermanentError, "unknown API path"),
        (200, 12345, PermanentError, "request failed"),
    ],
)
@responses.activate
def test_error_codes_map_to_error_types(clock: Clock, status: int, code: int, error: type, hint: str) -> None:
    client = TikTokClient(BASE, APP_KEY, SECRET, TOKEN, policy=HttpPolicy(max_attempts=1), clock=clock)
    responses.get(f"{BASE}/logistics/202309/warehouses", status=status, json=fail(code, "server words"))
    with pytest.raises(error) as info:
        client.warehouses(CIPHER)
    exc = info.value
    assert type(exc) is error
    assert (exc.code, exc.status, exc.request_id) == (code, status, "req-9")
    assert hint in str(exc) and "server words" in str(exc)
    assert "list warehouses" in str(exc)


@responses.activate
def test_bare_5xx_without_envelope_is_temporary(clock: Clock) -> None:
    client = TikTokClient(BASE, APP_KEY, SECRET, TOKEN, policy=HttpPolicy(max_attempts=1), clock=clock)
    responses.get(f"{BASE}/logistics/202309/warehouses", status=502, body="<html>bad gateway</html>")
    with pytest.raises(TemporaryError):
        client.warehouses(CIPHER)


@responses.activate
def test_200_that_is_not_an_envelope_is_permanent(client: TikTokClient) -> None:
    responses.get(f"{BASE}/logistics/202309/warehouses", body="<html>login</html>")
    with pytest.raises(PermanentError, match="not an Open API envelope"):
        client.warehouses(CIPHER)


@responses.activate
def test_the_request_signature_is_neither_logged_nor_quoted(client: TikTokClient, caplog) -> None:
    """A signature lets whoever reads it replay the request while its timestamp is valid."""
    url = f"{BASE}/logistics/202309/warehouses"
    responses.get(url, json=ok({"warehouses": []}))
    responses.get(url, body=requests.ConnectionError(f"reset while sending {url}?app_key=k&sign=abcdef0123456789"))
    with caplog.at_level(logging.DEBUG):
        client.warehouses(CIPHER)
    sent = query(responses.calls[0].request)["sign"]
    assert "sign=***" in caplog.text and sent not in caplog.text
    with pytest.raises(TemporaryError) as info:
        client.warehouses(CIPHER)
    assert "sign=***" in str(info.value) and "abcdef0123456789" not in str(info.value)


@pytest.mark.parametrize(
    ("code", "shown"),
    [
        ("1e400", "Infinity (a number that is not an integer)"),
        ("-1e400", "-Infinity (a number that is not an integer)"),
        ("NaN", "NaN (a number that is not an integer)"),
        ('"abc"', '"abc" (a string)'),
        ('"0"', '"0" (a string)'),
        ("[1]", "[1] (an array)"),
        ("null", "null"),
        ("true", "true (a boolean)"),
        ("false", "false (a boolean)"),
        ("1.5", "1.5 (a number that is not an integer)"),
        ("0.5", "0.5 (a number that is not an integer)"),
    ],
)
@responses.activate
def test_a_code_that_is_no_integer_is_a_malformed_answer(client: TikTokClient, code: str, shown: str) -> None:
    """Python reads a JSON boolean as an int and int() truncates a fraction: ``false`` or ``0.5``
    would read as 0, success. Such an answer is no Open API envelope, like one without a code;
    JSON also allows a number too big for a float (read as inf, which int() refuses)."""
    body = f'{{"code": {code}, "message": "odd", "request_id": "req-9"}}'
    responses.get(f"{BASE}/logistics/202309/warehouses", body=body, content_type="application/json")
    with pytest.raises(PermanentError) as info:
        client.warehouses(CIPHER)
    exc = info.value
    assert type(exc) is PermanentError
    assert f"its code is {shown}, not an integer" in str(exc) and "server said 'odd'" in str(exc)
    assert (exc.code, exc.status, exc.request_id) == (None, 200, "req-9")


@pytest.mark.parametrize("code", ["1.0", "-0.0", "36009003.0"])
@responses.activate
def test_a_code_written_as_a_whole_float_is_that_integer(clock: Clock, code: str) -> None:
    """JSON has one kind of number: ``1.0`` is the integer 1."""
    client = TikTokClient(BASE, APP_KEY, SECRET, TOKEN, policy=HttpPolicy(max_attempts=1), clock=clock)
    body = f'{{"code": {code}, "message": "odd", "request_id": "req-9", "data": {{"warehouses": []}}}}'
    responses.get(f"{BASE}/logistics/202309/warehouses", body=body, content_type="application/json")
    if float(code) == 0:
        assert list(client.warehouses(CIPHER).items) == []
        return
    with pytest.raises((PermanentError, TemporaryError)) as info:
        client.warehouses(CIPHER)
    assert info.value.code == int(float(code))


@responses.activate
def test_a_code_that_is_no_integer_in_an_http_error_is_judged_by_the_status(clock: Clock) -> None:
    """As with an answer that has no code: the HTTP status says what happened (a 503 is temporary)."""
    client = TikTokClient(BASE, APP_KEY, SECRET, TOKEN, policy=HttpPolicy(max_attempts=1), clock=clock)
    body = '{"code": true, "message": "odd", "request_id": "req-9"}'
    responses.get(f"{BASE}/logistics/202309/warehouses", status=503, body=body, content_type="application/json")
    with pytest.raises(TemporaryError, match="HTTP 503") as info:
        client.warehouses(CIPHER)
    assert (info.value.code, info.value.status) == (None, 503)


@responses.activate
def test_a_code_that_is_no_integer_never_quotes_a_secret(client: TikTokClient) -> None:
    body = f'{{"code": "{TOKEN}", "message": "odd {TOKEN}", "request_id": "req-9"}}'
    responses.get(f"{BASE}/logistics/202309/warehouses", body=body, content_type="application/json")
    with pytest.raises(PermanentError, match="not an integer") as info:
        client.warehouses(CIPHER)
    assert TOKEN not in str(info.value)


@responses.activate(registry=OrderedRegistry)
def test_rate_limited_is_retried_after_retry_after_and_re_signed(
    client: TikTokClient, clock: Clock, assert_signed: Signed
) -> None:
    url = f"{BASE}/logistics/202309/warehouses"
    responses.get(url, status=429, json=fail(36009002, "too many"), headers={"Retry-After": "3"})
    responses.get(url, json=ok({"warehouses": []}))
    client.warehouses(CIPHER)
    assert clock.sleeps == [3.0]
    one, two = (c.request for c in responses.calls)
    assert int(query(two)["timestamp"]) == int(query(one)["timestamp"]) + 3  # fresh timestamp
    assert_signed(two, cipher=True)


@responses.activate(registry=OrderedRegistry)
def test_5xx_retried_then_success(client: TikTokClient, clock: Clock) -> None:
    url = f"{BASE}/logistics/202309/warehouses"
    responses.get(url, status=500, json=fail(36009003))
    responses.get(url, json=ok({"warehouses": []}))
    assert client.warehouses(CIPHER).items == ()
    assert len(responses.calls) == 2 and len(clock.sleeps) == 1


@responses.activate(registry=OrderedRegistry)
def test_connection_error_retried(client: TikTokClient) -> None:
    url = f"{BASE}/logistics/202309/warehouses"
    responses.get(url, body=requests.ConnectionError("reset"))
    responses.get(url, json=ok({"warehouses": []}))
    client.warehouses(CIPHER)
    assert len(responses.calls) == 2


@responses.activate(registry=OrderedRegistry)
def test_permanent_error_is_not_retried(client: TikTokClient, clock: Clock) -> None:
    responses.get(f"{BASE}/logistics/202309/warehouses", status=401, json=fail(106001))
    with pytest.raises(PermanentError):
        client.warehouses(CIPHER)
    assert len(responses.calls) == 1 and clock.sleeps == []


@responses.activate(registry=OrderedRegistry)
def test_secrets_never_in_exception_text_or_logs(client: TikTokClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"{BASE}/logistics/202309/warehouses"
    echo = f"token {TOKEN} with secret {SECRET} is invalid"
    responses.get(url, body=requests.ConnectionError(f"{url}?access_token={TOKEN}&app_secret={SECRET}"))
    responses.get(url, status=401, json=fail(36009004, echo))
    with pytest.raises(PermanentError) as info:
        client.warehouses(CIPHER)
    for text in (str(info.value), info.value.message, caplog.text, repr(client.http.auth)):
        assert TOKEN not in text and SECRET not in text
    assert isinstance(client.http.auth, TikTokAuth)


@responses.activate
def test_malformed_records_become_record_errors_and_the_rest_go_on(client: TikTokClient) -> None:
    warehouses = [
        {"id": "W1", "name": "Good", "address": {"city": "Shenzhen", "distict": "Bao'an"}},
        {"name": "No id"},
        {"id": "W3", "name": 42},
        {"id": 7000000000000000004, "name": "Numeric id", "address": None},
        {"id": "W5", "address": {"city": ["not", "text"]}},
        "not even an object",
    ]
    responses.get(f"{BASE}/logistics/202309/warehouses", json=ok({"warehouses": warehouses}))
    found = client.warehouses(CIPHER)
    assert [w["id"] for w in found.items] == ["W1"]
    texts = [str(e) for e in found.errors]
    by_record = {e.record: e.field for e in found.errors}
    assert by_record["warehouse #1"] == "id"
    assert by_record["warehouse W3"] == "name"
    assert by_record["warehouse 7000000000000000004"] == "address"
    assert by_record["warehouse W5"] == "address.city"
    assert "warehouse #5" in by_record
    assert all(t.startswith("TikTok /logistics/202309/warehouses: warehouse") for t in texts)


@responses.activate
def test_numeric_ids_are_strings_and_nulls_are_empty(client: TikTokClient) -> None:
    raw = {"id": 7000000000000000004, "name": None, "address": {"city": None}}
    responses.get(f"{BASE}/logistics/202309/warehouses", json=ok({"warehouses": [raw]}))
    (w,) = client.warehouses(CIPHER).items
    assert w["id"] == "7000000000000000004" and w["name"] == "" and w["address"]["city"] == ""


def test_default_policy_paces_below_the_documented_limit() -> None:
    client = TikTokClient(BASE, APP_KEY, SECRET, TOKEN)
    assert client.http.policy.rate_limit_qps == DEFAULT_RATE_LIMIT_QPS == 45  # 90 % of the API's 50/s
    client.close()


@responses.activate(registry=OrderedRegistry)
def test_idempotent_post_is_retried_after_a_lost_answer(client: TikTokClient) -> None:
    url = f"{BASE}/product/202309/products/search"
    responses.post(url, status=500, json=fail(36009003))
    responses.post(url, json=ok({"products": []}))
    assert client.call("POST", "/product/202309/products/search", cipher=CIPHER, body={}, idempotent=True) == {
        "products": []
    }
    assert len(responses.calls) == 2


@responses.activate(registry=OrderedRegistry)
def test_post_is_not_idempotent_by_default_so_a_5xx_is_outcome_unknown(client: TikTokClient) -> None:
    url = f"{BASE}/product/202309/products"
    responses.post(url, status=500, json=fail(36009003))
    responses.post(url, json=ok({"product_id": "1"}))
    with pytest.raises(OutcomeUnknownError):
        client.call("POST", "/product/202309/products", cipher=CIPHER, body={"title": "t"})
    assert len(responses.calls) == 1  # never resent: it could create a second product
