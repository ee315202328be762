"""Every webhook fixture, signed here and POSTed through the real receiver, gives its typed event.

The fixtures (``tests/fixtures/tiktok/webhooks/<type>-<name>.json``) are shaped like the examples of
the TikTok Shop Partner Center webhook guide, one page per type, quirks included: ``product_id`` as
a JSON number (types 5 and 37), ``expiration_time`` as a string (type 7), type 37's singular
``audit.pre_approved_reason`` and single-object ``integrated_platform_statuses`` (its example; the
field table says a list: ``37-as-the-field-table-says.json``), and no ``tts_notification_id`` (type
3's example, and ``1-no-notification-id.json``). The signature is computed here from the guide's
rule, not with the module's own function.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from pathlib import Path

import pytest
from werkzeug.test import Client

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
    WebhookEvent,
    WebhookType,
)
from erpsync.connectors.tiktok.webhooks.receiver import WebhookReceiver, make_wsgi_app
from erpsync.core.store import Store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tiktok" / "webhooks"
APP_KEY = "fixture-app-key"
SECRET = "fixture-app-secret"
SHOP = "7494049642642441621"
SENT = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)  # every fixture's envelope timestamp, 1735732800


def at(unix: int) -> datetime:
    return datetime.fromtimestamp(unix, UTC)


def digest_key(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def env(type_: int, nid: str | None) -> dict:
    return {"type": type_, "shop_id": SHOP, "timestamp": SENT, "notification_id": nid, "dedupe_key": nid}


EXPECTED: dict[str, WebhookEvent] = {
    "1-order-status-change": OrderStatusChanged(
        **env(1, "7327112393057371911"),
        order_id="576486316948490001",
        status="CANCELLED",
        raw_status="CANCEL",
        is_on_hold_order=False,
        update_time=at(1735732795),
    ),
    "1-no-notification-id": OrderStatusChanged(
        **{**env(1, None), "dedupe_key": digest_key(FIXTURES / "1-no-notification-id.json")},
        order_id="576486316948490002",
        status="AWAITING_SHIPMENT",
        raw_status="AWAITING_SHIPMENT",
        is_on_hold_order=True,
        update_time=at(1735732790),
    ),
    "3-recipient-address-update": RecipientAddressUpdated(
        **{**env(3, None), "dedupe_key": digest_key(FIXTURES / "3-recipient-address-update.json")},
        order_id="576486316948490003",
        update_time=at(1735732700),
    ),
    "4-package-update": PackageUpdated(
        **env(4, "7327112393057371914"),
        sc_type="COMBINE",
        role_type="ROLE_SELLER",
        packages={"1152921504606846977": ("576486316948490004", "576486316948490005")},
        update_time=at(1735732600),
    ),
    "5-product-status-change": ProductStatusChanged(
        **env(5, "7327112393057371915"),
        product_id="1729587969912345679",  # a JSON number of 19 digits, exact
        status="PRODUCT_AUDIT_FAILURE",
        suspended_reason="",
        update_time=at(1735732500),
    ),
    "6-seller-deauthorization": SellerDeauthorized(
        **env(6, "7327112393057371916"),
        message="Shop_id 7494049642642441621 is deauthorized from your APP by merchant.",
    ),
    "7-upcoming-authorization-expiration": AuthorizationExpiring(
        **env(7, "7327112393057371917"),
        expiration_time=at(1738324800),
        message="Authorization of shop_id 7494049642642441621 is expiring in 30 days. "
        "Please direct the merchant to re-authorize.",
    ),
    "11-cancellation-status-change": CancellationStatusChanged(
        **env(11, "7327112393057371921"),
        order_id="576486316948490011",
        cancel_status="CANCELLATION_REQUEST_PENDING",
        cancel_id="4035318504086604111",
        cancellations_role="BUYER",
        create_time=at(1735732400),
    ),
    "12-return-status-change": ReturnStatusChanged(
        **env(12, "7327112393057371922"),
        order_id="576486316948490012",
        return_status="AWAITING_BUYER_SHIP",
        return_id="4035318504086604112",
        return_type="RETURN_AND_REFUND",
        return_role="BUYER",
        create_time=at(1735732300),
        update_time=at(1735732350),
    ),
    "15-product-information-change": ProductInformationChanged(
        **env(15, "7327112393057371925"),
        product_id="1729587969912345615",
        change_source="SELLER_CENTER",
        changed_fields=("title", "main_images", "others"),
        update_time=at(1735732200),
    ),
    "37-product-audit-status-change": ProductAuditStatusChanged(
        **env(37, "7327112393057371937"),
        product_id="1729587969912345637",
        audit_status="PRE_APPROVED",
        pre_approved_reasons=("KYC_PENDING",),
        platform_statuses={"TOKOPEDIA": "AUDITING"},
        update_time=at(1735732100),
    ),
    "37-as-the-field-table-says": ProductAuditStatusChanged(
        **env(37, "7327112393057371938"),
        product_id="1729587969912345638",
        audit_status="PRE_APPROVED",
        pre_approved_reasons=("KYC_PENDING", "RESTRICTED_CATEGORY_PENDING"),
        platform_statuses={"TOKOPEDIA": "APPROVED"},
        update_time=at(1735732000),
    ),
}


def sign(raw: bytes) -> str:
    """The webhook guide's rule: hex HMAC-SHA256 keyed with the app secret over app_key + raw body."""
    return hmac.new(SECRET.encode(), APP_KEY.encode() + raw, hashlib.sha256).hexdigest()


def fixture_names() -> list[str]:
    return sorted(p.stem for p in FIXTURES.glob("*.json"))


def test_every_fixture_has_an_expectation_and_every_expectation_a_fixture() -> None:
    assert fixture_names(), f"no fixtures in {FIXTURES}"
    assert set(fixture_names()) == set(EXPECTED)


def test_every_documented_type_has_a_fixture() -> None:
    covered = {int(name.split("-", 1)[0]) for name in fixture_names()}
    assert covered == {int(t) for t in WebhookType}


@pytest.mark.parametrize("name", fixture_names())
def test_fixture_through_the_receiver(name: str, tmp_path: Path) -> None:
    body = (FIXTURES / f"{name}.json").read_bytes()
    got: list[WebhookEvent] = []
    with Store.open(f"sqlite:///{tmp_path}/state.db") as store:
        client = Client(make_wsgi_app(WebhookReceiver(APP_KEY, SECRET, store.notifications), got.append))
        answer = client.post("/webhooks/tiktok", data=body, headers={"Authorization": sign(body)})
        assert (answer.status_code, answer.data, answer.headers["X-Erpsync-Result"]) == (200, b"", "ok")
        assert got == [EXPECTED[name]]
        assert store.notifications.list_kept(include_handled=True) == []
        assert store.notifications.has(EXPECTED[name].dedupe_key, source="tiktok")
        again = client.post("/webhooks/tiktok", data=body, headers={"Authorization": sign(body)})
        assert (again.status_code, again.headers["X-Erpsync-Result"]) == (200, "duplicate")
        assert len(got) == 1
