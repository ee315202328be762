"""The Open API envelope ``{code, message, request_id, data}`` → erpsync's error types.

Shared by the signed client (``client.py``) and the token calls (``auth.py``): both answer with
the same envelope, often with HTTP 200 on failure. Rate limits, internal errors and any 5xx are
temporary; every other nonzero code is permanent, with a hint saying how to fix it (the tables
are ``docs/open-api-slice.md`` and ``docs/open-api-full.md`` §6).

:data:`HINTS` is the only table of hints: the fulfilment module re-types the 2101100x errors
(``fulfillment_types.ERRORS`` maps code → class only) but keeps the text made here, so a message
never carries the hint twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from erpsync.core.errors import ConnectorError, PermanentError, TemporaryError
from erpsync.core.http import parse_retry_after

TOKEN_EXPIRED = 105002
TEMPORARY_CODES = frozenset({36009002, 36009003})
#: how to fix the well-known errors; the server's own message is appended
HINTS = {
    106001: "signature rejected: check app_secret (and that this machine's clock is right)",
    TOKEN_EXPIRED: (
        "access token expired: re-authorise the shop (`erpsync auth url`, then `erpsync auth exchange`) "
        "and drop the static access_token from the config, so erpsync refreshes the stored token itself"
    ),
    105005: (
        "missing API scope: apply for the scope's API package in Partner Center (App & Service > "
        "API permissions), then re-authorise the shop"
    ),
    106013: "shop_cipher missing: this API needs the shop's cipher",
    101000: "access token does not match the shop: use an access_token issued for this shop",
    36009004: "request rejected: read the server message (app_key, access_token, clock, shop_cipher or a parameter)",
    36009014: "unknown API path or version",
    36009002: "rate limited",
    36009003: "TikTok internal error",
    36004001: "refresh token expired: re-authorise the shop (`erpsync auth url`)",
    36004004: "authorisation code invalid, used or expired: re-authorise the shop (`erpsync auth url`)",
    36004005: "no authorisation record: re-authorise the shop (`erpsync auth url`)",
    12052700: "product not found: it may have been deleted in Seller Center",
    12019090: "the product's status does not allow a price update (only ACTIVATE products, not in a promotion)",
    21011001: "package or order not found: check the id and that it belongs to this shop",
    21011005: "package already shipped: nothing to do",
    21011006: "package not shipped yet: ship it before updating its shipping info",
    21011049: (
        "shipping info can only be changed within 72 h of shipping: the window has closed, "
        "correct the tracking number in Seller Center or contact TikTok support"
    ),
}


def default_hint(code: int) -> str:
    return HINTS.get(code, "request failed")


def describe(code: int | None, server: str, hint: Callable[[int], str] = default_hint) -> str:
    """``hint: server said '...'``: what the code means, then the server's own (redacted) words."""
    what = hint(code) if code is not None else "request failed"
    return f"{what}: server said {server!r}" if server else what


def classify_envelope(
    response: requests.Response,
    operation: str,
    *,
    connector: str,
    redact: Callable[[str], str],
    hint: Callable[[int], str] = default_hint,
    url_option: str = "base_url",
) -> ConnectorError | None:
    """The error a response stands for, or None (success, or a bare HTTP error ``core/http`` maps)."""
    try:
        envelope = response.json()
    except ValueError:
        envelope = None
    status = response.status_code
    if not isinstance(envelope, dict) or "code" not in envelope:
        if status >= 400:
            return None
        return PermanentError(
            f"response is not an Open API envelope (is {url_option} right?)",
            connector=connector,
            operation=operation,
            status=status,
        )
    try:
        code = int(envelope["code"])
    except (TypeError, ValueError):
        code = -1
    if code == 0:
        return None
    server = redact(str(envelope.get("message") or "")).strip()
    message = describe(code, server, hint)
    context: dict[str, Any] = {
        "connector": connector,
        "operation": operation,
        "request_id": envelope.get("request_id") or None,
        "code": code,
        "status": status,
    }
    if code in TEMPORARY_CODES or status >= 500 or status == 429:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return TemporaryError(message, retry_after=retry_after, **context)
    return PermanentError(message, **context)
