"""What recording N drift changes and delivering their N alerts costs the store, in process CPU time.

A push of N packages opens N drifts as it reads them and resolves them in its re-read
(``bench/push_tracking.py``); a burst of non-routine drifts (ship-by warnings) adds an alert per
change, which a delivery pass sends one message each, or as one digest to a rate-limited channel.
Measured on a fresh SQLite file (or the database ``--url`` names: one that may be emptied):

- record: ``drifts.record`` opening N drifts, seeing them again worse (N escalations), and
  resolving them, without alerts (no sink) and with one alert per change for one sink;
- deliver: a ``Deliverer`` pass sending N pending alerts to a sink without a rate limit (one
  message, so one hold confirmed and one delivery recorded per alert) and to a sink whose limit
  folds them into one digest.

CPU time, not wall time: the machine the figures come from is shared. The sinks answer at once.

Usage: python bench/record_and_deliver.py [N] [--url URL]   (default 2000, SQLite)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from erpsync.alert_delivery import Deliverer
from erpsync.alert_outbox import ConfiguredSink, planner
from erpsync.core.config import AlertSettings
from erpsync.core.models import Drift, Severity
from erpsync.core.store import Store
from erpsync.plugins.alerts.base import AlertEvent, AlertSink

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class Each(AlertSink):
    """A channel without a rate limit: one message per alert."""

    type = "each"

    def send(self, event: AlertEvent) -> str:
        return "ok"


class Digest(Each):
    """A channel taking 20 messages a minute: more alerts than that go as one digest."""

    type = "digest"
    rate_limit = (20, 60)

    def send_digest(self, events: list[AlertEvent]) -> str:
        return "ok"


def drifts(n: int, severity: Severity = Severity.WARNING) -> list[Drift]:
    return [
        Drift(
            shop="bench",
            aspect="ship_by",
            kind="ship_by_near",
            subject=f"O{i}",
            field="latest_ship_time",
            seller_value=None,
            erp_value=f"SF{i:09d}",
            severity=severity,
            message=f"order O{i}: ship by tomorrow",
        )
        for i in range(n)
    ]


def record(store: Store, n: int, sinks: list[ConfiguredSink]) -> list[float]:
    """CPU of opening, escalating and resolving ``n`` drifts; an alert per change for each sink."""
    out = []
    for minute, found in enumerate((drifts(n), drifts(n, Severity.CRITICAL), [])):
        now = T0 + timedelta(minutes=minute)
        plan = planner(sinks, run_id=f"r{minute}", now=now, redact=str)
        start = time.process_time()
        store.drifts.record("bench", "ship_by", found, now=now, run_id="r", alerts=plan)
        out.append(time.process_time() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=2000)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    n = args.n
    with tempfile.TemporaryDirectory() as tmp:

        def fresh(name: str) -> Store:
            if args.url is None:
                return Store.open(f"sqlite:///{tmp}/{name}.db")
            store = Store.open(args.url)
            with store._engine.begin() as conn:  # a database the caller said may be emptied
                for table in ("alert_outbox", "drifts"):
                    conn.exec_driver_sql(f"DELETE FROM {table}")
            return store

        def sink(cls: type[AlertSink]) -> ConfiguredSink:
            return ConfiguredSink(AlertSettings(type=cls.type, name=cls.type, options={}), cls({}, base_dir=Path(tmp)))

        with fresh("quiet") as store:
            quiet = record(store, n, [])
        with fresh("alerted") as store:
            alerted = record(store, n, [sink(Each)])
        delivered = {}
        for cls in (Each, Digest):
            with fresh(cls.type) as store:
                target = sink(cls)
                now = datetime.now(UTC)  # the wall clock: delivery reads it, and expires what is old by it
                plan = planner([target], run_id="r", now=now, redact=str)
                store.drifts.record("bench", "ship_by", drifts(n), now=now, run_id="r", alerts=plan)
                start = time.process_time()
                Deliverer(store, [target]).deliver(now)
                delivered[cls.type] = time.process_time() - start
                assert not store.outbox.all_pending(), "every alert delivered"
    print(
        f"record_and_deliver: n={n} "
        f"record_cpu_s(open/escalate/resolve)={'/'.join(f'{s:.2f}' for s in quiet)} "
        f"with_alerts={'/'.join(f'{s:.2f}' for s in alerted)} "
        f"deliver_each_cpu_s={delivered['each']:.2f} deliver_digest_cpu_s={delivered['digest']:.2f}"
    )


if __name__ == "__main__":
    main()
