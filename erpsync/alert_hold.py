"""The hold a delivery pass keeps on the alerts it took for one sink: a send's timeout and a margin ahead.

A pass takes a sink's due alerts before it sends them (``Outbox.claim``), so another process
delivering at the same time (the service's drain beside a CLI run) finds them not due: each alert
goes out once per attempt, and a sink's alerts go out in order, from one process. A process
killed mid-pass cannot give back what it took, so how far ahead the hold reaches is also how
long those alerts wait for another process. Holding them for every send's timeout at once (50
alerts on a 30 s sink: 26 minutes) kept them that long; here the hold reaches one send's timeout
plus ``MARGIN`` ahead, and before each send the pass moves it on (``Outbox.renew``) once less than
the timeout and half the margin is left. So a live pass keeps its alerts however long its sends
take, and a dead one leaves them due at most one timeout and the margin after its last renewal.

Renewing also tells the pass which alerts are still its own: one frozen past its hold (a stopped
process, a paused machine) whose alerts another pass took meanwhile sends none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from erpsync.core.store.outbox import Outbox

#: how far past one send's timeout a hold reaches: room for the store's writes and clocks apart
MARGIN = timedelta(minutes=1)


class SinkHold:
    """The alerts one pass took for one sink and has not tried yet, and until when they are held.

    ``now`` is the pass's clock as it moves (the pass's start plus the time its sends took).
    """

    def __init__(self, outbox: Outbox, *, timeout_seconds: float, now: Callable[[], datetime]) -> None:
        self.outbox = outbox
        self.now = now
        self.length = timedelta(seconds=timeout_seconds) + MARGIN
        #: renew when less than this is left: a send started then ends before the hold does
        self.renew_within = timedelta(seconds=timeout_seconds) + MARGIN / 2
        self.until = now()
        self.held: list[str] = []

    def take(self, ids: Sequence[str], *, due_at: datetime) -> set[str]:
        """Take the alerts ``ids`` due at ``due_at`` (``Outbox.claim``); the ids taken."""
        self.until = self.now() + self.length
        taken = self.outbox.claim(ids, now=due_at, until=self.until)
        self.held = [i for i in ids if i in taken]
        return taken

    def keep(self, ids: Iterable[str]) -> bool:
        """Before sending ``ids``: whether they are still this pass's, the hold renewed if it runs short."""
        at = self.now()
        if self.held and self.until - at < self.renew_within:
            until = at + self.length
            kept = self.outbox.renew(self.held, taken_until=self.until, until=until)
            self.held = [i for i in self.held if i in kept]
            self.until = until
        held = set(self.held)
        return all(i in held for i in ids)

    def tried(self, ids: Iterable[str]) -> None:
        """``ids`` were sent (or put off): their outcome is recorded, the hold no longer covers them."""
        done = set(ids)
        self.held = [i for i in self.held if i not in done]

    def give_back(self, due_at: datetime) -> None:
        """Make the alerts still held and never tried due again at ``due_at`` (``Outbox.release``)."""
        self.outbox.release(self.held, taken_until=self.until, now=due_at)
        self.held = []
