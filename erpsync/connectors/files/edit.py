"""Setting cells of rows in one parse of the warehouses file: each write checked alone, all applied together.

A write is checked against a parse (``Edits.check``) before anything is changed, so a write that
cannot be made (its id missing or on several rows, a column that cannot be added, a value the
file's encoding has no form for, a file with lines the parser could not read) fails alone and
names its warehouse and field; the writes that pass are applied to the parse and rendered as the
file's new text in one go. The rows are found by the same parse as ``list_warehouses`` (stripped
cells), and an id on several rows is refused: the read side reports it, and either row could be
the wrong one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence

from erpsync.core.errors import PermanentError

from .parse import Document, cell, is_utf8, row_id
from .render_json import spliced

#: one write: the warehouse id and the cells to set
Write = tuple[str, dict[str, str]]
OPERATION = "write warehouse"


class Edits:
    """The writes to one parse of the file: ``check`` each, ``apply`` them, ``text`` the result."""

    def __init__(self, doc: Document, shown: str, fail: Callable[[str, str], PermanentError]) -> None:
        self.doc = doc
        self._shown = shown
        self._fail = fail
        #: id → (line, index) of every row carrying it, so a check costs no scan of the file
        self._hits: dict[str, list[tuple[int, int]]] = {}
        for line, index, row in doc.rows:
            if isinstance(row, dict):
                self._hits.setdefault(row_id(row), []).append((line, index))
        self._names: dict[str, int] = {}
        self._longer: int | None = None  # CSV: the first line with more cells than the header
        self._changed: set[int] = set()  # JSON: the objects a write changed
        if doc.data is None:
            header = doc.records[doc.header_at] if doc.records else []
            # the last of a repeated name wins, as on read
            self._names = {name.strip(): i for i, name in enumerate(header)}
            width = len(header)
            self._longer = next((line for line, i, _row in doc.rows if len(doc.records[i]) > width), None)

    def check(self, warehouse_id: str, values: dict[str, str]) -> int:
        """The index of the row ``values`` go to; ``PermanentError`` naming the record if they cannot."""
        shown = self._shown
        if self.doc.broken:
            lines = ", ".join(str(line) for line, _ in self.doc.broken)
            raise self._fail(f"{shown}: line {lines} cannot be parsed as CSV: fix it, then run again", OPERATION)
        hits = self._hits.get(warehouse_id, [])
        if not hits:
            raise self._fail(f"no warehouse {warehouse_id!r} in {shown}", OPERATION)
        if len(hits) > 1:
            lines = ", ".join(self.doc.place(line, index) for line, index in hits)
            raise self._fail(
                f"warehouse {warehouse_id!r} is on several rows of {shown} (lines {lines}): "
                "remove the duplicate, then run again",
                OPERATION,
            )
        if self._longer is not None:
            missing = next((col for col in values if col not in self._names), None)
            if missing is not None:
                # the longer line's extra cell would silently become the new column's value
                raise self._fail(
                    f"warehouse {warehouse_id!r}: {missing}: cannot add column {missing!r} to {shown}: "
                    f"line {self._longer} has more cells than the header",
                    OPERATION,
                )
        self._encodable(warehouse_id, values)
        return hits[0][1]

    def _encodable(self, warehouse_id: str, values: dict[str, str]) -> None:
        """Refuse a value the file's encoding cannot hold now, naming it, not as the batch closes."""
        encoding = self.doc.encoding
        for column, value in values.items():
            try:
                value.encode("utf-8" if is_utf8(encoding) else encoding)
            except UnicodeEncodeError as exc:
                bad = exc.object[exc.start : exc.end]
                raise self._fail(
                    f"warehouse {warehouse_id!r}: {column}: {bad!r} has no {encoding} form (option encoding)",
                    OPERATION,
                ) from None

    def apply(self, writes: Sequence[Write]) -> bool:
        """Check and set every write, in order (a later write to a cell wins); whether any cell changed."""
        changed = False
        for warehouse_id, values in writes:
            index = self.check(warehouse_id, values)
            changed = self._set(index, values) or changed
        return changed

    def text(self) -> str:
        """The file's new text (without the BOM), in its own line endings."""
        doc = self.doc
        if doc.data is not None:  # only the objects written to are rendered anew: the rest stay as read
            try:
                return spliced(doc, self._changed)
            except ValueError as exc:  # not expected (every value read keeps its text): a failed write
                raise self._fail(f"{self._shown}: cannot write this file back: {exc}", OPERATION) from None
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n" if doc.crlf else "\n").writerows(doc.records)
        return buf.getvalue()

    def _set(self, index: int, values: dict[str, str]) -> bool:
        doc = self.doc
        if doc.data is not None:
            target = doc.data[index]
            if all(cell(target.get(k)) == v for k, v in values.items()):
                return False
            target.update(values)
            self._changed.add(index)
            return True
        row, idx = doc.records[index], self._names
        if all(cell(row[idx[k]] if k in idx and idx[k] < len(row) else None) == v for k, v in values.items()):
            return False
        header = doc.records[doc.header_at]
        for col in values:
            if col not in idx:  # checked: no line is longer than the header
                header.append(col)
                idx[col] = len(header) - 1
        row.extend([""] * (len(header) - len(row)))
        for col, value in values.items():
            row[idx[col]] = value
        return True
