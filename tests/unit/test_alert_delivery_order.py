"""Delivery keeps a channel's alerts in order and within its rate limit, across passes.

A drift's "resolved" never arrives before its "opened" (one waits for the other's retry), a
sink that just failed is not sent its other alerts in the same pass, one due alert is held
back, like many, when the sink's minute is used up, and two passes at once send each alert once.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alert_samples import event as sample_event

from erpsync.alert_delivery import Deliverer
from erpsync.alert_outbox import ConfiguredSink
from erpsync.core.config import AlertSettings
from erpsync.core.errors import TemporaryError
from erpsync.core.store import OutboxItem, Store
from erpsync.plugins.alerts.base import AlertEvent, AlertSink

T0 = datetime(2026, 11, 26, 2, 30, tzinfo=UTC)


class Channel(AlertSink):
    """Records what it was sent, in order; ``fail`` answers the next sends with a 502."""

    type = "channel"
    rate_limit: tuple[int, float] | None = None

    def __init__(self, rate_limit: tuple[int, float] | None = None) -> None:
        self.rate_limit = rate_limit
        self.seen: list[str] = []
        self.fail = 0
        self.retry_after: float | None = None

    def send(self, event: AlertEvent) -> str:
        if self.fail:
            self.fail -= 1
            raise TemporaryError("HTTP 502 Bad Gateway", connector="channel", status=502, retry_after=self.retry_after)
        self.seen.append(f"{event.event} {event.subject}")
        return "ok"

    def send_digest(self, events: list[AlertEvent]) -> str:
        self.seen.append(f"digest of {len(events)}")
        return "ok"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'state.db'}")


def add(store: Store, what: str, drift_id: int, at: datetime, subject: str = "W1") -> None:
    event = replace(sample_event(what=what, subject=subject), id=f"{what}-{drift_id}-{subject}")
    store.outbox.add([OutboxItem(id=event.id, sink="chat", event=event.as_dict(), drift_id=drift_id)], now=at)


def deliver(store: Store, channel: Channel, at: datetime) -> None:
    sink = ConfiguredSink(AlertSettings(type="channel", name="chat", options={}), channel)
    Deliverer(store, [sink], clock=lambda: at).deliver(at)


def test_a_resolved_alert_waits_for_its_opened_one_to_be_retried(store: Store) -> None:
    channel = Channel()
    add(store, "opened", 1, T0)
    channel.fail = 1
    deliver(store, channel, T0)  # 502: the opened alert is retried in a minute
    add(store, "resolved", 1, T0 + timedelta(seconds=30))
    deliver(store, channel, T0 + timedelta(seconds=30))  # the drift resolved meanwhile
    assert channel.seen == []
    deliver(store, channel, T0 + timedelta(minutes=2))
    assert channel.seen == ["opened W1", "resolved W1"]


def test_after_a_failure_the_sink_s_other_alerts_wait_as_long(store: Store) -> None:
    channel = Channel()
    add(store, "opened", 1, T0)
    add(store, "opened", 2, T0 + timedelta(seconds=1), subject="W2")
    channel.fail = 1
    deliver(store, channel, T0 + timedelta(seconds=2))
    assert channel.seen == []  # W2's alert was not sent to a channel that had just refused
    deliver(store, channel, T0 + timedelta(seconds=30))  # nor in the next pass, before W1's retry
    assert channel.seen == [] and channel.fail == 0
    deliver(store, channel, T0 + timedelta(minutes=2))
    assert channel.seen == ["opened W1", "opened W2"]
    # a Retry-After as long as the pass's hold on its alerts (two sends of 30 s and a minute):
    # W4 is held back all the same, not given back as untried
    later = T0 + timedelta(minutes=5)
    add(store, "opened", 3, later, subject="W3")
    add(store, "opened", 4, later, subject="W4")
    channel.fail, channel.retry_after = 1, 120.0
    deliver(store, channel, later)
    deliver(store, channel, later + timedelta(seconds=1))
    assert channel.seen == ["opened W1", "opened W2"]


def test_one_due_alert_waits_when_the_sink_s_minute_is_used_up(store: Store) -> None:
    channel = Channel(rate_limit=(3, 60.0))
    for i in range(3):
        add(store, "opened", i, T0, subject=f"W{i}")
    deliver(store, channel, T0)
    assert len(channel.seen) == 3
    add(store, "opened", 9, T0 + timedelta(seconds=10), subject="W9")
    deliver(store, channel, T0 + timedelta(seconds=10))
    assert len(channel.seen) == 3  # a fourth message inside the minute would be refused
    deliver(store, channel, T0 + timedelta(seconds=61))
    assert channel.seen[-1] == "opened W9"


def test_two_passes_at_once_send_each_alert_once(tmp_path: Path) -> None:
    """Two processes deliver at once (the service's drain beside a CLI run): the second finds
    the first's alerts taken, not due, and sends none of them."""
    path = f"sqlite:///{tmp_path / 'state.db'}"
    first, second = Store.open(path), Store.open(path)
    for i in range(3):
        add(first, "opened", i, T0, subject=f"W{i}")
    sending, go = threading.Event(), threading.Event()

    class Slow(Channel):
        def send(self, event: AlertEvent) -> str:
            sending.set()
            go.wait(10)
            return super().send(event)

    slow, quick = Slow(), Channel()
    worker = threading.Thread(target=deliver, args=(first, slow, T0))
    worker.start()
    assert sending.wait(10)  # the first pass is inside its first send
    deliver(second, quick, T0)
    go.set()
    worker.join(10)
    assert quick.seen == [] and slow.seen == ["opened W0", "opened W1", "opened W2"]
    assert [r.status for r in first.outbox.recent(sink="chat")] == ["delivered"] * 3


def test_a_resolved_stays_back_when_another_process_took_its_opened_after_the_pass_began(tmp_path: Path) -> None:
    """A pass reads every sink's due alerts when it starts, then serves "ops" (slow) before
    "chat". Meanwhile the service's drain takes the drift's "opened" for "chat" and the channel
    refuses it for now. The first pass, reaching "chat", must not send the "resolved" alone."""
    path = f"sqlite:///{tmp_path / 'state.db'}"
    first, second = Store.open(path), Store.open(path)
    add(first, "opened", 7, T0, subject="WH-1")
    ops_event = replace(sample_event(subject="WH-9"), id="ops-opened-9")
    first.outbox.add([OutboxItem(id=ops_event.id, sink="ops", event=ops_event.as_dict(), drift_id=9)], now=T0)
    add(first, "resolved", 7, T0 + timedelta(seconds=5), subject="WH-1")
    busy = Channel()
    busy.fail = 1  # the channel is busy for a moment when the drain reaches it

    class Ops(Channel):
        def send(self, event: AlertEvent) -> str:
            deliver(second, busy, T0 + timedelta(seconds=3))  # the drain's pass, begun before the resolution
            return super().send(event)

    chat = Channel()
    sinks = [
        ConfiguredSink(AlertSettings(type="channel", name="ops", options={}), Ops()),
        ConfiguredSink(AlertSettings(type="channel", name="chat", options={}), chat),
    ]
    at = T0 + timedelta(seconds=6)
    Deliverer(first, sinks, clock=lambda: at).deliver(at)
    assert busy.seen == [] and chat.seen == [], f"arrived before its opened: {chat.seen}"
    assert {r.id: r.status for r in first.outbox.recent(sink="chat")} == {
        "opened-7-WH-1": "pending",
        "resolved-7-WH-1": "pending",
    }


def test_a_digest_the_channel_refused_is_not_counted_as_sent(store: Store) -> None:
    """`erpsync alerts deliver` said "delivered 0 alert(s) (1 digest message(s)); 3 to retry"."""

    class Refuses(Channel):
        def send_digest(self, events: list[AlertEvent]) -> str:
            raise TemporaryError("HTTP 502 Bad Gateway", connector="channel", status=502)

    for i in range(3):
        add(store, "opened", i, T0, subject=f"W{i}")
    sink = ConfiguredSink(AlertSettings(type="channel", name="chat", options={}), Refuses(rate_limit=(1, 60.0)))
    report = Deliverer(store, [sink], clock=lambda: T0).deliver(T0)
    assert (report.delivered, report.retrying, report.digests) == (0, 3, 0)
    later = T0 + timedelta(minutes=1)  # the channel takes the retried digest
    retried = ConfiguredSink(sink.settings, Channel(rate_limit=(1, 60.0)))
    report = Deliverer(store, [retried], clock=lambda: later).deliver(later)
    assert (report.delivered, report.digests) == (3, 1)


def test_due_alerts_waiting_for_the_channel_s_room_are_counted(store: Store) -> None:
    """The minute's one message is used up: the due alert waits unsent, and the report says so
    (``erpsync alerts deliver`` then exits 1, not 0 as if every due alert went out)."""
    add(store, "opened", 1, T0, subject="W1")
    store.outbox.mark_delivered("opened-1-W1", now=T0, answer="ok")
    add(store, "opened", 2, T0, subject="W2")
    at = T0 + timedelta(seconds=10)
    sink = ConfiguredSink(AlertSettings(type="channel", name="chat", options={}), Channel(rate_limit=(1, 60.0)))
    report = Deliverer(store, [sink], clock=lambda: at).deliver(at)
    assert report.waiting == {"chat": 1} and len(store.outbox.all_pending()) == 1
