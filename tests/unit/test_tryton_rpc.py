"""The Tryton connector's session and errors over HTTP: login, the session header, paging, each failure.

Answers are staged with ``responses`` in trytond 8.2's shapes (``tryton_fake.py``); the
connector's own HttpClient runs unchanged.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
import responses
from tryton_fake import PASSWORD, RPC, FakeTryton, HttpFailure, RpcFailure, connector, header, location, staged

from erpsync.connectors.tryton.rpc import rpc_error
from erpsync.core.errors import AuthError, ConnectorError, PermanentError, TemporaryError

WAREHOUSES = "model.stock.location.search_read"


def test_login_then_every_call_carries_the_session_and_the_users_context() -> None:
    fake = FakeTryton()
    fake.on(WAREHOUSES, [location()])
    with staged(fake):
        erp = connector()
        records = erp.list_warehouses()
        erp.close()
    assert [w.id for w in records.items] == ["WH-DG-01"]
    login, prefs, search, logout = fake.calls
    assert (login.method, login.params, login.authorization) == (
        "common.db.login",
        ["erpsync", {"password": PASSWORD}],
        None,
    )
    assert prefs.method == "model.res.user.get_preferences" and prefs.authorization == header()
    assert search.authorization == header()
    assert search.params[-1] == {"company": 1, "language": "en"}, "the user's context goes last"
    assert search.params[:2] == [[["type", "=", "warehouse"]], 0] and search.params[3] == [["id", "ASC"]]
    assert logout.method == "common.db.logout"


def _after(domain: list[Any]) -> int:
    """The id a page's domain asks to start after (``[domain, ["id", ">", n]]``), 0 for the first."""
    return domain[1][2] if len(domain) == 2 and domain[1][:2] == ["id", ">"] else 0


def test_search_read_pages_by_id_until_a_short_page() -> None:
    fake = FakeTryton()
    rows = [location(f"WH-{i}", rid=i) for i in range(1, 6)]
    fake.on(WAREHOUSES, lambda p: [r for r in rows if r["id"] > _after(p[0])][: p[2]])
    with staged(fake):
        records = connector(page_size=2).list_warehouses()
    assert [w.id for w in records.items] == [f"WH-{i}" for i in range(1, 6)]
    assert [(_after(c.params[0]), c.params[1], c.params[2]) for c in fake.called(WAREHOUSES)] == [
        (0, 0, 2),
        (2, 0, 2),
        (4, 0, 2),
    ]


def test_a_record_gone_between_two_pages_moves_no_other_out_of_the_read() -> None:
    """By offset, the first record of the next page would move back into the page already read."""
    fake = FakeTryton()
    rows = [location(f"WH-{i}", rid=i) for i in range(1, 6)]

    def answer(params: list[Any]) -> list[dict[str, Any]]:
        page = [r for r in rows if r["id"] > _after(params[0])][: params[2]]
        if _after(params[0]) == 0:
            rows.pop(0)  # WH-1 is deleted once the first page is read
        return page

    fake.on(WAREHOUSES, answer)
    with staged(fake):
        records = connector(page_size=2).list_warehouses()
    assert [w.id for w in records.items] == [f"WH-{i}" for i in range(1, 6)]


def test_a_server_that_ignores_the_id_condition_is_an_error_not_an_endless_read() -> None:
    fake = FakeTryton()
    fake.on(WAREHOUSES, [location("WH-1", rid=1), location("WH-2", rid=2)])
    with staged(fake), pytest.raises(PermanentError, match="without ids after the last page"):
        connector(page_size=2).list_warehouses()


def test_a_refused_password_is_an_auth_error_without_the_password() -> None:
    fake = FakeTryton(password="another")
    with staged(fake), pytest.raises(AuthError) as caught:
        connector().list_warehouses()
    assert "login and password" in str(caught.value)
    assert PASSWORD not in repr(caught.value) and PASSWORD not in str(caught.value)
    assert len(fake.called("common.db.login")) == 1, "a refused login is not retried"


def test_an_expired_session_logs_in_once_more_and_sends_the_call_again() -> None:
    fake = FakeTryton(sessions=["first", "second"])
    fake.on(WAREHOUSES, [location()])
    with staged(fake):
        erp = connector()
        erp.list_warehouses()
        fake.sessions.remove("first")  # the server forgot the first session
        fake.logins = 1
        records = erp.list_warehouses()
    assert [w.id for w in records.items] == ["WH-DG-01"]
    assert len(fake.called("common.db.login")) == 2
    assert fake.called(WAREHOUSES)[-1].authorization == header("second")


def test_a_session_refused_right_after_login_is_an_auth_error() -> None:
    fake = FakeTryton()
    fake.on(WAREHOUSES, lambda _p: HttpFailure(401, "Unauthorized"))
    with staged(fake), pytest.raises(AuthError, match="just opened"):
        connector().list_warehouses()
    assert len(fake.called("common.db.login")) == 2, "one login more, not a loop"


@pytest.mark.parametrize(
    ("error", "kind", "words"),
    [
        (
            ["UserError", ["The value is not valid according to its domain.", "", [["big", "domain"]]]],
            PermanentError,
            "domain",
        ),
        (["UserWarning", ["warning_key", "Quantity is low", "check it"]], PermanentError, "Quantity is low"),
        (["ConcurrencyException", "Records were modified in the meanwhile"], TemporaryError, "another user"),
        (["LoginException", ["totp_code", "Enter your code", "char"]], AuthError, "log in"),
        (["OperationalError: database is locked", "Traceback (most recent call last): ..."], TemporaryError, "busy"),
        (["KeyError: 'res.user'", "Traceback (most recent call last): secret frames"], PermanentError, "res.user"),
        (["LockNotAvailable: could not obtain lock on row", "Traceback ..."], TemporaryError, "busy"),
        (["FATAL: sorry, too many clients already", "Traceback ..."], TemporaryError, "busy"),
    ],
    ids=["user-error", "user-warning", "concurrency", "login", "locked", "crash", "lock-not-available", "clients"],
)
def test_rpc_error_bodies_map_by_kind(error: list[object], kind: type[ConnectorError], words: str) -> None:
    fake = FakeTryton()
    fake.on(WAREHOUSES, lambda _p: RpcFailure(error))
    with staged(fake), pytest.raises(ConnectorError) as caught:
        connector().list_warehouses()
    assert type(caught.value) is kind
    assert words in str(caught.value)
    assert "Traceback" not in str(caught.value) and "big" not in str(caught.value)
    assert caught.value.operation == WAREHOUSES


def test_rpc_error_of_a_user_error_keeps_message_and_description_only() -> None:
    exc = rpc_error(["UserError", ["Bad value", "Fix it", {"domain": "x" * 5000}]], connector="tryton", operation="op")
    assert str(exc) == "tryton op: Bad value - Fix it (code UserError)"


@pytest.mark.parametrize("status", [503, 502, 504])
def test_server_errors_are_temporary(status: int) -> None:
    fake = FakeTryton()
    fake.on(WAREHOUSES, lambda _p: HttpFailure(status, "Service Unavailable"))
    with staged(fake), pytest.raises(TemporaryError):
        connector().list_warehouses()


def test_a_dropped_connection_is_temporary() -> None:
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, RPC, body=requests.ConnectionError("connection reset by peer"))
        with pytest.raises(TemporaryError, match="connection"):
            connector().list_warehouses()


def test_an_unknown_database_is_permanent() -> None:
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, RPC, status=404, body="Not Found")
        with pytest.raises(PermanentError, match="option database"):
            connector().list_warehouses()


def test_close_is_safe_twice_and_after_the_server_is_gone() -> None:
    fake = FakeTryton()
    fake.on(WAREHOUSES, [])
    with staged(fake):
        erp = connector()
        erp.list_warehouses()
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, RPC, body=requests.ConnectionError("gone"))
        erp.close()
        erp.close()


def test_a_page_that_echoes_the_login_is_quoted_without_the_password() -> None:
    """A proxy or firewall page answering the login may quote the request body, password and all."""
    fake = FakeTryton()
    echo = (
        f'<html>Request blocked: {{"method": "common.db.login", "params": ["erpsync", {{"password": "{PASSWORD}"}}]}}'
    )
    with staged(fake) as mock:
        mock.replace(responses.POST, RPC, status=200, body=echo)
        with pytest.raises(PermanentError) as caught:
            connector().list_warehouses()
    assert "the answer is not JSON" in str(caught.value) and PASSWORD not in str(caught.value)
