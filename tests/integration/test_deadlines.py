"""Deadlines against real sockets: a server that trickles its answer, one that never answers.

``read_timeout`` is per socket read, so only a real server sending one byte every 0.5 s shows
whether a call is bounded as a whole; ``responses`` cannot trickle. Each server runs in a thread
on loopback; deadlines are a second or two so the suite stays fast.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest
from loopback import serve

from erpsync.core.errors import OutcomeUnknownError, TemporaryError
from erpsync.core.http import HttpClient, HttpPolicy, TimeBudget, time_budget
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sync import Syncer

pytestmark = pytest.mark.integration

#: seconds between two bytes of a trickled body; 40 bytes take 20 s in all
TRICKLE_EVERY = 0.5
TRICKLE_BYTES = 40


class Handler(BaseHTTPRequestHandler):
    """``/trickle``: a 200 whose body comes a byte at a time; ``/hang``: headers never come;
    ``/slow-down``: 429 with ``Retry-After: 600``; ``/brief``: 429 with ``Retry-After: 3``."""

    protocol_version = "HTTP/1.1"
    stop: threading.Event

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._serve()

    def _serve(self) -> None:
        path = self.path.split("?")[0]
        try:
            if path == "/trickle":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(TRICKLE_BYTES))
                self.end_headers()
                for _ in range(TRICKLE_BYTES):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    if self.stop.wait(TRICKLE_EVERY):
                        return
            elif path == "/hang" or path.startswith("/authorization/"):
                self.stop.wait(30)
            elif path in ("/slow-down", "/brief"):
                body = b'{"message": "too many requests"}'
                self.send_response(429)
                self.send_header("Retry-After", "600" if path == "/slow-down" else "3")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_error(404)
        except OSError:  # the client gave up and closed: that is the point
            pass


@pytest.fixture
def slow_server() -> Iterator[str]:
    stop = threading.Event()
    handler = type("BoundHandler", (Handler,), {"stop": stop})
    try:
        with serve(handler) as url:
            yield url
    finally:
        stop.set()  # a handler still waiting returns


def client(deadline: float, **policy: float) -> HttpClient:
    return HttpClient("slow", HttpPolicy(deadline=deadline, read_timeout=5.0, backoff_initial=0.05, **policy))


def timed(fn, *args, **kwargs) -> tuple[BaseException, float]:
    started = time.monotonic()
    with pytest.raises((TemporaryError,)) as info:
        fn(*args, **kwargs)
    return info.value, time.monotonic() - started


def test_a_trickled_body_ends_at_the_call_deadline(slow_server):
    # each byte arrives well within read_timeout (5 s), so only the total deadline can end it
    error, took = timed(client(1.5).request, "GET", f"{slow_server}/trickle")
    assert type(error) is TemporaryError
    assert took < 2.5, f"the call lasted {took:.1f} s past its 1.5 s deadline"
    assert "deadline" in str(error) or "timed out" in str(error)


def test_retries_share_the_one_deadline(slow_server):
    error, took = timed(client(1.5, max_attempts=5).request, "GET", f"{slow_server}/trickle")
    assert isinstance(error, TemporaryError)
    assert took < 2.5


def test_a_trickled_answer_to_a_write_is_outcome_unknown(slow_server):
    # the POST was sent and may have taken effect: never resent, reported for reconciliation
    error, took = timed(client(1.5).request, "POST", f"{slow_server}/trickle", json={"a": 1})
    assert isinstance(error, OutcomeUnknownError)
    assert took < 2.5


def test_a_time_budget_cuts_calls_with_longer_deadlines(slow_server):
    with time_budget(TimeBudget(1.0, "the test's budget (1 s)")):
        error, took = timed(client(60).request, "GET", f"{slow_server}/hang")
    assert isinstance(error, TemporaryError)
    assert took < 2.0


def test_a_refused_retry_after_is_named_in_the_error(slow_server):
    error, _ = timed(client(10).request, "GET", f"{slow_server}/slow-down")
    text = str(error)
    assert "Retry-After" in text and "600 s" in text and "max_wait (120 s" in text, text


def test_a_retry_after_past_the_deadline_names_the_deadline(slow_server):
    error, took = timed(client(1.0).request, "GET", f"{slow_server}/brief")
    text = str(error)
    assert "retry after 3 s (Retry-After)" in text and "call deadline (1 s)" in text, text
    assert took < 1.0  # it did not sleep 3 s only to give up


def test_a_hanging_shop_ends_at_its_budget_and_the_next_shop_runs(slow_server, demo_ws):
    ws = demo_ws
    ws.write_erp(ws.erp_rows_matching_seller({}))
    good = ws.config.read_text(encoding="utf-8")
    hanging = (
        '[[shops]]\nname = "stuck"\ntime_budget_seconds = 1.5\n'
        f'[shops.seller]\ntype = "tiktok"\nbase_url = "{slow_server}"\napp_key = "demo-app-key"\n'
        'app_secret = "demo-app-secret"\naccess_token = "demo-access-token"\nshop_id = "7495000000000000001"\n'
        '[shops.erp]\ntype = "files"\npath = "erp"\n'
    )
    ws.config.write_text(hanging + good, encoding="utf-8")
    pm = get_plugin_manager()
    registry = build_registry(pm)
    syncer = Syncer(load_settings(ws.config, registry), pm=pm, registry=registry)
    try:
        started = time.monotonic()
        report = syncer.run()
        took = time.monotonic() - started
    finally:
        syncer.close()
    stuck, shop = report.shops
    assert stuck.shop == "stuck" and shop.shop == "shop"
    assert stuck.error and "shop stuck used up its time budget of 1.5 s" in stuck.error, stuck.error
    assert shop.error is None and shop.aspects and not any(a.error for a in shop.aspects)
    assert took < 20, f"the run took {took:.0f} s"
