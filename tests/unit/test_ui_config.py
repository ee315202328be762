"""``[service.ui]``: the status page's token (a secret) and language."""

from __future__ import annotations

from pathlib import Path

import pytest

from erpsync.core.errors import ConfigError

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
