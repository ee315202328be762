"""``erpsync plugin new``'s package, as its author meets it: installed, tested, listed, run.

The plugin is generated into a temporary folder and pip-installed (editable, offline) into this
test environment, so erpsync finds it by its entry point as it finds any third-party plugin; it
is uninstalled at the end whatever happens. Its generated tests run in their own interpreter, as
the author runs them. The reconcile runs ``erpsync`` itself with the generated ``erpsync.toml``:
the sandbox's demo shop as Seller Center and, as the ERP, a small HTTP JSON server on loopback
that answers the API the generated connector documents, seeded with the demo shop's warehouses.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pytest

from erpsync.sandbox import SandboxServer
from erpsync.testing import SandboxSeller

pytestmark = pytest.mark.integration

NAME = "scaffoldtest"
DIST = "erpsync-scaffoldtest"
TOKEN = "scaffold-tok-SECRET-77"
FIELDS = {
    "contact_person": "contact", "phone": "mobile", "region_code": "country", "state": "province",
    "city": "city", "district": "district", "street": "address", "postal_code": "zip",
}  # fmt: skip


def erpsync(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "erpsync", *args],
        cwd=cwd, capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})},
    )  # fmt: skip


def pip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The generated plugin, installed editable (offline: no build isolation, no dependencies)."""
    root = tmp_path_factory.mktemp("scaffold")
    done = erpsync("plugin", "new", NAME, "--directory", "plugin", cwd=root)
    assert done.returncode == 0, done.stderr
    folder = root / "plugin"
    try:
        installed = pip("install", "--quiet", "--no-build-isolation", "--no-deps", "-e", str(folder))
        assert installed.returncode == 0, installed.stdout + installed.stderr
        yield folder
    finally:
        pip("uninstall", "--yes", "--quiet", DIST)


def test_generated_tests_pass_as_generated(plugin_dir: Path):
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=plugin_dir, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert re.search(r"\b\d+ passed\b", done.stdout) and "failed" not in done.stdout
    assert "test_a_stale_phone_is_corrected_in_the_erp" not in done.stdout  # not skipped either: ran and passed


def test_erpsync_plugins_lists_it_with_distribution_and_capabilities(plugin_dir: Path):
    done = erpsync("plugins", "--format", "json", cwd=plugin_dir)
    assert done.returncode == 0, done.stderr
    rows = [r for r in json.loads(done.stdout)["plugins"] if r["plugin"] == NAME]
    assert rows == [
        {
            "plugin": NAME, "distribution": DIST, "version": "0.1.0", "status": "loaded",
            "registers": "connector", "name": NAME, "role": "erp",
            "capabilities": ["warehouses", "addresses", "handover"],
            "description": "Scaffoldtest ERP over its HTTP JSON API", "error": None,
        }
    ]  # fmt: skip


class Erp:
    """The ERP's HTTP JSON API as the generated connector's docstring states it, over ``rows``."""

    def __init__(self, rows: dict[str, dict[str, Any]]) -> None:
        self.rows = rows
        self.requests: list[tuple[str, str, Any]] = []
        erp = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                erp.answer(self)

            def do_PATCH(self) -> None:
                erp.answer(self)

            def do_PUT(self) -> None:
                erp.answer(self)

            def log_message(self, *args: Any) -> None:  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/api"

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        path = urlsplit(handler.path).path.removeprefix("/api")
        length = int(handler.headers.get("Content-Length") or 0)
        body = json.loads(handler.rfile.read(length) or b"null")
        self.requests.append((handler.command, path, body))
        status, out = self.route(handler.command, path, handler.headers.get("Authorization"), body)
        data = json.dumps(out).encode() if out is not None else b""
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def route(self, method: str, path: str, auth: str | None, body: Any) -> tuple[int, Any]:
        if auth != f"Bearer {TOKEN}":
            return 401, {"error": "bad token"}
        if method == "GET" and path == "/warehouses":
            return 200, {"warehouses": list(self.rows.values())}
        match = re.fullmatch(r"/warehouses/([^/]+)(/handover)?", path)
        if match is None or unquote(match[1]) not in self.rows:
            return 404, {"error": "no such warehouse"}
        if (method == "PUT") != bool(match[2]) or not isinstance(body, dict):
            return 400, {"error": "bad request"}
        self.rows[unquote(match[1])].update(body)
        return 200, None

    def __enter__(self) -> Erp:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def drifts_in(report: str) -> set[tuple[str, str]]:
    """(warehouse, field) of every drift in a ``reconcile --format json`` report."""
    shops = json.loads(report)["shops"]
    return {(d["warehouse"], d["field"]) for s in shops for a in s["aspects"] for d in a["drifts"]}


def test_reconcile_with_it_as_the_erp(plugin_dir: Path, tmp_path: Path):
    with SandboxServer(scenario="demo") as sandbox:
        seller = SandboxSeller(sandbox).warehouses()
        rows = {}
        for i, w in enumerate(seller):
            row = {"id": f"ERP {i}/{w.id}", "name": w.name, "tts_warehouse_id": w.id, "handover": ""}
            rows[row["id"]] = row | {theirs: getattr(w.address, ours) for ours, theirs in FIELDS.items()}
        first = next(iter(rows))
        rows[first] |= {"mobile": "13000000000", "address": rows[first]["address"] + " 旧址"}  # a stale ERP

        config = (plugin_dir / "erpsync.toml").read_text(encoding="utf-8")
        assert 'base_url = "http://127.0.0.1:8765"' in config and "${SCAFFOLDTEST_TOKEN}" in config
        with Erp(rows) as erp:
            config = config.replace("http://127.0.0.1:8765", sandbox.url)
            config = config.replace("http://127.0.0.1:8080/api", erp.url)
            (tmp_path / "erpsync.toml").write_text(config, encoding="utf-8")
            env = {"SCAFFOLDTEST_TOKEN": TOKEN}
            run = ("reconcile", "--aspect", "warehouse_address", "--format", "json")
            plan = erpsync(*run, cwd=tmp_path, env=env)
            applied = erpsync(*run, "--apply", cwd=tmp_path, env=env)
            replan = erpsync(*run, cwd=tmp_path, env=env)

    assert plan.returncode == 2, plan.stdout + plan.stderr
    assert drifts_in(plan.stdout) == {(seller[0].id, "phone"), (seller[0].id, "street")}
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert replan.returncode == 0 and drifts_in(replan.stdout) == set()
    # the correction reached the ERP by its own id (quoted in the path), and only the two fields
    writes = [r for r in erp.requests if r[0] != "GET"]
    assert writes == [
        (
            "PATCH",
            "/warehouses/" + quote(first, safe=""),
            {"mobile": seller[0].address.phone, "address": seller[0].address.street},
        )
    ]
    assert rows[first]["mobile"] == seller[0].address.phone
    assert rows[first]["address"] == seller[0].address.street
    assert TOKEN not in plan.stdout + plan.stderr + applied.stdout + applied.stderr
