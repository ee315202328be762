"""The alert lifecycle: one opened and one resolved per sink across runs, reminders on a moved
clock (none while acked), per-sink filters and language, and the outbox repository itself."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import test_outbox
from test_outbox import JSONL, T0, World

from erpsync.alert_outbox import ConfiguredSink, outbox_id, planner
from erpsync.core.config import AlertSettings
from erpsync.core.models import Severity
from erpsync.core.store import DriftRow, OutboxItem, Store
from erpsync.plugins.alerts.log import LogSink

world = pytest.fixture(test_outbox.world.__wrapped__, name="world")

OTHER = '[[alerts]]\ntype = "jsonl"\nname = "zh-file"\nlanguage = "zh"\npath = "zh.jsonl"\n'
DAILY = "[alerting]\nremind_after_hours = 24\n"


def test_three_runs_open_still_open_resolved_alert_once_each_per_sink(world: World) -> None:
    world.configure(JSONL + OTHER, alerting=DAILY)
    world.run()
    world.run(later=timedelta(hours=1))  # unchanged and open: no repeat
    world.erp(drift=False)
    world.run(later=timedelta(hours=1))
    for name in ("alerts.jsonl", "zh.jsonl"):
        assert world.jsonl(name) == [("opened", "W1"), ("resolved", "W1")]


def test_reminders_follow_the_clock_and_an_ack_silences_them(world: World) -> None:
    world.configure(JSONL, alerting=DAILY)
    world.run()
    world.run(later=timedelta(hours=23))
    assert world.jsonl("alerts.jsonl") == [("opened", "W1")]
    world.run(later=timedelta(hours=2))  # 25 h after the opened alert
    world.run(later=timedelta(hours=2))  # 2 h after the reminder: none
    assert world.jsonl("alerts.jsonl") == [("opened", "W1"), ("reminder", "W1")]

    with world.store() as store:
        (drift,) = store.drifts.list_open("s")
        acked = store.drifts.ack(drift.id, now=world.now, until=world.now + timedelta(days=2))
        assert acked is not None and acked.acked(world.now) and acked.acked_until == world.now + timedelta(days=2)
    world.run(later=timedelta(hours=30))  # acked: no reminder though 32 h passed
    assert world.jsonl("alerts.jsonl")[-1] == ("reminder", "W1") and len(world.jsonl("alerts.jsonl")) == 2
    world.run(later=timedelta(hours=20))  # the ack ran out: reminded again
    assert len(world.jsonl("alerts.jsonl")) == 3

    with world.store() as store:  # acked until it resolves
        (drift,) = store.drifts.list_open("s")
        assert store.drifts.ack(drift.id, now=world.now, until=None).acked_until is None
        assert store.drifts.ack(9999, now=world.now, until=None) is None
    world.run(later=timedelta(days=5))
    assert len(world.jsonl("alerts.jsonl")) == 3
    world.erp(drift=False)
    world.run(later=timedelta(hours=1))  # its resolution still alerts
    assert world.jsonl("alerts.jsonl")[-1] == ("resolved", "W1")
    with world.store() as store:
        assert store.drifts.ack(drift.id, now=world.now, until=None) is None  # resolved: nothing to silence


def test_an_opened_alert_says_the_fix_proposed_or_being_made(world: World) -> None:
    import json

    world.configure(JSONL + OTHER)
    world.run()  # a plan run: the policy (seller wins) proposes fixing the ERP's phone
    (opened,) = [json.loads(x) for x in (world.path / "alerts.jsonl").read_text(encoding="utf-8").splitlines()]
    assert opened["fix"]["en"].startswith("proposed (run with --apply to make it): set ERP warehouse")
    zh = json.loads((world.path / "zh.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert zh["fix"]["zh"].startswith("建议修正")
    syncer = world.syncer()
    syncer.run(apply=True)
    syncer.close()
    events = [json.loads(x) for x in (world.path / "alerts.jsonl").read_text(encoding="utf-8").splitlines()]
    assert events[-1]["event"] == "resolved" and events[-1]["fix"] is None  # fixed by the apply run


def test_remind_after_zero_never_reminds(world: World) -> None:
    world.configure(JSONL, alerting="[alerting]\nremind_after_hours = 0\n")
    world.run()
    world.run(later=timedelta(days=30))
    assert world.jsonl("alerts.jsonl") == [("opened", "W1")]


def _row(severity: Severity, *, shop: str = "acme", aspect: str = "pickup") -> DriftRow:
    return DriftRow(
        id=7,
        fingerprint="fp",
        shop=shop,
        aspect=aspect,
        kind="review_stuck",
        subject="W1",
        field="subscription_status",
        seller_value="pending_review",
        erp_value="PICK_UP",
        severity=severity,
        message="W1: pickup review pending for 30 h",
        opened_at=T0,
        last_seen_at=T0,
        resolved_at=None,
        opened_run="r1",
        resolved_run=None,
    )


def _sink(name: str, **settings) -> ConfiguredSink:
    return ConfiguredSink(AlertSettings("log", name, {"level": "WARNING"}, **settings), LogSink({}, base_dir=Path()))


def test_filters_and_language_per_sink() -> None:
    sinks = [
        _sink("all-en"),
        _sink("critical-zh", language="zh", min_severity="critical"),
        _sink("other-shop", shops=("other",)),
        _sink("address-only", aspects=("warehouse_address",)),
    ]
    plan = planner(sinks, run_id="r1", now=T0, redact=lambda t: t.replace("30 h", "[redacted]"))
    warning = plan("opened", _row(Severity.WARNING))
    assert [i.sink for i in warning] == ["all-en"]
    critical = plan("opened", _row(Severity.CRITICAL))
    assert [(i.sink, i.event["lang"]) for i in critical] == [("all-en", "en"), ("critical-zh", "zh")]
    (item, _zh) = critical
    assert item.id == outbox_id("all-en", "fp", 7, "opened", "") and item.event["id"] == item.id
    assert item.event["message"] == "W1: pickup review pending for [redacted]"  # redacted before it is stored
    assert item.event["first_seen"] == T0.isoformat() and item.drift_id == 7
    assert [i.sink for i in plan("opened", _row(Severity.INFO, shop="other", aspect="warehouse_address"))] == [
        "all-en",
        "other-shop",
        "address-only",
    ]
    assert plan("opened", _row(Severity.CRITICAL)) == critical  # stable: the same alert, the same ids


def test_outbox_repository(store: Store) -> None:
    items = [OutboxItem(f"alrt_{n}", "hook", {"message": str(n)}) for n in range(3)]
    assert store.outbox.add(items, now=T0) == ["alrt_0", "alrt_1", "alrt_2"]
    assert store.outbox.add(items[:1], now=T0) == []  # the same id twice: one alert
    later = T0 + timedelta(minutes=5)
    store.outbox.mark_failed("alrt_0", now=T0, error="busy", retry_at=later)
    store.outbox.mark_failed("alrt_1", now=T0, error="refused", retry_at=None)
    store.outbox.mark_delivered("alrt_2", now=T0, answer="ok")
    assert [r.id for r in store.outbox.all_pending()] == ["alrt_0"]
    assert store.outbox.due(now=T0) == [] and [r.id for r in store.outbox.due(now=later, sink="hook")] == ["alrt_0"]
    assert store.outbox.due(now=later, sink="other") == []
    assert store.outbox.messages_since("hook", T0 - timedelta(seconds=60), until=T0) == 1
    failed = store.outbox.get("alrt_1")
    assert failed is not None and (failed.status, failed.attempts, failed.last_error) == ("failed", 1, "refused")
    (gone,) = store.outbox.expire(now=T0 + timedelta(hours=73), older_than=timedelta(hours=72))
    assert (gone.id, gone.status) == ("alrt_0", "expired")
    assert store.outbox.all_pending() == []
    from erpsync.core.store import Retention

    assert store.prune(Retention(), now=T0 + timedelta(days=29))["alerts (delivered, failed or expired)"] == 0
    assert store.prune(Retention(), now=T0 + timedelta(days=31))["alerts (delivered, failed or expired)"] == 3


def test_routine_kinds_are_reminded_of_never_announced() -> None:
    plan = planner([_sink("all")], run_id="r1", now=T0, redact=str, routine={"review_stuck"})
    assert plan("opened", _row(Severity.WARNING)) == [] and plan("resolved", _row(Severity.WARNING)) == []
    assert [i.event["kind"] for i in plan("reminder", _row(Severity.WARNING))] == ["review_stuck"]
    assert len(planner([_sink("all")], run_id="r1", now=T0, redact=str)("opened", _row(Severity.WARNING))) == 1
