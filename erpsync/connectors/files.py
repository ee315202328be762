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

import csv
import io
import json
import os
import tempfile
from collections.abc import Callable
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
    phone = fields.String(load_default="", validate=validate.Regexp(r"^[0-9+()\-\s]*$", error="not a phone number"))
    region_code = fields.String(load_default="")
    state = fields.String(load_default="")
    city = fields.String(load_default="")
    district = fields.String(load_default="")
    street = fields.String(load_default="")
    postal_code = fields.String(load_default="")
    handover_mode = fields.String(load_default="")

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
        path, rows = self._read()
        items: list[Warehouse] = []
        errors: list[RecordError] = []
        seen: dict[str, int] = {}
        for line, row in rows:
            source = f"{self._shown(path)}:{line}"
            if not isinstance(row, dict):
                errors.append(RecordError("not an object", source=source, record="warehouse"))
                continue
            record = f"warehouse {_cell(row.get('id'))!r}" if row.get("id") else "warehouse (no id)"
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
            if data["id"] in seen:
                errors.append(
                    RecordError(
                        f"duplicate id (first on line {seen[data['id']]})", source=source, record=record, field="id"
                    )
                )
                continue
            seen[data["id"]] = line
            mode = HandoverMode.parse(data["handover_mode"]) if data["handover_mode"].strip() else None
            address = Address(**{f: data[f] for f in ADDRESS_FIELDS})
            items.append(Warehouse(data["id"], data["name"], address, mode, data["seller_warehouse_id"], source))
        return Records(tuple(items), tuple(errors))

    def set_warehouse_address(self, warehouse_id: str, address: Address) -> None:
        self._update(warehouse_id, {f: getattr(address, f) for f in ADDRESS_FIELDS})

    def set_handover_mode(self, warehouse_id: str, mode: HandoverMode) -> None:
        self._update(warehouse_id, {"handover_mode": mode.label})

    def check(self) -> str:
        path, _rows = self._read()
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

    def _read(self) -> tuple[Path, list[tuple[int, Any]]]:
        path = self._file()
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise self._error(f"cannot read {self._shown(path)}: {exc}") from None
        if path.suffix == ".json":
            return path, _json_rows(text, lambda m: self._error(f"{self._shown(path)}: {m}"))
        return path, _csv_rows(text)

    def _update(self, warehouse_id: str, values: dict[str, str]) -> None:
        path = self._file()
        text = path.read_text(encoding="utf-8-sig")
        if path.suffix == ".json":
            data = json.loads(text)
            target = next((r for r in data if isinstance(r, dict) and str(r.get("id")) == warehouse_id), None)
            if target is None:
                raise self._error(f"no warehouse {warehouse_id!r} in {self._shown(path)}", "write warehouse")
            target.update(values)
            out = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        else:
            rows = list(csv.reader(io.StringIO(text)))
            header = rows[0]
            for col in values:
                if col not in header:
                    header.append(col)
            idx = {c: i for i, c in enumerate(header)}
            hits = [r for r in rows[1:] if r and len(r) > idx["id"] and r[idx["id"]] == warehouse_id]
            if not hits:
                raise self._error(f"no warehouse {warehouse_id!r} in {self._shown(path)}", "write warehouse")
            for col, value in values.items():
                row = hits[0]
                row.extend([""] * (len(header) - len(row)))
                row[idx[col]] = value
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\n").writerows(rows)
            out = buf.getvalue()
        _atomic_write(path, out)


def _cell(value: Any) -> Any:
    """CSV cells are strings; JSON may carry numbers (ids, phones) that mean the same string."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else value
    if isinstance(value, int | float):
        return str(value)
    return value.strip() if isinstance(value, str) else value


def _csv_rows(text: str) -> list[tuple[int, Any]]:
    reader = csv.DictReader(io.StringIO(text), restkey="__extra__")
    rows: list[tuple[int, Any]] = []
    for row in reader:
        if not any((v or "").strip() for k, v in row.items() if k != "__extra__" and isinstance(v, str)):
            continue  # blank line
        rows.append((reader.line_num, row))
    return rows


def _json_rows(text: str, fail: Callable[[str], Exception]) -> list[tuple[int, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(f"not valid JSON: {exc}") from None
    if not isinstance(data, list):
        raise fail("expected a list of warehouse objects")
    return [(i + 1, row) for i, row in enumerate(data)]  # "line" = position in the list


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
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
