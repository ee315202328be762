"""Where a file gives each id: which row met it first, and where rows set aside give it.

Rows are told apart by their index in the document (``Document.rows``), not by their line: the
objects of a minified JSON file all start on line 1, and two of them giving one id are as much a
repeat as two rows on two lines. Lines name them in messages (``Document.place``: with the
item's number where several share a line).
"""

from __future__ import annotations

from erpsync.core.errors import RecordError

from .parse import Document, cell, text_cell
from .undecodable import clean

__all__ = ["IdLines", "set_aside_ids"]


class IdLines:
    """Where each id was met, rows set aside included (undecodable, or repeating a key).

    A set-aside row still names its id: a later row with that id must not pass for the first one
    (the warehouses read it as a duplicate; a product whose first row was set aside is left out
    whole), exactly as if the set-aside row had been read and failed. The shipments and orders
    readers do without: a set-aside row makes every row of its id an error (``set_aside_ids``).
    """

    def __init__(self, doc: Document, id_key: str = "id") -> None:
        self._doc = doc
        #: id → (index, line) of the first row set aside that gives it
        self.aside: dict[str, tuple[int, int]] = {}
        for line, _reason, row, _field, index in doc.aside:
            rid = cell(row.get(id_key)) if isinstance(row, dict) else ""
            if isinstance(rid, str) and rid and clean(rid) and index is not None:
                self.aside[rid] = min((index, line), self.aside.get(rid, (index, line)))
        self._read: dict[str, tuple[int, int]] = {}

    def set_aside_before(self, rid: str, index: int) -> bool:
        """Whether a row set aside named ``rid`` before the row at ``index``."""
        return rid in self.aside and self.aside[rid][0] < index

    def repeated(
        self, rid: str, line: int, index: int, source: str, record: str, field: str = "id"
    ) -> RecordError | None:
        """The error of a row whose id an earlier row gave (None: the first, now noted): which
        row the ERP means is anyone's guess, and a write would set only one of them."""
        if not rid or (first := self.first(rid, line, index)) is None:
            return None
        where = self._doc.place_in_words(*first)
        return RecordError(f"duplicate id (first on {where})", source=source, record=record, field=field)

    def first(self, rid: str, line: int, index: int) -> tuple[int, int] | None:
        """(line, index) of the row ``rid`` was first met in, before the row at ``index`` (None:
        this row is its first, now noted)."""
        earlier = [m for m in (self._read.get(rid), self.aside.get(rid)) if m is not None and m[0] < index]
        if earlier:
            at, first_line = min(earlier)
            return first_line, at
        self._read[rid] = (index, line)
        return None


def set_aside_ids(doc: Document, shown: str, id_key: str = "id") -> dict[str, list[str]]:
    """Id → where each row set aside while parsing (undecodable, a key given twice, a lone
    surrogate) gives it, named by its first line (a row with bad bytes on several lines has an
    error for each)."""
    found: dict[str, list[str]] = {}
    met: set[int] = set()
    for line, _reason, row, _field, index in sorted(doc.aside, key=lambda r: (r[0], -1 if r[4] is None else r[4])):
        if (rid := text_cell(row, id_key)) is not None and id(row) not in met:
            met.add(id(row))
            found.setdefault(rid, []).append(doc.source(shown, line, index))
    return found
