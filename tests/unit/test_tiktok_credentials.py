"""TikTok credentials are stripped and checked where they are loaded, and never shown, even escaped."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import responses
from open_api_fakes import APP_KEY, BASE, SECRET

from erpsync.connectors.tiktok.auth import parse_token
from erpsync.connectors.tiktok.client import TikTokClient
from erpsync.core.errors import ConfigError, ConnectorError
from erpsync.core.http import HttpPolicy
from erpsync.core.rate_limit import RateLimits

PASTED = "ROW_pasted-TOKEN-42"
CONFIG = """
[[shops]]
name = "a"
[shops.seller]
type = "tiktok"
app_key = "${{TTS_APP_KEY}}"
app_secret = "${{TTS_APP_SECRET}}"
access_token = "${{TTS_ACCESS_TOKEN}}"
shop_id = "1"
[shops.erp]
type = "files"
path = "x"
"""


def test_a_token_read_with_a_trailing_newline_is_stripped(load, tmp_path: Path, monkeypatch) -> None:
    """An environment variable filled from a file (``$(cat token)``) often ends in a newline."""
    monkeypatch.setenv("TTS_APP_KEY", " app-key-1\n")
    monkeypatch.setenv("TTS_APP_SECRET", "app-secret-value\r\n")
    monkeypatch.setenv("TTS_ACCESS_TOKEN", PASTED + "\n")
    path = tmp_path / "erpsync.toml"
    path.write_text(CONFIG.format(), encoding="utf-8")
    options = load(path).shops[0].seller.options
    assert (options["app_key"], options["app_secret"], options["access_token"]) == (
        "app-key-1",
        "app-secret-value",
        PASTED,
    )


@pytest.mark.parametrize("bad", ["ROW_tok TOKEN-42", "ROW_tok\tTOKEN-42", "ROW_tök-TOKEN-42", "  \n"])
def test_a_credential_with_a_stray_character_inside_is_refused_naming_the_key(
    load, tmp_path: Path, monkeypatch, bad: str
) -> None:
    monkeypatch.setenv("TTS_APP_KEY", "app-key-1")
    monkeypatch.setenv("TTS_APP_SECRET", "app-secret-value")
    monkeypatch.setenv("TTS_ACCESS_TOKEN", bad)
    path = tmp_path / "erpsync.toml"
    path.write_text(CONFIG.format(), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load(path)
    text = str(info.value)
    assert "access_token" in text and ("control character" in text or "empty" in text)
    assert "TOKEN-42" not in text and "ROW_t" not in text


def test_a_token_endpoint_answer_is_stripped_and_checked() -> None:
    now = int(datetime.now(UTC).timestamp())
    data = {"access_token": PASTED + "\n", "access_token_expire_in": now, "refresh_token": "ROW_refresh-99",
            "refresh_token_expire_in": now}  # fmt: skip
    assert parse_token(data).access_token == PASTED
    with pytest.raises(ValueError, match="refresh_token holds a space") as info:
        parse_token({**data, "refresh_token": "ROW_refresh 99"})
    assert "refresh 99" not in str(info.value)


@responses.activate
def test_a_token_the_header_refuses_is_not_quoted_in_the_error() -> None:
    """``requests`` quotes a header value it refuses by its repr: ``'ROW_...\\n'``."""
    responses.get(f"{BASE}/authorization/202309/shops", json={"code": 0, "data": {}})
    client = TikTokClient(
        BASE, APP_KEY, SECRET, PASTED + "\n", policy=HttpPolicy(max_attempts=1), rate_limits=RateLimits()
    )
    with pytest.raises(ConnectorError) as info:
        client.call("GET", "/authorization/202309/shops")
    assert "header" in str(info.value) and "pasted-TOKEN" not in str(info.value)
