"""A stateful Odoo stand-in behind ``responses``: both protocols, in Odoo's documented shapes.

No Odoo server can run in these tests, so ``OdooServer`` answers ``POST /jsonrpc``
(``common.authenticate``, ``object.execute_kw``) and ``POST /json/2/<model>/<method>`` from
in-memory records, the way Odoo does (each shape from the upstream source named in
docs/erp-odoo.md):

- a read returns char fields as strings or ``false``, many2one as ``[id, display name]``;
- JSON-RPC errors are HTTP 200 ``{"jsonrpc": "2.0", "id": .., "error": {"code": 200, "message":
  "Odoo Server Error", "data": {"name", "debug", "message", "arguments", "context"}}}``;
  ``authenticate`` answers ``false`` for refused credentials, ``execute_kw`` AccessDenied;
- JSON-2 errors are the same ``data`` object as the body, with the exception's status: 401
  ``werkzeug.exceptions.Unauthorized`` for a refused key, 403 AccessError, 404 MissingError or
  ``werkzeug.exceptions.NotFound`` (no such model or method), 422 UserError / ValidationError,
  500 for anything else (``builtins.ValueError``: a field the model lacks);
- an unknown model over JSON-RPC is ``UserError("Object x doesn't exist")``, an unknown method
  ``builtins.AttributeError``; a many2one written with an id that does not exist is the
  ValidationError Odoo raises for the foreign-key violation; a write to a deleted record is a
  MissingError; an archived record (``active`` false, on a model with that field) is left out of
  a search unless the context's ``active_test`` is false.

Knobs a test turns: ``fault`` (fail reads or writes the temporary or permanent way),
``inject`` (answer the next call with a given exception), ``mangle`` (replace bytes of the next
answers, e.g. with a byte that is not UTF-8), ``deny`` (AccessError on a model), ``version``
(the Odoo version answering JSON-RPC, 17 by default; JSON-2 answers as 19): the context key a
stock read's warehouse is taken from follows it (``WAREHOUSE_KEYS``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Union

import requests
import responses

from erpsync.connectors.odoo import OdooErp, OdooOptions
from erpsync.core.connector import ShopContext
from erpsync.core.http import HttpPolicy

BASE_URL = "http://odoo.test"
DATABASE, LOGIN, UID = "shop", "erpsync-bot", 7
PASSWORD, API_KEY = "pw-5ecret-odoo-77", "key-5ecret-odoo-88"

#: the fields of each model erpsync reads (stock, sale_stock and stock_delivery installed);
#: "m2o:<model>" a many2one, "qty" product quantity computed per warehouse context
MODELS: dict[str, dict[str, str]] = {
    "stock.warehouse": {"name": "char", "code": "char", "partner_id": "m2o:res.partner"},
    "res.partner": {
        "name": "char", "phone": "char", "street": "char", "street2": "char", "city": "char", "zip": "char",
        "state_id": "m2o:res.country.state", "country_id": "m2o:res.country", "active": "bool",
    },
    "res.country": {"name": "char", "code": "char"},
    "res.country.state": {"name": "char", "code": "char", "country_id": "m2o:res.country"},
    "res.currency": {"name": "char"},
    "product.template": {"name": "char"},
    "product.product": {
        "product_tmpl_id": "m2o:product.template", "default_code": "char", "name": "char",
        "description_sale": "char", "lst_price": "float", "qty_available": "qty",
        "currency_id": "m2o:res.currency", "sale_ok": "bool",
    },
    "delivery.carrier": {"name": "char"},
    "sale.order": {"name": "char", "client_order_ref": "char"},
    "stock.picking": {
        "name": "char", "picking_type_code": "char", "state": "char", "origin": "char",
        "carrier_tracking_ref": "char", "carrier_id": "m2o:delivery.carrier", "sale_id": "m2o:sale.order",
    },
}  # fmt: skip

#: the context keys ``_get_domain_locations`` (``addons/stock/models/product.py``) reads the
#: warehouse from, by Odoo version
WAREHOUSE_KEYS = {17: ("warehouse",), 18: ("warehouse_id",), 19: ("warehouse_id", "search_warehouse")}


def _page(staged: int | tuple[int, bytes]) -> tuple[int, dict[str, str], bytes]:
    """A non-JSON answer: a proxy's error page (``Retry-After: 0`` keeps retrying tests fast)."""
    status, body = staged if isinstance(staged, tuple) else (staged, b"<html><h1>Service Unavailable</h1></html>")
    return status, {"Content-Type": "text/html", "Retry-After": "0"}, body


class OdooException(Exception):
    """An exception as Odoo serialises it: its qualified name, message and JSON-2 HTTP status."""

    def __init__(self, name: str, message: str, status: int) -> None:
        super().__init__(message)
        self.name, self.message, self.status = name, message, status

    def data(self) -> dict[str, Any]:
        debug = "" if self.name.endswith("AccessDenied") else f"Traceback (most recent call last):\n{self.name}: ..."
        return {"name": self.name, "debug": debug, "message": self.message, "arguments": [self.message], "context": {}}


#: what a test can make the next call answer (``OdooServer.inject``)
Staged = Union["OdooException", Exception, int, tuple[int, bytes]]


def user_error(message: str) -> OdooException:
    return OdooException("odoo.exceptions.UserError", message, 422)


def missing(model: str, ids: Sequence[int]) -> OdooException:
    text = f"Record does not exist or has been deleted.\n(Record: {model}({', '.join(map(str, ids))},), User: {UID})"
    return OdooException("odoo.exceptions.MissingError", text, 404)


class OdooServer:
    """In-memory records answering both protocols; ``install`` it on a ``responses`` mock."""

    def __init__(self) -> None:
        self.fields = {model: dict(spec) for model, spec in MODELS.items()}
        self.records: dict[str, dict[int, dict[str, Any]]] = {model: {} for model in MODELS}
        self.calls: list[tuple[str, str, str]] = []  # (protocol, model, method)
        self.fault: tuple[str, str] | None = None  # (temporary|permanent, read|write)
        self.injected: list[Staged] = []
        self.replacements: list[tuple[bytes, bytes]] = []
        self.denied: set[str] = set()
        #: the Odoo version answering JSON-RPC; JSON-2 answers as 19, the first version that has it
        self.version = 17
        self._answering = self.version  # the version answering the call in hand
        self._next_id = 100
        for code, name in (("CN", "China"), ("HK", "Hong Kong"), ("US", "United States")):
            self.create("res.country", {"code": code, "name": name})
        cn = self.find("res.country", code="CN")
        for code, name in (("GD", "广东省"), ("ZJ", "浙江省"), ("JS", "江苏省")):
            self.create("res.country.state", {"code": code, "name": name, "country_id": cn})

    # -- records -----------------------------------------------------------------------------

    def add_field(self, model: str, name: str, kind: str = "char") -> None:
        """A custom field (``x_...``), as Odoo Studio or a module adds one."""
        self.fields[model][name] = kind

    def create(self, model: str, vals: Mapping[str, Any], *, id: int | None = None) -> int:
        rid = id if id is not None else self._new_id()
        defaults = {"active": True} if "active" in self.fields[model] else {}
        self.records[model][rid] = {"id": rid, **defaults, **vals}
        return rid

    def find(self, model: str, **values: Any) -> int:
        (rid,) = [r["id"] for r in self.records[model].values() if all(r.get(k) == v for k, v in values.items())]
        return int(rid)

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def display_name(self, model: str, rid: int) -> str:
        record = self.records[model].get(rid)
        if record is None:  # a reference the user cannot see (a record rule): Odoo shows no name
            return ""

        if model == "res.country.state":  # Odoo shows a state with its country's code
            return f"{record['name']} ({self.records['res.country'][record['country_id']]['code']})"
        return str(record.get("name") or "")

    # -- knobs -------------------------------------------------------------------------------

    @contextmanager
    def failing(self, kind: str, operation: str) -> Iterator[None]:
        self.fault = (kind, operation)
        try:
            yield
        finally:
            self.fault = None

    def inject(self, answer: Staged) -> None:
        """The next call answers this: an Odoo exception, a ``requests`` exception (raised), an HTTP
        status with a proxy's HTML page, or ``(status, body bytes)``."""
        self.injected.append(answer)

    def mangle(self, old: str | bytes, new: bytes) -> None:
        self.replacements.append((old.encode() if isinstance(old, str) else old, new))

    def deny(self, model: str) -> None:
        self.denied.add(model)

    # -- HTTP --------------------------------------------------------------------------------

    def install(self, mock: responses.RequestsMock, base_url: str = BASE_URL) -> None:
        self.mock = mock  # its ``calls`` are the requests as sent
        mock.add_callback(responses.POST, f"{base_url}/jsonrpc", callback=self._jsonrpc)
        mock.add_callback(
            responses.POST, re.compile(re.escape(base_url) + r"/json/2/[^/]+/[^/]+$"), callback=self._json2
        )

    def _answer(
        self, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        raw = json.dumps(body, ensure_ascii=False).encode()
        for old, new in self.replacements:
            raw = raw.replace(old, new)
        return status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}, raw

    def _staged(self, write: bool, permanent: OdooException) -> Staged | None:
        if self.injected:
            return self.injected.pop(0)
        if self.fault is not None and (self.fault[1] == "read" or write):
            return 503 if self.fault[0] == "temporary" else permanent
        return None

    def _jsonrpc(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        body = json.loads(request.body or b"{}")
        params, rid = body["params"], body.get("id")
        service, method, args = params["service"], params["method"], params["args"]
        denied = OdooException("odoo.exceptions.AccessDenied", "Access Denied", 403)
        model = args[3] if service == "object" and len(args) > 4 else ""
        method_name = args[4] if model else method
        self.calls.append(("jsonrpc", model, method_name))
        self._answering = self.version
        staged = self._staged(method_name == "write", denied)
        if isinstance(staged, int | tuple):
            return _page(staged)
        if isinstance(staged, Exception) and not isinstance(staged, OdooException):
            raise staged
        try:
            if staged is not None and not (staged is denied and service == "common"):
                raise staged
            if service == "common" and method == "authenticate":
                if staged is denied:  # Odoo answers refused credentials with false, not an error
                    return self._answer(200, {"jsonrpc": "2.0", "id": rid, "result": False})
                db, login, password = args[0], args[1], args[2]
                ok = db == DATABASE and login == LOGIN and password in (PASSWORD, API_KEY)
                return self._answer(200, {"jsonrpc": "2.0", "id": rid, "result": UID if ok else False})
            if service != "object" or method != "execute_kw":
                raise OdooException("builtins.NameError", f"Method not available {method}", 500)
            db, uid, password, model, name, call_args, kwargs = (*args, {})[:7]
            if db != DATABASE or uid != UID or password not in (PASSWORD, API_KEY):
                raise denied
            if model not in self.records:
                raise user_error(f"Object {model} doesn't exist")
            ids = call_args[0] if call_args and name not in ("search_read", "create") else None
            result = self.execute(model, name, ids, dict(kwargs), not_found="builtins.AttributeError")
        except OdooException as exc:
            error = {"code": 200, "message": "Odoo Server Error", "data": exc.data()}
            return self._answer(200, {"jsonrpc": "2.0", "id": rid, "error": error})
        return self._answer(200, {"jsonrpc": "2.0", "id": rid, "result": result})

    def _json2(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        model, method = (request.path_url or "").split("?")[0].split("/")[-2:]
        self.calls.append(("json2", model, method))
        self._answering = 19
        refused = OdooException("werkzeug.exceptions.Unauthorized", "Invalid apikey", 401)
        staged = self._staged(method == "write", refused)
        if isinstance(staged, int | tuple):
            return _page(staged)
        if isinstance(staged, Exception) and not isinstance(staged, OdooException):
            raise staged
        try:
            if staged is not None:
                raise staged
            scheme, _, key = str(request.headers.get("Authorization", "")).partition(" ")
            if scheme.lower() != "bearer" or key != API_KEY:
                raise refused
            if model not in self.records:
                raise OdooException("werkzeug.exceptions.NotFound", f"the model {model!r} does not exist", 404)
            kwargs = json.loads(request.body or b"{}")
            ids = kwargs.pop("ids", None)
            result = self.execute(model, method, ids, kwargs, not_found="werkzeug.exceptions.NotFound")
        except OdooException as exc:
            return self._answer(exc.status, exc.data())
        return self._answer(200, result)

    # -- the ORM -----------------------------------------------------------------------------

    def execute(
        self, model: str, method: str, ids: Sequence[int] | None, kwargs: dict[str, Any], *, not_found: str
    ) -> Any:
        if model in self.denied:
            message = f"You are not allowed to access '{model}' ({model}) records."
            raise OdooException("odoo.exceptions.AccessError", message, 403)
        context = kwargs.pop("context", None) or {}
        if method == "search_read":
            return self.search_read(model, context=context, **kwargs)
        if method == "write":
            return self.write(model, list(ids or []), kwargs.get("vals", {}))
        status = 404 if not_found.startswith("werkzeug") else 500
        raise OdooException(not_found, f"The method '{model}.{method}' does not exist", status)

    def _check_fields(self, model: str, names: Sequence[str]) -> None:
        for name in names:
            if name != "id" and name not in self.fields[model]:
                raise OdooException("builtins.ValueError", f"Invalid field {name!r} on model {model!r}", 500)

    def search_read(
        self,
        model: str,
        domain: Sequence[Any] = (),
        fields: Sequence[str] | None = None,
        offset: int = 0,
        limit: int | None = None,
        order: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        names = list(fields or self.fields[model])
        self._check_fields(model, names)
        match = _Domain(self, model, domain)
        # Odoo leaves archived records (active false) out of a search unless active_test is false
        hide_archived = "active" in self.fields[model] and (context or {}).get("active_test", True)
        rows = sorted(
            (r for r in self.records[model].values() if match(r) and not (hide_archived and not r["active"])),
            key=lambda r: r["id"],
        )
        rows = rows[offset : offset + limit if limit else None]
        return [
            {"id": r["id"], **{n: self._read(model, r, n, context or {}) for n in names if n != "id"}} for r in rows
        ]

    def _read(self, model: str, record: Mapping[str, Any], name: str, context: Mapping[str, Any]) -> Any:
        kind, value = self.fields[model][name], record.get(name)
        if kind == "qty":
            by_warehouse: Mapping[int, float] = value or {}
            keys = WAREHOUSE_KEYS[self._answering]
            warehouse = next((context[k] for k in keys if context.get(k)), None)
            return float(by_warehouse.get(warehouse, 0.0) if warehouse else sum(by_warehouse.values()))
        if kind.startswith("m2o:"):
            return [value, self.display_name(kind[4:], value)] if value else False
        if kind == "float":
            return float(value or 0.0)
        if kind == "bool":
            return bool(value)
        return value if value not in (None, "") else False

    def write(self, model: str, ids: list[int], vals: Mapping[str, Any]) -> bool:
        self._check_fields(model, list(vals))
        gone = [i for i in ids if i not in self.records[model]]
        if gone:
            raise missing(model, gone)
        for name, value in vals.items():
            kind = self.fields[model][name]
            if kind.startswith("m2o:") and value and value not in self.records[kind[4:]]:
                message = (
                    f'The operation cannot be completed: insert or update on table "{model}" violates a foreign key'
                )
                raise OdooException("odoo.exceptions.ValidationError", message, 422)
        for i in ids:
            self.records[model][i].update({k: (None if v is False else v) for k, v in vals.items()})
        return True


class _Domain:
    """An Odoo domain (prefix ``&``, ``|``, ``!`` over ``[field, op, value]`` leaves) as a predicate."""

    OPS = ("=", "!=", "in", "not in", ">")

    def __init__(self, server: OdooServer, model: str, domain: Sequence[Any]) -> None:
        self.server, self.model, self.items = server, model, list(domain)

    def __call__(self, record: Mapping[str, Any]) -> bool:
        position, results = 0, []
        while position < len(self.items):
            result, position = self._term(position, record)
            results.append(result)
        return all(results)

    def _term(self, i: int, record: Mapping[str, Any]) -> tuple[bool, int]:
        token = self.items[i]
        if token in ("&", "|"):
            left, j = self._term(i + 1, record)
            right, k = self._term(j, record)
            return (left and right) if token == "&" else (left or right), k
        if token == "!":
            inner, j = self._term(i + 1, record)
            return not inner, j
        field, op, value = token
        self.server._check_fields(self.model, [field])
        if op not in self.OPS:
            raise OdooException("builtins.ValueError", f"Invalid leaf {token!r}", 500)
        have = record.get(field)
        if value is False:
            value = None
        have = None if have in ("", False) else have
        hit = {"=": lambda: have == value, "!=": lambda: have != value,
               "in": lambda: have in value, "not in": lambda: have not in value,
               ">": lambda: have is not None and have > value}[op]()  # fmt: skip
        return hit, i + 1


def odoo_options(protocol: str = "jsonrpc", **extra: Any) -> dict[str, Any]:
    """Options for ``OdooServer``'s database: the credentials of ``protocol``, plus ``extra``."""
    credentials = {"login": LOGIN, "password": PASSWORD} if protocol == "jsonrpc" else {"api_key": API_KEY}
    return {"base_url": BASE_URL, "database": DATABASE, "protocol": protocol, **credentials, **extra}


def make_connector(protocol: str = "jsonrpc", *, attempts: int = 1, **extra: Any) -> OdooErp:
    """An ``OdooErp`` on ``OdooServer``'s database, trying each call ``attempts`` times."""
    connector = OdooErp(OdooOptions().load(odoo_options(protocol, **extra)), shop=ShopContext("shop", Path(".")))
    connector.policy = HttpPolicy(max_attempts=attempts, backoff_initial=0.0, backoff_jitter=0.0)
    return connector


@contextmanager
def serving() -> Iterator[OdooServer]:
    """An ``OdooServer`` answering every request to ``BASE_URL`` while the block runs."""
    server = OdooServer()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        server.install(mock)
        yield server
