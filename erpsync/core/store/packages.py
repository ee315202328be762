"""The package cache: what a seller connector read of each package, so unchanged ones are not read again.

A pickup read costs one detail call per package plus its orders; most packages do not change
between runs, and the platform stamps every change with ``update_time``. So a connector searches
only for packages changed since its cursor and takes the rest from here (``PackageCache`` in
``core/ports.py``). Rows are written page by page as they are read; the cursor (the shop's
``packages`` row in ``cursors``) moves only afterwards, together with dropping the rows that left
the lookback window. A run that stops in between leaves rows newer than the cursor says, which
is harmless: the next run searches from the old cursor again and finds them unchanged.

``store.tracked`` (``TrackedPackages``) is the same for the tracking read, in its own table and
cursor stream: the packages of the ERP's shipments whose status (or, for a package waiting for
the carrier, whose orders) settles their shipping state, kept whatever their age
(``connectors/tiktok/shipping_reads.py``). A row is worth keeping while the ERP lists its
shipment, however old the package: it spares a detail read every run. So the tracking read
reads only the rows of the packages it wants, and marks them wanted (``wanted_at``, at most once
a day, so a run rarely writes); ``prune`` drops the rows no run has wanted for
``Retention.tracked_packages``: the ERP no longer lists their shipments (a rolling export, an
archived picking), and one listed again costs one detail read.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, delete, func, or_, select

from erpsync.core.models import HandoverMode, PackageSignal
from erpsync.core.ports import CachedPackage, PackageCursor
from erpsync.core.store.base import Repository
from erpsync.core.store.schema import cursors, package_cache, tracked_packages
from erpsync.core.store.upserts import upsert, upsert_many

#: rows per statement: well under the bound parameters SQLite allows in one statement
_CHUNK = 500
#: how far behind a wanted row's ``wanted_at`` may be before a read moves it: most runs write nothing
WANTED_EVERY = timedelta(days=1)


def _mode(value: str | None) -> HandoverMode | None:
    return HandoverMode(value) if value in tuple(HandoverMode) else None


def _cached(r: Any) -> CachedPackage:
    """One row (a mapping) as the port's ``CachedPackage``."""
    return CachedPackage(
        signal=PackageSignal(
            id=r["package_id"],
            warehouse_id=r["warehouse_id"],
            handover_method=_mode(r["handover_method"]),
            tracking_number=r["tracking_number"],
            created_at=r["created_at"],
            status=r["status"],
        ),
        update_time=r["update_time"],
        orders_shipped=bool(r.get("orders_shipped")),  # a table without the column: False
        shipping_type=r["shipping_type"],
        delivery_option_id=r.get("delivery_option_id"),  # a table without the column: not known
    )


class ShopPackages:
    """``PackageCache`` for one shop (``store.packages.for_shop(shop)``)."""

    def __init__(self, repository: Packages, shop: str) -> None:
        self._repository = repository
        self.shop = shop

    def cursor(self) -> PackageCursor | None:
        return self._repository.cursor(self.shop)

    def packages(self, created_since: datetime) -> list[CachedPackage]:
        return self._repository.packages(self.shop, created_since)

    def put(self, packages: Sequence[CachedPackage]) -> None:
        self._repository.put(self.shop, packages)

    def reset(self) -> None:
        self._repository.reset(self.shop)

    def advance(self, cursor: PackageCursor, *, now: datetime) -> None:
        self._repository.advance(self.shop, cursor, now=now)


class Packages(Repository):
    """``store.packages``: a shop's cached packages and how far they are complete."""

    #: the rows
    table: Table = package_cache
    #: the ``cursors`` stream that says how far a shop's rows are complete
    stream = "packages"
    #: whether the table keeps ``CachedPackage.orders_shipped`` (the tracking read's does)
    _orders_shipped = False

    def for_shop(self, shop: str) -> ShopPackages:
        """The ``PackageCache`` port for ``shop``, the one part of the store a seller connector gets."""
        return ShopPackages(self, shop)

    def cursor(self, shop: str) -> PackageCursor | None:
        """The shop's cursor; None before the first complete read (or after ``reset``)."""
        with self._read() as conn:
            position = conn.execute(
                select(cursors.c.position).where(cursors.c.shop == shop, cursors.c.stream == self.stream)
            ).scalar_one_or_none()
        if position is None:
            return None
        raw = json.loads(position)
        return PackageCursor(
            scope=raw["scope"],
            since=datetime.fromisoformat(raw["since"]),
            update_time=datetime.fromisoformat(raw["update_time"]),
        )

    def packages(self, shop: str, created_since: datetime) -> list[CachedPackage]:
        """The shop's cached packages created at or after ``created_since``, oldest first."""
        c = self.table.c
        query = (
            select(self.table).where(c.shop == shop, c.created_at >= created_since).order_by(c.created_at, c.package_id)
        )
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        return [_cached(r) for r in rows]

    def put(self, shop: str, packages: Sequence[CachedPackage], **columns: object) -> None:
        """Insert or replace ``packages`` (one transaction); undated packages are not kept.
        ``columns``: more columns, the same for every row."""
        rows = [
            {
                "shop": shop,
                "package_id": p.signal.id,
                "warehouse_id": p.signal.warehouse_id,
                "handover_method": p.signal.handover_method.value if p.signal.handover_method else None,
                "tracking_number": p.signal.tracking_number,
                "status": p.signal.status,
                "created_at": p.signal.created_at,
                "update_time": p.update_time,
                "shipping_type": p.shipping_type,
                "delivery_option_id": p.delivery_option_id,
                **({"orders_shipped": p.orders_shipped} if self._orders_shipped else {}),
                **columns,
            }
            for p in packages
            if p.signal.created_at is not None
        ]
        if not rows:
            return
        with self._write() as conn:
            upsert_many(conn, self.table, ("shop", "package_id"), rows)

    def reset(self, shop: str) -> None:
        """Forget the shop's packages and its cursor."""
        with self._write() as conn:
            conn.execute(delete(cursors).where(cursors.c.shop == shop, cursors.c.stream == self.stream))
            conn.execute(delete(self.table).where(self.table.c.shop == shop))

    def advance(self, shop: str, cursor: PackageCursor, *, now: datetime) -> None:
        """Drop the packages created before ``cursor.since`` and store ``cursor``: one transaction."""
        position = json.dumps(
            {"scope": cursor.scope, "since": cursor.since.isoformat(), "update_time": cursor.update_time.isoformat()}
        )
        c = self.table.c
        with self._write() as conn:
            conn.execute(delete(self.table).where(and_(c.shop == shop, c.created_at < cursor.since)))
            upsert(conn, cursors, {"shop": shop, "stream": self.stream}, {"position": position, "updated_at": now})


class ShopTracked(ShopPackages):
    """``TrackedCache`` for one shop (``store.tracked.for_shop(shop)``)."""

    _repository: TrackedPackages

    def put(self, packages: Sequence[CachedPackage], *, wanted_at: datetime | None = None) -> None:
        self._repository.put(self.shop, packages, **({} if wanted_at is None else {"wanted_at": wanted_at}))

    def packages_of(self, package_ids: Collection[str], *, wanted_at: datetime | None = None) -> list[CachedPackage]:
        return self._repository.packages_of(self.shop, package_ids, wanted_at=wanted_at)

    def has_packages(self) -> bool:
        return self._repository.has_packages(self.shop)


class TrackedPackages(Packages):
    """``store.tracked``: what the tracking read read of shipments' packages, and how far it is checked.

    Its cursor's ``since`` is the epoch: no row is dropped for its age, since a shipment long
    shipped is the one worth not reading again. ``prune`` drops the rows no run wanted for long.
    """

    table = tracked_packages
    stream = "tracked_packages"
    _orders_shipped = True

    def for_shop(self, shop: str) -> ShopTracked:
        """The ``TrackedCache`` port for ``shop``."""
        return ShopTracked(self, shop)

    def packages_of(
        self, shop: str, package_ids: Collection[str], *, wanted_at: datetime | None = None
    ) -> list[CachedPackage]:
        """The shop's rows of ``package_ids``, in the order asked; with ``wanted_at``, the rows
        whose ``wanted_at`` is ``WANTED_EVERY`` or more behind it (or not known) are moved to it.

        Read first, then written only when a row needs it: a run whose rows were all marked
        within the day only reads, without taking the write lock.
        """
        c, ids = self.table.c, list(dict.fromkeys(package_ids))
        found: dict[str, CachedPackage] = {}
        behind: list[str] = []
        with self._read() as conn:
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                query = select(self.table).where(c.shop == shop, c.package_id.in_(chunk))
                for r in conn.execute(query).mappings():
                    found[r["package_id"]] = _cached(r)
                    if wanted_at is not None and (r["wanted_at"] is None or r["wanted_at"] <= wanted_at - WANTED_EVERY):
                        behind.append(r["package_id"])
        if behind and wanted_at is not None:
            with self._write() as conn:
                for start in range(0, len(behind), _CHUNK):
                    chunk = behind[start : start + _CHUNK]
                    statement = self.table.update().where(c.shop == shop, c.package_id.in_(chunk))
                    conn.execute(statement.values(wanted_at=wanted_at))
        return [found[i] for i in ids if i in found]

    def has_packages(self, shop: str) -> bool:
        """Whether the shop has any row."""
        query = select(self.table.c.package_id).where(self.table.c.shop == shop).limit(1)
        with self._read() as conn:
            return conn.execute(query).first() is not None

    def prune(self, *, before: datetime, dry_run: bool = False) -> int:
        """Delete the rows (of every shop) no run has wanted since ``before``: ``wanted_at``
        before it, or, never marked (kept before schema 12, or written and not wanted since),
        ``created_at`` before it. Such a package, wanted again, is read from its detail once."""
        c = self.table.c
        where = or_(c.wanted_at < before, and_(c.wanted_at.is_(None), c.created_at < before))
        with self._write() as conn:
            if dry_run:
                return int(conn.execute(select(func.count()).select_from(self.table).where(where)).scalar_one())
            return int(conn.execute(self.table.delete().where(where)).rowcount)
