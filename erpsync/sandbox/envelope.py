"""The Open API response envelope ``{code, message, request_id, data}`` and the error type.

Every response, success or failure, goes through :func:`respond`, so every one carries a
fresh ``request_id`` and no handler can leak a traceback to the client.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from werkzeug.wrappers import Response

# Error codes used by the sandbox (docs/open-api-slice.md, docs/open-api-full.md §6).
BAD_SIGN = 106001
TOKEN_EXPIRED = 105002
SCOPE_NOT_GRANTED = 105005
CIPHER_MISMATCH = 101000
MISSING_CIPHER = 106013
RATE_LIMITED = 36009002
INTERNAL = 36009003
BAD_REQUEST = 36009004
UNKNOWN_PATH = 36009014
PACKAGE_NOT_FOUND = 21011001
ALREADY_SHIPPED = 21011005
NOT_SHIPPED = 21011006
SHIPPING_INFO_WINDOW = 21011049
PRODUCT_NOT_FOUND = 12052700
PRICE_UPDATE_FORBIDDEN = 12019090
#: Per-SKU error inside ``data.errors`` of inventory update (the sandbox's choice: the contract leaves it open).
SKU_NOT_FOUND = 12052701
# Token endpoint errors (HTTP 200).
REFRESH_EXPIRED = 36004001
BAD_AUTH_CODE = 36004004
NO_AUTH_RECORD = 36004005


class SandboxError(Exception):
    """An error answer: HTTP status, Open API code and a message that says what to fix."""

    def __init__(self, status: int, code: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def new_request_id() -> str:
    """A request id shaped like the real ones: a UTC timestamp then random uppercase hex."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime()) + secrets.token_hex(9).upper()


def respond(
    data: Any = None,
    *,
    code: int = 0,
    message: str = "Success",
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """Wrap ``data`` in the envelope; errors carry ``data: null`` as the contract allows."""
    body = {"code": code, "message": message, "request_id": new_request_id(), "data": data}
    response = Response(
        json.dumps(body, ensure_ascii=False),
        status=status,
        mimetype="application/json",
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def error_response(error: SandboxError) -> Response:
    """Render a :class:`SandboxError` as an envelope."""
    return respond(None, code=error.code, message=error.message, status=error.status, headers=error.headers)


def parse_json_body(raw: bytes, *, required: bool = False) -> dict[str, Any]:
    """Decode a JSON object body; an empty body is ``{}`` unless ``required``.

    Raises 400/36009004 with a message naming the problem, never a traceback.
    """
    if not raw.strip():
        if required:
            raise SandboxError(400, BAD_REQUEST, "request body is required (a JSON object)")
        return {}
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SandboxError(400, BAD_REQUEST, f"request body is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise SandboxError(400, BAD_REQUEST, "request body must be a JSON object")
    return value
