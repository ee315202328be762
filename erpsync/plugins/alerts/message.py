"""What an alert says, in Chinese or English, for every sink that sends words to people.

One place decides the words so that a DingTalk group, a Slack channel and an email read the same
facts: the shop, the warehouse or order, the field in words, both sides' values (商家后台 vs ERP),
the severity, when it was first seen (Beijing time, the clock sellers and providers keep) and the
fix (the drift's guided steps). Sinks pick a form: ``text`` (plain), ``markdown`` (the subset
DingTalk and WeCom render: headings, bold, lists), or ``facts`` to lay out in their own format
(Slack mrkdwn, Feishu rich text). Digests fold many alerts into one message under a channel's
rate limit, one line per alert grouped by shop; they stop adding lines before a byte limit and
say how many were left out, because a digest cut mid-line hides which alerts it dropped.

The language is the event's (``event.lang``): the host hands each sink events already in its
configured language. Every value here comes from an ``AlertEvent``, whose texts the host has
already redacted.
"""

from __future__ import annotations

from collections.abc import Sequence

from erpsync.core.timefmt import beijing_time
from erpsync.plugins.alerts.base import AlertEvent

__all__ = [
    "TRUNCATED",
    "digest_markdown",
    "digest_text",
    "digest_title",
    "event_words",
    "facts",
    "field_words",
    "markdown",
    "markdown_body",
    "severity_words",
    "steps",
    "subject_words",
    "text",
    "text_body",
    "title",
    "truncate_bytes",
]

#: appended where a text was cut to fit a channel's limit
TRUNCATED = {"en": "…(truncated)", "zh": "…（已截断）"}

_SEVERITY = {
    "critical": ("Critical", "严重"),
    "warning": ("Warning", "警告"),
    "info": ("Info", "提示"),
}
_EVENT = {
    "opened": ("New drift", "新问题"),
    "resolved": ("Resolved", "已解决"),
    "escalated": ("Escalated", "问题升级"),
    "reminder": ("Reminder: still open", "提醒：仍未解决"),
    "test": ("Test message", "测试消息"),
}
#: the fields drifts name, in the words of Seller Center's forms and the ops terms of docs/domain.md
_FIELD = {
    "contact_person": ("contact person", "联系人"),
    "phone": ("phone", "联系电话"),
    "region_code": ("region code", "国家/地区代码"),
    "state": ("province/state", "省/州"),
    "city": ("city", "城市"),
    "district": ("district", "区/县"),
    "street": ("street address", "详细地址"),
    "postal_code": ("postal code", "邮政编码"),
    "handover_mode": ("handover mode (PICK UP / DROP OFF)", "交接方式（上门揽收 / 自寄）"),
    "handover_method": ("handover method on the label", "面单交接方式"),
    "subscription_status": ("pickup subscription status", "揽收订阅状态"),
    "tracking_number": ("tracking number", "运单号"),
}
#: the aspects whose subject is a warehouse; an aspect about orders says "order"
_WAREHOUSE_ASPECTS = frozenset({"warehouse_address", "pickup"})
#: aspects about orders whose name does not say so (the ship-by aspect's subject is an order id)
_ORDER_ASPECTS = frozenset({"ship_by"})

_LABELS = {
    "shop": ("Shop", "店铺"),
    "warehouse": ("Warehouse", "仓库"),
    "order": ("Order", "订单"),
    "subject": ("Subject", "对象"),
    "field": ("Field", "字段"),
    "seller": ("Seller Center", "商家后台"),
    "erp": ("ERP", "ERP"),
    "severity": ("Severity", "严重程度"),
    "first_seen": ("First seen", "首次发现"),
    "resolved_at": ("Resolved at", "解决时间"),
    "steps": ("What to do", "处理步骤"),
    "fix": ("Fix applied or proposed", "已执行或建议的修正"),
    "empty": ("(empty)", "（空）"),
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "zh" else pair[0]


def _label(key: str, lang: str) -> str:
    return _pick(_LABELS[key], lang)


def _colon(lang: str) -> str:
    return "：" if lang == "zh" else ": "


def severity_words(event: AlertEvent) -> str:
    """``严重`` / ``Critical``; an unknown severity as given."""
    pair = _SEVERITY.get(event.severity)
    return _pick(pair, event.lang) if pair else event.severity


def event_words(event: AlertEvent) -> str:
    """What happened: ``新问题`` / ``已解决`` / ``问题升级`` / ``提醒：仍未解决`` (New drift / Resolved /
    Escalated / Reminder)."""
    pair = _EVENT.get(event.event)
    return _pick(pair, event.lang) if pair else event.event


def field_words(event: AlertEvent) -> str | None:
    """The field in words (``联系电话``, ``postal code``), None for a drift about a whole record."""
    if event.field is None:
        return None
    pair = _FIELD.get(event.field)
    return _pick(pair, event.lang) if pair else event.field.replace("_", " ")


def subject_words(event: AlertEvent) -> str:
    """``仓库 WH1`` / ``warehouse WH1``, ``订单 5770…`` / ``order 5770…``, or the bare id."""
    key = _subject_key(event)
    if key == "subject":
        return event.subject
    noun = _label(key, event.lang)
    return f"{noun} {event.subject}" if event.lang == "zh" else f"{noun.lower()} {event.subject}"


def _subject_key(event: AlertEvent) -> str:
    if event.aspect in _WAREHOUSE_ASPECTS:
        return "warehouse"
    if event.aspect in _ORDER_ASPECTS or "order" in event.aspect or "order" in event.kind:
        return "order"
    return "subject"


def _value(value: str | None, lang: str) -> str:
    return value if value not in (None, "") else _label("empty", lang)


def title(event: AlertEvent) -> str:
    """One line for a notification or subject: ``【严重】新问题 · 店铺 shop-a · 仓库 WH1 · 联系电话``."""
    lang = event.lang
    parts = [event_words(event), f"{_label('shop', lang)} {event.shop}" if lang == "zh" else event.shop]
    parts.append(subject_words(event))
    field = field_words(event)
    if field:
        parts.append(field)
    head = f"【{severity_words(event)}】" if lang == "zh" else f"[{severity_words(event)}] "
    return head + " · ".join(parts)


def facts(event: AlertEvent) -> list[tuple[str, str]]:
    """The alert's facts as ``(label, value)`` pairs, labels in the event's language.

    A resolved drift says when it opened (if known) and when it resolved; the others when the
    drift was first seen. The fix applied or proposed (``event.fix``) is a fact when known; the
    guided steps are not (see ``steps``).

    Both sides' values appear whenever the drift names a field or either side has a value (a
    warehouse missing in the ERP has the Seller Center name and nothing on the ERP side).
    """
    lang = event.lang
    rows = [(_label("shop", lang), event.shop), (_label(_subject_key(event), lang), event.subject)]
    field = field_words(event)
    if field:
        rows.append((_label("field", lang), field))
    if field or event.seller_value or event.erp_value:
        rows.append((_label("seller", lang), _value(event.seller_value, lang)))
        rows.append((_label("erp", lang), _value(event.erp_value, lang)))
    rows.append((_label("severity", lang), severity_words(event)))
    # ``first_seen`` is when the drift opened; an event without it is its own first sighting.
    first_seen = getattr(event, "first_seen", None)
    if event.event == "resolved":
        if first_seen is not None:
            rows.append((_label("first_seen", lang), beijing_time(first_seen, lang)))
        rows.append((_label("resolved_at", lang), beijing_time(event.at, lang)))
    else:
        rows.append((_label("first_seen", lang), beijing_time(first_seen or event.at, lang)))
    fix = getattr(event, "fix", None)
    if fix:
        rows.append((_label("fix", lang), fix.get(lang) or fix.get("en", "")))
    return rows


def steps(event: AlertEvent) -> list[str]:
    """The guided fix, for an alert that still needs one (not for a resolved drift)."""
    return [] if event.event == "resolved" else [s for s in event.step_texts() if s]


def text(event: AlertEvent) -> str:
    """The whole alert as plain text: title, message, facts, numbered steps."""
    return f"{title(event)}\n{text_body(event)}"


def text_body(event: AlertEvent) -> str:
    """``text`` without its title line, for a channel with a title field of its own (Feishu, email)."""
    colon = _colon(event.lang)
    lines = [event.message, ""]
    lines += [f"{label}{colon}{value}" for label, value in facts(event)]
    fix = steps(event)
    if fix:
        lines += ["", _label("steps", event.lang) + colon.rstrip()]
        lines += [f"{n}. {step}" for n, step in enumerate(fix, start=1)]
    return "\n".join(lines)


def markdown(event: AlertEvent) -> str:
    """The whole alert in the markdown DingTalk and WeCom render (``###``, ``**bold**``, lists)."""
    return f"### {title(event)}\n\n{markdown_body(event)}"


def markdown_body(event: AlertEvent) -> str:
    """``markdown`` without its heading, for a sink that styles the heading itself (WeCom's colours)."""
    colon = _colon(event.lang)
    parts = [event.message, "\n".join(f"- **{label}**{colon}{value}" for label, value in facts(event))]
    fix = steps(event)
    if fix:
        numbered = "\n".join(f"{n}. {step}" for n, step in enumerate(fix, start=1))
        parts.append(f"**{_label('steps', event.lang)}**\n\n{numbered}")
    return "\n\n".join(parts)


def truncate_bytes(text: str, limit: int, *, lang: str = "en") -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes on a character boundary, ending ``…(truncated)``.

    Channels count bytes, not characters (WeCom: markdown 4096 B, text 2048 B), and a Chinese
    character is three bytes, so a cut by characters can still be refused.
    """
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    marker = TRUNCATED["zh" if lang == "zh" else "en"]
    room = limit - len(marker.encode("utf-8"))
    if room <= 0:
        return data[:limit].decode("utf-8", errors="ignore")
    return data[:room].decode("utf-8", errors="ignore") + marker


# -- digests ----------------------------------------------------------------------------------


def _lang(events: Sequence[AlertEvent]) -> str:
    return events[0].lang if events else "en"


def digest_title(events: Sequence[AlertEvent]) -> str:
    """``erpsync：12 条告警（新问题 3，已解决 2，升级 1，提醒 6）`` / ``erpsync: 12 alerts (3 new, ...)``."""
    lang = _lang(events)
    counts = {kind: sum(1 for e in events if e.event == kind) for kind in _EVENT}
    others = len(events) - sum(counts.values())
    if lang == "zh":
        words = {"opened": "新问题", "resolved": "已解决", "escalated": "升级", "reminder": "提醒"}
        parts = [f"{words[k]} {n}" for k, n in counts.items() if n]
        parts += [f"其他 {others}"] if others else []
        return f"erpsync：{len(events)} 条告警（{'，'.join(parts)}）"
    words = {"opened": "new", "resolved": "resolved", "escalated": "escalated", "reminder": "reminder"}
    parts = [f"{n} {words[k]}{'s' if k == 'reminder' and n > 1 else ''}" for k, n in counts.items() if n]
    parts += [f"{others} other"] if others else []
    noun = "alert" if len(events) == 1 else "alerts"
    return f"erpsync: {len(events)} {noun} ({', '.join(parts)})"


def _digest_line(event: AlertEvent) -> str:
    """One alert on one line: severity, what happened, subject, field and the message."""
    lang = event.lang
    head = f"【{severity_words(event)}】" if lang == "zh" else f"[{severity_words(event)}] "
    parts = [event_words(event), subject_words(event)]
    return head + " · ".join(parts) + _colon(lang) + event.message


def _grouped(events: Sequence[AlertEvent]) -> list[tuple[str, list[AlertEvent]]]:
    """Events by shop, shops in first-seen order, each shop's events most severe first."""
    rank = {"critical": 0, "warning": 1, "info": 2}
    shops: dict[str, list[AlertEvent]] = {}
    for event in events:
        shops.setdefault(event.shop, []).append(event)
    return [(shop, sorted(evs, key=lambda e: rank.get(e.severity, 3))) for shop, evs in shops.items()]


def _shop_heading(shop: str, count: int, lang: str, md: bool) -> str:
    words = f"{_label('shop', lang)} {shop}（{count}）" if lang == "zh" else f"{shop} ({count})"
    return f"**{words}**" if md else words


def _more(left: int, lang: str) -> str:
    if lang == "zh":
        return f"…另有 {left} 条未列出（erpsync drifts 查看全部）"
    return f"… {left} more not listed (see erpsync drifts)"


def _digest(events: Sequence[AlertEvent], *, md: bool, limit: int | None) -> str:
    """The digest's lines in order, stopping (with a "N more" line) before ``limit`` bytes."""
    lang = _lang(events)
    sep = "\n\n" if md else "\n"
    lines = [f"### {digest_title(events)}" if md else digest_title(events)]
    size = len(lines[0].encode("utf-8"))
    shown = 0
    for shop, shop_events in _grouped(events):
        # A shop's heading only goes in with at least its first alert after it.
        pending = [("\n\n" if md else "\n") + _shop_heading(shop, len(shop_events), lang, md)]
        for event in shop_events:
            pending.append("\n- " + _digest_line(event))
            cost = sum(len(p.encode("utf-8")) for p in pending)
            more = len((sep + _more(len(events) - shown - 1, lang)).encode("utf-8"))
            last = shown + 1 == len(events)
            if limit is not None and size + cost + (0 if last else more) > limit:
                tail = sep + _more(len(events) - shown, lang)
                return truncate_bytes("".join(lines) + tail, limit, lang=lang)
            lines.extend(pending)
            size += cost
            pending = []
            shown += 1
    return "".join(lines)


def digest_text(events: Sequence[AlertEvent], *, limit: int | None = None) -> str:
    """Many alerts as one plain-text message: a count line, then one line per alert by shop.

    With ``limit`` (UTF-8 bytes), lines stop before the limit and a last line says how many
    were left out.
    """
    return _digest(events, md=False, limit=limit)


def digest_markdown(events: Sequence[AlertEvent], *, limit: int | None = None) -> str:
    """``digest_text`` in markdown: the count line as a heading, each shop in bold."""
    return _digest(events, md=True, limit=limit)
