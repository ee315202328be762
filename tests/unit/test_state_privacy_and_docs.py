"""Secrets at rest and the newcomer's docs: private state files, the auth host, README and configs agree."""

from __future__ import annotations

import contextlib
import os
import re
import stat
from pathlib import Path

import pytest

from erpsync.connectors.files import COLUMNS
from erpsync.connectors.tiktok.seller import TikTokSellerConnector
from erpsync.core.store import Store
from erpsync.starter import STARTER_CONFIG

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CONFIGS = sorted((ROOT / "config").glob("*.toml"))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    """The world-readable umask of most machines, whatever the test runner's own is."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.usefixtures("open_umask")
def test_new_state_database_is_private(tmp_path: Path) -> None:
    db = tmp_path / "data" / "state.db"
    with Store.open(f"sqlite:///{db}") as store, store.engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
        wal, shm = Path(f"{db}-wal"), Path(f"{db}-shm")
        assert wal.exists() and shm.exists()  # WAL mode: both exist while a connection is open
        assert mode(wal) == 0o600 and mode(shm) == 0o600
    assert mode(db.parent) == 0o700
    assert mode(db) == 0o600


@pytest.mark.usefixtures("open_umask")
def test_existing_folder_and_tighter_database_are_left_alone(tmp_path: Path) -> None:
    """A guard for the "at creation only" rule: erpsync never chmods what already exists."""
    folder = tmp_path / "data"
    folder.mkdir()
    os.chmod(folder, 0o750)  # an operator's choice, e.g. a backup group may list it
    db = folder / "state.db"
    Store.open(f"sqlite:///{db}").close()
    os.chmod(db, 0o400)  # tighter than erpsync's own 0600
    with contextlib.suppress(Exception):  # a read-only database may refuse to open; its mode is what counts
        Store.open(f"sqlite:///{db}").close()
    assert mode(folder) == 0o750
    assert mode(db) == 0o400
    os.chmod(db, 0o600)


def test_auth_host_follows_a_non_production_api_host() -> None:
    from erpsync.connectors.tiktok.seller import auth_base_url_for  # here, so the other tests load without it

    sandbox = "http://127.0.0.1:8765"
    assert auth_base_url_for(sandbox, None) == sandbox
    assert auth_base_url_for("https://open-api.tiktokglobalshop.com", None) == "https://auth.tiktok-shops.com"
    assert auth_base_url_for(sandbox, "https://auth.example") == "https://auth.example"
    options = {"app_key": "key", "app_secret": "secret-long", "shop_id": "7495", "base_url": sandbox}
    assert TikTokSellerConnector.Options().load(options)["auth_base_url"] == sandbox


def test_readme_lists_the_files_erp_columns() -> None:
    section = README.split("## Using it on your shop", 1)[1]
    assert ", ".join(f"`{c}`" for c in COLUMNS) in " ".join(section.split())


def test_every_example_config_says_when_it_fits() -> None:
    assert CONFIGS
    for path in CONFIGS:
        header = path.read_text(encoding="utf-8").split("\n\n", 1)[0]
        fits = re.search(r"^# Fits: (.+)$", header, re.M)
        assert fits, f"{path.name}: no '# Fits:' line in its header comment"
        assert f"`config/{path.name}`" in README, f"README does not name config/{path.name}"


def test_starter_config_walks_through_the_sandbox_and_tokens() -> None:
    assert "erpsync sandbox serve" in STARTER_CONFIG and "auth_base_url" in STARTER_CONFIG
    assert "tokens" in STARTER_CONFIG and "0600" in STARTER_CONFIG
    assert ",".join(COLUMNS) in STARTER_CONFIG
