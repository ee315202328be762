"""JSON objects that give a key twice, caught instead of resolved silently.

``json.loads`` keeps the last value of a repeated key without a word (RFC 8259, section 4: the
names within an object "SHOULD be unique", and when they are not, "many implementations report
the last name/value pair only"). An ERP export with ``"price"`` twice is ambiguous, and keeping
either value would push a figure nobody chose; so the ERP readers parse with ``json_pairs`` and
report what ``repeated_key`` finds as a record error of that record.
"""

from __future__ import annotations

from typing import Any

__all__ = ["DuplicateKeys", "json_pairs", "repeat_reason", "repeated_key"]


class DuplicateKeys(dict[str, Any]):
    """A JSON object that gave a key more than once (the last value kept): ``duplicates`` lists those keys."""

    duplicates: tuple[str, ...] = ()


def json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads``'s ``object_pairs_hook``: a plain dict, or a :class:`DuplicateKeys`."""
    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    seen: set[str] = set()
    twice: list[str] = []
    for key, _value in pairs:
        if key in seen and key not in twice:
            twice.append(key)
        seen.add(key)
    marked = DuplicateKeys(out)
    marked.duplicates = tuple(twice)
    return marked


def repeated_key(value: Any) -> tuple[str, str | None] | None:
    """Where ``value`` (one record) repeats a key: (its field given twice, None), or (its field,
    the key given twice inside that field's value); None when nothing repeats."""
    if isinstance(value, DuplicateKeys):
        return value.duplicates[0], None
    if isinstance(value, dict):
        for name, inner in value.items():
            found = _nested_repeat(inner)
            if found is not None:
                return str(name), found
    return None


def _nested_repeat(value: Any) -> str | None:
    """The first key given twice in any object within ``value`` (lists and objects walked)."""
    if isinstance(value, DuplicateKeys):
        return value.duplicates[0]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for inner in items:
        found = _nested_repeat(inner)
        if found is not None:
            return found
    return None


def repeat_reason(key: str | None) -> str:
    """What a record error says of a repeat ``repeated_key`` found (``key``: its second item)."""
    what = "given twice" if key is None else f"{key!r} given twice inside it"
    return f"{what}: which value is meant is unclear (JSON keeps the last silently)"
