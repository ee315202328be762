"""More calls in flight than the session's connection pool keeps, against a real keep-alive server.

urllib3 closes a connection handed back to a full pool. The body reader must not touch a socket
once the body is in and the connection handed back: doing so met EBADF ("Bad file descriptor")
whenever another thread's connection was closed, or set another thread's socket timeout.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler

import pytest
import requests
from loopback import serve
from requests.adapters import HTTPAdapter

from erpsync.core.http import HttpClient, HttpPolicy

pytestmark = pytest.mark.integration


class _KeepAlive(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the Open API and the sandbox speak

    def do_GET(self) -> None:  # http.server calls it by this name
        body = b'{"ok": true, "pad": "' + b"x" * 2000 + b'"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    with serve(_KeepAlive) as url:
        yield url


def test_calls_beyond_the_pool_size_all_succeed(server: str) -> None:
    session = requests.Session()
    session.mount("http://", HTTPAdapter(pool_maxsize=1))  # every other connection is closed on return
    client = HttpClient("full-pool", HttpPolicy(max_attempts=1), session=session)

    def call(n: int) -> int:
        return client.request("GET", f"{server}/item/{n}", operation="get item").status_code

    try:
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(call, range(400)))
    finally:
        client.close()
    assert statuses == [200] * 400
