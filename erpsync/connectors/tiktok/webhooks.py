"""Receiving TikTok Shop webhooks: verify, parse, dedupe (``docs/open-api-full.md`` §5).

The platform POSTs ``{type, tts_notification_id, shop_id, timestamp, data}`` with the header
``Authorization: hex(HMAC-SHA256(key=app_secret, msg=app_key + raw_body))``. Delivery is
at-least-once and the platform wants a 200 within 3 s, so the receiver does only cheap work:
check the signature over the exact raw bytes, parse, and hand the event on. A redelivery of an
event already handled answers 200 with ``duplicate=True`` so the platform stops retrying.

The notification id is recorded (through the ``NotificationLog`` port, i.e. the state store) only
after the handler succeeded (:meth:`WebhookReceiver.mark_handled`). A handler that fails answers
500, the platform redelivers, and that redelivery is handled like a first delivery; recording
first would answer the retry we asked for with "duplicate" and drop the event. The price: two
deliveries racing through the handler at the same moment can both be handled, so handlers must
be idempotent (they only queue work or mark a shop for a sync). Webhooks stay hints either way:
the incremental order/package sync is the source of truth.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from erpsync.connectors.tiktok.webhook_events import WebhookEvent, parse_event
from erpsync.core.errors import RecordError
from erpsync.core.ports import NotificationLog

log = logging.getLogger(__name__)

#: far above any real notification; bigger bodies are refused before hashing or parsing
MAX_BODY_BYTES = 1 << 20
SIGNATURE_HEADER = "authorization"
MAX_ERROR_CHARS = 500


def expected_signature(app_key: str, app_secret: str, raw_body: bytes) -> str:
    """Lowercase hex HMAC-SHA256, keyed with the app secret, of ``app_key + raw_body``."""
    return hmac.new(app_secret.encode(), app_key.encode() + raw_body, hashlib.sha256).hexdigest()


def verify_signature(app_key: str, app_secret: str, raw_body: bytes, authorization: str | None) -> bool:
    """True when ``authorization`` is the body's signature (hex, any case, surrounding blanks ok).

    Compared in constant time, so response timing says nothing about the expected value.
    """
    if not authorization or not isinstance(authorization, str):
        return False
    given = authorization.strip().lower().encode("utf-8", errors="replace")
    return hmac.compare_digest(expected_signature(app_key, app_secret, raw_body).encode(), given)


@dataclass(frozen=True)
class ReceiveResult:
    """What to answer the platform, and the event when there is one to act on."""

    status: int
    event: WebhookEvent | None = None
    duplicate: bool = False
    error: str | None = None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        for key, candidate in headers.items():
            if key.lower() == name:
                return candidate
    return value


class WebhookReceiver:
    """Verifies, parses and dedupes one delivery at a time; holds no other state."""

    def __init__(
        self,
        app_key: str,
        app_secret: str,
        log: NotificationLog,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        source: str = "tiktok",
    ) -> None:
        self.app_key = app_key
        self._secret = app_secret
        self.log = log
        self.clock = clock
        self.source = source

    def __repr__(self) -> str:  # never show the secret
        return f"WebhookReceiver(app_key={self.app_key!r})"

    def handle(self, raw_body: bytes, headers: Mapping[str, str]) -> ReceiveResult:
        """401 bad/missing signature, 413 too large, 400 malformed, 200 new or duplicate.

        A new event is not recorded yet: call :meth:`mark_handled` once it has been handled.
        """
        if len(raw_body) > MAX_BODY_BYTES:
            return ReceiveResult(413, error=f"body larger than {MAX_BODY_BYTES} bytes")
        signature = _header(headers, SIGNATURE_HEADER)
        if not signature:
            return ReceiveResult(401, error="missing Authorization header (the webhook signature)")
        if not verify_signature(self.app_key, self._secret, raw_body, signature):
            # never say what was expected: that would sign a forged body for the caller
            return ReceiveResult(401, error="signature does not match (check app_key and app_secret)")
        try:
            event = parse_event(raw_body)
        except RecordError as err:
            return ReceiveResult(400, error=str(err)[:MAX_ERROR_CHARS])
        return ReceiveResult(200, event=event, duplicate=self._handled(event.notification_id))

    def mark_handled(self, event: WebhookEvent) -> None:
        """Record the event's notification id: its redeliveries are duplicates from now on."""
        self.log.note_notification(event.notification_id, source=self.source, now=self.clock())

    def _handled(self, notification_id: str) -> bool:
        """Whether the id was handled before (recorded by :meth:`mark_handled`)."""
        return self.log.has_notification(notification_id, source=self.source)


# -- WSGI --------------------------------------------------------------------------------------


def make_wsgi_app(
    receiver: WebhookReceiver, on_event: Callable[[WebhookEvent], None]
) -> Callable[..., Iterable[bytes]]:
    """A WSGI app that receives webhooks on any path and calls ``on_event`` for each new event.

    The platform wants 200 within 3 s: ``on_event`` must only queue the work (e.g. put the event
    on a queue or mark the shop for a sync), never call the Open API itself. The event counts as
    handled only once ``on_event`` returned; if it raises, the app answers 500 and logs it, and
    the platform's retry is handled again (see the module docstring).
    """
    from werkzeug.exceptions import RequestEntityTooLarge
    from werkzeug.wrappers import Request, Response

    def reply(status: int, message: str) -> Response:
        body = json.dumps({"code": 0 if status == 200 else status, "message": message})
        return Response(body, status=status, mimetype="application/json")

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = MAX_BODY_BYTES
        if request.method != "POST":
            response = reply(405, "POST webhooks here")
            response.headers["Allow"] = "POST"
            return response(environ, start_response)
        try:
            raw = request.get_data(cache=False)
        except RequestEntityTooLarge:
            return reply(413, f"body larger than {MAX_BODY_BYTES} bytes")(environ, start_response)
        result = receiver.handle(raw, request.headers)
        if result.status != 200:
            log.warning("webhook refused (%d): %s", result.status, result.error)
            return reply(result.status, result.error or "refused")(environ, start_response)
        if result.duplicate or result.event is None:
            return reply(200, "duplicate")(environ, start_response)
        try:
            on_event(result.event)
        except Exception:  # the handler is the caller's code: report, do not crash the server
            log.exception("webhook handler failed for notification %s", result.event.notification_id)
            return reply(500, "handler failed")(environ, start_response)
        receiver.mark_handled(result.event)
        return reply(200, "ok")(environ, start_response)

    return app
