"""Explicit, in-place upgrades of an older state database, one schema version at a time.

``StoreBase`` runs them inside the same write transaction that checks the version, so two
processes opening an old database at once upgrade it exactly once (the second sees the new
version). Each step creates only what its version added and moves the version row on; nothing
is ever dropped, so the data of the older version is kept as it is.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Table, inspect, text

from erpsync.core.store import schema


def _v1_to_v2(conn: Connection) -> None:
    """Shop tokens (authorisation for many shops) and handled webhook ids."""
    schema.tokens.create(conn, checkfirst=True)
    schema.notifications.create(conn, checkfirst=True)


def _v2_to_v3(conn: Connection) -> None:
    """Webhook bodies kept for inspection (unparseable, unknown type, or the handler failed)."""
    schema.kept_notifications.create(conn, checkfirst=True)


def _add_columns(conn: Connection, table: Table, names: tuple[str, ...]) -> None:
    """Add the named columns of ``table`` that the database lacks (all nullable); create it if missing."""
    if not inspect(conn).has_table(table.name):
        table.create(conn)
        return
    present = {c["name"] for c in inspect(conn).get_columns(table.name)}
    for name in names:
        if name not in present:
            column = table.c[name]
            kind = column.type.compile(dialect=conn.dialect)
            conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {name} {kind}"))


def _v3_to_v4(conn: Connection) -> None:
    """Host and pid of lease holders and runs, and a run's heartbeat: crashed runs are told apart."""
    _add_columns(conn, schema.locks, ("host", "pid"))
    _add_columns(conn, schema.runs, ("host", "pid", "heartbeat_at"))


def _v4_to_v5(conn: Connection) -> None:
    """What an observation was before its last change (and when last seen), a drift's texts for
    people, and operators' pickup confirmations. Rows written before stay as they are: NULL reads
    as "not known" (no earlier value seen, no texts)."""
    _add_columns(conn, schema.observations, ("previous_fingerprint", "previous_seen_at"))
    _add_columns(conn, schema.drifts, ("details",))
    schema.pickup_confirmations.create(conn, checkfirst=True)


def _v5_to_v6(conn: Connection) -> None:
    """The alert outbox, and on drifts when each was last alerted and its acknowledgement. Drifts
    open before the upgrade have no ``last_alerted_at``: reminders count from their opening."""
    _add_columns(conn, schema.drifts, ("last_alerted_at", "acked_at", "acked_until"))
    schema.alert_outbox.create(conn, checkfirst=True)


def _v6_to_v7(conn: Connection) -> None:
    """The package cache: a seller connector's reads of each package, kept between runs. It starts
    empty, so the first run after the upgrade reads every package once, as before."""
    schema.package_cache.create(conn, checkfirst=True)


def _v7_to_v8(conn: Connection) -> None:
    """What a long-running service needs: fencing epochs, requested runs, paused shops, claims on
    webhook deliveries and the database's own facts. All start empty: no shop is fenced or paused,
    nothing is requested, and ids handled before stay handled (``notifications`` is untouched)."""
    for table in (schema.fences, schema.sync_requests, schema.shop_pauses, schema.notification_claims, schema.meta):
        table.create(conn, checkfirst=True)


def _v8_to_v9(conn: Connection) -> None:
    """The tracking read's own package cache. It starts empty: the first tracking run after the
    upgrade reads each shipment's package once, as before."""
    schema.tracked_packages.create(conn, checkfirst=True)


def _v9_to_v10(conn: Connection) -> None:
    """Whether a tracked package's orders said it shipped. Rows kept before read as not known,
    as they were: the package status alone settles them."""
    _add_columns(conn, schema.tracked_packages, ("orders_shipped",))


def _v10_to_v11(conn: Connection) -> None:
    """Who ships a cached package (its detail's shipping_type). Rows kept before read as not
    known, which leaves their packages to be shipped and corrected as before."""
    _add_columns(conn, schema.package_cache, ("shipping_type",))
    _add_columns(conn, schema.tracked_packages, ("shipping_type",))


def _v11_to_v12(conn: Connection) -> None:
    """When the tracking read last wanted each of its rows. Rows kept before have none: the next
    tracking run marks those it still wants, and pruning takes a row's ``created_at`` meanwhile."""
    _add_columns(conn, schema.tracked_packages, ("wanted_at",))


def _add_index(conn: Connection, table: Table, name: str) -> None:
    """Create ``table``'s index ``name`` unless the database has it (a table an earlier step created
    now has it already)."""
    (index,) = (i for i in table.indexes if i.name == name)
    index.create(conn, checkfirst=True)


def _v12_to_v13(conn: Connection) -> None:
    """An index on the outbox's ``drift_id``: a drift that resolves reads its alerts by it, inside
    the write transaction. Built from the rows kept; nothing else changes."""
    _add_index(conn, schema.alert_outbox, "ix_alert_outbox_drift_id")


def _v13_to_v14(conn: Connection) -> None:
    """The delivery option of a cached package, the tracking read's and the pickup read's (the
    tracking read answers a package of the pickup lookback from the pickup read's rows). Rows kept
    before read as not known, as they were: a carrier name two options share is an error for such
    a package until it is read again."""
    _add_columns(conn, schema.package_cache, ("delivery_option_id",))
    _add_columns(conn, schema.tracked_packages, ("delivery_option_id",))


#: from-version → the step that brings a database to from-version + 1
STEPS: dict[int, Callable[[Connection], None]] = {
    1: _v1_to_v2,
    2: _v2_to_v3,
    3: _v3_to_v4,
    4: _v4_to_v5,
    5: _v5_to_v6,
    6: _v6_to_v7,
    7: _v7_to_v8,
    8: _v8_to_v9,
    9: _v9_to_v10,
    10: _v10_to_v11,
    11: _v11_to_v12,
    12: _v12_to_v13,
    13: _v13_to_v14,
}


def can_upgrade(version: int) -> bool:
    """True if every step from ``version`` to the current ``SCHEMA_VERSION`` exists."""
    return all(v in STEPS for v in range(version, schema.SCHEMA_VERSION))


def upgrade(conn: Connection, version: int) -> None:
    """Bring a database at ``version`` to ``SCHEMA_VERSION``; the caller holds the write transaction."""
    for v in range(version, schema.SCHEMA_VERSION):
        STEPS[v](conn)
        conn.execute(schema.schema_version.update().where(schema.schema_version.c.version == v).values(version=v + 1))
