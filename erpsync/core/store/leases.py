"""Leases: named locks with an owner token and an expiry, shared by every process on one database.

A run takes the lease of each shop it works on, so two runs never work on one shop at once (a cron
run and an operator's manual run, say). A lease expires, so a crashed holder blocks others for at
most ``ttl_seconds``; a long run renews it. Release needs the owner token, so a holder that was
paused past its expiry cannot delete the lease of the run that took over (Huey's bug). ``fence``
grows with every change of owner, for writers that want to check they still hold it.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, case, delete, or_, select, update

from erpsync.core.errors import LockedError
from erpsync.core.store.base import SUPPORTED_BACKENDS, Repository
from erpsync.core.store.rows import LeaseRow, RowMapper
from erpsync.core.store.schema import UTCDateTime, locks
from erpsync.core.store.upserts import dialect_insert


def _utcnow() -> datetime:
    return datetime.now(UTC)


_row = RowMapper(LeaseRow, locks)

#: built once: every shop's run confirms its lease before each aspect, and building a statement
#: costs more than running it on SQLite (SQLAlchemy's cache still needs each new one's cache key)
_HOLDER = select(locks.c.owner, locks.c.expires_at).where(locks.c.name == bindparam("name"))
_LEASE = select(locks).where(locks.c.name == bindparam("name"))
_RELEASE = delete(locks).where(locks.c.name == bindparam("name"), locks.c.owner == bindparam("owner"))


@lru_cache(maxsize=len(SUPPORTED_BACKENDS))
def _take_statement(dialect: str) -> Any:
    """The one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE`` that takes a lease, built once per
    database kind (the dialects' upserts differ); its values are bound when it runs."""
    owner, now = bindparam("p_owner", type_=locks.c.owner.type), bindparam("p_now", type_=UTCDateTime)
    expires_at = bindparam("p_expires_at", type_=UTCDateTime)
    host, pid = bindparam("p_host", type_=locks.c.host.type), bindparam("p_pid", type_=locks.c.pid.type)
    ours = locks.c.owner == owner
    statement = dialect_insert(dialect, locks).values(
        name=bindparam("p_name", type_=locks.c.name.type),
        owner=owner,
        acquired_at=now,
        expires_at=expires_at,
        fence=1,
        host=host,
        pid=pid,
    )
    return statement.on_conflict_do_update(
        index_elements=[locks.c.name],
        set_={
            "owner": owner,
            "host": host,
            "pid": pid,
            "expires_at": expires_at,
            "acquired_at": case((ours, locks.c.acquired_at), else_=now),
            "fence": case((ours, locks.c.fence), else_=locks.c.fence + 1),
        },
        where=or_(ours, locks.c.expires_at <= now),
    ).returning(*locks.c)  # none back: held by another (rowcount is -1 with psycopg)


PidAlive = Callable[[int], bool]


def this_host() -> str:
    """The name a holder on this machine records, and compares with to judge a holder's pid."""
    return socket.gethostname()


def pid_alive(pid: int) -> bool:
    """False only if no process ``pid`` exists here; a process of another user counts as alive.

    A killed process that its parent has not reaped yet (a zombie) still counts as alive: the
    lease then waits for that parent, or for its expiry.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def holder_gone(host: str | None, pid: int | None, *, here: str, is_alive: PidAlive = pid_alive) -> bool:
    """True if a holder recorded as (``host``, ``pid``) is provably not running: same host, no such pid."""
    return host is not None and pid is not None and host == here and not is_alive(pid)


def _expiry(now: datetime, ttl_seconds: float) -> datetime:
    if ttl_seconds <= 0:
        raise ValueError(f"ttl_seconds must be positive, not {ttl_seconds}")
    return now + timedelta(seconds=ttl_seconds)


@dataclass(frozen=True)
class _Claim:
    """What taking a lease needs (``Leases.acquire``'s arguments), passed whole to ``Leases._take``."""

    name: str
    owner: str
    ttl_seconds: float
    now: datetime
    host: str | None = None
    pid: int | None = None
    is_alive: PidAlive = pid_alive


class Leases(Repository):
    """``store.leases``: ``acquire``, ``renew``, ``confirm``, ``release``, ``get`` the holder, ``hold`` for a block."""

    def acquire(
        self,
        name: str,
        *,
        owner: str,
        ttl_seconds: float,
        now: datetime,
        host: str | None = None,
        pid: int | None = None,
        is_alive: PidAlive = pid_alive,
    ) -> bool:
        """Take the lease if it is free, expired, ours, or its holder is gone; True if ``owner`` holds it now.

        One ``INSERT ... ON CONFLICT DO UPDATE ... WHERE`` decides: a lease never taken is
        inserted, one that is free or ours is updated, one held by another owner is left alone
        (no row changed), so two processes can never both get it. Taking it again as its owner
        extends it. If another holds it and that holder is provably gone (``holder_gone``), one
        compare-and-set on the dead holder's owner token takes it over: of two processes that
        both find the holder dead, only one wins. ``host`` and ``pid`` default to this process.
        """
        return self._take(_Claim(name, owner, ttl_seconds, now, host, pid, is_alive)) is not None

    def _take(self, claim: _Claim) -> LeaseRow | None:
        """``acquire``, giving the lease as written when taken (None when not), so ``hold`` need not read it again."""
        name, owner, now, is_alive = claim.name, claim.owner, claim.now, claim.is_alive
        host = this_host() if claim.host is None else claim.host
        pid = os.getpid() if claim.pid is None else claim.pid
        expires_at = _expiry(now, claim.ttl_seconds)
        values = {
            "p_name": name,
            "p_owner": owner,
            "p_now": now,
            "p_expires_at": expires_at,
            "p_host": host,
            "p_pid": pid,
        }
        with self._write() as conn:
            taken = conn.execute(_take_statement(conn.dialect.name), values).first()
            if taken is not None:
                return _row(taken)
            row = conn.execute(_LEASE, {"name": name}).one_or_none()
            if row is None or not holder_gone(row.host, row.pid, here=host, is_alive=is_alive):
                return None
            took_over = conn.execute(
                update(locks)
                .where(locks.c.name == name, locks.c.owner == row.owner)
                .values(owner=owner, host=host, pid=pid, acquired_at=now, expires_at=expires_at, fence=row.fence + 1)
                .returning(*locks.c)
            ).first()
        return None if took_over is None else _row(took_over)

    def renew(self, name: str, *, owner: str, ttl_seconds: float, now: datetime) -> bool:
        """Extend ``owner``'s lease to ``now + ttl_seconds``; False if it lost the lease to another."""
        expires_at = _expiry(now, ttl_seconds)
        with self._write() as conn:
            result = conn.execute(
                locks.update().where(locks.c.name == name, locks.c.owner == owner).values(expires_at=expires_at)
            )
        return result.rowcount == 1

    def confirm(self, name: str, *, owner: str, ttl_seconds: float, now: datetime) -> bool:
        """Whether ``owner`` still holds ``name``, renewing it only when a third of ``ttl_seconds`` has gone.

        A run checks its lease before each step; a renewal writes (a commit each, on every shop
        and aspect), while a lease renewed less than ``ttl_seconds / 3`` ago has at least two
        thirds of its time left, during which no other run can take it over: a read is enough
        to see that it is still ours. The heartbeat renews it meanwhile.
        """
        with self._read() as conn:
            row = conn.execute(_HOLDER, {"name": name}).one_or_none()
        if row is not None and row.owner == owner and row.expires_at >= _expiry(now, ttl_seconds * 2 / 3):
            return True
        return self.renew(name, owner=owner, ttl_seconds=ttl_seconds, now=now)

    def release(self, name: str, *, owner: str) -> bool:
        """Give the lease up; only its owner can (anyone else's call is a no-op returning False)."""
        with self._write() as conn:
            result = conn.execute(_RELEASE, {"name": name, "owner": owner})
        return result.rowcount == 1

    def get(self, name: str, *, now: datetime | None = None) -> LeaseRow | None:
        """Who holds ``name``; None if nobody, or (given ``now``) if the holder's lease has expired."""
        with self._read() as conn:
            row = conn.execute(_LEASE, {"name": name}).one_or_none()
        if row is None:
            return None
        lease = _row(row)
        return None if now is not None and not lease.held_at(now) else lease

    @contextmanager
    def hold(
        self,
        name: str,
        *,
        owner: str,
        ttl_seconds: float,
        wait_seconds: float = 0.0,
        clock: Callable[[], datetime] = _utcnow,
        sleep: Callable[[float], None] = time.sleep,
        poll_seconds: float = 1.0,
        is_alive: PidAlive = pid_alive,
    ) -> Iterator[LeaseRow]:
        """Hold ``name`` for the ``with`` block, waiting up to ``wait_seconds`` for it to come free.

        Raises ``LockedError`` naming the holder and its expiry when the wait runs out. ``owner``
        must be unique per run (e.g. host, pid and run id): the lease is released on exit.
        ``clock``, ``sleep`` and ``is_alive`` are injectable so tests need not wait or kill.
        """
        deadline = clock() + timedelta(seconds=max(0.0, wait_seconds))
        while True:
            now = clock()
            held = self._take(_Claim(name, owner, ttl_seconds, now, is_alive=is_alive))
            if held is not None:
                break
            if now >= deadline:
                raise LockedError(self._locked_message(name, now=now, wait_seconds=wait_seconds))
            sleep(max(0.0, min(poll_seconds, (deadline - now).total_seconds())))
        try:
            yield held
        finally:
            self.release(name, owner=owner)

    def _locked_message(self, name: str, *, now: datetime, wait_seconds: float) -> str:
        holder = self.get(name, now=now)
        waited = f" after waiting {wait_seconds:g}s" if wait_seconds > 0 else ""
        if holder is None:
            who = "was busy (released just now)"
        else:
            until = holder.expires_at.strftime("%Y-%m-%d %H:%M:%S UTC")
            where = f" (pid {holder.pid} on {holder.host})" if holder.pid is not None else ""
            who = f"is held by {holder.owner} until {until} unless renewed{where}"
        return (
            f"lease {name!r} {who}{waited}: another run is working on it; "
            "retry later, pass --wait SECONDS to wait for it, or if that run is gone on another "
            f"host, `erpsync unlock --shop {name.removeprefix('shop:')}`"
        )
