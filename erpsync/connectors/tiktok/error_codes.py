"""The one table of TikTok Open API error codes: what each code means and what to do about it.

The table itself is ``error_codes.csv`` beside this module (package data): one row per code with
its kind, the endpoint pages that document it and a short meaning. Its header names the source:
the error code list of each Partner Center API reference page erpsync calls, plus the common
errors page. ``docs/open-api-errors.md`` explains the kinds and lists the non-permanent codes.

A kind says what the caller does; ``envelope.py`` turns it into an error class:

- ``temporary``, ``rate_limited``, ``not_processed``: retry (``TemporaryError``);
- ``auth``: fix the credentials or re-authorise (``AuthError``);
- ``already_done``: the write had already happened (``AlreadyDoneError``);
- ``not_found``: the record does not exist or is not this shop's (``NotFoundError``);
- ``permanent``: anything else; do not retry (``PermanentError``).

``not_processed`` is a temporary code whose documented message says the request was refused,
not acted on ("you cannot update ... due to the order's current status, please try again
later"): like ``rate_limited`` it proves nothing changed, so the client may resend even a one-shot
write after it (``client.py`` passes these codes to ``core/http.py`` as ``unprocessed_codes``). A
plain ``temporary`` code (an internal error, a timeout) may come after the write took effect, so
such a write reports it as ``OutcomeUnknownError`` instead.

An HTTP 429 is rate-limited whatever its code. A code the table does not know is judged by its
HTTP status and message (:func:`guess_kind`):
TikTok adds codes over time, and a new "system busy, try again" must not stop a run for good.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib.resources import files
from types import MappingProxyType

TABLE_FILE = "error_codes.csv"


class Kind(StrEnum):
    TEMPORARY = "temporary"
    RATE_LIMITED = "rate_limited"
    #: temporary, and documented as a refusal: the request was not processed
    NOT_PROCESSED = "not_processed"
    PERMANENT = "permanent"
    AUTH = "auth"
    ALREADY_DONE = "already_done"
    NOT_FOUND = "not_found"

    @property
    def retryable(self) -> bool:
        return self in (Kind.TEMPORARY, Kind.RATE_LIMITED, Kind.NOT_PROCESSED)


@dataclass(frozen=True)
class ErrorCode:
    code: int
    kind: Kind
    #: the Partner Center pages that list the code ("common": the common errors page)
    operations: tuple[str, ...]
    meaning: str


#: 36009004 is the common catch-all: a message about credentials (a missing signature, an invalid
#: access token or app_key) is an authorisation problem, anything else (timestamp, shop_cipher,
#: a parameter) a plain permanent one. Source: Partner Center "common errors" page.
CATCH_ALL = 36009004
_CREDENTIALS = re.compile(r"credential|access[_ -]?token|app[_ ]?key", re.IGNORECASE)
#: what a message says when retrying may help (used only for codes the table does not know)
_TRANSIENT = re.compile(
    r"time ?out|timed out|try again later|internal error|system (process )?error|\bretr(y|ies)\b|busy",
    re.IGNORECASE,
)


def _parse(lines: list[str]) -> dict[int, ErrorCode]:
    rows = csv.DictReader(line for line in lines if line.strip() and not line.startswith("#"))
    table: dict[int, ErrorCode] = {}
    for row in rows:
        code = int(row["code"])
        if code in table:
            raise ValueError(f"{TABLE_FILE}: code {code} listed twice")
        table[code] = ErrorCode(code, Kind(row["kind"]), tuple(row["operations"].split()), row["meaning"].strip())
    return table


@cache
def table() -> Mapping[int, ErrorCode]:
    """Every documented code, read once from the package data (read-only)."""
    text = files(__package__).joinpath(TABLE_FILE).read_text(encoding="utf-8")
    return MappingProxyType(_parse(text.splitlines()))


def lookup(code: int | str | None) -> ErrorCode | None:
    """The table's row of ``code`` (None when unknown or not a number)."""
    try:
        return table().get(int(code)) if code is not None else None
    except (TypeError, ValueError):
        return None


def codes_of(kind: Kind) -> frozenset[int]:
    """Every documented code of one kind (e.g. the "already shipped" set)."""
    return frozenset(c for c, row in table().items() if row.kind is kind)


def meaning(code: int | str | None) -> str | None:
    row = lookup(code)
    return row.meaning if row else None


def guess_kind(message: str, status: int | None) -> Kind:
    """The kind of a code the table does not know, from the HTTP status and the server's message.

    429, 5xx or a message about a timeout, an internal error or trying again: temporary. 401:
    auth. Anything else: permanent (the safe side: a wrong "permanent" asks a human, a wrong
    "temporary" would resend a request that cannot succeed).
    """
    if status == 429:
        return Kind.RATE_LIMITED
    if (status is not None and status >= 500) or _TRANSIENT.search(message or ""):
        return Kind.TEMPORARY
    if status == 401:
        return Kind.AUTH
    return Kind.PERMANENT


def kind_of(code: int | str | None, message: str = "", status: int | None = None) -> Kind:
    """What ``code`` means for the caller: the table's kind, else :func:`guess_kind`.

    HTTP 429 is rate-limited whatever the code: the status says the server refused the call
    for its rate, before looking at it, so a code the table calls permanent (a parameter error
    sent along with the 429) must not stop a call that a wait would let through.
    """
    if status == 429:
        return Kind.RATE_LIMITED
    row = lookup(code)
    if row is None:
        return guess_kind(message, status)
    if row.code == CATCH_ALL and _CREDENTIALS.search(message or ""):
        return Kind.AUTH
    return row.kind
