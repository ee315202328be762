"""Kept-alive connections and one read per system per shop, against the real sandbox over loopback.

The sandbox answers HTTP/1.1 with a Content-Length on every answer and keeps the connection, as
the real API does, so the client's session reuses one TCP connection for a whole shop's run;
``SandboxServer.connections_opened`` counts the connections it accepted.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from erpsync.connectors.tiktok.client import TikTokClient
from erpsync.connectors.tiktok.shop_directory import AUTHORISED_SHOPS
from erpsync.core.http import HttpPolicy
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sandbox import SandboxServer
from erpsync.sync import Syncer

pytestmark = pytest.mark.integration

APP_KEY, APP_SECRET, TOKEN, SHOP_ID = "demo-app-key", "demo-app-secret", "demo-access-token", "7495000000000000001"
WAREHOUSES = "/logistics/202309/warehouses"
SHOPS = "/authorization/202309/shops"


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    """A new sandbox, on whatever port the system hands out. The authorised-shops answers a
    process shares for a minute are kept by API host, and a port freed by an earlier test's
    sandbox may be handed out again: forgotten first, so this test's run asks for its own."""
    AUTHORISED_SHOPS.clear()
    with SandboxServer(scenario="demo") as server:
        yield server


def connection(sandbox: SandboxServer) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=10)


def test_the_client_uses_one_connection_for_many_calls(sandbox: SandboxServer) -> None:
    client = TikTokClient(sandbox.url, APP_KEY, APP_SECRET, TOKEN, policy=HttpPolicy(rate_limit_qps=None))
    before = sandbox.connections_opened
    try:
        cipher = client.shop_cipher(SHOP_ID)
        for _ in range(30):
            assert client.warehouses(cipher).items
    finally:
        client.close()
    assert sandbox.connections_opened - before == 1  # 31 calls, one TCP connection


def test_every_answer_has_a_length_and_the_connection_stays_open(sandbox: SandboxServer) -> None:
    conn = connection(sandbox)
    before = sandbox.connections_opened
    body = json.dumps({"advance_seconds": 60})
    asks = [
        ("GET", "/_sandbox/state", None),  # admin
        ("POST", "/_sandbox/clock", body),  # admin, with a body
        ("GET", WAREHOUSES, None),  # the API, unsigned: an error envelope
        ("POST", "/no/such/path", '{"unread": "a body nobody reads must not become the next request"}'),
        ("GET", "/_sandbox/state", None),
    ]
    statuses = []
    for method, path, payload in asks:
        conn.request(method, path, body=payload, headers={"Content-Type": "application/json"})
        answer = conn.getresponse()
        data = answer.read()
        statuses.append(answer.status)
        assert answer.version == 11
        assert answer.getheader("Content-Length") == str(len(data)), path
        assert answer.getheader("Connection") is None, path
        assert json.loads(data)["request_id"]
    conn.close()
    assert statuses[0] == statuses[1] == statuses[-1] == 200 and statuses[3] == 404
    assert statuses[2] >= 400
    assert sandbox.connections_opened - before == 1


def test_a_client_that_asks_to_close_is_answered_then_closed(sandbox: SandboxServer) -> None:
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=10) as sock:
        sock.sendall(b"GET /_sandbox/state HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        received = b""
        while chunk := sock.recv(65536):  # ends only because the server closed the connection
            received += chunk
    head, _, data = received.partition(b"\r\n\r\n")
    assert b"Connection: close" in head and f"Content-Length: {len(data)}".encode() in head
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=10) as sock:
        sock.sendall(b"GET /_sandbox/state HTTP/1.0\r\n\r\n")  # HTTP/1.0 without keep-alive: closed too
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert received.startswith(b"HTTP/1.1 200") and b"Connection: close" in received


def test_a_stopped_sandbox_ends_its_kept_connections() -> None:
    server = SandboxServer(scenario="demo").start()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/_sandbox/state")
    conn.getresponse().read()
    server.stop()
    with pytest.raises((http.client.HTTPException, OSError)):  # nobody answers on the kept connection
        conn.request("GET", "/_sandbox/state")
        conn.getresponse().read()
    conn.close()


def syncer_for(sandbox: SandboxServer, root: Path) -> Syncer:
    (root / "erp").mkdir()
    (root / "erp" / "warehouses.csv").write_text("id,seller_warehouse_id\nE1,WH-DG\nE2,WH-SZ\n", encoding="utf-8")
    (root / "erpsync.toml").write_text(
        f'[[shops]]\nname = "shop"\n[shops.seller]\ntype = "tiktok"\nbase_url = "{sandbox.url}"\n'
        f'app_key = "{APP_KEY}"\napp_secret = "{APP_SECRET}"\naccess_token = "{TOKEN}"\nshop_id = "{SHOP_ID}"\n'
        '[shops.erp]\ntype = "files"\npath = "erp"\n',
        encoding="utf-8",
    )
    pm = get_plugin_manager(entrypoints=False)
    registry = build_registry(pm)
    return Syncer(load_settings(root / "erpsync.toml", registry), pm=pm, registry=registry)


def test_a_shops_run_reads_each_system_once_and_sees_its_own_writes(sandbox: SandboxServer, tmp_path: Path) -> None:
    syncer = syncer_for(sandbox, tmp_path)

    def run(*, apply: bool) -> tuple[dict, int, object]:
        requests.delete(f"{sandbox.url}/_sandbox/counts", timeout=10)
        before = sandbox.connections_opened
        report = syncer.run(apply=apply)
        connections = sandbox.connections_opened - before
        counts = requests.get(f"{sandbox.url}/_sandbox/counts", timeout=10).json()["data"]["paths"]
        return counts, connections, report

    try:
        counts, connections, report = run(apply=False)
        assert [a.aspect for a in report.shops[0].aspects][:2] == ["warehouse_address", "pickup"]  # both read
        assert (counts[WAREHOUSES]["calls"], counts[SHOPS]["calls"]) == (1, 1)
        # kept alive: a connection per call in flight at once (bursts overlap a shop's calls), never per call
        assert connections <= 8 < sum(c["calls"] for c in counts.values())

        counts, connections, report = run(apply=True)
        address = report.shops[0].aspects[0]
        assert address.actions and {r.status for r in address.actions} == {"applied"}
        # the re-read after the writes read the ERP file again: every correction verified
        assert syncer.store.drifts.list_open("shop", aspect="warehouse_address") == []
        assert counts[WAREHOUSES]["calls"] == 1 and connections <= 8  # Seller Center was not written
    finally:
        syncer.close()
