"""Receiving TikTok Shop webhooks: verify, parse, claim, and never lose a signed notification.

The platform POSTs ``{type, tts_notification_id, shop_id, timestamp, data}`` with the header
``Authorization: hex(HMAC-SHA256(key=app_secret, msg=app_key + raw_body))`` and wants an answer
within 3 s, so the receiver does only cheap work: check the signature over the exact raw bytes,
parse, claim the notification, hand the event on (the handler only writes rows or queues work).

Answers. The platform counts only HTTP 200 and 401 as received; anything else is retried after
2 min, 30 min, 3 h and 12 h, then dropped (TikTok Shop Partner Center, "Webhook configuration
overview", step 4). So:

- no signature or a wrong one: 401 (received, i.e. never retried: a forgery is not worth a retry);
- signed, but its ``timestamp`` outside the window: 401 as well. A delivery is retried for at
  most about 15.5 h after its first push (the four delays add up), so a body older than a window
  wider than that is a replay of a captured delivery, never the platform's retry;
- signed, but not JSON, not the documented shape, or a type erpsync does not know: 200, and the
  raw body is kept in the state store (``NotificationLog.keep``) with the reason and a
  log warning, because a retry would bring the same bytes and fail the same way;
- a handler that cannot act on the event (:class:`KeepForInspection`, e.g. a shop no config names):
  200 and the body kept with the handler's reason;
- a handler that fails: 500, so the platform retries (a full queue or a database hiccup usually
  passes) -- and the raw body is kept first, because after the fourth retry the platform drops it;
  once a retry is handled, the kept row counts as handled and leaves the list of open ones;
- another delivery of the same notification being handled right now: 503, so the platform comes
  back later and then finds it handled (answering 200 would lose it if that other handler fails);
- the store itself failing: 500, for the same reason (the retry may find it back);
- a body over ``max_body_bytes`` (1 MiB unless configured), unsigned as far as anyone checked: 413.

Dedupe. The key is ``tts_notification_id``, or, where a payload has none (older payloads,
independent SDKs' samples), ``sha256:`` and the digest of the raw body: the same bytes twice are
one notification. Before its handler runs, a delivery claims the key atomically in the state
store (``claim``): of two concurrent deliveries only one runs the handler. The claim becomes
"handled" only after the handler succeeded (``record``); a failed handler gives it back
(``release``), so the retry asked for is handled rather than answered "duplicate". A claim whose
holder died is taken over after ``claim_ttl_seconds``. Webhooks stay hints either way: the
incremental order/package sync is the source of truth.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, NamedTuple, Protocol

from erpsync.connectors.tiktok.webhooks.models import UnknownEvent, WebhookEvent
from erpsync.connectors.tiktok.webhooks.parsing import DIGEST_PREFIX, SOURCE, body_key, parse_event
from erpsync.core.errors import RecordError
from erpsync.core.ports import NotificationLog

if TYPE_CHECKING:
    from erpsync.connectors.tiktok.webhooks.wsgi import WsgiApp

__all__ = [
    "DIGEST_PREFIX",
    "MAX_BODY_BYTES",
    "SOURCE",
    "KeepForInspection",
    "NotificationClaims",
    "ReceiveResult",
    "Reply",
    "WebhookReceiver",
    "body_key",
    "expected_signature",
    "make_wsgi_app",
    "parse_event",
    "verify_signature",
]

log = logging.getLogger(__name__)

#: far above any real notification; bigger bodies are refused before hashing or parsing
MAX_BODY_BYTES = 1 << 20
SIGNATURE_HEADER = "authorization"
MAX_ERROR_CHARS = 500
#: how far ahead of this machine's clock a timestamp may be (clocks drift); a guess
FUTURE_SKEW_SECONDS = 300.0
#: a claim older than this is another delivery's whose process died: far above a 3 s handler
CLAIM_TTL_SECONDS = 60.0


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


class NotificationClaims(NotificationLog, Protocol):
    """A ``NotificationLog`` that can also claim a key before handling it (``store.notifications``)."""

    def claim(self, notification_id: str, *, source: str, owner: str, now: datetime, ttl_seconds: float) -> str:
        """ "claimed" (the caller's now), "handled" (a duplicate) or "busy" (another live claim)."""
        ...

    def release(self, notification_id: str, *, source: str, owner: str) -> None:
        """Give back a claim whose handler failed, so a redelivery can take it."""
        ...


class KeepForInspection(Exception):
    """Raised by a handler for an event it cannot act on: the body is kept with this reason, 200."""


@dataclass(frozen=True)
class ReceiveResult:
    """What to answer the platform, and the event when there is one to act on.

    ``kept``: the body was stored for inspection instead of being handed on (``error`` says why);
    ``duplicate``: its key was handled before, or the same bytes were kept before.
    """

    status: int
    event: WebhookEvent | None = None
    duplicate: bool = False
    kept: bool = False
    error: str | None = None


class Reply(NamedTuple):
    """One delivery's answer: the HTTP status and a short message for the JSON body."""

    status: int
    message: str


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        for key, candidate in headers.items():
            if key.lower() == name:
                return candidate
    return value


class WebhookReceiver:
    """Verifies, parses, claims and keeps deliveries; holds no state between them."""

    def __init__(
        self,
        app_key: str,
        app_secret: str,
        log: NotificationLog,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        source: str = "tiktok",
        max_body_bytes: int = MAX_BODY_BYTES,
        timestamp_window_seconds: float | None = None,
        claim_ttl_seconds: float = CLAIM_TTL_SECONDS,
    ) -> None:
        """``timestamp_window_seconds`` None: timestamps are not checked (a test's virtual clock)."""
        self.app_key = app_key
        self._secret = app_secret
        self.log = log
        self.clock = clock
        self.source = source
        self.max_body_bytes = max_body_bytes
        self.timestamp_window_seconds = timestamp_window_seconds
        self.claim_ttl_seconds = claim_ttl_seconds

    def __repr__(self) -> str:  # never show the secret
        return f"WebhookReceiver(app_key={self.app_key!r})"

    def handle(self, raw_body: bytes, headers: Mapping[str, str]) -> ReceiveResult:
        """401 bad/missing signature or stale timestamp, 413 too large, else 200: new, duplicate, or kept.

        A new event is neither claimed nor recorded here: :meth:`deliver` does both around the
        handler (or call :meth:`mark_handled` once it has been handled).
        Errors of the ``NotificationLog`` propagate (the WSGI app answers them with 500).
        """
        if len(raw_body) > self.max_body_bytes:
            return ReceiveResult(413, error=f"body larger than {self.max_body_bytes} bytes")
        signature = _header(headers, SIGNATURE_HEADER)
        if not signature:
            return ReceiveResult(401, error="missing Authorization header (the webhook signature)")
        if not verify_signature(self.app_key, self._secret, raw_body, signature):
            # never say what was expected: that would sign a forged body for the caller
            return ReceiveResult(401, error="signature does not match (check app_key and app_secret)")
        try:
            event = parse_event(raw_body)
        except RecordError as err:
            return self.keep(raw_body, str(err))
        stale = self._stale(event)
        if stale:
            return ReceiveResult(401, error=stale)
        if isinstance(event, UnknownEvent):
            reason = f"{event.label}: type {event.type} is not one erpsync parses"
            return self.keep(raw_body, reason, key=event.dedupe_key)
        return ReceiveResult(200, event=event, duplicate=self._handled(event.dedupe_key))

    def deliver(self, raw_body: bytes, headers: Mapping[str, str], on_event: Callable[[WebhookEvent], None]) -> Reply:
        """Receive one delivery end to end: check, claim, run ``on_event``, record; the answer to send."""
        try:
            result = self.handle(raw_body, headers)
        except Exception:  # the state store failed: a 500 makes the platform retry later
            log.exception("webhook not received: the notification log failed")
            return Reply(500, "could not record the notification")
        if result.status != 200:
            log.warning("webhook refused (%d): %s", result.status, result.error)
            return Reply(result.status, result.error or "refused")
        if result.kept:
            return Reply(200, "kept for inspection")
        if result.duplicate or result.event is None:
            return Reply(200, "duplicate")
        return self._claimed(raw_body, result.event, on_event)

    def _claimed(self, raw_body: bytes, event: WebhookEvent, on_event: Callable[[WebhookEvent], None]) -> Reply:
        owner = uuid.uuid4().hex
        key, claims = event.dedupe_key, self._claims()
        try:
            state = claims.claim(
                key, source=self.source, owner=owner, now=self.clock(), ttl_seconds=self.claim_ttl_seconds
            )
        except Exception:
            log.exception("webhook not received: could not claim %s", event.label)
            return Reply(500, "could not record the notification")
        if state == "handled":
            return Reply(200, "duplicate")
        if state != "claimed":
            log.info("%s is being handled by another delivery; asking the platform to retry", event.label)
            return Reply(503, "being handled by another delivery")
        try:
            on_event(event)
        except KeepForInspection as exc:
            self._give_back(claims, key, owner, event)
            try:
                self.keep(raw_body, f"{event.label}: {exc}", key=key)
            except Exception:
                log.exception("could not keep %s; the platform will retry it", event.label)
                return Reply(500, "could not record the notification")
            return Reply(200, "kept for inspection")
        except Exception as exc:  # the handler is the caller's code: report, do not crash the server
            log.exception("webhook handler failed for %s", event.label)
            reason = f"{event.label}: handler failed: {type(exc).__name__}: {exc}"
            try:
                self.keep(raw_body, reason, key=key)
            except Exception:
                log.exception("could not keep %s either; only the platform's retries are left", event.label)
            self._give_back(claims, key, owner, event)
            return Reply(500, "handler failed")
        try:
            self.mark_handled(event)
        except Exception:  # handled all the same: a 500 would only have it handled twice
            log.exception("%s was handled but could not be recorded; a redelivery will be handled again", event.label)
            self._give_back(claims, key, owner, event)
        return Reply(200, "ok")

    def _give_back(self, claims: NotificationClaims, key: str, owner: str, event: WebhookEvent) -> None:
        try:
            claims.release(key, source=self.source, owner=owner)
        except Exception:  # the claim expires after its ttl all the same
            log.exception("could not release the claim on %s; it lapses in %ss", event.label, self.claim_ttl_seconds)

    def _claims(self) -> NotificationClaims:
        if not hasattr(self.log, "claim"):
            raise TypeError(f"{type(self.log).__name__} cannot claim notifications (no claim method)")
        return self.log  # type: ignore[return-value]

    def keep(self, raw_body: bytes, reason: str, *, key: str | None = None) -> ReceiveResult:
        """Store a signed body that will not be handled now, warn about it, and answer 200.

        The log line names the notification (its id, or the body's digest) and the reason, never
        the body (it may hold buyer data) nor the secret.
        """
        name = f"notification {key or body_key(raw_body)}"
        reason = (reason if name in reason else f"{name}: {reason}")[:MAX_ERROR_CHARS]
        first = self.log.keep(self.source, raw_body, reason, self.clock(), key=key)
        if first:
            log.warning("webhook kept for inspection, not handled: %s", reason)
        else:
            log.info("webhook delivered again, kept again: %s", reason)
        return ReceiveResult(200, duplicate=not first, kept=True, error=reason)

    def mark_handled(self, event: WebhookEvent) -> None:
        """Record the event's dedupe key: its redeliveries are duplicates from now on."""
        self.log.record(event.dedupe_key, source=self.source, now=self.clock())

    def _handled(self, key: str) -> bool:
        """Whether the key was handled before (recorded by :meth:`mark_handled`)."""
        return self.log.has(key, source=self.source)

    def _stale(self, event: WebhookEvent) -> str | None:
        """Why the event's timestamp is outside the window, or None when it is inside (or unchecked)."""
        window = self.timestamp_window_seconds
        if window is None:
            return None
        age = (self.clock() - event.timestamp).total_seconds()
        if age > window:
            return f"{event.label}: timestamp {event.timestamp.isoformat()} is older than {window:g} s (a replay)"
        if -age > FUTURE_SKEW_SECONDS:
            return (
                f"{event.label}: timestamp {event.timestamp.isoformat()} is more than {FUTURE_SKEW_SECONDS:g} s "
                "ahead of this machine's clock (check the clock)"
            )
        return None


def make_wsgi_app(receiver: WebhookReceiver, on_event: Callable[[WebhookEvent], None]) -> WsgiApp:
    """A WSGI app that receives webhooks on any path and calls ``on_event`` for each new event.

    The platform wants 200 within 3 s: ``on_event`` must only queue the work (e.g. write a sync
    request or an outbox row), never call the Open API itself. See :meth:`WebhookReceiver.deliver`.
    """
    from erpsync.connectors.tiktok.webhooks.wsgi import wsgi_app

    return wsgi_app(lambda raw, headers: receiver.deliver(raw, headers, on_event), receiver.max_body_bytes)
