"""The alert outbox through real runs: a sink that fails then recovers, a run killed before
delivery, a sink that hangs, a burst folded into one digest, token trouble.

Sinks are real: ``jsonl`` files, and a scripted sink registered through a pluggy plugin (the real
extension point) whose behaviour a test switches between runs (answer, fail, hang).
"""

from __future__ import annotations

import csv
import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pytest
from marshmallow import Schema, fields

from erpsync.alert_outbox import planner
from erpsync.core.connector import Connector
from erpsync.core.errors import PermanentError, TemporaryError
from erpsync.core.models import Address, Records, Warehouse
from erpsync.core.ports import TokenRecord
from erpsync.core.store import OutboxItem, Store
from erpsync.plugins import hookimpl
from erpsync.plugins.alerts.base import AlertEvent, AlertSink
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sync import Syncer

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
SELLER = Address("张伟", "13800138000", "CN", "广东省", "东莞市", "长安镇", "振安中路 88号", "523850")


class Seller(Connector):
    """Seller Center held in memory: ``count`` warehouses W1..Wn, all at SELLER's address."""

    type = "outbox-seller"
    role = "seller"
    count: ClassVar[int] = 1

    class Options(Schema):
        pass

    def list_warehouses(self) -> Records[Warehouse]:
        return Records(
            tuple(Warehouse(f"W{i}", f"仓{i}", SELLER, seller_warehouse_id=f"W{i}") for i in range(1, self.count + 1))
        )

    def check(self) -> str:
        return "memory"


class Scripted(AlertSink):
    """A channel whose behaviour the test sets per sink label: ok, temporary, permanent, hang."""

    type = "scripted"
    behaviour: ClassVar[dict[str, str]] = {}
    received: ClassVar[dict[str, list[AlertEvent]]] = {}
    digests: ClassVar[dict[str, list[list[AlertEvent]]]] = {}
    calls: ClassVar[dict[str, int]] = {}
    on_send: ClassVar[Callable[[], Any] | None] = None
    release = threading.Event()

    class Options(Schema):
        label = fields.String(required=True)

    def send(self, event: AlertEvent) -> str:
        label = self.options["label"]
        Scripted.calls[label] = Scripted.calls.get(label, 0) + 1
        if Scripted.on_send is not None:
            Scripted.on_send()
        mode = Scripted.behaviour.get(label, "ok")
        if mode == "temporary":
            raise TemporaryError("channel busy (HTTP 503)")
        if mode == "permanent":
            raise PermanentError("bad signature (310000)")
        if mode == "hang":
            Scripted.release.wait(20)
            return "too late"  # the run gave up on it: what it returns is never recorded
        Scripted.received.setdefault(label, []).append(event)
        return f"ok {event.id}"

    def send_digest(self, events: list[AlertEvent]) -> str:
        Scripted.digests.setdefault(self.options["label"], []).append(events)
        return f"digest of {len(events)}"


class Limited(Scripted):
    type = "limited"
    rate_limit = (20, 60.0)


class Plugin:
    @hookimpl
    def register_connectors(self, register):
        register(Seller)

    @hookimpl
    def register_alert_sinks(self, register):
        register(Scripted)
        register(Limited)


class World:
    """A config on disk, the files ERP, a moving clock and one Syncer per run (a new process each)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.now = T0
        self.pm = get_plugin_manager(entrypoints=False, extra=[Plugin()])
        self.registry = build_registry(self.pm)
        (path / "erp").mkdir()

    def configure(self, alerts: str, *, warehouses: int = 1, alerting: str = "") -> None:
        Seller.count = warehouses
        (self.path / "erpsync.toml").write_text(
            '[[shops]]\nname = "s"\naspects = ["warehouse_address"]\n'
            '[shops.seller]\ntype = "outbox-seller"\n[shops.erp]\ntype = "files"\npath = "erp"\n'
            f"{alerting}\n{alerts}",
            encoding="utf-8",
        )
        self.erp(drift=True)

    def erp(self, *, drift: bool) -> None:
        phone = "13900139000" if drift else "13800138000"
        with (self.path / "erp" / "warehouses.csv").open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(
                [
                    "id",
                    "seller_warehouse_id",
                    "contact_person",
                    "phone",
                    "state",
                    "city",
                    "district",
                    "street",
                    "postal_code",
                ]
            )
            for i in range(1, Seller.count + 1):
                w.writerow([f"E{i}", f"W{i}", "张伟", phone, "广东", "东莞市", "长安镇", "振安中路 88号", "523850"])

    def syncer(self) -> Syncer:
        settings = load_settings(self.path / "erpsync.toml", self.registry)
        return Syncer(settings, pm=self.pm, registry=self.registry, clock=lambda: self.now)

    def run(self, *, later: timedelta = timedelta(0)) -> Syncer:
        self.now += later
        syncer = self.syncer()
        syncer.run()
        syncer.close()
        return syncer

    def store(self) -> Store:
        return Store.open(f"sqlite:///{self.path / '.erpsync' / 'state.db'}")

    def jsonl(self, name: str) -> list[tuple[str, str]]:
        file = self.path / name
        lines = file.read_text(encoding="utf-8").splitlines() if file.exists() else []
        return [(e["event"], e["subject"]) for e in map(json.loads, lines)]


@pytest.fixture
def world(tmp_path: Path):
    for registry in (Scripted.behaviour, Scripted.received, Scripted.digests, Scripted.calls):
        registry.clear()
    Scripted.on_send = None
    Scripted.release.clear()
    yield World(tmp_path)
    Scripted.release.set()  # let an abandoned thread finish


JSONL = '[[alerts]]\ntype = "jsonl"\npath = "alerts.jsonl"\n'
FLAKY = '[[alerts]]\ntype = "scripted"\nname = "flaky"\nlabel = "flaky"\n'


def kinds(label: str) -> list[str]:
    return [e.event for e in Scripted.received.get(label, [])]


def test_a_sink_that_fails_then_recovers_gets_every_alert_exactly_once(world: World) -> None:
    world.configure(JSONL + FLAKY)
    Scripted.behaviour["flaky"] = "temporary"
    world.run()
    assert world.jsonl("alerts.jsonl") == [("opened", "W1")]  # the other sink is served
    with world.store() as store:
        (row,) = store.outbox.all_pending("flaky")
    assert (row.attempts, row.next_attempt_at, row.status) == (1, T0 + timedelta(minutes=1), "pending")
    assert row.last_error == "TemporaryError: channel busy (HTTP 503)"

    world.run(later=timedelta(seconds=30))  # not due yet: the backoff holds
    assert Scripted.calls["flaky"] == 1
    world.run(later=timedelta(minutes=1))  # due, still failing: the wait doubles
    with world.store() as store:
        (row,) = store.outbox.all_pending("flaky")
    assert (row.attempts, row.next_attempt_at) == (2, world.now + timedelta(minutes=2))

    Scripted.behaviour["flaky"] = "ok"
    world.run(later=timedelta(minutes=2))
    world.erp(drift=False)
    world.run(later=timedelta(minutes=1))
    world.run(later=timedelta(minutes=1))
    assert kinds("flaky") == ["opened", "resolved"]
    assert world.jsonl("alerts.jsonl") == [("opened", "W1"), ("resolved", "W1")]
    opened = Scripted.received["flaky"][0]
    with world.store() as store:
        assert store.outbox.all_pending() == []
        delivered = store.outbox.get(opened.id)
    assert delivered is not None and delivered.answer == f"ok {opened.id}" and delivered.attempts == 3


def test_a_permanent_refusal_is_failed_and_never_retried(world: World) -> None:
    world.configure(FLAKY)
    Scripted.behaviour["flaky"] = "permanent"
    world.run()
    world.run(later=timedelta(hours=1))
    assert Scripted.calls["flaky"] == 1
    with world.store() as store:
        (row,) = store.outbox.recent(sink="flaky")
    assert (row.status, row.last_error) == ("failed", "PermanentError: bad signature (310000)")


def test_a_run_killed_after_storing_drifts_leaves_alerts_the_next_run_delivers(world: World) -> None:
    world.configure(JSONL + FLAKY)
    first = world.syncer()
    drifts = first.registry.aspects["warehouse_address"]  # what the killed run observed and recorded
    observation = drifts.observe(_context(first))
    plan = planner(first.sinks, run_id="killed", now=T0, redact=str)
    changes = first.store.drifts.record("s", "warehouse_address", drifts.diff(observation), now=T0, run_id="killed",
                                        alerts=plan)  # fmt: skip
    first.close()  # ... and the process died here, before delivering
    assert [r.id for r in changes.opened] == [1] and world.jsonl("alerts.jsonl") == []

    world.run(later=timedelta(minutes=5))  # sees the drift still open: no new alert, the stored ones go out
    assert world.jsonl("alerts.jsonl") == [("opened", "W1")] and kinds("flaky") == ["opened"]
    assert Scripted.received["flaky"][0].run_id == "killed"
    world.run(later=timedelta(minutes=5))
    assert world.jsonl("alerts.jsonl") == [("opened", "W1")] and kinds("flaky") == ["opened"]


def _context(syncer: Syncer):
    from erpsync.core.aspects.base import ObserveContext

    shop = syncer.settings.shops[0]
    return ObserveContext(
        shop="s",
        seller=syncer._connector(shop, "seller"),
        erp=syncer._connector(shop, "erp"),
        now=T0,
        memory=syncer.store.observations.for_shop("s"),
        settings={},
    )


def test_a_sink_that_hangs_is_abandoned_the_run_goes_on_and_the_next_run_delivers(world: World) -> None:
    hung = '[[alerts]]\ntype = "scripted"\nname = "hung"\nlabel = "hung"\ntimeout_seconds = 0.3\n'
    world.configure(hung + JSONL, warehouses=3)
    Scripted.behaviour["hung"] = "hang"
    lease_while_sending: list[object] = []
    with world.store() as probe:
        Scripted.on_send = lambda: lease_while_sending.append(probe.leases.get("shop:s", now=world.now))
        started = time.monotonic()
        syncer = world.syncer()
        report = syncer.run()
        syncer.close()
    assert time.monotonic() - started < 5  # three alerts, one timeout: the sink is not tried again
    assert report.exit_code == 2 and Scripted.calls["hung"] == 1
    assert lease_while_sending == [None]  # the shop's lease was released before any send
    assert syncer.last_delivery.timed_out == ["hung"]
    counted = syncer.last_delivery.counts()  # every due alert shows: one tried, two left untried
    assert (counted["retrying"], counted["untried"], counted["sinks_timed_out"]) == (1, 2, 1)
    assert world.jsonl("alerts.jsonl") == [("opened", "W1"), ("opened", "W2"), ("opened", "W3")]
    with world.store() as store:
        pending = store.outbox.all_pending("hung")
    assert [r.last_error for r in pending] == ["no answer within 0.3 s", None, None]

    Scripted.on_send = None
    Scripted.behaviour["hung"] = "ok"
    world.run(later=timedelta(minutes=1))
    assert [e.subject for e in Scripted.received["hung"]] == ["W1", "W2", "W3"]
    assert world.jsonl("alerts.jsonl") == [("opened", "W1"), ("opened", "W2"), ("opened", "W3")]


def test_a_burst_of_100_drifts_is_one_digest_to_a_rate_limited_sink(world: World) -> None:
    limited = '[[alerts]]\ntype = "limited"\nname = "robot"\nlabel = "robot"\n'
    world.configure(limited + JSONL, warehouses=100)
    world.run()
    (digest,) = Scripted.digests["robot"]
    assert len(digest) == 100 and "robot" not in Scripted.received  # one message, none sent singly
    assert len({e.id for e in digest}) == 100 and len(world.jsonl("alerts.jsonl")) == 100
    with world.store() as store:
        rows = store.outbox.recent(sink="robot")
        assert {(r.status, r.answer) for r in rows} == {("delivered", "digest of 100")}
        # the digest is one message of the limit, as the channel counts it: the resolutions
        # need not wait for the minute to pass
        world.erp(drift=False)
    world.run(later=timedelta(seconds=10))
    assert [len(d) for d in Scripted.digests["robot"]] == [100, 100]
    assert {e.event for e in Scripted.digests["robot"][1]} == {"resolved"}


def test_token_trouble_is_alerted_once_per_token(world: World) -> None:
    world.configure(JSONL)
    world.erp(drift=False)
    with world.store() as store:
        token = TokenRecord("a" * 20, T0 + timedelta(hours=4), "r" * 20, T0 + timedelta(days=3))
        store.tokens.put("s", token, now=T0)
    world.run()
    world.run(later=timedelta(hours=2))
    lines = [json.loads(x) for x in (world.path / "alerts.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [(a["kind"], a["aspect"], a["subject"], a["severity"]) for a in lines] == [
        ("token_expiring", "auth", "s", "warning")
    ]
    assert "erpsync auth url --shop s" in " ".join(s["en"] for s in lines[0]["steps"])
    assert "r" * 20 not in json.dumps(lines)  # the token itself never reaches an alert
    with world.store() as store:  # re-authorised: the new token is fine, nothing more
        store.tokens.put("s", TokenRecord("b" * 20, T0, "q" * 20, T0 + timedelta(days=365)), now=T0)
    world.run(later=timedelta(hours=2))
    assert len((world.path / "alerts.jsonl").read_text(encoding="utf-8").splitlines()) == 1


def test_alerts_undelivered_past_their_age_expire_and_are_reported(world: World, caplog) -> None:
    world.configure(FLAKY, alerting="[alerting]\nmax_age_hours = 2\n")
    Scripted.behaviour["flaky"] = "temporary"
    world.run()
    world.now += timedelta(hours=3)
    syncer = world.syncer()
    report = syncer.run()
    syncer.close()
    assert any(n.startswith("1 alert(s) expired undelivered") for n in report.notes)  # the report says so
    (expired,) = syncer.last_delivery.expired
    assert expired.status == "expired" and expired.sink == "flaky"
    assert syncer.last_delivery.notes()[0].startswith("1 alert(s) expired undelivered (sink flaky)")
    assert "expired undelivered" in caplog.text
    with world.store() as store:
        assert store.outbox.all_pending() == []
        assert (
            store.prune(_retention(), now=world.now + timedelta(days=31))["alerts (delivered, failed or expired)"] == 1
        )


def _retention():
    from erpsync.core.store import Retention

    return Retention()


def test_a_store_error_while_delivering_leaves_the_alerts_pending_and_the_run_goes_on(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """SQLite's "database is locked" after its busy timeout is SQLAlchemy's error, not erpsync's:
    delivery is what follows a shop, so it must not end the run."""
    from sqlalchemy.exc import OperationalError

    from erpsync.core.store.outbox import Outbox

    world.configure(JSONL)

    def locked(*args: object, **kwargs: object) -> None:
        raise OperationalError("SELECT outbox", {}, Exception("database is locked"))

    monkeypatch.setattr(Outbox, "due", locked)
    syncer = world.syncer()
    report = syncer.run()
    syncer.close()
    assert report.shops[0].ran and report.exit_code == 2  # reconciled: the drift is reported
    assert any("alert delivery failed" in r.getMessage() and "stay pending" in r.getMessage() for r in caplog.records)
    monkeypatch.undo()
    world.run(later=timedelta(minutes=1))
    assert world.jsonl("alerts.jsonl") == [("opened", "W1")]


def test_a_run_reports_the_alerts_left_waiting_for_a_channel_s_rate_limit(world: World) -> None:
    """The robot's 20 messages of the minute are used up: each shop's alert waits, unsent. The
    run's report says how many wait for which sink, as ``erpsync alerts deliver`` does, counting
    what waits after the run's last delivery (shop s's alert waited after s and again after t:
    one alert, not two)."""
    limited = '[[alerts]]\ntype = "limited"\nname = "robot"\nlabel = "robot"\n'
    world.configure(limited)
    config = world.path / "erpsync.toml"
    shop = config.read_text(encoding="utf-8").split("\n\n")[0]
    config.write_text(shop + "\n" + shop.replace('name = "s"', 'name = "t"', 1) + "\n\n" + limited, encoding="utf-8")
    with world.store() as store:
        store.outbox.add([OutboxItem(id=f"old-{n}", sink="robot", event={}) for n in range(20)], now=T0)
        for n in range(20):  # the minute's 20 messages, each its own
            store.outbox.mark_delivered(f"old-{n}", now=T0 - timedelta(seconds=30, microseconds=n), answer="ok")
    syncer = world.syncer()
    report = syncer.run()
    syncer.close()
    assert "robot" not in Scripted.digests and "robot" not in Scripted.received
    assert syncer.last_delivery.waiting == {"robot": 2}
    waits = "2 alert(s) for robot wait: its channel's rate limit has no room now; a later delivery sends them."
    assert waits in report.notes
