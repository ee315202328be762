"""The Open API request signature (reference §2), kept apart so it can be checked against vectors.

``client.py`` attaches :class:`TikTokAuth` to its HTTP client, which signs every attempt.
Implementations in the wild differ on empty bodies and arrays; the rule here is the one that
always verifies: sign exactly the bytes that are sent.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from requests.auth import AuthBase

#: never part of the signed string: ``sign`` is the result, ``access_token`` travels in a header
EXCLUDED_PARAMS = frozenset({"sign", "access_token"})
TOKEN_HEADER = "x-tts-access-token"


def string_to_sign(path: str, params: Mapping[str, object], body: bytes | None) -> bytes:
    """``path`` + sorted ``{key}{value}`` pairs + body bytes, before wrapping in the secret."""
    pairs = "".join(
        f"{key}{params[key]}" for key in sorted(params, key=lambda k: k.encode()) if key not in EXCLUDED_PARAMS
    )
    return (path + pairs).encode() + (body or b"")


def sign(path: str, params: Mapping[str, object], body: bytes | None, secret: str) -> str:
    """HMAC-SHA256 (key ``secret``) of ``secret + string_to_sign + secret``, lowercase hex.

    ``path`` has no host and no query string. ``body`` is the exact request body, or None for a
    GET or a multipart upload (multipart bodies are not signed).
    """
    key = secret.encode()
    message = key + string_to_sign(path, params, body) + key
    return hmac.new(key, message, hashlib.sha256).hexdigest()


class TikTokAuth(AuthBase):
    """Adds ``app_key``, ``timestamp`` and ``sign`` to the query and the token header, per attempt."""

    def __init__(
        self,
        app_key: str,
        app_secret: str,
        access_token: str,
        *,
        base_path: str = "",
        clock: Callable[[], float],
    ) -> None:
        self.app_key = app_key
        self._secret = app_secret
        self._token = access_token
        self.base_path = base_path.rstrip("/")
        self.clock = clock

    def __repr__(self) -> str:  # never show the secret or token
        return f"TikTokAuth(app_key={self.app_key!r})"

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        parts = urlsplit(r.url or "")
        params = {k: v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("sign", "access_token")}
        params["app_key"] = self.app_key
        params["timestamp"] = str(int(self.clock()))
        path = parts.path
        if self.base_path and path.startswith(self.base_path):
            path = path[len(self.base_path) :] or "/"
        body = r.body.encode() if isinstance(r.body, str) else r.body
        if "multipart/form-data" in (r.headers.get("Content-Type") or ""):
            body = None  # multipart bodies are not signed
        params["sign"] = sign(path, params, body if isinstance(body, bytes) else None, self._secret)
        r.url = urlunsplit(parts._replace(query=urlencode(params)))
        r.headers[TOKEN_HEADER] = self._token
        return r
