"""How long a delivery pass holds the alerts it took: one send's timeout plus a margin at a time.

A pass killed midway (``kill -9`` inside a send) leaves the alerts it took but never tried to
another process about one timeout later, not the sum of every send's timeout; a live pass whose
sends take long renews its hold, so a second process still never takes its alerts; and a pass
that was frozen past its hold finds what another process took and sends none of it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alert_samples import event as sample_event

from erpsync.alert_delivery import Deliverer
from erpsync.alert_outbox import ConfiguredSink
from erpsync.core.config import AlertSettings
from erpsync.core.store import OutboxItem, Store
from erpsync.plugins.alerts.base import AlertEvent, AlertSink

T0 = datetime(2026, 11, 26, 2, 30, tzinfo=UTC)
TIMEOUT = 30.0


class Channel(AlertSink):
    """Records what it was sent; ``on_send`` runs inside each send (a clock moving, another pass)."""

    type = "channel"

    def __init__(self, on_send=None) -> None:
        self.seen: list[str] = []
        self.on_send = on_send

    def send(self, event: AlertEvent) -> str:
        self.seen.append(event.subject)
        if self.on_send is not None:
            self.on_send(event)
        return "ok"


class FakeClock:
    """A monotonic clock the test moves: how long the pass's sends took."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


def add(store: Store, count: int) -> list[str]:
    subjects = [f"W{i:02d}" for i in range(count)]
    for i, subject in enumerate(subjects):
        alert = replace(sample_event(subject=subject), id=f"alert-{subject}")
        store.outbox.add([OutboxItem(id=alert.id, sink="chat", event=alert.as_dict(), drift_id=i)], now=T0)
    return subjects


def target(channel: AlertSink) -> ConfiguredSink:
    return ConfiguredSink(AlertSettings(type="channel", name="chat", options={}, timeout_seconds=TIMEOUT), channel)


KILLED_MID_PASS = """
import os, signal, sys
from datetime import datetime
from erpsync.alert_delivery import Deliverer
from erpsync.alert_outbox import ConfiguredSink
from erpsync.core.config import AlertSettings
from erpsync.core.store import Store
from erpsync.plugins.alerts.base import AlertSink

class Dies(AlertSink):
    type = "dies"
    sent = 0

    def __init__(self):
        pass

    def send(self, event):
        Dies.sent += 1
        if Dies.sent == 2:  # killed inside the second send, as kill -9 would
            os.kill(os.getpid(), signal.SIGKILL)
        return "ok"

store = Store.open(sys.argv[1])
sink = ConfiguredSink(AlertSettings(type="dies", name="chat", options={}, timeout_seconds=30.0), Dies())
Deliverer(store, [sink]).deliver(datetime.fromisoformat(sys.argv[2]))
"""


def test_a_pass_killed_midway_leaves_its_untried_alerts_due_after_one_timeout(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    store = Store.open(url)
    subjects = add(store, 50)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    killed = subprocess.run([sys.executable, "-c", KILLED_MID_PASS, url, T0.isoformat()], env=env, check=False)
    assert killed.returncode == -9
    assert [r.status for r in store.outbox.recent(sink="chat")].count("delivered") == 1

    other = Channel()
    Deliverer(store, [target(other)]).deliver(T0 + timedelta(seconds=TIMEOUT))
    assert other.seen == []  # within one send's timeout the dead pass may still be sending: left alone
    # one timeout and the minute's margin later (plus the seconds the killed process really ran)
    Deliverer(store, [target(other)]).deliver(T0 + timedelta(seconds=TIMEOUT + 60 + 10))
    assert other.seen == subjects[1:]  # the one in flight again (at least once), then the rest, in order
    assert all(r.status == "delivered" for r in store.outbox.recent(sink="chat"))


def test_a_pass_whose_sends_take_long_keeps_its_alerts_from_another_pass(tmp_path: Path) -> None:
    """Each send takes 25 s of a 30 s timeout: after four, the first hold (30 s + 60 s) is long
    over, but the pass renewed it, so a second pass then finds nothing due."""
    url = f"sqlite:///{tmp_path / 'state.db'}"
    first, second = Store.open(url), Store.open(url)
    subjects = add(first, 6)
    clock = FakeClock()
    quick = Channel()

    def slow_send(event: AlertEvent) -> None:
        clock.seconds += 25
        if event.subject == "W04":  # 125 s into the pass
            Deliverer(second, [target(quick)]).deliver(T0 + timedelta(seconds=125))

    slow = Channel(on_send=slow_send)
    Deliverer(first, [target(slow)], clock=clock).deliver(T0)
    assert quick.seen == [] and slow.seen == subjects
    assert all(r.status == "delivered" for r in first.outbox.recent(sink="chat"))


def test_a_pass_frozen_past_its_hold_sends_nothing_another_pass_took(tmp_path: Path) -> None:
    """The process is stopped for 10 minutes inside its first send (a paused VM): another pass
    delivers the lot meanwhile; the first, woken, sends none of it again."""
    url = f"sqlite:///{tmp_path / 'state.db'}"
    first, second = Store.open(url), Store.open(url)
    subjects = add(first, 4)
    clock = FakeClock()
    quick = Channel()

    def frozen(event: AlertEvent) -> None:
        clock.seconds += 600
        Deliverer(second, [target(quick)]).deliver(T0 + timedelta(seconds=600))

    slow = Channel(on_send=frozen)
    Deliverer(first, [target(slow)], clock=clock).deliver(T0)
    assert quick.seen == subjects  # W00 too: the frozen send may never have gone out (at least once)
    assert slow.seen == ["W00"]
    assert all(r.status == "delivered" for r in first.outbox.recent(sink="chat"))
