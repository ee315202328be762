"""A TSP's first day: authorise a shop through the CLI, then reconcile with the stored token."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def test_authorise_then_reconcile_with_the_stored_token(demo_ws):
    demo_ws.write_erp(demo_ws.erp_rows_matching_seller({"WH-DG": "DROP OFF", "WH-SZ": "PICK UP"}))
    text = demo_ws.config.read_text(encoding="utf-8")
    text = text.replace('access_token = "demo-access-token"\n', "")
    text = text.replace(
        "[shops.erp]", f'auth_base_url = "{demo_ws.url}"\nservice_id = "7310000000000000001"\n[shops.erp]'
    )
    demo_ws.config.write_text(text, encoding="utf-8")

    before = demo_ws.cli("reconcile")
    assert before.returncode == 1
    assert "erpsync auth url --shop shop" in before.stdout

    url = demo_ws.cli("auth", "url", "--shop", "shop")
    assert url.returncode == 0 and "service_id=7310000000000000001" in url.stdout

    code = demo_ws.admin("GET", "authorize?app_key=demo-app-key&shop_id=7495000000000000001")["code"]
    exchanged = demo_ws.cli("auth", "exchange", code, "--shop", "shop")
    assert exchanged.returncode == 0, exchanged.stdout + exchanged.stderr
    assert code not in exchanged.stdout

    status = demo_ws.cli("auth", "status")
    assert status.returncode == 0 and "shop" in status.stdout and "stored" in status.stdout
    # no ERPSYNC_SECRET_KEYS here: both commands say the stored token is in plain text, and how to fix it
    assert "tokens are not encrypted (1 shop(s) stored in plain text)" in " ".join(status.stdout.split())
    checked = demo_ws.cli("check")
    assert "erpsync secrets rotate" in " ".join(checked.stdout.split()), checked.stdout

    after = demo_ws.cli("reconcile")
    assert after.returncode == 0, after.stdout + after.stderr

    reused = demo_ws.cli("auth", "exchange", code, "--shop", "shop")
    assert reused.returncode == 1 and "36004004" in reused.stdout + reused.stderr
