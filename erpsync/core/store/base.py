"""The engine every repository shares: SQLite's concurrency settings, transactions, schema.

SQLite is the default and several OS processes (a cron run, an operator's manual run) may share one
file, so every connection gets a busy timeout and WAL journal mode, and every write transaction
starts with ``BEGIN IMMEDIATE``: the write lock is taken up front (waiting up to the busy timeout)
instead of on the first write, where a read-then-write transaction could fail with "database is
locked" without waiting. PostgreSQL URLs get none of this and rely on row locks and constraints.

Only these two databases are supported: every insert-or-update goes through the dialect's own
``INSERT ... ON CONFLICT`` (``upserts.upsert``), one statement that cannot race, instead of an
update-then-insert that two PostgreSQL transactions could both take the insert branch of.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, DBAPIError, InterfaceError
from sqlalchemy.pool import StaticPool

from erpsync.core.errors import ConfigError, ErpsyncError
from erpsync.core.store import schema, upgrade

#: seconds a SQLite connection waits for another process's write lock before "database is locked"
SQLITE_BUSY_TIMEOUT = 30.0
_READ_ONLY = "erpsync_read_only"
#: the databases whose ``ON CONFLICT`` upsert the store uses
SUPPORTED_BACKENDS = ("sqlite", "postgresql")
#: PostgreSQL advisory lock taken while the schema is checked or created ("erps" in ASCII)
_SCHEMA_LOCK_KEY = 0x65727073


def shown_url(url: str) -> str:
    """``url`` fit for a message: the password hidden, even when the URL does not parse."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return re.sub(r":[^:/@]*@", ":***@", url)


def _create_private(database: Path) -> None:
    """Create the database's folder (0700) and the empty database file (0600) if they are missing.

    The database holds OAuth tokens (in plain text unless ``ERPSYNC_SECRET_KEYS`` is set, see
    ``tokens.py``) and the run history, so nobody but its operator may read it. Both are
    created with their final mode (no window in which they are readable), and SQLite gives the
    ``-wal`` and ``-shm`` files it creates later the database file's mode (SQLite source,
    ``os_unix.c``, ``findCreateFileMode``: WAL and journal files copy the database's permissions;
    a test checks it). An empty file is a new database to SQLite. Existing folders and files are left
    as they are: a mode the operator chose (tighter, or a group for backups) is theirs to keep.
    Only the folder that holds the database is made private; parents created on the way get the
    umask's default, like ``mkdir -p``.
    """
    folder = database.parent
    if not folder.is_dir():
        folder.parent.mkdir(parents=True, exist_ok=True)
        try:
            folder.mkdir(mode=0o700)
            os.chmod(folder, 0o700)  # a umask like 0o277 would otherwise leave it unusable
        except FileExistsError:
            if not folder.is_dir():  # a file by that name: the caller names data_dir
                raise
            # else another process made it meanwhile: its mode stands
    try:
        fd = os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:  # it exists, or the folder is not writable: SQLite opens it or says why
        return
    try:
        os.fchmod(fd, 0o600)  # exactly 0600 whatever the umask (a 0o277 umask would make it read-only)
    finally:
        os.close(fd)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; for SQLite files, parent directories are created and WAL is set.

    A URL that does not parse, names an unknown database or a driver that is not installed, or a
    folder that cannot be created is a ``ConfigError``: the operator fixes the configuration,
    and a SQLAlchemy traceback would not tell them which setting.
    """
    try:
        parsed = make_url(url)
        backend = parsed.get_backend_name()
        if backend not in SUPPORTED_BACKENDS:
            raise ConfigError(
                f"{shown_url(url)} is not a usable database URL: the state store supports SQLite and "
                f"PostgreSQL, not {backend}",
                key="state.url",
            )
        if backend != "sqlite":
            return create_engine(url, pool_pre_ping=True, hide_parameters=True)
    except ArgumentError as exc:
        raise ConfigError(f"{shown_url(url)} is not a usable database URL: {exc}", key="state.url") from exc
    except ImportError as exc:
        raise ConfigError(
            f"the database driver for {shown_url(url)} is not installed ({exc})", key="state.url"
        ) from exc
    database = parsed.database or ""
    # hide_parameters: SQLAlchemy errors would otherwise quote bound values, tokens among them
    kwargs: dict[str, Any] = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT}, "hide_parameters": True}
    if database in ("", ":memory:"):
        kwargs["poolclass"] = StaticPool  # one shared connection, or each would see its own database
        kwargs["connect_args"]["check_same_thread"] = False
    elif not database.startswith("file:"):
        folder = Path(database).expanduser().parent
        try:
            _create_private(Path(database).expanduser())
        except OSError as exc:  # e.g. data_dir names a file
            raise ConfigError(
                f"cannot create the folder {folder} for the state database {shown_url(url)}: {exc.strerror or exc}",
                key="data_dir",
            ) from exc
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # let SQLAlchemy's "begin" event below issue BEGIN, not pysqlite's implicit transactions
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # the busy timeout first: setting the journal mode needs a lock too, and would otherwise
        # wait only pysqlite's default 5 s for a writer in another process
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT * 1000)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        read_only = conn.get_execution_options().get(_READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def check_connection(engine: Engine, url: str) -> None:
    """Connect once, so an unreachable database is a ``ConfigError`` naming ``state.url``.

    Only the connection is checked here: errors once connected (a lock timeout, a missing
    privilege) are not configuration problems and surface as they are.
    """
    try:
        with engine.connect():
            pass
    except (DatabaseError, InterfaceError) as exc:
        reason = str(exc.orig) if exc.orig is not None else str(exc)
        if _is_unusable(reason):  # SQLite's "file is not a database" / "malformed" come as it connects
            raise database_error(exc, url) from exc
        raise ConfigError(f"cannot open the state database {shown_url(url)}: {reason}", key="state.url") from exc


#: SQLite's messages (sqlite3 module, from ``sqlite3_errstr``) for a file that is no usable database
_GARBLED = ("file is not a database", "database disk image is malformed")
_READ_ONLY_DB = ("attempt to write a readonly database", "read-only transaction")  # SQLite, PostgreSQL


def _is_unusable(reason: str) -> bool:
    return any(m in reason for m in (*_GARBLED, *_READ_ONLY_DB))


def database_error(exc: DBAPIError, url: str) -> ErpsyncError:
    """One line saying what is wrong with the state database at ``url`` and what to do, for the
    faults an operator meets (a truncated copy, some other file at the path, a read-only file or
    folder); anything else keeps the driver's reason. Never a traceback: the CLI prints this."""
    where = shown_url(url)
    reason = str(exc.orig) if exc.orig is not None else str(exc)
    if any(m in reason for m in _GARBLED):
        return ErpsyncError(
            f"state database {where} is not a usable SQLite database ({reason}: truncated, damaged or another "
            "kind of file): restore it from a backup, or move it aside and run again to start an empty one"
        )
    if any(m in reason for m in _READ_ONLY_DB):
        return ErpsyncError(
            f"state database {where} cannot be written ({reason}): make the file and its folder writable "
            "for the user running erpsync, or set [state] url to a writable place"
        )
    return ErpsyncError(f"state database {where}: {reason}")


class Repository:
    """One table's verbs over the engine the ``Store`` owns; each method is one transaction.

    Repositories share the engine (one pool, one set of SQLite settings) and nothing else, so a
    part of erpsync can be handed the one repository it needs (a connector its shop's tokens, a
    webhook receiver the notification log) instead of the whole database.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __repr__(self) -> str:  # the URL may carry a password
        return f"{type(self).__name__}({shown_url(str(self._engine.url))!r})"

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` on SQLite); commits on success."""
        with self._engine.begin() as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """One read-only snapshot; never takes SQLite's write lock."""
        with self._engine.connect() as conn:
            conn.execution_options(**{_READ_ONLY: True})
            yield conn


def ensure_schema(engine: Engine, url: str) -> None:
    """Create the tables of a new database, upgrade an older one, refuse a newer one.

    The check and the creation happen in one write transaction so that two processes opening a
    new database at once do not both create it: SQLite's BEGIN IMMEDIATE serialises them, and
    on PostgreSQL (whose CREATE TABLE races on its catalogue) a transaction advisory lock does.
    """
    try:
        _ensure_schema(engine, url)
    except DatabaseError as exc:  # read-only or damaged past its first page: found on the first write
        if not _is_unusable(str(exc.orig) if exc.orig is not None else str(exc)):
            raise
        raise database_error(exc, url) from exc


def _ensure_schema(engine: Engine, url: str) -> None:
    where = shown_url(url)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK_KEY})
        found = None
        if inspect(conn).has_table(schema.schema_version.name):
            found = conn.execute(select(schema.schema_version.c.version)).scalars().all()
            # a write that changes nothing: a read-only database fails here, when it opens, instead
            # of at the run's first record after a shop's work was done
            conn.execute(text("UPDATE schema_version SET version = version WHERE 1 = 0"))
        if found:
            version = max(found)
            if version > schema.SCHEMA_VERSION:
                raise ErpsyncError(
                    f"state database {where} has schema version {version}, but this erpsync "
                    f"only knows version {schema.SCHEMA_VERSION}: upgrade erpsync to use it"
                )
            if version < schema.SCHEMA_VERSION:
                if not upgrade.can_upgrade(version):
                    raise ErpsyncError(
                        f"state database {where} has schema version {version}, but this erpsync "
                        f"needs version {schema.SCHEMA_VERSION} and has no upgrade from {version}"
                    )
                # older rows, if several were ever written, are folded into the one upgraded
                conn.execute(schema.schema_version.delete().where(schema.schema_version.c.version < version))
                upgrade.upgrade(conn, version)
            return
        schema.metadata.create_all(conn)
        # installed_at is bookkeeping for operators; no logic reads it, so the wall clock is fine
        conn.execute(
            schema.schema_version.insert().values(version=schema.SCHEMA_VERSION, installed_at=datetime.now(UTC))
        )
