"""The ``files`` ERP: a directory of CSV or JSON files, the embedded default that needs no server.

Layout: ``<path>/warehouses.csv`` (or ``warehouses.json``, a list of objects) with the columns
``id, name, seller_warehouse_id, contact_person, phone, region_code, state, city, district,
street, postal_code, handover_mode``. ``seller_warehouse_id`` binds the row to Seller Center's
warehouse; ``handover_mode`` is ``PICK UP`` or ``DROP OFF`` (上门揽收 / 自寄 are accepted too).

A malformed row becomes a RecordError naming file, line and field, and the other rows go on.
Writes rewrite the whole file atomically (temp file + rename) and touch only the target row's
cells, so a malformed row someone is still fixing is never lost.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates

from erpsync.core.connector import Connector
from erpsync.core.errors import PermanentError, RecordError
from erpsync.core.models import Address, HandoverMode, Records, Warehouse
from erpsync.plugins import hookimpl

COLUMNS = (
    "id", "name", "seller_warehouse_id", "contact_person", "phone", "region_code",
    "state", "city", "district", "street", "postal_code", "handover_mode",
)  # fmt: skip
_PHONE = re.compile(r"[0-9+()\-\s]*")
ADDRESS_FIELDS = ("contact_person", "phone", "region_code", "state", "city", "district", "street", "postal_code")


class FilesOptions(Schema):
    path = fields.String(required=True, metadata={"description": "directory holding warehouses.csv or .json"})
    format = fields.String(load_default="auto", validate=validate.OneOf(["auto", "csv", "json"]))


class WarehouseRecord(Schema):
    """One ERP warehouse row. Empty cells load as empty strings; ids must be present."""

    class Meta:
        unknown = EXCLUDE

    id = fields.String(required=True, validate=validate.Length(min=1, error="must not be empty"))
    name = fields.String(load_default="")
    seller_warehouse_id = fields.String(required=True, validate=validate.Length(min=1, error="must not be empty"))
    contact_person = fields.String(load_default="")
    phone = fields.String(load_default="")
    region_code = fields.String(load_default="")
    state = fields.String(load_default="")
    city = fields.String(load_default="")
    district = fields.String(load_default="")
    street = fields.String(load_default="")
    postal_code = fields.String(load_default="")
    handover_mode = fields.String(load_default="")

    @validates("phone")
    def _phone(self, value: str, **_: Any) -> None:
        # Full-width digits (１３８…) are cosmetic to the address rules, so they are valid here
        # too; only the check sees the NFKC form, the value is kept as written.
        if not _PHONE.fullmatch(unicodedata.normalize("NFKC", value)):
            raise ValidationError("not a phone number")

    @validates("handover_mode")
    def _mode(self, value: str, **_: Any) -> None:
        if value.strip():
            try:
                HandoverMode.parse(value)
            except ValueError as exc:
                raise ValidationError(str(exc)) from None


class FilesErp(Connector):
    type = "files"
    role = "erp"
    description = "CSV/JSON files in a directory (the embedded default ERP)"
    Options = FilesOptions

    @property
    def directory(self) -> Path:
        return (self.shop.base_dir / self.options["path"]).resolve()

    # -- capabilities ------------------------------------------------------------------------

    def list_warehouses(self) -> Records[Warehouse]:
        doc = self._read()
        items: list[Warehouse] = []
        errors: list[RecordError] = []
        first_line: dict[str, int] = {}
        for line, _index, row in doc.rows:
            source = f"{self._shown(doc.path)}:{line}"
            if not isinstance(row, dict):
                errors.append(RecordError("not an object", source=source, record="warehouse"))
                continue
            row_id = _row_id(row)
            record = f"warehouse {row_id!r}" if row_id else "warehouse (no id)"
            if row_id:
                # Checked on every row, malformed ones included: the write side refuses an id on
                # several rows, so the read side must not quietly pick one of them either.
                if row_id in first_line:
                    reason = f"duplicate id (first on line {first_line[row_id]})"
                    errors.append(RecordError(reason, source=source, record=record, field="id"))
                    continue
                first_line[row_id] = line
            if row.get("__extra__"):
                errors.append(RecordError("row has more cells than the header", source=source, record=record))
                continue
            try:
                data = WarehouseRecord().load({k: _cell(v) for k, v in row.items() if k is not None})
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
        return found[0]

    def _read(self, operation: str = "read warehouses") -> _Document:
        """Parse the file once; reads and writes both go through here so they agree on rows and lines."""
        path = self._file()
        try:
            raw = path.read_bytes()
            text = raw.decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise self._error(f"cannot read {self._shown(path)}: {exc}", operation) from None
        end = text.find("\n")
        doc = _Document(path, bom=raw.startswith(codecs.BOM_UTF8), crlf=end > 0 and text[end - 1] == "\r")
        if path.suffix == ".json":
            doc.data = _json_list(text, lambda m: self._error(f"{self._shown(path)}: {m}", operation))
            doc.rows = [(i + 1, i, row) for i, row in enumerate(doc.data)]  # "line" = position in the list
        else:
            doc.records, doc.header_at, doc.rows = _csv_records(text)
        return doc

    def _update(self, warehouse_id: str, values: dict[str, str]) -> None:
        """Set some cells of one row and rewrite the file, keeping its BOM and line endings.

        The row is found by the same parse as ``list_warehouses`` (stripped cells), and an id on
        several rows is refused: the read side reports it, and either row could be the wrong one.
        """
        doc = self._read("write warehouse")
        shown = self._shown(doc.path)
        hits = [
            (line, index) for line, index, row in doc.rows if isinstance(row, dict) and _row_id(row) == warehouse_id
        ]
        if not hits:
            raise self._error(f"no warehouse {warehouse_id!r} in {shown}", "write warehouse")
        if len(hits) > 1:
            lines = ", ".join(str(line) for line, _ in hits)
            raise self._error(
                f"warehouse {warehouse_id!r} is on several rows of {shown} (lines {lines}): "
                "remove the duplicate, then run again",
                "write warehouse",
            )
        index = hits[0][1]
        if doc.data is not None:
            target = doc.data[index]
            if all(_cell(target.get(k)) == v for k, v in values.items()):
                return  # already so: leave the file (and its mtime) alone
            target.update(values)
            out = json.dumps(doc.data, ensure_ascii=False, indent=2) + "\n"
            if doc.crlf:
                out = out.replace("\n", "\r\n")  # JSON escapes newlines inside strings, so this is safe
        else:
            cells = self._set_cells(doc, index, values)
            if cells is None:
                return
            out = cells
        self._save(doc, out)

    def _set_cells(self, doc: _Document, index: int, values: dict[str, str]) -> str | None:
        """The CSV text with ``values`` set in row ``index``; None if it already holds them."""
        header = doc.records[doc.header_at]
        names = [h.strip() for h in header]
        row = doc.records[index]
        idx = {name: i for i, name in enumerate(names)}  # the last of a repeated name wins, as on read
        if all(_cell(row[idx[k]] if k in idx and idx[k] < len(row) else None) == v for k, v in values.items()):
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

    def _save(self, doc: _Document, text: str) -> None:
        """Replace the file atomically; a failed write leaves it untouched and no temp file behind."""
        data = (codecs.BOM_UTF8 if doc.bom else b"") + text.encode("utf-8")
        try:
            _atomic_write(doc.path, data)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise self._error(f"cannot write {self._shown(doc.path)}: {reason}", "write warehouse") from None


@dataclass
class _Document:
    """One parse of the warehouses file, with what a rewrite must keep (BOM, line endings)."""

    path: Path
    bom: bool
    crlf: bool
    #: (line, index, row): line as error messages name it; index into ``records`` or ``data``
    rows: list[tuple[int, int, Any]] = field(default_factory=list)
    records: list[list[str]] = field(default_factory=list)  # CSV: every record, header and blanks included
    header_at: int = 0
    data: list[Any] | None = None  # JSON: the list of objects


def _cell(value: Any) -> Any:
    """CSV cells are strings; JSON may carry numbers (ids, phones) that mean the same string."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else value
    if isinstance(value, int | float):
        return str(value)
    return value.strip() if isinstance(value, str) else value


def _row_id(row: dict[str, Any]) -> str:
    """The id as the read side sees it ("E1 " is E1); "" when missing or not a plain value."""
    value = _cell(row.get("id"))
    return value if isinstance(value, str) else ""


def _csv_records(text: str) -> tuple[list[list[str]], int, list[tuple[int, int, Any]]]:
    """Every record, the header's index, and the data rows as dicts (like ``csv.DictReader``).

    Rows with more cells than the header keep the extra ones under ``__extra__``; missing cells
    read as None. A row's line is where it starts, blank lines counted.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[list[str]] = []
    rows: list[tuple[int, int, Any]] = []
    names: list[str] | None = None
    header_at = 0
    line = 0
    for record in reader:
        start, line = line + 1, reader.line_num
        records.append(record)
        if names is None:
            if record:
                names, header_at = [h.strip() for h in record], len(records) - 1
            continue
        if not any(cell.strip() for cell in record):
            continue  # blank line
        row: dict[str, Any] = dict(zip(names, record, strict=False))
        if len(record) > len(names):
            row["__extra__"] = record[len(names) :]
        for name in names[len(record) :]:
            row.setdefault(name, None)
        rows.append((start, len(records) - 1, row))
    return records, header_at, rows


def _json_list(text: str, fail: Callable[[str], Exception]) -> list[Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(f"not valid JSON: {exc}") from None
    if not isinstance(data, list):
        raise fail("expected a list of warehouse objects")
    return data


def _atomic_write(path: Path, data: bytes) -> None:
    """Write a temp file beside ``path`` and rename it over: readers never see half a file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@hookimpl
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(FilesErp)
