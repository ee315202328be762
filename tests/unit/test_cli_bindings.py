"""``erpsync bindings``: the configured and kept warehouse matches, and forgetting kept ones."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from erpsync.cli import State, cli
from erpsync.core.errors import UsageError
from erpsync.core.store import Store
from erpsync.plugins.manager import get_plugin_manager

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "erp").mkdir()
    path = tmp_path / "erpsync.toml"
    shop = (
        '[[shops]]\nname = "{name}"\n[shops.seller]\ntype = "tiktok"\n'
        'app_key = "k"\napp_secret = "s3cr3t-value"\nshop_id = "1"\n'
        '[shops.erp]\ntype = "files"\npath = "erp"\n'
    )
    path.write_text(
        shop.format(name="acme") + '[shops.bindings]\nE9 = "W9"\n' + shop.format(name="beta"), encoding="utf-8"
    )
    with Store.open(f"sqlite:///{tmp_path / '.erpsync' / 'state.db'}") as store:
        store.bindings.bind_many("acme", "warehouse", {"E1": "W1", "E2": "W2"}, now=T0)
        store.bindings.bind_many("beta", "warehouse", {"E1": "X1"}, now=T0)
        store.bindings.bind_many("acme", "product", {"P1": "tt-1"}, now=T0)  # not a warehouse match
    return path


def invoke(config: Path, *args: str) -> tuple[int, str]:
    state = State(str(config), pm=get_plugin_manager(entrypoints=False))
    result = CliRunner().invoke(cli, ["-c", str(config), "bindings", *args], obj=state, catch_exceptions=False)
    return result.exit_code, result.output


def test_lists_configured_and_kept_matches_per_shop(config: Path) -> None:
    code, out = invoke(config, "--format", "json")
    assert code == 0
    rows = [(r["shop"], r["erp_id"], r["seller_id"], r["from"]) for r in json.loads(out)["bindings"]]
    assert rows == [
        ("acme", "E9", "W9", "config"),
        ("acme", "E1", "W1", "kept"),
        ("acme", "E2", "W2", "kept"),
        ("beta", "E1", "X1", "kept"),
    ]
    code, out = invoke(config, "--shop", "beta")
    assert code == 0 and "X1" in out and "W1" not in out and "kept since 2026-03-01 08:00" in out


def test_forget_one_then_all(config: Path) -> None:
    code, out = invoke(config, "--shop", "acme", "--forget", "E1")
    assert (code, out.strip()) == (0, "acme: forgot 1 kept match")
    code, out = invoke(config, "--shop", "acme", "--forget-all")
    assert (code, out.strip()) == (0, "acme: forgot 1 kept match")
    _, out = invoke(config, "--format", "json")
    assert [r["erp_id"] for r in json.loads(out)["bindings"] if r["shop"] == "acme"] == ["E9"]  # config stays


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--forget", "E1"), "--forget and --forget-all need exactly one --shop"),
        (("--shop", "acme", "--forget", "E1", "--forget-all"), "not both"),
        (("--shop", "nosuch"), "unknown shop 'nosuch'"),
    ],
)
def test_usage_errors(config: Path, args: tuple[str, ...], message: str) -> None:
    with pytest.raises(UsageError, match=message):  # the entry point turns it into exit code 64
        invoke(config, *args)


def test_a_long_id_is_whole_in_the_table_off_a_terminal(config: Path, tmp_path: Path) -> None:
    """Piped (``| cat``), the table is not cut to 80 columns: an id cut with … cannot be given
    to --forget."""
    long_id = "ERP-WAREHOUSE-" + "0123456789" * 8
    with Store.open(f"sqlite:///{tmp_path / '.erpsync' / 'state.db'}") as store:
        store.bindings.bind_many("acme", "warehouse", {long_id: "W-" + "9" * 40}, now=T0)
    code, out = invoke(config)
    assert code == 0 and long_id in out and "W-" + "9" * 40 in out
