"""Test helper (not a test module): a minimal signed Open API client for the sandbox suites.

``Wire`` is written from the contract (docs/open-api-slice.md, reference §2) independently of the
sandbox and of the TikTok connector: it imports neither, so a misreading in either is caught here.
The ``test_sandbox_*`` files import it as ``from sandbox_wire import ...``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
import time
import zlib
from typing import Any

import requests

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
        timestamp: int | None = None,
        raw_body: bytes | None = None,
        bad_sign: bool = False,
        content_type: str | None = "application/json",
    ) -> requests.Response:
        """One signed call. ``raw_body`` is sent (and signed) as is instead of ``body`` as JSON;
        ``bad_sign`` sends a well-formed but wrong signature; ``timestamp`` overrides now.
        ``content_type`` is sent on every JSON call, GET included, as the reference requires
        (None leaves the header out); a multipart upload gets requests' own multipart header."""
        query = {"app_key": APP_KEY, "timestamp": str(timestamp or int(time.time()))}
        if cipher is not None:
            query["shop_cipher"] = cipher
        query.update({k: str(v) for k, v in (params or {}).items()})
        headers = {"x-tts-access-token": token} if token else {}
        if files is not None:  # multipart: the body is NOT signed
            query["sign"] = "0" * 64 if bad_sign else sign(SECRET, path, query)
            return self.http.request(method, self.base + path, params=query, files=files, data=form, headers=headers)
        data = raw_body if raw_body is not None else (json.dumps(body).encode() if body is not None else b"")
        query["sign"] = "0" * 64 if bad_sign else sign(SECRET, path, query, data)
        if content_type is not None:
            headers["content-type"] = content_type
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


def product_body(
    wire: Wire, title: str = "Enamel camping mug", sku: str = "CAMP-MUG-1", **extra: Any
) -> dict[str, Any]:
    """A valid create-product body (one SKU in WH-DG-01) with a freshly uploaded main image."""
    uri = wire.upload()["uri"]
    return {
        "title": title,
        "description": "A light enamel mug.",
        "category_id": "600001",
        "main_images": [{"uri": uri}],
        "package_weight": {"value": "0.3", "unit": "KILOGRAM"},
        "save_mode": "LISTING",
        "skus": [
            {
                "seller_sku": sku,
                "price": {"amount": "6.50", "currency": "GBP"},
                "inventory": [{"warehouse_id": "WH-DG-01", "quantity": 10}],
            }
        ],
        **extra,
    }


def expect_error(response: requests.Response, status: int, code: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    payload = response.json()
    assert payload["code"] == code, payload
    assert payload["data"] is None and payload["request_id"] and payload["message"]
    return payload
