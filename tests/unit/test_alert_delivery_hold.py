"""How long a delivery pass holds the alerts it took: one send's timeout plus a margin at a time.

A pass killed midway (``kill -9`` inside a send) leaves the alerts it took but never tried to
another process about one timeout later, not the sum of every send's timeout; a live pass whose
sends take long renews its hold, so a second process still never takes its alerts; and a pass
that was frozen past its hold finds what another process took and sends none of it, even when
its own clock says no time passed (a suspended machine's monotonic clock stands still): it asks the
store before every send. Every pass reads its wall clock, as production does, but the test's.
The tests run on SQLite, and on PostgreSQL when one is configured (``store_backends``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alert_samples import event as sample_event
from store_backends import BACKENDS, backend_url

from erpsync.alert_delivery import Deliverer
from erpsync.alert_outbox import ConfiguredSink
from erpsync.core.config import AlertSettings
from erpsync.core.store import OutboxItem, Store
from erpsync.core.store.outbox import Outbox
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


class WallClock:
    """A pass's wall clock, which the test moves: how long the pass's sends took, and pauses."""

    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> datetime:
        return self.at

    def wait(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return backend_url(request.param, tmp_path)


def add(store: Store, count: int) -> list[str]:
    subjects = [f"W{i:02d}" for i in range(count)]
    for i, subject in enumerate(subjects):
        alert = replace(sample_event(subject=subject), id=f"alert-{subject}")
        store.outbox.add([OutboxItem(id=alert.id, sink="chat", event=alert.as_dict(), drift_id=i)], now=T0)
    return subjects


def target(channel: AlertSink) -> ConfiguredSink:
    return ConfiguredSink(AlertSettings(type="channel", name="chat", options={}, timeout_seconds=TIMEOUT), channel)


def deliver_at(store: Store, channel: AlertSink, at: datetime) -> None:
    """A pass of another process, whose wall clock reads ``at`` (its sends take no time)."""
    Deliverer(store, [target(channel)], clock=lambda: at).deliver(at)


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
started = datetime.fromisoformat(sys.argv[2])
Deliverer(store, [sink], clock=lambda: started).deliver(started)
"""


def test_a_pass_killed_midway_leaves_its_untried_alerts_due_after_one_timeout(url: str) -> None:
    store = Store.open(url)
    subjects = add(store, 50)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    killed = subprocess.run([sys.executable, "-c", KILLED_MID_PASS, url, T0.isoformat()], env=env, check=False)
    assert killed.returncode == -9
    assert [r.status for r in store.outbox.recent(sink="chat")].count("delivered") == 1

    other = Channel()
    deliver_at(store, other, T0 + timedelta(seconds=TIMEOUT))
    assert other.seen == []  # within one send's timeout the dead pass may still be sending: left alone
    deliver_at(store, other, T0 + timedelta(seconds=TIMEOUT + 60))  # one timeout and the minute's margin later
    assert other.seen == subjects[1:]  # the one in flight again (at least once), then the rest, in order
    assert all(r.status == "delivered" for r in store.outbox.recent(sink="chat"))


def test_a_pass_whose_sends_take_long_keeps_its_alerts_from_another_pass(url: str) -> None:
    """Each send takes 25 s of a 30 s timeout: after four, the first hold (30 s + 60 s) is long
    over, but the pass renewed it, so a second pass then finds nothing due. Each alert's
    delivered_at is when the channel took it, by the wall clock."""
    first, second = Store.open(url), Store.open(url)
    subjects = add(first, 6)
    clock = WallClock()
    quick = Channel()

    def slow_send(event: AlertEvent) -> None:
        clock.wait(25)
        if event.subject == "W04":  # 125 s into the pass
            deliver_at(second, quick, clock.at)

    slow = Channel(on_send=slow_send)
    Deliverer(first, [target(slow)], clock=clock).deliver(T0)
    assert quick.seen == [] and slow.seen == subjects
    rows = sorted(first.outbox.recent(sink="chat"), key=lambda r: r.id)
    assert all(r.status == "delivered" for r in rows)
    assert [r.delivered_at for r in rows] == [T0 + timedelta(seconds=25 * (n + 1)) for n in range(6)]


def test_a_pass_frozen_past_its_hold_sends_nothing_another_pass_took(url: str) -> None:
    """The process is stopped for 10 minutes inside its first send (a paused VM): another pass
    delivers the lot meanwhile; the first, woken, sends none of it again."""
    first, second = Store.open(url), Store.open(url)
    subjects = add(first, 4)
    clock = WallClock()
    quick = Channel()

    def frozen(event: AlertEvent) -> None:
        clock.wait(600)
        deliver_at(second, quick, clock.at)

    slow = Channel(on_send=frozen)
    report = Deliverer(first, [target(slow)], clock=clock).deliver(T0)
    assert quick.seen == subjects  # W00 too: the frozen send may never have gone out (at least once)
    assert slow.seen == ["W00"]
    assert (report.delivered, report.untried) == (1, 3)  # the three another pass took: counted, untried
    assert all(r.status == "delivered" for r in first.outbox.recent(sink="chat"))


def test_a_pass_whose_clock_stood_still_while_stopped_sends_nothing_another_pass_took(url: str) -> None:
    """The machine is suspended for 10 minutes inside the first send, and the pass's own clock
    says no time passed at all (it never moves here); another process delivers the lot meanwhile.
    The pass asks the store before every send, so, woken, it sends none of it again."""
    first, second = Store.open(url), Store.open(url)
    subjects = add(first, 4)
    quick = Channel()

    def suspended(event: AlertEvent) -> None:
        if event.subject == "W00":
            deliver_at(second, quick, T0 + timedelta(seconds=600))

    slow = Channel(on_send=suspended)
    Deliverer(first, [target(slow)], clock=lambda: T0).deliver(T0)
    assert quick.seen == subjects
    assert slow.seen == ["W00"], f"sent twice: {slow.seen[1:]}"
    assert all(r.status == "delivered" for r in first.outbox.recent(sink="chat"))


def test_after_a_pause_a_pass_holds_its_alerts_by_the_wall_clock(url: str) -> None:
    """Paused 10 minutes inside the first send with no other pass running meanwhile, the pass goes
    on; its renewed hold reaches a timeout and a minute past the wall clock's now (not past a
    clock that stood still during the pause), so another live process finds nothing due."""
    first, second = Store.open(url), Store.open(url)
    subjects = add(first, 6)
    clock = WallClock()
    quick = Channel()

    def send(event: AlertEvent) -> None:
        if event.subject == "W00":
            clock.wait(600)  # the pause
        clock.wait(25)  # each send takes 25 s of a 30 s timeout
        if event.subject == "W03":  # the service's drain, in another live process
            deliver_at(second, quick, clock.at)

    slow = Channel(on_send=send)
    Deliverer(first, [target(slow)], clock=clock).deliver(T0)
    assert quick.seen == [] and slow.seen == subjects


def test_a_pass_writes_a_number_of_holds_linear_in_its_alerts(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """300 alerts due to one sink, each send taking a tenth of a second: the pass confirms the
    alert about to go out before each send and moves the hold on every alert not tried yet only
    when half the margin is used, not before every send (which wrote 300*301/2 = 45,150 rows)."""
    store = Store.open(url)
    for start in range(0, 300, 100):
        items = []
        for i in range(start, start + 100):
            alert = replace(sample_event(subject=f"W{i:03d}"), id=f"alert-{i:03d}")
            items.append(OutboxItem(id=alert.id, sink="chat", event=alert.as_dict(), drift_id=i))
        store.outbox.add(items, now=T0)
    written: list[int] = []
    renew = Outbox.renew

    def counted(self: Outbox, ids: Iterable[str], **kwargs: datetime) -> set[str]:
        wanted = list(ids)
        written.append(len(wanted))
        return renew(self, wanted, **kwargs)

    monkeypatch.setattr(Outbox, "renew", counted)
    clock = WallClock()
    channel = Channel(on_send=lambda event: clock.wait(0.1))
    Deliverer(store, [target(channel)], clock=clock).deliver(T0)
    assert len(channel.seen) == 300
    assert sum(written) <= 4 * 300, f"{len(written)} renewals wrote {sum(written)} rows for 300 alerts"
    assert all(r.status == "delivered" for r in store.outbox.recent(sink="chat"))
