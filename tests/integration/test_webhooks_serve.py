"""`erpsync webhooks serve` on loopback: the sandbox delivers real signed webhooks to a real waitress server.

The receiver runs as ``WebhookServer`` on a thread with a real socket (and once as the
``erpsync webhooks serve`` command in a child process); the sandbox (the platform's stand-in)
signs and delivers, retries, redelivers and, with its clock moved on, sends stale timestamps.
Malformed traffic (forged signatures, oversized and chunked bodies, a client that stalls) is sent
over raw sockets. What the server did is read back from the state store.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from erpsync.service.jobs import JobContext
from erpsync.service.webhook_actions import scheduler_trigger
from erpsync.service.webhook_server import RETRY_HORIZON, WebhookServer

pytestmark = pytest.mark.integration

APP_KEY, APP_SECRET, SHOP_ID = "sandbox-app-key", "sandbox-app-secret", "7495000000000000101"
MAX_BODY = 4000
WEBHOOKS = f"\n[service.webhooks]\nmax_body_bytes = {MAX_BODY}\ntimestamp_window_seconds = 86400\n"


def sign(raw: bytes) -> str:
    return hmac.new(APP_SECRET.encode(), APP_KEY.encode() + raw, hashlib.sha256).hexdigest()


def envelope(type_: int, data: dict[str, Any], *, nid: str = "7000000000000000001", ts: int | None = None) -> bytes:
    stamp = int(time.time()) if ts is None else ts
    payload = {"type": type_, "tts_notification_id": nid, "shop_id": SHOP_ID, "timestamp": stamp, "data": data}
    return json.dumps(payload).encode()


ORDER = {"order_id": "576684019603311365", "order_status": "AWAITING_COLLECTION", "update_time": 1}


@contextlib.contextmanager
def serving(ws: Any, **options: Any) -> Iterator[WebhookServer]:
    ws.write_config(extra=WEBHOOKS)
    ctx = JobContext.open(ws.config)
    server = WebhookServer(ctx, listen="127.0.0.1:0", channel_timeout=2, cleanup_interval=1, **options)
    server.start()
    try:
        ws.admin("POST", "webhooks", {"url": url(server)})
        yield server
    finally:
        server.close()
        ctx.close()


def url(server: WebhookServer) -> str:
    return f"http://127.0.0.1:{server.address[1]}/webhooks/tiktok"


def settled(ws: Any, count: int, timeout: float = 60) -> list[dict[str, Any]]:
    """The sandbox's deliveries once ``count`` exist and none is pending or retrying."""
    deadline = time.monotonic() + timeout
    while True:
        deliveries = ws.admin("GET", "webhooks")["deliveries"]
        if len(deliveries) >= count and all(d["state"] not in ("pending", "retrying") for d in deliveries):
            return list(deliveries)
        assert time.monotonic() < deadline, deliveries
        time.sleep(0.05)


def requested(server: WebhookServer) -> list[tuple[str, str]]:
    return sorted((r.shop, r.aspect) for r in server.ctx.store.sync_requests.pending())


def post(server: WebhookServer, raw: bytes, signature: str | None = "sign") -> requests.Response:
    headers = {} if signature is None else {"Authorization": sign(raw) if signature == "sign" else signature}
    return requests.post(url(server), data=raw, headers=headers, timeout=10)


def test_sandbox_deliveries_valid_replayed_stale_and_forged(default_ws: Any) -> None:
    with serving(default_ws) as server:
        default_ws.admin("POST", "webhooks/emit", {"type": 1})
        (first,) = settled(default_ws, 1)
        assert (first["state"], first["last_status"], first["attempts"]) == ("delivered", 200, 1)
        assert requested(server) == [("shop", "order_status"), ("shop", "tracking")]
        taken = server.ctx.store.sync_requests.take(now=datetime.now(UTC))  # as `erpsync run` would
        server.ctx.store.sync_requests.done([r.id for r in taken])

        default_ws.admin("POST", "webhooks/redeliver", {"count": 1})  # the same notification id again
        replay = settled(default_ws, 2)[-1]
        assert (replay["tts_notification_id"], replay["last_status"]) == (first["tts_notification_id"], 200)
        assert requested(server) == []  # a duplicate: the handler did not run again

        default_ws.admin("POST", "clock", {"advance_seconds": 2 * 86400})  # the sandbox now stamps 2 days ahead
        default_ws.admin("POST", "webhooks/emit", {"type": 1})
        ahead = settled(default_ws, 3)[-1]
        # refused once: the platform counts a 401 as received and never retries it
        assert (ahead["state"], ahead["last_status"], ahead["attempts"]) == ("rejected", 401, 1)
        assert requested(server) == []

        stale = envelope(1, ORDER, nid="7000000000000000099", ts=int(time.time()) - 86400 - 60)
        answer = post(server, stale)
        assert answer.status_code == 401 and "older than 86400 s" in answer.headers["X-Erpsync-Result"]
        fresh = envelope(1, ORDER, nid="7000000000000000099")
        assert post(server, fresh, "0" * 64).status_code == 401  # forged
        assert post(server, fresh, None).status_code == 401  # unsigned
        assert requested(server) == []  # none of them reached the handler, nor blocked the real one
        assert post(server, fresh).headers["X-Erpsync-Result"] == "ok"
        assert requested(server) == [("shop", "order_status"), ("shop", "tracking")]
        assert server.ctx.store.notifications.list_kept(include_handled=True) == []


def test_deauthorisation_pauses_and_alerts_and_an_audit_failure_requests_listings(default_ws: Any) -> None:
    with serving(default_ws) as server:
        default_ws.admin("POST", "webhooks/emit", {"type": 37, "data": {"audit": {"status": "FAILED"}}})
        settled(default_ws, 1)
        assert requested(server) == [("shop", "listings")]
        default_ws.admin("POST", "webhooks/emit", {"type": 6})
        assert settled(default_ws, 2)[-1]["last_status"] == 200
        (pause,) = server.ctx.store.shop_pauses.all()
        assert pause.shop == "shop" and "erpsync webhooks resume shop" in pause.reason
        (alert,) = server.ctx.store.outbox.all_pending()
        assert (alert.event["kind"], alert.event["shop"], alert.event["severity"]) == (
            "shop_deauthorized",
            "shop",
            "critical",
        )
    listed = default_ws.cli("webhooks", "paused")
    assert listed.returncode == 0 and "shop: paused" in listed.stdout
    resumed = default_ws.cli("webhooks", "resume", "shop")
    assert resumed.returncode == 0 and "shop: resumed" in resumed.stdout
    assert default_ws.cli("webhooks", "resume", "shop").returncode == 1  # not paused any more
    assert default_ws.cli("webhooks", "resume", "nosuchshop").returncode == 64


def counting(server_store: Any, calls: list[str], *, fail_first: bool = False, pause: float = 0.3) -> Callable:
    """The scheduler trigger, counting its calls and slow enough for deliveries to overlap."""
    real = scheduler_trigger(server_store, lambda: datetime.now(UTC))

    def trigger(shop: str, aspects: Sequence[str], reason: str) -> None:
        calls.append(shop)
        time.sleep(pause)
        if fail_first and len(calls) == 1:
            raise RuntimeError("broker unreachable")
        real(shop, aspects, reason)

    return trigger


def test_concurrent_deliveries_of_one_notification_run_the_handler_once(default_ws: Any) -> None:
    calls: list[str] = []
    default_ws.write_config(extra=WEBHOOKS)
    with contextlib.closing(JobContext.open(default_ws.config)) as ctx:
        trigger = counting(ctx.store, calls)
    with serving(default_ws, trigger=trigger) as server:
        raw = envelope(1, ORDER)
        answers: list[tuple[int, str, float]] = []
        gate = threading.Barrier(6)

        def deliver() -> None:
            gate.wait()
            started = time.monotonic()
            response = post(server, raw)
            answers.append((response.status_code, response.headers["X-Erpsync-Result"], time.monotonic() - started))

        threads = [threading.Thread(target=deliver) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(calls) == 1, answers
        assert sorted(a[:2] for a in answers).count((200, "ok")) == 1, answers
        allowed = {(200, "ok"), (200, "duplicate"), (503, "being handled by another delivery")}
        assert {a[:2] for a in answers} <= allowed, answers
        assert max(a[2] for a in answers) < 3.0, answers  # the platform's limit
        assert post(server, raw).headers["X-Erpsync-Result"] == "duplicate" and len(calls) == 1


def test_a_failed_handler_releases_its_claim_and_answers_500(default_ws: Any) -> None:
    calls: list[str] = []
    default_ws.write_config(extra=WEBHOOKS)
    with contextlib.closing(JobContext.open(default_ws.config)) as ctx:
        trigger = counting(ctx.store, calls, fail_first=True, pause=0)
    with serving(default_ws, trigger=trigger) as server:
        default_ws.admin("POST", "webhooks/emit", {"type": 1})
        (delivery,) = settled(default_ws, 1)
        # 500 first, then the sandbox's retry (the platform's, compressed) took the released claim
        assert (delivery["state"], delivery["attempts"], delivery["last_status"]) == ("delivered", 2, 200)
        assert len(calls) == 2 and requested(server) == [("shop", "order_status"), ("shop", "tracking")]
        assert server.ctx.store.notifications.list_kept() == []  # kept at the failure, cured by the retry


def raw_request(port: int, head: bytes, body: Sequence[bytes] = (), *, pause: float = 0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        for part in body:
            with contextlib.suppress(OSError):  # the server may answer and close before the rest is sent
                sock.sendall(part)
            time.sleep(pause)
        chunks = []
        with contextlib.suppress(OSError):
            while data := sock.recv(65536):
                chunks.append(data)
        return b"".join(chunks)


def head(length: int | None) -> bytes:
    size = b"Transfer-Encoding: chunked\r\n" if length is None else b"Content-Length: %d\r\n" % length
    return b"POST /webhooks/tiktok HTTP/1.1\r\nHost: x\r\nAuthorization: 00\r\nConnection: close\r\n" + size + b"\r\n"


def test_oversized_bodies_are_413_plain_and_chunked_and_a_stalled_client_is_dropped(default_ws: Any) -> None:
    with serving(default_ws) as server:
        port = server.address[1]
        at_limit = raw_request(port, head(MAX_BODY), [b"x" * MAX_BODY])
        assert at_limit.startswith(b"HTTP/1.1 401")  # read in full, then refused for its signature
        over = raw_request(port, head(MAX_BODY + 1), [b"x" * (MAX_BODY + 1)])
        assert over.startswith(b"HTTP/1.1 413")
        chunks = [b"%x\r\n%s\r\n" % (1000, b"x" * 1000) for _ in range(5)] + [b"0\r\n\r\n"]
        assert raw_request(port, head(None), chunks).startswith(b"HTTP/1.1 413")

        stalled = socket.create_connection(("127.0.0.1", port), timeout=10)
        stalled.sendall(head(500) + b"x" * 100)  # then nothing more
        started = time.monotonic()
        raw = envelope(1, ORDER)
        answer = post(server, raw)  # others are served meanwhile
        assert answer.status_code == 200 and time.monotonic() - started < 3.0
        assert stalled.recv(65536) == b""  # closed by the server, without an answer
        waited = time.monotonic() - started
        assert 1.5 < waited < 6.0, waited  # channel_timeout 2 s, checked every second
        stalled.close()
        assert post(server, envelope(1, ORDER, nid="7000000000000000002")).status_code == 200


def test_notification_ids_are_pruned_after_the_window_not_before(default_ws: Any) -> None:
    now = [datetime.now(UTC)]
    with serving(default_ws, clock=lambda: now[0]) as server:
        assert post(server, envelope(1, ORDER)).headers["X-Erpsync-Result"] == "ok"
        log = server.ctx.store.notifications
        assert server.retention() >= max(timedelta(days=1), RETRY_HORIZON) > timedelta(hours=15, minutes=32)
        now[0] += server.retention() - timedelta(minutes=1)
        assert server.prune() == (0, 0) and log.has("7000000000000000001", source="tiktok")
        now[0] += timedelta(minutes=2)
        assert server.prune()[0] == 1 and not log.has("7000000000000000001", source="tiktok")


def test_the_serve_command_receives_and_stops_on_sigterm(default_ws: Any) -> None:
    default_ws.write_config(extra=WEBHOOKS)
    process = default_ws.start_cli("webhooks", "serve", "--listen", "127.0.0.1:0")
    try:
        line = process.stderr.readline()
        assert "listening on http://127.0.0.1:" in line, line
        port = int(line.split("127.0.0.1:")[1].split("/")[0])
        default_ws.admin("POST", "webhooks", {"url": f"http://127.0.0.1:{port}/"})
        default_ws.admin("POST", "webhooks/emit", {"type": 1})
        assert settled(default_ws, 1)[0]["last_status"] == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    with contextlib.closing(JobContext.open(default_ws.config)) as ctx:
        pending = sorted(r.aspect for r in ctx.store.sync_requests.pending("shop"))
    assert pending == ["order_status", "tracking"]
