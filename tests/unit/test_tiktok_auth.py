"""Shop authorisation: authorize URL, token calls, TokenManager refresh, 105002 retry, multipart."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
import responses
from open_api_fakes import fail, ok, query
from responses.registries import OrderedRegistry
from urllib3.exceptions import MaxRetryError, NewConnectionError

from erpsync.connectors.tiktok.auth import (
    TOKEN_POLICY,
    TokenClient,
    TokenManager,
    authorize_url,
    token_policy,
)
from erpsync.connectors.tiktok.client import TikTokClient
from erpsync.connectors.tiktok.seller import TikTokSellerConnector
from erpsync.core.connector import ShopContext
from erpsync.core.errors import AuthError, OutcomeUnknownError, PermanentError, TemporaryError
from erpsync.core.http import HttpPolicy
from erpsync.core.ports import TokenRecord

AUTH = "https://auth.test"
BASE = "https://open-api.test"
APP_KEY = "appkey123"
SECRET = "s3cr3t-app-secret"
CODE = "AUTHCODE-xyz-777"
NOW = 1_700_000_000
T_NOW = datetime.fromtimestamp(NOW, tz=UTC)
OLD_ACCESS, OLD_REFRESH = "ROW_old-access-111", "ROW_old-refresh-111"
NEW_ACCESS, NEW_REFRESH = "ROW_new-access-222", "ROW_new-refresh-222"
CIPHER = "ROW_cipher"


class Clock:
    """One fake time for the client (Unix seconds) and the token manager (aware datetime)."""

    def __init__(self) -> None:
        self.now = float(NOW)

    def __call__(self) -> float:
        return self.now

    def dt(self) -> datetime:
        return datetime.fromtimestamp(self.now, tz=UTC)

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class MemoryTokens:
    """A TokenStore in a dict, counting writes."""

    def __init__(self, **records: TokenRecord) -> None:
        self.records = dict(records)
        self.puts: list[tuple[str, TokenRecord, datetime]] = []

    def get(self, shop: str) -> TokenRecord | None:
        return self.records.get(shop)

    def put(self, shop: str, token: TokenRecord, *, now: datetime) -> None:
        self.records[shop] = token
        self.puts.append((shop, token, now))


def record(access: str = OLD_ACCESS, refresh: str = OLD_REFRESH, *, access_in: timedelta, **kw: object) -> TokenRecord:
    fields: dict = {
        "access_token": access,
        "access_token_expires_at": T_NOW + access_in,
        "refresh_token": refresh,
        "refresh_token_expires_at": T_NOW + timedelta(days=30),
        "seller_name": "Demo Seller",
        "seller_base_region": "GB",
        "granted_scopes": ("seller.logistics",),
        **kw,
    }
    return TokenRecord(**fields)


def token_data(access: str = NEW_ACCESS, refresh: str = NEW_REFRESH, **kw: object) -> dict:
    return {
        "access_token": access,
        "access_token_expire_in": NOW + 7 * 86400,
        "refresh_token": refresh,
        "refresh_token_expire_in": NOW + 60 * 86400,
        "open_id": "open-1",
        "seller_name": "Demo Seller",
        "seller_base_region": "GB",
        "user_type": 0,
        "granted_scopes": ["seller.authorization.info", "seller.logistics"],
        **kw,
    }


def refused(url: str) -> requests.ConnectionError:
    """A connection refused before anything was sent: the one network failure a token call retries."""
    reason = NewConnectionError(None, f"cannot connect for {url}")  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, url, reason))  # type: ignore[arg-type]


def expected_sign(request: requests.PreparedRequest, *, body: bool = True) -> str:
    params = {k: v for k, v in query(request).items() if k not in ("sign", "access_token")}
    text = urlsplit(request.url).path + "".join(k + params[k] for k in sorted(params))
    raw = (request.body or b"") if body else b""
    raw = raw if isinstance(raw, bytes) else raw.encode()
    message = SECRET.encode() + text.encode() + raw + SECRET.encode()
    return hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def token_client(clock: Clock) -> TokenClient:
    return TokenClient(AUTH, APP_KEY, SECRET, policy=HttpPolicy(max_attempts=2), sleep=clock.sleep, shop="acme")


# -- authorize URL and token calls ------------------------------------------------------------


def test_authorize_url_global_and_us() -> None:
    url = authorize_url("7100", "st&ate")
    assert url == "https://services.tiktokshop.com/open/authorize?service_id=7100&state=st%26ate"
    assert authorize_url("7100", "x", region="us").startswith("https://services.tiktokshops.us/open/authorize?")
    assert authorize_url("7100", "x", region="GB").startswith("https://services.tiktokshop.com/")


@responses.activate
def test_exchange_request_shape_and_absolute_expiry(token_client: TokenClient) -> None:
    responses.get(f"{AUTH}/api/v2/token/get", json=ok(token_data()))
    got = token_client.exchange(CODE)
    request = responses.calls[0].request
    assert query(request) == {
        "app_key": APP_KEY,
        "app_secret": SECRET,
        "auth_code": CODE,
        "grant_type": "authorized_code",
    }  # unsigned: no sign, no timestamp
    assert "x-tts-access-token" not in request.headers and request.body is None
    assert got.access_token == NEW_ACCESS and got.refresh_token == NEW_REFRESH
    assert got.access_token_expires_at == T_NOW + timedelta(days=7)  # absolute, not "in N seconds"
    assert got.refresh_token_expires_at == T_NOW + timedelta(days=60)
    assert got.granted_scopes == ("seller.authorization.info", "seller.logistics")
    assert (got.open_id, got.seller_name, got.seller_base_region) == ("open-1", "Demo Seller", "GB")


@responses.activate
def test_refresh_request_shape(token_client: TokenClient) -> None:
    responses.get(f"{AUTH}/api/v2/token/refresh", json=ok(token_data()))
    assert token_client.refresh(OLD_REFRESH).access_token == NEW_ACCESS
    assert query(responses.calls[0].request) == {
        "app_key": APP_KEY,
        "app_secret": SECRET,
        "refresh_token": OLD_REFRESH,
        "grant_type": "refresh_token",
    }


@pytest.mark.parametrize(
    ("code", "what"),
    [
        (36004001, "refresh token has expired"),
        (36004004, "authorisation code is invalid, already used or expired"),
        (36004005, "no authorisation"),
        (36009004, "check app_key and app_secret"),
    ],
)
@responses.activate
def test_token_error_codes_are_permanent_with_guidance(token_client: TokenClient, code: int, what: str) -> None:
    responses.get(f"{AUTH}/api/v2/token/get", json=fail(code, "server words"))
    with pytest.raises(PermanentError) as info:
        token_client.exchange(CODE)
    text = str(info.value)
    assert info.value.code == code and what in text and "server words" in text
    assert "re-authorise: run `erpsync auth url --shop acme` and open the link" in text
    assert len(responses.calls) == 1  # not retried


@responses.activate(registry=OrderedRegistry)
def test_token_endpoint_internal_error_is_not_resent(token_client: TokenClient) -> None:
    # the refresh may have happened (and rotated the refresh token): resending could fail
    for _ in range(2):
        responses.get(f"{AUTH}/api/v2/token/refresh", status=500, json=fail(36009003))
    with pytest.raises(OutcomeUnknownError) as info:
        token_client.refresh(OLD_REFRESH)
    assert len(responses.calls) == 1
    assert "may have issued new tokens" in str(info.value) and info.value.code == 36009003


@responses.activate(registry=OrderedRegistry)
def test_exchange_with_a_lost_answer_is_not_resent(token_client: TokenClient) -> None:
    responses.get(f"{AUTH}/api/v2/token/get", body=requests.ReadTimeout("read timed out"))
    responses.get(f"{AUTH}/api/v2/token/get", json=fail(36004004))  # a resent code is used up
    with pytest.raises(OutcomeUnknownError) as info:
        token_client.exchange(CODE)
    assert len(responses.calls) == 1
    text = str(info.value)
    assert "codes are single use" in text and "erpsync auth url --shop acme" in text and CODE not in text


@responses.activate(registry=OrderedRegistry)
def test_token_rate_limit_and_connect_failure_are_retried(token_client: TokenClient) -> None:
    url = f"{AUTH}/api/v2/token/refresh"
    responses.get(url, json=fail(36009002, "too many requests"))  # HTTP 200: refused, not processed
    responses.get(url, json=ok(token_data()))
    assert token_client.refresh(OLD_REFRESH).access_token == NEW_ACCESS
    responses.get(url, body=refused(url))
    responses.get(url, json=ok(token_data()))
    assert token_client.refresh(OLD_REFRESH).access_token == NEW_ACCESS
    assert len(responses.calls) == 4


def test_token_client_has_its_own_short_policy() -> None:
    client = TokenClient(AUTH, APP_KEY, SECRET)
    assert client.http.policy is TOKEN_POLICY
    assert TOKEN_POLICY.max_attempts == 2 and TOKEN_POLICY.max_wait <= 10
    assert client.http.limiter is None  # a few calls per run: no client-side rate limit
    api = HttpPolicy(connect_timeout=3, read_timeout=60, max_attempts=5, rate_limit_qps=50)
    derived = token_policy(api)
    assert (derived.connect_timeout, derived.read_timeout) == (3, TOKEN_POLICY.read_timeout)
    assert derived.max_attempts == 2 and derived.rate_limit_qps is None and derived.max_wait == TOKEN_POLICY.max_wait
    assert token_policy() is TOKEN_POLICY


@responses.activate(registry=OrderedRegistry)
def test_secrets_never_in_logs_or_errors(token_client: TokenClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"{AUTH}/api/v2/token/get"
    responses.get(url, body=refused(f"{url}?app_secret={SECRET}&auth_code={CODE}"))
    responses.get(url, json=fail(36004004, f"app_secret {SECRET} code {CODE} rejected"))
    with pytest.raises(PermanentError) as info:
        token_client.exchange(CODE)
    responses.get(f"{AUTH}/api/v2/token/refresh", json=fail(36004005, f"refresh {OLD_REFRESH} unknown"))
    with pytest.raises(PermanentError) as again:
        token_client.refresh(OLD_REFRESH)
    responses.get(f"{AUTH}/api/v2/token/refresh", json=ok({"access_token": NEW_ACCESS}))
    with pytest.raises(PermanentError, match="unexpected token response: refresh_token missing") as bad:
        token_client.refresh(OLD_REFRESH)
    texts = [str(info.value), str(again.value), str(bad.value), caplog.text, repr(token_client)]
    for text in texts:
        for secret in (SECRET, CODE, OLD_REFRESH, NEW_ACCESS):
            assert secret not in text
    assert "GET" in caplog.text  # the calls were logged, redacted


# -- TokenManager -------------------------------------------------------------------------------


def manager(store: MemoryTokens, token_client: TokenClient, clock: Clock) -> TokenManager:
    return TokenManager("acme", store, token_client, refresh_margin=timedelta(hours=1), clock=clock.dt)


@responses.activate
def test_fresh_token_is_used_without_calls(token_client: TokenClient, clock: Clock) -> None:
    store = MemoryTokens(acme=record(access_in=timedelta(hours=2)))
    assert manager(store, token_client, clock).access_token() == OLD_ACCESS
    assert len(responses.calls) == 0 and store.puts == []


@responses.activate
def test_refreshes_ahead_of_expiry_and_stores_the_new_token(token_client: TokenClient, clock: Clock) -> None:
    store = MemoryTokens(acme=record(access_in=timedelta(minutes=59)))
    responses.get(f"{AUTH}/api/v2/token/refresh", json=ok(token_data(seller_name="", granted_scopes=[])))
    assert manager(store, token_client, clock).access_token() == NEW_ACCESS
    [(shop, stored, when)] = store.puts
    assert (shop, stored.access_token, stored.refresh_token, when) == ("acme", NEW_ACCESS, NEW_REFRESH, T_NOW)
    assert stored.last_refresh_at == T_NOW
    assert stored.seller_name == "Demo Seller" and stored.granted_scopes == ("seller.logistics",)  # kept


def test_two_threads_refresh_exactly_once(clock: Clock) -> None:
    calls: list[str] = []

    class SlowTokens:
        def refresh(self, refresh_token: str) -> TokenRecord:
            calls.append(refresh_token)
            time.sleep(0.2)  # the other thread arrives while this refresh is in flight
            return record(NEW_ACCESS, NEW_REFRESH, access_in=timedelta(days=7))

    store = MemoryTokens(acme=record(access_in=timedelta(minutes=5)))
    mgr = TokenManager("acme", store, SlowTokens(), clock=clock.dt)  # type: ignore[arg-type]
    got: list[str] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        barrier.wait()
        got.append(mgr.access_token())

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert calls == [OLD_REFRESH] and got == [NEW_ACCESS, NEW_ACCESS] and len(store.puts) == 1


def test_on_expired_refreshes_once_per_rejected_token(clock: Clock) -> None:
    calls: list[str] = []

    class Tokens:
        def refresh(self, refresh_token: str) -> TokenRecord:
            calls.append(refresh_token)
            return record(NEW_ACCESS, NEW_REFRESH, access_in=timedelta(days=7))

    store = MemoryTokens(acme=record(access_in=timedelta(days=3)))
    mgr = TokenManager("acme", store, Tokens(), clock=clock.dt)  # type: ignore[arg-type]
    mgr.on_expired(OLD_ACCESS)
    mgr.on_expired(OLD_ACCESS)  # a second thread saw the same 105002: already replaced
    assert calls == [OLD_REFRESH] and mgr.access_token() == NEW_ACCESS
    mgr.on_expired()  # forced
    assert len(calls) == 2


@responses.activate
def test_expired_refresh_token_asks_to_reauthorise(token_client: TokenClient, clock: Clock) -> None:
    gone = record(access_in=timedelta(minutes=-1), refresh_token_expires_at=T_NOW - timedelta(seconds=1))
    mgr = manager(MemoryTokens(acme=gone), token_client, clock)
    with pytest.raises(PermanentError) as info:
        mgr.access_token()
    assert "refresh token of shop acme expired" in str(info.value)
    assert "erpsync auth url --shop acme" in str(info.value) and len(responses.calls) == 0
    assert OLD_REFRESH not in str(info.value)


def test_no_stored_token_says_how_to_authorise(token_client: TokenClient, clock: Clock) -> None:
    with pytest.raises(PermanentError) as info:
        manager(MemoryTokens(), token_client, clock).access_token()
    assert (
        "no access token for shop acme: run `erpsync auth url --shop acme`, "
        "then `erpsync auth exchange CODE --shop acme`"
    ) in str(info.value)


@responses.activate
def test_refresh_rejected_but_another_process_already_refreshed(token_client: TokenClient, clock: Clock) -> None:
    store = MemoryTokens(acme=record(access_in=timedelta(minutes=5)))
    newer = record(NEW_ACCESS, NEW_REFRESH, access_in=timedelta(days=7))

    def other_process_won(_request: requests.PreparedRequest) -> tuple[int, dict, str]:
        store.records["acme"] = newer  # it refreshed first and rotated the refresh token
        return 200, {}, json.dumps(fail(36004005))

    responses.add_callback(responses.GET, f"{AUTH}/api/v2/token/refresh", callback=other_process_won)
    assert manager(store, token_client, clock).access_token() == NEW_ACCESS


@responses.activate(registry=OrderedRegistry)
def test_temporary_refresh_failure_keeps_the_still_valid_token(token_client: TokenClient, clock: Clock) -> None:
    store = MemoryTokens(acme=record(access_in=timedelta(minutes=30)))
    for _ in range(2):
        responses.get(f"{AUTH}/api/v2/token/refresh", status=503, json=fail(36009003))
    assert manager(store, token_client, clock).access_token() == OLD_ACCESS
    assert store.puts == []


@responses.activate(registry=OrderedRegistry)
def test_failed_refresh_ahead_waits_before_trying_again(token_client: TokenClient, clock: Clock) -> None:
    # an auth-host outage: without the pause every API call would first wait for its own refresh
    store = MemoryTokens(acme=record(access_in=timedelta(minutes=30)))
    url = f"{AUTH}/api/v2/token/refresh"
    responses.get(url, body=refused(url))
    responses.get(url, body=refused(url))
    mgr = manager(store, token_client, clock)
    assert mgr.access_token() == OLD_ACCESS
    assert len(responses.calls) == 2  # the token policy's two attempts
    assert mgr.next_refresh_attempt_at == T_NOW + timedelta(minutes=5)
    for _ in range(5):
        assert mgr.access_token() == OLD_ACCESS
    clock.now += 299
    assert mgr.access_token() == OLD_ACCESS
    assert len(responses.calls) == 2  # not one more call within five minutes
    clock.now += 1
    responses.get(url, json=ok(token_data()))
    assert mgr.access_token() == NEW_ACCESS  # due again: tried, and it worked
    assert len(responses.calls) == 3 and mgr.next_refresh_attempt_at is None


def test_on_expired_refreshes_even_during_the_pause(clock: Clock) -> None:
    calls: list[str] = []

    class Tokens:
        fail = True

        def refresh(self, refresh_token: str) -> TokenRecord:
            calls.append(refresh_token)
            if self.fail:
                raise TemporaryError("auth host down")
            return record(NEW_ACCESS, NEW_REFRESH, access_in=timedelta(days=7))

    tokens = Tokens()
    store = MemoryTokens(acme=record(access_in=timedelta(minutes=30)))
    mgr = TokenManager("acme", store, tokens, clock=clock.dt)  # type: ignore[arg-type]
    assert mgr.access_token() == OLD_ACCESS and mgr.next_refresh_attempt_at is not None
    tokens.fail = False
    mgr.on_expired(OLD_ACCESS)  # the API rejected the token: the pause does not apply
    assert len(calls) == 2 and mgr.access_token() == NEW_ACCESS


def test_expired_token_is_refreshed_whatever_the_pause(clock: Clock) -> None:
    calls: list[str] = []

    class Tokens:
        def refresh(self, refresh_token: str) -> TokenRecord:
            calls.append(refresh_token)
            raise TemporaryError("auth host down")

    store = MemoryTokens(acme=record(access_in=timedelta(minutes=2)))
    mgr = TokenManager("acme", store, Tokens(), clock=clock.dt)  # type: ignore[arg-type]
    assert mgr.access_token() == OLD_ACCESS
    clock.now += 180  # the token has now expired, still inside the five-minute pause
    with pytest.raises(TemporaryError):
        mgr.access_token()
    assert len(calls) == 2


@responses.activate
def test_lost_refresh_answer_rereads_the_store(token_client: TokenClient, clock: Clock) -> None:
    store = MemoryTokens(acme=record(access_in=timedelta(minutes=5)))
    newer = record(NEW_ACCESS, NEW_REFRESH, access_in=timedelta(days=7))

    def other_process_refreshed_then_timeout(_request: requests.PreparedRequest) -> requests.ReadTimeout:
        store.records["acme"] = newer
        raise requests.ReadTimeout("read timed out")

    responses.add_callback(responses.GET, f"{AUTH}/api/v2/token/refresh", callback=other_process_refreshed_then_timeout)
    mgr = manager(store, token_client, clock)
    mgr.on_expired(OLD_ACCESS)  # no error: the store holds a token newer than the rejected one
    assert mgr.access_token() == NEW_ACCESS and len(responses.calls) == 1 and store.puts == []


@responses.activate
def test_lost_refresh_answer_without_a_newer_token_fails(token_client: TokenClient, clock: Clock) -> None:
    store = MemoryTokens(acme=record(access_in=timedelta(minutes=5)))
    responses.get(f"{AUTH}/api/v2/token/refresh", body=requests.ReadTimeout("read timed out"))
    mgr = manager(store, token_client, clock)
    with pytest.raises(OutcomeUnknownError):
        mgr.on_expired(OLD_ACCESS)
    assert len(responses.calls) == 1
    assert mgr.access_token() == OLD_ACCESS  # a refresh-ahead fails the same way: the token is still valid
    assert len(responses.calls) == 2 and mgr.next_refresh_attempt_at == T_NOW + timedelta(minutes=5)


# -- the signed client with managed tokens --------------------------------------------------------


def managed_client(clock: Clock, store: MemoryTokens) -> TikTokClient:
    tokens = TokenClient(AUTH, APP_KEY, SECRET, policy=HttpPolicy(max_attempts=1), shop="acme")
    mgr = TokenManager("acme", store, tokens, clock=clock.dt)
    policy = HttpPolicy(max_attempts=2)
    return TikTokClient(BASE, APP_KEY, SECRET, tokens=mgr, policy=policy, clock=clock, sleep=clock.sleep)


@responses.activate(registry=OrderedRegistry)
def test_105002_refreshes_once_and_retries_with_the_new_token(clock: Clock) -> None:
    store = MemoryTokens(acme=record(access_in=timedelta(days=3)))  # the server revoked it early
    url = f"{BASE}/logistics/202309/warehouses"
    responses.get(url, status=401, json=fail(105002, "Access token expired"))

    def refresh(_request: requests.PreparedRequest) -> tuple[int, dict, str]:
        clock.now += 7  # the refresh takes a while: the retry gets a fresh timestamp
        return 200, {}, json.dumps(ok(token_data()))

    responses.add_callback(responses.GET, f"{AUTH}/api/v2/token/refresh", callback=refresh)
    responses.get(url, json=ok({"warehouses": []}))
    client = managed_client(clock, store)
    assert client.warehouses(CIPHER).items == ()
    first, refresh_call, retried = (c.request for c in responses.calls)
    assert first.headers["x-tts-access-token"] == OLD_ACCESS
    assert query(refresh_call)["refresh_token"] == OLD_REFRESH
    assert retried.headers["x-tts-access-token"] == NEW_ACCESS
    assert query(retried)["sign"] == expected_sign(retried) != query(first)["sign"]
    assert int(query(retried)["timestamp"]) == NOW + 7
    assert store.records["acme"].access_token == NEW_ACCESS


@responses.activate(registry=OrderedRegistry)
def test_second_105002_is_permanent(clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    store = MemoryTokens(acme=record(access_in=timedelta(days=3)))
    url = f"{BASE}/logistics/202309/warehouses"
    responses.get(url, status=401, json=fail(105002, f"token {OLD_ACCESS} expired"))
    responses.get(f"{AUTH}/api/v2/token/refresh", json=ok(token_data()))
    responses.get(url, status=401, json=fail(105002, f"token {NEW_ACCESS} expired"))
    with pytest.raises(AuthError) as info:
        managed_client(clock, store).warehouses(CIPHER)
    assert len(responses.calls) == 3  # one refresh, one retry, no more
    assert info.value.code == 105002 and "still expired right after a refresh" in str(info.value)
    assert "erpsync auth url --shop acme" in str(info.value)
    for text in (str(info.value), caplog.text):
        assert OLD_ACCESS not in text and NEW_ACCESS not in text and SECRET not in text


@responses.activate(registry=OrderedRegistry)
def test_105002_with_an_expired_refresh_token_asks_to_reauthorise(clock: Clock) -> None:
    old = record(access_in=timedelta(days=3), refresh_token_expires_at=T_NOW - timedelta(days=1))
    responses.get(f"{BASE}/logistics/202309/warehouses", status=401, json=fail(105002))
    with pytest.raises(PermanentError, match=r"refresh token of shop acme expired.*erpsync auth url --shop acme"):
        managed_client(clock, MemoryTokens(acme=old)).warehouses(CIPHER)


@responses.activate
def test_static_token_105002_is_permanent_without_refresh(clock: Clock) -> None:
    responses.get(f"{BASE}/logistics/202309/warehouses", status=401, json=fail(105002))
    client = TikTokClient(BASE, APP_KEY, SECRET, OLD_ACCESS, policy=HttpPolicy(max_attempts=1), clock=clock)
    with pytest.raises(PermanentError, match="access token expired: re-authorise"):
        client.warehouses(CIPHER)
    assert len(responses.calls) == 1


def test_client_needs_exactly_one_token_source() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        TikTokClient(BASE, APP_KEY, SECRET)


@responses.activate
def test_multipart_upload_signs_without_body_and_sends_no_cipher(clock: Clock) -> None:
    url = f"{BASE}/product/202309/images/upload"
    responses.post(url, json=ok({"uri": "tos-1", "url": "https://img", "width": 1, "height": 1}))
    client = TikTokClient(BASE, APP_KEY, SECRET, OLD_ACCESS, clock=clock)
    png = b"\x89PNG\r\n\x1a\n fake"
    data = client.call(
        "POST",
        "/product/202309/images/upload",
        cipher=CIPHER,
        files={"data": ("a.png", png, "image/png")},
        form={"use_case": "MAIN_IMAGE"},
        operation="upload image",
    )
    assert data["uri"] == "tos-1"
    request = responses.calls[0].request
    q = query(request)
    assert "shop_cipher" not in q
    assert q["sign"] == expected_sign(request, body=False) != expected_sign(request, body=True)
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert request.headers["x-tts-access-token"] == OLD_ACCESS
    assert png in request.body and b'name="use_case"' in request.body and b"MAIN_IMAGE" in request.body
    assert b'name="data"; filename="a.png"' in request.body
    with pytest.raises(ValueError, match="not both"):
        client.call("POST", "/x", body={}, form={"a": "b"})


# -- the seller connector -----------------------------------------------------------------------

OPTIONS = {"app_key": APP_KEY, "app_secret": SECRET, "shop_id": "7495", "base_url": BASE}


def test_seller_options_for_stored_tokens() -> None:
    loaded = TikTokSellerConnector.Options().load(OPTIONS)
    assert loaded["access_token"] is None and loaded["service_id"] is None
    # base_url is not TikTok's, so the token calls follow it (seller.auth_base_url_for)
    assert loaded["auth_base_url"] == BASE and loaded["refresh_margin_minutes"] == 60


def test_seller_without_token_or_store_says_how_to_authorise() -> None:
    seller = TikTokSellerConnector(OPTIONS, shop=ShopContext(name="acme", base_dir=Path(".")))
    with pytest.raises(PermanentError) as info:
        _ = seller.tiktok_client
    assert "no access token for shop acme: run `erpsync auth url --shop acme`" in str(info.value)


@responses.activate
def test_seller_uses_stored_tokens_through_a_manager(clock: Clock) -> None:
    now = datetime.now(UTC)  # the connector's manager runs on the real clock
    fresh = record(access_in=timedelta(), access_token_expires_at=now + timedelta(days=3))
    store = MemoryTokens(acme=replace(fresh, refresh_token_expires_at=now + timedelta(days=30)))
    options = {**OPTIONS, "refresh_margin_minutes": 30, "auth_base_url": AUTH}
    seller = TikTokSellerConnector(options, shop=ShopContext(name="acme", base_dir=Path("."), tokens=store))
    client = seller.tiktok_client
    assert client is seller.client and client.tokens is not None
    manager = client.tokens
    assert isinstance(manager, TokenManager)
    assert manager.shop == "acme" and manager.refresh_margin == timedelta(minutes=30)
    assert manager.token_client.base_url == AUTH
    responses.get(f"{BASE}/logistics/202309/warehouses", json=ok({"warehouses": []}))
    client.warehouses(CIPHER)
    assert responses.calls[0].request.headers["x-tts-access-token"] == OLD_ACCESS
    seller.close()


def test_seller_static_token_wins() -> None:
    seller = TikTokSellerConnector(
        {**OPTIONS, "access_token": OLD_ACCESS},
        shop=ShopContext(name="acme", base_dir=Path("."), tokens=MemoryTokens()),
    )
    assert seller.tiktok_client.tokens is None
