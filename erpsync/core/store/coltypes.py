"""The ``metadata`` every table of the state store belongs to, and the one column type it adds.

Kept apart from the table definitions so the tables can live in several modules (``schema.py`` and
``schema_service.py``) that all register on one ``metadata``, which ``create_all`` then builds.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Dialect, MetaData
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that goes in and comes out timezone-aware UTC on every engine.

    SQLite has no time zones: SQLAlchemy would hand back naive datetimes, and mixing naive and
    aware values fails at comparison time, far from the bug. So naive input is refused here, values
    are stored as UTC (naive on SQLite, whose ISO strings then compare correctly in SQL, e.g. lease
    expiry) and read back with ``tzinfo=UTC``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given to the state store: pass an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData()
