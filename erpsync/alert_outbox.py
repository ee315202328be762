"""What goes into the alert outbox: the configured sinks, and each alert rendered for each of them.

The store decides *when* a drift alerts (``drifts.record``: opened, resolved, escalated, reminder) inside the
transaction that records the change; the planner built here decides *who* gets it (each sink's
filters: ``min_severity``, ``shops``, ``aspects``) and renders it in that sink's language, so the
row the outbox keeps is exactly what the sink will be given, already redacted. Token trouble (a
refresh token about to expire) is not a drift change, so it is written through ``store.outbox.add``.

Outbox ids are stable: the same alert for the same sink always gets the same id, however often
it is written or retried, so a channel that deduplicates (Standard Webhooks ``webhook-id``)
shows it once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from erpsync.core.config import AlertSettings, Settings
from erpsync.core.ports import TokenRecord
from erpsync.core.store import AlertKind, AlertPlanner, DriftRow, OutboxItem
from erpsync.core.timefmt import beijing_time
from erpsync.plugins.alerts.base import AlertEvent, AlertSink
from erpsync.plugins.manager import Registry

#: a refresh token this close to its expiry raises a ``token_expiring`` alert
TOKEN_WARNING = timedelta(days=7)
TOKEN_KIND = "token_expiring"


@dataclass(frozen=True)
class ConfiguredSink:
    """A sink instance with the host's settings for it (name, language, filters, timeout)."""

    settings: AlertSettings
    sink: AlertSink

    @property
    def name(self) -> str:
        return self.settings.name

    def wants(self, *, shop: str, aspect: str, severity: str) -> bool:
        return self.settings.wants(shop=shop, aspect=aspect, severity=severity)


def build_sinks(settings: Settings, registry: Registry) -> list[ConfiguredSink]:
    """One instance of every configured sink, through the plugin registry."""
    return [
        ConfiguredSink(a, registry.alert_sinks[a.type](a.options, base_dir=settings.base_dir)) for a in settings.alerts
    ]


def outbox_id(sink: str, *parts: object) -> str:
    """``alrt_`` + 24 hex digits of SHA-256 over the sink and what names the alert."""
    text = "\x1f".join(str(p) for p in (sink, *parts))
    return "alrt_" + hashlib.sha256(text.encode()).hexdigest()[:24]


def planner(
    sinks: Sequence[ConfiguredSink],
    *,
    run_id: str,
    now: datetime,
    redact: Callable[[str], str],
    fixes: Mapping[str, dict[str, str]] | None = None,
    routine: Collection[str] = (),
) -> AlertPlanner:
    """The ``AlertPlanner`` ``drifts.record`` calls inside its transaction.

    A reminder's or an escalation's id includes when the previous alert about the drift was
    written (an escalation's its new severity too), so each is a new alert, while writing the
    same one twice is not. ``fixes`` holds, per drift fingerprint, the correction this run plans
    for it (``fix_text``): every alert but a resolved one says it. ``routine`` names drift kinds
    that are a run's own work (a push waiting to be made, ``Aspect.routine_kinds``): they are
    not announced when they open or resolve, only reminded of if one stays open (a push that
    keeps failing) or escalated if one gets worse, so a thousand tracking numbers pushed are not
    two thousand alerts.
    """

    def plan(kind: AlertKind, row: DriftRow) -> list[OutboxItem]:
        if kind in ("opened", "resolved") and row.kind in routine:
            return []
        items = []
        previous = (row.last_alerted_at or row.opened_at).isoformat()
        nth = {"reminder": previous, "escalated": f"{row.severity.value}@{previous}"}.get(kind, "")
        for target in sinks:
            if not target.wants(shop=row.shop, aspect=row.aspect, severity=row.severity.value):
                continue
            id = outbox_id(target.name, row.fingerprint, row.id, kind, nth)
            fix = (fixes or {}).get(row.fingerprint) if kind != "resolved" else None
            event = AlertEvent.from_drift(
                kind, row, at=now, run_id=run_id, redact=redact, lang=target.settings.language, id=id, fix=fix
            )
            items.append(OutboxItem(id=id, sink=target.name, event=event.as_dict(), drift_id=row.id))
        return items

    return plan


def token_alerts(
    sinks: Sequence[ConfiguredSink], shop: str, token: TokenRecord | None, *, now: datetime, run_id: str
) -> list[OutboxItem]:
    """The ``token_expiring`` alerts for a shop whose refresh token ends within ``TOKEN_WARNING``.

    One per token and sink: the id names the token's expiry, so later runs write nothing new
    until the shop is re-authorised and a new token nears its own end.
    """
    if token is None or token.refresh_token_expires_at - now > TOKEN_WARNING:
        return []
    expires = token.refresh_token_expires_at
    past = expires <= now
    summary = {
        "en": (
            f"shop {shop}: the TikTok Shop authorisation {'expired' if past else 'expires'} at "
            f"{beijing_time(expires, 'en')}; every sync of this shop will fail until it is renewed"
        ),
        "zh": (
            f"店铺 {shop}：TikTok Shop 授权{'已于' if past else '将于'} {beijing_time(expires, 'zh')} 过期，"
            "重新授权前该店铺的同步都会失败"
        ),
    }
    steps = (
        {
            "en": f"Re-authorise the shop: run `erpsync auth url --shop {shop}` and have the seller open the link",
            "zh": f"重新授权：运行 `erpsync auth url --shop {shop}`，请卖家打开链接完成授权",
        },
        {
            "en": f"Then run `erpsync auth exchange CODE --shop {shop}` with the code the link returns",
            "zh": f"然后用链接返回的 code 运行 `erpsync auth exchange CODE --shop {shop}`",
        },
    )
    fingerprint = hashlib.sha256(f"{shop}:auth:{TOKEN_KIND}".encode()).hexdigest()[:32]
    items = []
    for target in sinks:
        if not target.wants(shop=shop, aspect="auth", severity="warning"):
            continue
        lang = target.settings.language
        id = outbox_id(target.name, TOKEN_KIND, shop, expires.isoformat())
        event = AlertEvent(
            event="opened",
            shop=shop,
            aspect="auth",
            kind=TOKEN_KIND,
            subject=shop,
            field="refresh_token_expires_at",
            seller_value=expires.isoformat(),
            erp_value=None,
            severity="warning",
            message=summary[lang],
            fingerprint=fingerprint,
            at=now,
            run_id=run_id,
            summary=summary,
            steps=steps,
            lang=lang,
            id=id,
            first_seen=now,
        )
        items.append(OutboxItem(id=id, sink=target.name, event=event.as_dict()))
    return items


def fix_text(description: str, *, apply: bool, unsupported: str | None = None) -> dict[str, str]:
    """What an alert says about the correction planned for its drift, in both languages.

    The action's description is English (it names ids and values); the words around it say
    whether this run makes the correction (``--apply``), only proposes it, or cannot make it.
    """
    if unsupported is not None:
        return {"en": f"report only: {unsupported}", "zh": f"仅报告，无法自动修正：{unsupported}"}
    if apply:
        return {"en": f"being fixed by this run: {description}", "zh": f"本次运行自动修正：{description}"}
    return {
        "en": f"proposed (run with --apply to make it): {description}",
        "zh": f"建议修正（加 --apply 运行即执行）：{description}",
    }
