"""The local Tryton server: built from scratch, reached the way a client reaches trytond, stopped cleanly.

The login here is a plain JSON-RPC client (no ``TrytonServer.rpc``), so these tests also pin the wire facts
the Tryton connector relies on (docs/tryton-test-server.md).
"""

from __future__ import annotations

import base64
import sys
import time
from pathlib import Path

import pytest
import requests
from tryton_world import PASSWORD, tryton  # noqa: F401

from erpsync.erp_servers.tryton import TrytonRpcError, TrytonServer, TrytonServerError, TrytonUnavailable

pytestmark = pytest.mark.integration


def call(url: str, method: str, params: list, session: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Session {session}"} if session else {}
    return requests.post(url, json={"id": 1, "method": method, "params": params}, headers=headers, timeout=30)


def test_a_client_logs_in_and_reads_the_seeded_company(tryton: TrytonServer) -> None:  # noqa: F811
    rpc = f"{tryton.url}{tryton.database}/rpc/"
    answer = call(rpc, "common.db.login", [tryton.login, {"password": tryton.password}])
    assert answer.status_code == 200, answer.text
    uid, session = answer.json()["result"][:2]
    token = base64.b64encode(f"{tryton.login}:{uid}:{session}".encode()).decode()

    prefs = call(rpc, "model.res.user.get_preferences", [True, {}], token).json()["result"]
    assert prefs["company"] and prefs["companies"] == [prefs["company"]]
    companies = call(
        rpc,
        "model.company.company.search_read",
        [[], 0, None, None, ["rec_name"], {"company": prefs["company"]}],
        token,
    ).json()["result"]
    assert [c["rec_name"] for c in companies] == ["erpsync test seller"]
    warehouses = call(
        rpc, "model.stock.location.search_read", [[["type", "=", "warehouse"]], 0, None, None, ["name"], {}], token
    ).json()["result"]
    assert [w["name"] for w in warehouses] == ["Warehouse"]


def test_a_wrong_password_or_session_is_refused(tryton: TrytonServer) -> None:  # noqa: F811
    rpc = f"{tryton.url}{tryton.database}/rpc/"
    assert call(rpc, "common.db.login", [tryton.login, {"password": "wrong"}]).status_code == 401
    forged = base64.b64encode(f"{tryton.login}:1:not-a-session".encode()).decode()
    read = call(rpc, "model.stock.location.search_read", [[], 0, None, None, ["name"], {}], forged)
    assert read.status_code == 401


def test_rpc_errors_say_which_call_failed_and_why(tryton: TrytonServer) -> None:  # noqa: F811
    # an unknown model: trytond answers the KeyError of its pool, which names the model
    with pytest.raises(TrytonRpcError, match=r"model\.no\.such\.model\.search failed: .*no\.such\.model"):
        tryton.rpc("model.no.such.model.search", [], {})
    # a user error from the model layer: a required field left out
    with pytest.raises(TrytonRpcError) as raised:
        tryton.rpc("model.currency.currency.create", [{"code": "XXX"}], {})
    assert raised.value.method == "model.currency.currency.create"
    assert "UserError" in str(raised.value.error) or "required" in str(raised.value).lower()
    # the session still works after errors
    assert tryton.rpc("model.currency.currency.search_count", [], {}) == 1


def test_a_second_server_starts_from_the_template_and_writes_its_own_database(
    tryton: TrytonServer,  # noqa: F811
    tmp_path: Path,
) -> None:
    tryton.rpc("model.party.party.create", [{"name": "only in the first"}], {})
    started = time.monotonic()
    with TrytonServer(tmp_path / "second", database="other", password=PASSWORD) as second:
        elapsed = time.monotonic() - started
        names = [p["name"] for p in second.rpc("model.party.party.search_read", [], 0, None, None, ["name"], {})]
    assert elapsed < 20, f"a server from the template took {elapsed:.1f}s"
    assert names == ["erpsync test seller"]
    assert (tmp_path / "second" / "other.sqlite").exists()


def test_stop_leaves_no_process_and_frees_the_port(tmp_path: Path) -> None:
    with TrytonServer(tmp_path / "t", password=PASSWORD) as server:
        process = server._process
        url = server.url
        assert process is not None and process.poll() is None
    assert process.poll() is not None
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=5)
    server.stop()  # a second stop is harmless


def test_a_restarted_server_keeps_its_database(tmp_path: Path) -> None:
    with TrytonServer(tmp_path / "t", password=PASSWORD) as server:
        server.rpc("model.party.party.create", [{"name": "kept"}], {})
    with TrytonServer(tmp_path / "t", password=PASSWORD) as again:
        names = {p["name"] for p in again.rpc("model.party.party.search_read", [], 0, None, None, ["name"], {})}
    assert "kept" in names


def test_a_server_that_cannot_start_says_why(tmp_path: Path) -> None:
    directory = tmp_path / "broken"
    directory.mkdir()
    (directory / "erpsync.sqlite").write_bytes(b"this is not an sqlite database")
    with pytest.raises(TrytonServerError, match="trytond exited while starting") as raised:
        TrytonServer(directory, password=PASSWORD).__enter__()
    assert "database" in str(raised.value).lower()


def test_without_trytond_the_error_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "trytond", None)  # what an environment without the extra looks like
    with pytest.raises(TrytonUnavailable, match=r"pip install 'erpsync\[tryton\]'"):
        TrytonServer(tmp_path / "t", password=PASSWORD).__enter__()
    assert not (tmp_path / "t").exists()
