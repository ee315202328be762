"""What keeps a run's claim on its shops honest while it works, and lets it stop cleanly.

``Heartbeat`` is a thread that renews the leases the run holds and its ``runs`` row's heartbeat
every third of the lease time, so leases can be short (a crashed run's shop is free within a
minute) while a run that works for an hour keeps them. ``StopSignals`` turns SIGTERM and SIGINT
into a request the run checks between writes: the write in hand is finished and recorded, the
lease released, the run marked ``interrupted``, and the process exits 128 + the signal number
(143 for SIGTERM, 130 for SIGINT, the shell's convention). A second signal stops at once.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from types import FrameType, TracebackType

from erpsync.core import log_context
from erpsync.core.store import Store
from erpsync.core.store.leases import PidAlive, holder_gone, pid_alive

logger = logging.getLogger("erpsync.sync")


class Interrupted(BaseException):
    """A second SIGTERM/SIGINT while a run was stopping: stop now.

    A ``BaseException`` (like ``KeyboardInterrupt``) so that no ``except ErpsyncError`` on the way
    swallows it; ``finally`` blocks still release leases and record the run.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


#: how often a wait looks for a stop request (a signal's handler runs between two steps)
_STEP = 0.1


class StopSignals:
    """While entered, SIGTERM and SIGINT set ``signum`` instead of killing the process.

    Only the main thread can install signal handlers; entered elsewhere it does nothing (the
    caller's own handling stands). The previous handlers are restored on exit.

    ``outside`` is a stop request from whoever owns the process's signals (the service's SIGTERM
    handler, which runs many jobs on threads of its own): once set, the run stops at the same
    checks as for a signal, and reads as stopped by SIGTERM.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self, outside: threading.Event | None = None) -> None:
        self._signum: int | None = None
        self._outside = outside
        self._previous: dict[int, object] = {}

    @property
    def signum(self) -> int | None:
        """The signal that stopped the run: the one received, or SIGTERM for an outside request."""
        if self._signum is None and self._outside is not None and self._outside.is_set():
            return int(signal.SIGTERM)
        return self._signum

    @signum.setter
    def signum(self, value: int | None) -> None:
        self._signum = value

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``, in short steps so a signal or the outside request ends it;
        whether a stop was requested."""
        end = time.monotonic() + seconds
        while not self.requested and (left := end - time.monotonic()) > 0:
            if self._outside is not None:
                self._outside.wait(min(_STEP, left))
            else:
                time.sleep(min(_STEP, left))
        return self.requested

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum is not None else ""

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.signum is not None:
            raise Interrupted(signum)
        self._signum = signum
        logger.warning("%s received: finishing the write in hand, then stopping", signal.Signals(signum).name)

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(
        self, _type: type[BaseException] | None, _exc: BaseException | None, _tb: TracebackType | None
    ) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
        self._previous.clear()


class Heartbeat:
    """Renews the run's leases and heartbeat every ``interval`` seconds on a daemon thread.

    ``clock`` dates the run's heartbeat (the Syncer's clock, like the rest of its ``runs`` row).

    A lease that could not be renewed (another run took it: this one was paused past its
    expiry) is put in ``lost``; the run checks it before each write and stops there.
    """

    def __init__(
        self,
        store: Store,
        run_id: str,
        *,
        ttl_seconds: float,
        interval: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.ttl_seconds = ttl_seconds
        self.interval = interval
        self.clock = clock
        self.held: set[str] = set()
        self.lost: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def hold(self, lease: str) -> None:
        with self._lock:
            self.held.add(lease)

    def drop(self, lease: str) -> None:
        with self._lock:
            self.held.discard(lease)

    def beat(self) -> None:
        """One renewal of everything held; errors are logged, never raised (the next beat retries)."""
        with self._lock:
            held = sorted(self.held)
        try:
            self.store.runs.heartbeat(self.run_id, now=self.clock())
            for lease in held:  # leases run on the wall clock, like Leases.hold
                now = datetime.now(UTC)
                if not self.store.leases.renew(lease, owner=self.run_id, ttl_seconds=self.ttl_seconds, now=now):
                    with self._lock:
                        self.lost.add(lease)
        except Exception as exc:  # a busy database must not kill the thread; the lease has slack
            logger.warning("heartbeat failed (retrying in %gs): %s", self.interval, type(exc).__name__)

    def _loop(self) -> None:
        with log_context.bound(run_id=self.run_id):  # a thread starts with no context of its own
            while not self._stop.wait(self.interval):
                self.beat()

    def __enter__(self) -> Heartbeat:
        # An in-memory database is one connection shared by every thread and seen by no other
        # process: a second thread's transactions would collide with the run's, to tell nobody.
        if self.interval > 0 and self.store.engine.url.database not in (None, "", ":memory:"):
            self._thread = threading.Thread(target=self._loop, name=f"heartbeat-{self.run_id}", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self, _type: type[BaseException] | None, _exc: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def unlock_shop(
    store: Store,
    shop: str,
    *,
    force: bool,
    now: datetime,
    here: str,
    is_alive: PidAlive = pid_alive,
) -> tuple[bool, str]:
    """Release ``shop``'s lease for ``erpsync unlock``: (released or nothing to do, what happened).

    Released at once if its holder is provably gone or its lease has expired. A holder alive on
    this host, or one on another host (not checkable from here) whose lease still runs, is
    refused unless ``force``: releasing the lease of a working run lets a second run work on the
    shop beside it (the first stops at its next write, when it finds the lease gone).
    """
    name = f"shop:{shop}"
    holder = store.leases.get(name)
    if holder is None:
        return True, f"shop {shop!r} is not locked: nothing to do"
    who = f"run {holder.owner}" + (f" (pid {holder.pid} on {holder.host})" if holder.pid is not None else "")
    gone = holder_gone(holder.host, holder.pid, here=here, is_alive=is_alive)
    expired = not holder.held_at(now)
    if not (gone or expired or force):
        if holder.host == here:
            why = f"{who} is still running on this host: stop it first (kill {holder.pid})"
        else:
            until = holder.expires_at.strftime("%Y-%m-%d %H:%M:%S UTC")
            why = f"{who} runs on another host, which cannot be checked from here; its lease ends {until}"
        return False, f"shop {shop!r} not unlocked: {why}, or pass --force if you are sure it is gone"
    if not store.leases.release(name, owner=holder.owner):
        return False, f"shop {shop!r} changed hands while unlocking: run `erpsync unlock --shop {shop}` again"
    if gone or expired:
        store.runs.mark_crashed(now=now, stale_seconds=None, here=here, is_alive=is_alive)
        reason = "whose process is gone" if gone else "whose lease had expired"
        return True, f"shop {shop!r} unlocked: released the lease of {who}, {reason}"
    return True, f"shop {shop!r} unlocked by force: {who} may still be running and stops at its next write"
