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
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from erpsync.core.errors import PermanentError, RecordError
from erpsync.core.json_keys import repeat_reason, repeated_key

from .parse_csv import csv_records
from .parse_json import json_list

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
    #: JSON: the decoded text, and where each item of ``data`` starts and ends in it, so a
    #: rewrite replaces only the objects it changed
    text: str = ""
    spans: list[tuple[int, int]] = field(default_factory=list)
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
        doc.data, lines, doc.spans = json_list(text, fail)
        doc.text = text
        doc.rows = [(line, i, row) for i, (line, row) in enumerate(zip(lines, doc.data, strict=True))]
        _set_aside_repeats(doc)
    else:
        read = csv_records(text, fail)
        doc.records, doc.header_at, doc.rows, doc.broken = read.records, read.header_at, read.rows, read.broken
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
    by_line: dict[int, list[Any]] = {}
    for line, i, row in doc.rows:
        if i in spoilt:  # a row spans one line more per newline inside it (quoted cells; a JSON object's lines)
            for n in range(line, line + 1 + _newlines(doc, i)):
                by_line.setdefault(n, []).append(row)
    for k, (line, at, byte) in enumerate(bad):
        reason = f"not {name} at byte {at} of the line (0x{byte:02X}): {hint}"
        if k == 0 and hint_first:
            reason += f"; {NOT_UTF8_HINT}"
        # JSON may put several objects on one line: each is set aside under it, named by its own id
        for row in by_line.get(line) or [None]:
            spoilt_in = row.items() if isinstance(row, dict) else ()
            column = next((str(c) for c, v in spoilt_in if isinstance(v, str) and MARK in v), None)
            doc.undecodable.append((line, reason, row, column))
    doc.rows = [r for r in doc.rows if r[1] not in spoilt]


def _newlines(doc: Document, index: int) -> int:
    """How many newlines row ``index`` holds: the lines it takes after its first."""
    if doc.data is not None:
        start, end = doc.spans[index]
        return doc.text.count("\n", start, end)
    return sum(c.count("\n") for c in doc.records[index])


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
    for line, reason, row, column in [*doc.undecodable, *doc.repeated]:
        rid = cell(row.get(id_key)) if isinstance(row, dict) else ""
        known = rid if isinstance(rid, str) and rid and MARK not in rid else None
        record = f"{kind} {known!r}" if known is not None else None
        package = text_cell(row, package_key) if package_key is not None and column != package_key else None
        where = f"{shown}:{line}"
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
    return value if isinstance(value, str) and value and MARK not in value else None


def unwritable(doc: Document) -> str | None:
    """Why a rewrite of the file would lose lines (None: it would not)."""
    if doc.broken:
        return f"line {', '.join(str(line) for line, _ in doc.broken)} cannot be parsed as CSV"
    if doc.undecodable:
        lines = [str(line) for line in dict.fromkeys(line for line, *_ in doc.undecodable)]
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
