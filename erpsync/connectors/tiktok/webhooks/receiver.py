"""Receiving TikTok Shop webhooks: verify, parse, dedupe, and never lose a signed notification.

The platform POSTs ``{type, tts_notification_id, shop_id, timestamp, data}`` with the header
``Authorization: hex(HMAC-SHA256(key=app_secret, msg=app_key + raw_body))`` and wants an answer
within 3 s, so the receiver does only cheap work: check the signature over the exact raw bytes,
parse, dedupe, hand the event on.

Answers. The platform counts only HTTP 200 and 401 as received; anything else is retried after
2 min, 30 min, 3 h and 12 h, then dropped (TikTok Shop Partner Center webhook guide). So:

- no signature or a wrong one: 401 (received, i.e. never retried: a forgery is not worth a retry);
- signed, but not JSON, not the documented shape, or a type erpsync does not know: 200, and the
  raw body is kept in the state store (``NotificationLog.keep``) with the reason and a
  log warning, because a retry would bring the same bytes and fail the same way;
- a handler that fails: 500, so the platform retries (a full queue or a database hiccup usually
  passes) -- and the raw body is kept first, because after the fourth retry the platform drops it;
  once a retry is handled, the kept row counts as handled and leaves the list of open ones;
- the store itself failing: 500, for the same reason (the retry may find it back);
- a body over 1 MiB, unsigned as far as anyone checked: 413 (far above any real notification).

Dedupe. The key is ``tts_notification_id``, or, where a payload has none (older payloads,
independent SDKs' samples), ``sha256:`` and the digest of the raw body: the same bytes twice are
one notification. The key is recorded (``NotificationLog``) only after the handler succeeded
(:meth:`WebhookReceiver.mark_handled`): recording first would answer the retry we asked for with
"duplicate" and drop the event. Two deliveries racing through the handler at once can both be
handled, so handlers must be idempotent (they only queue work or mark a shop for a sync).
Webhooks stay hints either way: the incremental order/package sync is the source of truth.

Parsing. A body comes from the internet, so :func:`parse_event` never crashes: anything that is
not the documented shape (not JSON, missing or mistyped fields, absurdly long strings, nesting deep
enough to blow the recursion limit) becomes a ``RecordError`` naming the notification and the
field. Ids are strings even when sent as JSON numbers (``product_id`` often is one): ``json`` keeps
integers exact at any size and a number with a fraction or exponent is refused as an id.
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

from marshmallow import ValidationError

from erpsync.connectors.tiktok.loading import record_error
from erpsync.connectors.tiktok.webhooks.models import EVENT_CLASSES, UnknownEvent, WebhookEvent
from erpsync.connectors.tiktok.webhooks.schemas import DATA_SCHEMAS, MAX_ID_CHARS, EnvelopeSchema
from erpsync.core.errors import RecordError
from erpsync.core.ports import NotificationLog

log = logging.getLogger(__name__)

#: far above any real notification; bigger bodies are refused before hashing or parsing
MAX_BODY_BYTES = 1 << 20
SIGNATURE_HEADER = "authorization"
MAX_ERROR_CHARS = 500
SOURCE = "TikTok webhook"
DIGEST_PREFIX = "sha256:"


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


# -- parsing ------------------------------------------------------------------------------------


def body_key(raw_body: bytes) -> str:
    """The dedupe key of a body that carries no ``tts_notification_id``."""
    return DIGEST_PREFIX + hashlib.sha256(raw_body).hexdigest()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _label(raw: Mapping[str, Any], digest_key: str) -> str:
    nid = raw.get("tts_notification_id")
    if isinstance(nid, str | int) and not isinstance(nid, bool) and 0 < len(str(nid).strip()) <= MAX_ID_CHARS:
        return f"notification {str(nid).strip()}"
    return f"notification {digest_key}"


def parse_event(raw_body: bytes) -> WebhookEvent:
    """The typed event of one webhook body; RecordError naming the notification and the field."""
    digest_key = body_key(raw_body)
    try:
        raw = json.loads(raw_body, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        reason = str(exc)[:200] if not isinstance(exc, RecursionError) else "nested too deeply"
        raise RecordError(f"body is not JSON: {reason}", record=f"notification {digest_key}", source=SOURCE) from None
    if not isinstance(raw, Mapping):
        got = type(raw).__name__
        raise RecordError(f"expected a JSON object, got {got}", record=f"notification {digest_key}", source=SOURCE)
    label = _label(raw, digest_key)
    try:
        envelope = EnvelopeSchema().load(raw)
    except ValidationError as exc:
        raise record_error(exc, raw, kind="notification", index=0, source=SOURCE, record=label) from None
    nid = envelope["tts_notification_id"]
    base = {
        "type": envelope["type"],
        "shop_id": envelope["shop_id"],
        "timestamp": envelope["timestamp"],
        "notification_id": nid,
        "dedupe_key": nid or digest_key,
    }
    kind, data = envelope["type"], envelope["data"]
    schema = DATA_SCHEMAS.get(kind)
    if schema is None:
        return UnknownEvent(**base, data=data)
    if not isinstance(data, Mapping):
        got = "nothing" if data is None else type(data).__name__
        raise RecordError(f"expected an object, got {got}", record=label, field="data", source=SOURCE)
    try:
        fields_ = schema().load(data)
    except ValidationError as exc:
        wrapped = ValidationError({"data": exc.messages})
        raise record_error(wrapped, raw, kind="notification", index=0, source=SOURCE, record=label) from None
    return EVENT_CLASSES[kind](**base, **fields_)


# -- receiving ----------------------------------------------------------------------------------


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


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        for key, candidate in headers.items():
            if key.lower() == name:
                return candidate
    return value


class WebhookReceiver:
    """Verifies, parses, dedupes and keeps one delivery at a time; holds no other state."""

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
        """401 bad/missing signature, 413 too large, else 200: new, duplicate, or kept.

        A new event is not recorded yet: call :meth:`mark_handled` once it has been handled.
        Errors of the ``NotificationLog`` propagate (the WSGI app answers them with 500).
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
            return self.keep(raw_body, str(err))
        if isinstance(event, UnknownEvent):
            reason = f"{event.label}: type {event.type} is not one erpsync parses"
            return self.keep(raw_body, reason, key=event.dedupe_key)
        return ReceiveResult(200, event=event, duplicate=self._handled(event.dedupe_key))

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


# -- WSGI --------------------------------------------------------------------------------------


def make_wsgi_app(
    receiver: WebhookReceiver, on_event: Callable[[WebhookEvent], None]
) -> Callable[..., Iterable[bytes]]:
    """A WSGI app that receives webhooks on any path and calls ``on_event`` for each new event.

    The platform wants 200 within 3 s: ``on_event`` must only queue the work (e.g. put the event
    on a queue or mark the shop for a sync), never call the Open API itself. The event counts as
    handled only once ``on_event`` returned; if it raises, the raw body is kept, the failure
    logged, and the app answers 500 so the platform retries (see the module docstring).
    """
    from werkzeug.exceptions import RequestEntityTooLarge
    from werkzeug.wrappers import Request, Response

    def reply(status: int, message: str) -> Response:
        body = json.dumps({"code": 0 if status == 200 else status, "message": message})
        return Response(body, status=status, mimetype="application/json")

    def deliver(raw: bytes, headers: Mapping[str, str]) -> Response:
        try:
            result = receiver.handle(raw, headers)
        except Exception:  # the state store failed: a 500 makes the platform retry later
            log.exception("webhook not received: the notification log failed")
            return reply(500, "could not record the notification")
        if result.status != 200:
            log.warning("webhook refused (%d): %s", result.status, result.error)
            return reply(result.status, result.error or "refused")
        if result.kept:
            return reply(200, "kept for inspection")
        if result.duplicate or result.event is None:
            return reply(200, "duplicate")
        event = result.event
        try:
            on_event(event)
        except Exception as exc:  # the handler is the caller's code: report, do not crash the server
            log.exception("webhook handler failed for %s", event.label)
            reason = f"{event.label}: handler failed: {type(exc).__name__}: {exc}"
            try:
                receiver.keep(raw, reason, key=event.dedupe_key)
            except Exception:
                log.exception("could not keep %s either; only the platform's retries are left", event.label)
            return reply(500, "handler failed")
        try:
            receiver.mark_handled(event)
        except Exception:  # handled all the same: a 500 would only have it handled twice
            log.exception("%s was handled but could not be recorded; a redelivery will be handled again", event.label)
        return reply(200, "ok")

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
        # a plain mapping: the WSGI server already joined repeated headers, so no value is lost
        return deliver(raw, dict(request.headers))(environ, start_response)

    return app
