"""Parsing the warehouses file into rows, keeping what a rewrite needs to reproduce the rest."""

from __future__ import annotations

import codecs
import csv
import io
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from erpsync.core.errors import PermanentError, RecordError

#: Python's csv module refuses a field longer than this by default (``csv.field_size_limit()``,
#: 131072 characters). Such a field is almost always an unclosed quote that swallowed the rows
#: after it, so a row holding one is reported, not loaded.
FIELD_LIMIT = 128 * 1024

# csv.field_size_limit is process-wide: raised for one parse, under a lock, then put back.
_limit_lock = threading.Lock()


@dataclass
class Document:
    """One parse of the warehouses file, with what a rewrite must keep (BOM, line endings)."""

    path: Path
    bom: bool
    crlf: bool
    #: (line, index, row): line as error messages name it; index into ``records`` or ``data``
    rows: list[tuple[int, int, Any]] = field(default_factory=list)
    records: list[list[str]] = field(default_factory=list)  # CSV: every record, header and blanks included
    header_at: int = 0
    data: list[Any] | None = None  # JSON: the list of objects
    #: (line, reason) of CSV records the parser could not read at all; a rewrite would drop
    #: them, so writes are refused while there are any
    broken: list[tuple[int, str]] = field(default_factory=list)


def parse(path: Path, raw: bytes, fail: Callable[[str], Exception]) -> Document:
    """Parse the bytes of ``path``; ``fail(message)`` builds the error for a file that is unusable whole."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(f"cannot read: {exc}") from None
    end = text.find("\n")
    doc = Document(path, bom=raw.startswith(codecs.BOM_UTF8), crlf=end > 0 and text[end - 1] == "\r")
    if path.suffix == ".json":
        doc.data = _json_list(text, fail)
        doc.rows = [(i + 1, i, row) for i, row in enumerate(doc.data)]  # "line" = position in the list
    else:
        _csv_records(text, doc)
    return doc


def cell(value: Any) -> Any:
    """CSV cells are strings; JSON may carry numbers (ids, phones) that mean the same string."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else value
    if isinstance(value, int | float):
        return str(value)
    return value.strip() if isinstance(value, str) else value


def row_id(row: dict[str, Any]) -> str:
    """The id as the read side sees it ("E1 " is E1); "" when missing or not a plain value."""
    value = cell(row.get("id"))
    return value if isinstance(value, str) else ""


def _csv_records(text: str, doc: Document) -> None:
    """Every record, the header's index, and the data rows as dicts (like ``csv.DictReader``).

    Rows with more cells than the header keep the extra ones under ``__extra__``; missing cells
    read as None; a cell over ``FIELD_LIMIT`` is named under ``__oversize__``. A row's line is
    where it starts, blank lines counted.
    """
    names: list[str] | None = None
    line = 0
    with _limit_lock:
        previous = csv.field_size_limit()
        csv.field_size_limit(max(previous, len(text) + 1))  # no field can be longer than the text
        try:
            reader = csv.reader(io.StringIO(text, newline=""))
            while True:
                start = line + 1
                try:
                    record = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:  # e.g. a NUL byte: the reader skips to the next line
                    line = reader.line_num
                    doc.broken.append((start, str(exc)))
                    continue
                line = reader.line_num
                doc.records.append(record)
                if names is None:
                    if record:
                        names, doc.header_at = [h.strip() for h in record], len(doc.records) - 1
                    continue
                if not any(c.strip() for c in record):
                    continue  # blank line
                doc.rows.append((start, len(doc.records) - 1, _row(names, record)))
        finally:
            csv.field_size_limit(previous)
    if doc.rows and text.count('"') % 2 and any("\n" in c for c in doc.records[doc.rows[-1][1]]):
        # A quote never closed: the csv module reads the rest of the file into the last row's
        # cell (lines and all), which must not pass for a valid row. Quotes come in pairs
        # ("" inside a quoted cell is two), so the count is odd; a stray quote inside an
        # unquoted cell (12" pipe) is odd too, but spans no line.
        start = doc.rows.pop()[0]
        doc.broken.append((start, "a quote opened in this row is never closed: it runs to the end of the file"))


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


def _json_list(text: str, fail: Callable[[str], Exception]) -> list[Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(f"not valid JSON: {exc}") from None
    if not isinstance(data, list):
        raise fail("expected a list of warehouse objects")
    return data


def broken_rows(doc: Document, shown: str) -> list[RecordError]:
    """One RecordError per record the CSV reader could not read, named by file and line."""
    return [RecordError(f"cannot be parsed as CSV ({why})", source=f"{shown}:{line}") for line, why in doc.broken]


def read_side_file(path: Path, shown: str, operation: str) -> Document:
    """Read and parse one of the ERP's optional files (products, shipments, orders).

    A file that cannot be read, or is unusable whole, is one ``PermanentError`` naming it.
    """

    def fail(message: str) -> PermanentError:
        return PermanentError(f"{shown}: {message}", connector="files ERP", operation=operation)

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read: {exc.strerror or exc}") from None
    return parse(path, raw, fail)
