"""The hold a delivery pass keeps on the alerts it took for one sink: a send's timeout and a margin ahead.

A pass takes a sink's due alerts before it sends them (``Outbox.claim``), so another process
delivering at the same time (the service's drain beside a CLI run) finds them not due: each alert
goes out once per attempt, and a sink's alerts go out in order, from one process. A process
killed mid-pass cannot give back what it took, so how far ahead the hold reaches is also how
long those alerts wait for another process. Holding them for every send's timeout at once (50
alerts on a 30 s sink: 26 minutes) kept them that long; here the hold reaches one send's timeout
plus ``MARGIN`` ahead, and the pass moves it on (``Outbox.renew``) before a send once half the
margin is used. A send takes at most its timeout, so the hold never runs out under a live pass
however long its sends take, and a dead one leaves them due at most one timeout and the margin
after its last renewal. Moving every held alert's hold before every send instead rewrote them all
each time: a pass of N alerts wrote N*(N+1)/2 rows (2,000 alerts: minutes of writes).

Before every send the pass also asks the store whether the alerts about to go out are still its
own (a conditional update of those rows alone), rather than trust its own clock: a process
stopped past its hold (a stopped process, a suspended machine, whose monotonic clock stands still
meanwhile) cannot tell from any clock of its own that it was, but the store can, since a pass
that took one of its alerts meanwhile moved that alert's hold. Such a pass sends none of them.
Hold times are read from the wall clock, the clock every other process compares the holds with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from erpsync.core.store.outbox import Outbox

#: how far past one send's timeout a hold reaches: room for the store's writes and clocks apart
MARGIN = timedelta(minutes=1)


class SinkHold:
    """The alerts one pass took for one sink and has not tried yet, and until when they are held.

    ``now`` is the wall clock (``datetime.now(UTC)`` unless a test moves one of its own), which
    every process delivering from the store compares the holds with.
    """

    def __init__(self, outbox: Outbox, *, timeout_seconds: float, now: Callable[[], datetime]) -> None:
        self.outbox = outbox
        self.now = now
        self.length = timedelta(seconds=timeout_seconds) + MARGIN
        self.until = now()
        self.held: set[str] = set()

    def take(self, ids: Sequence[str], *, due_at: datetime) -> set[str]:
        """Take the alerts ``ids`` due at ``due_at`` (``Outbox.claim``); the ids taken."""
        self.until = self.now() + self.length
        taken = self.outbox.claim(ids, now=due_at, until=self.until)
        self.held = set(taken)
        return taken

    def keep(self, ids: Iterable[str]) -> bool:
        """Before sending ``ids``: whether they are still this pass's (the store, not this
        process's clock, says whether another pass took them). The hold on every alert not tried
        yet is moved on when the wall clock shows half the margin used; otherwise only ``ids``
        are confirmed, so a send costs a constant number of row writes, not one per held alert."""
        wanted = list(ids)
        at = self.now()
        if self.held and self.until - at < self.length - MARGIN / 2:
            until = at + self.length
            self.held &= self.outbox.renew(self.held, taken_until=self.until, until=until)
            self.until = until
        elif wanted:
            self.held -= set(wanted) - self.outbox.renew(wanted, taken_until=self.until, until=self.until)
        return all(i in self.held for i in wanted)

    def tried(self, ids: Iterable[str]) -> None:
        """``ids`` were sent (or put off): their outcome is recorded, the hold no longer covers them."""
        self.held.difference_update(ids)

    def give_back(self, due_at: datetime) -> None:
        """Make the alerts still held and never tried due again at ``due_at`` (``Outbox.release``)."""
        self.outbox.release(self.held, taken_until=self.until, now=due_at)
        self.held = set()
