"""The HTML drift report: a RunReport (or alert events) → one self-contained, escaped page.

Plain data in, text out: the page is parsed back with the standard library's HTMLParser, so the
checks read what a browser would show (cell text) rather than searching the markup.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from erpsync.core.models import (
    Action,
    ActionResult,
    AspectReport,
    Drift,
    RunReport,
    Severity,
    ShopReport,
    Texts,
)
from erpsync.plugins.alerts.base import AlertEvent
from erpsync.plugins.alerts.mail_report import COLUMNS as MAIL_COLUMNS
from erpsync.plugins.alerts.mail_report import TITLE as MAIL_TITLE
from erpsync.plugins.alerts.mail_report import alerts_page, render_alerts
from erpsync.render_html import TITLE, render_report, report_page
from erpsync.render_text import COLUMNS, T

MARKUP = '<script>window.pwned=1</script><img src=x onerror="alert(1)">'
AT = datetime(2026, 11, 26, 8, 30, tzinfo=UTC)


class Cells(HTMLParser):
    """Every ``td``'s text by its class, plus every tag and attribute seen."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[dict[str, str]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._cell: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "tr" and "drift" in (dict(attrs).get("class") or ""):
            self.rows.append({})
        if tag == "td" and self.rows:
            self._cell = dict(attrs).get("class") or ""
            self.rows[-1][self._cell] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self.rows[-1][self._cell] += data


def parse(page: str) -> Cells:
    cells = Cells()
    cells.feed(page)
    return cells


def report(subject: str = "WH-DG", *, apply: bool = False) -> RunReport:
    mode = Drift(
        "shop-a", "pickup", "mode_mismatch", subject, "handover_mode", "DROP_OFF", "PICKUP", Severity.CRITICAL,
        "ERP says PICK UP", identity="DROP_OFF/PICK_UP",
        summary=Texts("ERP says PICK UP, Seller Center DROP OFF", "ERP 为上门揽收，商家后台为自寄"),
        why=(Texts("no pickup subscription", "未订阅上门揽收"),),
        steps=(Texts("Set DROP OFF in the ERP", "在 ERP 中改为自寄"),),
    )  # fmt: skip
    street = Drift(
        "shop-a", "warehouse_address", "field_mismatch", "WH-SZ", "street", "1 Road", "1 Road B", Severity.WARNING,
        "street differs",
    )  # fmt: skip
    fix = Action(
        "shop-a", "pickup", "set_handover_mode", "erp", "ERP-1", "handover_mode", "DROP_OFF", "set DROP OFF",
        (mode.fingerprint,),
    )  # fmt: skip
    return RunReport(
        "run1", apply, AT, AT,
        shops=[ShopReport("shop-a", [
            AspectReport("warehouse_address", drifts=[street], notes=["3 rows skipped"]),
            AspectReport("pickup", drifts=[mode], actions=[ActionResult(fix, "planned")]),
        ])],
    )  # fmt: skip


def test_rows_are_the_terminal_table_in_english():
    page = render_report(report(), "en")
    rows = parse(page).rows
    assert rows == [
        {"warehouse": "WH-SZ", "problem": "street address", "seller": "1 Road", "erp": "1 Road B",
         "severity": "warning", "action": "alert only"},
        {"warehouse": "WH-DG", "problem": "handover mode differs", "seller": "DROP OFF", "erp": "PICK UP",
         "severity": "critical", "action": "fix ERP"},
    ]  # fmt: skip
    headers = re.findall(r'<th scope="col" class="[a-z]+">([^<]*)</th>', page)
    assert headers == [c.en for c in COLUMNS] * 2  # a table per shop and aspect with drift
    assert "2 drift(s) found on 1 shop(s); 1 correction(s) planned." in page
    assert "shop-a/warehouse_address: 3 rows skipped" in page
    assert "no pickup subscription" in page and "Set DROP OFF in the ERP" in page
    assert '<html lang="en">' in page and "2026-11-26 16:30 Beijing time" in page


def test_chinese_words_and_labels():
    page = report_page(report(apply=True), "zh")
    assert page.columns == tuple(c.zh for c in COLUMNS) and page.title == TITLE.zh
    (street,), (mode,) = (s.rows for s in page.sections)
    assert mode.cells == ("WH-DG", "交接方式不一致", "DROP OFF（自寄）", "PICK UP（上门揽收）", "严重", "修正 ERP")
    assert street.level == "warning" and mode.level == "critical"
    assert page.sections[1].title == "shop-a · 揽收（--apply 之后）"
    assert page.steps[0].label == "WH-DG（交接方式不一致）" and page.steps[0].steps == ("在 ERP 中改为自寄",)
    assert '<html lang="zh">' in render_report(report(), "zh")


def test_markup_in_a_warehouse_name_is_text():
    page = render_report(report(subject=MARKUP), "en")
    assert parse(page).rows[1]["warehouse"] == MARKUP  # shown as typed, character for character
    assert "<script>window" not in page and "<img" not in page
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in page


def test_self_contained_no_external_assets():
    page = render_report(report(), "en")
    cells = parse(page)
    tags = {tag for tag, _ in cells.tags}
    assert not tags & {"script", "link", "img", "iframe", "object", "embed", "base"}
    assert not [attrs for _, attrs in cells.tags if {"src", "href", "action"} & attrs.keys()]
    assert not re.search(r"https?://|url\(|@import", page)
    assert ("meta", {"charset": "utf-8"}) in cells.tags
    assert ("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}) in cells.tags
    assert "<style>" in page


def test_in_sync_report_has_no_table():
    clean = RunReport("run2", False, AT, AT, shops=[ShopReport("shop-a", [AspectReport("pickup")])])
    page = report_page(clean, "en")
    assert page.in_sync and page.sections == () and page.summary == "In sync: 1 shop(s), no drift."
    assert "<table" not in render_report(clean, "en")


def test_a_report_that_checked_nothing_is_not_shown_as_in_sync():
    skipped = AspectReport("listings", not_run="ERP 'files' keeps no products")
    page = report_page(RunReport("run3", False, AT, AT, shops=[ShopReport("shop-a", [skipped])]), "en")
    assert not page.in_sync and page.summary.startswith("Nothing checked")


def alert(n: int, *, event: str = "opened", shop: str = "深圳一店", subject: str = "WH-DG") -> AlertEvent:
    return AlertEvent(
        event, shop, "pickup", "mode_mismatch", subject, "handover_mode", "DROP OFF", "PICK UP",  # type: ignore[arg-type]
        "critical", "ERP 为上门揽收，商家后台为自寄", f"fp{n}", AT, "run1", lang="zh", id=f"alrt_{n}",
        why=({"en": "no subscription", "zh": "未订阅"},),
        steps=({"en": "Set DROP OFF", "zh": "改为自寄"},), fix={"en": "set DROP OFF in ERP", "zh": "在 ERP 改为自寄"},
    )  # fmt: skip


def test_alerts_page_is_the_same_table():
    assert {"en": tuple(c.en for c in COLUMNS), "zh": tuple(c.zh for c in COLUMNS)} == MAIL_COLUMNS
    assert {"en": TITLE.en, "zh": TITLE.zh} == MAIL_TITLE
    page = alerts_page([alert(1), alert(2, event="resolved", shop="shop-b", subject=MARKUP)])
    assert page.headings["seen"] == T["seen"].zh.rstrip("：") and page.headings["steps"] == T["steps"].zh.rstrip("：")
    assert [s.title for s in page.sections] == ["店铺 深圳一店", "店铺 shop-b"]
    row = page.sections[0].rows[0]
    assert row.cells == ("WH-DG", "交接方式（上门揽收 / 自寄）", "DROP OFF", "PICK UP", "严重", "在 ERP 改为自寄")
    assert page.sections[1].rows[0].cells[5] == "已解决"  # a resolved drift needs no fix
    assert [g.steps for g in page.steps] == [("改为自寄",)]  # only the open one has steps
    html = render_alerts([alert(2, subject=MARKUP)])
    assert parse(html).rows[0]["warehouse"] == MARKUP and "<script>window" not in html


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_both_languages_render(lang):
    assert report_page(report(), lang).lang == lang
