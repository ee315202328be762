"""The other commands, run as real processes: demo, init, check, plugins, sandbox serve, --help."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import requests

pytestmark = pytest.mark.integration


def erpsync(*args: str, cwd, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TTS_", "ERPSYNC_"))}
    environ.update({"COLUMNS": "200", **(env or {})})
    return subprocess.run(
        [sys.executable, "-m", "erpsync", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_demo_runs_the_whole_job(tmp_path):
    result = erpsync("demo", "--dir", "ws", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "3 drift(s) found on 1 shop(s); 2 correction(s) planned" in out
    assert "3 drift(s) found on 1 shop(s); 3 fixed, 0 still open." in out
    assert "In sync: 1 shop(s), no drift." in out
    assert "3 opened, 3 resolved" in out
    assert "DROP OFF" in (tmp_path / "ws" / "erp" / "warehouses.csv").read_text(encoding="utf-8")
    # then a listing and a tracking number pushed once each, and a second push finding nothing
    pushes = out[out.index("6. The ERP lists a product") :].splitlines()
    summaries = [line for line in pushes if line.startswith("demo-shop: ")]
    assert summaries == [
        "demo-shop: 1 pushed, 0 already done, 0 failed, 0 skipped",
        "demo-shop: 1 pushed, 0 already done, 0 failed, 0 skipped",
        "demo-shop: 0 pushed, 0 already done, 0 failed, 0 skipped: nothing to push",
        "demo-shop: 0 pushed, 0 already done, 0 failed, 0 skipped: nothing to push",
    ]
    assert "create a Seller Center product for ERP product P-MUG" in out
    assert "ship package 115490000000000001 with tracking number SF7700000000001" in out
    # the sandbox's own count of what reached it, not erpsync's word
    assert "1 create(s) of product MUG-350, 1 ship call(s) for package 115490000000000001: each push made once" in out
    # the status page over the demo's state store: the command the demo names works after the sandbox is gone
    assert "`erpsync -c ws/erpsync.toml ui`" in " ".join(out.split())
    assert _status_page_states(tmp_path, "ws/erpsync.toml") == {"demo-shop": "in_sync"}
    again = erpsync("demo", "--dir", "ws", cwd=tmp_path)  # a demo workspace is recreated
    assert again.returncode == 0
    assert again.stdout.count(": nothing to push") == 2  # a fresh sandbox and state: the same story


def _status_page_states(cwd, config: str) -> dict[str, str]:
    """``erpsync -c CONFIG ui`` on a free port: each shop's state as its overview row says."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("TTS_", "ERPSYNC_"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "erpsync", "-c", config, "ui", "--listen", "127.0.0.1:0"],
        cwd=cwd, env=environ, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()  # "erpsync ui: listening on http://127.0.0.1:PORT/ ..."
        url = line.split("listening on ", 1)[1].split()[0]
        page = requests.get(url, timeout=10).text
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return dict(re.findall(r'data-shop="([^"]+)" data-state="([^"]+)"', page))


def test_demo_refuses_a_folder_that_is_not_its_own(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "precious.txt").write_text("keep me")
    result = erpsync("demo", "--dir", "mine", cwd=tmp_path)
    assert result.returncode == 64
    assert "is not a demo workspace" in result.stderr
    assert (tmp_path / "mine" / "precious.txt").exists()


def test_init_then_check_names_the_missing_secret(tmp_path):
    assert erpsync("init", cwd=tmp_path).returncode == 0
    assert "[[shops]]" in (tmp_path / "erpsync.toml").read_text()
    again = erpsync("init", cwd=tmp_path)
    assert again.returncode == 64 and "pass --force" in again.stderr
    check = erpsync("check", cwd=tmp_path)
    assert check.returncode == 1
    assert "erpsync.toml: shops[0].seller.app_key: environment variable TTS_APP_KEY is not set" in check.stderr
    assert "Traceback" not in check.stderr


def test_plugins_lists_what_each_registers(tmp_path):
    result = erpsync("plugins", cwd=tmp_path)
    assert result.returncode == 0
    for plugin, name in [
        ("erpsync.connectors.tiktok", "tiktok"),
        ("erpsync.connectors.files", "files"),
        ("erpsync.plugins.defaults", "warehouse_address"),
        ("erpsync.plugins.defaults", "pickup"),
        ("erpsync.plugins.alerts.jsonl", "jsonl"),
    ]:
        assert any(plugin in line and name in line for line in result.stdout.splitlines()), (plugin, name)


def test_help_explains(tmp_path):
    top = erpsync("--help", cwd=tmp_path)
    assert top.returncode == 0 and "erpsync demo" in top.stdout
    rec = erpsync("reconcile", "--help", cwd=tmp_path)
    assert "0 in sync" in rec.stdout and "--apply" in rec.stdout
    auth = erpsync("auth", "--help", cwd=tmp_path)  # offered by the TikTok plugin
    assert auth.returncode == 0 and "exchange" in auth.stdout


def test_an_installed_plugin_that_cannot_be_imported(tmp_path):
    """What pip leaves for a plugin whose dependency is missing: --help works, runs refuse, no traceback."""
    site = tmp_path / "site"
    info = site / "erpsync_broken-0.3.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: erpsync-broken\nVersion: 0.3\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[erpsync]\nbroken = erpsync_broken\n", encoding="utf-8")
    (site / "erpsync_broken.py").write_text("import erpsync_missing_dependency\n", encoding="utf-8")
    env = {"PYTHONPATH": os.pathsep.join([str(site), *filter(None, [os.environ.get("PYTHONPATH")])])}

    assert erpsync("--help", cwd=tmp_path, env=env).returncode == 0
    assert erpsync("init", cwd=tmp_path, env=env).returncode == 0
    named = "plugin 'broken' (entry point 'broken = erpsync_broken' of distribution erpsync-broken 0.3) is broken"
    for command in ("check", "reconcile", "plugins"):
        result = erpsync(command, cwd=tmp_path, env=env)
        assert result.returncode == 1, (command, result.stdout, result.stderr)
        assert named in " ".join(result.stderr.split()), (command, result.stderr)
        assert "No module named 'erpsync_missing_dependency'" in result.stderr
        assert "Traceback" not in result.stdout + result.stderr


def test_sandbox_serve(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ERPSYNC_")}
    proc = subprocess.Popen(  # port 0: the port it bound is in its first line, none picked ahead and bound later
        [sys.executable, "-m", "erpsync", "sandbox", "serve", "--port", "0"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stdout.readline()  # type: ignore[union-attr]
        found = re.search(r" on (http://127\.0\.0\.1:\d+) ", first)
        assert found, first + (proc.stderr.read() if proc.poll() is not None else "")  # type: ignore[union-attr]
        base = found.group(1)
        r = requests.get(f"{base}/_sandbox/state", timeout=10)  # it answers once it has printed its address
        assert r.json()["data"]["scenario"] == "demo"
        unsigned = requests.get(f"{base}/logistics/202309/warehouses", timeout=5)
        assert unsigned.status_code in (400, 401) and unsigned.json()["code"] != 0
    finally:
        proc.terminate()
        proc.wait(timeout=10)
