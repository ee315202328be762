"""``erpsync webhooks kept``: the webhook bodies kept without handling, listed, shown and deleted."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_store_prune import write_config

from erpsync.cli import State, cli
from erpsync.core.store import Store
from erpsync.plugins.manager import get_plugin_manager

NOW = datetime.now(UTC)
BUYER = b'{"type": 1, "shop_id": "9", "data": {"buyer_name": "Li Lei"}}'


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = write_config(tmp_path)
    with Store.open(f"sqlite:///{tmp_path}/.erpsync/state.db") as store:
        log = store.notifications
        log.keep("tiktok", BUYER, "TikTok shop ID 9 is not in the config", NOW - timedelta(hours=2), key="N9")
        log.keep("tiktok", b"not json", "not JSON", NOW - timedelta(hours=1))
        log.keep("tiktok", b"{}", "handler failed: broker down", NOW - timedelta(hours=3), key="N1")
        log.record("N1", source="tiktok", now=NOW)  # the platform's retry was handled
    return path


def kept(config: Path, *args: str) -> tuple[int, str]:
    state = State(str(config), pm=get_plugin_manager(entrypoints=False))
    args = ("-c", str(config), "webhooks", "kept", *args)
    result = CliRunner().invoke(cli, args, obj=state, catch_exceptions=False, standalone_mode=False)
    return result.return_value, result.output


def ids(config: Path, *args: str) -> list[int]:
    code, out = kept(config, "--format", "json", *args)
    assert code == 0
    return [row["id"] for row in json.loads(out)["kept"]]


def test_the_list_says_why_each_body_was_kept_without_showing_it(config: Path) -> None:
    code, out = kept(config)
    assert code == 0
    assert "TikTok shop ID 9 is not in the config" in out and "not JSON" in out
    assert "broker down" not in out  # handled since: needs no attention
    assert "Li Lei" not in out  # buyer data only on purpose
    code, out = kept(config, "--all")
    assert code == 0 and "broker down (handled since)" in out


def test_json_lists_the_most_recent_first_without_bodies(config: Path) -> None:
    code, out = kept(config, "--format", "json")
    assert code == 0
    rows = json.loads(out)["kept"]
    assert [r["reason"] for r in rows] == ["not JSON", "TikTok shop ID 9 is not in the config"]
    assert rows[1]["key"] == "N9" and rows[1]["bytes"] == len(BUYER) and not rows[1]["handled"]
    assert "Li Lei" not in out


def test_a_body_is_printed_as_received_and_deleted_once_read(config: Path) -> None:
    newest, shop9 = ids(config)
    code, out = kept(config, "--body", str(shop9))
    assert code == 0 and out.encode() == BUYER
    code, out = kept(config, "--delete", str(shop9), "--delete", str(newest))
    assert code == 0 and "deleted 2 of 2" in out
    assert ids(config) == []
    assert kept(config, "--body", str(shop9))[0] == 1
    assert kept(config, "--delete", str(shop9))[0] == 1
