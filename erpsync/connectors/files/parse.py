"""Parsing the ERP's files into rows, keeping what a rewrite needs to reproduce the rest.

Files are read and rewritten in the ``encoding`` option, UTF-8 by default. A file saved in the
Windows Chinese code page is GBK ("Microsoft Windows uses it under the name codepage 936", and GB
18030 added a four-byte form "while remaining compatible with GB2312 and GBK": Qt's page "GBK
Text Codec"), so ``encoding = "gb18030"`` reads both. A byte that does not decode costs only the
row holding it (``undecodable.py`` finds them): the row becomes a RecordError per line it has
such bytes on, naming file, line and its first such byte there (and the row's id and column
when they can be read), and the other rows are read. Such a row could not be written
back as it was, so writes to the file are refused until it is fixed, like a line the CSV reader
cannot read.

Nothing read is lost without a word. A CSV header that names a column twice makes the file
unusable whole (which cell is meant is anyone's guess). A JSON object that gives a key twice
(``json.loads`` keeps the last silently) costs its row: one RecordError naming the row and the
key, and writes are refused until it is fixed, since a rewrite would drop the other value. A
JSON object whose text writes a lone surrogate as an escape (``"\\udcff"``: half of a UTF-16
pair, which is no character) costs its row the same way: one RecordError naming the row, the
column and the escape. It is invalid text like a byte that does not decode (no text the ERP
means, and none the Open API, the database or a rewrite could carry), not a value to read as is.
"""

from __future__ import annotations

import codecs
import json
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from erpsync.core.errors import PermanentError, RecordError
from erpsync.core.json_keys import repeat_reason, repeated_key

from .parse_csv import csv_records
from .parse_json import json_list
from .undecodable import MARK, NOT_UTF8_HINT, BadByte, clean, decode, escaped_surrogates, is_utf8, marked_column

#: a row set aside while parsing: (line, reason, row or None, field or None, index or None), the
#: index into ``Document.records`` or ``Document.data`` as in ``Document.rows``
Aside = tuple[int, str, Any, str | None, int | None]


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
    #: JSON: the decoded text, and where each item of ``data`` starts and ends in it, so a
    #: rewrite replaces only the objects it changed
    text: str = ""
    spans: list[tuple[int, int]] = field(default_factory=list)
    #: (line, reason) of CSV records the parser could not read at all; a rewrite would drop
    #: them, so writes are refused while there are any
    broken: list[tuple[int, str]] = field(default_factory=list)
    #: (line, reason, row or None, column or None, index or None) of each line that does not
    #: decode; its row is left out of ``rows``, and writes are refused while there are any
    undecodable: list[Aside] = field(default_factory=list)
    #: (line, reason, row, field, index) of each JSON object that gives a key twice; left out of
    #: ``rows`` like an undecodable one, and writes are refused while there are any
    repeated: list[Aside] = field(default_factory=list)
    #: (line, reason, row, field or None, index) of each JSON object holding an escaped lone
    #: surrogate; set aside like a repeated key
    surrogates: list[Aside] = field(default_factory=list)
    encoding: str = "utf-8"
    #: JSON: the lines several items of the list start on (a minified file: line 1)
    crowded: set[int] = field(default_factory=set)

    @property
    def aside(self) -> list[Aside]:
        """(line, reason, row, field, index) of every row set aside while parsing."""
        return [*self.undecodable, *self.repeated, *self.surrogates]

    def place(self, line: int, index: int | None) -> str:
        """Where a row is, as error messages name it: its line, and its item's number in the list
        where several JSON items start on that line (a line alone would not tell them apart)."""
        return f"{line} (item {index + 1})" if index is not None and line in self.crowded else str(line)

    def place_in_words(self, line: int, index: int | None) -> str:
        """``place`` inside a message's parentheses: ``line 1, item 3`` (``line 4`` where the line
        holds one item), as in ``duplicate id (first on line 1, item 3)``."""
        return f"line {line}, item {index + 1}" if index is not None and line in self.crowded else f"line {line}"

    def source(self, shown: str, line: int, index: int | None) -> str:
        """A row's ``RecordError.source``: the file as shown, and ``place``."""
        return f"{shown}:{self.place(line, index)}"


def parse(path: Path, raw: bytes, fail: Callable[[str], Exception], encoding: str = "utf-8") -> Document:
    """Parse the bytes of ``path``; ``fail(message)`` builds the error for a file that is unusable whole."""
    utf8 = is_utf8(encoding)
    text, bad, some_decoded = decode(raw, encoding)
    end = text.find("\n")
    doc = Document(
        path, bom=utf8 and raw.startswith(codecs.BOM_UTF8), crlf=end > 0 and text[end - 1] == "\r", encoding=encoding
    )
    if path.suffix == ".json":
        doc.data, lines, doc.spans = json_list(text, fail)
        doc.text = text
        doc.crowded = {line for line, following in pairwise(lines) if line == following}
        doc.rows = [(line, i, row) for i, (line, row) in enumerate(zip(lines, doc.data, strict=True))]
        _set_aside_repeats(doc)
        _set_aside_surrogates(doc)
    else:
        read = csv_records(text, fail)
        doc.records, doc.header_at, doc.rows, doc.broken = read.records, read.header_at, read.rows, read.broken
        if not any(doc.records) and not doc.broken:  # an export that wrote nothing, not an ERP with nothing
            raise fail("is empty: a CSV file starts with a header row naming its columns")
    if bad:
        _set_aside(doc, bad, utf8, hint_first=utf8 and not some_decoded)
    return doc


def _set_aside(doc: Document, bad: list[BadByte], utf8: bool, *, hint_first: bool) -> None:
    """Leave out each row holding an undecodable byte, and name it by the line the byte is on.

    A byte is blamed on the one row whose text holds it: a JSON object may end on the line where
    the next begins, and several may share one line, each then named by its own first bad byte
    there. One error per row and line: a GBK row read as UTF-8 has a bad byte in every word.
    """
    name = "UTF-8" if utf8 else doc.encoding
    hint = "set option encoding if the export is GBK/GB18030" if utf8 else "check option encoding"
    if doc.data is not None:
        spoilt = {i for _line, i, row in doc.rows if MARK in json.dumps(row, ensure_ascii=False)}
    else:
        spoilt = {i for _line, i, _row in doc.rows if any(MARK in c for c in doc.records[i])}
    rows = {i: row for _line, i, row in doc.rows if i in spoilt}
    seen: dict[int | None, int] = {}  # row index (None: no row) → its bad bytes met so far
    named: set[tuple[int, int | None]] = set()
    for b, i in zip(bad, _holders(doc, bad, spoilt), strict=True):
        nth = seen[i] = seen.get(i, -1) + 1
        if (b.line, i) in named:
            continue
        reason = f"not {name} at byte {b.at} of the line (0x{b.byte:02X}): {hint}"
        if not named and hint_first:
            reason += f"; {NOT_UTF8_HINT}"
        named.add((b.line, i))
        row = rows.get(i) if i is not None else None
        doc.undecodable.append((b.line, reason, row, marked_column(row, nth), i))
    doc.rows = [r for r in doc.rows if r[1] not in spoilt]


def _holders(doc: Document, bad: list[BadByte], spoilt: set[int]) -> list[int | None]:
    """The index of the set-aside row holding each bad byte, or None (a CSV header; a JSON object
    set aside for a repeated key or a lone surrogate): a JSON object by where it is in the text, a
    CSV row by its lines (one row per line: a row ends at the end of a line)."""
    if doc.data is not None:
        spans = sorted((doc.spans[i], i) for i in spoilt)
        starts = [start for (start, _end), _i in spans]
        held: list[int | None] = []
        for b in bad:
            k = bisect_right(starts, b.char) - 1
            held.append(spans[k][1] if k >= 0 and b.char < spans[k][0][1] else None)
        return held
    by_line: dict[int, int] = {}
    for line, i, _row in doc.rows:
        if i in spoilt:  # a row spans one line more per newline inside its quoted cells
            for n in range(line, line + 1 + sum(c.count("\n") for c in doc.records[i])):
                by_line[n] = i
    return [by_line.get(b.line) for b in bad]


def _set_aside_repeats(doc: Document) -> None:
    """Leave out each JSON object that gives a key twice, and say which key."""
    kept = []
    for line, i, row in doc.rows:
        found = repeated_key(row)
        if found is None:
            kept.append((line, i, row))
            continue
        name, key = found
        doc.repeated.append((line, repeat_reason(key), row, name, i))
    doc.rows = kept


def _set_aside_surrogates(doc: Document) -> None:
    """Leave out each JSON object whose text escapes a lone surrogate, and say which."""
    found = {i: (code, column) for i, code, column in escaped_surrogates(doc.text, doc.data or [], doc.spans)}
    if not found:
        return
    kept = []
    for line, i, row in doc.rows:
        if i not in found:
            kept.append((line, i, row))
            continue
        code, column = found[i]
        reason = f"a lone surrogate \\u{code:04x} is no character (half of a UTF-16 pair, escaped alone): fix the text"
        doc.surrogates.append((line, reason, row, column, i))
    doc.rows = kept


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


def broken_rows(
    doc: Document, shown: str, kind: str = "record", id_key: str = "id", package_key: str | None = None
) -> list[RecordError]:
    """One RecordError per record the reader could not read, named by file and line: a CSV
    record the csv module refused, or a row set aside (a line that does not decode, a JSON object
    giving a key twice), with its row's id (also as ``record_id``) and column when the row is known.

    With ``package_key`` (an ERP shipment's Seller Center package) a set-aside row's error names
    the package the row gives there as clean text (``package_id``), as ``collect_records`` does:
    the tracking aspect then holds back that package's other rows, which the set-aside one may
    contradict. A package cell that did not decode, or that the object gives twice, names none.
    """
    errors = [RecordError(f"cannot be parsed as CSV ({why})", source=f"{shown}:{line}") for line, why in doc.broken]
    for line, reason, row, column, index in doc.aside:
        rid = cell(row.get(id_key)) if isinstance(row, dict) else ""
        known = rid if isinstance(rid, str) and rid and clean(rid) else None
        record = f"{kind} {known!r}" if known is not None else None
        package = text_cell(row, package_key) if package_key is not None and column != package_key else None
        where = doc.source(shown, line, index)
        errors.append(
            RecordError(reason, source=where, record=record, field=column, record_id=known, package_id=package)
        )
    return errors


def text_cell(row: Any, key: str) -> str | None:
    """The value ``row`` gives under ``key`` as a reader sees it (``cell``: a JSON integer is its
    digits), or None: no such value, empty, not a string or an integer, or holding an undecodable byte."""
    value = row.get(key) if isinstance(row, dict) else None
    if isinstance(value, float):  # a JSON number with a fraction or an exponent has lost digits
        return None
    value = cell(value)
    return value if isinstance(value, str) and value and clean(value) else None


def unwritable(doc: Document) -> str | None:
    """Why a rewrite of the file would lose lines (None: it would not)."""
    if doc.broken:
        return f"line {', '.join(str(line) for line, _ in doc.broken)} cannot be parsed as CSV"
    if doc.undecodable:
        lines = list(dict.fromkeys(doc.place(line, index) for line, *_, index in doc.undecodable))
        name = "UTF-8" if is_utf8(doc.encoding) else doc.encoding
        which = f"lines {', '.join(lines)} are" if len(lines) > 1 else f"line {lines[0]} is"
        return f"{which} not {name} (see option encoding)"
    if doc.repeated:
        lines = [doc.place(line, index) for line, *_, index in doc.repeated]
        many = len(lines) > 1
        which = f"the objects on lines {', '.join(lines)} give" if many else f"the object on line {lines[0]} gives"
        return f"{which} a key twice (a rewrite would drop a value)"
    if doc.surrogates:
        lines = [doc.place(line, index) for line, *_, index in doc.surrogates]
        which = (
            f"the objects on lines {', '.join(lines)} hold"
            if len(lines) > 1
            else f"the object on line {lines[0]} holds"
        )
        return f"{which} a lone surrogate, which is no character"
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
