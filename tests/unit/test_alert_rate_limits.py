"""Delivery keeps a Feishu bot within both of its limits, 5 messages a second and 100 a minute,
across passes and across the sinks that post to the same bot.

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
    alerts.add(1, T0 + timedelta(seconds=42))
    deliver(store, feishu, T0 + timedelta(seconds=42))  # the minute is used up: it waits, unsent
    assert len(responses.calls) == 98 and [r.event["subject"] for r in store.outbox.all_pending()] == ["W102"]
    deliver(store, feishu, T0 + timedelta(seconds=61))  # the first pass's 5 left the minute
    assert len(responses.calls) == 99 and store.outbox.all_pending() == []


@responses.activate
def test_two_sinks_posting_to_one_bot_share_its_limits(store: Store, tmp_path: Path) -> None:
    """A Chinese and an English sink on the same bot: 3 alerts each within one second are 3
    messages and a digest (4 of the bot's 5 a second), not 6 messages."""
    responses.post(URL, json=OK)
    alerts = Alerts(store)
    alerts.add(3, T0, sinks=("feishu-zh", "feishu-en"))
    deliver(store, [bot(tmp_path, "feishu-zh"), bot(tmp_path, "feishu-en")], T0)
    assert len(responses.calls) == 4 and titles()[-1].startswith("erpsync: 3 alerts")
