"""Rows that share one id: which of them stand for a record, and which ids name none.

A reader may meet one id on several rows: an import run twice, a SQL join over order lines, an ERP
that numbers shipments per company. Rows that agree (on what the caller's ``agree`` key compares)
are one record given again: the first stands for them, as any other would. Rows that differ, or an
id one of whose rows could not be read (it may differ), leave the id in doubt: which record it
names is not known, and keeping the first would let the order of the rows decide.

The files ERP's orders (``order_rows.one_status``) and the tracking aspect's shipments
(``tracking_input.distinct_ids``) go by this one rule; each says what its rows must agree on and
words its own record errors from the ids in doubt, so the rule itself is written once.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Doubt", "PerId", "one_per_id"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Doubt(Generic[T]):
    """An id that names no one record: its rows, in the order given, and where the reader met rows
    of it that it could not read (``unread``, empty when its rows only differ)."""

    id: str
    rows: tuple[T, ...]
    unread: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PerId(Generic[T]):
    """The rows kept, one per id whose rows agree, and the ids in doubt, both in the order their
    ids first appear."""

    kept: tuple[T, ...]
    in_doubt: tuple[Doubt[T], ...]


def one_per_id(
    items: Iterable[T],
    id_of: Callable[[T], str],
    agree: Callable[[T], Hashable],
    unread: Mapping[str, Sequence[str]],
) -> PerId[T]:
    """The first row of each id whose rows all give one ``agree`` key and none of whose rows went
    unread (``unread``: id -> where each unread row is); every other id in doubt, with its rows.

    ``agree`` is asked only of ids with more than one row: a single row agrees with itself. An id
    in ``unread`` with no row read is in neither: nothing of it was read to keep or to name.
    """
    by_id: dict[str, list[T]] = {}
    for item in items:
        by_id.setdefault(id_of(item), []).append(item)
    kept: list[T] = []
    in_doubt: list[Doubt[T]] = []
    for id_, rows in by_id.items():
        where = tuple(unread.get(id_, ()))
        if not where and (len(rows) == 1 or len({agree(r) for r in rows}) == 1):
            kept.append(rows[0])
        else:
            in_doubt.append(Doubt(id_, tuple(rows), where))
    return PerId(tuple(kept), tuple(in_doubt))
