"""Test helper (not a test module): what the browser tests share besides fixtures.

Imported as ``from page_kit import ...`` (the test's folder is on ``sys.path``), never from
``conftest``, whose module name other folders' conftests share.
"""

from __future__ import annotations

from typing import Any

from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.support.ui import WebDriverWait

PHONE_WIDTH = 375
UI_TOKEN = "ui-token-for-the-browser-tests-0123456789"
#: markup that runs script if a page ever inserts it as HTML: sets ``window.pwned``, opens an alert
MARKUP = '<img src=x onerror="window.pwned=1;alert(1)"><script>window.pwned=2;alert(2)</script>'


def phone(driver: Any, width: int = PHONE_WIDTH) -> None:
    """Lay pages out as a phone ``width`` CSS pixels wide does (until the next ``browser``)."""
    metrics = {"width": width, "height": 780, "deviceScaleFactor": 2, "mobile": True}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)


def horizontal_overflow(driver: Any) -> int:
    """CSS pixels the page is wider than the viewport (0: nothing to scroll sideways)."""
    return int(driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth;"))


def no_script_ran(driver: Any) -> None:
    """No alert is open and the markup's script set nothing."""
    try:
        text = driver.switch_to.alert.text
    except NoAlertPresentException:
        text = None
    assert text is None, f"an alert opened: {text!r}"
    assert driver.execute_script("return window.pwned;") is None


def click_and_load(driver: Any, element: Any, timeout: float = 15) -> None:
    """Click a link or submit button and wait for the next page: a click returns before the
    browser has left the old page, which would still answer the next lookup."""
    driver.execute_script("window.__erpsync_old_page = true;")  # a new page starts without it
    element.click()
    WebDriverWait(driver, timeout).until(
        lambda d: d.execute_script("return !window.__erpsync_old_page && document.readyState === 'complete';")
    )
