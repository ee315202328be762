"""core/http.py: which connection failures prove nothing was sent (a one-shot write may be resent),
and which can never succeed (a certificate that fails verification)."""

from __future__ import annotations

import http.server
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ClassVar

import pytest
import requests
import trustme
from loopback import serve
from open_api_fakes import Clock
from urllib3.exceptions import MaxRetryError, ProtocolError
from urllib3.exceptions import ProxyError as Urllib3ProxyError
from urllib3.exceptions import SSLError as Urllib3SSLError

from erpsync.core.errors import PermanentError, TemporaryError
from erpsync.core.http import HttpClient, HttpPolicy, is_certificate_failure, is_connect_failure


class _Counting(http.server.BaseHTTPRequestHandler):
    """Answers 200 and remembers every request line it parsed."""

    seen: ClassVar[list[str]] = []

    def do_POST(self) -> None:  # the name http.server looks up
        _Counting.seen.append(self.requestline)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def post(url: str, session: requests.Session | None = None) -> tuple[Exception, Clock]:
    """One non-idempotent POST of ``url`` (three attempts allowed); the error it ends with."""
    clock = Clock()
    client = HttpClient("demo", HttpPolicy(max_attempts=3, connect_timeout=3), session=session, sleep=clock.sleep)
    try:
        with pytest.raises(Exception) as info:
            client.request("POST", url, json={"create": 1})
    finally:
        client.close()
    return info.value, clock


def test_an_unreachable_proxy_means_nothing_was_sent() -> None:
    session = requests.Session()
    session.trust_env = False
    session.proxies = {"https": f"http://127.0.0.1:{dead_port()}"}
    error, clock = post("https://api.example.test/v1/things", session)
    assert type(error) is TemporaryError, str(error)  # not OutcomeUnknownError: a write may be resent
    assert len(clock.sleeps) == 2  # and it was: three attempts


def test_a_failed_tls_handshake_means_nothing_was_sent() -> None:
    _Counting.seen = []
    with serve(_Counting) as url:  # plain HTTP: the client's TLS handshake fails
        error, clock = post(url.replace("http://", "https://") + "/v1/things")
    assert type(error) is TemporaryError, str(error)
    assert len(clock.sleeps) == 2 and _Counting.seen == []


@contextmanager
def tls_server(ca: trustme.CA) -> Iterator[str]:
    """A TLS server whose certificate the client's CA bundle does not trust."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"https://localhost:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_certificate_that_fails_verification_is_permanent() -> None:
    _Counting.seen = []
    with tls_server(trustme.CA()) as url:
        error, clock = post(url + "/v1/things")
    assert type(error) is PermanentError, str(error)  # retrying cannot make it trusted
    assert "certificate verification failed" in str(error) and "CA bundle" in str(error)
    assert clock.sleeps == [] and _Counting.seen == []


def _raised_in(name: str) -> ssl.SSLError:
    """An ``ssl.SSLError`` raised by a function called ``name``, wrapped as requests wraps it."""

    def raise_it() -> None:
        raise ssl.SSLError(1, "[SSL: DECRYPTION_FAILED_OR_BAD_RECORD_MAC] decryption failed")

    raise_it.__code__ = raise_it.__code__.replace(co_name=name)
    try:
        raise_it()
    except ssl.SSLError as exc:
        return exc
    raise AssertionError("unreachable")


def _wrapped(cause: BaseException, outer: Callable[..., requests.RequestException]) -> requests.RequestException:
    return outer(MaxRetryError(None, "/v1/things", cause))  # type: ignore[arg-type]


def test_an_ssl_error_after_the_handshake_may_have_followed_the_request() -> None:
    """The same error classes come from reading the answer, after the request went out."""
    during = _wrapped(Urllib3SSLError(_raised_in("do_handshake")), requests.exceptions.SSLError)
    after = _wrapped(Urllib3SSLError(_raised_in("recv_into")), requests.exceptions.SSLError)
    assert is_connect_failure(during) and not is_connect_failure(after)
    assert not is_certificate_failure(during) and not is_certificate_failure(after)


def test_a_proxy_error_is_not_sent_only_when_it_wraps_a_connect_failure() -> None:
    dropped = _wrapped(Urllib3ProxyError("proxy dropped it", ProtocolError("aborted")), requests.exceptions.ProxyError)
    assert not is_connect_failure(dropped)
