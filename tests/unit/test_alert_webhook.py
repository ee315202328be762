"""The webhook sink against the Standard Webhooks 1.0 rules: headers, the signature over the exact
bytes sent, the worked example, and what each answer from the receiver means to the outbox.

The signature is recomputed here from the spec's definition (HMAC-SHA256 over
``{id}.{timestamp}.{body}`` with the base64-decoded part of the ``whsec_`` secret), not with the
sink's own ``sign``, so the test compares the sink with the spec rather than with itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime

import pytest
import requests
import responses

from erpsync.core.errors import ConfigError, PermanentError, TemporaryError
from erpsync.plugins.alerts.base import AlertEvent
from erpsync.plugins.alerts.webhook import WebhookOptions, WebhookSink, decode_secret, sign

URL = "https://hooks.example.com/in/tok-PATH-SECRET-42"
#: the key of the library vector (libraries/python/tests/test_webhooks.py in standard-webhooks)
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


def event(kind: str = "opened", *, id: str = "alrt_0123456789abcdef01234567", fp: str = "fp1") -> AlertEvent:
    return AlertEvent(
        kind, "shop-a", "pickup", "mode_mismatch", "WH-DG", "handover_mode", "DROP OFF", "PICK UP",  # type: ignore[arg-type]
        "critical", "ERP 为上门揽收，商家后台为自寄", fp, datetime(2026, 11, 26, 8, 30, tzinfo=UTC), "run1",
        id=id, lang="zh",
    )  # fmt: skip


def sink(**options) -> WebhookSink:
    return WebhookSink(WebhookOptions().load({"url": URL, "secret": SECRET, **options}), base_dir=None)  # type: ignore[arg-type]


def spec_signature(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, msg_id.encode() + b"." + timestamp.encode() + b"." + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def test_the_worked_example_of_the_reference_library():
    key = decode_secret(VECTOR_SECRET)
    assert len(key) == 24
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected
    assert spec_signature(VECTOR_SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", body) == expected


@responses.activate
def test_posts_the_event_signed_over_the_exact_bytes_sent():
    responses.post(URL, status=204)
    before = int(time.time())
    answer = sink(headers={"Authorization": "Bearer gw"}).send(event())
    after = int(time.time())

    assert answer == "HTTP 204"
    (call,) = responses.calls
    request = call.request
    assert request.url == URL and request.method == "POST"
    body = request.body if isinstance(request.body, bytes) else request.body.encode()
    headers = request.headers
    assert headers["content-type"] == "application/json" and headers["Authorization"] == "Bearer gw"
    assert headers["webhook-id"] == "alrt_0123456789abcdef01234567"
    assert before <= int(headers["webhook-timestamp"]) <= after
    assert headers["webhook-signature"] == spec_signature(
        SECRET, headers["webhook-id"], headers["webhook-timestamp"], body
    )
    payload = json.loads(body)
    assert payload["type"] == "erpsync.drift.opened"
    assert payload["timestamp"] == "2026-11-26T08:30:00+00:00"
    assert payload["data"] == event().as_dict()
    assert "ERP 为上门揽收" in body.decode("utf-8")  # UTF-8 as is, not \\u escapes


@responses.activate
def test_one_byte_changed_breaks_the_signature():
    responses.post(URL, status=200)
    sink().send(event())
    request = responses.calls[0].request
    body = request.body
    tampered = body.replace(b"WH-DG", b"WH-SZ")
    h = request.headers
    assert h["webhook-signature"] != spec_signature(SECRET, h["webhook-id"], h["webhook-timestamp"], tampered)
    assert h["webhook-signature"] != spec_signature(SECRET, "other", h["webhook-timestamp"], body)


@responses.activate
def test_a_resend_keeps_its_id_and_each_kind_has_its_type():
    responses.post(URL, status=200)
    s = sink()
    s.send(event("opened"))
    s.send(event("opened"))
    s.send(event("resolved", id="alrt_resolved"))
    s.send(event("reminder", id="alrt_reminder"))
    ids = [c.request.headers["webhook-id"] for c in responses.calls]
    types = [json.loads(c.request.body)["type"] for c in responses.calls]
    assert ids == ["alrt_0123456789abcdef01234567"] * 2 + ["alrt_resolved", "alrt_reminder"]
    assert types == ["erpsync.drift.opened"] * 2 + ["erpsync.drift.resolved", "erpsync.drift.reminder"]


@responses.activate
def test_an_event_without_an_outbox_id_is_named_by_its_drift():
    responses.post(URL, status=200)
    sink().send(event("resolved", id="", fp="abc123"))
    assert responses.calls[0].request.headers["webhook-id"] == "abc123_resolved"


@responses.activate
def test_digest_is_one_signed_post_with_every_event():
    responses.post(URL, status=200)
    events = [event(id=f"alrt_{n}", fp=f"fp{n}") for n in range(5)]
    sink().send_digest(events)
    sink().send_digest(list(reversed(events)))
    assert len(responses.calls) == 2
    first, second = (c.request for c in responses.calls)
    payload = json.loads(first.body)
    assert payload["type"] == "erpsync.drift.digest" and payload["data"]["count"] == 5
    assert [e["id"] for e in payload["data"]["events"]] == [f"alrt_{n}" for n in range(5)]
    h = first.headers
    assert h["webhook-signature"] == spec_signature(SECRET, h["webhook-id"], h["webhook-timestamp"], first.body)
    assert h["webhook-id"].startswith("dgst_") and h["webhook-id"] == second.headers["webhook-id"]


@pytest.mark.parametrize(
    ("status", "headers", "error", "retry_after"),
    [
        (410, {}, PermanentError, None),
        (429, {"Retry-After": "120"}, TemporaryError, 120.0),
        (502, {}, TemporaryError, None),
        (503, {"Retry-After": "30"}, TemporaryError, 30.0),
        (504, {}, TemporaryError, None),
        (500, {}, TemporaryError, None),
        (400, {}, PermanentError, None),
        (401, {}, PermanentError, None),
        (404, {}, PermanentError, None),
        (301, {"Location": "https://elsewhere.example.com/new"}, PermanentError, None),
    ],
)
@responses.activate
def test_answers_are_classified(status, headers, error, retry_after):
    responses.post(URL, status=status, headers=headers, body=f"echo {URL} and {SECRET}")
    with pytest.raises(error) as caught:
        sink().send(event())
    exc = caught.value
    assert type(exc) is error and exc.status == status
    assert getattr(exc, "retry_after", None) == retry_after
    assert "hooks.example.com" in str(exc)
    assert SECRET not in str(exc) and "tok-PATH-SECRET-42" not in str(exc)
    assert len(responses.calls) == 1  # no automatic retry, no redirect followed
    if status == 410:
        assert "endpoint disabled" in str(exc)


@responses.activate
def test_2xx_answers_are_success():
    responses.post(URL, status=202, body="queued")
    assert sink().send(event()) == "HTTP 202: queued"


@pytest.mark.parametrize(
    ("raised", "word"),
    [(requests.ConnectTimeout(f"timed out connecting to {URL}"), "timed out"),
     (requests.ReadTimeout(f"read timed out {URL}"), "timed out"),
     (requests.ConnectionError(f"refused: {URL}"), "connection failed")],
)  # fmt: skip
@responses.activate
def test_network_failures_are_temporary_and_hide_the_url(raised, word):
    responses.post(URL, body=raised)
    with pytest.raises(TemporaryError) as caught:
        sink().send(event())
    assert word in str(caught.value) and "tok-PATH-SECRET-42" not in str(caught.value)


@responses.activate
def test_timeouts_are_connect_5_read_15():
    responses.post(URL, status=200)
    s = sink()
    s.send(event())
    s.close()
    assert responses.calls[0].request.req_kwargs["timeout"] == (5.0, 15.0)


@pytest.mark.parametrize(
    ("secret", "says"),
    [
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "must start with 'whsec_'"),
        ("whsec_not*base64!at-all~~~~~~~~~~~", "not valid base64"),
        ("whsec_" + base64.b64encode(b"short").decode(), "at least 24"),
    ],
)
def test_a_bad_secret_is_refused_naming_the_option(secret, says):
    with pytest.raises(ConfigError) as caught:
        WebhookSink({"url": URL, "secret": secret}, base_dir=None)  # type: ignore[arg-type]
    assert caught.value.key == "webhook.secret" and says in caught.value.reason
    assert secret not in str(caught.value)


def test_an_unpadded_secret_is_accepted():
    padded = "whsec_" + base64.b64encode(b"x" * 25).decode()
    assert padded.endswith("=")
    assert decode_secret(padded.rstrip("=")) == b"x" * 25


def test_signature_headers_cannot_be_overridden():
    with pytest.raises(ConfigError) as caught:
        WebhookSink({"url": URL, "secret": SECRET, "headers": {"Webhook-Signature": "v1,x"}}, base_dir=None)  # type: ignore[arg-type]
    assert caught.value.key == "webhook.headers" and "Webhook-Signature" in caught.value.reason


@pytest.mark.parametrize("value", ["Bearer tok-SECRET-1\n", " Bearer tok-SECRET-1", "Bearer tok\r\nX: y"])
def test_a_header_value_requests_would_refuse_is_a_config_error_that_does_not_quote_it(value):
    """requests refuses it when sending, quoting the value: the token would reach the log and
    the outbox's last error, and be retried until the alert expired."""
    with pytest.raises(ConfigError) as caught:
        WebhookSink({"url": URL, "secret": SECRET, "headers": {"Authorization": value}}, base_dir=None)  # type: ignore[arg-type]
    assert caught.value.key == "webhook.headers" and "Authorization" in caught.value.reason
    assert "tok" not in str(caught.value)


@responses.activate
def test_a_header_value_the_receiver_echoes_is_hidden():
    responses.post(URL, status=401, body="bad token Bearer tok-SECRET-1")
    sink = WebhookSink(
        {"url": URL, "secret": SECRET, "headers": {"Authorization": "Bearer tok-SECRET-1"}}, base_dir=None
    )  # type: ignore[arg-type]
    with pytest.raises(PermanentError) as caught:
        sink.send(event())
    assert "tok-SECRET-1" not in str(caught.value) and "401" in str(caught.value)


def test_secrets_are_declared_for_redaction():
    assert set(WebhookSink.secret_options) == {"url", "secret"} and WebhookSink.rate_limit is None


@responses.activate
def test_a_secret_the_200_character_cut_would_split_is_hidden_whole():
    token = "tok-SECRET-1234567890"
    responses.post(URL, status=401, body="x" * 190 + token)
    sink = WebhookSink({"url": URL, "secret": SECRET, "headers": {"Authorization": token}}, base_dir=None)  # type: ignore[arg-type]
    with pytest.raises(PermanentError) as caught:
        sink.send(event())
    assert "tok-SEC" not in str(caught.value)
