"""``erpsync auth``: url, exchange and status against ``responses`` and a real state file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import responses
from click.testing import CliRunner

from erpsync.cli import State
from erpsync.connectors.tiktok.commands import auth, relative
from erpsync.core.errors import ConfigError, UsageError
from erpsync.core.ports import TokenRecord
from erpsync.core.store import Store

AUTH = "https://auth.test"
BASE = "https://open-api.test"
SECRET = "s3cr3t-app-secret"
ACCESS, REFRESH = "ROW_access-SECRET-9", "ROW_refresh-SECRET-9"


def write_config(root: Path, *, service_id: bool = True) -> Path:
    path = root / "erpsync.toml"
    shop = (
        '[[shops]]\nname = "{name}"\n[shops.seller]\ntype = "tiktok"\n'
        f'base_url = "{BASE}"\nauth_base_url = "{AUTH}"\napp_key = "key"\napp_secret = "{SECRET}"\n'
        'shop_id = "{shop_id}"\n{extra}[shops.erp]\ntype = "files"\npath = "erp"\n'
    )
    sid = 'service_id = "7100"\n' if service_id else ""
    path.write_text(
        f'[state]\nurl = "sqlite:///{root}/state.db"\n'
        + shop.format(name="acme", shop_id="7495", extra=sid)
        + shop.format(name="globex", shop_id="8001", extra=f'access_token = "{ACCESS}-static"\n'),
        encoding="utf-8",
    )
    return path


def run(config: Path, *args: str):
    return CliRunner().invoke(auth, list(args), obj=State(str(config)), catch_exceptions=True)


def test_relative() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert relative(now + timedelta(days=3, hours=2), now) == "expires in 3 d"
    assert relative(now + timedelta(hours=5), now) == "expires in 5 h"
    assert relative(now + timedelta(seconds=10), now) == "expires in 1 min"
    assert relative(now - timedelta(hours=2), now) == "expired 2 h ago"


def test_url_prints_the_authorize_link(tmp_path: Path) -> None:
    result = run(write_config(tmp_path), "url", "--shop", "acme", "--state", "xyz")
    assert result.exit_code == 0, result.output
    assert "https://services.tiktokshop.com/open/authorize?service_id=7100&state=xyz" in result.output
    assert "erpsync auth exchange CODE --shop acme" in result.output
    us = run(write_config(tmp_path), "url", "--shop", "acme", "--region", "US")
    assert "https://services.tiktokshops.us/open/authorize?service_id=7100&state=" in us.output


def test_url_needs_service_id_and_a_known_shop(tmp_path: Path) -> None:
    result = run(write_config(tmp_path, service_id=False), "url", "--shop", "acme")
    assert isinstance(result.exception, ConfigError) and "service_id is not set" in str(result.exception)
    unknown = run(write_config(tmp_path), "url", "--shop", "nope")
    assert isinstance(unknown.exception, UsageError) and "known: acme, globex" in str(unknown.exception)


@responses.activate
def test_exchange_stores_the_token_and_prints_no_secret(tmp_path: Path) -> None:
    now = int(datetime.now(UTC).timestamp())
    data = {
        "access_token": ACCESS, "access_token_expire_in": now + 7 * 86400 + 60,
        "refresh_token": REFRESH, "refresh_token_expire_in": now + 60 * 86400 + 60,
        "open_id": "o", "seller_name": "Demo Seller", "seller_base_region": "GB", "user_type": 0,
        "granted_scopes": ["seller.authorization.info", "seller.logistics"],
    }  # fmt: skip
    responses.get(f"{AUTH}/api/v2/token/get", json={"code": 0, "message": "ok", "request_id": "r", "data": data})
    shops = {"shops": [{"id": "7495", "name": "Demo", "region": "GB", "seller_type": "LOCAL", "cipher": "c"}]}
    responses.get(f"{BASE}/authorization/202309/shops", json={"code": 0, "message": "ok", "data": shops})
    config = write_config(tmp_path)
    result = run(config, "exchange", "THE-CODE", "--shop", "acme")
    assert result.exit_code == 0, result.output
    assert "authorised shop acme: Demo (GB), seller 'Demo Seller'" in result.output
    assert "seller.authorization.info, seller.logistics" in result.output
    assert "access token expires in 7 d" in result.output and "refresh token expires in 60 d" in result.output
    assert responses.calls[1].request.headers["x-tts-access-token"] == ACCESS
    with Store.open(f"sqlite:///{tmp_path}/state.db") as store:
        stored = store.tokens.get("acme")
    assert stored is not None and stored.access_token == ACCESS and stored.refresh_token == REFRESH

    status = run(config, "status")
    assert status.exit_code == 0, status.output
    for text in (result.output, status.output):
        assert ACCESS not in text and REFRESH not in text and SECRET not in text and "THE-CODE" not in text
    lines = {line.split()[1]: line for line in status.output.splitlines() if line.strip().startswith("│ ")}
    assert "stored" in lines["acme"] and "expires in 7 d" in lines["acme"] and "never" in lines["acme"]
    assert "static" in lines["globex"]


@responses.activate
def test_exchange_refuses_a_code_for_another_shop(tmp_path: Path) -> None:
    now = int(datetime.now(UTC).timestamp())
    data = {"access_token": ACCESS, "access_token_expire_in": now + 3600, "refresh_token": REFRESH,
            "refresh_token_expire_in": now + 7200}  # fmt: skip
    responses.get(f"{AUTH}/api/v2/token/get", json={"code": 0, "message": "ok", "data": data})
    shops = {"shops": [{"id": "999", "name": "Other", "region": "US", "seller_type": "LOCAL", "cipher": "c"}]}
    responses.get(f"{BASE}/authorization/202309/shops", json={"code": 0, "message": "ok", "data": shops})
    result = run(write_config(tmp_path), "exchange", "CODE", "--shop", "acme")
    assert "shop 7495 is not among the shops" in str(result.exception) and "999 'Other'" in str(result.exception)
    with Store.open(f"sqlite:///{tmp_path}/state.db") as store:
        assert store.tokens.get("acme") is None


@responses.activate
def test_exchange_keeps_the_tokens_when_the_shop_check_fails_for_the_moment(tmp_path: Path) -> None:
    """The code is used up by the exchange: a check that may pass later must not cost the tokens."""
    now = int(datetime.now(UTC).timestamp())
    data = {"access_token": ACCESS, "access_token_expire_in": now + 3600, "refresh_token": REFRESH,
            "refresh_token_expire_in": now + 7200, "seller_name": "Demo Seller"}  # fmt: skip
    responses.get(f"{AUTH}/api/v2/token/get", json={"code": 0, "message": "ok", "data": data})
    shops = f"{BASE}/authorization/202309/shops"
    responses.get(shops, status=429, headers={"Retry-After": "600"}, json={"code": 36009002, "message": "slow down"})
    result = CliRunner().invoke(auth, ["exchange", "CODE", "--shop", "acme"], obj=State(str(write_config(tmp_path))))
    assert result.exit_code == 0, result.output
    assert "could not check that the code is for shop 7495" in result.stderr
    assert "erpsync auth url --shop acme" in result.stderr
    assert ACCESS not in result.output and REFRESH not in result.output
    with Store.open(f"sqlite:///{tmp_path}/state.db") as store:
        stored = store.tokens.get("acme")
    assert stored is not None and stored.access_token == ACCESS


def test_status_lists_unauthorised_and_unconfigured_shops(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    now = datetime.now(UTC)
    with Store.open(f"sqlite:///{tmp_path}/state.db") as store:
        store.tokens.put(
            "retired",
            TokenRecord(ACCESS, now - timedelta(hours=3), REFRESH, now + timedelta(days=2), last_refresh_at=now),
            now=now,
        )
    result = run(config, "status")
    assert result.exit_code == 0, result.output
    assert "erpsync auth url --shop acme" in result.output
    assert "stored (not in config)" in result.output and "expired 3 h ago" in result.output
    assert ACCESS not in result.output


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")
