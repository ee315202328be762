"""One record into its typed value, or a ``RecordError`` naming the record and the first bad field.

The one loader of the package: the client (shops, warehouses), every API module and the webhook
receiver load through it. Records are loaded one at a time, so one malformed record never costs
the rest of the page; a page that is not a list at all is a broken response (``PermanentError``).
The schemas (``fields.py`` and each API's ``schemas.py``) build frozen dataclasses in
``post_load``, so a caller gets a typed value or a ``RecordError``.

Paging (following ``next_page_token``) is in ``paging.py``, beside the client it calls: this
module only loads, so the client can use it without a circle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, ValidationError

from erpsync.connectors.tiktok.fields import LABEL_ID_CHARS
from erpsync.core.errors import PermanentError, RecordError
from erpsync.core.models import Records


def _first_field(messages: Any, prefix: str = "") -> tuple[str | None, str]:
    """The dotted path and text of the first error in marshmallow's nested ``messages``."""
    if isinstance(messages, Mapping) and messages:
        key, value = next(iter(messages.items()))
        name = f"{prefix}.{key}" if prefix else str(key)
        if key == "_schema":
            name = prefix
        field, text = _first_field(value, name)
        return field or None, text
    if isinstance(messages, list | tuple) and messages:
        return prefix or None, "; ".join(str(m) for m in messages)
    return prefix or None, str(messages)


def record_error(
    exc: ValidationError,
    raw: Any,
    *,
    kind: str,
    index: int,
    source: str,
    record: str | None = None,
    record_id: str | None = None,
) -> RecordError:
    """Turn a validation failure into a RecordError naming the record and the first bad field."""
    rid = (raw.get("id") or raw.get("package_id")) if isinstance(raw, Mapping) else None
    name = record or (
        f"{kind} {rid}" if isinstance(rid, str | int) and not isinstance(rid, bool) else f"{kind} #{index}"
    )
    field, text = _first_field(exc.messages)
    return RecordError(text, record=name, field=field, source=source, record_id=record_id)


def raw_id(raw: Any) -> str | None:
    """The id a raw record carries, whole, as its loaded value would hold it (``fields.Id``:
    a string or an integer, stripped); None when it carries none that could be read."""
    rid = raw.get("id") if isinstance(raw, Mapping) else None
    if isinstance(rid, str | int) and not isinstance(rid, bool) and str(rid).strip():
        return str(rid).strip()
    return None


def label(kind: str, raw: Any, index: int) -> str:
    """``product 1729…`` when the raw record has a usable id, else ``product #3`` (its position)."""
    shown = raw_id(raw)
    if shown is not None:
        if len(shown) > LABEL_ID_CHARS:
            shown = shown[:LABEL_ID_CHARS] + "…"
        return f"{kind} {shown}"
    return f"{kind} #{index}"


def load_typed(
    schema: Schema,
    raw: Any,
    *,
    kind: str,
    source: str,
    index: int = 0,
    record: str | None = None,
    record_id: str | None = None,
) -> Any:
    """One typed record, or RecordError naming the record and the first bad field.

    The error's ``record_id`` is ``record_id`` when the caller knows which record it asked for,
    else, for a record the caller does not name, the id the raw record carries (``raw_id``).
    """
    name = record or label(kind, raw, index)
    if record is None and record_id is None:
        record_id = raw_id(raw)
    if not isinstance(raw, Mapping):
        reason = f"expected an object, got {type(raw).__name__}"
        raise RecordError(reason, record=name, source=source, record_id=record_id)
    try:
        return schema.load(raw)
    except ValidationError as exc:
        raise record_error(exc, raw, kind=kind, index=index, source=source, record=name, record_id=record_id) from None


def load_page(
    schema: Schema,
    data: Mapping[str, Any],
    key: str,
    *,
    kind: str,
    source: str,
    operation: str,
    connector: str = "tiktok",
) -> Records[Any]:
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


def load_list(schema: Schema, data: Mapping[str, Any], key: str, *, kind: str, source: str) -> list[Any]:
    """Every record of ``data[key]``, where the first malformed one raises instead of being set
    aside: for lists that are cached or acted on whole (a fulfilment API's delivery options),
    where a partial list would silently hide an entry."""
    items = data.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise RecordError(f"expected a list, got {type(items).__name__}", record=key, field=key, source=source)
    return [load_typed(schema, raw, kind=kind, source=source, index=i) for i, raw in enumerate(items)]
