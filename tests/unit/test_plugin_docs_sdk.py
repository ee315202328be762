"""What ``docs/plugins.md`` says of the SDK names a connector author meets least often.

Each test holds the guide to its word for one part of ``erpsync.sdk``: the capability table, the
two request signers, the error hierarchy, the HTTP client, the pickup evidence a seller backend
returns, and options validated with marshmallow's ``validate``. HTTP is staged with
``responses``; the client under it is the real one.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import requests
import responses

from erpsync import sdk

URL = "http://erp.example/api"


def test_capabilities_name_the_protocols_the_guide_lists():
    assert dict(sdk.CAPABILITIES) == {
        "warehouses": sdk.WarehouseReader,
        "addresses": sdk.WarehouseWriter,
        "handover": sdk.PickupWriter,
        "pickup_signals": sdk.PickupReader,
        "batch": sdk.BatchWriter,
        "products": sdk.ProductReader,
        "shipments": sdk.ShipmentReader,
        "order_statuses": sdk.OrderStatusBook,
    }


class Shop(sdk.ErpConnector):
    """An ERP with a catalogue, parcels and order statuses, as the guide's capability table has them."""

    type = "shop-erp"
    Options = sdk.Schema
    capabilities = ("products", "shipments", "order_statuses")

    def __init__(self, options: dict, *, shop: sdk.ShopContext) -> None:
        super().__init__(options, shop=shop)
        self.statuses: dict[str, sdk.ErpOrderStatus] = {}

    def read_products(self) -> sdk.Records[sdk.ErpProduct]:
        sku = sdk.ErpSku("TEA-LJ-250", Decimal("128.00"), 40, source="sku 1")
        return sdk.Records((sdk.ErpProduct("P1", "龙井", "", "CNY", (sku,), source="product P1"),))

    def list_shipments(self) -> sdk.Records[sdk.ErpShipment]:
        return sdk.Records((sdk.ErpShipment("S1", "1154000000000000101", "576900000000000101", "SF1", "顺丰速运"),))

    def order_statuses(self, order_ids):
        return sdk.Records(tuple(self.statuses[i] for i in order_ids if i in self.statuses))

    def set_order_status(self, order_id: str, status: str, updated_at: datetime) -> None:
        self.statuses[order_id] = sdk.ErpOrderStatus(order_id, status, updated_at, source="memory")


def test_products_shipments_and_order_statuses_are_capabilities_with_sdk_models():
    erp = Shop({}, shop=sdk.ShopContext("shop", Path.cwd()))
    assert isinstance(erp, sdk.ProductReader) and isinstance(erp, sdk.ShipmentReader)
    assert isinstance(erp, sdk.OrderStatusBook) and not isinstance(erp, sdk.WarehouseReader)
    (product,) = erp.read_products().items
    assert product.skus[0].price == Decimal("128.00") and product.currency == "CNY"
    assert erp.list_shipments().items[0].tracking_number == "SF1"
    when = datetime(2026, 3, 2, 8, 15, tzinfo=UTC)
    erp.set_order_status("576900000000000101", "CANCELLED", when)
    (status,) = erp.order_statuses(["576900000000000101", "absent"]).items
    assert (status.status, status.updated_at) == ("CANCELLED", when)

    class Partial(sdk.ErpConnector):
        type = "partial"
        Options = sdk.Schema
        capabilities = ("order_statuses",)

        def order_statuses(self, order_ids):
            return None

    assert Partial.__abstractmethods__ == frozenset({"set_order_status"})


def prepared(method: str, url: str, body: bytes | None = None) -> requests.PreparedRequest:
    return requests.Request(method, url, data=body).prepare()


def test_bearer_auth_sends_the_token_in_the_header_it_is_told():
    assert prepared("GET", URL).headers.get("Authorization") is None
    r = sdk.BearerAuth("tok-12345678")(prepared("GET", URL))
    assert r.headers["Authorization"] == "Bearer tok-12345678"
    r = sdk.BearerAuth("tok-12345678", header="X-Api-Key", scheme="")(prepared("GET", URL))
    assert r.headers["X-Api-Key"] == "tok-12345678" and "Authorization" not in r.headers


def test_hmac_auth_signs_as_the_guide_says():
    """The hex HMAC-SHA256 of timestamp, method, path with query and the body's hex SHA-256, by newlines."""
    body = b'{"phone": "13800138000"}'
    r = sdk.HmacAuth("hmac-secret-123", key_id="k1", clock=lambda: 1_700_000_000.7)(
        prepared("patch", f"{URL}/warehouses/W1?x=1", body)
    )
    message = "\n".join(("1700000000", "PATCH", "/api/warehouses/W1?x=1", hashlib.sha256(body).hexdigest()))
    expected = hmac.new(b"hmac-secret-123", message.encode(), hashlib.sha256).hexdigest()
    assert r.headers["X-Key-Id"] == "k1"
    assert r.headers["X-Timestamp"] == "1700000000"
    assert r.headers["X-Signature"] == expected


def test_every_error_a_connector_raises_is_a_connector_error_and_an_erpsync_error():
    for cls in (sdk.TemporaryError, sdk.PermanentError, sdk.AuthError, sdk.NotFoundError):
        assert issubclass(cls, sdk.ConnectorError) and issubclass(cls, sdk.ErpsyncError)
    assert issubclass(sdk.PluginError, sdk.ErpsyncError) and issubclass(sdk.RecordError, sdk.ErpsyncError)
    error = sdk.PermanentError("bad request", connector="acme", operation="set address")
    assert "acme" in str(error) and "set address" in str(error)


@responses.activate
def test_http_client_maps_statuses_and_redacts_its_secrets():
    secret = "tok-SECRET-98765"
    client = sdk.HttpClient("acme", sdk.HttpPolicy(max_attempts=1), secrets=[secret])
    responses.add(responses.GET, f"{URL}/ok", json={"data": []})
    responses.add(responses.GET, f"{URL}/busy", status=503, body=f"overloaded, token {secret}")
    responses.add(responses.GET, f"{URL}/bad", status=400, body=f"bad request, token {secret}")
    try:
        assert client.request("GET", f"{URL}/ok", operation="list").json() == {"data": []}
        with pytest.raises(sdk.TemporaryError) as temporary:
            client.request("GET", f"{URL}/busy", operation="list")
        with pytest.raises(sdk.PermanentError) as permanent:
            client.request("GET", f"{URL}/bad", operation="list")
    finally:
        client.close()
    for error in (temporary.value, permanent.value):
        assert secret not in str(error) and secret not in repr(error)
    assert client.redact(f"say {secret}") == "say ***"


class Seller(sdk.Connector):
    """A seller backend that reads pickup evidence, as the built-in TikTok connector does."""

    type = "seller-with-signals"
    role = "seller"
    Options = sdk.Schema

    def read_pickup_signals(self, warehouse_ids, *, since):
        package = sdk.PackageSignal("P1", "WH-DG", sdk.HandoverMode.DROP_OFF, "SF2000000000001", since)
        slot = sdk.SlotSignal("P1", can_pickup=False, can_drop_off=True)
        return sdk.Records(tuple(sdk.PickupSignals(w, slot, (package,)) for w in warehouse_ids))


def test_pickup_signals_are_what_a_pickup_reader_returns():
    seller = Seller({}, shop=sdk.ShopContext("shop", Path.cwd()))
    assert isinstance(seller, sdk.PickupReader) and not isinstance(seller, sdk.PickupWriter)
    since = datetime(2026, 1, 1, tzinfo=UTC)
    (signals,) = seller.read_pickup_signals(["WH-DG"], since=since).items
    assert isinstance(signals, sdk.PickupSignals) and signals.warehouse_id == "WH-DG"
    assert isinstance(signals.slots, sdk.SlotSignal) and signals.slots.can_drop_off
    (package,) = signals.packages
    assert isinstance(package, sdk.PackageSignal) and package.handover_method is sdk.HandoverMode.DROP_OFF


class PagedOptions(sdk.HttpErpOptions):
    page_size = sdk.fields.Integer(load_default=100, validate=sdk.validate.Range(min=1, max=500))


def test_options_validate_with_the_sdks_marshmallow():
    assert PagedOptions().load({"base_url": URL})["page_size"] == 100
    with pytest.raises(sdk.ValidationError) as exc:
        PagedOptions().load({"base_url": URL, "page_size": 0})
    assert "page_size" in exc.value.messages
