"""Prometheus metrics of ``erpsync run``, on a registry of their own (never the process-global one).

Names follow Prometheus' naming practices (the page "Metric and label naming": an application
prefix, base units, ``_total`` on counters). No metric has a shop label: an agency runs thousands of
shops, and a label per shop makes a time series per shop and aspect and result; which shop did what
is in the log lines (each names its shop). Labels are bounded by the configuration and the code:
aspect, result, outcome, API (an endpoint's path template), alert sink.

What the state store knows (open drifts, the alert outbox, paused shops, pending sync requests) is
read when Prometheus scrapes, so it is true whichever process changed it.
"""

from __future__ import annotations

import logging
import time
from collections import Counter as Tally
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from erpsync.core import http_observers
from erpsync.core.store import Store
from erpsync.service.jobs import JobResult

logger = logging.getLogger("erpsync.service.metrics")

PREFIX = "erpsync_"
#: a job's seconds: tracking on one shop takes about a second against a fast ERP, a listings run
#: of a large catalogue many minutes
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, float("inf"))


class StoreCollector(Collector):
    """Gauges read from the state store at scrape time; ``erpsync_store_up`` 0 when it cannot be read."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(PREFIX + "store_up", "1 when the state store answered this scrape, else 0")
        try:
            drifts = Tally(row.aspect for row in self.store.drifts.list_open())
            outbox = Tally(row.sink for row in self.store.outbox.all_pending())
            paused = len(self.store.shop_pauses.all())
        except Exception as exc:  # a scrape must answer: the store being down is itself the news
            logger.warning("metrics: the state store could not be read: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        open_drifts = GaugeMetricFamily(PREFIX + "drifts_open", "Drifts open now, by aspect", labels=["aspect"])
        for aspect, n in sorted(drifts.items()):
            open_drifts.add_metric([aspect], n)
        yield open_drifts
        depth = GaugeMetricFamily(
            PREFIX + "alert_outbox_depth", "Alerts waiting in the outbox for delivery, by sink", labels=["sink"]
        )
        for sink, n in sorted(outbox.items()):
            depth.add_metric([sink], n)
        yield depth
        yield GaugeMetricFamily(PREFIX + "shops_paused", "Shops whose jobs are paused", value=paused)


class ServiceMetrics:
    """The counters, histogram and gauges of one ``erpsync run`` process."""

    def __init__(self, store: Store | None = None) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.job_runs = Counter(
            PREFIX + "job_runs_total", "Jobs (one shop, one aspect) run, by result", ["aspect", "result"], registry=r
        )
        self.job_seconds = Histogram(
            PREFIX + "job_duration_seconds",
            "Seconds one job took, skipped jobs left out",
            ["aspect"],
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.pushes = Counter(
            PREFIX + "pushes_total",
            "Writes to Seller Center or the ERP (pushes and corrections), by outcome",
            ["aspect", "outcome"],
            registry=r,
        )
        self.api_calls = Counter(PREFIX + "api_calls_total", "HTTP requests sent, by API", ["api"], registry=r)
        self.api_rate_limited = Counter(
            PREFIX + "api_rate_limited_total",
            "HTTP requests the server refused as over its rate limit (429 or its own code), by API",
            ["api"],
            registry=r,
        )
        self.last_success = Gauge(
            PREFIX + "last_success_timestamp_seconds",
            "Unix time a job of the aspect last ended ok or with drift reported",
            ["aspect"],
            registry=r,
        )
        self.last_tick = Gauge(PREFIX + "last_tick_timestamp_seconds", "Unix time a job last ended", registry=r)
        if store is not None:
            r.register(StoreCollector(store))

    def job_done(self, result: JobResult) -> None:
        """Count one job's result (and its writes by outcome)."""
        self.job_runs.labels(result.aspect, result.status).inc()
        if result.status != "skipped":
            self.job_seconds.labels(result.aspect).observe(result.seconds)
        for outcome, n in result.writes.items():
            self.pushes.labels(result.aspect, outcome).inc(n)
        now = time.time()
        if result.status in ("ok", "drift"):
            self.last_success.labels(result.aspect).set(now)
        self.last_tick.set(now)

    def api_call(self, api: str, status: int | None, rate_limited: bool) -> None:
        """A ``core/http_observers`` observer: one HTTP request answered (or not)."""
        self.api_calls.labels(api).inc()
        if rate_limited:
            self.api_rate_limited.labels(api).inc()

    def observe_http(self) -> None:
        """Start counting the process's HTTP requests."""
        if self.api_call not in http_observers.CALL_OBSERVERS:
            http_observers.CALL_OBSERVERS.append(self.api_call)

    def stop_observing_http(self) -> None:
        if self.api_call in http_observers.CALL_OBSERVERS:
            http_observers.CALL_OBSERVERS.remove(self.api_call)
