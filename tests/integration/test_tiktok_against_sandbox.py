"""The TikTok client against the sandbox over loopback: the two were written apart from one
contract (docs/open-api-full.md) and share no code, so each call here checks both."""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import requests
from image_bytes import png
from werkzeug.serving import make_server

from erpsync.connectors.tiktok.auth import TokenClient, TokenManager
from erpsync.connectors.tiktok.client import TikTokClient
from erpsync.connectors.tiktok.fulfillment.api import FulfillmentApi
from erpsync.connectors.tiktok.fulfillment.errors import AlreadyShippedError, ShippingInfoWindowClosedError
from erpsync.connectors.tiktok.fulfillment.models import Shipment
from erpsync.connectors.tiktok.orders.api import OrdersApi
from erpsync.connectors.tiktok.products.api import ProductsApi
from erpsync.connectors.tiktok.products.models import AuditStatus, NewProduct, NewSku, ProductStatus
from erpsync.connectors.tiktok.seller import TikTokSellerConnector
from erpsync.connectors.tiktok.webhooks.models import (
    AuthorizationExpiring,
    CancellationStatusChanged,
    OrderStatusChanged,
    PackageUpdated,
    ProductAuditStatusChanged,
    ProductInformationChanged,
    ProductStatusChanged,
    RecipientAddressUpdated,
    ReturnStatusChanged,
    SellerDeauthorized,
)
from erpsync.connectors.tiktok.webhooks.receiver import WebhookReceiver, make_wsgi_app
from erpsync.core.connector import ShopContext
from erpsync.core.errors import NotFoundError, PermanentError
from erpsync.core.http import HttpPolicy
from erpsync.core.store import Store
from erpsync.sandbox import SandboxServer

pytestmark = pytest.mark.integration

APP_KEY, APP_SECRET, TOKEN = "sandbox-app-key", "sandbox-app-secret", "sandbox-access-token"
SHOP = "7495000000000000101"
PNG = png()  # a 300x300 product photo: MAIN_IMAGE takes 300x300 to 4000x4000 px


@pytest.fixture
def sandbox():
    with SandboxServer(scenario="default") as server:
        yield server


def new_order(sandbox, warehouse="WH-DG-01", **extra):
    """An order for a real SKU of the scenario, as Seller Center would have it."""
    body = {"warehouse_id": warehouse, "line_items": [{"seller_sku": "MUG-350-RED"}], **extra}
    return admin(sandbox, "POST", "orders", body)


def admin(sandbox, method, path, body=None):
    r = requests.request(method, f"{sandbox.url}/_sandbox/{path}", json=body, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["data"]


@pytest.fixture
def client(sandbox):
    c = TikTokClient(sandbox.url, APP_KEY, APP_SECRET, TOKEN)
    yield c
    c.close()


@pytest.fixture
def cipher(client):
    return client.shop_cipher(SHOP)


def test_product_lifecycle_approved_then_price_and_inventory(sandbox, client, cipher):
    api = ProductsApi(client, cipher)
    image = api.upload_image(PNG, "mug.png")
    created = api.create_product(
        NewProduct(
            title="Enamel camping mug",
            description="Steel mug with enamel coating.",
            category_id="600001",
            main_images=[image],
            skus=[NewSku("CAMP-MUG-1", "6.50", "GBP", {"WH-DG-01": 10, "WH-SZ-01": 5})],
        )
    )
    product = api.get_product(created.product_id)
    assert product.audit_status is AuditStatus.AUDITING
    admin(sandbox, "POST", "clock", {"advance_seconds": 3600})
    product = api.get_product(created.product_id)
    assert (product.status, product.audit_status) == (ProductStatus.ACTIVATE, AuditStatus.APPROVED)

    sku_id = created.skus["CAMP-MUG-1"]
    api.update_prices(created.product_id, {sku_id: (Decimal("7.25"), "GBP")})
    assert api.update_inventory(created.product_id, {sku_id: {"WH-DG-01": 99_999, "WH-SZ-01": 0}}) == []
    sku = api.get_product(created.product_id).skus[0]
    assert sku.price.amount == Decimal("7.25")
    assert dict((i.warehouse_id, i.quantity) for i in sku.inventory) == {"WH-DG-01": 99_999, "WH-SZ-01": 0}

    found = [p.id for page in api.search_products(seller_skus=["CAMP-MUG-1"]) for p in page.items]
    assert found == [created.product_id]
    effects = admin(sandbox, "GET", "effects")
    assert effects["product_create"] and effects["price_update"] and effects["inventory_update"]


def test_product_audit_fails_with_reasons(sandbox, client, cipher):
    api = ProductsApi(client, cipher)
    uri = api.upload_image(PNG, "bag.png").uri
    created = api.create_product(
        NewProduct(
            "Designer replica handbag",
            "Leather bag.",
            "600001",
            [uri],
            [NewSku("BAG-R", "20", "GBP", {"WH-DG-01": 1, "WH-SZ-01": 1})],
        )
    )
    admin(sandbox, "POST", "clock", {"advance_seconds": 3600})
    product = api.get_product(created.product_id)
    assert (product.status, product.audit_status) == (ProductStatus.FAILED, AuditStatus.FAILED)
    assert "counterfeit" in " ".join(r for f in product.audit_failed_reasons for r in f.reasons)
    with pytest.raises(PermanentError) as info:  # price updates need an ACTIVATE product
        api.update_prices(created.product_id, {product.skus[0].id: ("21", "GBP")})
    assert info.value.code == 12052901  # "not available for this operation in its current status"


def test_catalogue_search_streams_pages(sandbox, client, cipher):
    api = ProductsApi(client, cipher)
    pages = list(api.search_products(page_size=1))
    assert len(pages) >= 2 and all(len(p.items) == 1 for p in pages)
    ids = [p.items[0].id for p in pages]
    assert len(ids) == len(set(ids))


def test_ship_exactly_once_and_the_72h_rule(sandbox, client, cipher):
    # a package the seller ships: self_shipment and number corrections are for those only
    order = new_order(sandbox, status="AWAITING_SHIPMENT", shipping_type="SELLER")
    package_id = order["packages"][0]["id"]
    api = FulfillmentApi(client, cipher)
    providers = api.shipping_providers("WH-DG-01")
    sf = next(p for p in providers if "SF" in p.name)
    api.ship_package(package_id, handover_method="DROP_OFF", tracking_number="SF1234567890", shipping_provider_id=sf.id)
    with pytest.raises(AlreadyShippedError):
        api.ship_package(
            package_id, handover_method="DROP_OFF", tracking_number="SF1234567890", shipping_provider_id=sf.id
        )
    assert admin(sandbox, "GET", "effects")["ship"] == {package_id: 1}
    assert api.get_package(package_id).tracking_number == "SF1234567890"
    (detail,) = OrdersApi(client, cipher).get_orders([order["id"]]).items
    assert detail.status.value == "AWAITING_COLLECTION"

    api.update_shipping_info(package_id=package_id, tracking_number="SF1234567891", shipping_provider_id=sf.id)
    admin(sandbox, "POST", "clock", {"advance_seconds": 73 * 3600})
    with pytest.raises(ShippingInfoWindowClosedError):
        api.update_shipping_info(package_id=package_id, tracking_number="SF1234567892", shipping_provider_id=sf.id)
    assert api.order_tracking(order["id"])


def test_batch_ship_reports_each_package(sandbox, client, cipher):
    ids = [new_order(sandbox)["packages"][0]["id"] for _ in range(3)]
    api = FulfillmentApi(client, cipher)
    api.ship_package(ids[0], handover_method="DROP_OFF")
    result = api.ship_packages([Shipment(i, "DROP_OFF") for i in [*ids, "999999999"]])
    assert sorted(result.shipped) == sorted(ids[1:])
    assert result.already_shipped == [ids[0]]
    assert list(result.failed) == ["999999999"]
    assert admin(sandbox, "GET", "effects")["ship"] == {i: 1 for i in ids}


def test_orders_paging_batches_and_incremental(sandbox, client, cipher):
    for _ in range(60):
        new_order(sandbox, "WH-SZ-01")
    api = OrdersApi(client, cipher)
    pages = list(api.search_orders(page_size=25))
    orders = [o for p in pages for o in p.items]
    assert len(pages) >= 3 and len({o.id for o in orders}) == len(orders)
    assert all(not p.errors for p in pages)
    batch = api.get_orders([o.id for o in orders])  # > 50 ids → several calls
    assert len(batch.items) == len(orders)
    unpaid = new_order(sandbox, "WH-SZ-01", status="UNPAID")
    (o,) = api.get_orders([unpaid["id"]]).items
    assert o.recipient_address is None
    now = int(datetime.now(UTC).timestamp()) + 5
    changed = {o.id for page in api.changed_since(now - 3600, now=now) for o in page.items}
    assert unpaid["id"] in changed


def test_expired_token_is_refreshed_once(sandbox, tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    code = admin(sandbox, "GET", f"authorize?app_key={APP_KEY}&shop_id={SHOP}")["code"]
    tokens = TokenClient(sandbox.url, APP_KEY, APP_SECRET)
    store.tokens.put("shop", tokens.exchange(code), now=datetime.now(UTC))
    manager = TokenManager("shop", store.tokens, tokens)
    client = TikTokClient(sandbox.url, APP_KEY, APP_SECRET, tokens=manager)
    first = store.tokens.get("shop").access_token
    assert client.warehouses(client.shop_cipher(SHOP)).items
    assert refresh_calls(sandbox) == 0
    admin(sandbox, "POST", "tokens/expire", {"access_token": first})
    assert client.warehouses(client.shop_cipher(SHOP)).items  # 105002 → refresh → retried
    assert store.tokens.get("shop").access_token != first
    assert refresh_calls(sandbox) == 1
    admin(sandbox, "POST", "tokens/expire", {"refresh_token": store.tokens.get("shop").refresh_token})
    admin(sandbox, "POST", "tokens/expire", {"access_token": store.tokens.get("shop").access_token})
    with pytest.raises(PermanentError, match="erpsync auth url"):
        client.warehouses(client.shop_cipher(SHOP))
    assert refresh_calls(sandbox) == 2  # the rejected refresh (36004001) is not retried
    client.close()
    store.close()


def refresh_calls(sandbox) -> int:
    return admin(sandbox, "GET", "counts")["paths"].get("/api/v2/token/refresh", {}).get("calls", 0)


def test_rotated_refresh_token_is_stored_and_used_next_time(sandbox, tmp_path):
    admin(sandbox, "POST", "settings", {"rotate_refresh_tokens": True})
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    code = admin(sandbox, "GET", f"authorize?app_key={APP_KEY}&shop_id={SHOP}")["code"]
    tokens = TokenClient(sandbox.url, APP_KEY, APP_SECRET)
    store.tokens.put("shop", tokens.exchange(code), now=datetime.now(UTC))
    original = store.tokens.get("shop")
    client = TikTokClient(sandbox.url, APP_KEY, APP_SECRET, tokens=TokenManager("shop", store.tokens, tokens))
    try:
        cipher = client.shop_cipher(SHOP)
        admin(sandbox, "POST", "tokens/expire", {"access_token": original.access_token})
        assert client.warehouses(cipher).items  # 105002 → refresh (rotating) → retried
        first = store.tokens.get("shop")
        assert first.refresh_token != original.refresh_token  # the NEW refresh token was stored
        assert first.access_token != original.access_token
        with pytest.raises(PermanentError) as spent:  # the old refresh token no longer works
            tokens.refresh(original.refresh_token)
        assert spent.value.code == 36004005
        admin(sandbox, "POST", "tokens/expire", {"access_token": first.access_token})
        assert client.warehouses(cipher).items  # the second refresh uses the stored new token
        second = store.tokens.get("shop")
        assert second.refresh_token not in (original.refresh_token, first.refresh_token)
        assert refresh_calls(sandbox) == 3  # two by the manager, one rejected above
    finally:
        client.close()
        store.close()


def test_webhooks_delivered_verified_and_deduplicated(sandbox, tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    received: list = []
    receiver = WebhookReceiver(APP_KEY, APP_SECRET, store.notifications)
    server = make_server("127.0.0.1", 0, make_wsgi_app(receiver, received.append), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        admin(sandbox, "POST", "webhooks", {"url": f"http://127.0.0.1:{server.server_port}/tiktok"})
        order = new_order(sandbox, status="AWAITING_SHIPMENT")
        admin(sandbox, "POST", f"orders/{order['id']}/status", {"status": "CANCELLED"})
        deadline = datetime.now(UTC) + timedelta(seconds=60)  # bounds a hang only
        while not any(isinstance(e, OrderStatusChanged) and e.status == "CANCELLED" for e in received):
            assert datetime.now(UTC) < deadline, received
            threading.Event().wait(0.1)
        event = next(e for e in received if isinstance(e, OrderStatusChanged) and e.status == "CANCELLED")
        assert event.raw_status == "CANCEL" and event.order_id == order["id"]
        settled(sandbox)  # every earlier delivery answered, so nothing else can still arrive
        before = len(received)
        (redelivery,) = admin(sandbox, "POST", "webhooks/redeliver", {"count": 1})["redelivered"]
        assert redelivery["tts_notification_id"] == settled(sandbox)[-2]["tts_notification_id"]
        done = next(d for d in settled(sandbox) if d["id"] == redelivery["id"])
        assert done["attempts"] == 1  # delivered (HTTP 200) at the first try...
        assert len(received) == before  # ...and, carrying the same id, not handled again
        assert sum(isinstance(e, OrderStatusChanged) and e.status == "CANCELLED" for e in received) == 1
        assert all(d["state"] == "delivered" and d["last_status"] == 200 for d in settled(sandbox))
    finally:
        server.shutdown()
        store.close()


#: every webhook type the guide documents, and the typed event the receiver must make of it
DOCUMENTED_TYPES = {
    1: OrderStatusChanged,
    3: RecipientAddressUpdated,
    4: PackageUpdated,
    5: ProductStatusChanged,
    6: SellerDeauthorized,
    7: AuthorizationExpiring,
    11: CancellationStatusChanged,
    12: ReturnStatusChanged,
    15: ProductInformationChanged,
    37: ProductAuditStatusChanged,
}


@pytest.mark.parametrize("omit_id", [False, True], ids=["with-notification-id", "without-notification-id"])
def test_every_documented_webhook_type_is_parsed_and_nothing_is_kept_aside(sandbox, tmp_path, omit_id):
    """The sandbox fills each type's documented fields itself; the receiver, written apart, must type them all."""
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    received: list = []
    server = make_server(
        "127.0.0.1", 0, make_wsgi_app(WebhookReceiver(APP_KEY, APP_SECRET, store.notifications), received.append)
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        admin(sandbox, "POST", "settings", {"webhook_omit_notification_id": omit_id})
        admin(sandbox, "POST", "webhooks", {"url": f"http://127.0.0.1:{server.server_port}/tiktok"})
        for kind in DOCUMENTED_TYPES:
            admin(sandbox, "POST", "webhooks/emit", {"type": kind})
        deliveries = settled(sandbox)
        assert len(deliveries) == len(DOCUMENTED_TYPES)
        assert {type(e) for e in received} == set(DOCUMENTED_TYPES.values())
        assert all((e.notification_id is None) is omit_id for e in received)
        assert all(e.shop_id == SHOP for e in received)
        assert store.notifications.list_kept() == []
    finally:
        server.shutdown()
        store.close()


def settled(sandbox, timeout: float = 60.0) -> list[dict]:
    """The sandbox's deliveries once none is waiting (pending or retrying); each must have answered 200."""
    deadline = datetime.now(UTC) + timedelta(seconds=timeout)
    while True:
        deliveries = admin(sandbox, "GET", "webhooks")["deliveries"]
        if deliveries and all(d["state"] not in ("pending", "retrying") for d in deliveries):
            assert all(d["state"] == "delivered" and d["last_status"] == 200 for d in deliveries), deliveries
            return deliveries
        assert datetime.now(UTC) < deadline, deliveries
        threading.Event().wait(0.05)


@pytest.mark.parametrize("fault", ["fail_after_commit", "drop_after_commit"])
def test_create_product_is_not_doubled_when_its_answer_is_lost(sandbox, fault):
    policy = HttpPolicy(backoff_initial=0.01, backoff_jitter=0, rate_limit_qps=50)
    client = TikTokClient(sandbox.url, APP_KEY, APP_SECRET, TOKEN, policy=policy)
    try:
        api = ProductsApi(client, client.shop_cipher(SHOP))
        image = api.upload_image(PNG, "mug.png")
        admin(sandbox, "POST", "faults", {fault: 1, "commit_fault_paths": ["/product/202309/products"]})
        sku = f"LOST-{fault}"
        created = api.create_product(
            NewProduct("Lost-answer mug", "d", "600001", [image], [NewSku(sku, "6.50", "GBP", {"WH-DG-01": 1})])
        )
        mine = [p for p in admin(sandbox, "GET", "products")["products"] if p["skus"][0]["seller_sku"] == sku]
        assert len(mine) == 1
        assert admin(sandbox, "GET", "effects")["product_create"] == {sku: 1}
        assert created.product_id == mine[0]["id"] and created.skus == {sku: mine[0]["skus"][0]["id"]}
        row = admin(sandbox, "GET", "counts")["paths"]["/product/202309/products"]
        assert row["calls"] == 1  # sent once, then looked up by seller_sku
    finally:
        client.close()


def test_ship_is_not_doubled_when_its_answer_is_lost(sandbox, client, cipher):
    package_id = new_order(sandbox)["packages"][0]["id"]
    admin(sandbox, "POST", "faults", {"fail_after_commit": 1})
    api = FulfillmentApi(client, cipher)
    with contextlib.suppress(AlreadyShippedError):  # the retry found it shipped: done
        api.ship_package(package_id, handover_method="PICKUP")
    assert admin(sandbox, "GET", "effects")["ship"] == {package_id: 1}


def test_errors_with_http_200_are_permanent_and_not_retried(sandbox, tmp_path):
    admin(sandbox, "POST", "settings", {"errors_as_http_200": True})
    options = {"base_url": sandbox.url, "app_key": APP_KEY, "app_secret": APP_SECRET, "access_token": TOKEN}
    seller = TikTokSellerConnector({**options, "shop_id": SHOP}, shop=ShopContext(name="shop", base_dir=tmp_path))
    try:
        api = FulfillmentApi(seller.tiktok_client, seller.cipher())
        with pytest.raises(NotFoundError) as lookup:
            api.get_package("999999999")
        assert lookup.value.code == 21011028  # "does not belong to the current shop"
        with pytest.raises(NotFoundError) as shipped:
            api.ship_package("999999999", handover_method="PICKUP")
        assert shipped.value.code == 21011028
        paths = admin(sandbox, "GET", "counts")["paths"]
        assert paths["/fulfillment/202309/packages/{package_id}"]["calls"] == 1
        assert paths["/fulfillment/202309/packages/{package_id}/ship"]["calls"] == 1
        # the pickup read still works when errors come with HTTP 200
        (signals,) = seller.read_pickup_signals(["WH-DG-01"], since=datetime.now(UTC) - timedelta(days=7)).items
        assert signals.packages
    finally:
        seller.close()
