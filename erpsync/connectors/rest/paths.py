"""JSON paths of the mapping: ``a.b[0].c``, dotted keys and list indexes, nothing more.

A mapping names where a value sits in an ERP's JSON (``contact.phone``, ``address.lines[0]``).
The syntax is kept this small on purpose: it covers what REST ERPs nest (objects in objects, a
list of lines), it can be written back (a write builds the body from the same paths), and an
operator reads it without a manual. Query languages such as JMESPath add filters and functions
that cannot be written back, so they would not earn their place here.

Grammar: ``step ('.' step)*`` where a step is a key (any characters but ``.``, ``[``, ``]``)
followed by any number of ``[n]`` (n a whole number ≥ 0). A path that is empty, has an empty key
or a bad index is a ``ValueError`` naming the place, so the config loader reports it per key.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["MISSING", "Path", "dig", "parse_path", "put"]

#: a step: a key, or a list index
Step = str | int
Path = tuple[Step, ...]

_INDEX = re.compile(r"\[(\d+)\]")


class _Missing:
    """What ``dig`` returns where nothing is: not None, which is a value JSON can hold."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def parse_path(text: str) -> Path:
    """``"address.lines[0]"`` → ``("address", "lines", 0)``; ``ValueError`` saying what is wrong."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("an empty path")
    steps: list[Step] = []
    for part in text.split("."):
        key, _, rest = part.partition("[")
        if not key:
            raise ValueError(f"an empty key in {text!r}")
        if "]" in key:
            raise ValueError(f"a ']' without '[' in {text!r}")
        steps.append(key)
        rest = "[" + rest if rest else ""
        while rest:
            match = _INDEX.match(rest)
            if match is None:
                raise ValueError(f"a bad index {rest!r} in {text!r} (write [0], [1], …)")
            steps.append(int(match.group(1)))
            rest = rest[match.end() :]
    return tuple(steps)


def show(path: Path) -> str:
    """The path as the mapping writes it."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out


def dig(value: Any, path: Path) -> Any:
    """The value at ``path`` in ``value``, or ``MISSING`` when a step finds nothing there."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                return MISSING
        elif not isinstance(value, dict) or step not in value:
            return MISSING
        value = value[step]
    return value


def put(target: dict[str, Any], path: Path, value: Any) -> None:
    """Set ``value`` at ``path`` in ``target``, making the objects and lists on the way.

    A list a path makes is as long as its index needs, earlier places None: a write of
    ``lines[0]`` sends a list of one line, and the ERP replaces its list with it.
    """
    node: Any = target
    for step, following in zip(path, (*path[1:], None), strict=True):
        last = following is None
        blank: Any = value if last else ([] if isinstance(following, int) else {})
        if isinstance(step, int):
            while len(node) <= step:
                node.append(None)
            if last or node[step] is None:
                node[step] = blank
        elif last or step not in node:
            node[step] = blank
        node = node[step]
