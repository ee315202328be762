"""Signed webhook deliveries to the registered ``webhook_url`` (docs/open-api-full.md §5).

Each event is an envelope ``{type, tts_notification_id, shop_id, timestamp, data}`` (the webhook
guide's event examples) POSTed with ``Authorization: hex(HMAC-SHA256(key=app_secret, msg=app_key +
raw_body))``, written here from the reference alone (no code shared with the client's verifier).
With the ``webhook_omit_notification_id`` switch the envelope has no ``tts_notification_id`` at all,
as older payloads (and the guide's own type 3 example) do, so a receiver's fallback dedupe can be
tested. What goes in ``data`` per type is in :mod:`webhook_data`.

Delivery runs on one background thread so the API call that caused an event never waits for the
receiver. The platform counts only HTTP 200 and 401 as received (the webhook guide, "Webhook
configuration overview"): 200 marks the delivery ``delivered``, 401 ``rejected`` (received, never
retried: a receiver that cannot verify a signature would fail the same way again). Any other
answer or a connection error is retried on a compressed schedule (``RETRY_DELAYS``: 0.2 s, 0.5 s,
1 s instead of the real 2 min, 30 min, 3 h, 12 h), then the delivery is marked ``failed``. Events
raised while no URL is registered are recorded as ``no_url``.

Targets must be loopback (127.0.0.0/8, ``localhost``, ``::1``): the sandbox runs on machines whose
rules forbid traffic to other addresses, so :func:`check_loopback` refuses anything else, proxies
from the environment are ignored and redirects are not followed.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import ipaddress
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

RETRY_DELAYS: tuple[float, ...] = (0.2, 0.5, 1.0)
TIMEOUT_SECONDS = 3.0


def check_loopback(url: str) -> str:
    """Return ``url`` if it is an http(s) URL on a loopback host; raise ValueError saying why not."""
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"webhook url must be an http(s) URL with a host, got {url!r}")
    host = parts.hostname
    if host != "localhost":
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ValueError(
                f"webhook url host {host!r} is not loopback: the sandbox only delivers to 127.0.0.0/8, "
                "localhost or ::1 (traffic to other addresses is not allowed on this machine)"
            )
    return url


def sign_webhook(app_key: str, app_secret: str, body: bytes) -> str:
    """The ``Authorization`` header value of a delivery."""
    return hmac.new(app_secret.encode(), app_key.encode() + body, hashlib.sha256).hexdigest()


@dataclass
class Delivery:
    id: int
    notification_id: str | None
    type: int
    shop_id: str
    url: str | None
    body: bytes
    signature: str
    created: float
    attempts: int = 0
    last_status: int | None = None
    last_error: str | None = None
    state: str = "pending"
    redelivery_of: int | None = None

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "tts_notification_id": self.notification_id,
            "type": self.type,
            "shop_id": self.shop_id,
            "url": self.url,
            "state": self.state,
            "attempts": self.attempts,
            "last_status": self.last_status,
            "last_error": self.last_error,
            "redelivery_of": self.redelivery_of,
            "body": json.loads(self.body),
        }


class WebhookDispatcher:
    """Queue, sign and deliver events; thread-safe; the worker thread starts on first use."""

    def __init__(self, retry_delays: tuple[float, ...] = RETRY_DELAYS, timeout: float = TIMEOUT_SECONDS) -> None:
        self.retry_delays = retry_delays
        self.timeout = timeout
        self.url: str | None = None
        self._cond = threading.Condition()
        self._deliveries: list[Delivery] = []
        self._queue: list[tuple[float, int, Delivery]] = []
        self._seq = 0
        self._closed = False
        self._thread: threading.Thread | None = None
        self._http = requests.Session()
        self._http.trust_env = False  # never route through an environment proxy

    def configure(self, url: str | None) -> None:
        """Register (or with None, remove) the target; raises ValueError for a non-loopback URL."""
        with self._cond:
            self.url = None if url is None else check_loopback(url)

    def reset(self, url: str | None) -> None:
        """Forget every delivery and pending retry (scenario reset)."""
        with self._cond:
            self._deliveries.clear()
            self._queue.clear()
            self.url = None if url is None else check_loopback(url)

    def emit(
        self,
        type_: int,
        shop_id: str,
        data: dict[str, Any],
        timestamp: int,
        app_key: str,
        secret: str,
        *,
        omit_notification_id: bool = False,
    ) -> Delivery:
        """Record an event and queue its delivery (returns at once, with the delivery record)."""
        nid = None if omit_notification_id else f"7{secrets.randbelow(10**18):018d}"
        envelope: dict[str, Any] = {"type": type_, "tts_notification_id": nid}
        if nid is None:
            del envelope["tts_notification_id"]
        envelope.update(shop_id=shop_id, timestamp=timestamp, data=data)
        body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
        with self._cond:
            return self._add(nid, type_, shop_id, body, sign_webhook(app_key, secret, body))

    def redeliver(self, count: int) -> list[Delivery]:
        """Send the last ``count`` original events again, byte for byte (same ``tts_notification_id``)."""
        with self._cond:
            originals = [d for d in self._deliveries if d.redelivery_of is None][-count:]
            copies = [self._add(d.notification_id, d.type, d.shop_id, d.body, d.signature, d.id) for d in originals]
            return copies

    def _add(
        self, nid: str | None, type_: int, shop_id: str, body: bytes, signature: str, of: int | None = None
    ) -> Delivery:
        self._seq += 1
        delivery = Delivery(self._seq, nid, type_, shop_id, self.url, body, signature, time.time(), redelivery_of=of)
        self._deliveries.append(delivery)
        if self.url is None:
            delivery.state = "no_url"
        else:
            heapq.heappush(self._queue, (time.monotonic(), delivery.id, delivery))
            self._start()
            self._cond.notify()
        return delivery

    def snapshot(self) -> list[dict[str, Any]]:
        with self._cond:
            return [d.view() for d in self._deliveries]

    def close(self) -> None:
        """Stop the worker (pending deliveries are dropped)."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 1)
        self._http.close()

    def _start(self) -> None:
        if self._thread is None and not self._closed:
            self._thread = threading.Thread(target=self._run, name="erpsync-sandbox-webhooks", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed and (not self._queue or self._queue[0][0] > time.monotonic()):
                    self._cond.wait(None if not self._queue else max(0.0, self._queue[0][0] - time.monotonic()))
                if self._closed:
                    return
                _, _, delivery = heapq.heappop(self._queue)
                if delivery not in self._deliveries:
                    continue  # reset while queued
                delivery.attempts += 1
            status, error = self._post(delivery)
            with self._cond:
                delivery.last_status, delivery.last_error = status, error
                if status == 200:
                    delivery.state = "delivered"
                elif status == 401:
                    delivery.state = "rejected"
                elif delivery.attempts <= len(self.retry_delays):
                    delivery.state = "retrying"
                    due = time.monotonic() + self.retry_delays[delivery.attempts - 1]
                    heapq.heappush(self._queue, (due, delivery.id, delivery))
                else:
                    delivery.state = "failed"

    def _post(self, delivery: Delivery) -> tuple[int | None, str | None]:
        assert delivery.url is not None
        try:
            check_loopback(delivery.url)
            response = self._http.post(
                delivery.url,
                data=delivery.body,
                headers={"Authorization": delivery.signature, "Content-Type": "application/json"},
                timeout=self.timeout,
                allow_redirects=False,
            )
        except (requests.RequestException, ValueError) as exc:
            return None, f"{type(exc).__name__}: {exc}"
        return response.status_code, None
