"""core/http.py: timeouts, retry only TemporaryError, Retry-After, bounded stop, rate limit, redaction,
no blind resend of non-idempotent requests."""

from __future__ import annotations

import http.server
import logging
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import quote, quote_plus

import pytest
import requests
import responses
from loopback import serve
from open_api_fakes import Clock as FakeClock
from responses.registries import OrderedRegistry
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from erpsync.core.errors import OutcomeUnknownError, PermanentError, TemporaryError
from erpsync.core.http import (
    URLLIB3_LOGGERS,
    HttpClient,
    HttpPolicy,
    RateLimiter,
    RedactingFilter,
    install_log_redaction,
    is_connect_failure,
    parse_retry_after,
    redact,
)

URL = "https://api.example.test/v1/things"
TOKEN = "tok-SECRET-123456"


@pytest.fixture
def clock() -> FakeClock:
    """A monotonic clock that only moves when someone sleeps: tests never wait."""
    return FakeClock(1000.0)


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


def test_parse_retry_after_forms() -> None:
    later = datetime.fromtimestamp(4_000_000_000 + 30, tz=UTC)
    assert parse_retry_after(format_datetime(later, usegmt=True), now=4_000_000_000) == pytest.approx(30)
    assert parse_retry_after("garbage") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after(format_datetime(later, usegmt=True), now=4_000_000_100) == 0.0
    # floats to Python, but no wait a server can mean: read as no header, never as a wait for ever
    assert [parse_retry_after(v) for v in ("inf", "-inf", "nan", "1e400")] == [None] * 4
    assert parse_retry_after(" 2.5 ") == 2.5 and parse_retry_after("-3") == 0.0


@responses.activate(registry=OrderedRegistry)
def test_retry_after_as_http_date(clock: FakeClock) -> None:
    # the date is absolute and compared with the wall clock, so it is built from the wall clock
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=40)
    responses.get(URL, status=503, headers={"Retry-After": format_datetime(later, usegmt=True)})
    responses.get(URL, json={"ok": True})
    assert make(clock).request("GET", URL).ok
    assert len(responses.calls) == 2
    [slept] = clock.sleeps
    assert slept == pytest.approx(40, abs=2)  # the delta to the date, not the exponential backoff


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


# -- non-idempotent requests: retried only when the failure proves nothing was processed ------


def connect_refused() -> requests.ConnectionError:
    """What ``requests`` raises when the TCP connection is refused: nothing was sent."""
    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] refused")  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, URL, reason))  # type: ignore[arg-type]


@responses.activate(registry=OrderedRegistry)
def test_post_is_not_resent_after_a_read_timeout(clock: FakeClock) -> None:
    responses.post(URL, body=requests.ReadTimeout("read timed out"))
    responses.post(URL, json={"created": 2})  # a resend would have created a second thing
    with pytest.raises(OutcomeUnknownError) as info:
        make(clock).request("POST", URL, json={"name": "mug"}, operation="create thing")
    assert len(responses.calls) == 1 and clock.sleeps == []
    text = str(info.value)
    assert "timed out" in text and "may have taken effect" in text and "before sending it again" in text
    assert isinstance(info.value, TemporaryError)  # a run still treats it as a temporary failure


@pytest.mark.parametrize(
    "failure",
    [
        {"status": 500},
        {"status": 503, "headers": {"Retry-After": "1"}},
        {"body": requests.ConnectionError("connection reset by peer")},  # unknown stage: assume sent
        {"body": requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError()))},
    ],
    ids=["500", "503", "reset", "aborted"],
)
@responses.activate(registry=OrderedRegistry)
def test_post_is_not_resent_after_a_5xx_or_a_dropped_connection(clock: FakeClock, failure: dict) -> None:
    responses.post(URL, **failure)
    responses.post(URL, json={})
    with pytest.raises(OutcomeUnknownError) as info:
        make(clock).request("POST", URL)
    assert len(responses.calls) == 1
    assert info.value.status == failure.get("status")


@responses.activate(registry=OrderedRegistry)
def test_post_is_retried_after_429(clock: FakeClock) -> None:
    responses.post(URL, status=429, headers={"Retry-After": "3"})
    responses.post(URL, json={"ok": True})
    assert make(clock).request("POST", URL, json={}).ok
    assert len(responses.calls) == 2 and clock.sleeps == [3.0]


@pytest.mark.parametrize(
    "failure", [requests.ConnectTimeout("connect timed out"), connect_refused()], ids=["connect-timeout", "refused"]
)
@responses.activate(registry=OrderedRegistry)
def test_post_is_retried_after_a_connect_failure(clock: FakeClock, failure: Exception) -> None:
    responses.post(URL, body=failure)
    responses.post(URL, json={"ok": True})
    assert make(clock).request("POST", URL, json={}).ok
    assert len(responses.calls) == 2


@responses.activate(registry=OrderedRegistry)
def test_post_gives_up_with_a_plain_temporary_error_when_it_never_got_through(clock: FakeClock) -> None:
    for _ in range(3):
        responses.post(URL, status=429)
    with pytest.raises(TemporaryError) as info:
        make(clock, max_attempts=3).request("POST", URL)
    assert not isinstance(info.value, OutcomeUnknownError)  # safe to send again later
    assert len(responses.calls) == 3


@responses.activate(registry=OrderedRegistry)
def test_unprocessed_codes_mark_a_200_rate_limit_as_safe_to_resend(clock: FakeClock) -> None:
    responses.post(URL, json={"code": 7})  # the API's rate-limit code, with HTTP 200
    responses.post(URL, json={"code": 0})
    responses.post(URL, json={"code": 8})  # its internal error: the write may have happened
    responses.post(URL, json={"code": 0})

    def classify(response: requests.Response, operation: str) -> TemporaryError | None:
        code = response.json()["code"]
        return TemporaryError("busy", code=code, status=200, operation=operation) if code else None

    client = HttpClient("demo", HttpPolicy(), classify=classify, sleep=clock.sleep, unprocessed_codes={7})
    assert client.request("POST", URL).ok
    assert len(responses.calls) == 2
    with pytest.raises(OutcomeUnknownError) as info:
        client.request("POST", URL)
    assert len(responses.calls) == 3 and info.value.code == 8


@responses.activate(registry=OrderedRegistry)
def test_idempotent_post_keeps_the_retries(clock: FakeClock) -> None:
    responses.post(URL, body=requests.ReadTimeout("read timed out"))
    responses.post(URL, status=502)
    responses.post(URL, json={"ok": True})
    assert make(clock).request("POST", URL, json={"query": 1}, idempotent=True).ok
    assert len(responses.calls) == 3 and len(clock.sleeps) == 2


@responses.activate(registry=OrderedRegistry)
def test_get_declared_non_idempotent_is_not_resent(clock: FakeClock) -> None:
    responses.get(URL, status=500)
    responses.get(URL, json={})
    with pytest.raises(OutcomeUnknownError):
        make(clock).request("GET", URL, idempotent=False)
    assert len(responses.calls) == 1


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@responses.activate(registry=OrderedRegistry)
def test_idempotent_methods_are_retried_by_default(clock: FakeClock, method: str) -> None:
    responses.add(method, URL, body=requests.ReadTimeout("read timed out"))
    responses.add(method, URL, status=500)
    responses.add(method, URL, json={})
    assert make(clock).request(method, URL).ok
    assert len(responses.calls) == 3


@responses.activate(registry=OrderedRegistry)
def test_outcome_unknown_from_classify_is_never_retried(clock: FakeClock) -> None:
    responses.get(URL, json={})
    responses.get(URL, json={})

    def classify(response: requests.Response, operation: str) -> OutcomeUnknownError:
        return OutcomeUnknownError("lost", operation=operation)

    client = HttpClient("demo", HttpPolicy(), classify=classify, sleep=clock.sleep)
    with pytest.raises(OutcomeUnknownError, match="lost"):
        client.request("GET", URL)
    assert len(responses.calls) == 1


# -- secrets in encoded URLs and in urllib3's own log lines ----------------------------------

#: secrets with characters a URL encodes, in different ways depending on the encoder
ODD_SECRET = "s3cr3t+/=x y"
ODD_CODE = "ROW_ab+cd/ef=="
ODD_REFRESH = "RT tok/en+=="


def forms(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote(secret), quote_plus(secret)}


def assert_hidden(text: str, *secrets: str) -> None:
    for secret in secrets:
        for form in forms(secret):
            assert form not in text, f"{form!r} leaked"


def test_redact_hides_percent_encoded_secrets() -> None:
    text = " ".join(sorted(forms(ODD_SECRET))) + " other"
    out = redact(f"url?x={quote_plus(ODD_SECRET)}&y={quote(ODD_SECRET, safe='')} {text}", [ODD_SECRET])
    assert_hidden(out, ODD_SECRET)
    assert out.endswith("other")


def test_redact_hides_auth_code_and_code_params() -> None:
    out = redact("GET /api/v2/token/get?auth_code=abc&grant_type=x&code=def&zipcode=123")
    assert "auth_code=***" in out and "&code=***" in out and "abc" not in out and "def" not in out
    assert "zipcode=123" in out  # only whole parameter names


def dead_port() -> int:
    """A loopback port nothing listens on: bound to learn a free one, then closed."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_real_connection_error_text_hides_encoded_secrets() -> None:
    url = f"http://127.0.0.1:{dead_port()}/api/v2/token/get"
    client = HttpClient("demo", HttpPolicy(max_attempts=1, connect_timeout=2), secrets=[ODD_SECRET, ODD_CODE])
    try:
        with pytest.raises(TemporaryError) as info:
            # "x" is no secret-looking name: only the value list can hide it
            client.request("POST", url, params={"x": ODD_SECRET, "auth_code": ODD_CODE})
    finally:
        client.close()
    assert not isinstance(info.value, OutcomeUnknownError)  # refused: provably not sent
    assert "connection failed" in str(info.value) and "127.0.0.1" in str(info.value)
    assert_hidden(str(info.value), ODD_SECRET, ODD_CODE)


def test_is_connect_failure_on_a_real_refused_connection() -> None:
    with pytest.raises(requests.ConnectionError) as info:
        requests.get(f"http://127.0.0.1:{dead_port()}/", timeout=2)
    assert is_connect_failure(info.value)
    assert not is_connect_failure(requests.ConnectionError("reset"))
    assert not is_connect_failure(requests.ReadTimeout("read timed out"))
    assert is_connect_failure(requests.ConnectTimeout("connect timed out"))


class _Quiet(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # the name http.server looks up
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:  # the test reads logs; keep stderr quiet
        pass


@pytest.fixture
def local_server() -> Iterator[str]:
    with serve(_Quiet) as url:
        yield url


def test_debug_logs_of_a_real_call_hide_secrets(local_server: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, urllib3's included, as `erpsync -vv` does
    # named too: a CLI test run in this process before may have left urllib3's own level at ERROR
    caplog.set_level(logging.DEBUG, logger="urllib3")
    client = HttpClient("demo", HttpPolicy(max_attempts=1), secrets=[ODD_SECRET, ODD_CODE, ODD_REFRESH])
    params = {"app_key": "k", "app_secret": ODD_SECRET, "auth_code": ODD_CODE, "refresh_token": ODD_REFRESH}
    try:
        assert client.request("GET", local_server + "/api/v2/token/get", params=params).json() == {"ok": True}
    finally:
        client.close()
    urllib3_lines = [r.getMessage() for r in caplog.records if r.name.startswith("urllib3")]
    assert any("/api/v2/token/get" in line for line in urllib3_lines)  # the request line was logged...
    assert any("app_secret=***" in line for line in urllib3_lines)  # ...redacted
    assert_hidden(caplog.text, ODD_SECRET, ODD_CODE, ODD_REFRESH)


def test_log_redaction_is_installed_once_per_logger() -> None:
    install_log_redaction()
    install_log_redaction()
    for name in URLLIB3_LOGGERS:
        filters = logging.getLogger(name).filters
        assert sum(isinstance(f, RedactingFilter) for f in filters) == 1


def test_redacting_filter_rewrites_and_keeps_the_record() -> None:
    record = logging.LogRecord(
        "urllib3.connectionpool", logging.DEBUG, __file__, 1, '"GET %s" %s', ("/a?secret=x&b=1", 200), None
    )
    assert RedactingFilter().filter(record)
    assert record.getMessage() == '"GET /a?secret=***&b=1" 200'
    clean = logging.LogRecord("urllib3", logging.DEBUG, __file__, 1, "n=%d", (3,), None)
    assert RedactingFilter().filter(clean) and clean.args == (3,)  # untouched when nothing to hide


@pytest.mark.parametrize(
    ("url", "line", "hidden"),
    [
        (  # WeCom: the robot's key is a query value
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7aaa-4bc4-97a0-0ec2sifa5aaa",
            '"POST /cgi-bin/webhook/send?key=693a91f6-7aaa-4bc4-97a0-0ec2sifa5aaa HTTP/1.1" 200 41',
            "693a91f6-7aaa-4bc4-97a0-0ec2sifa5aaa",
        ),
        (  # Slack: the path is the credential
            "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX",
            '"POST /services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX HTTP/1.1" 200 2',
            "XXXXXXXXXXXXXXXXXXXXXXXX",
        ),
        (  # Feishu: so is the hook's id
            "https://open.feishu.cn/open-apis/bot/v2/hook/2d4f3c1e-aaaa-bbbb-cccc-0123456789ab",
            '"POST /open-apis/bot/v2/hook/2d4f3c1e-aaaa-bbbb-cccc-0123456789ab HTTP/1.1" 200 41',
            "2d4f3c1e-aaaa-bbbb-cccc-0123456789ab",
        ),
    ],
)
def test_a_secret_url_is_hidden_in_the_request_line_that_quotes_only_its_path(url: str, line: str, hidden: str) -> None:
    """urllib3's DEBUG line (``erpsync -vv``) names the host apart and quotes the path and query:
    a chat robot's URL, a secret as a whole, must not show there in part."""
    assert hidden not in redact(line, [url]) and "***" in redact(line, [url])


def test_a_short_path_of_a_secret_url_is_not_hidden_alone() -> None:
    """Eight characters at least: a path like ``/send`` is a word of too many messages."""
    assert redact("POST /send failed", ["https://example.test/send"]) == "POST /send failed"


@responses.activate
def test_a_secret_the_200_character_cut_would_split_is_hidden_whole(clock: FakeClock) -> None:
    responses.get(URL, status=400, body="x" * 190 + TOKEN)
    with pytest.raises(PermanentError) as info:
        make(clock).request("GET", URL)
    assert TOKEN[:6] not in str(info.value) and "***" in str(info.value)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("GET http://user:SUPERSECRET123@erp.test/api", "GET http://user:***@erp.test/api"),
        ("postgresql+psycopg://erpsync:pw@localhost/db", "postgresql+psycopg://erpsync:***@localhost/db"),
        ("ftp://anon@h/ at 12:30@home", "ftp://anon@h/ at 12:30@home"),  # no password, no URL: as they are
    ],
)
def test_a_url_s_password_is_hidden_whatever_its_value(text: str, shown: str) -> None:
    """A base_url with user info is logged at -vv (urllib3's line, the client's debug line)."""
    assert redact(text) == shown
