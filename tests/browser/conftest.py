"""Real-browser fixtures: Debian's headless Chromium driven through its chromedriver (Selenium).

- ``browser``: one Chromium per session, cookies and viewport reset for each test. Missing
  ``chromium`` / ``chromedriver`` (or selenium) skips the test, or fails it when
  ``ERPSYNC_REQUIRE_SERVICES=1`` (CI). ``ERPSYNC_CHROMIUM`` / ``ERPSYNC_CHROMEDRIVER`` point
  elsewhere than ``/usr/bin``. Selenium Manager never runs: both paths are given, and the
  machine may have no network.
- ``screenshot(name)``: saves what the browser shows as ``<name>.png`` in ``$ERPSYNC_SCREENSHOTS``
  or ``tests/artifacts/screenshots/`` (CI keeps that folder as output to look at).
- ``site``: the status page (``erpsync ui`` as a child process) over a state store that real
  ``erpsync reconcile`` runs against the sandbox filled: ``shop-a`` with two drifts (one ERP value
  holding markup), ``shop-b`` in sync, ``shop-c`` never run, ``shop-d`` with only aspects its ERP
  keeps nothing for (listings, tracking), so its run checked nothing.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from page_kit import MARKUP, UI_TOKEN
from service_servers import require_or_skip

from erpsync.sandbox import SandboxServer

CHROMIUM = os.environ.get("ERPSYNC_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("ERPSYNC_CHROMEDRIVER", "/usr/bin/chromedriver")
SCREENSHOTS = Path(os.environ.get("ERPSYNC_SCREENSHOTS") or Path(__file__).parents[1] / "artifacts" / "screenshots")
#: the switches headless Chromium needs in a container with no network: no sandboxing (no user
#: namespaces), no GPU, the disk instead of a small /dev/shm, and no background calls home to retry
CHROMIUM_ARGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-extensions", "--disable-default-apps", "--lang=en-US",
)  # fmt: skip
DESKTOP = (1280, 900)
APP = ("demo-app-key", "demo-app-secret", "demo-access-token", "7495000000000000001")
ERP_COLUMNS = (
    "id", "name", "seller_warehouse_id", "contact_person", "phone", "region_code",
    "state", "city", "district", "street", "postal_code", "handover_mode",
)  # fmt: skip
IN_SYNC_MODES = {"WH-DG": "DROP OFF", "WH-SZ": "PICK UP"}


@pytest.fixture(scope="session")
def _chromium() -> Iterator[Any]:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).is_file()]
    if missing:
        require_or_skip(f"no {', '.join(missing)} (Debian: apt-get install chromium chromium-driver)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        require_or_skip("selenium is not installed (pip install -e '.[test]')")
    profile = tempfile.mkdtemp(prefix="erpsync-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (*CHROMIUM_ARGS, f"--user-data-dir={profile}", f"--window-size={DESKTOP[0]},{DESKTOP[1]}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def browser(_chromium: Any) -> Any:
    """The session's Chromium at desktop size, with no cookies from an earlier test."""
    _chromium.execute_cdp_cmd("Network.clearBrowserCookies", {})
    _chromium.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    _chromium.set_window_size(*DESKTOP)
    return _chromium


@pytest.fixture
def screenshot(request: pytest.FixtureRequest, _chromium: Any) -> Callable[[str], Path]:
    def save(name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        assert _chromium.save_screenshot(str(path)), f"no screenshot for {request.node.name}"
        return path

    return save


# -- the status page over a sandbox-backed state store ------------------------------------------


@dataclass
class Site:
    url: str
    root: Path

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(self.url + path, timeout=10, allow_redirects=False, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.post(self.url + path, timeout=10, allow_redirects=False, **kwargs)


def _erp_rows(sandbox_url: str) -> list[dict[str, str]]:
    """An ERP agreeing with Seller Center's demo warehouses (addresses and handover modes)."""
    state = requests.get(f"{sandbox_url}/_sandbox/state", timeout=10).json()["data"]
    rows = []
    for i, w in enumerate(x for x in state["warehouses"] if x["shop_id"] == APP[3]):
        a = w["address"]
        street = " ".join(a[f"address_line{n}"] for n in range(1, 5) if a.get(f"address_line{n}"))
        rows.append({
            "id": f"ERP-{i + 1}", "name": w["name"], "seller_warehouse_id": w["id"],
            "contact_person": a.get("contact_person", ""), "phone": a.get("phone_number", ""),
            "region_code": a.get("region_code", ""), "state": a.get("state", ""), "city": a.get("city", ""),
            "district": a.get("distict", ""), "street": street or a.get("full_address", ""),
            "postal_code": a.get("postal_code", ""), "handover_mode": IN_SYNC_MODES.get(w["id"], ""),
        })  # fmt: skip
    return rows


def _write_erp(folder: Path, rows: list[dict[str, str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "warehouses.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=ERP_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _shop(name: str, url: str, erp: str, aspects: str = "") -> str:
    key, secret, token, shop_id = APP
    return (
        f'[[shops]]\nname = "{name}"\n{aspects}'
        f'[shops.seller]\ntype = "tiktok"\nbase_url = "{url}"\napp_key = "{key}"\n'
        f'app_secret = "{secret}"\naccess_token = "{token}"\nshop_id = "{shop_id}"\n'
        f'[shops.erp]\ntype = "files"\npath = "{erp}"\n'
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("status-page")
    env = {**os.environ, "ERPSYNC_CONFIG": str(root / "erpsync.toml"), "ERPSYNC_UI_TOKEN": UI_TOKEN}
    with SandboxServer(scenario="demo") as sandbox:
        rows = _erp_rows(sandbox.url)
        _write_erp(root / "erp-b", rows)
        rows[0]["handover_mode"] = "PICK UP"  # WH-DG is not subscribed: the ERP is wrong
        rows[1]["street"] += MARKUP  # markup in a value must reach the page as text
        _write_erp(root / "erp-a", rows)
        shops = "".join(_shop(n, sandbox.url, f"erp-{n[-1]}") for n in ("shop-a", "shop-b", "shop-c"))
        (root / "erp-d").mkdir()  # no products, no shipments: listings and tracking are not run
        shops += _shop("shop-d", sandbox.url, "erp-d", aspects='aspects = ["listings", "tracking"]\n')
        ui = '[service.ui]\ntoken = "${ERPSYNC_UI_TOKEN}"\nlang = "en"\n'
        (root / "erpsync.toml").write_text(f'lang = "en"\n{shops}{ui}', encoding="utf-8")
        run = subprocess.run(
            [sys.executable, "-m", "erpsync", "reconcile", "--shop", "shop-a", "--shop", "shop-b", "--shop", "shop-d"],
            cwd=root, env=env, capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip
        assert run.returncode == 2, run.stdout + run.stderr  # shop-a drifts; shop-c never runs
        proc = subprocess.Popen(
            [sys.executable, "-m", "erpsync", "ui", "--listen", "127.0.0.1:0"],
            cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            yield Site(_listening(proc), root)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _listening(proc: subprocess.Popen[str]) -> str:
    """The URL ``erpsync ui`` says it listens on (its first stderr line names the picked port)."""
    assert proc.stderr is not None
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if "listening on http://" in line:
            # keep reading, so a chatty server never blocks on a full pipe
            threading.Thread(target=proc.stderr.read, daemon=True).start()
            return line.split("listening on ", 1)[1].split()[0].rstrip("/")
    proc.wait(timeout=5)
    raise AssertionError(f"erpsync ui exited {proc.returncode}: {''.join(lines)}")
