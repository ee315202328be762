"""An open drift whose severity rises is escalated, for any aspect: the same occurrence, one alert.

``drifts.record`` compares the severity it stores with the one seen now: higher writes one
"escalated" alert per sink (its id names the new severity and the previous alert, so the next
escalation is a new alert and the same one written twice is not), lower or equal writes none.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from store_backends import BACKENDS, open_store

from erpsync.alert_outbox import ConfiguredSink, planner
from erpsync.core.config import AlertSettings
from erpsync.core.models import Drift, Severity, Texts
from erpsync.core.store import DriftChanges, DriftRow, OutboxItem, Store
from erpsync.plugins.alerts.log import LogSink

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with open_store(request.param, tmp_path) as s:
        yield s


def review(severity: Severity, hours: int) -> Drift:
    """A pickup review that has waited ``hours``: the same drift, whatever its severity."""
    text = Texts(f"WH-1: pickup review pending for {hours} h", f"WH-1：揽收订阅审核中已 {hours} 小时")
    return Drift(
        "acme", "pickup", "review_pending", "WH-1", "subscription_status", "pending_review", "PICK_UP",
        severity, text.en, summary=text,
    )  # fmt: skip


class Alerts:
    """An ``AlertPlanner`` that remembers what it was asked, and writes through the real planner."""

    def __init__(self) -> None:
        sink = ConfiguredSink(AlertSettings("log", "log", {"level": "WARNING"}), LogSink({}, base_dir=Path()))
        self.asked: list[tuple[str, int, Severity]] = []
        self.ids: list[str] = []
        self._sinks = [sink]

    def at(self, now: datetime):
        plan = planner(self._sinks, run_id="r", now=now, redact=str)

        def record(kind, row: DriftRow) -> list[OutboxItem]:
            self.asked.append((kind, row.id, row.severity))
            items = plan(kind, row)
            self.ids += [i.id for i in items]
            return items

        return record


def test_a_severity_that_rises_escalates_the_open_drift(store: Store) -> None:
    alerts = Alerts()
    (row,) = store.drifts.record("acme", "pickup", [review(Severity.INFO, 1)], now=T0, run_id="r1",
                                 alerts=alerts.at(T0)).opened  # fmt: skip
    same = store.drifts.record("acme", "pickup", [review(Severity.INFO, 2)], now=T0 + HOUR, run_id="r2",
                               alerts=alerts.at(T0 + HOUR))  # fmt: skip
    assert same.escalated == [] and alerts.asked == [("opened", row.id, Severity.INFO)]

    t2 = T0 + 2 * HOUR
    changes = store.drifts.record("acme", "pickup", [review(Severity.WARNING, 30)], now=t2, run_id="r3",
                                  alerts=alerts.at(t2))  # fmt: skip
    (worse,) = changes.escalated
    assert changes.opened == [] and changes.resolved == [] and [r.id for r in changes.still_open] == [row.id]
    assert (worse.id, worse.severity, worse.opened_at, worse.last_alerted_at) == (row.id, Severity.WARNING, T0, t2)
    assert alerts.asked[-1] == ("escalated", row.id, Severity.WARNING)
    assert store.outbox.get(alerts.ids[-1]).event["event"] == "escalated"  # type: ignore[union-attr]

    # lower: recorded, not alerted; higher again: a new escalation, with an id of its own
    t3, t4 = t2 + HOUR, t2 + 2 * HOUR
    lower = store.drifts.record("acme", "pickup", [review(Severity.INFO, 31)], now=t3, run_id="r4",
                                alerts=alerts.at(t3))  # fmt: skip
    assert lower.escalated == [] and lower.still_open[0].severity is Severity.INFO and len(alerts.asked) == 2
    store.drifts.record("acme", "pickup", [review(Severity.WARNING, 32)], now=t4, run_id="r5", alerts=alerts.at(t4))
    store.drifts.record("acme", "pickup", [review(Severity.CRITICAL, 50)], now=t4 + HOUR, run_id="r6",
                        alerts=alerts.at(t4 + HOUR))  # fmt: skip
    assert [a[0] for a in alerts.asked] == ["opened", "escalated", "escalated", "escalated"]
    assert len(set(alerts.ids)) == 4 and len(store.outbox.all_pending()) == 4


def test_a_channel_that_heard_the_escalation_hears_the_resolution_after_the_severity_fell(store: Store) -> None:
    """A critical-only channel (a pager) is told the drift escalated; the deadline is then
    extended (it falls back to a warning) and the order ships: the pager is told it resolved."""
    pager = ConfiguredSink(
        AlertSettings("log", "pager", {"level": "WARNING"}, min_severity=Severity.CRITICAL),
        LogSink({}, base_dir=Path()),
    )

    def record(drifts: list[Drift], now: datetime) -> None:
        store.drifts.record("acme", "pickup", drifts, now=now, run_id=f"r{now:%H}",
                            alerts=planner([pager], run_id="r", now=now, redact=str))  # fmt: skip

    record([review(Severity.WARNING, 1)], T0)
    record([review(Severity.CRITICAL, 30)], T0 + HOUR)
    record([review(Severity.WARNING, 2)], T0 + 2 * HOUR)  # fell back: not alerted
    (open_row,) = store.drifts.list_open("acme")
    assert open_row.severity is Severity.WARNING  # the store shows it as it is now
    record([], T0 + 3 * HOUR)
    told = [(i.event["event"], i.event["severity"]) for i in store.outbox.all_pending()]
    assert told == [("escalated", "critical"), ("resolved", "critical")]


def test_a_drift_that_falls_back_and_gets_worse_again_escalates_again(store: Store) -> None:
    """An order past its deadline, acknowledged, given a new deadline (a warning again) that it
    misses too: the pager hears the second escalation, and it ends the acknowledgement."""
    pager = ConfiguredSink(
        AlertSettings("log", "pager", {"level": "WARNING"}, min_severity=Severity.CRITICAL),
        LogSink({}, base_dir=Path()),
    )

    def record(drifts: list[Drift], now: datetime) -> DriftChanges:
        return store.drifts.record("acme", "pickup", drifts, now=now, run_id=f"r{now:%d%H}",
                                   alerts=planner([pager], run_id="r", now=now, redact=str))  # fmt: skip

    record([review(Severity.WARNING, 1)], T0)
    (row,) = record([review(Severity.CRITICAL, 30)], T0 + HOUR).escalated
    assert store.drifts.ack(row.id, now=T0 + HOUR, until=None) is not None
    record([review(Severity.WARNING, 2)], T0 + 2 * HOUR)
    again = record([review(Severity.CRITICAL, 60)], T0 + 30 * HOUR)
    assert [r.id for r in again.escalated] == [row.id]
    assert [i.event["event"] for i in store.outbox.all_pending()] == ["escalated", "escalated"]
    (now_open,) = store.drifts.list_open("acme")
    assert now_open.acked_at is None


def test_a_drift_that_names_a_stage_takes_over_its_open_row_of_its_own_kind(store: Store) -> None:
    """Recorded before its kind named a stage (``Drift.stage_of``), an open drift is the same drift
    after: not resolved and opened again, and an acknowledgement on it is kept."""
    alerts = Alerts()
    old = review(Severity.WARNING, 1)
    (row,) = store.drifts.record("acme", "pickup", [old], now=T0, run_id="r1", alerts=alerts.at(T0)).opened
    assert store.drifts.ack(row.id, now=T0, until=None) is not None
    staged = replace(review(Severity.WARNING, 2), stage_of="review_stuck")
    assert staged.fingerprint != old.fingerprint
    t1 = T0 + HOUR
    changes = store.drifts.record("acme", "pickup", [staged], now=t1, run_id="r2", alerts=alerts.at(t1))
    assert changes.opened == [] and changes.resolved == [] and [r.id for r in changes.still_open] == [row.id]
    (now_open,) = store.drifts.list_open("acme")
    assert now_open.fingerprint == staged.fingerprint and now_open.acked_at is not None
    assert [a[0] for a in alerts.asked] == ["opened"]


def test_an_escalation_replaces_a_due_reminder_and_ends_an_ack(store: Store) -> None:
    alerts = Alerts()
    (row,) = store.drifts.record("acme", "pickup", [review(Severity.WARNING, 1)], now=T0, run_id="r1",
                                 alerts=alerts.at(T0)).opened  # fmt: skip
    assert store.drifts.ack(row.id, now=T0, until=None) is not None  # acked until it resolves
    later = T0 + timedelta(hours=30)  # a reminder would be due, were it not acked
    changes = store.drifts.record("acme", "pickup", [review(Severity.CRITICAL, 30)], now=later, run_id="r2",
                                  alerts=alerts.at(later), remind_after=timedelta(hours=24))  # fmt: skip
    assert [r.id for r in changes.escalated] == [row.id] and changes.reminded == []
    assert [a[0] for a in alerts.asked] == ["opened", "escalated"]  # one alert, though acked
    (now_open,) = store.drifts.list_open("acme")
    assert now_open.acked_at is None and now_open.last_alerted_at == later  # the ack covered the lesser drift
    reminded = later + timedelta(hours=24)
    again = store.drifts.record("acme", "pickup", [review(Severity.CRITICAL, 54)], now=reminded, run_id="r3",
                                alerts=alerts.at(reminded), remind_after=timedelta(hours=24))  # fmt: skip
    assert [r.id for r in again.reminded] == [row.id] and alerts.asked[-1][0] == "reminder"


def test_a_routine_kind_that_gets_worse_is_escalated() -> None:
    """Routine drifts (a push waiting) are not announced when they open; one that got worse is."""
    sink = ConfiguredSink(AlertSettings("log", "log", {"level": "WARNING"}), LogSink({}, base_dir=Path()))
    plan = planner([sink], run_id="r", now=T0, redact=str, routine={"review_pending"})
    row = DriftRow(
        id=1, fingerprint="fp", shop="acme", aspect="pickup", kind="review_pending", subject="WH-1",
        field=None, seller_value=None, erp_value=None, severity=Severity.WARNING, message="m",
        opened_at=T0, last_seen_at=T0, resolved_at=None, opened_run="r", resolved_run=None,
    )  # fmt: skip
    assert plan("opened", row) == [] and plan("resolved", row) == []
    (item,) = plan("escalated", row)
    assert item.event["event"] == "escalated" and item.event["severity"] == "warning"
