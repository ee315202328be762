"""The two ways to call an Odoo model method over HTTP, behind one ``call()``.

- **JSON-RPC** (``protocol = "jsonrpc"``): ``POST /jsonrpc`` with ``{"jsonrpc": "2.0", "method":
  "call", "params": {"service": ..., "method": ..., "args": [...]}}`` (``addons/base/controllers/
  rpc.py``); ``common.authenticate(db, login, password, {})`` gives the user id (``false`` when
  refused), then every call is ``object.execute_kw(db, uid, password, model, method, args,
  kwargs)``. Errors come back with HTTP 200 in the body's ``error.data`` (``odoo/http.py``,
  ``JsonRPCDispatcher.handle_error``). Deprecated in Odoo 19.
- **JSON-2** (``protocol = "json2"``, Odoo 19+): ``POST /json/2/<model>/<method>`` with
  ``Authorization: bearer <api key>``, ``X-Odoo-Database`` when a database is named, and a JSON
  object of ``ids``, ``context`` and the method's named parameters; the answer is the method's
  return value, an error a 4xx/5xx whose body is the serialised exception (the "External JSON-2
  API" page). Each call is its own transaction.

``call(model, method, params, ids=...)`` is the same for both: ``ids`` for a method on records
(``write``), none for a model method (``search_read``). Bodies are decoded here, strictly as
JSON but leniently as UTF-8: a byte that is not UTF-8 stays in the text as a surrogate escape
(``\\udcXX``), so the record holding it becomes one RecordError (``values.text``) instead of the
whole answer failing or, as ``requests`` would decode it, the byte silently turning into U+FFFD.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase

from erpsync.core.errors import AuthError, ConnectorError, PermanentError
from erpsync.core.http import HttpClient
from erpsync.core.http_connector import BearerAuth
from erpsync.core.redaction import quoted

from .errors import error_for, status_error

__all__ = ["Json2", "JsonRpc", "Owner", "Transport", "decode"]

HEADERS = {"User-Agent": "erpsync"}


class Owner(Protocol):
    """What a transport needs of its connector."""

    options: dict[str, Any]

    @property
    def type(self) -> str: ...

    @property
    def http(self) -> HttpClient: ...

    def url(self, path: str) -> str: ...


def decode(response: requests.Response, http: HttpClient, connector: str, operation: str) -> Any:
    """The body as JSON; undecodable UTF-8 bytes kept as surrogate escapes for the record to report."""
    try:
        return json.loads(response.content.decode("utf-8", errors="surrogateescape"))
    except ValueError:
        snippet = quoted(response.content[:2400].decode("utf-8", errors="replace"), http.redact, 120)
        raise PermanentError(f"the answer is not JSON: {snippet!r}", connector=connector, operation=operation) from None


class Transport:
    """One protocol: ``call`` sends, ``classify`` tells an error answer from a result."""

    #: which options hold the credentials, for the message of an AuthError
    auth_hint = ""
    #: why the endpoint might not exist, for the message of a 404
    missing_hint = ""

    def __init__(self, owner: Owner) -> None:
        self.owner = owner

    def make_auth(self) -> AuthBase | None:
        return None

    def call(
        self,
        model: str,
        method: str,
        params: Mapping[str, Any],
        *,
        ids: Sequence[int] | None = None,
        context: Mapping[str, Any] | None = None,
        operation: str,
    ) -> Any:
        raise NotImplementedError

    def classify(self, response: requests.Response, operation: str) -> ConnectorError | None:
        """The error an answer carries (a serialised exception, or a status), else None."""
        payload = self._error_payload(response)
        if payload is not None:
            return error_for(
                payload,
                status=response.status_code if response.status_code >= 400 else None,
                redact=self.owner.http.redact,
                connector=self.owner.type,
                operation=operation,
                auth_hint=self.auth_hint,
            )
        path = urlsplit(response.url or "").path
        return status_error(
            response.status_code,
            path,
            connector=self.owner.type,
            operation=operation,
            auth_hint=self.auth_hint,
            missing_hint=self.missing_hint,
        )

    def _error_payload(self, response: requests.Response) -> Mapping[str, Any] | None:
        raise NotImplementedError

    def _send(self, path: str, body: Any, operation: str, headers: Mapping[str, str]) -> Any:
        owner = self.owner
        # every call erpsync makes reads, or writes given values: sending it twice does no harm
        # the path names an endpoint (/jsonrpc, /json/2/<model>/<method>), never a record: it is the
        # template /metrics counts by (its "2" is no id)
        response = owner.http.request(
            "POST",
            owner.url(path),
            json=body,
            headers=headers,
            operation=operation,
            idempotent=True,
            rate_key=urlsplit(owner.url(path)).path,  # the whole path: a server's sub-path stays apart
        )
        return decode(response, owner.http, owner.type, operation)


class JsonRpc(Transport):
    auth_hint = "options login and password"
    missing_hint = "is base_url the Odoo server, and does it still serve JSON-RPC?"

    def __init__(self, owner: Owner) -> None:
        super().__init__(owner)
        self._uid: int | None = None
        self._ids = itertools.count(1)

    def call(
        self,
        model: str,
        method: str,
        params: Mapping[str, Any],
        *,
        ids: Sequence[int] | None = None,
        context: Mapping[str, Any] | None = None,
        operation: str,
    ) -> Any:
        options = self.owner.options
        kwargs = {**params, **({"context": dict(context)} if context else {})}
        args = [list(ids)] if ids is not None else []
        uid = self._uid if self._uid is not None else self.authenticate()
        return self._rpc(
            "object",
            "execute_kw",
            [options["database"], uid, options["password"], model, method, args, kwargs],
            operation,
        )

    def authenticate(self) -> int:
        """``common.authenticate``: the user id, or an AuthError when Odoo answers ``false``."""
        options = self.owner.options
        args = [options["database"], options["login"], options["password"], {}]
        uid = self._rpc("common", "authenticate", args, "authenticate")
        if not isinstance(uid, int) or isinstance(uid, bool) or uid <= 0:
            raise AuthError(
                f"Odoo refused login {options['login']!r} on database {options['database']!r} ({self.auth_hint})",
                connector=self.owner.type,
                operation="authenticate",
            )
        self._uid = uid
        return uid

    def _rpc(self, service: str, method: str, args: list[Any], operation: str) -> Any:
        body = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": args},
            "id": next(self._ids),
        }
        payload = self._send("/jsonrpc", body, operation, HEADERS)
        if not isinstance(payload, dict) or "result" not in payload:
            raise PermanentError("the answer is no JSON-RPC result", connector=self.owner.type, operation=operation)
        return payload["result"]

    def _error_payload(self, response: requests.Response) -> Mapping[str, Any] | None:
        if b'"error"' not in response.content:
            return None
        try:
            body = json.loads(response.content.decode("utf-8", errors="replace"))
        except ValueError:
            return None
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return None
        data = error.get("data")
        if isinstance(data, dict) and data.get("name"):
            return data
        return {"name": "", "message": error.get("message", "")}


class Json2(Transport):
    auth_hint = "option api_key"
    missing_hint = "is base_url the Odoo server, and is it Odoo 19 or later?"

    def make_auth(self) -> AuthBase | None:
        return BearerAuth(str(self.owner.options["api_key"]), scheme="bearer")

    def call(
        self,
        model: str,
        method: str,
        params: Mapping[str, Any],
        *,
        ids: Sequence[int] | None = None,
        context: Mapping[str, Any] | None = None,
        operation: str,
    ) -> Any:
        body: dict[str, Any] = dict(params)
        if ids is not None:
            body["ids"] = list(ids)
        if context:
            body["context"] = dict(context)
        database = self.owner.options.get("database")
        headers = {**HEADERS, **({"X-Odoo-Database": database} if database else {})}
        return self._send(f"/json/2/{model}/{method}", body, operation, headers)

    def _error_payload(self, response: requests.Response) -> Mapping[str, Any] | None:
        if response.status_code < 400:
            return None
        try:
            body = json.loads(response.content.decode("utf-8", errors="replace"))
        except ValueError:
            return None
        return body if isinstance(body, dict) and body.get("name") else None
