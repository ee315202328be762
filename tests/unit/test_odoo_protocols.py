"""Odoo's two protocols: the requests sent, and each kind of error answer mapped to erpsync's errors.

Every answer comes from ``OdooServer`` in the shape Odoo documents (``odoo_fixtures.py``): errors
inside an HTTP 200 over JSON-RPC, with their own HTTP status over JSON-2. Each error kind is
checked on both protocols, and no error may carry the password or the API key.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from marshmallow import ValidationError
from odoo_fixtures import (
    API_KEY,
    DATABASE,
    LOGIN,
    PASSWORD,
    UID,
    OdooException,
    OdooServer,
    make_connector,
    odoo_options,
    serving,
)

from erpsync.connectors.odoo import OdooErp, OdooOptions
from erpsync.core.errors import AuthError, ConnectorError, NotFoundError, PermanentError, TemporaryError
from erpsync.core.models import HandoverMode


@pytest.fixture
def odoo() -> Iterator[OdooServer]:
    with serving() as server:
        yield server


PROTOCOLS = ("jsonrpc", "json2")


def seed(odoo: OdooServer, count: int = 1) -> None:
    cn = odoo.find("res.country", code="CN")
    for i in range(count):
        partner = odoo.create("res.partner", {"name": f"联系人{i}", "country_id": cn, "street": f"路 {i}号"})
        odoo.create("stock.warehouse", {"name": f"仓{i}", "code": f"W{i}", "partner_id": partner}, id=11 + i)


def bodies(mock_calls: list[object]) -> list[dict[str, object]]:
    return [json.loads(c.request.body) for c in mock_calls]  # type: ignore[attr-defined]


def test_jsonrpc_authenticates_once_then_calls_execute_kw(odoo: OdooServer) -> None:
    seed(odoo)
    connector = make_connector("jsonrpc")
    connector.list_warehouses()
    connector.list_warehouses()
    sent = bodies(list(odoo.mock.calls))
    assert sent[0]["params"] == {"service": "common", "method": "authenticate", "args": [DATABASE, LOGIN, PASSWORD, {}]}
    assert all(b["jsonrpc"] == "2.0" and b["method"] == "call" for b in sent)
    assert [b["params"]["method"] for b in sent].count("authenticate") == 1  # type: ignore[index]
    first = sent[1]["params"]
    assert first["service"] == "object" and first["method"] == "execute_kw"  # type: ignore[index]
    db, uid, password, model, method, args, kwargs = first["args"]  # type: ignore[index]
    assert (db, uid, password, model, method, args) == (DATABASE, UID, PASSWORD, "stock.warehouse", "search_read", [])
    assert kwargs == {"domain": [], "fields": ["name", "code", "partner_id"], "offset": 0, "limit": 200, "order": "id"}


def test_json2_sends_the_key_as_bearer_and_names_the_database(odoo: OdooServer) -> None:
    seed(odoo)
    connector = make_connector("json2", handover_field="x_mode")
    odoo.add_field("stock.warehouse", "x_mode")
    connector.list_warehouses()
    connector.set_handover_mode("11", HandoverMode.DROP_OFF)
    calls = list(odoo.mock.calls)
    first = calls[0].request
    assert first.url == "http://odoo.test/json/2/stock.warehouse/search_read"
    assert first.headers["Authorization"] == f"bearer {API_KEY}"
    assert first.headers["X-Odoo-Database"] == DATABASE
    assert first.headers["Content-Type"] == "application/json"
    assert json.loads(first.body)["order"] == "id" and "ids" not in json.loads(first.body)
    write = calls[-1].request
    assert write.url == "http://odoo.test/json/2/stock.warehouse/write"
    assert json.loads(write.body) == {"vals": {"x_mode": "drop_off"}, "ids": [11]}
    assert odoo.records["stock.warehouse"][11]["x_mode"] == "drop_off"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_reads_page_by_page_in_id_order(odoo: OdooServer, protocol: str) -> None:
    seed(odoo, 5)
    records = make_connector(protocol, page_size=2).list_warehouses()
    assert [w.id for w in records.items] == ["11", "12", "13", "14", "15"]
    calls = [c[1] for c in odoo.calls if c[1]]
    # the floor: ceil(5 / 2) pages of warehouses, as many chunks of partners, one of countries
    assert (calls.count("stock.warehouse"), calls.count("res.partner"), calls.count("res.country")) == (3, 3, 1)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_record_archived_between_two_pages_moves_no_other_out_of_the_read(
    odoo: OdooServer, protocol: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages ask for the ids after the last one read: by offset, archiving warehouse 11 once the
    first page is read would move 13 back into that page, and it would never be read."""
    seed(odoo, 5)
    read = odoo.search_read

    def then_archive(model: str, **kwargs: Any) -> list[dict[str, Any]]:
        rows = read(model, **kwargs)
        if model == "stock.warehouse" and 11 in odoo.records[model]:
            del odoo.records[model][11]
        return rows

    monkeypatch.setattr(odoo, "search_read", then_archive)
    records = make_connector(protocol, page_size=2).list_warehouses()
    assert [w.id for w in records.items] == ["11", "12", "13", "14", "15"]


# -- each kind of error, on both protocols -------------------------------------------------------


def read(connector: OdooErp) -> object:
    return connector.list_warehouses()


def write(connector: OdooErp) -> object:
    connector.set_warehouse_address("11", {"city": "东莞市"})
    return None


CASES: dict[str, tuple[Callable[[OdooServer], None], Callable[[OdooErp], object], type[ConnectorError]]] = {
    "access denied": (
        lambda o: o.inject(OdooException("odoo.exceptions.AccessDenied", "Access Denied", 403)),
        read,
        AuthError,
    ),
    "access error": (lambda o: o.deny("stock.warehouse"), read, PermanentError),
    "missing record on write": (lambda o: o.records["res.partner"].clear(), write, NotFoundError),
    "validation error": (
        lambda o: o.inject(OdooException("odoo.exceptions.ValidationError", "bad value", 422)),
        read,
        PermanentError,
    ),
    "user error": (lambda o: o.inject(OdooException("odoo.exceptions.UserError", "no", 422)), read, PermanentError),
    "lock error": (lambda o: o.inject(OdooException("odoo.exceptions.LockError", "locked", 409)), read, TemporaryError),
    "rate limited": (lambda o: o.inject(429), read, TemporaryError),
    "server error": (lambda o: o.inject(503), read, TemporaryError),
    "connection dropped": (lambda o: o.inject(requests.ConnectionError("reset by peer")), read, TemporaryError),
    "not json": (lambda o: o.inject((200, b"<html><form>Log in</form></html>")), read, PermanentError),
    "no such route": (lambda o: o.inject((404, b"<html>Not Found</html>")), read, PermanentError),
    "unknown model": (lambda o: o.records.pop("stock.warehouse"), read, PermanentError),
}


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("case", list(CASES))
def test_each_error_maps_to_its_class(odoo: OdooServer, protocol: str, case: str) -> None:
    stage, call, expected = CASES[case]
    seed(odoo)
    connector = make_connector(protocol)
    if call is write:
        connector.list_warehouses()  # logged in: the staged answer meets the call itself
    stage(odoo)
    with pytest.raises(ConnectorError) as info:
        call(connector)
    assert isinstance(info.value, expected)
    if expected is PermanentError:
        assert not isinstance(info.value, AuthError | NotFoundError), "only refused credentials stop the whole run"
    text = str(info.value)
    assert PASSWORD not in text and API_KEY not in text
    assert "Traceback" not in text, "Odoo's debug traceback is for the server's logs"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_refused_credentials_name_the_options(odoo: OdooServer, protocol: str) -> None:
    seed(odoo)
    wrong = {"password": "nope-pw-123"} if protocol == "jsonrpc" else {"api_key": "nope-key-456"}
    connector = OdooErp(OdooOptions().load({**odoo_options(protocol), **wrong}), shop=make_connector().shop)
    with pytest.raises(AuthError) as info:
        connector.list_warehouses()
    hint = "login and password" if protocol == "jsonrpc" else "api_key"
    assert hint in str(info.value)
    assert "nope-" not in str(info.value)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_temporary_failures_are_retried_and_then_succeed(odoo: OdooServer, protocol: str) -> None:
    seed(odoo)
    connector = make_connector(protocol, attempts=3)
    connector.list_warehouses()
    odoo.inject(429)
    odoo.inject(requests.ConnectionError("reset"))
    assert [w.id for w in connector.list_warehouses().items] == ["11"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_field_the_database_lacks_is_permanent_and_not_retried(odoo: OdooServer, protocol: str) -> None:
    """JSON-2 answers ``ValueError: Invalid field`` with HTTP 500: by its name it is no server hiccup."""
    seed(odoo)
    connector = make_connector(protocol, attempts=3, handover_field="x_not_installed")
    with pytest.raises(PermanentError, match=r"builtins\.ValueError: Invalid field 'x_not_installed'"):
        connector.list_warehouses()
    assert len([c for c in odoo.calls if c[1] == "stock.warehouse"]) == 1


def test_an_unknown_method_is_permanent_on_both_protocols(odoo: OdooServer) -> None:
    for protocol, name in (("jsonrpc", "builtins.AttributeError"), ("json2", "werkzeug.exceptions.NotFound")):
        connector = make_connector(protocol)
        with pytest.raises(PermanentError, match=name):
            connector.transport.call("stock.warehouse", "frobnicate", {}, operation="probe")


# -- options -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "key"),
    [
        ({"protocol": "jsonrpc", "password": ""}, "password"),
        ({"protocol": "json2", "api_key": ""}, "api_key"),
        ({"token": "t"}, "token"),
        ({"handover_field": "x_m", "handover_pickup": "a", "handover_drop_off": "a"}, "handover_drop_off"),
        ({"order_status_field": "x_s"}, "order_updated_field"),
        ({"protocol": "xmlrpc"}, "protocol"),
        ({"package_field": "X Package"}, "package_field"),
    ],
)
def test_options_refuse_what_cannot_work(given: dict[str, str], key: str) -> None:
    with pytest.raises(ValidationError) as info:
        OdooOptions().load({**odoo_options("jsonrpc"), "api_key": API_KEY, **given})
    assert key in info.value.messages


def test_the_connector_registers_with_its_capabilities() -> None:
    from erpsync.core.erp_connector import capabilities_of
    from erpsync.plugins.registration import connector_problems

    assert connector_problems(OdooErp) == []
    assert capabilities_of(OdooErp) == (
        "warehouses",
        "addresses",
        "handover",
        "products",
        "shipments",
        "order_statuses",
    )
    assert set(OdooErp.secret_options) == {"password", "api_key"}


def test_a_password_the_300_character_cut_would_split_is_hidden_whole() -> None:
    """Odoo's exception text is quoted up to 300 characters: redacted first, then cut."""
    from erpsync.connectors.odoo.errors import error_for
    from erpsync.core.redaction import redact

    payload = {"name": "builtins.TypeError", "message": "x" * 290 + PASSWORD}
    error = error_for(
        payload, status=None, redact=lambda t: redact(t, [PASSWORD]), connector="odoo", operation="o", auth_hint=""
    )
    assert PASSWORD[:6] not in str(error) and "***" in str(error)


@pytest.mark.parametrize(
    ("name", "message", "kind"),
    [
        ("psycopg2.errors.SerializationFailure", "could not serialize access", TemporaryError),
        ("psycopg2.errors.DeadlockDetected", "deadlock detected", TemporaryError),
        ("psycopg2.OperationalError", "server closed the connection unexpectedly", TemporaryError),
        ("psycopg2.OperationalError", 'database "typo" does not exist', PermanentError),
        ("psycopg2.errors.InvalidTextRepresentation", "invalid input syntax for type integer", PermanentError),
        ("psycopg.errors.UniqueViolation", "duplicate key value", PermanentError),
        ("psycopg2.errors.ProtocolViolation", "invalid frontend message type 0", PermanentError),
        ("psycopg2.errors.DatabaseDropped", "terminating connection due to database drop", PermanentError),
    ],
)
def test_a_database_error_is_temporary_only_when_the_call_may_pass_later(name: str, message: str, kind: type) -> None:
    """A misspelt database or a refused value fails however often it is sent: retried run after
    run, it never surfaced as the configuration or data mistake it is."""
    from erpsync.connectors.odoo.errors import error_for

    error = error_for(
        {"name": name, "message": message},
        status=500,
        redact=lambda t: t,
        connector="odoo",
        operation="o",
        auth_hint="",
    )
    assert type(error) is kind


@pytest.mark.parametrize("driver", ["psycopg2.errors", "psycopg.errors"])
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("AdminShutdown", "terminating connection due to administrator command"),
        ("CrashShutdown", "terminating connection because of crash of another server process"),
        ("CannotConnectNow", "the database system is starting up"),
        ("TooManyConnections", "sorry, too many clients already"),
        ("ConnectionFailure", "server closed the connection unexpectedly"),
        ("ConnectionException", "connection to server was lost"),
        ("TransactionRollback", "canceling statement due to conflict with recovery"),
    ],
)
def test_a_database_restarting_or_a_dropped_connection_is_temporary(driver: str, name: str, message: str) -> None:
    """Odoo names the driver's subclass (``psycopg2.errors.AdminShutdown``), not ``OperationalError``:
    a database restart or a full connection pool was reported permanent, so not retried."""
    from erpsync.connectors.odoo.errors import error_for

    error = error_for(
        {"name": f"{driver}.{name}", "message": message},
        status=500,
        redact=lambda t: t,
        connector="odoo",
        operation="o",
        auth_hint="",
    )
    assert type(error) is TemporaryError, str(error)
