"""Reading an ERP JSON file: its list of objects, the line each one starts on, and where it is.

Error messages name a record by the line its object starts on, as an editor counts them, so
the list is decoded one item at a time; where each item starts and ends in the text is kept too,
so a rewrite can replace only the objects it changed (``render_json.py``), and render those with
their numbers as written (``numbers_kept``). An object that gives a key twice (``json.loads``
would keep the last silently) is set aside by the caller, with the key named (``parse.py``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from erpsync.core.json_keys import json_pairs

__all__ = ["JsonFloat", "json_list", "numbers_kept"]


class JsonFloat(float):
    """A JSON number with a fraction or an exponent, with the text it was written as (``text``)."""

    text: str

    def __new__(cls, text: str) -> JsonFloat:
        number = super().__new__(cls, text)
        number.text = text
        return number


#: (start, end) of one item of the list in the text
Span = tuple[int, int]


def json_list(text: str, fail: Callable[[str], Exception]) -> tuple[list[Any], list[int], list[Span]]:
    """The file's list of records, the line each one starts on (as an editor counts them), and
    where each one starts and ends in ``text``."""
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


#: for the few objects a rewrite renders anew; a float per number costs a Python call, and
#: reading a whole file so would take over twice as long
def _int(text: str) -> int | JsonFloat:
    """An integer; ``-0``, which an int cannot tell from ``0``, with its text."""
    return JsonFloat(text) if text == "-0" else int(text)


_KEEPING_NUMBERS = json.JSONDecoder(
    object_pairs_hook=json_pairs, parse_float=JsonFloat, parse_int=_int, parse_constant=JsonFloat
)


def numbers_kept(text: str) -> Any:
    """``text`` (one item of the list, valid JSON) decoded with each number that has a fraction or
    an exponent as a ``JsonFloat``: ``1.10``, ``6901234567890123.45`` and ``1e400`` (infinity as
    a float) can then be written back as they were; so can ``NaN``, ``Infinity`` and
    ``-Infinity``, which Python's JSON reader accepts (and its writer writes) though JSON has no
    such words."""
    return _KEEPING_NUMBERS.decode(text)


_SPACE = re.compile(r"[ \t\n\r]*")  # what JSON allows between values
_AFTER_ITEM = re.compile(r"[ \t\n\r]*([,\]])[ \t\n\r]*")  # what may follow an item of the list


def _json_items(text: str) -> tuple[list[Any], list[int], list[Span]]:
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
    spans: list[Span] = []
    line, counted = 1, 0
    at = _SPACE.match(text, at + 1).end()  # type: ignore[union-attr]
    closed = text.startswith("]", at)
    at += closed
    scan, count, after = _DECODER.scan_once, text.count, _AFTER_ITEM.match  # type: ignore[attr-defined]
    while not closed:
        line += count("\n", counted, at)
        counted = at
        start = at
        try:
            item, at = scan(text, at)
        except StopIteration as exc:  # what ``raw_decode`` says for it
            raise json.JSONDecodeError("Expecting value", text, exc.value) from None
        items.append(item)
        lines.append(line)
        spans.append((start, at))
        found = after(text, at)
        if found is None:
            raise json.JSONDecodeError("Expecting ',' delimiter", text, _SPACE.match(text, at).end())  # type: ignore[union-attr]
        closed, at = found.group(1) == "]", found.end()
    at = _SPACE.match(text, at).end()  # type: ignore[union-attr]
    if at != len(text):
        raise json.JSONDecodeError("Extra data", text, at)
    return items, lines, spans
