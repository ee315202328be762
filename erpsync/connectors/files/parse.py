"""Parsing the ERP's files into rows, keeping what a rewrite needs to reproduce the rest.

Files are read and rewritten in the ``encoding`` option, UTF-8 by default. A file saved in the
Windows Chinese code page is GBK ("Microsoft Windows uses it under the name codepage 936", and GB
18030 added a four-byte form "while remaining compatible with GB2312 and GBK": Qt's page "GBK
Text Codec"), so ``encoding = "gb18030"`` reads both. A line that does not decode costs only the
row holding it: it becomes one RecordError naming file, line and byte (and the row's id and
column when they can be read), and the other rows are read. Such a row could not be written
back as it was, so writes to the file are refused until it is fixed, like a line the CSV reader
cannot read.

Nothing read is lost without a word. A CSV header that names a column twice makes the file
unusable whole (which cell is meant is anyone's guess). A JSON object that gives a key twice
(``json.loads`` keeps the last silently) costs its row: one RecordError naming the row and the
key, and writes are refused until it is fixed, since a rewrite would drop the other value.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from erpsync.core.errors import PermanentError, RecordError
from erpsync.core.json_keys import json_pairs, repeat_reason, repeated_key

#: Python's csv module refuses a field longer than this by default (``csv.field_size_limit()``,
#: 131072 characters). Such a field is almost always an unclosed quote that swallowed the rows
#: after it, so a row holding one is reported, not loaded.
FIELD_LIMIT = 128 * 1024

# csv.field_size_limit is process-wide: raised for one parse, under a lock, then put back.
_limit_lock = threading.Lock()


#: what an undecodable byte sequence reads as: a lone surrogate, which no decoded text contains
MARK = "\udcff"
_HANDLER = "erpsync-files-undecodable"


def _mark(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return MARK, exc.end


codecs.register_error(_HANDLER, _mark)
#: what the first error of a file that is not UTF-8 at all adds
NOT_UTF8_HINT = (
    'no line of this file with non-ASCII text is UTF-8: it is probably a GBK/GB18030 export, set encoding = "gb18030"'
)


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
    #: (line, reason, row or None, column or None) of each line that does not decode; its row
    #: is left out of ``rows``, and writes are refused while there are any
    undecodable: list[tuple[int, str, Any, str | None]] = field(default_factory=list)
    #: (line, reason, row, field) of each JSON object that gives a key twice; left out of
    #: ``rows`` like an undecodable one, and writes are refused while there are any
    repeated: list[tuple[int, str, Any, str]] = field(default_factory=list)
    encoding: str = "utf-8"


def is_utf8(encoding: str) -> bool:
    """Whether ``encoding`` names UTF-8 (``utf8``, ``UTF-8``): its files may start with a BOM."""
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def parse(path: Path, raw: bytes, fail: Callable[[str], Exception], encoding: str = "utf-8") -> Document:
    """Parse the bytes of ``path``; ``fail(message)`` builds the error for a file that is unusable whole."""
    utf8 = is_utf8(encoding)
    text, bad, some_decoded = decode(raw, encoding)
    end = text.find("\n")
    doc = Document(
        path, bom=utf8 and raw.startswith(codecs.BOM_UTF8), crlf=end > 0 and text[end - 1] == "\r", encoding=encoding
    )
    if path.suffix == ".json":
        doc.data, lines = _json_list(text, fail)
        doc.rows = [(line, i, row) for i, (line, row) in enumerate(zip(lines, doc.data, strict=True))]
        _set_aside_repeats(doc)
    else:
        _csv_records(text, doc, fail)
        if not any(doc.records) and not doc.broken:  # an export that wrote nothing, not an ERP with nothing
            raise fail("is empty: a CSV file starts with a header row naming its columns")
    if bad:
        _set_aside(doc, bad, utf8, hint_first=utf8 and not some_decoded)
    return doc


def decode(raw: bytes, encoding: str) -> tuple[str, list[tuple[int, int, int]], bool]:
    """The text; (line, byte in the line, the byte) of each line that does not decode in
    ``encoding`` (it reads with ``MARK`` there); and whether a line with non-ASCII bytes decoded.

    Whole first: a file that decodes costs one call. Line by line only when it does not; both
    UTF-8 and GB18030 keep byte 0x0A for the newline alone, so a split cannot cut a character.
    """
    utf8 = is_utf8(encoding)
    codec = "utf-8-sig" if utf8 else encoding
    try:
        return raw.decode(codec), [], True
    except UnicodeDecodeError:
        pass
    parts: list[str] = []
    bad: list[tuple[int, int, int]] = []
    some_decoded = False
    offset = len(codecs.BOM_UTF8) if utf8 and raw.startswith(codecs.BOM_UTF8) else 0
    for number, chunk in enumerate(raw.split(b"\n"), start=1):
        line_codec = codec if number == 1 else ("utf-8" if utf8 else encoding)
        try:
            parts.append(chunk.decode(line_codec))
            some_decoded = some_decoded or not chunk[offset if number == 1 else 0 :].isascii()
        except UnicodeDecodeError as exc:
            at = exc.start + (offset if number == 1 else 0)
            bad.append((number, at + 1, chunk[at]))
            parts.append(chunk.decode(line_codec, errors=_HANDLER))
    return "\n".join(parts), bad, some_decoded


def _set_aside(doc: Document, bad: list[tuple[int, int, int]], utf8: bool, *, hint_first: bool) -> None:
    """Leave out each row holding an undecodable byte, and name it by the line the byte is on."""
    name = "UTF-8" if utf8 else doc.encoding
    hint = "set option encoding if the export is GBK/GB18030" if utf8 else "check option encoding"
    if doc.data is not None:
        spoilt = {i for _line, i, row in doc.rows if MARK in json.dumps(row, ensure_ascii=False)}
    else:
        spoilt = {i for _line, i, _row in doc.rows if any(MARK in c for c in doc.records[i])}
    by_line: dict[int, Any] = {}
    for line, i, row in doc.rows if doc.data is None else ():
        if i in spoilt:  # a row spans one line more per newline inside its quoted cells
            for n in range(line, line + 1 + sum(c.count("\n") for c in doc.records[i])):
                by_line[n] = row
    for k, (line, at, byte) in enumerate(bad):
        row = by_line.get(line)
        column = next((str(c) for c, v in row.items() if isinstance(v, str) and MARK in v), None) if row else None
        reason = f"not {name} at byte {at} of the line (0x{byte:02X}): {hint}"
        if k == 0 and hint_first:
            reason += f"; {NOT_UTF8_HINT}"
        doc.undecodable.append((line, reason, row, column))
    doc.rows = [r for r in doc.rows if r[1] not in spoilt]


def _set_aside_repeats(doc: Document) -> None:
    """Leave out each JSON object that gives a key twice, and say which key."""
    kept = []
    for line, i, row in doc.rows:
        found = repeated_key(row)
        if found is None:
            kept.append((line, i, row))
            continue
        name, key = found
        doc.repeated.append((line, repeat_reason(key), row, name))
    doc.rows = kept


class IdLines:
    """Where each id was met, rows set aside included (undecodable, or repeating a key).

    A set-aside row still names its id: a later row with that id must not pass for the first one
    (the warehouses and shipments read it as a duplicate; a product whose first row was set aside
    is left out whole), exactly as if the set-aside row had been read and failed.
    """

    def __init__(self, doc: Document, id_key: str = "id") -> None:
        self.aside: dict[str, int] = {}
        for line, _reason, row, *_ in [*doc.undecodable, *doc.repeated]:
            rid = cell(row.get(id_key)) if isinstance(row, dict) else ""
            if isinstance(rid, str) and rid and MARK not in rid:
                self.aside[rid] = min(line, self.aside.get(rid, line))
        self._read: dict[str, int] = {}

    def set_aside_before(self, rid: str, line: int) -> bool:
        """Whether a row set aside named ``rid`` before ``line``."""
        return self.aside.get(rid, line) < line

    def repeated(self, rid: str, line: int, source: str, record: str, field: str = "id") -> RecordError | None:
        """The error of a row whose id an earlier row gave (None: the first, now noted): which
        row the ERP means is anyone's guess, and a write would set only one of them."""
        if not rid or (first := self.first(rid, line)) is None:
            return None
        return RecordError(f"duplicate id (first on line {first})", source=source, record=record, field=field)

    def first(self, rid: str, line: int) -> int | None:
        """The line ``rid`` was first met on, before ``line`` (None: ``line`` is its first, now noted)."""
        earlier = [n for n in (self._read.get(rid), self.aside.get(rid)) if n is not None and n < line]
        if earlier:
            return min(earlier)
        self._read[rid] = line
        return None


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


def _csv_records(text: str, doc: Document, fail: Callable[[str], Exception]) -> None:
    """Every record, the header's index, and the data rows as dicts (like ``csv.DictReader``).

    Rows with more cells than the header keep the extra ones under ``__extra__``; missing cells
    read as None; a cell over ``FIELD_LIMIT`` is named under ``__oversize__``. A row's line is
    where it starts, blank lines counted. A header naming a column twice raises ``fail``.
    """
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


def _json_list(text: str, fail: Callable[[str], Exception]) -> tuple[list[Any], list[int]]:
    """The file's list of records and the line each one starts on, as an editor counts them."""
    try:
        return _json_items(text)
    except json.JSONDecodeError as exc:
        raise fail(f"not valid JSON: {exc}") from None
    except ValueError as exc:  # valid JSON Python will not read: an integer of over 4,300 digits
        raise fail(f"cannot be read: {str(exc).split(';')[0]}") from None
    except RecursionError:
        raise fail("cannot be read: nested too deep") from None
    except _NotAList:
        raise fail("expected a list of objects, one per record") from None


class _NotAList(Exception):
    """The file is valid JSON, but not a list."""


_DECODER = json.JSONDecoder(object_pairs_hook=json_pairs)
_SPACE = re.compile(r"[ \t\n\r]*")  # what JSON allows between values
_AFTER_ITEM = re.compile(r"[ \t\n\r]*([,\]])[ \t\n\r]*")  # what may follow an item of the list


def _json_items(text: str) -> tuple[list[Any], list[int]]:
    """Decode a JSON list one item at a time, noting the line each item starts on.

    ``json.loads`` would give no positions; decoding each item where the last one ended reads
    the text once, with the same decoder and the same errors.
    """
    at = _SPACE.match(text).end()  # type: ignore[union-attr]
    if not text.startswith("[", at):
        _DECODER.decode(text)  # raises for text that is not JSON
        raise _NotAList
    items: list[Any] = []
    lines: list[int] = []
    line, counted = 1, 0
    at = _SPACE.match(text, at + 1).end()  # type: ignore[union-attr]
    closed = text.startswith("]", at)
    at += closed
    scan, count, after = _DECODER.scan_once, text.count, _AFTER_ITEM.match  # type: ignore[attr-defined]
    while not closed:
        line += count("\n", counted, at)
        counted = at
        try:
            item, at = scan(text, at)
        except StopIteration as exc:  # what ``raw_decode`` says for it
            raise json.JSONDecodeError("Expecting value", text, exc.value) from None
        items.append(item)
        lines.append(line)
        found = after(text, at)
        if found is None:
            raise json.JSONDecodeError("Expecting ',' delimiter", text, _SPACE.match(text, at).end())  # type: ignore[union-attr]
        closed, at = found.group(1) == "]", found.end()
    at = _SPACE.match(text, at).end()  # type: ignore[union-attr]
    if at != len(text):
        raise json.JSONDecodeError("Extra data", text, at)
    return items, lines


def broken_rows(doc: Document, shown: str, kind: str = "record", id_key: str = "id") -> list[RecordError]:
    """One RecordError per record the reader could not read, named by file and line: a CSV
    record the csv module refused, or a line that does not decode (with its row's id and column
    when the row is known)."""
    errors = [RecordError(f"cannot be parsed as CSV ({why})", source=f"{shown}:{line}") for line, why in doc.broken]
    for line, reason, row, column in [*doc.undecodable, *doc.repeated]:
        rid = cell(row.get(id_key)) if isinstance(row, dict) else ""
        record = f"{kind} {rid!r}" if isinstance(rid, str) and rid and MARK not in rid else None
        errors.append(RecordError(reason, source=f"{shown}:{line}", record=record, field=column))
    return errors


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


def unwritable(doc: Document) -> str | None:
    """Why a rewrite of the file would lose lines (None: it would not)."""
    if doc.broken:
        return f"line {', '.join(str(line) for line, _ in doc.broken)} cannot be parsed as CSV"
    if doc.undecodable:
        lines = [str(line) for line, *_ in doc.undecodable]
        name = "UTF-8" if is_utf8(doc.encoding) else doc.encoding
        which = f"lines {', '.join(lines)} are" if len(lines) > 1 else f"line {lines[0]} is"
        return f"{which} not {name} (see option encoding)"
    if doc.repeated:
        lines = [str(line) for line, *_ in doc.repeated]
        many = len(lines) > 1
        which = f"the objects on lines {', '.join(lines)} give" if many else f"the object on line {lines[0]} gives"
        return f"{which} a key twice (a rewrite would drop a value)"
    return None


def read_side_file(path: Path, shown: str, operation: str, encoding: str = "utf-8") -> Document:
    """Read and parse one of the ERP's optional files (products, shipments, orders).

    A file that cannot be read, or is unusable whole, is one ``PermanentError`` naming it.
    """

    def fail(message: str) -> PermanentError:
        return PermanentError(f"{shown}: {message}", connector="files ERP", operation=operation)

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read: {exc.strerror or exc}") from None
    return parse(path, raw, fail, encoding)
