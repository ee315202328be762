"""/metrics' ``api`` label stays bounded: ERP calls are counted by their path template, never per record.

A REST ERP writes to ``PUT /orders/{id}`` once per order: labelled by the filled path, each order
would be one more Prometheus series, for as long as the process runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
import responses
from odoo_fixtures import OdooServer, make_connector, serving

from erpsync.connectors.rest import RestErp, RestOptions
from erpsync.core.connector import ShopContext
from erpsync.core.http import HttpPolicy
from erpsync.core.http_connector import HttpErpConnector
from erpsync.core.http_observers import api_name
from erpsync.core.models import HandoverMode
from erpsync.core.rate_limit import RATE_LIMITS
from erpsync.service.metrics import ServiceMetrics

BASE = "http://labels.test/api"
FIELDS = {"id": "id", "name": "name", "handover_mode": "handover"}
ORDERS = {
    "list": "/orders",
    "fields": {"order_id": "id", "status": "status", "updated_at": "at"},
    "update": "PUT /orders/{id}",
}


def rest_erp(cls: type[RestErp] = RestErp) -> RestErp:
    warehouses = {"list": "/warehouses", "fields": FIELDS, "update": "PATCH /warehouses/{id}"}
    options = {"base_url": BASE, "warehouses": warehouses, "orders": ORDERS}
    return cls(RestOptions().load(options), shop=ShopContext("shop", Path(".")))


@pytest.fixture
def metrics() -> Iterator[ServiceMetrics]:
    observing = ServiceMetrics()
    observing.observe_http()
    yield observing
    observing.stop_observing_http()


def api_labels(metrics: ServiceMetrics) -> dict[str, float]:
    return {
        s.labels["api"]: s.value
        for family in metrics.registry.collect()
        for s in family.samples
        if s.name == "erpsync_api_calls_total"
    }


@responses.activate
def test_rest_erp_writes_are_counted_by_the_mappings_template(metrics: ServiceMetrics) -> None:
    responses.put(re.compile(rf"{BASE}/orders/.+"), json={})
    responses.patch(re.compile(rf"{BASE}/warehouses/.+"), json={})
    erp = rest_erp()
    at = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(30):  # ids with and without digits: no guess at what an id looks like is needed
        erp.set_order_status(f"SO-2026-{n:05d}", "SHIPPED", at)
        erp.set_order_status(f"order-{chr(97 + n % 26)}", "SHIPPED", at)
    for code in ("WH-SZ", "WH-GZ", "仓 1"):
        erp.set_handover_mode(code, HandoverMode.DROP_OFF)
    assert api_labels(metrics) == {"rest /api/orders/{id}": 60, "rest /api/warehouses/{id}": 3}


@responses.activate
def test_a_rate_limited_rest_erp_paces_a_templates_calls_together() -> None:
    """The template is the rate key too: one bucket for every order (the same key a server that
    limits per endpoint counts by), instead of one never-full bucket per record, kept for good."""

    class Paced(RestErp):
        policy: ClassVar[HttpPolicy] = HttpPolicy(rate_limit_qps=1000.0)

    responses.put(re.compile(rf"{BASE}/orders/.+"), json={})
    erp = rest_erp(Paced)
    for n in range(3):
        erp.set_order_status(f"SO-{n}", "SHIPPED", datetime(2026, 1, 1, tzinfo=UTC))
    assert RATE_LIMITS.rate(("rest", "labels.test", "/api/orders/{id}")) == 1000.0
    assert RATE_LIMITS.rate(("rest", "labels.test", "/api/orders/SO-1")) is None


@responses.activate
def test_an_http_erp_names_its_template_on_reads_and_writes(metrics: ServiceMetrics) -> None:
    responses.get(re.compile(rf"{BASE}/warehouses/.+"), json={})
    responses.put(re.compile(rf"{BASE}/warehouses/.+"), json={})
    erp = rest_erp()
    for code in ("north", "south"):
        erp.get_json(f"/warehouses/{code}", operation="read", template="/warehouses/{id}")
        erp.send_json("PUT", f"/warehouses/{code}", {}, operation="write", template="/warehouses/{id}")
    assert api_labels(metrics) == {"rest /api/warehouses/{id}": 4}


@pytest.fixture
def odoo() -> Iterator[OdooServer]:
    with serving() as server:
        yield server


def test_odoo_json2_is_counted_by_model_and_method(odoo: OdooServer, metrics: ServiceMetrics) -> None:
    partner = odoo.create("res.partner", {"name": "联系人", "country_id": odoo.find("res.country", code="CN")})
    odoo.create("stock.warehouse", {"name": "仓", "code": "W1", "partner_id": partner}, id=11)
    make_connector("json2").list_warehouses()
    labels = set(api_labels(metrics))
    assert labels and all(label.startswith("odoo /json/2/") for label in labels), labels


def test_a_path_no_template_names_has_every_segment_holding_a_digit_as_an_id() -> None:
    names: set[Any] = {api_name("plugin", f"http://erp.local/api/orders/SO-2026-{n:05d}", None) for n in range(500)}
    names |= {api_name("plugin", f"http://erp.local/api/orders/{n}", None) for n in range(1000, 1500)}
    assert names == {"plugin /api/orders/{id}"}
    assert api_name("plugin", "http://erp.local/api/v2/orders/7/lines", None) == "plugin /api/v2/orders/{id}/lines"


def test_a_named_template_keeps_its_version_and_loses_a_long_id() -> None:
    assert api_name("tiktok", "https://x/a", ("app", "cipher", "/product/202309/products")) == (
        "tiktok /product/202309/products"
    )
    assert api_name("odoo", "https://x/json/2/res.partner/read", "/json/2/res.partner/read") == (
        "odoo /json/2/res.partner/read"
    )
    assert api_name("tiktok", "https://x/a", "/packages/1154900000012345/ship") == "tiktok /packages/{id}/ship"


class Unnamed(HttpErpConnector):
    """A plugin that names no template for its calls."""

    type = "acme"


@responses.activate
def test_a_plugin_call_naming_no_template_is_labelled_with_its_ids_as_id() -> None:
    """No template given: the client's rate key falls back to the path, but the label must not:
    each record's id would be a series of its own."""
    responses.get(re.compile(r"http://erp\.local/api/orders/.+"), json={})
    erp = Unnamed(Unnamed.Options().load({"base_url": "http://erp.local/api"}), shop=ShopContext("s", Path(".")))
    metrics = ServiceMetrics()
    metrics.observe_http()
    try:
        for n in range(3):
            erp.get_json(f"/orders/{4711 + n}", operation="read order")
            erp.get_json(f"/orders/SO-2026-{n:05d}", operation="read order")
    finally:
        metrics.stop_observing_http()
    assert api_labels(metrics) == {"acme /api/orders/{id}": 6}


class Paced(HttpErpConnector):
    type = "paced"
    policy: ClassVar[HttpPolicy] = HttpPolicy(rate_limit_qps=1000.0)


@responses.activate
def test_two_tenants_of_one_host_keep_their_own_pacers() -> None:
    """A template is relative to base_url: its rate key is the whole path, so two ERPs under one
    host do not share a budget the server keeps apart."""
    responses.put(re.compile(r"http://saas\.erp/.+"), json={})
    for tenant in ("tenant-a", "tenant-b"):
        erp = Paced(
            Paced.Options().load({"base_url": f"http://saas.erp/{tenant}"}), shop=ShopContext(tenant, Path("."))
        )
        erp.send_json("PUT", "/orders/7", {}, operation="write", template="/orders/{id}")
    assert RATE_LIMITS.rate(("paced", "saas.erp", "/tenant-a/orders/{id}")) == 1000.0
    assert RATE_LIMITS.rate(("paced", "saas.erp", "/tenant-b/orders/{id}")) == 1000.0
