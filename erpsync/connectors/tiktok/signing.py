"""The Open API request signature (reference §2), kept apart so it can be checked against vectors.

``client.py`` attaches a :class:`TikTokAuth` (``auth.CallTokenAuth``) to its HTTP client, which signs every attempt.
Implementations in the wild differ on empty bodies and arrays; the rule here is the one that
always verifies: sign exactly the bytes that are sent. For that, query values are first made
unambiguous strings (:func:`normalize_query`): ``requests`` would send ``True`` as ``True`` and a
list as a repeated key, whose signature the reference does not define.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from requests.auth import AuthBase

#: never part of the signed string: ``sign`` is the result, ``access_token`` travels in a header
EXCLUDED_PARAMS = frozenset({"sign", "access_token"})
TOKEN_HEADER = "x-tts-access-token"


def query_value(value: object) -> str | None:
    """One query value as the API expects it; None when the parameter is not to be sent at all.

    ``None`` and ``""`` are left out; booleans are ``true``/``false`` (Python's ``True`` is not a
    JSON boolean); lists and tuples are comma-joined, the Open API's form for several ids.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list | tuple):
        parts = (query_value(v) for v in value)
        text = ",".join(p for p in parts if p is not None)
    else:
        text = str(value)
    # Empty values are dropped from the query and the signature alike, as fudiwei's SDK does:
    # the reference does not say whether ``key`` with an empty value is signed, and a parameter
    # that is absent cannot be signed differently by the two sides.
    return text or None


def normalize_query(params: Mapping[str, object] | Iterable[tuple[str, object]]) -> dict[str, str]:
    """``params`` as the exact strings to send and sign (see :func:`query_value`).

    Raises ValueError for a key given twice (as pairs): the signature of a repeated key is
    undefined, so such a request could never verify; pass one comma-joined value (or a list).
    """
    pairs = params.items() if isinstance(params, Mapping) else params
    out: dict[str, str] = {}
    seen: set[str] = set()
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"query parameter {key!r} given more than once: send one comma-joined value instead")
        seen.add(key)
        text = query_value(value)
        if text is not None:
            out[key] = text
    return out


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
        """Sign the query exactly as sent; ValueError for a repeated key (a list passed to ``requests``).

        The query arrives already encoded by ``requests``, so booleans and lists must have gone
        through :func:`normalize_query` before (``TikTokClient.call`` does); a repeated key here
        means one did not, and is refused rather than signed with one value and sent with another.
        """
        parts = urlsplit(r.url or "")
        pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in EXCLUDED_PARAMS]
        params = normalize_query(pairs)  # drops empty values; raises on a repeated key
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
