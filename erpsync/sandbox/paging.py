"""Shared paging rules of the product, order and package searches: page_size ranges and keyset page tokens.

A page token is the sort key of the last row returned (plus the sort it belongs to), base64
encoded, so rows added or re-sorted mid-scan never shift a page and a token replayed against a
different sort is refused instead of silently skipping rows.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from erpsync.sandbox.envelope import BAD_REQUEST, SandboxError

T = TypeVar("T")


def page_size(params: dict[str, str], maximum: int, code: int = BAD_REQUEST) -> int:
    """``page_size`` from the query, 1..maximum, else 400 with ``code`` (36009004 unless the endpoint
    documents its own, as product search does with 12019109)."""
    raw = params.get("page_size", "")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= maximum:
        raise SandboxError(400, code, f"Invalid params: page_size must be 1..{maximum}, got {raw!r}")
    return int(raw)


def encode(sort: str, key: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps([sort, list(key)]).encode()).decode()


def decode(token: str, sort: str) -> list[Any]:
    try:
        kind, key = json.loads(base64.urlsafe_b64decode(token.encode()).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        raise SandboxError(400, BAD_REQUEST, "Invalid params: page_token is not one this API issued") from None
    if kind != sort or not isinstance(key, list):
        raise SandboxError(400, BAD_REQUEST, "Invalid params: page_token belongs to a different sort or search")
    return key


def page(
    rows: list[T],
    params: dict[str, str],
    maximum: int,
    sort: str,
    key: Callable[[T], tuple[Any, ...]],
    desc: bool,
    size_code: int = BAD_REQUEST,
) -> tuple[list[T], str]:
    """Sort ``rows`` by ``key`` and cut the page after ``page_token``; returns (page, next_page_token)."""
    size = page_size(params, maximum, size_code)
    ordered = sorted(rows, key=key, reverse=desc)
    start = 0
    if params.get("page_token"):
        after = tuple(decode(params["page_token"], sort))
        beyond = (lambda k: k < after) if desc else (lambda k: k > after)
        start = next((i for i, row in enumerate(ordered) if beyond(key(row))), len(ordered))
    chunk = ordered[start : start + size]
    more = start + size < len(ordered)
    return chunk, encode(sort, key(chunk[-1])) if more and chunk else ""


def int_field(body: dict[str, Any], name: str) -> int | None:
    """An optional integer (Unix seconds) body field; anything else is 400/36009004 naming it."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise SandboxError(400, BAD_REQUEST, f"Invalid params: {name} must be an integer (Unix seconds)")
    return value
