"""The ``webhook`` sink: a signed JSON POST per alert, in the Standard Webhooks 1.0 format.

For integrators who want the drift as data, not as words: their receiver verifies the signature
with any Standard Webhooks library and deduplicates on ``webhook-id``, which stays the same when
the outbox resends an alert on a later run. The signature covers the exact bytes sent, so the
body is serialised once and those bytes are both signed and posted. Redirects are not followed:
the standard counts a 3xx as a failure (the receiver should change the URL instead). The facts
and their sources: ``docs/alerts-webhook-email.md``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from marshmallow import Schema, ValidationError, fields

from erpsync.core.errors import ConfigError, PermanentError, TemporaryError
from erpsync.core.http import parse_retry_after
from erpsync.core.redaction import quoted, redact
from erpsync.plugins import hookimpl
from erpsync.plugins.alerts.base import AlertEvent, AlertSink

__all__ = ["SECRET_PREFIX", "WebhookOptions", "WebhookSink", "decode_secret", "message_id", "sign"]

SECRET_PREFIX = "whsec_"
#: the standard's minimum for an HMAC key: "at least 24 bytes (192 bits)"
MIN_KEY_BYTES = 24
#: seconds to connect and to wait for the answer (the standard recommends a 15-30 s timeout)
TIMEOUT = (5.0, 15.0)
#: headers the signature is made of: extra ``headers`` may not replace them
_OWN_HEADERS = frozenset({"webhook-id", "webhook-timestamp", "webhook-signature", "content-type"})
#: answers the standard names as "throttle" (429, 502, 504) plus 503, which carries Retry-After
_THROTTLED = frozenset({429, 502, 503, 504})


def decode_secret(secret: str) -> bytes:
    """The HMAC key inside a ``whsec_<base64>`` secret; ValueError saying what is wrong (never the value)."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError(f"must start with {SECRET_PREFIX!r} followed by the base64 key (a Standard Webhooks secret)")
    encoded = secret[len(SECRET_PREFIX) :]
    try:
        # padding is often dropped when secrets are copied; the reference library restores it too
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"the part after {SECRET_PREFIX!r} is not valid base64") from None
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"the key is {len(key)} bytes; Standard Webhooks keys are at least {MIN_KEY_BYTES}")
    return key


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: ``v1,`` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")


def message_id(event: AlertEvent) -> str:
    """The alert's stable id, the same on every resend, so a receiver can deduplicate on it.

    Events from the outbox carry their own ``id``; one built without it (a test message) falls
    back to the drift's fingerprint and what happened to it.
    """
    return event.id or f"{event.fingerprint}_{event.event}"


def digest_id(events: list[AlertEvent]) -> str:
    """A digest's id, derived from its alerts' ids: the same digest resent keeps its id."""
    joined = "\n".join(sorted(message_id(e) for e in events))
    return "dgst_" + hashlib.sha256(joined.encode()).hexdigest()[:24]


def _check_secret(value: str) -> None:
    try:
        decode_secret(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def _check_headers(value: Mapping[str, str]) -> None:
    taken = sorted(name for name in value if name.lower() in _OWN_HEADERS)
    if taken:
        raise ValidationError(f"{', '.join(taken)}: set by the sink (the signature covers them)")
    # requests refuses such a value when sending, quoting it: the error would carry a token
    bad = sorted(name for name, text in value.items() if text != text.strip() or any(c in text for c in "\r\n\0"))
    if bad:
        raise ValidationError(f"{', '.join(bad)}: a header value may not hold a line break or begin or end with spaces")


class WebhookOptions(Schema):
    url = fields.Url(
        required=True,
        schemes={"http", "https"},
        require_tld=False,
        metadata={"description": "the receiver's endpoint (https advised: the signature does not hide the data)"},
    )
    secret = fields.String(
        required=True,
        validate=_check_secret,
        metadata={"description": "the signing secret, whsec_ + base64 of at least 24 random bytes"},
    )
    headers = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        load_default=dict,
        validate=_check_headers,
        metadata={"description": "extra HTTP headers, e.g. an Authorization the receiver's gateway wants"},
    )


class WebhookSink(AlertSink):
    type = "webhook"
    description = "signed JSON POST per alert (Standard Webhooks: webhook-id, -timestamp, -signature)"
    Options = WebhookOptions
    secret_options = ("url", "secret")

    def __init__(self, options: dict[str, Any], *, base_dir: Path) -> None:
        try:
            # loading twice is harmless, and it checks the secret when the host passed a raw table
            loaded = WebhookOptions().load(dict(options))
        except ValidationError as exc:
            raise _options_error(self.type, exc) from None
        super().__init__(loaded, base_dir=base_dir)
        self.url: str = loaded["url"]
        self._key = decode_secret(loaded["secret"])
        self._extra: dict[str, str] = dict(loaded["headers"])
        self.host = urlsplit(self.url).hostname or "?"
        path = urlsplit(self.url)._replace(scheme="", netloc="").geturl()
        #: every form the URL's secret parts can take in an error text: the whole URL, its path,
        #: and the extra headers' values (an Authorization token)
        parts = (self.url, path if len(path) > 1 else "", loaded["secret"], *self._extra.values())
        self._secrets = tuple(s for s in parts if s)
        self.session = requests.Session()

    def send(self, event: AlertEvent) -> str:
        return self._post(message_id(event), f"erpsync.drift.{event.event}", event.at, event.as_dict())

    def send_digest(self, events: list[AlertEvent]) -> str | None:
        if not events:
            return None
        data = {"count": len(events), "events": [e.as_dict() for e in events]}
        return self._post(digest_id(events), "erpsync.drift.digest", max(e.at for e in events), data)

    def close(self) -> None:
        self.session.close()

    def _post(self, msg_id: str, kind: str, at: datetime, data: dict[str, Any]) -> str:
        """Serialise once, sign those bytes, send them; classify the answer."""
        payload = {"type": kind, "timestamp": _iso(at), "data": data}
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        timestamp = int(time.time())
        headers = {
            **self._extra,
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(self._key, msg_id, timestamp, body),
        }
        op = f"POST {self.host}"
        try:
            response = self.session.post(self.url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False)
        except requests.Timeout as exc:
            raise TemporaryError(f"timed out: {self._redact(str(exc))}", connector="webhook", operation=op) from None
        except requests.RequestException as exc:
            # connection refused or reset, DNS: the receiver may be back on a later run
            raise TemporaryError(
                f"connection failed: {self._redact(str(exc))}", connector="webhook", operation=op
            ) from None
        return self._answer(response, op)

    def _answer(self, response: requests.Response, op: str) -> str:
        status = response.status_code
        snippet = quoted(response.text, self._redact, 200) if response.content else ""
        said = f"HTTP {status}" + (f": {snippet}" if snippet else "")
        if 200 <= status < 300:
            return said
        context: dict[str, Any] = {"connector": "webhook", "operation": op, "status": status}
        if status == 410:
            raise PermanentError(f"endpoint disabled: the receiver answered 410 Gone ({said})", **context)
        if status in _THROTTLED or status >= 500:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise TemporaryError(f"the receiver is busy or failing ({said})", retry_after=retry_after, **context)
        if 300 <= status < 400:
            raise PermanentError(
                f"redirected ({said}): redirects are not followed; set url to the new address", **context
            )
        raise PermanentError(f"refused ({said})", **context)

    def _redact(self, text: str) -> str:
        return redact(text, self._secrets)


def _options_error(sink: str, exc: ValidationError) -> ConfigError:
    """A ConfigError naming the first bad option (``webhook.secret: must start with ...``)."""
    messages = exc.messages if isinstance(exc.messages, dict) else {"": exc.messages}
    name, reasons = next(iter(messages.items()))
    reason = " ".join(str(r) for r in reasons) if isinstance(reasons, list) else str(reasons)
    return ConfigError(reason, key=f"{sink}.{name}" if name else sink)


def _iso(at: datetime) -> str:
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.isoformat()


@hookimpl
def register_alert_sinks(register: Callable[[type[AlertSink]], None]) -> None:
    register(WebhookSink)
