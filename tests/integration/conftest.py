"""Integration fixtures: a real sandbox server on loopback and a workspace that talks to it.

``server``/``wire`` serve the ``test_sandbox_*`` suites: one sandbox per module, reset before each
test, spoken to by the suite's own signed client (``sandbox_wire.Wire``), never by the connector.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from sandbox_wire import Wire

from erpsync.sandbox import SandboxServer

COLUMNS = (
    "id", "name", "seller_warehouse_id", "contact_person", "phone", "region_code",
    "state", "city", "district", "street", "postal_code", "handover_mode",
)  # fmt: skip

CREDENTIALS = {
    "demo": ("demo-app-key", "demo-app-secret", "demo-access-token", "7495000000000000001"),
    "default": ("sandbox-app-key", "sandbox-app-secret", "sandbox-access-token", "7495000000000000101"),
}


@dataclass
class Workspace:
    root: Path
    url: str
    scenario: str

    @property
    def config(self) -> Path:
        return self.root / "erpsync.toml"

    @property
    def erp_file(self) -> Path:
        return self.root / "erp" / "warehouses.csv"

    def admin(self, method: str, path: str, body: dict | None = None) -> dict:
        r = requests.request(method, f"{self.url}/_sandbox/{path}", json=body, timeout=10)
        r.raise_for_status()
        return r.json()["data"]

    def counts(self) -> dict:
        """Per-path call counters of the emulated API: ``{"paths": {...}, "total": {...}}``."""
        return self.admin("GET", "counts")

    def seller_warehouses(self) -> list[dict]:
        state = self.admin("GET", "state")
        shop_id = CREDENTIALS[self.scenario][3]
        return [w for w in state["warehouses"] if w["shop_id"] == shop_id]

    def write_config(self, *, app_secret: str | None = None, extra: str = "") -> None:
        key, secret, token, shop_id = CREDENTIALS[self.scenario]
        self.config.write_text(
            f'[[shops]]\nname = "shop"\n[shops.seller]\ntype = "tiktok"\nbase_url = "{self.url}"\n'
            f'app_key = "{key}"\napp_secret = "{app_secret or secret}"\naccess_token = "{token}"\n'
            f'shop_id = "{shop_id}"\nmax_attempts = 8\n'
            f'[shops.erp]\ntype = "files"\npath = "erp"\n'
            f'[[alerts]]\ntype = "jsonl"\npath = "alerts.jsonl"\n{extra}',
            encoding="utf-8",
        )

    def write_erp(self, rows: list[dict]) -> None:
        self.erp_file.parent.mkdir(exist_ok=True)
        with self.erp_file.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n", extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)

    def erp_rows_matching_seller(self, modes: dict[str, str]) -> list[dict]:
        """An ERP that agrees with Seller Center on addresses; ``modes`` sets handover modes."""
        rows = []
        for i, w in enumerate(self.seller_warehouses()):
            a = w["address"]
            street = " ".join(a.get(f"address_line{n}", "") for n in range(1, 5) if a.get(f"address_line{n}"))
            rows.append({
                "id": f"ERP-{i + 1}", "name": w["name"], "seller_warehouse_id": w["id"],
                "contact_person": a.get("contact_person", ""), "phone": a.get("phone_number", ""),
                "region_code": a.get("region_code", ""), "state": a.get("state", ""), "city": a.get("city", ""),
                "district": a.get("distict", ""), "street": street or a.get("full_address", ""),
                "postal_code": a.get("postal_code", ""), "handover_mode": modes.get(w["id"], ""),
            })  # fmt: skip
        return rows

    def alerts(self) -> list[dict]:
        path = self.root / "alerts.jsonl"
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run the real ``erpsync`` command in a child process, as an operator would."""
        env = {**os.environ, "COLUMNS": "200", "ERPSYNC_CONFIG": str(self.config)}
        return subprocess.run(
            [sys.executable, "-m", "erpsync", *args],
            cwd=self.root, env=env, capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip

    def start_cli(self, *args: str) -> subprocess.Popen[str]:
        env = {**os.environ, "COLUMNS": "200", "ERPSYNC_CONFIG": str(self.config)}
        return subprocess.Popen(
            [sys.executable, "-m", "erpsync", *args],
            cwd=self.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip


def _workspace(tmp_path: Path, scenario: str):
    with SandboxServer(scenario=scenario) as server:
        ws = Workspace(root=tmp_path, url=server.url, scenario=scenario)
        ws.write_config()
        yield ws


@pytest.fixture
def demo_ws(tmp_path):
    """A workspace against the sandbox's demo scenario (clean pickup signals)."""
    yield from _workspace(tmp_path, "demo")


@pytest.fixture
def default_ws(tmp_path):
    """A workspace against the default scenario (pending review, out of coverage, JT waybills)."""
    yield from _workspace(tmp_path, "default")


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    """The default scenario on loopback, one per test module."""
    with SandboxServer("default") as sandbox:
        yield sandbox


@pytest.fixture
def wire(server: SandboxServer) -> Wire:
    """The suite's signed client against ``server``, reset to the scenario first."""
    w = Wire(server.url)
    w.admin("POST", "reset")
    return w
