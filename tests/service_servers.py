"""Test helper (not a test module): the servers some tests need, or a clear skip when one is missing.

- PostgreSQL: ``ERPSYNC_TEST_POSTGRES_URL`` names a database the tests may empty (every table in
  it is dropped before a test uses it), e.g.
  ``postgresql+psycopg://erpsync:erpsync@localhost/erpsync_test``.
- Redis: ``redis_server()`` starts a private ``redis-server`` (from ``PATH``) on a free loopback
  port, with persistence off and its files in a temporary folder, and stops it afterwards.

A missing server skips the test, except when ``ERPSYNC_REQUIRE_SERVICES=1`` (CI sets it): then it
fails the test, so a CI image that lost PostgreSQL or Redis cannot pass by skipping everything.
Importable from unit and integration tests alike (``tests/`` is on ``sys.path`` through
``tests/conftest.py``)::

    from service_servers import postgres_url, redis_server

    def test_broker() -> None:
        with redis_server() as url:
            ...
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import pytest
from sqlalchemy import MetaData, create_engine

POSTGRES_ENV = "ERPSYNC_TEST_POSTGRES_URL"
REQUIRE_ENV = "ERPSYNC_REQUIRE_SERVICES"
#: seconds a started redis-server gets to answer PING
REDIS_START_SECONDS = 10.0


def services_required() -> bool:
    """True when a missing server must fail the test instead of skipping it."""
    return os.environ.get(REQUIRE_ENV, "").strip() == "1"


def require_or_skip(reason: str) -> NoReturn:
    """Skip the test because of ``reason``, or fail it when ``ERPSYNC_REQUIRE_SERVICES=1``."""
    if services_required():
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1: required servers must be present)", pytrace=False)
    pytest.skip(reason)


def postgres_configured() -> bool:
    """Whether tests should run on PostgreSQL: a URL is set, or servers are required (then a
    missing URL fails those tests instead of leaving them out)."""
    return bool(os.environ.get(POSTGRES_ENV)) or services_required()


def postgres_url() -> str:
    """The test PostgreSQL database's URL (``ERPSYNC_TEST_POSTGRES_URL``), or skip/fail without one."""
    url = os.environ.get(POSTGRES_ENV, "").strip()
    if not url:
        require_or_skip(f"{POSTGRES_ENV} is not set: no PostgreSQL to test against")
    return url


def empty_postgres() -> str:
    """``postgres_url()`` with every table in that database dropped; its URL."""
    url = postgres_url()
    engine = create_engine(url)
    try:
        found = MetaData()
        found.reflect(engine)
        found.drop_all(engine)
    finally:
        engine.dispose()
    return url


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _start_redis(binary: str, folder: str) -> tuple[subprocess.Popen[bytes], int] | str:
    """A redis-server answering PING on a free port, or why it exited (e.g. the port was taken meanwhile)."""
    port = free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen([*args, "--dir", folder], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + REDIS_START_SECONDS
    while not _answers_ping(port):
        if proc.poll() is not None:
            output = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            return f"redis-server exited with {proc.returncode}: {output[-500:]}"
        if time.monotonic() > deadline:
            _stop(proc)
            return f"redis-server did not answer PING on port {port} within {REDIS_START_SECONDS:g}s"
        time.sleep(0.05)
    return proc, port


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    if proc.stdout is not None:
        proc.stdout.close()


@contextmanager
def redis_server() -> Iterator[str]:
    """A private redis-server for the ``with`` block; yields its URL (``redis://127.0.0.1:PORT/0``).

    Nothing is saved (``--save ''``, ``--appendonly no``); the server is stopped and its folder
    removed on exit. Without a ``redis-server`` on ``PATH`` the test is skipped (or failed, see above).
    """
    binary = shutil.which("redis-server")
    if binary is None:
        require_or_skip("redis-server is not installed: no Redis to test against")
    with tempfile.TemporaryDirectory(prefix="erpsync-redis-") as folder:
        started: tuple[subprocess.Popen[bytes], int] | str = "not started"
        for _attempt in range(3):  # another process may take the free port before redis binds it
            started = _start_redis(binary, folder)
            if not isinstance(started, str):
                break
        if isinstance(started, str):
            pytest.fail(started, pytrace=False)
        proc, port = started
        try:
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            _stop(proc)
