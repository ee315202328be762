"""The status page (``erpsync ui``) in a real browser, over a state store that real reconcile runs
against the sandbox filled (``site`` in conftest: shop-a drifted, shop-b in sync, shop-c never run,
shop-d checked nothing).

Written against the page's DOM contract (ids and classes in docs/status-page.md), not its looks.
The tests share one server per module; the acknowledging tests use different drifts, so their
order does not matter.
"""

from __future__ import annotations

import pytest
from page_kit import MARKUP, UI_TOKEN, click_and_load, horizontal_overflow, no_script_ran, phone
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

pytestmark = [pytest.mark.integration, pytest.mark.browser]

STATES = {"shop-a": "drift", "shop-b": "in_sync", "shop-c": "never_run", "shop-d": "not_run"}


def shops_shown(browser) -> dict[str, str]:
    rows = browser.find_elements(By.CSS_SELECTOR, "table#shops tr.shop")
    return {r.get_attribute("data-shop"): r.get_attribute("data-state") for r in rows}


def drift_ids(browser) -> list[str]:
    return [r.get_attribute("data-drift-id") for r in browser.find_elements(By.CSS_SELECTOR, "tr.drift")]


def log_in(browser, site, token: str = UI_TOKEN) -> None:
    browser.get(site.url + "/login")
    browser.find_element(By.CSS_SELECTOR, "form#login input[name=token]").send_keys(token)
    click_and_load(browser, browser.find_element(By.ID, "login-submit"))


def test_overview_lists_every_shop_with_its_state(browser, site, screenshot):
    browser.get(site.url + "/")
    assert shops_shown(browser) == STATES
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert browser.find_element(By.ID, "login").is_displayed()  # logged out: a login link
    assert not browser.find_elements(By.ID, "logged-in")
    screenshot("status-overview")


def test_filter_by_state_and_by_name(browser, site):
    browser.get(site.url + "/")
    Select(browser.find_element(By.CSS_SELECTOR, "form#filter select[name=state]")).select_by_value("drift")
    click_and_load(browser, browser.find_element(By.ID, "apply-filter"))
    assert shops_shown(browser) == {"shop-a": "drift"}
    assert "state=drift" in browser.current_url  # a filter is a link one can share

    Select(browser.find_element(By.CSS_SELECTOR, "form#filter select[name=state]")).select_by_value("all")
    search = browser.find_element(By.CSS_SELECTOR, "form#filter input[name=q]")
    search.clear()
    search.send_keys("op-b")
    click_and_load(browser, browser.find_element(By.ID, "apply-filter"))
    assert shops_shown(browser) == {"shop-b": "in_sync"}

    browser.get(site.url + "/?state=never_run")
    assert shops_shown(browser) == {"shop-c": "never_run"}


def test_a_shop_that_checked_nothing_is_not_shown_in_sync(browser, site):
    browser.get(site.url + "/?state=not_run")
    assert shops_shown(browser) == {"shop-d": "not_run"}
    assert browser.find_element(By.CSS_SELECTOR, 'tr.shop[data-shop="shop-d"] span.state').text == "nothing checked"
    browser.get(site.url + "/shops/shop-d?lang=zh")
    assert browser.find_element(By.ID, "shop-state").text == "未检查"


def test_language_switch(browser, site):
    browser.get(site.url + "/")
    click_and_load(browser, browser.find_element(By.ID, "lang-zh"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh"
    assert shops_shown(browser) == STATES
    click_and_load(browser, browser.find_element(By.ID, "lang-en"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"


def test_shop_page_shows_drifts_side_by_side_markup_as_text(browser, site, screenshot):
    browser.get(site.url + "/shops/shop-a")
    rows = browser.find_elements(By.CSS_SELECTOR, "table#drifts tr.drift")
    assert len(rows) == 2
    keys = ("seller", "erp", "fix", "since")
    cells = [{k: r.find_element(By.CSS_SELECTOR, f"td.{k}").text for k in keys} for r in rows]
    assert all(c["since"] for c in cells)
    assert any("DROP OFF" in c["seller"] and "PICK UP" in c["erp"] for c in cells)  # WH-DG's handover mode
    assert any(c["erp"].endswith(MARKUP) for c in cells)  # the ERP street with markup, as text
    no_script_ran(browser)
    assert not browser.find_elements(By.CSS_SELECTOR, "table#drifts img, table#drifts script")
    assert not browser.find_elements(By.CSS_SELECTOR, "form.ack, button.ack-button")  # read-only when logged out
    for table in ("runs", "ledger", "outbox"):
        assert browser.find_element(By.ID, table)
    screenshot("status-shop")


def test_acknowledge_refused_without_login(browser, site):
    browser.get(site.url + "/shops/shop-a")
    last = drift_ids(browser)[-1]
    answer = site.post(f"/drifts/{last}/ack", data={"csrf": "guess"})
    assert answer.status_code == 403 or (answer.status_code in (302, 303) and "/login" in answer.headers["Location"])
    browser.refresh()
    row = browser.find_element(By.CSS_SELECTOR, f'tr.drift[data-drift-id="{last}"]')
    assert not row.find_elements(By.CSS_SELECTOR, "td.acked")


def test_wrong_token_is_refused(browser, site):
    log_in(browser, site, token="not-the-token-at-all-0000000000000")
    assert browser.find_element(By.ID, "login-error").is_displayed()
    assert site.post("/login", data={"token": "wrong"}).status_code == 401
    browser.get(site.url + "/")
    assert not browser.find_elements(By.ID, "logged-in")


def test_acknowledge_after_login(browser, site, screenshot):
    log_in(browser, site)
    assert browser.find_elements(By.ID, "logged-in")
    browser.get(site.url + "/shops/shop-a")
    first = drift_ids(browser)[0]

    # the session's cookie without the form's CSRF token is refused
    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    assert site.post(f"/drifts/{first}/ack", data={}, cookies=cookies).status_code == 403
    assert site.post(f"/drifts/{first}/ack", data={"csrf": "forged"}, cookies=cookies).status_code == 403

    form = browser.find_element(By.CSS_SELECTOR, f'form.ack[action="/drifts/{first}/ack"]')
    assert form.find_element(By.CSS_SELECTOR, "input[name=csrf]").get_attribute("value")
    click_and_load(browser, form.find_element(By.CSS_SELECTOR, "button.ack-button"))
    browser.get(site.url + "/shops/shop-a")
    row = browser.find_element(By.CSS_SELECTOR, f'tr.drift[data-drift-id="{first}"]')
    assert row.find_element(By.CSS_SELECTOR, "td.acked").text
    screenshot("status-shop-acknowledged")


@pytest.mark.parametrize("path", ["/", "/shops/shop-a", "/login"])
def test_usable_on_a_phone(browser, site, screenshot, path):
    phone(browser)
    browser.get(site.url + path)
    assert browser.execute_script("return window.innerWidth;") == 375
    viewport = browser.find_element(By.CSS_SELECTOR, 'meta[name="viewport"]').get_attribute("content")
    assert viewport == "width=device-width, initial-scale=1"
    assert horizontal_overflow(browser) == 0, f"{path} is wider than a 375 px screen"
    name = {"/": "overview", "/shops/shop-a": "shop", "/login": "login"}[path]
    screenshot(f"status-{name}-375px")
