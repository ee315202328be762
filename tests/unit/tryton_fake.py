"""A staged Tryton JSON-RPC endpoint for the connector's HTTP unit tests, through ``responses``.

Each answer follows trytond 8.2's shapes (``trytond/protocols/jsonrpc.py``, ``dispatcher.py``):
``{"id", "result"}`` or ``{"id", "error": [...]}`` with HTTP 200, HTTP 401 for a refused login or
an unknown session. The tests say what each method answers; the fake records every call.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from dataclasses import replace as dc_replace
from pathlib import Path
from typing import Any

import responses

from erpsync.connectors.tryton import TrytonErp, TrytonOptions
from erpsync.core.connector import ShopContext
from erpsync.core.http import HttpPolicy

URL = "http://tryton.test/"
RPC = f"{URL}erpsync/rpc/"
PASSWORD = "s3cret-pass"
SESSION = "sess-0001"


def header(session: str = SESSION, uid: int = 7, login: str = "erpsync") -> str:
    return "Session " + base64.b64encode(f"{login}:{uid}:{session}".encode()).decode()


@dataclass
class Call:
    method: str
    params: list[Any]
    authorization: str | None


Answer = Callable[[list[Any]], Any]


@dataclass
class FakeTryton:
    """Answers by method name; ``sessions`` are the session tokens the server still knows."""

    answers: dict[str, Answer] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    sessions: list[str] = field(default_factory=lambda: [SESSION])
    password: str = PASSWORD
    logins: int = 0

    def on(self, method: str, answer: Answer | Any) -> None:
        self.answers[method] = answer if callable(answer) else (lambda _params, value=answer: value)

    def called(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def __call__(self, request: Any) -> tuple[int, dict[str, str], str]:
        body = json.loads(request.body)
        method, params = body["method"], body["params"]
        auth = request.headers.get("Authorization")
        self.calls.append(Call(method, params, auth))
        if method == "common.db.login":
            if params[1].get("password") != self.password:
                return 401, {}, "Unauthorized"
            self.logins += 1
            session = self.sessions[min(self.logins, len(self.sessions)) - 1]
            return 200, {}, json.dumps({"id": body["id"], "result": [7, session, None]})
        if method != "common.db.logout" and auth not in {header(s) for s in self.sessions[: self.logins]}:
            return 401, {}, "Unauthorized"
        if method == "model.res.user.get_preferences":
            return 200, {}, json.dumps({"id": body["id"], "result": {"company": 1, "language": "en"}})
        answer = self.answers.get(method)
        if answer is None:
            return 200, {}, json.dumps({"id": body["id"], "result": None})
        result = answer(params)
        if isinstance(result, RpcFailure):
            return 200, {}, json.dumps({"id": body["id"], "error": result.error})
        if isinstance(result, HttpFailure):
            return result.status, {}, result.text
        return 200, {}, json.dumps({"id": body["id"], "result": result})


@dataclass
class RpcFailure:
    error: list[Any]


@dataclass
class HttpFailure:
    status: int
    text: str = ""


@contextmanager
def staged(fake: FakeTryton) -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, RPC, callback=fake)
        yield mock


def connector(**options: Any) -> TrytonErp:
    table = {"base_url": URL, "database": "erpsync", "login": "erpsync", "password": PASSWORD, **options}
    built = TrytonErp(TrytonOptions().load(table), shop=ShopContext("shop", Path(".")))
    built.policy = dc_replace(HttpPolicy(), max_attempts=1)
    return built


def location(
    code: str = "WH-DG-01", *, rid: int = 12, address: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    """A ``search_read`` row of a warehouse location as trytond returns dotted fields."""
    default = {
        "id": 30 + rid,
        "party": 5,
        "attn": "张伟",
        "street": "振安中路 88号",
        "city": "东莞市",
        "postal_code": "523850",
        "post_office": "长安镇",
        "post_box": "PICK UP",
        "country.": {"id": 1, "code": "CN"},
        "subdivision.": {"id": 3, "name": "广东省"},
        "contact_mechanisms.": [{"id": 9, "type": "mobile", "value": "+86 138 0013 8000", "active": True}],
    }
    row: dict[str, Any] = {"id": rid, "code": code, "name": "东莞仓", "address": 30 + rid}
    row["address."] = {**default, **(address or {})}
    return {**row, **extra}
