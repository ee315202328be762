"""The HTML report in a real browser, opened from disk with no server and no network."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from page_kit import MARKUP, horizontal_overflow, no_script_ran, phone
from selenium.webdriver.common.by import By

from erpsync.core.models import AspectReport, Drift, RunReport, Severity, ShopReport, Texts
from erpsync.render_html import render_report

pytestmark = [pytest.mark.integration, pytest.mark.browser]

AT = datetime(2026, 11, 26, 8, 30, tzinfo=UTC)


def report() -> RunReport:
    drifts = [
        Drift(
            "深圳一店", "pickup", "mode_mismatch", MARKUP, "handover_mode", "DROP_OFF", "PICKUP", Severity.CRITICAL,
            "ERP says PICK UP", summary=Texts("ERP says PICK UP", "ERP 为上门揽收，商家后台为自寄"),
            why=(Texts("no pickup subscription", "未订阅上门揽收"),), steps=(Texts("Set DROP OFF", "改为自寄"),),
        ),
        Drift(
            "深圳一店", "pickup", "review_stuck", "WH-SZ-" + "长" * 60, "subscription_status", "pending_review",
            "active", Severity.WARNING, "review overdue",
        ),
    ]  # fmt: skip
    return RunReport("run1", False, AT, AT, shops=[ShopReport("深圳一店", [AspectReport("pickup", drifts=drifts)])])


@pytest.fixture
def report_file(tmp_path):
    def write(lang: str):
        path = tmp_path / f"report-{lang}.html"
        path.write_text(render_report(report(), lang), encoding="utf-8")
        return path.as_uri()

    return write


def test_report_opens_offline_and_shows_the_table(browser, report_file, screenshot):
    browser.get(report_file("en"))
    table = browser.find_element(By.CSS_SELECTOR, "table.drifts")
    assert table.is_displayed()
    rows = browser.find_elements(By.CSS_SELECTOR, "tr.drift")
    assert len(rows) == 2
    cells = {c.get_attribute("class"): c.text for c in rows[0].find_elements(By.TAG_NAME, "td")}
    assert cells == {
        "warehouse": MARKUP, "problem": "handover mode differs", "seller": "DROP OFF", "erp": "PICK UP",
        "severity": "critical", "action": "alert only",
    }  # fmt: skip
    assert browser.find_elements(By.CSS_SELECTOR, "img, script") == []  # the markup made no elements
    no_script_ran(browser)
    assert browser.execute_script("return performance.getEntriesByType('resource').length;") == 0  # nothing fetched
    screenshot("report-en")


def test_report_in_chinese_on_a_phone(browser, report_file, screenshot):
    phone(browser)
    browser.get(report_file("zh"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh"
    assert browser.find_element(By.CSS_SELECTOR, "tr.drift td.problem").text.endswith("交接方式不一致")
    assert horizontal_overflow(browser) == 0  # a long warehouse name wraps instead of widening the page
    no_script_ran(browser)
    screenshot("report-zh-375px")
