"""core/http.py: timeouts, retry only TemporaryError, Retry-After, bounded stop, rate limit, redaction."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
import requests
import responses
from responses.registries import OrderedRegistry

from erpsync.core.errors import PermanentError, TemporaryError
from erpsync.core.http import HttpClient, HttpPolicy, RateLimiter, parse_retry_after, redact

URL = "https://api.example.test/v1/things"
TOKEN = "tok-SECRET-123456"


class FakeClock:
    """A monotonic clock that only moves when someone sleeps: tests never wait."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make(clock: FakeClock, **policy: object) -> HttpClient:
    return HttpClient("demo", HttpPolicy(**policy), secrets=[TOKEN], sleep=clock.sleep, clock=clock)


@responses.activate
def test_success_sends_both_timeouts(clock: FakeClock) -> None:
    responses.get(URL, json={"ok": True})
    client = make(clock, connect_timeout=3, read_timeout=7)
    assert client.request("GET", URL).json() == {"ok": True}
    assert responses.calls[0].request.req_kwargs["timeout"] == (3, 7)
    assert clock.sleeps == []


def test_policy_rejects_missing_timeouts() -> None:
    with pytest.raises(ValueError, match="timeouts"):
        HttpPolicy(read_timeout=0)
    with pytest.raises(ValueError):
        HttpPolicy(max_attempts=0)


@responses.activate(registry=OrderedRegistry)
def test_429_honours_retry_after_seconds(clock: FakeClock) -> None:
    responses.get(URL, status=429, headers={"Retry-After": "7"})
    responses.get(URL, json={"ok": True})
    assert make(clock).request("GET", URL).status_code == 200
    assert clock.sleeps == [7.0]
    assert len(responses.calls) == 2


@responses.activate(registry=OrderedRegistry)
def test_retry_after_as_http_date(clock: FakeClock) -> None:
    later = datetime.fromtimestamp(4_000_000_000 + 30, tz=UTC)
    assert parse_retry_after(format_datetime(later, usegmt=True), now=4_000_000_000) == pytest.approx(30)
    assert parse_retry_after("garbage") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after(format_datetime(later, usegmt=True), now=4_000_000_100) == 0.0


@responses.activate(registry=OrderedRegistry)
def test_5xx_retried_with_jittered_exponential_backoff_then_success(clock: FakeClock) -> None:
    responses.get(URL, status=500)
    responses.get(URL, status=503)
    responses.get(URL, json={"ok": 1})
    client = make(clock, backoff_initial=0.5, backoff_jitter=0.5)
    assert client.request("GET", URL).json() == {"ok": 1}
    assert len(responses.calls) == 3
    first, second = clock.sleeps
    assert 0.5 <= first <= 1.0
    assert 1.0 <= second <= 1.5


@responses.activate(registry=OrderedRegistry)
def test_permanent_4xx_is_not_retried(clock: FakeClock) -> None:
    responses.get(URL, status=404, body="no such thing")
    with pytest.raises(PermanentError) as info:
        make(clock).request("GET", URL, operation="get thing")
    assert len(responses.calls) == 1
    assert clock.sleeps == []
    assert info.value.status == 404
    assert "demo get thing" in str(info.value)


@responses.activate(registry=OrderedRegistry)
def test_connection_error_and_timeout_are_retried(clock: FakeClock) -> None:
    responses.get(URL, body=requests.ConnectionError("connection reset"))
    responses.get(URL, body=requests.ReadTimeout("read timed out"))
    responses.get(URL, json={"ok": True})
    assert make(clock).request("GET", URL).ok
    assert len(responses.calls) == 3
    assert len(clock.sleeps) == 2


@responses.activate(registry=OrderedRegistry)
def test_bounded_by_max_attempts_and_reraises_our_error(clock: FakeClock) -> None:
    for _ in range(5):
        responses.get(URL, status=503)
    with pytest.raises(TemporaryError) as info:
        make(clock, max_attempts=3).request("GET", URL)
    assert len(responses.calls) == 3
    assert len(clock.sleeps) == 2
    assert info.value.status == 503


@responses.activate(registry=OrderedRegistry)
def test_bounded_by_total_wait(clock: FakeClock) -> None:
    for _ in range(5):
        responses.get(URL, status=429, headers={"Retry-After": "20"})
    with pytest.raises(TemporaryError) as info:
        make(clock, max_attempts=10, max_wait=50).request("GET", URL)
    assert clock.sleeps == [20.0, 20.0]  # a third sleep would make 60 s > 50 s
    assert len(responses.calls) == 3
    assert info.value.retry_after == 20.0


@responses.activate(registry=OrderedRegistry)
def test_retry_after_beyond_budget_gives_up_at_once(clock: FakeClock) -> None:
    responses.get(URL, status=429, headers={"Retry-After": "3600"})
    with pytest.raises(TemporaryError) as info:
        make(clock, max_wait=60).request("GET", URL)
    assert clock.sleeps == []
    assert info.value.retry_after == 3600.0  # the caller can schedule the next run


@responses.activate(registry=OrderedRegistry)
def test_classify_turns_a_200_into_our_error(clock: FakeClock) -> None:
    responses.get(URL, json={"error": "busy"})
    responses.get(URL, json={"error": "bad"})

    def classify(response: requests.Response, operation: str) -> TemporaryError | PermanentError | None:
        body = response.json()
        if body.get("error") == "busy":
            return TemporaryError("busy", retry_after=2, connector="demo", operation=operation)
        if body.get("error"):
            return PermanentError(body["error"], connector="demo", operation=operation)
        return None

    client = HttpClient("demo", HttpPolicy(), classify=classify, sleep=clock.sleep, clock=clock)
    with pytest.raises(PermanentError, match="bad"):
        client.request("GET", URL)
    assert clock.sleeps == [2.0]
    assert len(responses.calls) == 2


def test_rate_limiter_paces_one_key_on_a_fake_clock(clock: FakeClock) -> None:
    limiter = RateLimiter(2, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        limiter.acquire("a")
    assert clock.sleeps == [0.5, 0.5, 0.5, 0.5]
    assert clock.now - 1000.0 == pytest.approx(2.0)  # 5 calls at 2 QPS span 2 s
    limiter.acquire("b")  # another key has its own bucket
    assert len(clock.sleeps) == 4


def test_rate_limiter_refills_and_allows_a_burst(clock: FakeClock) -> None:
    limiter = RateLimiter(10, burst=3, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        limiter.acquire()
    assert clock.sleeps == []
    limiter.acquire()
    assert clock.sleeps == [pytest.approx(0.1)]
    clock.now += 10  # idle: the bucket refills to the burst, no more
    for _ in range(3):
        limiter.acquire()
    assert len(clock.sleeps) == 1


def test_rate_limiter_is_thread_safe() -> None:
    frozen = FakeClock()
    waits: list[float] = []
    lock = threading.Lock()

    def no_sleep(seconds: float) -> None:
        with lock:
            waits.append(seconds)

    limiter = RateLimiter(100, clock=frozen, sleep=no_sleep)  # time never moves: every token queues

    def worker() -> None:
        for _ in range(25):
            limiter.acquire("k")

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # each of the 100 calls reserved its own slot: waits are exactly 1/100, 2/100, ... 99/100
    assert sorted(round(w * 100) for w in waits) == list(range(1, 100))


@responses.activate
def test_client_rate_limits_per_path(clock: FakeClock) -> None:
    responses.get(URL, json={})
    responses.get(URL + "/other", json={})
    client = make(clock, rate_limit_qps=10)
    for _ in range(3):
        client.request("GET", URL)
    client.request("GET", URL + "/other")
    assert clock.sleeps == [pytest.approx(0.1), pytest.approx(0.1)]


def test_redact_hides_secret_values_and_secret_query_params() -> None:
    text = f"GET https://x/y?app_key=k&access_token=abc&app_secret=def&sign=s header {TOKEN}"
    out = redact(text, [TOKEN])
    assert TOKEN not in out and "abc" not in out and "def" not in out
    assert "access_token=***" in out and "app_secret=***" in out and "app_key=k" in out
    assert redact("nothing", ["", "x"]) == "nothing"


@responses.activate(registry=OrderedRegistry)
def test_secrets_never_in_logs_or_exception_text(clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="erpsync.core.http")
    url = f"{URL}?access_token={TOKEN}"
    responses.get(url, body=requests.ConnectionError(f"failed to reach {url}"))
    responses.get(url, status=400, body=f"bad token {TOKEN}")
    with pytest.raises(PermanentError) as info:
        make(clock).request("GET", URL, params={"access_token": TOKEN}, headers={"x-token": TOKEN})
    assert len(responses.calls) == 2
    assert TOKEN not in str(info.value)
    assert TOKEN not in caplog.text
    assert "access_token=***" in caplog.text  # the URL is logged, its secret is not
    assert "connection failed" in caplog.text  # the retry was logged


@responses.activate
def test_temporary_error_text_is_redacted(clock: FakeClock) -> None:
    responses.get(URL, body=requests.ConnectionError(f"cannot connect with {TOKEN}"))
    with pytest.raises(TemporaryError) as info:
        make(clock, max_attempts=1).request("GET", URL)
    assert TOKEN not in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__
