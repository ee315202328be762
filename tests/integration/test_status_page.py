"""`erpsync ui` as a real process over a state store a sandbox-backed `reconcile` filled: the
pages answer over HTTP, a drift can be acknowledged after logging in and not before, and SIGTERM
stops the server."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys

import pytest
import requests
from test_cli_reconcile import drifted_erp

pytestmark = pytest.mark.integration

TOKEN = "status-page-token-for-tests"


def start_ui(ws) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "ERPSYNC_CONFIG": str(ws.config), "ERPSYNC_UI_TOKEN": TOKEN}
    proc = subprocess.Popen(
        [sys.executable, "-m", "erpsync", "ui", "--listen", "127.0.0.1:0"],
        cwd=ws.root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()
    found = re.search(r"listening on (http://127\.0\.0\.1:\d+)/", line)
    if found is None:
        proc.kill()
        raise AssertionError(f"no address from erpsync ui: {line}{proc.communicate()[1]}")
    return proc, found.group(1)


def test_status_page_over_a_reconciled_store(demo_ws):
    demo_ws.write_config(extra='[service.ui]\ntoken = "${ERPSYNC_UI_TOKEN}"\n')
    demo_ws.write_erp(drifted_erp(demo_ws))
    env = {**os.environ, "ERPSYNC_CONFIG": str(demo_ws.config), "ERPSYNC_UI_TOKEN": TOKEN}
    done = subprocess.run(
        [sys.executable, "-m", "erpsync", "reconcile"], cwd=demo_ws.root, env=env, capture_output=True, text=True
    )
    assert done.returncode == 2, done.stderr
    proc, base = start_ui(demo_ws)
    try:
        overview = requests.get(f"{base}/", timeout=10)
        assert overview.status_code == 200
        assert '<tr class="shop" data-shop="shop" data-state="drift">' in overview.text
        assert 'id="login"' in overview.text
        shop = requests.get(f"{base}/shops/shop", timeout=10).text
        ids = re.findall(r'<tr class="drift" data-drift-id="(\d+)">', shop)
        assert len(ids) == 2, shop
        assert 'class="ack"' not in shop
        assert requests.post(f"{base}/drifts/{ids[0]}/ack", data={"csrf": "x"}, timeout=10).status_code == 403

        session = requests.Session()
        assert session.post(f"{base}/login", data={"token": "wrong"}, timeout=10).status_code == 401
        assert 'id="logged-in"' in session.post(f"{base}/login", data={"token": TOKEN}, timeout=10).text
        pasted = requests.Session()  # the token pasted with the newline the terminal copied along
        assert 'id="logged-in"' in pasted.post(f"{base}/login", data={"token": f" {TOKEN}\n"}, timeout=10).text
        page = session.get(f"{base}/shops/shop", timeout=10).text
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
        assert csrf is not None and 'class="ack-button"' in page
        assert session.post(f"{base}/drifts/{ids[0]}/ack", timeout=10).status_code == 403  # no CSRF token
        acked = session.post(f"{base}/drifts/{ids[0]}/ack", data={"csrf": csrf.group(1)}, timeout=10)
        assert acked.status_code == 200 and 'class="acked"' in acked.text
        assert "北京时间" in requests.get(f"{base}/shops/shop?lang=zh", timeout=10).text
        assert requests.get(f"{base}/nowhere", timeout=10).status_code == 404
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    assert code == 0, proc.communicate()[1]
