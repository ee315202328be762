"""Tryton's JSON-RPC: the login session, one call, the error each answer means, and paged reads.

trytond answers ``POST <root><database>/rpc/`` (``trytond/protocols/dispatcher.py``). Login is
``common.db.login`` → ``[user id, session, bus url]``; later calls carry ``Authorization: Session
base64(login:uid:session)`` (``trytond/protocols/wrappers.py``) and the user's context as their
last parameter. A refused login, and a session the server has dropped, answer HTTP 401; an error
inside a call answers HTTP 200 with ``{"error": [...]}`` (``trytond/protocols/jsonrpc.py``), and
the call's transaction was rolled back, so no error answer ever left a write half made.
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import requests
from requests.auth import AuthBase

from erpsync.core.errors import (
    AuthError,
    CallContext,
    ConnectorError,
    NotFoundError,
    PermanentError,
    TemporaryError,
)
from erpsync.core.http import HttpClient
from erpsync.core.redaction import quoted

#: error codes set on answers that prove the call's transaction was rolled back (every Tryton error
#: answer does): a create that got one was not made, so sending it again is safe
UNPROCESSED = ("UserError", "UserWarning", "ConcurrencyException", "LoginException", "locked", "server")
#: words of an unnamed exception that mean the database was busy, not that the call was wrong
BUSY_WORDS = (
    "database is locked",
    "database is busy",
    "could not serialize",
    "deadlock",
    "operationalerror",
    "could not obtain lock",  # PostgreSQL's lock_not_available (a NOWAIT lock another transaction holds)
    "too many clients",  # PostgreSQL's connection limit: a connection frees up
)
#: characters of an error text kept in messages (UserError's third part can be kilobytes of domain)
TEXT_KEPT = 300


class SessionExpired(AuthError):
    """HTTP 401 on a call made with a session: the server dropped it; logging in again may cure it."""


class SessionAuth(AuthBase):
    """``Authorization: Session base64(login:uid:session)`` while a session is open; nothing before."""

    def __init__(self) -> None:
        self.value: str | None = None

    def open(self, login: str, uid: int, session: str) -> None:
        self.value = "Session " + base64.b64encode(f"{login}:{uid}:{session}".encode()).decode("ascii")

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        if self.value:
            r.headers["Authorization"] = self.value
        return r


def _decode(value: Any) -> Any:
    """Tryton's typed JSON values (``{"__class__": "Decimal", ...}``) as Python values; the rest as is."""
    if isinstance(value, dict):
        if value.get("__class__") == "Decimal":
            return Decimal(str(value["decimal"]))
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _short(text: Any) -> str:
    words = " ".join(str(text).split())
    return words if len(words) <= TEXT_KEPT else words[:TEXT_KEPT] + "…"


def rpc_error(error: Any, *, connector: str, operation: str) -> ConnectorError:
    """The erpsync error for a JSON-RPC ``error`` member (``JSONProtocol.response``).

    A Tryton exception arrives as ``[name, args]`` (``trytond/exceptions.py``); any other as
    ``[text, traceback]``. Validation and access errors are permanent, a concurrent edit and a busy
    database temporary; the traceback is never kept.
    """
    name = error[0] if isinstance(error, list | tuple) and error else error
    args = error[1] if isinstance(error, list | tuple) and len(error) > 1 else None
    if name in ("UserError", "UserWarning"):
        parts = args if isinstance(args, list | tuple) else [args]
        texts = [str(p) for p in parts[: 2 if name == "UserError" else 3] if isinstance(p, str) and p]
        if name == "UserWarning" and texts:
            texts = texts[1:]  # the warning's name is a key, not words for people
        return PermanentError(
            _short(" - ".join(texts) or name),
            code=name,
            connector=connector,
            operation=operation,
        )
    if name == "ConcurrencyException":
        return TemporaryError(
            f"another user changed the record: {_short(args)}",
            code=name,
            connector=connector,
            operation=operation,
        )
    if name == "LoginException":
        return AuthError(
            f"Tryton asks for more to log in: {_short(args)}",
            code=name,
            connector=connector,
            operation=operation,
        )
    text = _short(name)
    if any(word in text.lower() for word in BUSY_WORDS):
        return TemporaryError(
            f"the Tryton database is busy: {text}",
            code="locked",
            connector=connector,
            operation=operation,
        )
    return PermanentError(
        f"Tryton failed: {text}",
        code="server",
        connector=connector,
        operation=operation,
    )


def classify(
    response: requests.Response, operation: str, connector: str, redact: Callable[[str], str] = lambda t: t
) -> ConnectorError | None:
    """HTTP statuses trytond uses itself, and the error member of a JSON-RPC answer; ``redact``
    hides the secrets in an answer quoted (a proxy's page may echo the login, password and all)."""
    status = response.status_code
    where = CallContext(connector=connector, operation=operation, status=status)
    if status == 401:
        if operation == "common.db.login":
            return AuthError("Tryton refused the login (options login and password)", **where)
        return SessionExpired("Tryton no longer knows the session", **where)
    if status == 403:
        return AuthError("Tryton refused the call: the user lacks access to it", **where)
    if status == 404:
        return PermanentError("Tryton has no such database (option database)", **where)
    if status == 504:
        return TemporaryError("the call timed out on the Tryton server", **where)
    if status != 200:
        return None  # HttpClient's mapping: 429 and 5xx temporary, other 4xx permanent
    try:
        body = response.json()
    except ValueError:
        return PermanentError(f"the answer is not JSON: {quoted(response.text, redact, 120)!r}", **where)
    if not isinstance(body, dict) or ("result" not in body and "error" not in body):
        return PermanentError("the answer is no JSON-RPC answer", **where)
    if body.get("error") is not None:
        return rpc_error(
            body["error"],
            connector=connector,
            operation=operation,
        )
    return None


class TrytonRpc:
    """One user's session on one database: ``call`` logs in when needed and once more on a 401."""

    def __init__(self, http: HttpClient, auth: SessionAuth, *, url: str, login: str, password: str) -> None:
        self.http, self.auth, self.url = http, auth, url
        self.login, self._password = login, password
        self.uid: int | None = None
        self._context: dict[str, Any] | None = None

    def _send(self, method: str, params: Sequence[Any], *, idempotent: bool) -> Any:
        body = {"id": 1, "method": method, "params": list(params)}
        response = self.http.request(
            "POST", self.url, json=body, operation=method, rate_key="rpc", idempotent=idempotent
        )
        return _decode(response.json().get("result"))

    def open(self) -> None:
        """Log in (``common.db.login``) and read the user's context (company, language)."""
        answer = self._send("common.db.login", [self.login, {"password": self._password}], idempotent=True)
        if not isinstance(answer, list) or len(answer) < 2:
            raise PermanentError("Tryton answered the login without a session", operation="common.db.login")
        self.uid = int(answer[0])
        self.auth.open(self.login, self.uid, str(answer[1]))
        context = self._send("model.res.user.get_preferences", [True, {}], idempotent=True)
        self._context = dict(context) if isinstance(context, Mapping) else {}

    @property
    def context(self) -> dict[str, Any]:
        if self._context is None:
            self.open()
        return dict(self._context or {})

    def call(self, method: str, *params: Any, idempotent: bool = True, context: Mapping[str, Any] | None = None) -> Any:
        """``model.<name>.<method>`` with ``params`` and the user's context (plus ``context``) last."""
        if self.uid is None:
            self.open()
        try:
            return self._send(method, [*params, {**self.context, **(context or {})}], idempotent=idempotent)
        except SessionExpired:
            self.open()
            try:
                return self._send(method, [*params, {**self.context, **(context or {})}], idempotent=idempotent)
            except SessionExpired as again:
                raise AuthError("Tryton refused the session it had just opened", **again.context) from None

    def close(self) -> None:
        """Log out (``common.db.logout``); a server already gone is no error of closing."""
        if self.uid is None:
            return
        with contextlib.suppress(ConnectorError):
            self._send("common.db.logout", [], idempotent=True)
        self.uid, self._context, self.auth.value = None, None, None

    def search_read(
        self,
        model: str,
        domain: Sequence[Any],
        fields_names: Sequence[str],
        *,
        page_size: int,
        context: Mapping[str, Any] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every record ``domain`` matches, one page of ``page_size`` at a time, ordered by id.

        Each page asks for the ids after the last one read, not for an offset: a record that
        leaves the domain between two pages (deleted, cancelled) would move every later one back
        a place under an offset, and the first of the next page would never be read.
        """
        last: int | None = None
        while True:
            where = list(domain) if last is None else [list(domain), ["id", ">", last]]
            page = self.call(
                f"model.{model}.search_read",
                where,
                0,
                page_size,
                [["id", "ASC"]],
                list(fields_names),
                context=context,
            )
            if not isinstance(page, list):
                raise PermanentError(f"search_read of {model} answered no list", operation=f"model.{model}.search_read")
            yield from page
            if len(page) < page_size:
                return
            last = _last_id(page, model, after=last)

    def one(self, model: str, domain: Sequence[Any], fields_names: Sequence[str], *, what: str) -> dict[str, Any]:
        """The one record ``domain`` matches: NotFoundError when none, PermanentError when several."""
        rows = self.call(f"model.{model}.search_read", list(domain), 0, 2, [["id", "ASC"]], list(fields_names))
        where = CallContext(connector=self.http.name, operation=f"model.{model}.search_read")
        if not rows:
            raise NotFoundError(f"no {what}", **where)
        if len(rows) > 1:
            raise PermanentError(f"more than one {what}: the id must name one record", **where)
        return dict(rows[0])


def _last_id(page: Sequence[Any], model: str, *, after: int | None) -> int:
    """The id the next page starts after: the last row's (rows come ordered by id). One not past
    ``after`` means the server ignored the condition: paging on would repeat the page forever."""
    row = page[-1]
    found = row.get("id") if isinstance(row, Mapping) else None
    if not isinstance(found, int) or isinstance(found, bool) or (after is not None and found <= after):
        raise PermanentError(
            f"search_read of {model} answered a page without ids after the last page's",
            operation=f"model.{model}.search_read",
        )
    return found


def related(row: Mapping[str, Any], path: str) -> Any:
    """A dotted field of a ``search_read`` row (``"address.country.code"``): None where a link is empty.

    trytond returns a related record's fields under ``"<field>."`` (``ModelSQL.read``).
    """
    value: Any = row
    *links, last = path.split(".")
    for link in links:
        value = value.get(f"{link}.") if isinstance(value, Mapping) else None
        if value is None:
            return None
    return value.get(last) if isinstance(value, Mapping) else None
