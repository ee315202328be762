"""The test servers helper: a private redis-server that answers and is gone afterwards, and
missing servers that skip, or fail when ``ERPSYNC_REQUIRE_SERVICES=1``."""

from __future__ import annotations

import socket

import pytest
from service_servers import postgres_url, redis_server, require_or_skip


def _ping(url: str) -> bytes:
    host, port = url.removeprefix("redis://").split("/")[0].split(":")
    with socket.create_connection((host, int(port)), timeout=2) as conn:
        conn.sendall(b"PING\r\n")
        return conn.recv(16)


@pytest.mark.integration  # starts a server
def test_redis_server_answers_inside_and_is_stopped_after() -> None:
    with redis_server() as url:
        assert url.startswith("redis://127.0.0.1:") and url.endswith("/0")
        assert _ping(url) == b"+PONG\r\n"
    with pytest.raises(OSError):
        _ping(url)


def test_a_missing_server_skips_or_fails_when_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ERPSYNC_REQUIRE_SERVICES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no Redis"):
        require_or_skip("no Redis")
    monkeypatch.setenv("ERPSYNC_REQUIRE_SERVICES", "1")
    with pytest.raises(pytest.fail.Exception, match=r"no Redis.*required servers must be present"):
        require_or_skip("no Redis")
    monkeypatch.delenv("ERPSYNC_TEST_POSTGRES_URL", raising=False)
    with pytest.raises(pytest.fail.Exception, match="ERPSYNC_TEST_POSTGRES_URL is not set"):
        postgres_url()
    monkeypatch.setenv("PATH", "")
    with pytest.raises(pytest.fail.Exception, match="redis-server is not installed"), redis_server():
        pass
