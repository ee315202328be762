"""Tokens at rest, end to end through the real command: authorise a shop against the sandbox, then
encrypt, rotate and drop keys the way an operator would, reconciling with the stored token after
each step. Key A first, then "B,A" and a rotation, then B alone reads them and A alone fails."""

from __future__ import annotations

import sqlite3

import pytest

from erpsync.core.secrets import KEYS_ENV, new_key

pytestmark = pytest.mark.integration

A, B = new_key(), new_key()


def stored_tokens(root) -> list[str]:
    """Every token value in the workspace's state database, as stored."""
    (database,) = list(root.rglob("state.db"))
    with sqlite3.connect(database) as conn:
        rows = conn.execute("SELECT access_token, refresh_token FROM tokens").fetchall()
    return [value for row in rows for value in row]


def test_encrypt_rotate_and_retire_a_key(demo_ws, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEYS_ENV, raising=False)
    demo_ws.write_erp(demo_ws.erp_rows_matching_seller({"WH-DG": "DROP OFF", "WH-SZ": "PICK UP"}))
    text = demo_ws.config.read_text(encoding="utf-8").replace('access_token = "demo-access-token"\n', "")
    text = text.replace("[shops.erp]", f'auth_base_url = "{demo_ws.url}"\n[shops.erp]')
    demo_ws.config.write_text(text, encoding="utf-8")
    empty = demo_ws.cli("secrets", "status")
    assert empty.returncode == 0 and "encryption: off: no token stored yet" in empty.stdout, empty.stdout
    code = demo_ws.admin("GET", "authorize?app_key=demo-app-key&shop_id=7495000000000000001")["code"]
    exchanged = demo_ws.cli("auth", "exchange", code, "--shop", "shop")
    assert exchanged.returncode == 0, exchanged.stdout + exchanged.stderr

    # no key: stored as they are, and said so
    plain = demo_ws.cli("secrets", "status")
    assert plain.returncode == 0 and "tokens are not encrypted (1 shop(s)" in plain.stdout, plain.stdout
    assert not any(v.startswith("fernet:") for v in stored_tokens(demo_ws.root))

    # key A: the plain tokens are encrypted by a rotation
    monkeypatch.setenv(KEYS_ENV, A)
    first = demo_ws.cli("secrets", "rotate")
    assert first.returncode == 0 and "1 encrypted from plain text" in first.stdout, first.stdout + first.stderr
    assert all(v.startswith("fernet:") for v in stored_tokens(demo_ws.root))
    assert demo_ws.cli("reconcile").returncode == 0

    # "B,A": both open them; the rotation moves them to B; a second rotation changes nothing
    monkeypatch.setenv(KEYS_ENV, f"{B},{A}")
    before = demo_ws.cli("secrets", "status")
    assert "key 2 (older" in before.stdout and "opens 1 shop(s)" in before.stdout, before.stdout
    rotated = demo_ws.cli("secrets", "rotate")
    assert rotated.returncode == 0 and "1 re-encrypted with the newest key" in rotated.stdout, rotated.stdout
    again = demo_ws.cli("secrets", "rotate")
    assert again.returncode == 0 and "1 already under the newest key" in again.stdout, again.stdout

    # B alone reads them
    monkeypatch.setenv(KEYS_ENV, B)
    after = demo_ws.cli("reconcile")
    assert after.returncode == 0, after.stdout + after.stderr
    assert "key 1 (newest) opens 1 shop(s)" in demo_ws.cli("secrets", "status").stdout

    # A alone fails clearly, and no key at all too; neither message shows a key or a token
    for keys, expected in ((A, "none of the 1 key(s) in ERPSYNC_SECRET_KEYS"), (None, f"{KEYS_ENV} is not set")):
        if keys is None:
            monkeypatch.delenv(KEYS_ENV)
        else:
            monkeypatch.setenv(KEYS_ENV, keys)
        failed = demo_ws.cli("reconcile")
        output = failed.stdout + failed.stderr
        assert failed.returncode == 1 and expected in output, output
        assert A not in output and B not in output
        status = demo_ws.cli("secrets", "status")
        assert status.returncode == 1 and "open with none of the keys" in status.stdout, status.stdout
