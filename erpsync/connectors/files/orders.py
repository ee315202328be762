"""The files ERP's order statuses: a CSV or JSON file the order-status aspect reads and writes.

The ``orders`` option names the file, relative to the ``path`` directory (``orders.csv`` or
``orders.json``, a list of objects; the suffix says which). Columns: ``order_id`` (Seller
Center's order id), ``status`` (its Seller Center status, e.g. ``CANCELLED``) and ``updated_at``
(the Seller Center update time that status is from, ISO 8601 with its offset). Other columns
are the ERP's own and are kept as they are. A missing file is created by the first write.

A malformed row is a RecordError naming file, line and field, and the other rows go on; a read
answers only for the orders asked about, so a malformed row of another order is not reported,
while one whose order id cannot be read (nor trusted: a row that does not fit the header) is. Such
a row is kept as it is: a write never goes into it, but into another row of that order, or a new
one, where the read will find it. An order listed more than once has one status only when its
rows agree (``order_rows.py``); a write sets every row of it. Writes
replace the file atomically under its lock and never over a change another program made
meanwhile (``replace.py``), like the warehouses file; inside the files ERP's ``batch()`` they
are made together, in one rewrite, as the batch closes.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from erpsync.core.errors import PermanentError, RecordError, TemporaryError
from erpsync.core.models import Records
from erpsync.core.orders import ErpOrderStatus

from . import replace as rp
from .host import FilesHost
from .ids import set_aside_ids
from .order_rows import one_status
from .parse import Document, broken_rows, cell, is_utf8, parse, read_side_file, unwritable
from .parse_csv import misshapen
from .render_json import spliced
from .schema import field_errors, file_option

__all__ = ["ORDER_COLUMNS", "OrdersMixin", "OrdersOptions"]

ORDER_COLUMNS = ("order_id", "status", "updated_at")
_ATTEMPTS = 5


class OrdersOptions(Schema):
    """The files ERP's ``orders`` option (mixed into its options schema)."""

    orders = file_option("order statuses, for the order_status aspect")


class _OrderRow(Schema):
    class Meta:
        unknown = EXCLUDE

    order_id = fields.String(required=True, validate=validate.Length(min=1, error="must not be empty"))
    status = fields.String(load_default="")
    updated_at = fields.AwareDateTime(load_default=None, allow_none=True)


class OrdersMixin(FilesHost):
    """``OrderStatusBook`` for the files ERP (``core/orders.py``); without the option it is none."""

    #: order writes waiting for the open batch to close (None: no batch open)
    _order_writes: dict[str, dict[str, str]] | None = None

    # -- reading -----------------------------------------------------------------------------

    def order_statuses(self, order_ids: Sequence[str]) -> Records[ErpOrderStatus] | None:
        if not self.options.get("orders"):
            return None  # this ERP keeps no order statuses: nothing to mirror into
        wanted = set(order_ids)
        path, shown = self._orders_path()
        if not path.exists():
            return Records()
        doc = read_side_file(path, shown, "read orders", self.options.get("encoding", "utf-8"))
        errors = [e for e in broken_rows(doc, shown, "order", "order_id") if _asked(e.record_id, wanted)]
        items: list[ErpOrderStatus] = []
        schema = _OrderRow()
        # order id -> where rows giving it could not be read (set aside, or malformed)
        unread = {i: where for i, where in set_aside_ids(doc, shown, "order_id").items() if i in wanted}
        for line, index, row in doc.rows:
            source = doc.source(shown, line, index)
            if not isinstance(row, dict):
                errors.append(RecordError("not an object", source=source, record="order"))
                continue
            values = {k: cell(v) for k, v in row.items() if k is not None and not k.startswith("__")}
            if values.get("updated_at") == "":
                values["updated_at"] = None
            oid = values.get("order_id")
            record = f"order {oid!r}" if oid else "order (no id)"
            rid = oid if isinstance(oid, str) and oid else None
            shape = misshapen(row, source, record)
            if shape is not None:  # no cell can be trusted, its order id neither: it may be any order's
                errors.append(shape)
                continue
            if not _asked(rid, wanted):
                continue  # another order's row, its errors included: not this read's concern
            try:
                data = schema.load(values)
            except ValidationError as exc:
                errors.extend(_named(e, rid) for e in field_errors(exc, source=source, record=record))
                if rid is not None:
                    unread.setdefault(rid, []).append(source)
                continue
            items.append(ErpOrderStatus(data["order_id"], data["status"], data["updated_at"], source))
        return Records(tuple(one_status(items, errors, unread)), tuple(errors))

    # -- writing -----------------------------------------------------------------------------

    def set_order_status(self, order_id: str, status: str, updated_at: datetime) -> None:
        if updated_at.tzinfo is None:
            raise ValueError("updated_at must be timezone-aware")
        self._orders_path()  # refuses at once when the ERP keeps no orders file
        values = {"order_id": order_id, "status": status, "updated_at": updated_at.isoformat()}
        if self._order_writes is not None:
            self._order_writes[order_id] = values
            return
        self._write_orders({order_id: values})

    def flush_order_writes(self) -> None:
        """Write what a batch queued (the files ERP's ``batch()`` calls this as it closes)."""
        queued, self._order_writes = self._order_writes, None
        if queued:
            self._write_orders(queued)

    def _write_orders(self, writes: dict[str, dict[str, str]]) -> None:
        path, shown = self._orders_path()
        fail = self._orders_fail(shown, "write order statuses")
        try:
            if not path.exists():
                _create(path)
            for _ in range(_ATTEMPTS):
                with rp.locked(path, self.lock_timeout) as (real, fd):
                    snap = rp.snapshot(fd)
                    data = _rewritten(path, snap.data, writes, fail, self.options.get("encoding", "utf-8"))
                    if data == snap.data:
                        return
                    try:
                        rp.replace(real, snap, data, fd, carry_tail=False)
                        return
                    except rp.Changed:
                        continue
        except rp.Refused as exc:
            raise fail(f"cannot write: {exc}") from None
        except rp.Busy as exc:
            raise TemporaryError(f"{shown}: {exc}", connector="files ERP", operation="write order statuses") from None
        except OSError as exc:
            raise fail(f"cannot write: {exc.strerror or exc}") from None
        raise TemporaryError(
            f"{shown} changed {_ATTEMPTS} times while erpsync was writing it: nothing written, the next run retries",
            connector="files ERP",
            operation="write order statuses",
        )

    # -- the file ----------------------------------------------------------------------------

    def _orders_path(self) -> tuple[Path, str]:
        name = self.options.get("orders")
        if not name:
            raise PermanentError(
                "this files ERP keeps no order statuses (set the option 'orders', e.g. \"orders.csv\")",
                connector="files ERP",
                operation="order statuses",
            )
        self._sweep_once()
        path = self.directory / name
        return path, self._shown(path)

    @staticmethod
    def _orders_fail(shown: str, operation: str) -> Any:
        def fail(message: str) -> PermanentError:
            return PermanentError(f"{shown}: {message}", connector="files ERP", operation=operation)

        return fail


def _asked(order_id: str | None, wanted: set[str]) -> bool:
    """Whether a row of ``order_id`` is one a read for ``wanted`` answers for, errors included: a
    row of an order asked about, or one whose order id could not be read (it may be any order's).

    The order-status aspect asks about the orders Seller Center changed, and holds its read
    position for an order named by a record error; a bad row of an order it did not ask about
    (last year's, typed by hand) would hold it on every run for good.
    """
    return order_id is None or order_id in wanted


def _named(error: RecordError, order_id: str | None) -> RecordError:
    """``error`` carrying the order id its row gives (``RecordError.record_id``)."""
    return RecordError(error.reason, record=error.record, field=error.field, source=error.source, record_id=order_id)


def _create(path: Path) -> None:
    """Create the missing file, empty of orders; one another program created meanwhile is left as it is."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    except FileExistsError:
        return  # it appeared since erpsync looked: written like any file that was there
    except PermissionError:
        raise rp.folder_refused(path.parent) from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(b"[]\n" if path.suffix == ".json" else (",".join(ORDER_COLUMNS) + "\n").encode())


def _rewritten(path: Path, raw: bytes, writes: dict[str, dict[str, str]], fail: Any, encoding: str = "utf-8") -> bytes:
    """The file's bytes with each written order's rows set (one added at the end when new); pure.

    Written in the file's ``encoding``; a file with lines a rewrite would lose is refused.
    """
    pending = dict(writes)
    doc = parse(path, raw, fail, encoding) if raw.strip() else None
    why = unwritable(doc) if doc is not None else None
    if why is not None:
        raise fail(f"{why}: fix it before erpsync writes the file")
    if path.suffix == ".json":
        if doc is None or doc.data is None:  # an empty file: nothing to keep
            text = json.dumps(list(pending.values()), ensure_ascii=False, indent=2) + "\n"  # escapes newlines
            return _kept(doc, text, encoding, fail)
        changed, found = [], set()
        for index, row in enumerate(doc.data):
            key = str(cell(row.get("order_id"))) if isinstance(row, dict) else ""
            if key in pending:  # every row of the order: one left as it was would differ (one_status)
                row.update(pending[key])
                changed.append(index)
                found.add(key)
        # only the objects written to are rendered anew: the rest, numbers included, stay as read
        try:
            text = spliced(doc, changed, [v for k, v in pending.items() if k not in found])
        except ValueError as exc:  # not expected (every value read keeps its text): a failed write
            raise fail(f"cannot write this file back: {exc}") from None
        return _kept(doc, text, encoding, fail)
    # cell by cell, in place: every other cell, blank line and column (one without a name too)
    # stays as it was, where rows written back by column name would merge two unnamed columns
    records = [list(r) for r in doc.records] if doc is not None and doc.records else [list(ORDER_COLUMNS)]
    header = records[doc.header_at if doc is not None and doc.records else 0]
    names = [h.strip() for h in header]
    missing = next((column for column in ORDER_COLUMNS if column not in names), None)
    longer = next((line for line, _i, row in doc.rows if row.get("__extra__")), None) if doc is not None else None
    if missing is not None and longer is not None:  # its extra cell would become the new column's value
        raise fail(
            f"cannot add column {missing!r}: line {longer} has more cells than the header: "
            "fix it before erpsync writes the file"
        )
    for column in ORDER_COLUMNS:
        if column not in names:
            header.append(column)
            names.append(column)
    at = {column: names.index(column) for column in ORDER_COLUMNS}
    found = set()
    for _line, index, row in doc.rows if doc is not None else ():
        if row.get("__extra__") or row.get("__oversize__"):
            continue  # no cell of it can be trusted, its order id neither: kept as it is (misshapen)
        record = records[index]
        key = record[at["order_id"]].strip() if at["order_id"] < len(record) else ""
        if key in pending:  # every row of the order: one left as it was would differ (one_status)
            record.extend([""] * (len(header) - len(record)))
            for column, value in pending[key].items():
                record[at[column]] = value
            found.add(key)
    for values in (v for k, v in pending.items() if k not in found):
        record = [""] * len(header)
        for column, value in values.items():
            record[at[column]] = value
        records.append(record)
    buffer = io.StringIO()
    crlf = doc is not None and doc.crlf
    csv.writer(buffer, lineterminator="\r\n" if crlf else "\n").writerows(records)
    return _kept(doc, buffer.getvalue(), encoding, fail)


def _kept(doc: Document | None, text: str, encoding: str, fail: Any) -> bytes:
    """``text`` encoded, with the BOM the file had."""
    return (b"\xef\xbb\xbf" if doc is not None and doc.bom else b"") + _encoded(text, encoding, fail)


def _encoded(text: str, encoding: str, fail: Any) -> bytes:
    try:
        return text.encode("utf-8" if is_utf8(encoding) else encoding)
    except UnicodeEncodeError as exc:
        raise fail(
            f"cannot write: {exc.object[exc.start : exc.end]!r} has no {encoding} form (option encoding)"
        ) from None
