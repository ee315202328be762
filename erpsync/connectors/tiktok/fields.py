"""What every TikTok schema of this package is built from: the one base schema and the shared fields.

Every schema derives from :class:`Base`, which drops unknown fields: the API adds fields often,
and erpsync reads only what it uses. Text comes from :func:`text` (the API sends null or omits
blank fields; both read as ``""``), ids from :class:`Id` (strings even when the API sends JSON
numbers), times from :class:`UnixTime` (checked before they become datetimes), documented enums
from :class:`Tolerant` (a value this client does not know is a note, not an error). A field type
used by one API only stays in that API's ``schemas.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate

log = logging.getLogger("erpsync.connectors.tiktok")

#: ids longer than this are cut where they are shown (record labels, notes, messages), so an
#: absurd id cannot flood a log line
LABEL_ID_CHARS = 64
#: 9999-12-31T23:59:59Z; beyond it ``datetime`` overflows
MAX_UNIX_SECONDS = 253_402_300_799


class Base(Schema):
    """Unknown fields are dropped: the API adds fields often, and we read only what we use."""

    class Meta:
        unknown = EXCLUDE


def text(**kwargs: Any) -> fields.String:
    """Optional text: the API sends null or omits blank fields; both read as ``""``."""
    return fields.String(load_default="", allow_none=True, **kwargs)


def texts(**kwargs: Any) -> fields.List:
    return fields.List(fields.String(), load_default=list, **kwargs)


def opt_int() -> fields.Integer:
    return fields.Integer(load_default=None, allow_none=True)


def unix_seconds(*, required: bool = False) -> fields.Integer:
    """Unix seconds kept as an integer (a model that de-duplicates or pages on it), checked here:
    a value in milliseconds, or any other that no ``datetime`` can hold, would otherwise raise
    ``ValueError``/``OSError`` wherever it is turned into a time, far from the record that held it.
    Loaded through ``loading.load_page`` it is a ``RecordError`` naming the record and the field."""
    in_range = validate.Range(0, MAX_UNIX_SECONDS, error="Unix time {input} is out of range (milliseconds?)")
    if required:
        return fields.Integer(required=True, validate=in_range)
    return fields.Integer(load_default=None, allow_none=True, validate=in_range)


def decimal() -> fields.Decimal:
    """An optional amount; money stays a ``Decimal`` (the API sends it as a string)."""
    return fields.Decimal(load_default=None, allow_none=True)


def _id_text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValidationError("not an id (expected a string or an integer)")
    text = str(value).strip()
    if not text:
        raise ValidationError("empty id")
    return text


class Id(fields.Field[str]):
    """A 64-bit id. Sent as a string, but some endpoints send JSON numbers: accept both, keep str."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str:
        return _id_text(value)


class OptionalId(fields.Field[str | None]):
    """An id the API leaves blank ("") until it exists: a line item's package before
    fulfilment, a package's shipping provider before it ships. Blank means absent (None)."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> str | None:
        if isinstance(value, str) and not value.strip():
            return None
        return _id_text(value)


def optional_id() -> OptionalId:
    return OptionalId(load_default=None, allow_none=True)


class RefSchema(Base):
    """A reference ``{id}`` (an order's packages, a package's orders), read as the id itself."""

    id = Id(required=True)

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> str:
        return data["id"]


class UnixTime(fields.Field):
    """Unix seconds (or milliseconds with ``millis=True``) → aware UTC datetime.

    A string of digits is accepted too (the webhook guide shows one). A value that cannot be a
    date is a ValidationError naming the field, never an ``OverflowError``.
    """

    def __init__(self, *, millis: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale = 1000 if millis else 1

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> datetime:
        if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 16:
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("not a Unix time (expected an integer)")
        if not 0 <= value <= MAX_UNIX_SECONDS * self.scale:
            raise ValidationError(f"Unix time {value} is out of range")
        return datetime.fromtimestamp(value / self.scale, UTC)


class Tolerant(fields.Field):
    """A documented enum. A value this client does not know reads as ``unknown`` (the enum's
    ``UNKNOWN`` member unless another is given), never as a RecordError: TikTok adds values
    (statuses, handover methods) without a new API version, and a new value must not drop the
    whole record. :func:`unknown_values` turns such values into notes naming field and value.
    A value that is not text at all is still malformed (ValidationError)."""

    def __init__(self, enum: type[StrEnum], *, unknown: Any = ..., **kwargs: Any) -> None:
        kwargs.setdefault("allow_none", not kwargs.get("required", False))  # a required one must be sent
        super().__init__(**kwargs)
        self.enum = enum
        self.unknown = enum["UNKNOWN"] if unknown is ... else unknown

    def knows(self, value: str) -> bool:
        return value in {m.value for m in self.enum if m is not self.unknown}

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        if not isinstance(value, str):
            raise ValidationError(f"not text (expected one of {', '.join(self.enum)})")
        text = value.strip()
        return self.enum(text) if self.knows(text) else self.unknown


def unknown_values(schema: Schema, original: Any, *, prefix: str = "") -> tuple[str, ...]:
    """One note per :class:`Tolerant` field of ``schema`` whose raw value in ``original`` was not
    known (a blank value only when the field is required), e.g. ``status 'NEW' is not a value
    this client knows: read as UNKNOWN``. Call it from a ``post_load(pass_original=True)``."""
    if not isinstance(original, Mapping):
        return ()
    notes = []
    for name, field in schema.fields.items():
        raw = original.get(field.data_key or name)
        if not isinstance(field, Tolerant) or not isinstance(raw, str) or field.knows(raw.strip()):
            continue
        if raw.strip() or field.required:
            shown = "nothing (no evidence)" if field.unknown is None else str(field.unknown)
            notes.append(f"{prefix}{name} {raw[:LABEL_ID_CHARS]!r} is not a value this client knows: read as {shown}")
    return tuple(notes)


def noted(record: str, notes: tuple[str, ...]) -> tuple[str, ...]:
    """Log each note (a warning naming the record, field and value) and hand the notes back."""
    for note in notes:
        log.warning("%s: %s", record, note)
    return notes
