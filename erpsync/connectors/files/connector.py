"""The files ERP connector: reads rows, and sets cells of one row by rewriting the file."""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from marshmallow import ValidationError

from erpsync.core.connector import Connector
from erpsync.core.errors import PermanentError, RecordError, TemporaryError
from erpsync.core.models import Address, HandoverMode, Records, Warehouse

from . import replace as rp
from .parse import FIELD_LIMIT, Document, cell, parse, row_id
from .schema import ADDRESS_FIELDS, FilesOptions, WarehouseRecord

logger = logging.getLogger(__name__)

#: how often a write re-reads and re-applies its change when the file keeps changing under it
ATTEMPTS = 5
NAMES = ("warehouses.csv", "warehouses.json")


class FilesErp(Connector):
    type = "files"
    role = "erp"
    description = "CSV/JSON files in a directory (the embedded default ERP)"
    Options = FilesOptions

    _swept = False
    #: seconds a write waits for another program's lock on the file before giving up this run
    lock_timeout = 30.0

    @property
    def directory(self) -> Path:
        return (self.shop.base_dir / self.options["path"]).resolve()

    # -- capabilities ------------------------------------------------------------------------

    def list_warehouses(self) -> Records[Warehouse]:
        doc = self._read()
        items: list[Warehouse] = []
        errors = [
            RecordError(f"cannot be parsed as CSV ({reason})", source=f"{self._shown(doc.path)}:{line}")
            for line, reason in doc.broken
        ]
        first_line: dict[str, int] = {}
        for line, _index, row in doc.rows:
            source = f"{self._shown(doc.path)}:{line}"
            if not isinstance(row, dict):
                errors.append(RecordError("not an object", source=source, record="warehouse"))
                continue
            rid = row_id(row)
            record = f"warehouse {rid!r}" if rid else "warehouse (no id)"
            if rid:
                # Checked on every row, malformed ones included: the write side refuses an id on
                # several rows, so the read side must not quietly pick one of them either.
                if rid in first_line:
                    reason = f"duplicate id (first on line {first_line[rid]})"
                    errors.append(RecordError(reason, source=source, record=record, field="id"))
                    continue
                first_line[rid] = line
            if row.get("__oversize__"):
                column, length = row["__oversize__"]
                reason = (
                    f"a cell of {length} characters, over the {FIELD_LIMIT // 1024} KiB a CSV field may hold: "
                    "probably an unclosed quote that swallowed the lines after it"
                )
                errors.append(RecordError(reason, source=source, record=record, field=column))
                continue
            if row.get("__extra__"):
                errors.append(RecordError("row has more cells than the header", source=source, record=record))
                continue
            try:
                data = WarehouseRecord().load({k: cell(v) for k, v in row.items() if k is not None})
            except ValidationError as exc:
                for fld, msgs in sorted(exc.messages_dict.items()):
                    reason = "; ".join(str(m) for m in msgs) if isinstance(msgs, list) else str(msgs)
                    errors.append(RecordError(reason, source=source, record=record, field=fld))
                continue
            mode = HandoverMode.parse(data["handover_mode"]) if data["handover_mode"].strip() else None
            address = Address(**{f: data[f] for f in ADDRESS_FIELDS})
            items.append(Warehouse(data["id"], data["name"], address, mode, data["seller_warehouse_id"], source))
        return Records(tuple(items), tuple(errors))

    def set_warehouse_address(self, warehouse_id: str, changes: Mapping[str, str]) -> None:
        """Set only the given Address fields, so a concurrent edit of another field survives."""
        unknown = sorted(set(changes) - set(ADDRESS_FIELDS))
        if unknown:
            raise ValueError(f"not address fields: {', '.join(unknown)} (expected some of {', '.join(ADDRESS_FIELDS)})")
        self._update(warehouse_id, dict(changes))

    def set_handover_mode(self, warehouse_id: str, mode: HandoverMode) -> None:
        self._update(warehouse_id, {"handover_mode": mode.label})

    def check(self) -> str:
        path = self._file()
        records = self.list_warehouses()
        bad = f", {len(records.errors)} malformed" if records.errors else ""
        return f"files ERP: {self._shown(path)}: {len(records.items)} warehouses{bad}"

    # -- file handling -----------------------------------------------------------------------

    def _shown(self, path: Path) -> str:
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return str(path)

    def _error(self, message: str, operation: str = "read warehouses") -> PermanentError:
        return PermanentError(message, connector="files ERP", operation=operation)

    def _file(self) -> Path:
        d = self.directory
        if not d.exists():
            raise self._error(f"directory {self._shown(d)} does not exist (option 'path')")
        if not d.is_dir():
            raise self._error(f"{self._shown(d)} is not a directory (option 'path')")
        fmt = self.options["format"]
        candidates = [d / "warehouses.csv", d / "warehouses.json"]
        if fmt != "auto":
            candidates = [d / f"warehouses.{fmt}"]
        found = [c for c in candidates if c.exists()]
        if not found:
            raise self._error(f"no {' or '.join(c.name for c in candidates)} in {self._shown(d)}")
        if len(found) > 1:
            raise self._error(f"both warehouses.csv and warehouses.json in {self._shown(d)}: set format")
        if not self._swept:
            self._swept = True  # once per run: temp files a killed run left beside the file
            real = Path(os.path.realpath(found[0]))
            for folder in {d, real.parent}:
                for gone in rp.sweep(folder, (*NAMES, real.name)):
                    logger.info("removed %s, left by an interrupted write", self._shown(gone))
        return found[0]

    def _parse(self, path: Path, raw: bytes, operation: str) -> Document:
        """Reads and writes both parse through here so they agree on rows and lines."""
        return parse(path, raw, lambda m: self._error(f"{self._shown(path)}: {m}", operation))

    def _read(self, operation: str = "read warehouses") -> Document:
        path = self._file()
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise self._error(f"cannot read {self._shown(path)}: {exc}", operation) from None
        return self._parse(path, raw, operation)

    def _update(self, warehouse_id: str, values: dict[str, str]) -> None:
        """Set some cells of one row and rewrite the file, keeping its BOM and line endings.

        Under the file's lock: read, edit, and replace only if the file is still what was read;
        if another program changed it meanwhile, read it again and re-apply (see ``replace.py``).
        """
        operation = "write warehouse"
        path = self._file()
        shown = self._shown(path)
        try:
            for _ in range(ATTEMPTS):
                # locked afresh each time: a file replaced by another program is a new inode
                with rp.locked(path, self.lock_timeout) as (real, fd):
                    snap = rp.snapshot(fd)
                    doc = self._parse(path, snap.data, operation)
                    text = self._edit(doc, warehouse_id, values)
                    if text is None:
                        return  # already so: leave the file (and its mtime) alone
                    data = (codecs.BOM_UTF8 if doc.bom else b"") + text.encode("utf-8")
                    try:
                        rp.replace(real, snap, data, fd, carry_tail=doc.data is None)
                        return
                    except rp.Changed:
                        continue
        except rp.Refused as exc:
            raise self._error(f"cannot write {shown}: {exc}", operation) from None
        except rp.Busy as exc:
            message = f"cannot write {shown}: {exc}; the next run tries again"
            raise TemporaryError(message, connector="files ERP", operation=operation) from None
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise self._error(f"cannot write {shown}: {reason}", operation) from None
        raise TemporaryError(
            f"{shown} changed {ATTEMPTS} times while erpsync was writing it (another program is editing it): "
            "nothing was written; the next run tries again",
            connector="files ERP",
            operation=operation,
        )

    def _edit(self, doc: Document, warehouse_id: str, values: dict[str, str]) -> str | None:
        """The new text of the file, or None if the row already holds ``values``.

        The row is found by the same parse as ``list_warehouses`` (stripped cells), and an id on
        several rows is refused: the read side reports it, and either row could be the wrong one.
        """
        shown = self._shown(doc.path)
        fail = self._error
        if doc.broken:
            lines = ", ".join(str(line) for line, _ in doc.broken)
            raise fail(f"{shown}: line {lines} cannot be parsed as CSV: fix it, then run again", "write warehouse")
        hits = [(line, index) for line, index, row in doc.rows if isinstance(row, dict) and row_id(row) == warehouse_id]
        if not hits:
            raise fail(f"no warehouse {warehouse_id!r} in {shown}", "write warehouse")
        if len(hits) > 1:
            lines = ", ".join(str(line) for line, _ in hits)
            raise fail(
                f"warehouse {warehouse_id!r} is on several rows of {shown} (lines {lines}): "
                "remove the duplicate, then run again",
                "write warehouse",
            )
        index = hits[0][1]
        if doc.data is None:
            return self._set_cells(doc, index, values)
        target = doc.data[index]
        if all(cell(target.get(k)) == v for k, v in values.items()):
            return None
        target.update(values)
        out = json.dumps(doc.data, ensure_ascii=False, indent=2) + "\n"
        # JSON escapes newlines inside strings, so this is safe
        return out.replace("\n", "\r\n") if doc.crlf else out

    def _set_cells(self, doc: Document, index: int, values: dict[str, str]) -> str | None:
        """The CSV text with ``values`` set in row ``index``; None if it already holds them."""
        header = doc.records[doc.header_at]
        names = [h.strip() for h in header]
        row = doc.records[index]
        idx = {name: i for i, name in enumerate(names)}  # the last of a repeated name wins, as on read
        if all(cell(row[idx[k]] if k in idx and idx[k] < len(row) else None) == v for k, v in values.items()):
            return None
        for col in values:
            if col in idx:
                continue
            longer = next((line for line, i, _row in doc.rows if len(doc.records[i]) > len(header)), None)
            if longer is not None:
                # its extra cell would silently become the new column's value
                raise self._error(
                    f"cannot add column {col!r} to {self._shown(doc.path)}: line {longer} has more cells "
                    "than the header",
                    "write warehouse",
                )
            header.append(col)
            idx[col] = len(header) - 1
        row.extend([""] * (len(header) - len(row)))
        for col, value in values.items():
            row[idx[col]] = value
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n" if doc.crlf else "\n").writerows(doc.records)
        return buf.getvalue()
