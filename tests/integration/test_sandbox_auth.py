"""Sandbox authorisation over real HTTP: auth codes, token get/refresh, expiry, scopes, upload signing.

The signed client ``Wire`` is this suite's own (tests/integration/sandbox_wire.py), independent of
the sandbox and of the connector.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from sandbox_wire import APP_KEY, SECRET, SHOP_ID, TOKEN, UPLOAD, WAREHOUSES, Wire, expect_error, png, sign

pytestmark = pytest.mark.integration


def _exchange(wire: Wire, **authorize: str) -> dict[str, Any]:
    code = wire.admin("GET", "authorize", params={"app_key": APP_KEY, "shop_id": SHOP_ID, **authorize})["code"]
    payload = wire.token_call(
        "/api/v2/token/get", app_key=APP_KEY, app_secret=SECRET, auth_code=code, grant_type="authorized_code"
    )
    assert payload["code"] == 0, payload
    return payload["data"]


def _refresh(wire: Wire, refresh_token: str, **overrides: str) -> dict[str, Any]:
    params = {"app_key": APP_KEY, "app_secret": SECRET, "refresh_token": refresh_token, "grant_type": "refresh_token"}
    return wire.token_call("/api/v2/token/refresh", **{**params, **overrides})


def test_exchange_gives_a_working_token_with_absolute_expiry(wire: Wire) -> None:
    grant = _exchange(wire)
    now = time.time()
    assert set(grant) >= {
        "access_token", "access_token_expire_in", "refresh_token", "refresh_token_expire_in",
        "open_id", "seller_name", "seller_base_region", "user_type", "granted_scopes",
    }  # fmt: skip
    assert abs(grant["access_token_expire_in"] - (now + 7 * 86400)) < 60
    assert abs(grant["refresh_token_expire_in"] - (now + 30 * 86400)) < 60
    assert grant["seller_name"] == "Shenzhen Gadgets UK" and grant["user_type"] == 0
    assert "seller.product.basic" in grant["granted_scopes"]
    (shop,) = wire.ok("GET", "/authorization/202309/shops", cipher=None, token=grant["access_token"])["shops"]
    assert shop["id"] == SHOP_ID
    wire.ok("GET", WAREHOUSES, token=grant["access_token"])


def test_auth_code_is_single_use_and_checked(wire: Wire) -> None:
    code = wire.admin("GET", "authorize", params={"app_key": APP_KEY, "shop_id": SHOP_ID})["code"]
    args = {"app_key": APP_KEY, "app_secret": SECRET, "auth_code": code, "grant_type": "authorized_code"}
    assert wire.token_call("/api/v2/token/get", **args)["code"] == 0
    again = wire.token_call("/api/v2/token/get", **args)
    assert again["code"] == 36004004 and again["data"] is None
    assert wire.token_call("/api/v2/token/get", **{**args, "auth_code": "nope"})["code"] == 36004004
    fresh = wire.admin("GET", "authorize", params={"app_key": APP_KEY, "shop_id": SHOP_ID})["code"]
    assert wire.token_call("/api/v2/token/get", **{**args, "auth_code": fresh, "app_secret": "x"})["code"] == 36009004
    assert wire.token_call("/api/v2/token/get", **{**args, "auth_code": fresh, "grant_type": "x"})["code"] == 36009004
    wire.admin("POST", "tokens/expire", {"auth_code": fresh})
    assert wire.token_call("/api/v2/token/get", **{**args, "auth_code": fresh})["code"] == 36004004


def test_refresh_replaces_the_access_token(wire: Wire) -> None:
    grant = _exchange(wire)
    refreshed = _refresh(wire, grant["refresh_token"])
    assert refreshed["code"] == 0, refreshed
    new = refreshed["data"]
    assert new["access_token"] != grant["access_token"] and new["refresh_token"] == grant["refresh_token"]
    expect_error(wire.call("GET", WAREHOUSES, token=grant["access_token"]), 401, 105002)
    wire.ok("GET", WAREHOUSES, token=new["access_token"])
    assert _refresh(wire, "unknown-refresh-token")["code"] == 36004005


def test_expired_tokens(wire: Wire) -> None:
    grant = _exchange(wire)
    wire.admin("POST", "tokens/expire", {"access_token": grant["access_token"]})
    expect_error(wire.call("GET", WAREHOUSES, token=grant["access_token"]), 401, 105002)
    wire.admin("POST", "tokens/expire", {"refresh_token": grant["refresh_token"]})
    assert _refresh(wire, grant["refresh_token"])["code"] == 36004001


def test_scenario_expired_token_recovers_with_its_refresh_token(wire: Wire) -> None:
    expect_error(wire.call("GET", WAREHOUSES, token="sandbox-expired-token"), 401, 105002)
    new = _refresh(wire, "sandbox-refresh-token")["data"]
    wire.ok("GET", WAREHOUSES, token=new["access_token"])


def test_scopes(wire: Wire) -> None:
    wire.ok("GET", WAREHOUSES, token="sandbox-limited-token")
    payload = expect_error(
        wire.call("GET", "/order/202309/orders", {"ids": "1"}, token="sandbox-limited-token"), 403, 105005
    )
    assert "seller.order.info" in payload["message"]
    grant = _exchange(wire, scopes="seller.product.basic")
    assert grant["granted_scopes"] == ["seller.product.basic"]
    expect_error(wire.call("GET", WAREHOUSES, token=grant["access_token"]), 403, 105005)
    wire.ok("POST", "/product/202309/products/search", params={"page_size": 5}, body={}, token=grant["access_token"])


def test_multipart_upload_is_signed_without_body(wire: Wire) -> None:
    image = wire.upload(png(640, 480))
    assert image["uri"] and image["url"].startswith("https://") and (image["width"], image["height"]) == (640, 480)
    assert image["use_case"] == "MAIN_IMAGE"
    # signing the multipart body (as for JSON) must fail: the sandbox signs without it
    query = {"app_key": APP_KEY, "timestamp": str(int(time.time()))}
    request = requests.Request("POST", wire.base + UPLOAD, params=query, files={"data": ("a.png", png(), "image/png")})
    prepared = request.prepare()
    assert isinstance(prepared.body, bytes)
    prepared.prepare_url(wire.base + UPLOAD, {**query, "sign": sign(SECRET, UPLOAD, query, prepared.body)})
    prepared.headers["x-tts-access-token"] = TOKEN
    expect_error(wire.http.send(prepared), 401, 106001)
    # no shop_cipher on upload paths; empty or non-image files are refused
    files = {"data": ("a.png", png(), "image/png")}
    expect_error(wire.call("POST", UPLOAD, files=files), 400, 36009004)
    expect_error(wire.call("POST", UPLOAD, cipher=None, files={"data": ("a.png", b"", "image/png")}), 400, 12038002)
    text = {"data": ("a.png", b"not an image", "image/png")}
    expect_error(wire.call("POST", UPLOAD, cipher=None, files=text), 400, 12038004)
    bad_case = {"use_case": "NOPE"}
    expect_error(wire.call("POST", UPLOAD, cipher=None, files=files, form=bad_case), 400, 11050001)


def test_rotated_refresh_tokens_replace_the_old_one(wire: Wire) -> None:
    assert wire.admin("POST", "settings", {"rotate_refresh_tokens": True})["rotate_refresh_tokens"] is True
    grant = _exchange(wire)
    first = _refresh(wire, grant["refresh_token"])
    assert first["code"] == 0, first
    new = first["data"]
    assert new["refresh_token"] != grant["refresh_token"] and new["access_token"] != grant["access_token"]
    assert new["refresh_token_expire_in"] >= grant["refresh_token_expire_in"]
    assert _refresh(wire, grant["refresh_token"])["code"] == 36004005  # the old one is spent
    wire.ok("GET", WAREHOUSES, token=new["access_token"])
    second = _refresh(wire, new["refresh_token"])
    assert second["code"] == 0 and second["data"]["refresh_token"] not in (grant["refresh_token"], new["refresh_token"])
    expect_error(wire.call("GET", WAREHOUSES, token=new["access_token"]), 401, 105002)
    wire.ok("GET", WAREHOUSES, token=second["data"]["access_token"])
    # the scenario's refresh token rotates too
    assert _refresh(wire, "sandbox-refresh-token")["code"] == 0
    assert _refresh(wire, "sandbox-refresh-token")["code"] == 36004005
    tokens = [t for a in wire.admin("GET", "state")["apps"] for t in a["tokens"]]
    assert sum(t["refresh_token"] == second["data"]["refresh_token"] and not t["replaced"] for t in tokens) == 1


def test_without_rotation_the_refresh_token_is_kept_across_refreshes(wire: Wire) -> None:
    grant = _exchange(wire)
    for _ in range(2):
        again = _refresh(wire, grant["refresh_token"])
        assert again["code"] == 0 and again["data"]["refresh_token"] == grant["refresh_token"]
        assert again["data"]["refresh_token_expire_in"] == grant["refresh_token_expire_in"]
