"""Parsing a webhook body into a typed event: never crashes, whatever the internet sends.

Anything that is not the documented shape (not JSON, missing or mistyped fields, absurdly long
strings, nesting deep enough to blow the recursion limit) becomes a ``RecordError`` naming the
notification and the field. Ids are strings even when sent as JSON numbers (``product_id`` often is
one): ``json`` keeps integers exact at any size and a number with a fraction or exponent is refused
as an id.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError

from erpsync.connectors.tiktok.loading import record_error
from erpsync.connectors.tiktok.webhooks.models import EVENT_CLASSES, UnknownEvent, WebhookEvent
from erpsync.connectors.tiktok.webhooks.schemas import DATA_SCHEMAS, MAX_ID_CHARS, EnvelopeSchema
from erpsync.core.errors import RecordError

__all__ = ["DIGEST_PREFIX", "SOURCE", "body_key", "parse_event"]

SOURCE = "TikTok webhook"
DIGEST_PREFIX = "sha256:"


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
