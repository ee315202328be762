"""What each webhook makes erpsync do: sync requests, alerts, pauses, bodies kept for an unknown shop.

Everything is real: the config loaded from a file, the SQLite state store, ``jsonl`` sinks; events
come from signed bodies through the receiver's WSGI app (werkzeug's test client).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client

from erpsync.alert_outbox import build_sinks
from erpsync.connectors.tiktok.webhooks.receiver import KeepForInspection, WebhookReceiver, make_wsgi_app, parse_event
from erpsync.core.store import Store
from erpsync.plugins.manager import Registry, load_settings
from erpsync.service.webhook_actions import WebhookActions, aspects_for, scheduler_trigger

APP_KEY = "appkey123"
APP_SECRET = "s3cr3t-app-secret"
ACME, GLOBEX, STRANGER = "7494049642642441621", "8001", "999"
NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)

SHOP = """
[[shops]]
name = "{name}"
{aspects}
[shops.seller]
type = "tiktok"
app_key = "{key}"
app_secret = "{secret}"
access_token = "t0ken-value-{name}"
shop_id = "{shop_id}"
[shops.erp]
type = "files"
path = "erp"
"""
SINK = """
[[alerts]]
type = "jsonl"
name = "ops"
path = "ops.jsonl"
"""


def body(type_: int, data: dict[str, Any], shop_id: str = ACME, nid: str = "N1") -> bytes:
    payload = {"type": type_, "tts_notification_id": nid, "shop_id": shop_id, "timestamp": 1735732800, "data": data}
    return json.dumps(payload).encode()


ORDER_ASPECTS = ("tracking", "order_status")
PACKAGES = {"sc_type": "SPLIT", "package_list": [{"package_id": "P1", "order_id_list": ["O1"]}]}
TOKOPEDIA_FAILED = {
    "audit": {"status": "APPROVED"},
    "integrated_platform_statuses": [{"platform": "TOKOPEDIA", "status": "FAILED"}],
}
ORDER = {"order_id": "576684019603311365", "order_status": "AWAITING_COLLECTION", "update_time": 1735732800}


class World:
    def __init__(self, root: Path, registry: Registry, store: Store) -> None:
        acme = SHOP.format(name="acme", aspects="", key=APP_KEY, secret=APP_SECRET, shop_id=ACME)
        globex = SHOP.format(
            name="globex",
            aspects='aspects = ["order_status", "listings"]',
            key=APP_KEY,
            secret=APP_SECRET,
            shop_id=GLOBEX,
        )
        (root / "erpsync.toml").write_text(acme + globex + SINK, encoding="utf-8")
        self.store = store
        self.settings = load_settings(root / "erpsync.toml", registry)
        sinks = build_sinks(self.settings, registry)
        self.actions = WebhookActions(
            self.settings, store, sinks, scheduler_trigger(store, lambda: NOW), clock=lambda: NOW
        )
        receiver = WebhookReceiver(APP_KEY, APP_SECRET, store.notifications, clock=lambda: NOW)
        self.client = Client(make_wsgi_app(receiver, self.actions))

    def post(self, raw: bytes) -> tuple[int, str]:
        sig = hmac.new(APP_SECRET.encode(), APP_KEY.encode() + raw, hashlib.sha256).hexdigest()
        answer = self.client.post("/", data=raw, headers={"Authorization": sig})
        return answer.status_code, str(answer.headers["X-Erpsync-Result"])

    def requested(self, shop: str | None = None) -> list[tuple[str, str]]:
        return sorted((r.shop, r.aspect) for r in self.store.sync_requests.pending(shop))


@pytest.fixture
def world(tmp_path: Path, registry: Registry, store: Store) -> World:
    return World(tmp_path, registry, store)


def test_order_status_requests_tracking_and_order_status_of_that_shop_once(world: World) -> None:
    assert world.post(body(1, ORDER)) == (200, "ok")
    assert world.requested() == [("acme", "order_status"), ("acme", "tracking")]
    (request, _) = world.store.sync_requests.pending("acme")
    assert "type 1" in request.reason and "notification N1" in request.reason and request.requested_at == NOW
    assert world.post(body(1, ORDER)) == (200, "duplicate")  # the redelivery
    assert world.post(body(1, ORDER, nid="N2")) == (200, "ok")  # another change while still pending: merged
    assert len(world.store.sync_requests.pending()) == 2
    assert world.store.shop_pauses.all() == []


@pytest.mark.parametrize(
    ("type_", "data", "aspects"),
    [
        (4, PACKAGES, ORDER_ASPECTS),
        (11, {"order_id": "O1", "cancel_status": "CANCELLATION_REQUEST_COMPLETE"}, ORDER_ASPECTS),
        (5, {"product_id": 1, "status": "PRODUCT_AUDIT_FAILURE", "suspended_reason": "x"}, ("listings",)),
        (5, {"product_id": 1, "status": "PRODUCT_STATUS_CHANGED"}, ()),
        (37, {"product_id": 1, "audit": {"status": "FAILED"}}, ("listings",)),
        (37, {"product_id": 1, **TOKOPEDIA_FAILED}, ("listings",)),
        (37, {"product_id": 1, "audit": {"status": "APPROVED"}}, ()),
        (3, {"order_id": "O1"}, ()),
        (15, {"product_id": 1, "changed_fields": ["title"]}, ()),
    ],
)  # fmt: skip
def test_each_type_asks_for_the_aspects_it_changes(
    world: World, type_: int, data: dict, aspects: tuple[str, ...]
) -> None:
    raw = body(type_, data)
    assert aspects_for(parse_event(raw)) == aspects
    assert world.post(raw) == (200, "ok")
    assert world.requested() == sorted(("acme", a) for a in aspects)


def test_only_the_aspects_a_shop_runs_are_requested(world: World) -> None:
    assert world.post(body(1, ORDER, shop_id=GLOBEX)) == (200, "ok")
    assert world.requested() == [("globex", "order_status")]  # globex does not run tracking


def test_deauthorisation_pauses_the_shop_and_alerts(world: World) -> None:
    assert world.post(body(6, {"message": "Shop acme is deauthorized"})) == (200, "ok")
    (pause,) = world.store.shop_pauses.all()
    assert (pause.shop, pause.paused_at) == ("acme", NOW)
    assert "erpsync webhooks resume acme" in pause.reason and "notification N1" in pause.reason
    (alert,) = world.store.outbox.all_pending()
    assert (alert.sink, alert.event["kind"], alert.event["shop"]) == ("ops", "shop_deauthorized", "acme")
    assert world.requested() == []
    assert world.store.shop_pauses.get("globex") is None


def test_an_unknown_shop_is_kept_for_inspection_not_dropped(world: World) -> None:
    raw = body(1, ORDER, shop_id=STRANGER)
    assert world.post(raw) == (200, "kept for inspection")
    (kept,) = world.store.notifications.list_kept()
    assert kept.raw_body == raw and kept.key == "N1" and not kept.handled
    assert f"TikTok shop {STRANGER} is not in the config" in kept.reason
    assert world.requested() == []
    assert world.post(raw) == (200, "kept for inspection")  # not recorded as handled: kept again, counted
    (kept,) = world.store.notifications.list_kept()
    assert kept.deliveries == 2


def test_an_unknown_shops_deauthorisation_still_alerts_and_is_kept(world: World) -> None:
    assert world.post(body(6, {"message": "gone"}, shop_id=STRANGER)) == (200, "kept for inspection")
    (alert,) = world.store.outbox.all_pending()
    assert alert.event["shop"] == STRANGER and alert.event["kind"] == "shop_deauthorized"
    assert world.store.shop_pauses.all() == []
    assert len(world.store.notifications.list_kept()) == 1


def test_the_handler_raises_keep_for_inspection_for_an_unknown_shop(world: World) -> None:
    with pytest.raises(KeepForInspection, match="not in the config"):
        world.actions(parse_event(body(37, {"product_id": 1, "audit": {"status": "FAILED"}}, shop_id=STRANGER)))
