"""A digest is one message: the channel took all its alerts at once, and the store records them
delivered in one transaction, however many the digest holds. Recorded one commit per alert, a
2,000-alert digest took 2,000 commits (seconds on SQLite) and a process killed among them left
part of the digest pending, to be sent again in the next digest. Commits are counted with
SQLAlchemy's ``commit`` event on the real store (SQLite, and PostgreSQL when one is configured).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alert_samples import event as sample_event
from store_backends import BACKENDS, open_store
from store_shop_setup import commits

from erpsync.alert_delivery import Deliverer
from erpsync.alert_outbox import ConfiguredSink
from erpsync.core.config import AlertSettings
from erpsync.core.store import OutboxItem, Store
from erpsync.plugins.alerts.base import AlertEvent, AlertSink

T0 = datetime(2026, 11, 26, 2, 30, tzinfo=UTC)


class Limited(AlertSink):
    """A channel that takes two messages a minute: more alerts than that go as one digest."""

    type = "limited"
    rate_limit = (2, 60)

    def __init__(self) -> None:
        self.digests: list[list[str]] = []

    def send(self, event: AlertEvent) -> str:
        raise AssertionError("more alerts than the limit lets through go as one digest")

    def send_digest(self, events: list[AlertEvent]) -> str:
        self.digests.append([e.subject for e in events])
        return "ok"


def deliver_digest(store: Store, count: int) -> tuple[int, Limited]:
    """(commits of one delivery pass, the channel) for ``count`` alerts due to a limited sink."""
    subjects = [f"W{i:03d}" for i in range(count)]
    items = []
    for i, subject in enumerate(subjects):
        alert = replace(sample_event(subject=subject), id=f"alert-{subject}")
        items.append(OutboxItem(id=alert.id, sink="chat", event=alert.as_dict(), drift_id=i))
    store.outbox.add(items, now=T0)
    channel = Limited()
    sink = ConfiguredSink(AlertSettings(type="limited", name="chat", options={}), channel)
    with commits(store) as count_of:
        report = Deliverer(store, [sink], clock=lambda: T0).deliver(T0)
    assert (report.delivered, report.digests, channel.digests) == (count, 1, [subjects])
    rows = store.outbox.recent(sink="chat")
    assert {(r.status, r.attempts, r.delivered_at, r.answer) for r in rows} == {("delivered", 1, T0, "ok")}
    assert len(rows) == count
    return count_of[0], channel


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_digests_alerts_are_recorded_delivered_in_one_commit(backend: str, tmp_path: Path) -> None:
    with open_store(backend, tmp_path / "few") as store:
        few, _ = deliver_digest(store, 3)
    with open_store(backend, tmp_path / "many") as store:
        many, _ = deliver_digest(store, 60)
    assert few == many, (few, many)
