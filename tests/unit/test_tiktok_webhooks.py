"""Webhooks: signature, typed events, dedupe, malformed bodies, and the WSGI app."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
from werkzeug.test import Client

from erpsync.connectors.tiktok.webhook_events import (
    AuthorizationExpiring,
    OrderStatusChanged,
    PackageUpdated,
    ProductAuditStatusChanged,
    ProductStatusChanged,
    SellerDeauthorized,
    UnknownEvent,
    WebhookEvent,
    parse_event,
)
from erpsync.connectors.tiktok.webhooks import (
    MAX_BODY_BYTES,
    WebhookReceiver,
    make_wsgi_app,
    verify_signature,
)
from erpsync.core.errors import RecordError
from erpsync.core.ports import NotificationLog

APP_KEY = "appkey123"
SECRET = "s3cr3t-app-secret"
TS = 1_700_000_000
NOW = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


class MemoryLog:
    """The NotificationLog port in memory (the state store implements it for real)."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], datetime] = {}

    def note_notification(self, notification_id: str, *, source: str, now: datetime) -> bool:
        key = (source, notification_id)
        if key in self.seen:
            return False
        self.seen[key] = now
        return True

    def has_notification(self, notification_id: str, *, source: str) -> bool:
        return (source, notification_id) in self.seen


def sign(raw: bytes, key: str = APP_KEY, secret: str = SECRET) -> str:
    """Reference §4: hex HMAC-SHA256, keyed with app_secret, over app_key + raw body."""
    return hmac.new(secret.encode(), key.encode() + raw, hashlib.sha256).hexdigest()


def envelope(type_: int = 1, data: object = None, nid: object = "N1", **extra: object) -> dict:
    if data is None:
        data = {"order_id": "576684019603311365", "order_status": "AWAITING_SHIPMENT", "update_time": TS - 5}
    return {
        "type": type_,
        "tts_notification_id": nid,
        "shop_id": "7494726673780148744",
        "timestamp": TS,
        "data": data,
        **extra,
    }


def raw(payload: object) -> bytes:
    return json.dumps(payload).encode()


@pytest.fixture
def log() -> MemoryLog:
    return MemoryLog()


@pytest.fixture
def receiver(log: MemoryLog) -> WebhookReceiver:
    return WebhookReceiver(APP_KEY, SECRET, log, clock=lambda: NOW)


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
    assert event.order_id == "576684019603311365"
    assert event.update_time == datetime.fromtimestamp(TS - 5, UTC)
    assert (event.notification_id, event.type, event.shop_id) == ("N1", 1, "7494726673780148744")
    assert event.timestamp == NOW
    other = parse_event(raw(envelope()))
    assert isinstance(other, OrderStatusChanged)
    assert other.status == other.raw_status == "AWAITING_SHIPMENT"
    already = parse_event(raw(envelope(data={"order_id": "1", "order_status": "CANCELLED", "update_time": TS})))
    assert already.status == "CANCELLED"


def test_19_digit_product_id_as_json_number_is_exact() -> None:
    body = b'{"type":5,"tts_notification_id":"N5","shop_id":7494726673780148744,"timestamp":1700000000,'
    body += b'"data":{"product_id":1729587969912345679,"status":"PRODUCT_STATUS_CHANGED","update_time":1700000000}}'
    event = parse_event(body)
    assert isinstance(event, ProductStatusChanged)
    assert event.product_id == "1729587969912345679"  # a float would give ...2345600 or so
    assert str(int(float("1729587969912345679"))) != "1729587969912345679"  # proof that floats would lose it
    assert event.shop_id == "7494726673780148744"


def test_product_id_as_float_is_rejected() -> None:
    body = raw(envelope(5, {"product_id": 1.7295879699123457e18, "status": "X", "update_time": TS}))
    with pytest.raises(RecordError) as info:
        parse_event(body)
    assert info.value.field == "data.product_id" and info.value.record == "notification N1"


def test_every_known_type() -> None:
    package = parse_event(
        raw(
            envelope(
                4,
                {"sc_type": 1, "package_list": [{"package_id": 11, "order_id_list": ["O1", 2]}, {"package_id": "12"}]},
            )
        )
    )
    assert isinstance(package, PackageUpdated)
    assert package.sc_type == "1" and package.packages == {"11": ("O1", "2"), "12": ()}
    audit = parse_event(
        raw(envelope(37, {"product_id": "9", "status": "FAILED", "suggestions": ["fix the title", "add a photo"]}))
    )
    assert isinstance(audit, ProductAuditStatusChanged)
    assert audit.suggestions == ("fix the title", "add a photo")
    assert parse_event(raw(envelope(37, {"product_id": "9", "status": "APPROVED"}))).suggestions == ()
    gone = parse_event(raw(envelope(6, {})))
    assert isinstance(gone, SellerDeauthorized) and gone.reason == ""
    assert parse_event(raw(envelope(6, {"reason": "seller removed the app"}))).reason == "seller removed the app"
    expiring = parse_event(raw(envelope(7, {"expiration_time": TS + 30 * 86400})))
    assert isinstance(expiring, AuthorizationExpiring)
    assert expiring.expiration_time == datetime.fromtimestamp(TS + 30 * 86400, UTC)


def test_unknown_type_is_kept_not_an_error() -> None:
    event = parse_event(raw(envelope(12, {"return_id": "R1"}, new_field=True)))
    assert isinstance(event, UnknownEvent) and isinstance(event, WebhookEvent)
    assert event.type == 12 and event.data == {"return_id": "R1"}
    assert parse_event(raw(envelope("99", [1, 2]))).data == [1, 2]


@pytest.mark.parametrize(
    ("payload", "record", "field"),
    [
        (
            {k: v for k, v in envelope().items() if k != "tts_notification_id"},
            "notification (no valid",
            "tts_notification_id",
        ),
        ({k: v for k, v in envelope().items() if k != "shop_id"}, "notification N1", "shop_id"),
        (envelope(timestamp="yesterday"), "notification N1", "timestamp"),
        (envelope(timestamp=10**40), "notification N1", "timestamp"),
        (envelope(type_=True), "notification N1", "type"),
        (envelope(type_=1.5), "notification N1", "type"),
        (envelope(nid=["N1"]), "notification (no valid", "tts_notification_id"),
        (envelope(1, {"order_status": "CANCEL", "update_time": TS}), "notification N1", "data.order_id"),
        (envelope(1, {"order_id": "1", "order_status": 7, "update_time": TS}), "notification N1", "data.order_status"),
        (
            envelope(1, {"order_id": "1", "order_status": "X", "update_time": "x"}),
            "notification N1",
            "data.update_time",
        ),
        (envelope(4, {"package_list": [{"order_id_list": []}]}), "notification N1", "data.package_list.0.package_id"),
        (envelope(4, {"package_list": "P1"}), "notification N1", "data.package_list"),
        (envelope(4, {"sc_type": {"a": 1}, "package_list": []}), "notification N1", "data.sc_type"),
        (envelope(37, {"product_id": "1", "status": "F", "suggestions": [1]}), "notification N1", "data.suggestions.0"),
        (envelope(7, {}), "notification N1", "data.expiration_time"),
        (envelope(5, "not an object"), "notification N1", "data"),
        (
            envelope(5, {"product_id": "1" * 5000, "status": "X", "update_time": TS}),
            "notification N1",
            "data.product_id",
        ),
        (envelope(6, {"reason": "x" * 100_000}), "notification N1", "data.reason"),
        (envelope(nid="N" * 100_000), "notification (no valid", "tts_notification_id"),
    ],
)
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
    assert info.value.record == "notification"


# -- receiver ------------------------------------------------------------------------------------


def test_receiver_accepts_then_dedupes_once_handled(receiver: WebhookReceiver, log: MemoryLog) -> None:
    assert isinstance(log, NotificationLog)
    body = raw(envelope())
    first = receiver.handle(body, {"Authorization": sign(body)})
    assert first.status == 200 and not first.duplicate and first.error is None
    assert isinstance(first.event, OrderStatusChanged)
    assert log.seen == {}  # not handled yet: a redelivery now would be handled again
    assert not receiver.handle(body, {"Authorization": sign(body)}).duplicate
    receiver.mark_handled(first.event)
    assert log.seen == {("tiktok", "N1"): NOW}
    again = receiver.handle(body, {"authorization": sign(body).upper()})
    assert again.status == 200 and again.duplicate and again.event == first.event
    other = raw(envelope(nid="N2"))
    assert not receiver.handle(other, {"AUTHORIZATION": sign(other)}).duplicate


@pytest.mark.parametrize("headers", [{}, {"Authorization": ""}, {"Authorization": "0" * 64}, {"X-Other": "x"}])
def test_receiver_bad_signature_is_401_without_revealing_it(
    receiver: WebhookReceiver, log: MemoryLog, headers: dict
) -> None:
    body = raw(envelope())
    result = receiver.handle(body, headers)
    assert result.status == 401 and result.event is None
    assert sign(body) not in (result.error or "") and SECRET not in (result.error or "")
    assert log.seen == {}  # never remembered: a forged delivery must not block the real one
    assert SECRET not in repr(receiver)


def test_receiver_malformed_is_400(receiver: WebhookReceiver, log: MemoryLog) -> None:
    for body in (b"not json", raw(envelope(1, {"order_id": "1"})), raw(envelope(5, {"product_id": "x" * 10**5}))):
        result = receiver.handle(body, {"Authorization": sign(body)})
        assert result.status == 400 and result.event is None
        assert result.error and len(result.error) <= 500
    assert log.seen == {}


def test_receiver_refuses_huge_bodies(receiver: WebhookReceiver) -> None:
    body = b" " * (MAX_BODY_BYTES + 1)
    assert receiver.handle(body, {"Authorization": sign(body)}).status == 413


# -- WSGI ----------------------------------------------------------------------------------------


def test_wsgi_app_delivers_new_events_once(receiver: WebhookReceiver) -> None:
    got: list[WebhookEvent] = []
    client = Client(make_wsgi_app(receiver, got.append))
    body = raw(envelope())
    first = client.post("/webhooks/tiktok", data=body, headers={"Authorization": sign(body)})
    assert first.status_code == 200 and first.json == {"code": 0, "message": "ok"}
    second = client.post("/webhooks/tiktok", data=body, headers={"Authorization": sign(body)})
    assert second.status_code == 200 and second.json["message"] == "duplicate"
    assert len(got) == 1 and isinstance(got[0], OrderStatusChanged)
    assert client.post("/", data=body, headers={"Authorization": "nope"}).status_code == 401
    assert client.post("/", data=b"{", headers={"Authorization": sign(b"{")}).status_code == 400
    assert client.get("/").status_code == 405
    assert len(got) == 1


def test_wsgi_app_handler_failure_is_500_not_a_crash(receiver: WebhookReceiver) -> None:
    def boom(event: WebhookEvent) -> None:
        raise RuntimeError("queue full")

    client = Client(make_wsgi_app(receiver, boom))
    body = raw(envelope())
    assert client.post("/", data=body, headers={"Authorization": sign(body)}).status_code == 500


def test_wsgi_app_redelivery_after_a_failed_handler_is_handled_exactly_once(
    receiver: WebhookReceiver, log: MemoryLog
) -> None:
    handled: list[str] = []
    attempts = 0

    def flaky(event: WebhookEvent) -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise RuntimeError("queue full")
        handled.append(event.notification_id)

    client = Client(make_wsgi_app(receiver, flaky))
    body = raw(envelope())
    headers = {"Authorization": sign(body)}
    assert client.post("/", data=body, headers=headers).status_code == 500  # asks the platform to retry
    assert log.seen == {}  # so the id is not recorded
    retry = client.post("/", data=body, headers=headers)  # the platform's retry
    assert retry.status_code == 200 and retry.json["message"] == "ok"
    again = client.post("/", data=body, headers=headers)  # a later redelivery: now a duplicate
    assert again.status_code == 200 and again.json["message"] == "duplicate"
    assert handled == ["N1"] and attempts == 2


def test_wsgi_app_refuses_oversized_bodies(receiver: WebhookReceiver) -> None:
    client = Client(make_wsgi_app(receiver, lambda e: None))
    body = b"x" * (MAX_BODY_BYTES + 1)
    assert client.post("/", data=body, headers={"Authorization": sign(body)}).status_code == 413
