"""Delivery keeps a Feishu bot within both of its limits, 5 messages a second and 100 a minute,
across passes and across the sinks that post to the same bot, counting messages (a digest is
one), and the sinks sharing a bot take turns.

The bot is the real ``feishu`` sink against ``responses``; the passes run on a fixed clock (each
pass's sends take no time), so every count below is exact.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import responses
from alert_samples import event as sample_event

from erpsync.alert_delivery import Deliverer
from erpsync.alert_outbox import ConfiguredSink
from erpsync.core.config import AlertSettings
from erpsync.core.store import OutboxItem, Store
from erpsync.plugins.alerts.base import AlertEvent, AlertSink
from erpsync.plugins.alerts.feishu import FeishuOptions, FeishuSink

T0 = datetime(2026, 11, 26, 2, 30, tzinfo=UTC)
URL = "https://open.feishu.cn/open-apis/bot/v2/hook/0f6a1c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
OK = {"code": 0, "msg": "success", "data": {}}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'state.db'}")


def bot(tmp_path: Path, name: str = "feishu") -> ConfiguredSink:
    sink = FeishuSink(FeishuOptions().load({"url": URL}), base_dir=tmp_path)
    return ConfiguredSink(AlertSettings(type="feishu", name=name, options={}), sink)


class Alerts:
    """Writes alerts W0, W1, ... for the sinks named, each its own drift."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.count = 0

    def add(self, n: int, at: datetime, sinks: tuple[str, ...] = ("feishu",)) -> None:
        for _ in range(n):
            subject = f"W{self.count}"
            self.count += 1
            for sink in sinks:
                alert = replace(sample_event(subject=subject), id=f"{sink}-{subject}")
                item = OutboxItem(id=alert.id, sink=sink, event=alert.as_dict(), drift_id=self.count)
                self.store.outbox.add([item], now=at)


def deliver(store: Store, sinks: list[ConfiguredSink], at: datetime) -> None:
    Deliverer(store, sinks, clock=lambda: at).deliver(at)


def titles() -> list[str]:
    return [json.loads(c.request.body)["content"]["post"]["en_us"]["title"] for c in responses.calls]


@responses.activate
def test_a_bot_is_sent_no_more_than_100_messages_a_minute(store: Store, tmp_path: Path) -> None:
    responses.post(URL, json=OK)
    feishu, alerts = [bot(tmp_path)], Alerts(store)
    for n in range(19):  # 5 a pass, every 2 s: within 5 a second, 95 messages in 36 s
        alerts.add(5, T0 + timedelta(seconds=2 * n))
        deliver(store, feishu, T0 + timedelta(seconds=2 * n))
    alerts.add(2, T0 + timedelta(seconds=38))
    deliver(store, feishu, T0 + timedelta(seconds=38))
    assert len(responses.calls) == 97
    alerts.add(5, T0 + timedelta(seconds=40))
    deliver(store, feishu, T0 + timedelta(seconds=40))  # room for 3 more this minute: one digest of 5
    assert len(responses.calls) == 98 and titles()[-1].startswith("erpsync: 5 alerts")
    alerts.add(2, T0 + timedelta(seconds=41))
    deliver(store, feishu, T0 + timedelta(seconds=41))  # the digest was one message: room for 2
    assert len(responses.calls) == 100
    alerts.add(1, T0 + timedelta(seconds=42))
    deliver(store, feishu, T0 + timedelta(seconds=42))  # the minute is used up: it waits, unsent
    assert len(responses.calls) == 100 and [r.event["subject"] for r in store.outbox.all_pending()] == ["W104"]
    deliver(store, feishu, T0 + timedelta(seconds=61))  # the first pass's 5 left the minute
    assert len(responses.calls) == 101 and store.outbox.all_pending() == []


@responses.activate
def test_a_digest_is_one_of_the_bot_s_messages(store: Store, tmp_path: Path) -> None:
    """150 alerts at once go out as one digest, which leaves the bot 99 messages of its minute:
    alerts raised 2 s later go out at once, not a minute later."""
    responses.post(URL, json=OK)
    feishu, alerts = [bot(tmp_path)], Alerts(store)
    alerts.add(150, T0)
    deliver(store, feishu, T0)
    assert len(responses.calls) == 1 and titles()[-1].startswith("erpsync: 150 alerts")
    alerts.add(4, T0 + timedelta(seconds=2))
    deliver(store, feishu, T0 + timedelta(seconds=2))
    assert len(responses.calls) == 5 and store.outbox.all_pending() == []


@responses.activate
def test_two_sinks_posting_to_one_bot_share_its_limits(store: Store, tmp_path: Path) -> None:
    """A Chinese and an English sink on the same bot: 3 alerts each within one second are 3
    messages and a digest (4 of the bot's 5 a second), not 6 messages."""
    responses.post(URL, json=OK)
    alerts = Alerts(store)
    alerts.add(3, T0, sinks=("feishu-zh", "feishu-en"))
    deliver(store, [bot(tmp_path, "feishu-zh"), bot(tmp_path, "feishu-en")], T0)
    assert len(responses.calls) == 4 and titles()[-1].startswith("erpsync: 3 alerts")


@responses.activate
def test_two_sinks_on_a_busy_bot_both_get_their_alerts_out(store: Store, tmp_path: Path) -> None:
    """A Chinese and an English sink get the same alerts, 6 every 10 s for 10 minutes: each pass
    is a digest per sink, 12 messages a minute of the bot's 100, and neither sink is left waiting."""
    responses.post(URL, json=OK)
    sinks, alerts = [bot(tmp_path, "feishu-zh"), bot(tmp_path, "feishu-en")], Alerts(store)
    for n in range(60):
        at = T0 + timedelta(seconds=10 * n)
        alerts.add(6, at, sinks=("feishu-zh", "feishu-en"))
        deliver(store, sinks, at)
    assert store.outbox.all_pending() == [] and len(responses.calls) == 120


class SharedChannel(AlertSink):
    """A channel taking one message every 10 s, shared by every sink of this type (one robot)."""

    type = "shared"
    rate_limit = (1, 10.0)

    def __init__(self, seen: list[str]) -> None:
        self.seen = seen

    def rate_key(self) -> str:
        return "one-robot"

    def send(self, event: AlertEvent) -> str:
        self.seen.append(event.subject)
        return "ok"

    def send_digest(self, events: list[AlertEvent]) -> str:
        self.seen.append("digest " + " ".join(e.subject for e in events))
        return "ok"


def test_sinks_sharing_a_channel_take_turns_when_it_has_room_for_one(store: Store) -> None:
    """Room for one message a pass, and both sinks have alerts every pass: the sink whose alerts
    have waited longest goes first, so the second sink is not starved by the first."""
    seen: list[str] = []
    sinks = [
        ConfiguredSink(AlertSettings(type="shared", name=name, options={}), SharedChannel(seen))
        for name in ("first", "second")
    ]
    alerts = Alerts(store)
    for n in range(4):
        at = T0 + timedelta(seconds=11 * n)  # each pass past the last one's 10 s
        alerts.add(1, at, sinks=("first", "second"))
        deliver(store, sinks, at)
    waiting = {r.sink for r in store.outbox.all_pending()}
    assert seen == ["W0", "digest W0 W1", "digest W1 W2", "digest W2 W3"] and waiting == {"first"}


@pytest.mark.parametrize(
    ("headers", "retried_at"),
    [
        ({"x-ogw-ratelimit-reset": "1e12"}, T0 + timedelta(hours=72, minutes=-1)),  # a minute before the expiry
        ({"x-ogw-ratelimit-reset": "inf"}, T0 + timedelta(minutes=1)),  # not a number of seconds: the backoff
        ({"Retry-After": "1e400"}, T0 + timedelta(minutes=1)),
        ({"x-ogw-ratelimit-reset": "nan"}, T0 + timedelta(minutes=1)),
        ({"x-ogw-ratelimit-reset": "90"}, T0 + timedelta(seconds=90)),
    ],
)
@responses.activate
def test_a_bot_s_wait_is_honoured_up_to_the_alerts_expiry(
    store: Store, tmp_path: Path, headers: dict[str, str], retried_at: datetime
) -> None:
    """A wait too long for a date, or not a finite number, fails neither the pass nor the alerts."""
    refused = {"code": 99991400, "msg": "request trigger frequency limit"}
    responses.post(URL, json=refused, status=429, headers=headers)
    Alerts(store).add(2, T0)
    deliver(store, [bot(tmp_path)], T0)
    rows = store.outbox.all_pending()
    assert [(r.event["subject"], r.next_attempt_at) for r in rows] == [("W0", retried_at), ("W1", retried_at)]
    assert len(responses.calls) == 1


@responses.activate
def test_a_wait_up_to_the_expiry_leaves_a_pass_to_try_the_alert_once_more(store: Store, tmp_path: Path) -> None:
    """A bot asks for a wait longer than the alert has left: the alert is not kept until its
    expiry itself, when the next pass would expire it before sending, but tried once more."""
    refused = {"code": 99991400, "msg": "request trigger frequency limit"}
    responses.post(URL, json=refused, status=429, headers={"x-ogw-ratelimit-reset": "1e12"})
    responses.post(URL, json=OK)
    Alerts(store).add(1, T0)
    deliver(store, [bot(tmp_path)], T0)
    (row,) = store.outbox.all_pending()
    next_pass = row.next_attempt_at + timedelta(seconds=30)  # the first pass after the retry time
    report = Deliverer(store, [bot(tmp_path)], clock=lambda: next_pass).deliver(next_pass)
    assert not report.expired and report.delivered == 1
    assert len(responses.calls) == 2


@responses.activate
def test_a_wall_clock_stepped_back_does_not_keep_a_bot_waiting(store: Store, tmp_path: Path) -> None:
    """The host's clock ran an hour fast and NTP stepped it back: the five messages sent while it
    was fast are dated an hour ahead, and are not counted against the bot's second and minute
    until the clock catches up with them (which would send it nothing for an hour)."""
    responses.post(URL, json=OK)
    alerts = Alerts(store)
    fast = T0 + timedelta(hours=1)
    alerts.add(5, fast)
    deliver(store, [bot(tmp_path)], fast)
    later = T0 + timedelta(seconds=10)  # stepped back; a new alert 10 s later
    alerts.add(1, later)
    deliver(store, [bot(tmp_path)], later)
    assert len(responses.calls) == 6 and "W5" in titles()[-1]


class OneByOne(AlertSink):
    """A plugin's channel taking 3 messages a minute, with ``send`` only: the default
    ``send_digest`` would send each alert, one message each."""

    type = "one-by-one"
    rate_limit = (3, 60.0)

    def __init__(self, seen: list[tuple[datetime, str]], clock: list[datetime]) -> None:
        self.seen, self.clock = seen, clock

    def send(self, event: AlertEvent) -> str:
        self.seen.append((self.clock[0], event.subject))
        return "ok"


def test_a_sink_without_a_digest_of_its_own_is_sent_no_more_than_its_limit(store: Store) -> None:
    """5 alerts for a channel taking 3 a minute: 3 go out, each one of the limit's messages, and
    the other 2 wait for the minute to pass, instead of a "digest" of 5 separate messages (2 over
    the limit) counted as one (leaving room for 2 more in the same minute)."""
    seen: list[tuple[datetime, str]] = []
    clock = [T0]
    sinks = [ConfiguredSink(AlertSettings(type="one-by-one", name="plugin", options={}), OneByOne(seen, clock))]
    alerts = Alerts(store)
    alerts.add(5, T0, sinks=("plugin",))
    for at in (T0, T0 + timedelta(seconds=20), T0 + timedelta(seconds=40), T0 + timedelta(seconds=61)):
        clock[0] = at
        deliver(store, sinks, at)
    assert [(at - T0, subject) for at, subject in seen] == [
        (timedelta(0), "W0"),
        (timedelta(0), "W1"),
        (timedelta(0), "W2"),
        (timedelta(seconds=61), "W3"),
        (timedelta(seconds=61), "W4"),
    ]
    assert store.outbox.all_pending() == []
    assert store.outbox.messages_since("plugin", T0, until=T0 + timedelta(seconds=62)) == 5  # each its own
