"""Request signature of the emulated Open API, written from the reference (§2) alone.

Deliberately independent of ``erpsync.connectors``: if the client and the sandbox both
followed one shared helper, a misreading of the algorithm would pass every test. Here the
sandbox recomputes the sign from what arrived on the wire, so a client bug shows as 106001.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

#: Query parameters that never take part in the signature.
UNSIGNED_PARAMS = frozenset({"sign", "access_token"})


def string_to_sign(path: str, params: Mapping[str, str], body: bytes = b"", *, multipart: bool = False) -> bytes:
    """Build the exact bytes that are wrapped in the secret and hashed.

    Keys are sorted by byte order (UTF-8), each pair is ``{key}{value}``, the path goes first
    and the raw body last (except for multipart uploads, whose boundary is random).
    """
    pairs = sorted(
        ((k, v) for k, v in params.items() if k not in UNSIGNED_PARAMS),
        key=lambda kv: kv[0].encode("utf-8"),
    )
    text = path + "".join(f"{k}{v}" for k, v in pairs)
    data = text.encode("utf-8")
    if body and not multipart:
        data += body
    return data


def compute_sign(
    secret: str, path: str, params: Mapping[str, str], body: bytes = b"", *, multipart: bool = False
) -> str:
    """Return the lowercase hex HMAC-SHA256 of ``secret + string_to_sign + secret``."""
    key = secret.encode("utf-8")
    message = key + string_to_sign(path, params, body, multipart=multipart) + key
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def verify_sign(
    secret: str,
    path: str,
    params: Mapping[str, str],
    sign: str | None,
    body: bytes = b"",
    *,
    multipart: bool = False,
) -> bool:
    """True iff ``sign`` matches exactly (lowercase hex, as the reference says), in constant time."""
    if not sign:
        return False
    expected = compute_sign(secret, path, params, body, multipart=multipart)
    return hmac.compare_digest(expected.encode("ascii"), sign.encode("utf-8", "replace"))
