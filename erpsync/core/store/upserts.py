"""Insert-or-update statements: each dialect's own ``INSERT ... ON CONFLICT``, built once.

An upsert is one statement that cannot race, where an update-then-insert could see two
PostgreSQL transactions both take the insert branch. SQLite's and PostgreSQL's ``Insert`` both
have ``on_conflict_do_update``, but they are different classes, so a statement is built per
dialect; a run sends the same few shapes for every shop, and building a statement costs more
than running it on SQLite, so each shape is built once (``_upsert_statement`` says how).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite


def insert(conn: Connection, table: Table) -> sqlite.Insert | postgresql.Insert:
    """The dialect's ``INSERT`` for ``table``, the one that has ``on_conflict_do_update``/``_nothing``."""
    return dialect_insert(conn.dialect.name, table)


def dialect_insert(dialect: str, table: Table) -> sqlite.Insert | postgresql.Insert:
    """``insert`` by the dialect's name, for a statement built once per database kind (see ``_upsert_statement``)."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def upsert(conn: Connection, table: Table, key: dict[str, Any], values: dict[str, Any]) -> None:
    """Insert ``key`` + ``values``, or set ``values`` on the row ``key`` names: one race-free statement.

    ``key`` must be the table's primary key or a unique constraint, which is what ``ON CONFLICT``
    matches on; the values are plain values (bound parameters), never SQL expressions.
    """
    statement = _upsert_statement(conn.dialect.name, table, tuple(key), tuple(values))
    conn.execute(statement, {f"p_{name}": value for name, value in (*key.items(), *values.items())})


def upsert_many(
    conn: Connection, table: Table, key: tuple[str, ...], rows: Sequence[Mapping[str, Any]], *, chunk: int = 500
) -> None:
    """``upsert`` each of ``rows`` (by column name: ``key``'s and the same others in each), ``chunk``
    rows per ``executemany``: what a row names besides ``key`` is set on the row it conflicts with."""
    if not rows:
        return
    statement = _upsert_many_statement(conn.dialect.name, table, key, tuple(n for n in rows[0] if n not in key))
    for start in range(0, len(rows), chunk):
        conn.execute(statement, rows[start : start + chunk])


@lru_cache(maxsize=64)
def _upsert_many_statement(dialect: str, table: Table, key: tuple[str, ...], columns: tuple[str, ...]) -> Any:
    """``upsert_many``'s statement: its rows' values are bound by column name, and ``excluded`` sets
    them on a conflict (SQLite binds positionally: a parameter named again in ``SET`` would be
    converted and sent twice for every row)."""
    statement = dialect_insert(dialect, table)
    return statement.on_conflict_do_update(
        index_elements=list(key), set_={name: statement.excluded[name] for name in columns}
    )


@lru_cache(maxsize=64)
def _upsert_statement(dialect: str, table: Table, key: tuple[str, ...], columns: tuple[str, ...]) -> Any:
    """``upsert``'s statement for these columns, built once with its values bound when it runs: a
    run upserts the same few shapes for every shop, and building a statement costs more than
    running it on SQLite (SQLAlchemy's cache would still build and key each new one).

    How the store keeps a hot statement built once: one whose SQL differs by database (an upsert:
    each dialect has its own ``ON CONFLICT``) comes from a function of the dialect's name under
    ``functools.lru_cache``, as here, which keys and bounds the cache with no code of its own (a
    module-level dict would repeat the look-up, the build and the store in every module); one
    whose SQL is the same on every database has nothing to key, so it is a module constant.
    """
    params = {name: bindparam(f"p_{name}", type_=table.c[name].type) for name in (*key, *columns)}
    statement = dialect_insert(dialect, table).values(**params)
    return statement.on_conflict_do_update(index_elements=list(key), set_={name: params[name] for name in columns})
