"""One entity's list endpoint, page by page: the items of every page, each with where it came from.

Paging styles (the mapping's ``paging.style``):

- ``none``: one request;
- ``page``: ``?page=1&per_page=100``, then 2, 3 … until a page holds fewer than ``size`` items;
- ``offset``: ``?offset=0&limit=100``, then 100, 200 … until a page holds fewer than ``size``;
- either of those with ``total`` (where the answer says how many items there are in all): until
  that many came or a page is empty. A server may cap its pages below the ``size`` asked for, and
  its first page then looks like the last: without ``total`` the rest would go unread, and nothing
  in the answer says so;
- ``cursor``: ``?limit=100``, then ``?cursor=<next>&limit=100`` with the cursor the answer holds
  at ``next_cursor``, until that is null, empty or absent.

An endpoint that ignores the parameters would repeat its first page for ever: a third page in a
row holding the same items (page and offset styles; a page repeated once may be rows added while
reading a list kept newest first, and its items are then duplicate-id record errors), a cursor
seen twice, or more than
``max_pages`` pages, stops the read with a PermanentError. With ``total``, that check is what
tells a repeating endpoint from one that caps its pages.

The body is decoded as UTF-8 (JSON exchanged between systems must be: RFC 8259, section 8.1).
Bytes that are not UTF-8 inside a text (an export written as GBK) are kept as
``surrogateescape`` characters so that only the items holding them fail (``records.py``); bytes
that break the JSON itself fail the page, naming the endpoint and the byte offset.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import requests

from erpsync.core.errors import PermanentError
from erpsync.core.json_keys import DuplicateKeys, json_pairs

from .paths import MISSING, Path, dig, show

__all__ = ["decode_json", "fetch_items"]


#: GET a path with query parameters under an operation name: the connector's HTTP client
Get = Callable[[str, dict[str, Any], str], requests.Response]


def decode_json(content: bytes, *, endpoint: str, connector: str, operation: str) -> Any:
    """The JSON of an answer, numbers with a fraction as ``Decimal`` (a price keeps its digits)."""
    text = content.removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="surrogateescape")
    try:
        return json.loads(text, parse_float=Decimal, object_pairs_hook=json_pairs)  # repeats: records.py
    except ValueError as exc:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError as bad:
            where = f"byte 0x{content[bad.start]:02x} at offset {bad.start}"
            reason = f"the answer of {endpoint} is not UTF-8 ({where}) and not valid JSON: is the ERP sending GBK?"
        else:
            reason = f"the answer of {endpoint} is not JSON ({exc})"
        raise PermanentError(reason, connector=connector, operation=operation) from None


def _repeat_on(body: Any, paths: list[Path | None]) -> str | None:
    """A key given twice in an object on the way to the items or the cursor (None: none). JSON
    keeps the last silently, and the other value may hold the items; repeats inside an item are
    that item's error (``records.py``)."""
    for path in paths:
        node = body
        for step in path or ():
            if isinstance(node, DuplicateKeys):
                return node.duplicates[0]
            node = dig(node, (step,))
            if node is MISSING:
                break
    return None


def _last_page(body: Any, items: list[Any], read: int, paging: Mapping[str, Any]) -> bool:
    """Whether a page (page or offset style) is the last: fewer items than asked for, or, when the
    mapping names the ``total``, that many read (or an empty page: items removed meanwhile).

    Raises ValueError saying what the answer holds where the total should be.
    """
    if paging["total"] is None:
        return len(items) < paging["size"]
    total = dig(body, paging["total"])
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        got = "nothing" if total is MISSING else repr(total)
        raise ValueError(f"holds no item count at {show(paging['total'])!r} (got {got}; check paging.total)")
    return not items or read >= total


def fetch_items(get: Get, connector: str, entity: str, mapping: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """Every item of ``entity`` (``mapping`` is its loaded table), each with ``"rest ERP <path> item <n>"``."""
    paging, path, operation = mapping["paging"], mapping["list"], f"list {entity}"
    style, size = paging["style"], paging["size"]
    out: list[tuple[str, Any]] = []
    cursor: Any = None
    seen_cursors: set[str] = set()
    previous: list[Any] | None = None
    repeats = 0  # pages in a row holding the same items as the page before
    for page_no in range(paging["max_pages"]):
        params: dict[str, Any] = {}
        if style == "page":
            params[paging["page_param"]] = paging["first_page"] + page_no
        elif style == "offset":
            params[paging["offset_param"]], params[paging["limit_param"]] = len(out), size
        elif style == "cursor" and cursor is not None:
            params[paging["cursor_param"]] = cursor
        if style in ("page", "cursor") and paging["size_param"]:
            params[paging["size_param"]] = size
        endpoint = f"GET {path}" + (f" ({', '.join(f'{k}={v}' for k, v in params.items())})" if params else "")
        body = decode_json(
            get(path, params, operation).content, endpoint=endpoint, connector=connector, operation=operation
        )
        repeated = _repeat_on(body, [mapping["items"], paging["next_cursor"] if style == "cursor" else None])
        if repeated is not None:
            raise PermanentError(
                f"the answer of {endpoint} gives {repeated!r} twice in one object: which value holds the "
                f"{entity} is unclear (JSON keeps the last silently)",
                connector=connector,
                operation=operation,
            )
        items = body if mapping["items"] is None else dig(body, mapping["items"])
        if not isinstance(items, list):
            where = "the answer" if mapping["items"] is None else f"{show(mapping['items'])!r} in the answer"
            raise PermanentError(
                f"{where} of {endpoint} is not a list (check {entity}.items)", connector=connector, operation=operation
            )
        repeats = repeats + 1 if style in ("page", "offset") and items and items == previous else 0
        if repeats == 2:  # once may be rows added meanwhile (a list newest first): read on
            raise PermanentError(
                f"{endpoint} returned the same items as the two pages before: does it ignore "
                f"{paging['page_param'] if style == 'page' else paging['offset_param']!r}? (check {entity}.paging)",
                connector=connector,
                operation=operation,
            )
        previous = items
        base = len(out)
        out.extend((f"{connector} ERP {path} item {base + n + 1}", item) for n, item in enumerate(items))
        if style == "none":
            return out
        if style in ("page", "offset"):
            try:
                if _last_page(body, items, len(out), paging):
                    return out
            except ValueError as exc:
                raise PermanentError(
                    f"the answer of {endpoint} {exc}", connector=connector, operation=operation
                ) from None
        if style == "cursor":
            cursor = dig(body, paging["next_cursor"])
            if cursor is MISSING or cursor in (None, ""):
                return out
            if str(cursor) in seen_cursors:
                raise PermanentError(
                    f"{endpoint} returned the cursor {cursor!r} twice: the ERP repeats itself",
                    connector=connector,
                    operation=operation,
                )
            seen_cursors.add(str(cursor))
    raise PermanentError(
        f"GET {path} gave more than {paging['max_pages']} pages: does it ignore the paging parameters? "
        f"(raise {entity}.paging.max_pages if it really is that long)",
        connector=connector,
        operation=operation,
    )
