"""The Open API envelope ``{code, message, request_id, data}`` → erpsync's error types.

Shared by the signed client (``client.py``) and the token calls (``auth.py``): both answer with
the same envelope, often with HTTP 200 on failure. The code's kind in the one table of codes
(``error_codes.py``, ``docs/open-api-errors.md``) picks the class: temporary, rate-limited and
not-processed codes are ``TemporaryError`` (with ``Retry-After`` when sent), authorisation codes
``AuthError``, "already shipped" ``AlreadyDoneError``, "does not exist / not this shop's"
``NotFoundError``, every other code ``PermanentError``. A code the table does not know is
judged by its HTTP status and message (``error_codes.guess_kind``). A ``code`` that is no
integer (a boolean, a fraction, a string; :func:`code_number`) makes the answer malformed, like
one without a code: a ``PermanentError`` naming what was received, or, with an HTTP error
status, the bare HTTP error ``core/http`` maps.

The message says what the code means and how to fix it: a hand-written hint for the common codes
(:data:`HINTS`), else the table's meaning, then the server's own (redacted) words. The fulfilment
API re-types some of these errors more narrowly (``fulfillment/errors.py``, ``refine``) but keeps
the text made here, so a message never carries the hint twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import requests

from erpsync.connectors.tiktok import error_codes
from erpsync.connectors.tiktok.error_codes import Kind
from erpsync.core.errors import (
    AlreadyDoneError,
    AuthError,
    ConnectorError,
    NotFoundError,
    PermanentError,
    TemporaryError,
)
from erpsync.core.http import parse_retry_after

TOKEN_EXPIRED = 105002
RATE_LIMITED = 36009002
#: the common retryable codes (any endpoint, the token endpoint included); each has a hint below.
#: Endpoint-specific retryable codes are in the table (``error_codes.codes_of(Kind.TEMPORARY)``).
TEMPORARY_CODES = frozenset({RATE_LIMITED, 36009003, 36009007})
#: how to fix the common errors (Partner Center "common errors" page); the server's message is appended
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
    36009033: "this machine's IP address is not in the app's IP allow list: add it in Partner Center (App & Service)",
    RATE_LIMITED: "rate limited",
    36009003: "TikTok internal error",
    36009007: "TikTok timed out on the request",
    36004001: "refresh token expired: re-authorise the shop (`erpsync auth url`)",
    36004004: "authorisation code invalid, used or expired: re-authorise the shop (`erpsync auth url`)",
    36004005: "no authorisation record: re-authorise the shop (`erpsync auth url`)",
}
#: kind → the class raised; TemporaryError is built with ``retry_after``
ERROR_CLASSES: dict[Kind, type[ConnectorError]] = {
    Kind.TEMPORARY: TemporaryError,
    Kind.RATE_LIMITED: TemporaryError,
    Kind.NOT_PROCESSED: TemporaryError,
    Kind.AUTH: AuthError,
    Kind.ALREADY_DONE: AlreadyDoneError,
    Kind.NOT_FOUND: NotFoundError,
    Kind.PERMANENT: PermanentError,
}


def default_hint(code: int) -> str:
    """The hand-written hint of a common code, else the table's meaning, else "request failed"."""
    return HINTS.get(code) or error_codes.meaning(code) or "request failed"


def describe(code: int | None, server: str, hint: Callable[[int], str] = default_hint) -> str:
    """``hint: server said '...'``: what the code means, then the server's own (redacted) words."""
    what = hint(code) if code is not None else "request failed"
    return f"{what}: server said {server!r}" if server else what


def code_number(value: Any) -> int | None:
    """The envelope's ``code`` as an int, or None when it is no integer.

    JSON has one kind of number, so ``1.0`` is 1; but a boolean (Python's ``bool`` is an ``int``:
    ``false`` would read as 0, success), a fraction (``int()`` would truncate ``0.5`` to 0), a
    string, ``NaN``, infinity (``1e400``) or null is a malformed answer, never a code.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():  # finite and whole: NaN and inf are not
        return int(value)
    return None


#: JSON type names for :func:`shown_code`
_JSON_KINDS = {
    bool: "a boolean",
    float: "a number that is not an integer",
    str: "a string",
    list: "an array",
    dict: "an object",
}


def shown_code(value: Any, redact: Callable[[str], str], limit: int = 40) -> str:
    """A code that is no integer as it was sent, redacted, cut to ``limit`` characters (after
    redacting: a secret cut in half would no longer be recognised), and its JSON kind."""
    text = redact(json.dumps(value, ensure_ascii=False))
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    kind = _JSON_KINDS.get(type(value))
    return f"{text} ({kind})" if kind else text


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
    server = redact(str(envelope.get("message") or "")).strip()
    code = code_number(envelope["code"])
    if code is None:  # malformed like an answer without a code: a bare HTTP error is core/http's
        if status >= 400:
            return None
        received = shown_code(envelope["code"], redact)
        what = f"response is not an Open API envelope: its code is {received}, not an integer (is {url_option} right?)"
        return PermanentError(
            what + (f": server said {server!r}" if server else ""),
            connector=connector,
            operation=operation,
            request_id=envelope.get("request_id") or None,
            status=status,
        )
    if code == 0:
        return None
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    context: dict[str, Any] = {
        "connector": connector,
        "operation": operation,
        "request_id": envelope.get("request_id") or None,
        "status": status,
    }
    return error_for(code, server, hint=hint, retry_after=retry_after, **context)


def error_for(
    code: int | None,
    server: str,
    *,
    status: int | None = None,
    hint: Callable[[int], str] = default_hint,
    retry_after: float | None = None,
    **context: Any,
) -> ConnectorError:
    """The error of one nonzero ``code`` with the server's (already redacted) message.

    Also used for the per-package entries of a batch answer, which carry a code and a message but
    no HTTP status of their own.
    """
    kind = error_codes.kind_of(code, server, status)
    cls = ERROR_CLASSES[kind]
    message = describe(code, server, hint)
    if status == 429 and code != RATE_LIMITED:  # the status decided the kind, not the code's hint
        message = f"rate limited (HTTP 429); {message}"
    if issubclass(cls, TemporaryError):
        return cls(message, retry_after=retry_after, code=code, status=status, **context)
    return cls(message, code=code, status=status, **context)
