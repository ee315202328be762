"""``erpsync run``'s endpoint server serves the status page beside ``/healthz`` and ``/metrics``."""

from __future__ import annotations

from test_service_metrics import ctx  # noqa: F401 (the fixture)
from werkzeug.test import Client

from erpsync.service.endpoints import make_app
from erpsync.service.metrics import ServiceMetrics
from erpsync.service.scheduler import EmbeddedScheduler
from erpsync.ui.app import status_app


def test_status_page_mounted_beside_health_and_metrics(ctx):  # noqa: F811
    ui = status_app(ctx.store, ctx.settings, list(ctx.registry.aspects))
    client = Client(make_app(EmbeddedScheduler(ctx), ctx.store, ServiceMetrics(ctx.store), ui))
    overview = client.get("/")
    assert overview.status_code == 200 and overview.headers["Content-Type"].startswith("text/html")
    for shop in ctx.settings.shops:  # every configured shop, none has run yet
        assert f'data-shop="{shop.name}" data-state="never_run"' in overview.get_data(as_text=True)
    assert client.get("/healthz").headers["Content-Type"] == "application/json"
    assert client.get("/metrics").status_code == 200
    assert client.post("/healthz").status_code == 405
    assert client.post("/actions/run", data={"shop": ctx.settings.shops[0].name}).status_code == 403
    assert client.get("/nowhere").status_code == 404
