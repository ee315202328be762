"""The files ERP connector: reads rows, and sets cells by rewriting the file (one write, or a batch of them)."""

from __future__ import annotations

import codecs
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from marshmallow import ValidationError

from erpsync.core.connector import Connector
from erpsync.core.errors import PermanentError, RecordError, TemporaryError
from erpsync.core.models import Address, HandoverMode, Records, Warehouse

from . import replace as rp
from .edit import OPERATION, Edits, Write
from .ids import IdLines
from .images import ImagesMixin, ImagesOptions
from .orders import OrdersMixin, OrdersOptions
from .parse import Document, broken_rows, cell, is_utf8, parse, row_id, unwritable
from .parse_csv import misshapen
from .products import ProductsMixin, ProductsOptions
from .schema import ADDRESS_FIELDS, FilesOptions, WarehouseRecord, field_errors
from .shipments import ShipmentsMixin, ShipmentsOptions

logger = logging.getLogger(__name__)

#: how often a write re-reads and re-applies its change when the file keeps changing under it
ATTEMPTS = 5
NAMES = ("warehouses.csv", "warehouses.json")


class FilesErpOptions(OrdersOptions, ProductsOptions, ImagesOptions, ShipmentsOptions, FilesOptions):
    """The ``[shops.erp]`` table: the directory and format, and each optional file a mixin reads."""


class FilesErp(OrdersMixin, ProductsMixin, ImagesMixin, ShipmentsMixin, Connector):
    type = "files"
    role = "erp"
    description = "CSV/JSON files in a directory (the embedded default ERP)"
    Options = FilesErpOptions

    _swept = False
    #: seconds a write waits for another program's lock on the file before giving up this run
    lock_timeout = 30.0
    #: the writes of the open batch (None: no batch), checked against the file as the batch read it
    _batch: list[Write] | None = None
    #: the batch's read of the warehouses file, made by its first warehouse write (None: not yet)
    _batch_edits: Edits | None = None
    #: rewrites of the file this connector made, for benchmarks and tests
    rewrites = 0

    @property
    def directory(self) -> Path:
        return (self.shop.base_dir / self.options["path"]).resolve()

    # -- capabilities ------------------------------------------------------------------------

    def list_warehouses(self) -> Records[Warehouse]:
        doc = self._read()
        shown = self._shown(doc.path)
        items: list[Warehouse] = []
        errors = broken_rows(doc, shown, "warehouse")
        met = IdLines(doc)
        schema = WarehouseRecord()  # one per read: building a schema costs several times a row's load
        for line, index, row in doc.rows:
            source = doc.source(shown, line, index)
            if not isinstance(row, dict):
                errors.append(RecordError("not an object", source=source, record="warehouse"))
                continue
            rid = row_id(row)
            record = f"warehouse {rid!r}" if rid else "warehouse (no id)"
            # Checked on every row, malformed and set-aside ones included: the write side refuses an
            # id on several rows, so the read side must not quietly pick one of them either.
            if (wrong := met.repeated(rid, line, index, source, record) or misshapen(row, source, record)) is not None:
                errors.append(wrong)
                continue
            try:
                data = schema.load({k: cell(v) for k, v in row.items() if k is not None})
            except ValidationError as exc:
                errors.extend(field_errors(exc, source=source, record=record))
                continue
            mode = HandoverMode.parse(data["handover_mode"]) if data["handover_mode"].strip() else None
            address = Address(**{f: data[f] for f in ADDRESS_FIELDS})
            items.append(
                Warehouse(data["id"], data["name"], address, mode, data["seller_warehouse_id"].strip() or None, source)
            )
        return Records(tuple(items), tuple(errors))

    def set_warehouse_address(self, warehouse_id: str, changes: Mapping[str, str]) -> None:
        """Set only the given Address fields, so a concurrent edit of another field survives."""
        unknown = sorted(set(changes) - set(ADDRESS_FIELDS))
        if unknown:
            raise ValueError(f"not address fields: {', '.join(unknown)} (expected some of {', '.join(ADDRESS_FIELDS)})")
        self._update(warehouse_id, dict(changes))

    def set_handover_mode(self, warehouse_id: str, mode: HandoverMode) -> None:
        self._update(warehouse_id, {"handover_mode": mode.label})

    @contextmanager
    def batch(self) -> Iterator[None]:
        """See ``BatchWriter``: the writes made inside are written in one rewrite as the block ends.

        The warehouses file is read once, by the batch's first warehouse write, and each write is
        checked against that read at once (``edit.py``): one that cannot be made raises
        ``PermanentError`` naming its warehouse and field, and is left out. The rest are written
        together by the same locked, verified rewrite as a single write (``_rewrite``). Order
        statuses (``orders.py``) are queued the same way and written in one rewrite of their file;
        a batch of order statuses alone never reads the warehouses file, so one that is missing,
        half-saved or malformed does not stop them. A block left by an exception writes nothing.
        """
        if self._batch is not None:
            raise RuntimeError("a batch of the files ERP is open already: batches do not nest")
        writes: list[Write] = []
        self._batch, self._batch_edits = writes, None
        self._order_writes = {}
        try:
            yield
        except BaseException:
            self._order_writes = None
            raise
        finally:
            self._batch, self._batch_edits = None, None
        try:
            if writes:
                self._rewrite(writes)
        finally:
            self.flush_order_writes()

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
        self._sweep_once()
        return found[0]

    def _sweep_once(self) -> None:
        """Once per run: remove the temp files a killed write left beside the files erpsync
        writes (warehouses, orders), in their folder and, through a symlink, their target's."""
        if self._swept:
            return
        self._swept = True
        written = [self.directory / name for name in NAMES]
        if self.options.get("orders"):
            written.append(self.directory / self.options["orders"])
        names: dict[Path, set[str]] = {}
        for path in written:
            for each in (path, Path(os.path.realpath(path))):
                names.setdefault(each.parent, set()).add(each.name)
        for folder, in_folder in names.items():
            for gone in rp.sweep(folder, tuple(sorted(in_folder))):
                logger.info("removed %s, left by an interrupted write", self._shown(gone))

    def _parse(self, path: Path, raw: bytes, operation: str) -> Document:
        """Reads and writes both parse through here so they agree on rows and lines."""
        return parse(
            path,
            raw,
            lambda m: self._error(f"{self._shown(path)}: {m}", operation),
            self.options.get("encoding", "utf-8"),
        )

    def _writable(self, doc: Document) -> None:
        """Refuse to rewrite a file with lines a rewrite would lose (undecodable, unparsable)."""
        why = unwritable(doc)
        if why is not None:
            raise self._error(f"{self._shown(doc.path)}: {why}: fix it, then run again", OPERATION)

    def _read(self, operation: str = "read warehouses") -> Document:
        path = self._file()
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise self._error(f"cannot read {self._shown(path)}: {exc}", operation) from None
        return self._parse(path, raw, operation)

    def _encoded(self, text: str, shown: str) -> bytes:
        """The file's new text in its encoding; a character the encoding lacks refuses the write."""
        encoding = self.options.get("encoding", "utf-8")
        try:
            return text.encode("utf-8" if is_utf8(encoding) else encoding)
        except UnicodeEncodeError as exc:
            bad = exc.object[exc.start : exc.end]
            raise self._error(
                f"cannot write {shown}: {bad!r} has no {encoding} form (option encoding)", OPERATION
            ) from None

    def _update(self, warehouse_id: str, values: dict[str, str]) -> None:
        """One write: made now, or, inside a batch, checked now and made as the batch closes."""
        if self._batch is None:
            self._rewrite([(warehouse_id, values)])
            return
        if self._batch_edits is None:  # a file that cannot be read fails this write alone; the next reads again
            doc = self._read(OPERATION)
            self._batch_edits = Edits(doc, self._shown(doc.path), self._error)
        edits = self._batch_edits
        self._writable(edits.doc)  # each write refused alone, as for a line the CSV reader cannot read
        edits.check(warehouse_id, values)
        self._batch.append((warehouse_id, values))

    def _rewrite(self, writes: Sequence[Write]) -> None:
        """Set cells of rows and rewrite the file once, keeping its BOM and line endings.

        Under the file's lock: read, edit, and replace only if the file is still what was read;
        if another program changed it meanwhile, read it again and re-apply every write (see
        ``replace.py``). A write that no longer fits the file read under the lock fails the
        whole rewrite, and nothing is written.
        """
        path = self._file()
        shown = self._shown(path)
        try:
            for _ in range(ATTEMPTS):
                # locked afresh each time: a file replaced by another program is a new inode
                with rp.locked(path, self.lock_timeout) as (real, fd):
                    snap = rp.snapshot(fd)
                    doc = self._parse(path, snap.data, OPERATION)
                    self._writable(doc)
                    edits = Edits(doc, shown, self._error)
                    if not edits.apply(writes):
                        return  # already so: leave the file (and its mtime) alone
                    data = (codecs.BOM_UTF8 if doc.bom else b"") + self._encoded(edits.text(), shown)
                    try:
                        rp.replace(real, snap, data, fd, carry_tail=doc.data is None)
                        self.rewrites += 1
                        return
                    except rp.Changed:
                        continue
        except rp.Refused as exc:
            raise self._error(f"cannot write {shown}: {exc}", OPERATION) from None
        except rp.Busy as exc:
            message = f"cannot write {shown}: {exc}; the next run tries again"
            raise TemporaryError(message, connector="files ERP", operation=OPERATION) from None
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise self._error(f"cannot write {shown}: {reason}", OPERATION) from None
        raise TemporaryError(
            f"{shown} changed {ATTEMPTS} times while erpsync was writing it (another program is editing it): "
            "nothing was written; the next run tries again",
            connector="files ERP",
            operation=OPERATION,
        )
