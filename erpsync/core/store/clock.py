"""How far this host's clock is from the database server's, for the hosts sharing one store.

Every store method takes ``now`` from its caller, so a lease's expiry is written and judged by
each process's own clock. On one machine (SQLite) that is one clock. Hosts sharing a PostgreSQL
store compare their clocks with each other's through the leases: a host whose clock runs ahead
sees a live lease as expired and takes the shop from a run still working on it. The cure is
synchronised clocks (NTP); this measures the offset against the server, which every host can
reach, so ``erpsync check`` can say when a host has drifted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func, select

__all__ = ["CLOCK_NOTE_SECONDS", "clock_note", "database_offset"]

#: an offset past this is reported: well within the leases' renewal margin (a 60 s lease, renewed
#: every 20 s, is taken over by a host whose clock runs 40 s ahead)
CLOCK_NOTE_SECONDS = 5.0


def database_offset(engine: Engine, now: datetime) -> float | None:
    """Seconds ``now`` (this host's clock) is ahead of the PostgreSQL server's clock (negative:
    behind); None on SQLite, whose every user runs on this host's clock."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        server: datetime = conn.execute(select(func.clock_timestamp())).scalar_one()
    return (now - server).total_seconds()


def clock_note(offset: float | None) -> str | None:
    """One line for ``erpsync check`` when this host's clock is off the server's; None when close."""
    if offset is None or abs(offset) <= CLOCK_NOTE_SECONDS:
        return None
    way = "ahead of" if offset > 0 else "behind"
    return (
        f"this host's clock is {abs(offset):.0f} s {way} the state store's database server: hosts sharing a "
        "store need their clocks synchronised (NTP), or one may take over a shop another host is still syncing"
    )
