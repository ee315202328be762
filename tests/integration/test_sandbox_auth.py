"""Sandbox authorisation over real HTTP: auth codes, token get/refresh, expiry, scopes, upload signing.

``Wire`` below is this suite's own signed client (reference §2), independent of the sandbox and of
the connector; the other ``test_sandbox_*`` files of issue 3 import it from here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
import time
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from erpsync.sandbox import SandboxServer

pytestmark = pytest.mark.integration

APP_KEY = "sandbox-app-key"
SECRET = "sandbox-app-secret"
TOKEN = "sandbox-access-token"
CIPHER = "ROW_sandboxCipher0101"
SHOP_ID = "7495000000000000101"
WAREHOUSES = "/logistics/202309/warehouses"
UPLOAD = "/product/202309/images/upload"


def sign(secret: str, path: str, params: dict[str, str], body: bytes = b"") -> str:
    """Reference §2: path + sorted {key}{value} (minus sign/access_token) + body, wrapped in the secret."""
    base = path + "".join(f"{k}{params[k]}" for k in sorted(params) if k not in ("sign", "access_token"))
    message = secret.encode() + base.encode() + body + secret.encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def png(width: int = 800, height: int = 600) -> bytes:
    """A tiny valid PNG header (enough for any image sniffer)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))


class Wire:
    """A minimal signed Open API client plus the admin API, for the tests only."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.trust_env = False

    def call(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
        *,
        cipher: str | None = CIPHER,
        token: str | None = TOKEN,
        files: dict[str, Any] | None = None,
        form: dict[str, str] | None = None,
    ) -> requests.Response:
        query = {"app_key": APP_KEY, "timestamp": str(int(time.time()))}
        if cipher is not None:
            query["shop_cipher"] = cipher
        query.update({k: str(v) for k, v in (params or {}).items()})
        headers = {"x-tts-access-token": token} if token else {}
        if files is not None:  # multipart: the body is NOT signed
            query["sign"] = sign(SECRET, path, query)
            return self.http.request(method, self.base + path, params=query, files=files, data=form, headers=headers)
        data = json.dumps(body).encode() if body is not None else b""
        query["sign"] = sign(SECRET, path, query, data)
        if data:
            headers["content-type"] = "application/json"
        return self.http.request(method, self.base + path, params=query, data=data or None, headers=headers)

    def ok(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.call(method, path, **kwargs)
        assert response.status_code == 200, response.text
        payload = response.json()
        assert payload["code"] == 0, payload
        return payload["data"]

    def admin(self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None) -> Any:
        response = self.http.request(method, f"{self.base}/_sandbox/{path}", json=body, params=params)
        assert response.status_code == 200, response.text
        return response.json()["data"]

    def advance(self, seconds: int) -> None:
        self.admin("POST", "clock", {"advance_seconds": seconds})

    def token_call(self, path: str, **params: str) -> dict[str, Any]:
        response = self.http.get(self.base + path, params=params)
        assert response.status_code == 200, response.text  # the auth host answers 200 even on errors
        return response.json()

    def upload(self, data: bytes | None = None, use_case: str = "MAIN_IMAGE") -> dict[str, Any]:
        files = {"data": ("item.png", png() if data is None else data, "image/png")}
        return self.ok("POST", UPLOAD, cipher=None, files=files, form={"use_case": use_case})


def expect_error(response: requests.Response, status: int, code: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    payload = response.json()
    assert payload["code"] == code, payload
    assert payload["data"] is None and payload["message"]
    return payload


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer("default") as sandbox:
        yield sandbox


@pytest.fixture
def wire(server: SandboxServer) -> Wire:
    w = Wire(server.url)
    w.admin("POST", "reset")
    return w


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
    expect_error(wire.call("POST", UPLOAD, cipher=None, files={"data": ("a.png", b"", "image/png")}), 400, 36009004)
    text = {"data": ("a.png", b"not an image", "image/png")}
    expect_error(wire.call("POST", UPLOAD, cipher=None, files=text), 400, 36009004)
    bad_case = {"use_case": "NOPE"}
    expect_error(wire.call("POST", UPLOAD, cipher=None, files=files, form=bad_case), 400, 36009004)
