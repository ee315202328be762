"""Alerts from TikTok's authorisation webhooks: a shop that removed the app, an authorisation ending.

A deauthorised shop (webhook type 6) fails every sync until the seller authorises the app again,
and an authorisation about to end (type 7) will; neither is a drift, and nobody reads the webhook
receiver's log, so both become alerts in the outbox (aspect ``auth``, like ``token_expiring``).

The receiver must answer within 3 s, so :func:`webhook_alert_handler` only writes outbox rows; the
outbox's delivery sends them later. Ids are stable so a redelivered notification writes nothing
new: a deauthorisation's id names the notification (its dedupe key); an expiry warning's id names
the expiration time instead, because the platform repeats type 7 daily for its last 30 days and
one alert per expiry is enough.

The notification's ``message`` is the platform's free text: it is never made into a step (an
operator follows steps), only quoted in the summary, redacted, on one line, cut short, and without
the characters that make links or markup in the chat channels' markdown.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from datetime import datetime

from erpsync.alert_outbox import ConfiguredSink, outbox_id
from erpsync.connectors.tiktok.webhooks.models import AuthorizationExpiring, SellerDeauthorized, WebhookEvent
from erpsync.core.config import Settings
from erpsync.core.redaction import redact
from erpsync.core.store import OutboxItem, Store
from erpsync.core.timefmt import beijing_time
from erpsync.plugins.alerts.base import AlertEvent

logger = logging.getLogger("erpsync.alerts.webhooks")

DEAUTHORIZED_KIND = "shop_deauthorized"
EXPIRING_KIND = "authorization_expiring"
ASPECT = "auth"
#: how much of the platform's message an alert quotes
MESSAGE_CHARS = 200
#: control characters, and what makes a link, an autolink, inline code or HTML in markdown
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\[\]<>`]")


def shops_for(settings: Settings, tiktok_shop_id: str) -> list[str]:
    """The configured shops whose seller options carry ``shop_id`` = ``tiktok_shop_id``."""
    return [s.name for s in settings.shops if str(s.seller.options.get("shop_id", "")) == tiktok_shop_id]


def quoted_message(text: str, secrets: Sequence[str]) -> str:
    """The platform's ``message`` as safe to quote: redacted, one line, no markup, short."""
    cleaned = " ".join(_UNSAFE.sub(" ", redact(text, secrets)).split())
    return cleaned if len(cleaned) <= MESSAGE_CHARS else cleaned[: MESSAGE_CHARS - 1] + "…"


def _texts(kind: str, shop: str | None, tiktok_id: str, expires: datetime | None) -> dict[str, dict[str, str]]:
    """Summary and steps in both languages; ``shop`` None: no configured shop has this id."""
    who = {
        "en": f"shop {shop} (TikTok shop {tiktok_id})" if shop else f"TikTok shop {tiktok_id} (not in the config)",
        "zh": f"店铺 {shop}（TikTok 店铺 {tiktok_id}）" if shop else f"TikTok 店铺 {tiktok_id}（配置中没有）",
    }
    if kind == DEAUTHORIZED_KIND:
        summary = {
            "en": f"{who['en']}: the seller removed erpsync's authorisation; every sync of this shop fails "
            "until the seller authorises the app again",
            "zh": f"{who['zh']}：卖家已取消对 erpsync 的授权，重新授权前该店铺的同步都会失败",
        }
    else:
        assert expires is not None
        summary = {
            "en": f"{who['en']}: the TikTok Shop authorisation expires at {beijing_time(expires, 'en')}; "
            "every sync of this shop will fail after that unless the seller authorises the app again",
            "zh": f"{who['zh']}：TikTok Shop 授权将于 {beijing_time(expires, 'zh')} 过期，"
            "过期后如未重新授权，该店铺的同步都会失败",
        }
    name = shop or "NAME"
    steps = {}
    if shop is None:
        steps["find"] = {
            "en": f'Find the shop this is: add `shop_id = "{tiktok_id}"` to its seller table in the config '
            "(or ignore this alert if erpsync does not sync that shop); NAME below is its name",
            "zh": f'确认是哪个店铺：在配置中该店铺的 seller 表里写上 `shop_id = "{tiktok_id}"`'
            "（若 erpsync 不同步该店铺可忽略本告警）；下文 NAME 即其店铺名",
        }
    steps["url"] = {
        "en": f"Re-authorise the shop: run `erpsync auth url --shop {name}` and have the seller open the link",
        "zh": f"重新授权：运行 `erpsync auth url --shop {name}`，请卖家打开链接完成授权",
    }
    steps["exchange"] = {
        "en": f"Then run `erpsync auth exchange CODE --shop {name}` with the code the link returns",
        "zh": f"然后用链接返回的 code 运行 `erpsync auth exchange CODE --shop {name}`",
    }
    return {"summary": summary, **steps}


def auth_webhook_alerts(
    settings: Settings, sinks: Sequence[ConfiguredSink], event: WebhookEvent, *, now: datetime, run_id: str
) -> list[OutboxItem]:
    """The alerts for a type 6 or 7 notification, one per configured shop it names and sink; other types: none.

    A ``shop_id`` no configured shop carries still alerts (under the id itself as the shop, which
    only sinks without a ``shops`` filter take): a shop that lost its authorisation is worth
    hearing about even when the config does not know it yet.
    """
    if isinstance(event, SellerDeauthorized):
        kind, severity, expires, key = DEAUTHORIZED_KIND, "critical", None, event.dedupe_key
    elif isinstance(event, AuthorizationExpiring):
        kind, severity, expires = EXPIRING_KIND, "warning", event.expiration_time
        key = expires.isoformat()
    else:
        return []
    quote = quoted_message(event.message, settings.secrets) if event.message else ""
    shops: list[str | None] = [*shops_for(settings, event.shop_id)] or [None]
    items = []
    for shop in shops:
        texts = _texts(kind, shop, event.shop_id, expires)
        summary = texts.pop("summary")
        if quote:
            summary = {"en": f"{summary['en']} (TikTok: “{quote}”)", "zh": f"{summary['zh']}（TikTok 原文：“{quote}”）"}
        label = shop or event.shop_id
        fingerprint = hashlib.sha256(f"{label}:{ASPECT}:{kind}".encode()).hexdigest()[:32]
        for target in sinks:
            if not target.wants(shop=label, aspect=ASPECT, severity=severity):
                continue
            lang = target.settings.language
            id = outbox_id(target.name, kind, event.shop_id, label, key)
            alert = AlertEvent(
                event="opened",
                shop=label,
                aspect=ASPECT,
                kind=kind,
                subject=event.shop_id,
                field="authorization_expires_at" if expires else None,
                seller_value=expires.isoformat() if expires else None,
                erp_value=None,
                severity=severity,
                message=summary[lang],
                fingerprint=fingerprint,
                at=now,
                run_id=run_id,
                summary=summary,
                steps=tuple(texts.values()),
                lang=lang,
                id=id,
                first_seen=event.timestamp,
            )
            items.append(OutboxItem(id=id, sink=target.name, event=alert.as_dict()))
    return items


def webhook_alert_handler(
    store: Store, settings: Settings, sinks: Sequence[ConfiguredSink], *, clock: Callable[[], datetime]
) -> Callable[[WebhookEvent], None]:
    """An ``on_event`` for ``make_wsgi_app`` that turns types 6 and 7 into outbox rows and ignores the rest.

    It only writes to the state store (fast enough for the platform's 3 s); a store error
    propagates, so the receiver answers 500 and the platform delivers the notification again.
    """

    def on_event(event: WebhookEvent) -> None:
        now = clock()
        items = auth_webhook_alerts(settings, sinks, event, now=now, run_id=f"webhook-{event.dedupe_key}")
        if not items:
            if isinstance(event, SellerDeauthorized | AuthorizationExpiring):
                logger.warning("%s (TikTok shop %s): no alert sink takes it", event.label, event.shop_id)
            return
        written = store.outbox.add(items, now=now)
        if written:
            logger.info("%s: %d alert(s) queued for TikTok shop %s", event.label, len(written), event.shop_id)

    return on_event
