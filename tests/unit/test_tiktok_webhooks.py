"""Webhooks: signature, typed events, dedupe, the answers the platform expects, and the WSGI app.

The receiver runs against the real state store (SQLite in the test's directory): what it keeps
and what it records as handled is read back from there.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from werkzeug.test import Client

from erpsync.connectors.tiktok.webhooks.models import (
    AuthorizationExpiring,
    OrderStatusChanged,
    PackageUpdated,
    ProductAuditStatusChanged,
    ProductInformationChanged,
    ProductStatusChanged,
    ReturnStatusChanged,
    SellerDeauthorized,
    UnknownEvent,
    WebhookEvent,
)
from erpsync.connectors.tiktok.webhooks.receiver import (
    MAX_BODY_BYTES,
    KeepForInspection,
    WebhookReceiver,
    make_wsgi_app,
    parse_event,
    verify_signature,
)
from erpsync.core.errors import RecordError
from erpsync.core.ports import NotificationLog
from erpsync.core.store import Store

APP_KEY = "appkey123"
SECRET = "s3cr3t-app-secret"
TS = 1_700_000_000
NOW = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


def sign(raw: bytes, key: str = APP_KEY, secret: str = SECRET) -> str:
    """Webhook guide: hex HMAC-SHA256, keyed with app_secret, over app_key + raw body."""
    return hmac.new(secret.encode(), key.encode() + raw, hashlib.sha256).hexdigest()


def digest_key(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def envelope(type_: object = 1, data: object = None, nid: object = "N1", **extra: object) -> dict:
    if data is None:
        data = {"order_id": "576684019603311365", "order_status": "AWAITING_SHIPMENT", "update_time": TS - 5}
    payload: dict[str, Any] = {"type": type_, "tts_notification_id": nid}
    payload.update({"shop_id": "7494726673780148744", "timestamp": TS, "data": data, **extra})
    if nid is None:
        del payload["tts_notification_id"]
    return payload


def raw(payload: object) -> bytes:
    return json.dumps(payload).encode()


@pytest.fixture
def receiver(store: Store) -> WebhookReceiver:
    return WebhookReceiver(APP_KEY, SECRET, store.notifications, clock=lambda: NOW)


# -- signature -----------------------------------------------------------------------------------


def test_signature_matches_the_ecomphp_vector() -> None:
    # EcomPHP/tiktokshop-php tests/WebhookTest.php: hash_hmac('sha256', app_key . raw, app_secret)
    body = (
        b'{"type":1,"shop_id":"7494726673780148744","timestamp":1664095733,"data":{"order_id":"576684019603311365",'
        b'"order_status":"AWAITING_SHIPMENT","update_time":1664095610}}'
    )
    expected = "21109834de72ec53c9959716d8514ae388ce1f123e5ffdcafc46713fcdf62b27"
    assert sign(body, "fake_app_key", "fake_app_secret") == expected
    assert verify_signature("fake_app_key", "fake_app_secret", body, expected)
    assert verify_signature("fake_app_key", "fake_app_secret", body, expected.upper())  # hex in any case
    assert verify_signature("fake_app_key", "fake_app_secret", body, f"  {expected}\n")
    assert not verify_signature("fake_app_key", "fake_app_secret", body + b" ", expected)  # exact bytes
    assert not verify_signature("other_key", "fake_app_secret", body, expected)  # app_key is in the message
    assert not verify_signature("fake_app_key", "other_secret", body, expected)


@pytest.mark.parametrize("header", ["", "wrong signature", "ff" * 32, "é" * 64, None])
def test_bad_signatures_are_false_not_errors(header: str | None) -> None:
    assert not verify_signature(APP_KEY, SECRET, b"{}", header)


# -- parsing -------------------------------------------------------------------------------------


def test_order_status_change_maps_cancel_and_keeps_raw() -> None:
    body = raw(envelope(data={"order_id": 576684019603311365, "order_status": "CANCEL", "update_time": TS - 5}))
    event = parse_event(body)
    assert isinstance(event, OrderStatusChanged)
    assert (event.status, event.raw_status) == ("CANCELLED", "CANCEL")
    assert event.order_id == "576684019603311365" and event.is_on_hold_order is None
    assert event.update_time == datetime.fromtimestamp(TS - 5, UTC)
    assert (event.notification_id, event.dedupe_key, event.type, event.shop_id) == (
        "N1",
        "N1",
        1,
        "7494726673780148744",
    )
    assert event.timestamp == NOW
    other = parse_event(raw(envelope()))
    assert isinstance(other, OrderStatusChanged)
    assert other.status == other.raw_status == "AWAITING_SHIPMENT"
    already = parse_event(raw(envelope(data={"order_id": "1", "order_status": "CANCELLED", "is_on_hold_order": True})))
    assert isinstance(already, OrderStatusChanged)
    assert already.status == "CANCELLED" and already.is_on_hold_order is True and already.update_time is None


def test_19_digit_product_id_as_json_number_is_exact() -> None:
    body = b'{"type":5,"tts_notification_id":"N5","shop_id":7494726673780148744,"timestamp":1700000000,'
    body += b'"data":{"product_id":1729587969912345679,"status":"PRODUCT_STATUS_CHANGED","update_time":1700000000}}'
    event = parse_event(body)
    assert isinstance(event, ProductStatusChanged)
    assert event.product_id == "1729587969912345679"  # a float would give ...2345600 or so
    assert str(int(float("1729587969912345679"))) != "1729587969912345679"  # proof that floats would lose it
    assert event.shop_id == "7494726673780148744" and event.suspended_reason == ""


def test_product_id_as_float_is_rejected() -> None:
    body = raw(envelope(5, {"product_id": 1.7295879699123457e18, "status": "X", "update_time": TS}))
    with pytest.raises(RecordError) as info:
        parse_event(body)
    assert info.value.field == "data.product_id" and info.value.record == "notification N1"


def test_missing_or_blank_notification_id_dedupes_on_the_body_digest() -> None:
    for payload in (envelope(nid=None), envelope(nid=""), envelope(nid=None, tts_notification_id=None)):
        body = raw(payload)
        event = parse_event(body)
        assert event.notification_id is None and event.dedupe_key == digest_key(body)
        assert event.label == f"notification {digest_key(body)}"
    assert parse_event(raw(envelope(nid=7327112393057371910))).dedupe_key == "7327112393057371910"


def test_unknown_enum_values_are_text_and_unknown_fields_are_ignored() -> None:
    data = {"order_id": "1", "order_status": "TELEPORTED", "update_time": TS, "brand_new": {"x": [1]}}
    event = parse_event(raw(envelope(1, data, brand_new_envelope_field=True)))
    assert isinstance(event, OrderStatusChanged) and event.status == "TELEPORTED"
    returned = parse_event(raw(envelope(12, {"order_id": "O", "return_status": "RETURN_OR_REFUND__REQUEST_CANCELLED"})))
    assert isinstance(returned, ReturnStatusChanged)
    assert returned.return_status == "RETURN_OR_REFUND__REQUEST_CANCELLED"  # the guide's own double underscore
    assert (returned.return_id, returned.return_type, returned.create_time) == (None, "", None)


def test_package_update_variants() -> None:
    data = {"sc_type": 1, "role_type": None, "package_list": [{"package_id": 11, "order_id_list": ["O1", 2]}]}
    data["package_list"].append({"package_id": "12", "order_id_list": None})
    package = parse_event(raw(envelope(4, data)))
    assert isinstance(package, PackageUpdated)
    assert (package.sc_type, package.role_type) == ("1", "")
    assert package.packages == {"11": ("O1", "2"), "12": ()}


def test_authorisation_events_use_message_and_a_string_expiration_time() -> None:
    gone = parse_event(raw(envelope(6, {"message": "Shop_id 1 is deauthorized", "reason": "not documented"})))
    assert isinstance(gone, SellerDeauthorized) and gone.message == "Shop_id 1 is deauthorized"
    assert parse_event(raw(envelope(6, {}))).message == ""
    for sent in (str(TS + 30 * 86400), TS + 30 * 86400):
        expiring = parse_event(raw(envelope(7, {"message": "m", "expiration_time": sent})))
        assert isinstance(expiring, AuthorizationExpiring)
        assert expiring.expiration_time == datetime.fromtimestamp(TS + 30 * 86400, UTC)


def test_product_information_change_fields() -> None:
    data = {"product_id": 9, "change_source": "OPEN_API", "changed_fields": ["title", "", "shiny_new_field"]}
    event = parse_event(raw(envelope(15, data)))
    assert isinstance(event, ProductInformationChanged)
    assert (event.product_id, event.change_source) == ("9", "OPEN_API")
    assert event.changed_fields == ("title", "shiny_new_field")
    assert parse_event(raw(envelope(15, {"product_id": "9", "changed_fields": None}))).changed_fields == ()


@pytest.mark.parametrize(
    ("audit", "platforms", "reasons", "statuses"),
    [
        ({"status": "PRE_APPROVED", "pre_approved_reason": "KYC_PENDING"},
         {"platform": "TOKOPEDIA", "status": "AUDITING"},
         ("KYC_PENDING",), {"TOKOPEDIA": "AUDITING"}),  # the guide's example
        ({"status": "PRE_APPROVED", "pre_approved_reasons": ["KYC_PENDING", "RESTRICTED_CATEGORY_PENDING"]},
         [{"platform": "TOKOPEDIA", "status": "FAILED"}, {"platform": "OTHER"}],
         ("KYC_PENDING", "RESTRICTED_CATEGORY_PENDING"), {"TOKOPEDIA": "FAILED", "OTHER": ""}),  # its field table
        ({"status": "PRE_APPROVED", "pre_approved_reasons": "KYC_PENDING", "pre_approved_reason": ["KYC_PENDING"]},
         None, ("KYC_PENDING",), {}),
        ({"status": "APPROVED", "pre_approved_reason": ""}, [], (), {}),
        ({"status": "NONE"}, "absent", (), {}),
    ],
)  # fmt: skip
def test_product_audit_accepts_the_example_and_the_table(
    audit: dict, platforms: object, reasons: tuple, statuses: dict
) -> None:
    data: dict[str, Any] = {"product_id": 789078671231, "audit": audit, "update_time": TS}
    if platforms != "absent":
        data["integrated_platform_statuses"] = platforms
    event = parse_event(raw(envelope(37, data)))
    assert isinstance(event, ProductAuditStatusChanged)
    assert (event.product_id, event.audit_status) == ("789078671231", audit["status"])
    assert event.pre_approved_reasons == reasons and event.platform_statuses == statuses


def test_unknown_type_is_an_unknown_event_not_an_error() -> None:
    event = parse_event(raw(envelope(99, {"return_id": "R1"}, new_field=True)))
    assert isinstance(event, UnknownEvent) and isinstance(event, WebhookEvent)
    assert event.type == 99 and event.data == {"return_id": "R1"}
    assert parse_event(raw(envelope("98", [1, 2]))).data == [1, 2]


@pytest.mark.parametrize(
    ("payload", "record", "field"),
    [
        ({k: v for k, v in envelope().items() if k != "shop_id"}, "notification N1", "shop_id"),
        (envelope(timestamp="yesterday"), "notification N1", "timestamp"),
        (envelope(timestamp=10**40), "notification N1", "timestamp"),
        (envelope(type_=True), "notification N1", "type"),
        (envelope(type_=1.5), "notification N1", "type"),
        (envelope(nid=["N1"]), "notification sha256:", "tts_notification_id"),
        (envelope(1, {"order_status": "CANCEL", "update_time": TS}), "notification N1", "data.order_id"),
        (envelope(1, {"order_id": "1", "order_status": 7.5}), "notification N1", "data.order_status"),
        (envelope(1, {"order_id": "1", "order_status": ""}), "notification N1", "data.order_status"),
        (envelope(1, {"order_id": "1", "order_status": "X", "update_time": "x"}), "notification N1",
         "data.update_time"),
        (envelope(1, {"order_id": "1", "order_status": "X", "is_on_hold_order": "maybe"}), "notification N1",
         "data.is_on_hold_order"),
        (envelope(3, {"update_time": TS}), "notification N1", "data.order_id"),
        (envelope(4, {"package_list": [{"order_id_list": []}]}), "notification N1", "data.package_list.0.package_id"),
        (envelope(4, {"package_list": "P1"}), "notification N1", "data.package_list"),
        (envelope(4, {"sc_type": {"a": 1}, "package_list": []}), "notification N1", "data.sc_type"),
        (envelope(7, {"expiration_time": "soon"}), "notification N1", "data.expiration_time"),
        (envelope(7, {"message": "m"}), "notification N1", "data.expiration_time"),
        (envelope(11, {"order_id": "1"}), "notification N1", "data.cancel_status"),
        (envelope(12, {"order_id": "1", "return_status": "X", "return_id": 1.5}), "notification N1", "data.return_id"),
        (envelope(15, {"product_id": "1", "changed_fields": "title"}), "notification N1", "data.changed_fields"),
        (envelope(37, {"product_id": "1", "audit": {"pre_approved_reasons": []}}), "notification N1",
         "data.audit.status"),
        (envelope(37, {"product_id": "1"}), "notification N1", "data.audit"),
        (envelope(37, {"product_id": "1", "audit": {"status": "F", "pre_approved_reasons": [1.5]}}),
         "notification N1", "data.audit.pre_approved_reasons.0"),
        (envelope(37, {"product_id": "1", "audit": {"status": "F"}, "integrated_platform_statuses": [{"status": "A"}]}),
         "notification N1", "data.integrated_platform_statuses.0.platform"),
        (envelope(5, "not an object"), "notification N1", "data"),
        (envelope(5, {"product_id": "1" * 5000, "status": "X"}), "notification N1", "data.product_id"),
        (envelope(5, {"product_id": "1", "status": "X" * 5000}), "notification N1", "data.status"),
        (envelope(6, {"message": "x" * 100_000}), "notification N1", "data.message"),
        (envelope(nid="N" * 100_000), "notification sha256:", "tts_notification_id"),
    ],
)  # fmt: skip
def test_malformed_payloads_are_record_errors(payload: dict, record: str, field: str) -> None:
    with pytest.raises(RecordError) as info:
        parse_event(raw(payload))
    assert info.value.record.startswith(record)
    assert info.value.field == field
    assert len(str(info.value)) < 500  # never echoes a huge value


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe\x00garbage",
        b"[1, 2, 3]",
        b'"a string"',
        b"null",
        b'{"type": NaN}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"type": 1, "tts_notification_id": ' + b"9" * 5000 + b"}",
    ],
)
def test_non_json_or_non_object_bodies_are_record_errors(body: bytes) -> None:
    with pytest.raises(RecordError) as info:
        parse_event(body)
    assert info.value.record == f"notification {digest_key(body)}"


# -- receiver: the answers -----------------------------------------------------------------------


def post(receiver: WebhookReceiver, body: bytes, signature: str | None = "sign") -> Any:
    headers = {} if signature is None else {"Authorization": sign(body) if signature == "sign" else signature}
    return receiver.handle(body, headers)


def test_the_stores_notifications_are_the_notification_log(store: Store) -> None:
    assert isinstance(store.notifications, NotificationLog)


def test_receiver_accepts_then_dedupes_once_handled(receiver: WebhookReceiver, store: Store) -> None:
    body = raw(envelope())
    first = post(receiver, body)
    assert first.status == 200 and not first.duplicate and not first.kept and first.error is None
    assert isinstance(first.event, OrderStatusChanged)
    assert not store.notifications.has("N1", source="tiktok")  # not handled yet: a redelivery is handled again
    assert not post(receiver, body).duplicate
    receiver.mark_handled(first.event)
    assert store.notifications.has("N1", source="tiktok")
    again = receiver.handle(body, {"authorization": sign(body).upper()})
    assert again.status == 200 and again.duplicate and again.event == first.event
    other = raw(envelope(nid="N2"))
    assert not receiver.handle(other, {"AUTHORIZATION": sign(other)}).duplicate


def test_dedupe_without_a_notification_id_uses_the_body_digest(receiver: WebhookReceiver, store: Store) -> None:
    body = raw(envelope(nid=None))
    first = post(receiver, body)
    assert first.event is not None and first.event.dedupe_key == digest_key(body)
    receiver.mark_handled(first.event)
    assert store.notifications.has(digest_key(body), source="tiktok")
    assert post(receiver, body).duplicate  # the same bytes again
    changed = raw(envelope(nid=None, data={"order_id": "576684019603311365", "order_status": "CANCEL"}))
    assert not post(receiver, changed).duplicate  # other bytes: another notification
    spaced = body.replace(b", ", b",  ")
    assert spaced != body and not post(receiver, spaced).duplicate  # bytes, not meaning: a guess on the safe side


@pytest.mark.parametrize("signature", [None, "", "0" * 64, "wrong"])
def test_bad_or_missing_signature_is_401_and_nothing_is_stored(
    receiver: WebhookReceiver, store: Store, signature: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    for body in (raw(envelope()), b"not json", raw(envelope(99, {}))):
        result = post(receiver, body, signature)
        assert result.status == 401 and result.event is None and not result.kept
        assert sign(body) not in (result.error or "") and SECRET not in (result.error or "")
    assert ("missing" if not signature else "does not match") in (result.error or "")
    assert not store.notifications.has("N1", source="tiktok")  # a forgery must not block the real one
    assert store.notifications.list_kept(include_handled=True) == []  # nor fill the store
    assert SECRET not in repr(receiver) and SECRET not in caplog.text


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "body is not JSON"),
        (b"\xff\xfe\x00garbage", "body is not JSON"),
        (b"[1]", "expected a JSON object"),
        (raw(envelope(1, {"order_id": "1"})), "data.order_status"),
        (raw(envelope(5, {"product_id": "x" * 10**5, "status": "X"})), "data.product_id"),
    ],
)
def test_signed_but_unparseable_is_200_kept_and_reported(
    receiver: WebhookReceiver, store: Store, caplog: pytest.LogCaptureFixture, body: bytes, reason: str
) -> None:
    caplog.set_level(logging.INFO, logger="erpsync.connectors.tiktok.webhooks.receiver")
    result = post(receiver, body)
    assert (result.status, result.kept, result.duplicate, result.event) == (200, True, False, None)
    assert reason in (result.error or "") and len(result.error or "") <= 500
    (kept,) = store.notifications.list_kept()
    assert kept.raw_body == body and kept.body_sha256 == hashlib.sha256(body).hexdigest()
    assert reason in kept.reason and kept.first_seen_at == NOW and kept.deliveries == 1 and not kept.handled
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert digest_key(body) in warning.getMessage() and reason in warning.getMessage()
    assert SECRET not in caplog.text
    again = post(receiver, body)  # the platform would not retry a 200; a redelivery of the same bytes is counted
    assert (again.status, again.kept, again.duplicate) == (200, True, True)
    (kept,) = store.notifications.list_kept()
    assert kept.deliveries == 2
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1  # reported once


def test_signed_unknown_type_is_200_kept_with_its_key(
    receiver: WebhookReceiver, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    body = raw(envelope(99, {"whatever": 1}, nid="N99"))
    result = post(receiver, body)
    assert (result.status, result.kept, result.event) == (200, True, None)
    (kept,) = store.notifications.list_kept(source="tiktok")
    assert kept.key == "N99" and kept.raw_body == body and "type 99" in kept.reason
    assert "notification N99" in caplog.text and "type 99" in caplog.text
    assert store.notifications.list_kept(source="other") == []


def test_receiver_refuses_huge_bodies(receiver: WebhookReceiver, store: Store) -> None:
    body = b" " * (MAX_BODY_BYTES + 1)
    assert post(receiver, body).status == 413
    assert store.notifications.list_kept(include_handled=True) == []


# -- WSGI ----------------------------------------------------------------------------------------


def test_wsgi_app_delivers_new_events_once(receiver: WebhookReceiver, store: Store) -> None:
    got: list[WebhookEvent] = []
    client = Client(make_wsgi_app(receiver, got.append))
    body = raw(envelope())
    first = client.post("/webhooks/tiktok", data=body, headers={"Authorization": sign(body)})
    # the webhook guide: 200 or 401 with a "NULL / empty" body; what happened is in a header
    assert (first.status_code, first.data, first.headers["X-Erpsync-Result"]) == (200, b"", "ok")
    second = client.post("/webhooks/tiktok", data=body, headers={"Authorization": sign(body)})
    assert second.status_code == 200 and second.headers["X-Erpsync-Result"] == "duplicate"
    assert len(got) == 1 and isinstance(got[0], OrderStatusChanged)
    refused = client.post("/", data=body, headers={"Authorization": "nope"})
    assert (refused.status_code, refused.data) == (401, b"")
    assert client.post("/", data=body).status_code == 401
    kept = client.post("/", data=b"{", headers={"Authorization": sign(b"{")})
    assert (kept.status_code, kept.data, kept.headers["X-Erpsync-Result"]) == (200, b"", "kept for inspection")
    unknown = raw(envelope(99, {}, nid="N99"))
    assert client.post("/", data=unknown, headers={"Authorization": sign(unknown)}).status_code == 200
    assert client.get("/").status_code == 405
    assert len(got) == 1  # neither the unparseable body nor the unknown type reached the handler
    assert sorted(k.raw_body for k in store.notifications.list_kept()) == sorted([b"{", unknown])


def test_wsgi_handler_failure_is_500_and_the_body_is_kept(
    receiver: WebhookReceiver, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(event: WebhookEvent) -> None:
        raise RuntimeError("queue full")

    client = Client(make_wsgi_app(receiver, boom))
    body = raw(envelope())
    for _ in range(5):  # the first delivery and the platform's four retries, all failing
        answer = client.post("/", data=body, headers={"Authorization": sign(body)})
        assert (answer.status_code, answer.headers["X-Erpsync-Result"]) == (500, "handler failed")
    (kept,) = store.notifications.list_kept()  # dropped by the platform now, but not lost
    assert kept.raw_body == body and kept.key == "N1" and kept.deliveries == 5
    assert "handler failed: RuntimeError: queue full" in kept.reason and not kept.handled
    assert "webhook handler failed for notification N1" in caplog.text
    assert not store.notifications.has("N1", source="tiktok")


def test_wsgi_redelivery_after_a_failed_handler_is_handled_once_and_clears_the_kept_row(
    receiver: WebhookReceiver, store: Store
) -> None:
    handled: list[str] = []
    attempts = 0

    def flaky(event: WebhookEvent) -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise RuntimeError("queue full")
        handled.append(event.dedupe_key)

    client = Client(make_wsgi_app(receiver, flaky))
    body = raw(envelope())
    headers = {"Authorization": sign(body)}
    assert client.post("/", data=body, headers=headers).status_code == 500  # asks the platform to retry
    assert not store.notifications.has("N1", source="tiktok") and len(store.notifications.list_kept()) == 1
    retry = client.post("/", data=body, headers=headers)  # the platform's retry
    assert retry.status_code == 200 and retry.headers["X-Erpsync-Result"] == "ok"
    assert store.notifications.list_kept() == []  # handled now: no longer asks for attention
    (cured,) = store.notifications.list_kept(include_handled=True)
    assert cured.handled and cured.key == "N1"
    again = client.post("/", data=body, headers=headers)  # a later redelivery: now a duplicate
    assert again.status_code == 200 and again.headers["X-Erpsync-Result"] == "duplicate"
    assert handled == ["N1"] and attempts == 2


def test_wsgi_store_failure_is_500_so_the_platform_retries(
    receiver: WebhookReceiver, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client(make_wsgi_app(receiver, lambda e: None))
    with store.engine.begin() as conn:  # break both tables the receiver reads and writes
        conn.execute(text("ALTER TABLE notifications RENAME TO notifications_gone"))
        conn.execute(text("ALTER TABLE kept_notifications RENAME TO kept_gone"))
    for body in (raw(envelope()), b"not json"):
        answer = client.post("/", data=body, headers={"Authorization": sign(body)})
        assert (answer.status_code, answer.headers["X-Erpsync-Result"]) == (500, "could not record the notification")
    assert "the notification log failed" in caplog.text and SECRET not in caplog.text


def test_wsgi_app_refuses_oversized_bodies(receiver: WebhookReceiver) -> None:
    client = Client(make_wsgi_app(receiver, lambda e: None))
    body = b"x" * (MAX_BODY_BYTES + 1)
    assert client.post("/", data=body, headers={"Authorization": sign(body)}).status_code == 413


# -- timestamp window and claims -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "status"),
    [(0, 200), (86_400, 200), (86_401, 401), (-300, 200), (-301, 401)],
)
def test_timestamps_outside_the_window_are_refused_as_replays(store: Store, age: int, status: int) -> None:
    receiver = WebhookReceiver(APP_KEY, SECRET, store.notifications, clock=lambda: NOW, timestamp_window_seconds=86_400)
    body = raw(envelope(timestamp=TS - age))
    result = post(receiver, body)
    assert result.status == status
    if status == 401:
        assert "timestamp" in (result.error or "") and "notification N1" in (result.error or "")
        assert store.notifications.list_kept(include_handled=True) == []  # a replay fills nothing


def test_the_timestamp_is_not_checked_without_a_window(receiver: WebhookReceiver) -> None:
    assert post(receiver, raw(envelope(timestamp=1))).status == 200


def test_a_notification_claimed_by_another_delivery_is_503_and_not_handled(
    receiver: WebhookReceiver, store: Store
) -> None:
    got: list[WebhookEvent] = []
    client = Client(make_wsgi_app(receiver, got.append))
    body = raw(envelope())
    held = store.notifications.claim("N1", source="tiktok", owner="other", now=NOW, ttl_seconds=60)
    assert held == "claimed"
    answer = client.post("/", data=body, headers={"Authorization": sign(body)})
    assert (answer.status_code, answer.headers["X-Erpsync-Result"]) == (503, "being handled by another delivery")
    assert got == []
    store.notifications.record("N1", source="tiktok", now=NOW)  # the other delivery finished
    again = client.post("/", data=body, headers={"Authorization": sign(body)})
    assert (again.status_code, again.headers["X-Erpsync-Result"]) == (200, "duplicate") and got == []


def test_a_handler_that_keeps_the_body_answers_200_and_releases_its_claim(
    receiver: WebhookReceiver, store: Store
) -> None:
    calls = 0

    def unknown_shop(event: WebhookEvent) -> None:
        nonlocal calls
        calls += 1
        raise KeepForInspection("shop not in the config")

    client = Client(make_wsgi_app(receiver, unknown_shop))
    body = raw(envelope())
    for deliveries in (1, 2):
        answer = client.post("/", data=body, headers={"Authorization": sign(body)})
        assert (answer.status_code, answer.headers["X-Erpsync-Result"]) == (200, "kept for inspection")
        (kept,) = store.notifications.list_kept()
        assert kept.deliveries == deliveries and "notification N1: shop not in the config" in kept.reason
    assert calls == 2  # released, not recorded: a redelivery is looked at again
    assert store.notifications.claim("N1", source="tiktok", owner="x", now=NOW, ttl_seconds=60) == "claimed"
