"""Authorisation webhooks become alerts: a deauthorised shop (type 6), an expiring authorisation (type 7).

Everything is real: the config loaded from a file, ``WebhookReceiver`` and its WSGI app driven by
werkzeug's test client with correctly signed bodies, the SQLite state store, ``jsonl`` sinks, and
``deliver_pending`` writing their files.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client

from erpsync.alert_delivery import deliver_pending
from erpsync.alert_outbox import ConfiguredSink, build_sinks
from erpsync.alert_webhooks import auth_webhook_alerts, quoted_message, webhook_alert_handler
from erpsync.connectors.tiktok.webhooks.receiver import WebhookReceiver, make_wsgi_app, parse_event
from erpsync.core.config import Settings
from erpsync.core.store import Store
from erpsync.plugins.manager import Registry, load_settings

FIXTURES = Path(__file__).parents[1] / "fixtures" / "tiktok" / "webhooks"
APP_KEY = "appkey123"
APP_SECRET = "s3cr3t-app-secret"
ACME_SHOP_ID = "7494049642642441621"  # the shop of the recorded samples
T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


def sign(raw: bytes) -> str:
    """Webhook guide: hex HMAC-SHA256, keyed with app_secret, over app_key + raw body."""
    return hmac.new(APP_SECRET.encode(), APP_KEY.encode() + raw, hashlib.sha256).hexdigest()


def sample(name: str, **changes: Any) -> bytes:
    payload = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    data = changes.pop("data", {})
    payload.update(changes)
    payload["data"].update(data)
    return json.dumps(payload).encode()


DEAUTH = "6-seller-deauthorization.json"
EXPIRING = "7-upcoming-authorization-expiration.json"

SHOP = """
[[shops]]
name = "{name}"
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
SINKS = """
[[alerts]]
type = "jsonl"
name = "ops"
path = "ops.jsonl"
[[alerts]]
type = "jsonl"
name = "ops-zh"
language = "zh"
path = "ops-zh.jsonl"
[[alerts]]
type = "jsonl"
name = "globex-only"
shops = ["globex"]
path = "globex.jsonl"
"""


class World:
    """A config on disk, its sinks, the store, and the webhook app wired to the alert handler."""

    def __init__(self, root: Path, registry: Registry, store: Store) -> None:
        (root / "erpsync.toml").write_text(
            SHOP.format(name="acme", key=APP_KEY, secret=APP_SECRET, shop_id=ACME_SHOP_ID)
            + SHOP.format(name="globex", key=APP_KEY, secret=APP_SECRET, shop_id="8001")
            + SINKS,
            encoding="utf-8",
        )
        self.root = root
        self.now = T0
        self.store = store
        self.settings: Settings = load_settings(root / "erpsync.toml", registry)
        self.sinks: list[ConfiguredSink] = build_sinks(self.settings, registry)
        receiver = WebhookReceiver(APP_KEY, APP_SECRET, store.notifications, clock=lambda: self.now)
        handler = webhook_alert_handler(store, self.settings, self.sinks, clock=lambda: self.now)
        self.client = Client(make_wsgi_app(receiver, handler))

    def post(self, body: bytes) -> str:
        answer = self.client.post("/webhooks/tiktok", data=body, headers={"Authorization": sign(body)})
        assert answer.status_code == 200, answer.json
        return str(answer.headers["X-Erpsync-Result"])

    def deliver(self) -> None:
        report = deliver_pending(self.store, self.sinks, self.now, clock=lambda: self.now)
        assert report.failed == report.retrying == 0

    def lines(self, file: str) -> list[dict[str, Any]]:
        path = self.root / file
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


@pytest.fixture
def world(tmp_path: Path, registry: Registry, store: Store) -> World:
    return World(tmp_path, registry, store)


def test_a_deauthorised_shop_alerts_each_sink_once_even_when_redelivered(world: World) -> None:
    body = sample(DEAUTH)
    assert world.post(body) == "ok"
    rows = world.store.outbox.all_pending()
    # one row per sink that takes shop acme; the sink filtered to globex gets none
    assert sorted(r.sink for r in rows) == ["ops", "ops-zh"]

    world.deliver()
    (line,) = world.lines("ops.jsonl")
    assert (line["kind"], line["severity"], line["shop"], line["aspect"]) == (
        "shop_deauthorized",
        "critical",
        "acme",
        "auth",
    )
    assert line["subject"] == ACME_SHOP_ID and line["event"] == "opened"
    assert line["message"].startswith(f"shop acme (TikTok shop {ACME_SHOP_ID}): the seller removed")
    steps = [s["en"] for s in line["steps"]]
    assert steps == [
        "Re-authorise the shop: run `erpsync auth url --shop acme` and have the seller open the link",
        "Then run `erpsync auth exchange CODE --shop acme` with the code the link returns",
    ]
    (zh,) = world.lines("ops-zh.jsonl")
    assert zh["lang"] == "zh" and zh["message"].startswith(f"店铺 acme（TikTok 店铺 {ACME_SHOP_ID}）：卖家已取消")
    assert world.lines("globex.jsonl") == []

    # the platform delivers again (our answer got lost): the receiver says duplicate, nothing new
    world.now += timedelta(minutes=2)
    assert world.post(body) == "duplicate"
    # and had the receiver not deduped (a race between two deliveries), the ids would
    handler = webhook_alert_handler(world.store, world.settings, world.sinks, clock=lambda: world.now)
    handler(parse_event(body))
    assert world.store.outbox.all_pending() == []
    world.deliver()
    assert len(world.lines("ops.jsonl")) == 1 and len(world.lines("ops-zh.jsonl")) == 1


def test_type_7_daily_for_one_expiry_is_one_alert_and_a_new_expiry_is_another(world: World) -> None:
    assert world.post(sample(EXPIRING)) == "ok"
    world.deliver()
    world.now += timedelta(days=1)  # the next day's notice: a new notification id, the same expiry
    assert world.post(sample(EXPIRING, tts_notification_id="7327112393057999999", timestamp=1735819200)) == "ok"
    assert world.store.outbox.all_pending() == []
    world.deliver()
    (line,) = world.lines("ops.jsonl")
    assert (line["kind"], line["severity"], line["shop"]) == ("authorization_expiring", "warning", "acme")
    # expiration_time 1738324800 is 2025-01-31 12:00 UTC: 20:00 in Beijing
    assert "expires at 2025-01-31 20:00 Beijing time" in line["message"]
    assert line["seller_value"] == "2025-01-31T12:00:00+00:00"
    (zh,) = world.lines("ops-zh.jsonl")
    assert "将于 2025-01-31 20:00 北京时间 过期" in zh["message"]

    # the seller re-authorised and the platform warns about the next expiry: that is news
    world.now += timedelta(days=300)
    renewed = sample(EXPIRING, tts_notification_id="7327112393058000000", data={"expiration_time": "1769860800"})
    assert world.post(renewed) == "ok"
    world.deliver()
    assert [line["seller_value"] for line in world.lines("ops.jsonl")] == [
        "2025-01-31T12:00:00+00:00",
        "2026-01-31T12:00:00+00:00",
    ]


def test_an_unknown_shop_id_still_alerts_and_names_the_id(world: World) -> None:
    body = sample(DEAUTH, tts_notification_id="N-unknown", shop_id="7777000011112222")
    assert world.post(body) == "ok"
    world.deliver()
    (line,) = world.lines("ops.jsonl")
    assert (line["kind"], line["shop"], line["subject"]) == (
        "shop_deauthorized",
        "7777000011112222",
        "7777000011112222",
    )
    assert "TikTok shop 7777000011112222 (not in the config)" in line["message"]
    assert 'add `shop_id = "7777000011112222"`' in line["steps"][0]["en"]
    assert world.lines("globex.jsonl") == []  # a sink filtered to named shops does not take it


def test_the_platform_message_is_quoted_redacted_and_never_a_step(world: World) -> None:
    hostile = f"see [this](https://evil.example/x) <b>now</b>\n`rm -rf` key {APP_SECRET} " + "x" * 400
    body = sample(DEAUTH, tts_notification_id="N-hostile", data={"message": hostile})
    (item, *_) = auth_webhook_alerts(world.settings, world.sinks, parse_event(body), now=world.now, run_id="r")
    event = item.event
    assert APP_SECRET not in json.dumps(event)
    assert "***" in event["message"]
    for ch in "[]<>`\n":
        assert ch not in event["message"]
    assert len(quoted_message(hostile, world.settings.secrets)) == 200
    assert all("evil" not in step["en"] and "evil" not in step["zh"] for step in event["steps"])


def test_other_types_are_ignored(world: World) -> None:
    body = (FIXTURES / "1-order-status-change.json").read_bytes()
    assert world.post(body) == "ok"  # handled (nothing to alert), so not retried
    assert world.store.outbox.recent() == []
