"""``[service.ui]``: the status page's token (a secret) and language."""

from __future__ import annotations

from pathlib import Path

import pytest

from erpsync.core.errors import ConfigError
from erpsync.ui.auth import Auth

SHOP = """
[[shops]]
name = "s"
[shops.seller]
type = "tiktok"
app_key = "app-1"
app_secret = "s3cr3t-value"
access_token = "t0ken-value"
shop_id = "1"
[shops.erp]
type = "files"
path = "x"
"""


def write(tmp_path: Path, head: str) -> Path:
    path = tmp_path / "erpsync.toml"
    path.write_text(head + "\n" + SHOP, encoding="utf-8")
    return path


def test_defaults_read_only_and_top_level_language(load, tmp_path):
    settings = load(write(tmp_path, 'lang = "zh"'))
    assert settings.service.ui.token == "" and settings.service.ui.lang is None and settings.lang == "zh"


def test_token_from_the_environment_is_a_secret(load, tmp_path, monkeypatch):
    monkeypatch.setenv("ERPSYNC_UI_TOKEN", "a-long-ui-token")
    settings = load(write(tmp_path, '[service.ui]\ntoken = "${ERPSYNC_UI_TOKEN}"\nlang = "en"'))
    assert settings.service.ui.token == "a-long-ui-token" and settings.service.ui.lang == "en"
    assert "a-long-ui-token" in settings.secrets


@pytest.mark.parametrize(
    ("table", "key", "reason"),
    [('token = "short"', "service.ui.token", "too short"), ('lang = "fr"', "service.ui.lang", "'fr'")],
)
def test_mistakes_named_by_key(load, tmp_path, table, key, reason):
    with pytest.raises(ConfigError) as info:
        load(write(tmp_path, f"[service.ui]\n{table}"))
    assert reason in dict(info.value.problems)[key]


def test_token_read_with_a_trailing_newline_logs_in_with_the_token(load, tmp_path, monkeypatch):
    """A token from a secret file or ``$(cat file)`` ends in a newline the operator never types:
    kept, no login matched it, and logs redacted only the token with its newline."""
    monkeypatch.setenv("ERPSYNC_UI_TOKEN", " a-long-ui-token\r\n")
    settings = load(write(tmp_path, '[service.ui]\ntoken = "${ERPSYNC_UI_TOKEN}"'))
    assert settings.service.ui.token == "a-long-ui-token" and "a-long-ui-token" in settings.secrets
    assert Auth(settings.service.ui.token).token_ok("a-long-ui-token")


def test_a_passphrase_with_spaces_inside_is_kept_whole(load, tmp_path):
    """Unlike TikTok's credentials, the token is the operator's own choice, typed into a form:
    only the whitespace around it goes."""
    settings = load(write(tmp_path, '[service.ui]\ntoken = "  correct horse 电池 staple "'))
    assert settings.service.ui.token == "correct horse 电池 staple"


def test_a_token_of_whitespace_alone_is_refused_not_read_only(load, tmp_path, monkeypatch):
    """Written as "", the token asks for a read-only page; whitespace alone is a secret file filled wrongly."""
    monkeypatch.setenv("ERPSYNC_UI_TOKEN", " \n")
    with pytest.raises(ConfigError) as info:
        load(write(tmp_path, '[service.ui]\ntoken = "${ERPSYNC_UI_TOKEN}"'))
    assert "empty" in dict(info.value.problems)["service.ui.token"]
