"""Odoo's field values as Python ones, and the reads every mapping shares.

What ``search_read`` returns (the ORM's ``read`` format, ``odoo/models.py``): a char or text
field is a string, or ``false`` when empty; a many2one is ``[id, display name]`` or ``false``;
a datetime is ``"YYYY-MM-DD HH:MM:SS"`` in UTC; floats are numbers. Anything else in a field
erpsync reads is the record's fault, reported as a RecordError naming the record and field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from erpsync.core.errors import NotFoundError, PermanentError, RecordError

from .transport import Transport

__all__ = [
    "ODOO_DATETIME",
    "label",
    "many2one",
    "odoo_datetime",
    "odoo_id",
    "read_ids",
    "search_all",
    "text",
    "to_odoo_datetime",
]

#: how Odoo writes a datetime over RPC (``odoo.tools.DEFAULT_SERVER_DATETIME_FORMAT``), in UTC
ODOO_DATETIME = "%Y-%m-%d %H:%M:%S"
_ESCAPED = re.compile("[\udc80-\udcff]")


def text(row: Mapping[str, Any], field: str, *, record: str) -> str:
    """A char field's value ("" when empty); a byte that was not UTF-8 is a RecordError naming it."""
    value = row.get(field, False)
    if value is False or value is None:
        return ""
    if not isinstance(value, str):
        raise RecordError(f"expected text, got {type(value).__name__}", record=record, field=field)
    bad = _ESCAPED.search(value)
    if bad is not None:
        byte = ord(bad.group()) - 0xDC00
        reason = f"not UTF-8: byte 0x{byte:02x} at character {bad.start() + 1}"
        raise RecordError(reason, record=record, field=field)
    return value


def label(row: Mapping[str, Any], kind: str) -> str:
    """How messages name a record: ``warehouse 11 (东莞仓)``, its name left out when unreadable."""
    name = row.get("name")
    shown = f" ({name})" if isinstance(name, str) and name and not _ESCAPED.search(name) else ""
    return f"{kind} {row.get('id')}{shown}"


def many2one(row: Mapping[str, Any], field: str, *, record: str) -> tuple[int, str] | None:
    """A many2one's ``(id, display name)``, None when empty."""
    value = row.get(field, False)
    if value is False or value is None:
        return None
    if (
        isinstance(value, list | tuple)
        and len(value) == 2
        and isinstance(value[0], int)
        and not isinstance(value[0], bool)
    ):
        return value[0], text({field: value[1]}, field, record=record)
    raise RecordError(f"expected [id, name], got {value!r:.60}", record=record, field=field)


def odoo_datetime(value: Any, field: str, *, record: str) -> datetime | None:
    """A datetime field's value as an aware UTC datetime, None when empty."""
    if value is False or value is None or value == "":
        return None
    try:
        return datetime.strptime(str(value), ODOO_DATETIME).replace(tzinfo=UTC)
    except ValueError:
        raise RecordError(f"not a datetime: {value!r:.40}", record=record, field=field) from None


def to_odoo_datetime(moment: datetime) -> str:
    """An aware datetime as Odoo stores it: UTC, to the second."""
    if moment.tzinfo is None:
        raise ValueError("the time must be timezone-aware")
    return moment.astimezone(UTC).strftime(ODOO_DATETIME)


def odoo_id(value: str, model: str, *, connector: str, operation: str) -> int:
    """The database id a record's erpsync id names; an id Odoo cannot have is a NotFoundError."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number <= 0 or str(number) != str(value).strip():
        raise NotFoundError(
            f"no {model} {value!r}: Odoo ids are positive integers", connector=connector, operation=operation
        )
    return number


def search_all(
    transport: Transport,
    model: str,
    domain: Sequence[Any],
    fields: Sequence[str],
    *,
    page_size: int,
    context: Mapping[str, Any] | None = None,
    operation: str,
) -> Iterator[dict[str, Any]]:
    """Every record ``domain`` selects, page by page, ordered by id (so no record is read twice).

    Each page asks for the ids after the last one read, not for an offset: a record that leaves
    the domain between two pages (archived, cancelled) would move every later one back a place
    under an offset, and the first of the next page would never be read. (Odoo's domains are in
    prefix notation with an implicit AND between top-level terms, so the id term is appended.)
    """
    last: int | None = None
    while True:
        where = list(domain) if last is None else [*domain, ["id", ">", last]]
        params = {"domain": where, "fields": list(fields), "offset": 0, "limit": page_size, "order": "id"}
        page = transport.call(model, "search_read", params, context=context, operation=operation)
        if not isinstance(page, list):
            reason = f"{model} search_read answered {type(page).__name__}, not a list"
            raise PermanentError(reason, connector=transport.owner.type, operation=operation)
        yield from page
        if len(page) < page_size:
            return
        row = page[-1]
        after, last = last, row.get("id") if isinstance(row, Mapping) else None
        # not past the last page's: the server ignored the condition, and paging on would repeat
        if not isinstance(last, int) or isinstance(last, bool) or (after is not None and last <= after):
            reason = f"{model} search_read answered a page without ids after the last page's"
            raise PermanentError(reason, connector=transport.owner.type, operation=operation)


def read_ids(
    transport: Transport,
    model: str,
    ids: Iterable[int],
    fields: Sequence[str],
    *,
    page_size: int,
    operation: str,
) -> dict[int, dict[str, Any]]:
    """The records with these ids, archived ones too, by id; an id Odoo does not have is absent."""
    wanted = sorted(set(ids))
    found: dict[int, dict[str, Any]] = {}
    for start in range(0, len(wanted), page_size):
        chunk = wanted[start : start + page_size]
        # one call per chunk: ``limit`` is the chunk's size, so no empty page is asked for after it
        params = {"domain": [["id", "in", chunk]], "fields": list(fields), "limit": len(chunk), "order": "id"}
        rows = transport.call(model, "search_read", params, context={"active_test": False}, operation=operation)
        if not isinstance(rows, list):
            reason = f"{model} search_read answered {type(rows).__name__}, not a list"
            raise PermanentError(reason, connector=transport.owner.type, operation=operation)
        for row in rows:
            if isinstance(row, dict) and isinstance(row.get("id"), int):
                found[row["id"]] = row
    return found
