"""Reading an ERP CSV file into records and rows, the way a rewrite can reproduce them.

Every record is kept (header and blank lines included), so a rewrite changes only the cells it
means to. A record the csv module cannot read becomes a broken line with its reason, and the
reader goes on at the next line. A cell too long to be one, or more cells than the header has
columns, make the row misshapen: no cell of it can be trusted to be its column's.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from erpsync.core.errors import RecordError

__all__ = ["FIELD_LIMIT", "NEVER_CLOSED", "CsvRead", "csv_records", "misshapen"]

#: Python's csv module refuses a field longer than this by default (``csv.field_size_limit()``,
#: 131072 characters). Such a field is almost always an unclosed quote that swallowed the rows
#: after it, so a row holding one is reported, not loaded.
FIELD_LIMIT = 128 * 1024

# csv.field_size_limit is process-wide: raised for one parse, under a lock, then put back.
_limit_lock = threading.Lock()


@dataclass
class CsvRead:
    """What ``csv_records`` read, as ``Document`` keeps it (see its fields)."""

    records: list[list[str]] = field(default_factory=list)
    header_at: int = 0
    rows: list[tuple[int, int, Any]] = field(default_factory=list)
    broken: list[tuple[int, str]] = field(default_factory=list)


def csv_records(text: str, fail: Callable[[str], Exception]) -> CsvRead:
    """Every record, the header's index, and the data rows as dicts (like ``csv.DictReader``).

    Rows with more cells than the header keep the extra ones under ``__extra__``; missing cells
    read as None; a cell over ``FIELD_LIMIT`` is named under ``__oversize__``. A row's line is
    where it starts, blank lines counted. A header naming a column twice raises ``fail``.
    """
    doc = CsvRead()
    names: list[str] | None = None
    line = 0
    with _limit_lock:
        previous = csv.field_size_limit()
        csv.field_size_limit(max(previous, len(text) + 1))  # no field can be longer than the text
        try:
            # strict: a quote the file never closes is an error at its end, not a last cell that
            # swallowed every line after it, and a closing quote must end its cell
            reader = csv.reader(io.StringIO(text, newline=""), strict=True)
            while True:
                start = line + 1
                try:
                    record = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:  # e.g. a NUL byte: the reader goes on at the next line
                    line = reader.line_num
                    doc.broken.append((start, _why_broken(str(exc), start, line)))
                    continue
                line = reader.line_num
                doc.records.append(record)
                if names is None:
                    if record:
                        names, doc.header_at = [h.strip() for h in record], len(doc.records) - 1
                        _one_column_each(names, start, fail)
                    continue
                if not any(c.strip() for c in record):
                    continue  # blank line
                doc.rows.append((start, len(doc.records) - 1, _row(names, record)))
        finally:
            csv.field_size_limit(previous)
    return doc


#: what the csv module says of a quote the file never closes, and what erpsync says instead
_EOF_IN_QUOTE = "unexpected end of data"
NEVER_CLOSED = "a quote opened in this row is never closed: it runs to the end of the file"


def _why_broken(error: str, start: int, end: int) -> str:
    """The reason a CSV record could not be read, naming the lines it took when more than one:
    a quote opened and closed on another line (two stray quotes) takes the rows between."""
    if error == _EOF_IN_QUOTE:
        return NEVER_CLOSED
    if end > start:
        return f"{error}; a quote opened on line {start} runs to line {end}, taking the lines between"
    return error


def _one_column_each(names: list[str], line: int, fail: Callable[[str], Exception]) -> None:
    """A header must name each column once: a row's dict would keep the last cell silently."""
    seen: dict[str, int] = {}
    for number, name in enumerate(names, start=1):
        if name and name in seen:
            raise fail(f"line {line}: the header names column {name!r} twice (columns {seen[name]} and {number})")
        seen.setdefault(name, number)


def _row(names: list[str], record: list[str]) -> dict[str, Any]:
    row: dict[str, Any] = dict(zip(names, record, strict=False))
    if len(record) > len(names):
        row["__extra__"] = record[len(names) :]
    for name in names[len(record) :]:
        row.setdefault(name, None)
    big = next((i for i, c in enumerate(record) if len(c) > FIELD_LIMIT), None)
    if big is not None:
        row["__oversize__"] = (names[big] if big < len(names) else None, len(record[big]))
    return row


def misshapen(row: dict[str, Any], source: str, record: str) -> RecordError | None:
    """The error of a CSV row whose cells do not fit the header, or None when they do: a cell too
    long to be one (an unclosed quote that swallowed the lines after it, most likely), or more
    cells than the header has columns. Either way no cell can be trusted to be its column's."""
    if row.get("__oversize__"):
        column, length = row["__oversize__"]
        reason = (
            f"a cell of {length} characters, over the {FIELD_LIMIT // 1024} KiB a CSV field may hold: "
            "probably an unclosed quote that swallowed the lines after it"
        )
        return RecordError(reason, source=source, record=record, field=column)
    if row.get("__extra__"):
        return RecordError("row has more cells than the header", source=source, record=record)
    return None
