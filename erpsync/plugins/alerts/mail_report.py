"""Alerts as the HTML drift report: the page the email sink attaches (``attach_report = true``).

The attachment is the table ``erpsync reconcile --format html`` writes, filled from alert events
instead of a run: one section per shop, a row per alert (warehouse, problem, both sides' values,
severity, what happened or the fix), what was seen and why, and the guided steps. A reader
forwarding it to the warehouse team or archiving it gets one file that opens anywhere offline.

The column and title words repeat ``render_text``'s (this layer cannot import the report
renderers); a unit test holds them equal.
"""

from __future__ import annotations

from collections.abc import Sequence

from erpsync.core.drift_words import kind_words
from erpsync.core.timefmt import beijing_time
from erpsync.plugins.alerts.base import AlertEvent
from erpsync.plugins.alerts.message import (
    digest_title,
    event_words,
    field_words,
    severity_words,
    steps,
    subject_words,
    title,
)
from erpsync.report_html import Page, Row, Section, Seen, StepGroup, render_page

__all__ = ["ATTACHMENT_NAME", "COLUMNS", "TITLE", "alerts_page", "render_alerts"]

#: the attachment's file name: ASCII, so every client shows it the same
ATTACHMENT_NAME = "erpsync-report.html"
COLUMNS = {
    "en": ("warehouse", "problem", "Seller Center", "ERP", "severity", "action"),
    "zh": ("仓库", "问题", "商家后台", "ERP", "严重程度", "处理"),
}
TITLE = {"en": "erpsync drift report", "zh": "erpsync 差异报告"}
_HEADINGS = {
    "en": {"seen": "What erpsync saw, and why", "steps": "What to do", "note": "note", "error": "error"},
    "zh": {"seen": "erpsync 看到的情况及原因", "steps": "处理步骤", "note": "说明", "error": "错误"},
}
_SHOP = {"en": "{}", "zh": "店铺 {}"}


def render_alerts(events: Sequence[AlertEvent]) -> str:
    """The HTML document for ``events`` (at least one), in their language."""
    return render_page(alerts_page(events))


def alerts_page(events: Sequence[AlertEvent]) -> Page:
    """The report page for ``events``, grouped by shop in first-seen order."""
    lang = "zh" if events and events[0].lang == "zh" else "en"
    shops: dict[str, list[AlertEvent]] = {}
    for event in events:
        shops.setdefault(event.shop, []).append(event)
    sections = tuple(
        Section(
            _SHOP[lang].format(shop),
            tuple(_row(e) for e in shop_events),
            tuple(Seen(e.message, tuple(w.get(lang) or w.get("en", "") for w in e.why)) for e in shop_events),
        )
        for shop, shop_events in shops.items()
    )
    fixes = tuple(StepGroup(f"{e.shop} · {subject_words(e)}", tuple(steps(e))) for e in events if steps(e))
    return Page(
        lang=lang,
        title=TITLE[lang],
        columns=COLUMNS[lang],
        sections=sections,
        summary=title(events[0]) if len(events) == 1 else digest_title(events),
        generated=beijing_time(max(e.at for e in events), lang),
        headings=_HEADINGS[lang],
        in_sync=all(e.event == "resolved" for e in events),
        steps=fixes,
    )


def _row(event: AlertEvent) -> Row:
    """What happened to the drift goes in the action column: the fix when one is known. The
    problem is the field in words, else the kind in words (a ship-by drift names no field)."""
    fix = event.fix.get(event.lang) or event.fix.get("en") if event.fix else None
    action = fix if fix and event.event != "resolved" else event_words(event)
    problem = field_words(event) or kind_words(event.kind, event.lang) or event.kind.replace("_", " ")
    cells = (event.subject, problem, event.seller_value or "—", event.erp_value or "—", severity_words(event), action)
    return Row(cells, event.severity if event.severity in ("critical", "warning", "info") else "info")
