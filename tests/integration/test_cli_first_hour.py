"""A newcomer's first hour, run as real processes: the sandbox's own config snippet, check, auth exchange."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

#: any call that would leave loopback (the production auth host) fails at once instead of going out
OFFLINE = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1,localhost"}


def _env() -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TTS_", "ERPSYNC_"))}
    environ = {k: v for k, v in environ.items() if k.lower() not in ("https_proxy", "http_proxy", "no_proxy")}
    return {**environ, "COLUMNS": "200", **OFFLINE}


def erpsync(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "erpsync", *args],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str, queue.Queue[str]]]:
    """``erpsync sandbox serve`` as a process: its URL, its first line and the lines after it, as they come.

    It serves on port 0 and names the port it bound in its first line: no port picked ahead and
    bound later, which another process could take in between.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "erpsync", "sandbox", "serve", "--port", "0"],
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()  # type: ignore[union-attr]
    try:
        try:
            first = lines.get(timeout=30)
        except queue.Empty:
            pytest.fail("sandbox serve printed nothing in 30 s")
        found = re.search(r" on (http://127\.0\.0\.1:\d+) ", first)
        assert found, first
        yield found.group(1), first, lines
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _printed(first: str, lines: queue.Queue[str]) -> str:
    """Everything ``sandbox serve`` printed up to the end of its config snippet (an ERP path)."""
    printed: list[str] = [first]
    deadline = time.monotonic() + 30
    while not printed[-1].startswith("path = "):
        try:
            printed.append(lines.get(timeout=max(0.1, deadline - time.monotonic())))
        except queue.Empty:
            pytest.fail(f"no config snippet printed; got {''.join(printed)!r}")
    return "".join(printed)


def _lay_out(workspace: Path, config: str) -> None:
    """Do what the snippet's comments say: save it, and give each ERP folder its header line."""
    (workspace / "erpsync.toml").write_text(config, encoding="utf-8")
    for path, header in re.findall(r"mkdir -p (\S+) && echo '([^']+)' > \S+", config):
        (workspace / path).mkdir(parents=True, exist_ok=True)
        (workspace / path / "warehouses.csv").write_text(header + "\n", encoding="utf-8")


def test_sandbox_serve_prints_a_config_that_check_accepts(served, tmp_path):
    url, first, lines = served
    printed = _printed(first, lines)
    assert f'base_url = "{url}"' in printed and f'auth_base_url = "{url}"' in printed
    workspace = tmp_path / "ws"
    workspace.mkdir()
    _lay_out(workspace, printed)  # the whole output, as `erpsync sandbox serve > erpsync.toml` would save it
    result = erpsync("check", cwd=workspace)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Dongguan Home Goods UK" in result.stdout and "files ERP" in result.stdout


def test_auth_exchange_against_the_sandbox_goes_to_its_host(demo_ws):
    """The shortest config a newcomer writes: base_url only, no auth_base_url, no static token."""
    demo_ws.write_config()
    config = demo_ws.config.read_text(encoding="utf-8").replace('access_token = "demo-access-token"\n', "")
    assert "auth_base_url" not in config and "access_token" not in config
    demo_ws.config.write_text(config, encoding="utf-8")
    demo_ws.write_erp([])
    code = demo_ws.admin("GET", "authorize?app_key=demo-app-key&shop_id=7495000000000000001")["code"]
    exchanged = erpsync("auth", "exchange", code, "--shop", "shop", cwd=demo_ws.root)
    assert exchanged.returncode == 0, exchanged.stdout + exchanged.stderr
    assert "authorised shop shop" in exchanged.stdout
    assert demo_ws.counts()["paths"].get("/api/v2/token/get"), demo_ws.counts()
    assert erpsync("check", cwd=demo_ws.root).returncode == 0  # the stored token now serves every call
