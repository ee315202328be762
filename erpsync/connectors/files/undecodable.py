"""Decoding an ERP file's bytes, with a mark and a note for each byte sequence that does not decode.

A file saved in another encoding than the ``encoding`` option (a GBK row pasted into a UTF-8
export) is read line by line, each undecodable sequence read as ``MARK`` and noted with where it
is: its line and byte there, for the message an operator acts on, and where its mark is in the
decoded text, so the caller (``parse.py``) blames the one row whose text holds it. A JSON export
may put several objects on one line, one ending where the next begins: the line alone would
blame them all, and only its first bad byte would name one of them.
"""

from __future__ import annotations

import codecs
import re
from contextvars import ContextVar
from typing import Any, NamedTuple

__all__ = ["MARK", "NOT_UTF8_HINT", "BadByte", "clean", "decode", "escaped_surrogates", "is_utf8", "marked_column"]

#: what an undecodable byte sequence reads as: a lone surrogate, which no decoded text contains
MARK = "\udcff"
_HANDLER = "erpsync-files-undecodable"
#: (byte in the chunk, the byte) of each sequence the chunk being decoded in this context lacks
_FOUND: ContextVar[list[tuple[int, int]] | None] = ContextVar("erpsync_files_undecodable", default=None)


def _mark(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    found = _FOUND.get()
    if found is not None:
        found.append((exc.start, exc.object[exc.start]))
    return MARK, exc.end


codecs.register_error(_HANDLER, _mark)
#: what the first error of a file that is not UTF-8 at all adds
NOT_UTF8_HINT = (
    'no line of this file with non-ASCII text is UTF-8: it is probably a GBK/GB18030 export, set encoding = "gb18030"'
)


class BadByte(NamedTuple):
    """One byte sequence that does not decode: its line and byte there (both from 1, as an
    editor and the message count them), the sequence's first byte, and where its ``MARK`` is in
    the decoded text."""

    line: int
    at: int
    byte: int
    char: int


def is_utf8(encoding: str) -> bool:
    """Whether ``encoding`` names UTF-8 (``utf8``, ``UTF-8``): its files may start with a BOM."""
    return codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")


def decode(raw: bytes, encoding: str) -> tuple[str, list[BadByte], bool]:
    """The text (each undecodable sequence read as ``MARK``); each such sequence, in the order of
    the file; and whether a line with non-ASCII bytes decoded.

    Whole first: a file that decodes costs one call. Line by line only when it does not; both
    UTF-8 and GB18030 keep byte 0x0A for the newline alone, so a split cannot cut a character.
    """
    utf8 = is_utf8(encoding)
    try:
        return raw.decode("utf-8-sig" if utf8 else encoding), [], True
    except UnicodeDecodeError:
        pass
    line_codec = "utf-8" if utf8 else encoding
    parts: list[str] = []
    bad: list[BadByte] = []
    some_decoded = False
    bom = len(codecs.BOM_UTF8) if utf8 and raw.startswith(codecs.BOM_UTF8) else 0
    start = 0  # where the line starts in the text
    for number, chunk in enumerate(raw.split(b"\n"), start=1):
        skip = bom if number == 1 else 0
        body = chunk[skip:]
        try:
            part = body.decode(line_codec)
            some_decoded = some_decoded or not body.isascii()
        except UnicodeDecodeError:
            found: list[tuple[int, int]] = []
            token = _FOUND.set(found)
            try:
                part = body.decode(line_codec, errors=_HANDLER)
            finally:
                _FOUND.reset(token)
            i = -1
            for at, byte in found:  # one mark each, in order: no decoded text holds a lone surrogate
                i = part.find(MARK, i + 1)
                bad.append(BadByte(number, skip + at + 1, byte, start + i))
        parts.append(part)
        start += len(part) + 1
    return "\n".join(parts), bad, some_decoded


def marked_column(row: Any, nth: int) -> str | None:
    """The column of ``row`` whose text holds its ``nth`` mark (from 0, in the order of the row's
    text: a key's marks before its value's), or None: it is in a column's name, in a value that
    is not text (a nested JSON object, a CSV row's extra cells), or not found."""
    if not isinstance(row, dict):
        return None
    for key, value in row.items():
        in_key = str(key).count(MARK)
        if nth < in_key:
            return None
        nth -= in_key
        held = value.count(MARK) if isinstance(value, str) else _marks(value)
        if nth < held:
            return str(key) if isinstance(value, str) else None
        nth -= held
    return None


def _marks(value: Any) -> int:
    """How many marks a value read from JSON holds, in its keys and text."""
    if isinstance(value, str):
        return value.count(MARK)
    if isinstance(value, dict):
        return sum(str(k).count(MARK) + _marks(v) for k, v in value.items())
    if isinstance(value, list):
        return sum(_marks(v) for v in value)
    return 0


def _surrogates(value: Any) -> list[str]:
    """The lone surrogates a value read from JSON holds, in its keys and text, in order."""
    if isinstance(value, str):
        return _SURROGATE.findall(value)
    if isinstance(value, dict):
        return [c for k, v in value.items() for c in (*_surrogates(str(k)), *_surrogates(v))]
    if isinstance(value, list):
        return [c for v in value for c in _surrogates(v)]
    return []


_SURROGATE = re.compile("[\ud800-\udfff]")
_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # a JSON escape of a surrogate: half of a pair, or alone


def clean(value: str) -> bool:
    """Whether ``value`` is text: no ``MARK`` of a byte that did not decode, nor any other lone surrogate."""
    return _SURROGATE.search(value) is None


def escaped_surrogates(text: str, items: list[Any], spans: list[tuple[int, int]]) -> list[tuple[int, int, str | None]]:
    """(index, code point, column) of each JSON item of ``text`` that holds a lone surrogate its
    text writes as an escape (``"\\udcff"``): JSON reads one, and the text has no bad byte there.

    Decoded text holds a surrogate only as the ``MARK`` of a byte that did not decode, so an
    item holding more surrogates than its text does has an escaped one. The column is that of
    the item's first surrogate (``marked_column``'s rule: None in a key or a nested value).
    """
    if _ESCAPE.search(text) is None:  # the common file: one scan, no walk of the items
        return []
    found = []
    for i, (item, (start, end)) in enumerate(zip(items, spans, strict=True)):
        if _ESCAPE.search(text, start, end) is None:
            continue
        held = _surrogates(item)
        if held and len(held) > len(_SURROGATE.findall(text, start, end)):
            found.append((i, ord(held[0]), _column(item)))
    return found


def _column(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    for key, value in item.items():
        if not clean(str(key)):
            return None
        if _surrogates(value):
            return str(key) if isinstance(value, str) else None
    return None
