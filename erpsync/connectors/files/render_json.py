"""Writing an ERP JSON file back: only the objects a write changed are rendered anew.

Every other byte of the file stays as it was read: the objects nobody corrected, their spacing,
key order and numbers (``6901234567890123.45`` would read as 6901234567890123.0 and ``1.10`` as
1.1 if re-rendered from floats). A changed object is rendered in place of its old text, in the
shape it had: on one line if it was on one line, else indented by two spaces under its own
indentation. Its numbers keep their text too (``parse_json.numbers_kept``). New objects (order
statuses the file did not have) are added after the last one, in the same shape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from .parse import Document
from .parse_json import JsonFloat, numbers_kept

__all__ = ["render", "spliced"]

_BLANK = re.compile(r"[ \t]*")


def spliced(doc: Document, changed: Iterable[int], added: Sequence[Any] = ()) -> str:
    """The file's new text (without the BOM): ``doc.text`` with the items at ``changed`` rendered
    anew and ``added`` appended to the list. ValueError for a number JSON cannot hold that was
    not read from the file (none is: every value erpsync writes is a string)."""
    text, spans, data = doc.text, doc.spans, doc.data
    assert data is not None, "a JSON document"
    newline = "\r\n" if doc.crlf else "\n"
    if not spans:  # nothing to keep but the list itself
        return render(list(added), "", newline, one_line=False) + newline if added else text
    parts: list[str] = []
    done = 0
    for index in sorted(set(changed)):
        start, end = spans[index]
        parts += [text[done:start], _in_place(text, start, end, data[index], newline)]
        done = end
    if added:
        start, end = spans[-1]
        parts.append(text[done:end])
        done = end
        for item in added:
            parts.append(_after(text, start, newline) + _in_place(text, start, end, item, newline))
    parts.append(text[done:])
    return "".join(parts)


def _in_place(text: str, start: int, end: int, value: Any, newline: str) -> str:
    """``value`` rendered in the shape of the item between ``start`` and ``end``; each of its
    values that is still what the item had keeps the item's text for its numbers.

    erpsync writes only strings, so a value that is no string is the item's own, kept as read
    (a ``NaN`` equals nothing, itself included: compared, it would be rendered anew, and JSON
    cannot write it)."""
    indent = _own_line(text, start) or ""
    was = numbers_kept(text[start:end])
    if isinstance(value, dict) and isinstance(was, dict):  # a JsonFloat equals the float read
        value = {
            key: was[key] if key in was and (was[key] == v or not isinstance(v, str)) else v for key, v in value.items()
        }
    return render(value, indent, newline, one_line="\n" not in text[start:end])


def _after(text: str, start: int, newline: str) -> str:
    """What goes between the item at ``start`` and one added after it: a new line under the same
    indentation if that item starts its line, else a space, as in ``[{...}, {...}]``."""
    indent = _own_line(text, start)
    return "," + (" " if indent is None else newline + indent)


def _own_line(text: str, start: int) -> str | None:
    """The spaces and tabs before ``start`` on its line; None when other text is there too."""
    before = text[text.rfind("\n", 0, start) + 1 : start]
    return before if _BLANK.fullmatch(before) else None


def render(value: Any, indent: str, newline: str, *, one_line: bool) -> str:
    """``value`` as ``json.dumps(ensure_ascii=False)`` writes it (``indent=2`` unless ``one_line``,
    each line after the first under ``indent``), numbers read from the file in their own text."""
    if isinstance(value, JsonFloat):
        return value.text
    if isinstance(value, dict) and value:
        items = [f"{json.dumps(str(k), ensure_ascii=False)}: " for k in value]
        inner = [render(v, indent + "  ", newline, one_line=one_line) for v in value.values()]
        return _joined("{", [k + v for k, v in zip(items, inner, strict=True)], "}", indent, newline, one_line)
    if isinstance(value, list) and value:
        inner = [render(v, indent + "  ", newline, one_line=one_line) for v in value]
        return _joined("[", inner, "]", indent, newline, one_line)
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _joined(opening: str, parts: list[str], closing: str, indent: str, newline: str, one_line: bool) -> str:
    if one_line:
        return opening + ", ".join(parts) + closing
    inner = indent + "  "
    return opening + newline + ("," + newline).join(inner + p for p in parts) + newline + indent + closing
