"""/metrics and /healthz of `erpsync run`: names, labels (never a shop), and the health answer."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import responses
from prometheus_client import REGISTRY, generate_latest
from test_service_scheduler import SHOP

from erpsync.core.http import HttpClient, HttpPolicy
from erpsync.core.http_observers import CALL_OBSERVERS, api_name
from erpsync.core.store import Store
from erpsync.service.endpoints import health, make_app
from erpsync.service.jobs import JobContext, JobResult
from erpsync.service.metrics import ServiceMetrics
from erpsync.service.scheduler import EmbeddedScheduler


@pytest.fixture
def ctx(tmp_path: Path):
    config = tmp_path / "erpsync.toml"
    config.write_text(SHOP.format(name="a", aspects='aspects = ["tracking"]'), encoding="utf-8")
    context = JobContext.open(config)
    yield context
    context.close()


def samples(metrics: ServiceMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in metrics.registry.collect()
        for s in family.samples
    }


def test_job_results_are_counted_by_aspect_and_result_never_by_shop(store):
    metrics = ServiceMetrics(store)
    metrics.job_done(JobResult("shop-1", "tracking", "ok", "r1", 1.5, "", {"applied": 3, "failed": 1}))
    metrics.job_done(JobResult("shop-2", "tracking", "skipped", None, 0.0, "paused"))
    metrics.job_done(JobResult("shop-2", "pickup", "drift", "r2", 0.2))
    got = samples(metrics)
    assert got[("erpsync_job_runs_total", (("aspect", "tracking"), ("result", "ok")))] == 1
    assert got[("erpsync_job_runs_total", (("aspect", "tracking"), ("result", "skipped")))] == 1
    assert got[("erpsync_pushes_total", (("aspect", "tracking"), ("outcome", "applied")))] == 3
    assert got[("erpsync_pushes_total", (("aspect", "tracking"), ("outcome", "failed")))] == 1
    assert got[("erpsync_job_duration_seconds_count", (("aspect", "tracking"),))] == 1  # skipped left out
    assert got[("erpsync_last_success_timestamp_seconds", (("aspect", "pickup"),))] > 0
    assert got[("erpsync_store_up", ())] == 1
    for (name, labels), _ in got.items():
        assert name.startswith("erpsync_")
        assert "shop" not in dict(labels)
    assert b"erpsync_" not in generate_latest(REGISTRY)  # its own registry, not the global one


def test_store_gauges_are_read_at_scrape_time(store):
    metrics = ServiceMetrics(store)
    assert samples(metrics)[("erpsync_shops_paused", ())] == 0
    store.shop_pauses.pause("shop-1", reason="deauthorised", now=datetime.now(UTC))
    assert samples(metrics)[("erpsync_shops_paused", ())] == 1


def test_an_unreadable_store_is_reported_not_raised(tmp_path):
    db = tmp_path / "state.db"
    store = Store.open(f"sqlite:///{db}")
    metrics = ServiceMetrics(store)
    store.close()
    db.write_bytes(b"not a database" * 100)
    try:
        assert samples(metrics)[("erpsync_store_up", ())] == 0
    finally:
        store.close()


@responses.activate
def test_api_calls_and_429s_are_counted_by_api_through_the_http_seam():
    metrics = ServiceMetrics()
    metrics.observe_http()
    try:
        url = "https://open.example.com/fulfillment/202309/packages/1154900000012345/ship"
        responses.post(url, status=429, headers={"Retry-After": "0"})
        responses.post(url, json={"code": 0})
        client = HttpClient("tiktok", HttpPolicy(max_attempts=3, backoff_initial=0, backoff_jitter=0))
        # the TikTok client always names its rate key: (app, cipher, the path's template)
        template = "/fulfillment/202309/packages/{package_id}/ship"
        client.request("POST", url, idempotent=True, rate_key=("app", "cipher", template))
        api = "tiktok /fulfillment/202309/packages/{package_id}/ship"
        got = samples(metrics)
        assert got[("erpsync_api_calls_total", (("api", api),))] == 2
        assert got[("erpsync_api_rate_limited_total", (("api", api),))] == 1
    finally:
        metrics.stop_observing_http()
    assert metrics.api_call not in CALL_OBSERVERS


def test_api_names_keep_the_template_and_drop_ids():
    assert api_name("tiktok", "https://x/a", ("app", "cipher", "/product/202309/products")) == (
        "tiktok /product/202309/products"
    )
    assert api_name("rest", "https://x/orders/ab12cd34ef56gh78ij90", None) == "rest /orders/{id}"


def call(app, path: str, method: str = "GET") -> tuple[str, dict[str, str], bytes]:
    seen: dict[str, object] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(app({"PATH_INFO": path, "REQUEST_METHOD": method}, start_response))
    return str(seen["status"]), dict(seen["headers"]), body  # type: ignore[arg-type]


def test_healthz_is_503_until_the_scheduler_runs_then_200(ctx):
    scheduler = EmbeddedScheduler(ctx)
    metrics = ServiceMetrics(ctx.store)
    app = make_app(scheduler, ctx.store, metrics)
    status, headers, body = call(app, "/healthz")
    assert status.startswith("503") and headers["Content-Type"] == "application/json"
    assert json.loads(body)["scheduler_running"] is False
    scheduler.start()
    try:
        status, _, body = call(app, "/healthz")
        answer = json.loads(body)
        assert status.startswith("200"), answer
        assert answer["store_reachable"] is True and answer["jobs"] == 1 and answer["status"] == "ok"
        status, headers, body = call(app, "/metrics")
        assert status.startswith("200") and headers["Content-Type"].startswith("text/plain")
        assert b"erpsync_store_up 1.0" in body
        assert call(app, "/nothing")[0].startswith("404")
        assert call(app, "/healthz", "POST")[0].startswith("405")
    finally:
        scheduler.shutdown(wait=True)
    assert health(scheduler, ctx.store)[0] == 503
