"""Typed record loading and paging shared by every TikTok API module (the only copy of each).

The schemas here build frozen dataclasses in ``post_load``, so a caller gets a typed value or a
``RecordError`` naming the record and the first bad field, one record at a time: one malformed
record never costs the rest of the page. Searches are followed page by page (only one page is in
memory) and a page token seen twice stops the loop instead of paging forever.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from marshmallow import EXCLUDE, Schema, ValidationError, fields

from erpsync.connectors.tiktok import schemas
from erpsync.core.errors import PermanentError, RecordError
from erpsync.core.models import Records

if TYPE_CHECKING:  # client.py loads its shop and warehouse pages with load_page
    from erpsync.connectors.tiktok.client import TikTokClient

T = TypeVar("T")
log = logging.getLogger("erpsync.connectors.tiktok")

#: ids longer than this are cut in record labels so an absurd id cannot flood a log line
LABEL_ID_CHARS = 64
MIN_PAGE_SIZE = 1
MAX_PAGE_SIZE = 100


class TypedSchema(Schema):
    """Unknown fields are dropped: the API adds fields often, and we read only what we use."""

    class Meta:
        unknown = EXCLUDE


def text(**kwargs: Any) -> fields.String:
    """Optional text: the API sends null or omits blank fields; both read as ``""``."""
    return fields.String(load_default="", allow_none=True, **kwargs)


def opt_int() -> fields.Integer:
    return fields.Integer(load_default=None, allow_none=True)


def texts(**kwargs: Any) -> fields.List:
    return fields.List(fields.String(), load_default=list, **kwargs)


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


def label(kind: str, raw: Any, index: int) -> str:
    """``product 1729…`` when the raw record has a usable id, else ``product #3`` (its position)."""
    rid = raw.get("id") if isinstance(raw, Mapping) else None
    if isinstance(rid, str | int) and not isinstance(rid, bool) and str(rid).strip():
        shown = str(rid).strip()
        if len(shown) > LABEL_ID_CHARS:
            shown = shown[:LABEL_ID_CHARS] + "…"
        return f"{kind} {shown}"
    return f"{kind} #{index}"


def load_typed(schema: Schema, raw: Any, *, kind: str, source: str, index: int = 0, record: str | None = None) -> Any:
    """One typed record, or RecordError naming the record and the first bad field."""
    name = record or label(kind, raw, index)
    if not isinstance(raw, Mapping):
        raise RecordError(f"expected an object, got {type(raw).__name__}", record=name, source=source)
    try:
        return schema.load(raw)
    except ValidationError as exc:
        raise schemas.record_error(exc, raw, kind=kind, index=index, source=source, record=name) from None


def load_page(
    schema: Schema,
    data: Mapping[str, Any],
    key: str,
    *,
    kind: str,
    source: str,
    operation: str,
    connector: str = "tiktok",
) -> Records:
    """Every record of ``data[key]`` loaded on its own; a non-list is a broken response, not a record."""
    items = data.get(key)
    if items is None:
        items = []
    if not isinstance(items, list):
        raise PermanentError(f"unexpected response: {key} is not a list", connector=connector, operation=operation)
    good: list[Any] = []
    bad: list[RecordError] = []
    for index, raw in enumerate(items):
        try:
            good.append(load_typed(schema, raw, kind=kind, source=source, index=index))
        except RecordError as err:
            bad.append(err)
    return Records(items=tuple(good), errors=tuple(bad))


def check_page_size(page_size: int, maximum: int = MAX_PAGE_SIZE) -> int:
    """Catch a bad page size here rather than as a 400/36009004 after a round trip.

    ``maximum`` is the endpoint's limit (100 for products and orders, 50 for packages).
    """
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not MIN_PAGE_SIZE <= page_size <= maximum:
        raise ValueError(f"page_size must be an integer in {MIN_PAGE_SIZE}..{maximum}, not {page_size!r}")
    return page_size


def paginate(
    client: TikTokClient,
    path: str,
    *,
    cipher: str,
    query: Mapping[str, Any],
    body: Mapping[str, Any],
    operation: str,
    load: Callable[[Mapping[str, Any]], Records[T]],
) -> Iterator[Records[T]]:
    """Yield one ``Records`` per page. The next page is requested only when the caller asks for it.

    Every search is a POST that only reads, so it is sent as idempotent: a page whose answer was
    lost is simply asked for again. A ``next_page_token`` that is not text (or an integer) is a
    broken response: PermanentError, never a crash or a request with a garbled token.
    """
    token: str | None = None
    seen: set[str] = set()
    while True:
        page_query = {**query, "page_token": token}
        data = client.call(
            "POST", path, cipher=cipher, query=page_query, body=dict(body), operation=operation, idempotent=True
        )
        yield load(data)
        raw_token = data.get("next_page_token")
        if raw_token is None or raw_token == "":
            return
        if isinstance(raw_token, bool) or not isinstance(raw_token, str | int):
            raise PermanentError(
                f"unexpected response: next_page_token is {type(raw_token).__name__}, not text",
                connector=client.name,
                operation=operation,
            )
        token = str(raw_token)
        if token in seen:
            raise PermanentError(
                f"the API returned page_token {token[:LABEL_ID_CHARS]!r} twice: refusing to loop",
                connector=client.name,
                operation=operation,
            )
        seen.add(token)
