"""Bad input of every kind, fed to the real ``erpsync`` command (a child process), one table row each.

Each case lays out a workspace with two shops (``alpha`` healthy, ``beta`` where the fault usually
is), both against one sandbox seller backend, each with its own files ERP that agrees with Seller
Center; spoils one thing (the config, an ERP file, the API's answers, the state database, the
command line) and states what an operator must see: the exit code, a message naming the culprit,
no traceback, ``alpha`` reconciled when the fault is ``beta``'s, and the ERP files and the state
database byte for byte as they were where nothing was to change.

The cases run concurrently when the module starts (each has its own folder, database and, where
it needs faults, its own sandbox), so the suite costs about as long as its slowest cases.
"""

from __future__ import annotations

import csv
import hashlib
import http.server
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import pytest
import requests

from erpsync.sandbox import SandboxServer

pytestmark = pytest.mark.integration

SHOP_ID = "7495000000000000001"  # the demo scenario's shop
COLUMNS = (
    "id",
    "name",
    "seller_warehouse_id",
    "contact_person",
    "phone",
    "region_code",
    "state",
    "city",
    "district",
    "street",
    "postal_code",
    "handover_mode",
)
IN_SYNC_MODES = {"WH-DG": "DROP OFF", "WH-SZ": "PICK UP"}
PLAN_JSON = ("reconcile", "--apply", "--format", "json")


@dataclass
class Ws:
    """One case's workspace; ``sandbox_url`` is the healthy seller backend both shops start on."""

    root: Path
    sandbox_url: str
    stack: ExitStack
    env: dict[str, str] = field(default_factory=dict)

    @property
    def config(self) -> Path:
        return self.root / "erpsync.toml"

    @property
    def state_db(self) -> Path:
        return self.root / ".erpsync" / "state.db"

    def erp(self, shop: str) -> Path:
        return self.root / f"erp-{shop}" / "warehouses.csv"

    def shop_config(self, shop: str, *, base_url: str | None = None, secret: str = "demo-app-secret") -> str:
        return (
            f'[[shops]]\nname = "{shop}"\n[shops.seller]\ntype = "tiktok"\n'
            f'base_url = "{base_url or self.sandbox_url}"\n'
            f'app_key = "demo-app-key"\napp_secret = "{secret}"\naccess_token = "demo-access-token"\n'
            f'shop_id = "{SHOP_ID}"\nmax_attempts = 1\n[shops.erp]\ntype = "files"\npath = "erp-{shop}"\n'
        )

    def write_config(self, beta: str | None = None, head: str = "", tail: str = "") -> None:
        text = head + self.shop_config("alpha") + (beta if beta is not None else self.shop_config("beta"))
        self.config.write_text(text + '[[alerts]]\ntype = "jsonl"\npath = "alerts.jsonl"\n' + tail, encoding="utf-8")

    def edit_config(self, old: str, new: str, count: int = -1) -> None:
        text = self.config.read_text(encoding="utf-8")
        assert old in text, old
        self.config.write_text(text.replace(old, new, count), encoding="utf-8")

    def sandbox(self, scenario: str | dict = "demo", **faults: object) -> str:
        """A sandbox of this case's own (faults set on it touch no other case); its URL."""
        server = self.stack.enter_context(SandboxServer(scenario=scenario))
        if faults:
            requests.post(f"{server.url}/_sandbox/faults", json=faults, timeout=10).raise_for_status()
        return server.url


# --- a seller backend that answers garbage: what a proxy, a broken gateway or an API change sends ---


class _Garbage(http.server.BaseHTTPRequestHandler):
    """Answers by the first path segment of the base URL: ``/<kind>/...``."""

    BODIES: ClassVar[dict[str, tuple[int, str, bytes]]] = {
        "html502": (502, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
        "notjson": (200, "application/json", b"{'code': 0, data: oops"),
        "unknowncode": (200, "application/json", b'{"code": 98765432, "message": "mystery failure", "data": {}}'),
        "nodata": (200, "application/json", b'{"code": 0, "message": "Success", "request_id": "r1"}'),
        "listdata": (200, "application/json", b'{"code": 0, "message": "Success", "data": [1, 2]}'),
        "badwarehouse": (
            200,
            "application/json",
            b'{"code": 0, "message": "Success", "data": {"warehouses": [{"name": 7, "address": "nowhere"}]}}',
        ),
        "empty": (200, "application/json", b""),
    }

    def _answer(self) -> None:
        kind = self.path.strip("/").split("/", 1)[0]
        status, ctype, body = self.BODIES.get(kind, (404, "text/plain", b"no such kind"))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer  # http.server's naming

    def log_message(self, *_args: object) -> None:
        pass


# --- the cases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    setup: Callable[[Ws], None]
    message: str  # a part of the output naming the culprit
    code: int = 1
    args: tuple[str, ...] = PLAN_JSON
    alpha_runs: bool = False  # the other shop must have been reconciled (JSON report)
    state_same: bool = True  # the state database must be byte for byte unchanged
    absent: str | None = None  # must not be in stdout (e.g. an "ok" printed before the fault was found)
    env: tuple[tuple[str, str], ...] = ()


def _noop(ws: Ws) -> None:
    pass


def _write_rows(path: Path, rows: list[dict], encoding: str = "utf-8") -> None:
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def _beta_rows(ws: Ws) -> list[dict]:
    with ws.erp("beta").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _set_beta(**changes: str) -> Callable[[Ws], None]:
    def setup(ws: Ws) -> None:
        rows = _beta_rows(ws)
        rows[0].update(changes)
        _write_rows(ws.erp("beta"), rows)

    return setup


def _gbk_row(ws: Ws, index: int) -> None:
    """Row ``index`` of beta's file in GBK, the others in UTF-8: a row pasted from a GBK export."""
    rows = _beta_rows(ws)
    _write_rows(ws.erp("beta"), rows)
    lines = ws.erp("beta").read_text(encoding="utf-8").splitlines(keepends=True)
    lines[index + 1] = lines[index + 1].encode("gbk").decode("latin-1")  # its GBK bytes, carried as is
    ws.erp("beta").write_bytes(
        b"".join(line.encode("latin-1") if i == index + 1 else line.encode() for i, line in enumerate(lines))
    )


def _beta_text(text: str | bytes) -> Callable[[Ws], None]:
    def setup(ws: Ws) -> None:
        if isinstance(text, bytes):
            ws.erp("beta").write_bytes(text)
        else:
            ws.erp("beta").write_text(text, encoding="utf-8")

    return setup


def _config_text(text: str | bytes) -> Callable[[Ws], None]:
    def setup(ws: Ws) -> None:
        ws.config.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))

    return setup


def _gbk_config(ws: Ws) -> None:
    ws.config.write_bytes(("# 店铺配置：东莞仓\n" + ws.config.read_text(encoding="utf-8")).encode("gbk"))


def _edit(old: str, new: str, count: int = -1) -> Callable[[Ws], None]:
    return lambda ws: ws.edit_config(old, new, count)


def _beta_shop(**kwargs: str) -> Callable[[Ws], None]:
    return lambda ws: ws.write_config(beta=ws.shop_config("beta", **kwargs))


def _beta_option(line: str) -> Callable[[Ws], None]:
    return lambda ws: ws.write_config(
        beta=ws.shop_config("beta").replace("max_attempts = 1\n", f"max_attempts = 1\n{line}\n")
    )


def _state_url(url: str) -> Callable[[Ws], None]:
    return lambda ws: ws.write_config(head=f'[state]\nurl = "{url}"\n')


def _state_bytes(make: Callable[[bytes], bytes]) -> Callable[[Ws], None]:
    def setup(ws: Ws) -> None:
        ws.state_db.write_bytes(make(ws.state_db.read_bytes()))

    return setup


def _read_only_state(ws: Ws) -> None:
    # Root writes any file whatever its mode, so the test opens it read-only the way SQLite itself
    # does for a file it may not write: the same SQLITE_READONLY error on the first write.
    ws.write_config(head=f'[state]\nurl = "sqlite:///file:{ws.state_db}?mode=ro&uri=true"\n')


def _newer_schema(ws: Ws) -> None:
    with sqlite3.connect(ws.state_db) as conn:
        conn.execute("UPDATE schema_version SET version = 999")
    conn.close()


def _garbage_beta(kind: str) -> Callable[[Ws], None]:
    return lambda ws: ws.write_config(beta=ws.shop_config("beta", base_url=f"{ws.env['GARBAGE']}/{kind}"))


def _faulty_beta(**faults: object) -> Callable[[Ws], None]:
    return lambda ws: ws.write_config(beta=ws.shop_config("beta", base_url=ws.sandbox(**faults)))


def _scenario_beta(change: Callable[[dict], None]) -> Callable[[Ws], None]:
    def setup(ws: Ws) -> None:
        scenario = json.loads((Path(__file__).parents[2] / "erpsync/sandbox/scenarios/demo.json").read_text("utf-8"))
        change(scenario)
        ws.write_config(beta=ws.shop_config("beta", base_url=ws.sandbox(scenario)))

    return setup


def _address_of(scenario: dict, **values: str) -> None:
    scenario["shops"][0]["warehouses"][0]["address"].update(values)


def _non_gbk_contact(ws: Ws) -> None:
    """A contact name the GBK code page has no glyph for, in a drift the table shows."""
    rows = _beta_rows(ws)
    rows[0]["contact_person"] = "陈伟 🙂 Zoë"
    _write_rows(ws.erp("beta"), rows)


def _file_at(relative: str) -> Callable[[Ws], None]:
    return lambda ws: (ws.root / relative).write_text("a file, not a folder", encoding="utf-8")


def _scenario_file(text: str) -> Callable[[Ws], None]:
    return lambda ws: (ws.root / "scenario.json").write_text(text, encoding="utf-8")


CONFIG_CASES = [
    Case("config-gbk", _gbk_config, "save it as UTF-8", args=("check",)),
    Case("config-gbk-names-encoding", _gbk_config, "GBK/GB18030"),
    Case("config-not-text", _config_text(b"\xff\xfe\x00[[shops]]\xfa"), "not UTF-8 (byte 0xff at offset 0)"),
    Case("config-bad-toml", _config_text("[[shops]\nname = 1\n"), "not valid TOML"),
    Case("config-missing", lambda ws: ws.config.unlink(), "run `erpsync init`"),
    Case("config-is-a-folder", lambda ws: (ws.config.unlink(), ws.config.mkdir()), "erpsync.toml: is a folder"),
    Case(
        "config-no-shops",
        _config_text('data_dir = ".erpsync"\n'),
        "erpsync.toml: shops: Missing data for required field",
    ),
    Case("config-unknown-erp", _edit('type = "files"', 'type = "tryon"', 1), "shops[0].erp: unknown ERP 'tryon'"),
    Case(
        "config-missing-env",
        _edit('app_secret = "demo-app-secret"', 'app_secret = "${BAD_INPUT_UNSET_SECRET}"'),
        "shops[0].seller.app_secret: environment variable BAD_INPUT_UNSET_SECRET is not set",
    ),
    Case("config-short-secret", _beta_shop(secret="short"), "shops[1].seller.app_secret: too short"),
    Case(
        "config-short-token",
        _edit('access_token = "demo-access-token"', 'access_token = "tok"'),
        "shops[0].seller.access_token: too short",
    ),
    Case(
        "config-refresh-margin-past-token-life",
        _beta_option("refresh_margin_minutes = 20160"),
        "shops[1].seller.refresh_margin_minutes",
    ),
    Case("config-duplicate-shop", _edit('name = "beta"', 'name = "alpha"'), "duplicate shop name 'alpha'"),
    Case("config-shop-name-space", _edit('name = "beta"', 'name = "beta shop"'), "shops[1].name"),
    Case(
        "config-unknown-aspect",
        _edit('name = "beta"\n', 'name = "beta"\naspects = ["returns"]\n'),
        "shops[1].aspects[0]: unknown aspect 'returns'",
    ),
    Case("config-bad-base-url", _beta_shop(base_url="not a url"), "shops[1].seller.base_url"),
    Case("config-max-attempts-zero", _edit("max_attempts = 1", "max_attempts = 0"), "max_attempts"),
    Case("config-unknown-policy-aspect", lambda ws: ws.write_config(tail="[policy.nonesuch]\n"), "policy.nonesuch"),
    Case("config-unknown-alert-sink", lambda ws: ws.write_config(tail='[[alerts]]\ntype = "pager"\n'), "alerts[1]"),
    Case(
        "config-data-dir-is-a-file",
        lambda ws: (_file_at("blocker")(ws), ws.write_config(head='data_dir = "blocker/x"\n')),
        "data_dir",
        state_same=False,
    ),
]

STATE_CASES = [
    Case("state-not-sqlite", _state_bytes(lambda _: b"just some text, not a database\n" * 8), "not a usable SQLite"),
    Case(
        "state-not-sqlite-check",
        _state_bytes(lambda _: b"just some text\n" * 8),
        "not a usable SQLite",
        args=("check",),
        absent="ok",
    ),
    Case("state-truncated", _state_bytes(lambda b: b[:3000]), "restore it from a backup"),
    Case("state-truncated-check", _state_bytes(lambda b: b[:3000]), "state.db", args=("check",), absent="ok"),
    Case("state-read-only", _read_only_state, "cannot be written"),
    Case("state-read-only-check", _read_only_state, "make the file and its folder writable", args=("check",)),
    Case("state-newer-schema", _newer_schema, "upgrade erpsync"),
    Case("state-url-unsupported", _state_url("mysql://u:pw@db/x"), "supports SQLite and PostgreSQL"),
    Case("state-url-unsupported-check", _state_url("mysql://u:pw@db/x"), "state.url", args=("check",), absent="ok"),
    Case("state-url-garbage", _state_url("::not a url::"), "not a usable database URL"),
]

ERP_CASES = [
    Case(
        "erp-missing-file", lambda ws: ws.erp("beta").unlink(), "no warehouses.csv", alpha_runs=True, state_same=False
    ),
    Case(
        "erp-missing-folder",
        lambda ws: shutil.rmtree(ws.erp("beta").parent),
        "directory erp-beta does not exist",
        alpha_runs=True,
        state_same=False,
    ),
    Case(
        "erp-bad-handover-mode",
        _set_beta(handover_mode="by carrier pigeon"),
        "warehouses.csv:2",
        alpha_runs=True,
        state_same=False,
    ),
    Case(
        "erp-gbk-file",
        lambda ws: _write_rows(ws.erp("beta"), _beta_rows(ws), "gbk"),
        "warehouses.csv",
        alpha_runs=True,
        state_same=False,
    ),
    Case(
        "erp-gbk-row",  # one row saved as GBK among UTF-8 rows: that row alone is an error
        lambda ws: _gbk_row(ws, 1),
        "warehouses.csv:3: warehouse 'ERP-2': name: not UTF-8 at byte",
        alpha_runs=True,
        state_same=False,
    ),
    # an export that wrote nothing: the file's error, not an ERP without warehouses
    Case("erp-empty-file", _beta_text(b""), "is empty", alpha_runs=True, state_same=False),
    Case("erp-binary", _beta_text(bytes(range(256)) * 4), "warehouses.csv", alpha_runs=True, state_same=False),
    Case(
        "erp-unclosed-quote",
        _beta_text(",".join(COLUMNS) + '\nERP-1,"东莞仓,WH-DG\n'),
        "warehouses.csv",
        alpha_runs=True,
        state_same=False,
    ),
    Case(
        "erp-header-without-id",  # id and name alone are a valid file (matched by name); no id is not
        _beta_text("name,city\n东莞仓,东莞市\n"),
        "warehouses.csv",
        alpha_runs=True,
        state_same=False,
    ),
    Case(
        "erp-malformed-json",
        lambda ws: (
            ws.erp("beta").unlink(),
            (ws.erp("beta").parent / "warehouses.json").write_text("[{", encoding="utf-8"),
        ),
        "warehouses.json",
        alpha_runs=True,
        state_same=False,
    ),
]

API_CASES = [
    Case("api-html-502", _garbage_beta("html502"), "beta", alpha_runs=True, state_same=False),
    Case("api-not-json", _garbage_beta("notjson"), "beta", alpha_runs=True, state_same=False),
    Case("api-unknown-error-code", _garbage_beta("unknowncode"), "98765432", alpha_runs=True, state_same=False),
    Case("api-no-data", _garbage_beta("nodata"), "beta", alpha_runs=True, state_same=False),
    Case("api-data-is-a-list", _garbage_beta("listdata"), "beta", alpha_runs=True, state_same=False),
    Case("api-warehouse-without-id", _garbage_beta("badwarehouse"), "beta", alpha_runs=True, state_same=False),
    Case("api-empty-body", _garbage_beta("empty"), "beta", alpha_runs=True, state_same=False),
    Case("api-wrong-secret", _beta_shop(secret="wrong-secret-value"), "106001", alpha_runs=True, state_same=False),
    Case("api-server-errors", _faulty_beta(error_rate=1.0), "36009003", alpha_runs=True, state_same=False),
    Case("api-rate-limited", _faulty_beta(burst_429=50), "36009002", alpha_runs=True, state_same=False),
    Case(
        "api-refused-connection",
        lambda ws: ws.write_config(beta=ws.shop_config("beta", base_url="http://127.0.0.1:9")),
        "beta",
        alpha_runs=True,
        state_same=False,
    ),
    Case(
        "api-blank-address",
        _scenario_beta(lambda s: _address_of(s, address_line1="", full_address="", state="")),
        "beta",
        code=2,
        args=("reconcile", "--format", "json"),
        alpha_runs=True,
        state_same=False,
    ),
]

CLI_CASES = [
    Case("cli-negative-wait", _noop, "Invalid value for '--wait'", code=64, args=("reconcile", "--wait", "-5")),
    Case("cli-unknown-shop", _noop, "unknown shop 'nope'", code=64, args=("reconcile", "--shop", "nope")),
    Case("cli-unknown-aspect", _noop, "unknown aspect 'returns'", code=64, args=("reconcile", "--aspect", "returns")),
    Case("cli-bad-format", _noop, "Invalid value for '--format'", code=64, args=("reconcile", "--format", "xml")),
    Case("cli-unknown-option", _noop, "No such option '--bogus'", code=64, args=("reconcile", "--bogus")),
    Case("cli-unknown-command", _noop, "No such command 'frobnicate'", code=64, args=("frobnicate",)),
    Case("cli-prune-zero-days", _noop, "--older-than", code=64, args=("prune", "--older-than", "0")),
    Case(
        "cli-init-under-a-file",
        _file_at("blocker"),
        "cannot write blocker/erpsync.toml",
        args=("-c", "blocker/erpsync.toml", "init"),
    ),
    Case(
        "cli-demo-under-a-file",
        _file_at("blocker"),
        "cannot write the demo workspace blocker/ws",
        args=("demo", "--dir", "blocker/ws"),
    ),
    Case(
        "cli-scenario-missing",
        _noop,
        "--scenario nope.json: no such scenario file",
        args=("sandbox", "serve", "--port", "0", "--scenario", "nope.json"),
    ),
    Case(
        "cli-scenario-not-json",
        _scenario_file("{oops"),
        "--scenario scenario.json: not valid JSON",
        args=("sandbox", "serve", "--port", "0", "--scenario", "scenario.json"),
    ),
    Case(
        "cli-scenario-not-an-object",
        _scenario_file("[1, 2]"),
        "scenario.json: a scenario must be a JSON object",
        args=("sandbox", "serve", "--port", "0", "--scenario", "scenario.json"),
    ),
]

OUTPUT_CASES = [
    Case(
        "console-gbk-table",
        _non_gbk_contact,
        "Zo",
        code=2,
        args=("reconcile",),
        alpha_runs=False,
        state_same=False,
        env=(("PYTHONIOENCODING", "gbk"),),
    ),
    Case(
        "summary-counts-shops-that-ran",
        lambda ws: ws.erp("beta").unlink(),
        "0 drift(s) found on 1 shop(s)",
        args=("reconcile",),
        state_same=False,
    ),
]

CASES = CONFIG_CASES + STATE_CASES + ERP_CASES + API_CASES + CLI_CASES + OUTPUT_CASES


# --- running them ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    result: subprocess.CompletedProcess[str]
    before: dict[str, str]
    after: dict[str, str]
    root: Path
    seconds: float


def _checksums(root: Path) -> dict[str, str]:
    """sha256 of every ERP file and of the state database (``-wal``/``-shm`` aside: SQLite's own)."""
    out = {}
    for path in sorted([*root.glob("erp-*/*"), root / ".erpsync" / "state.db"]):
        if path.is_file():
            out[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _run(case: Case, template: Path, base: Path, sandbox_url: str, garbage_url: str) -> Outcome:
    root = base / case.id
    shutil.copytree(template, root, symlinks=True)
    with ExitStack() as stack:
        ws = Ws(root, sandbox_url, stack, env={"GARBAGE": garbage_url})
        case.setup(ws)
        before = _checksums(root)
        started = time.monotonic()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TTS_", "ERPSYNC_", "PYTHONIOENCODING"))}
        env.update({"COLUMNS": "200", "ERPSYNC_CONFIG": str(ws.config), **dict(case.env)})
        result = subprocess.run(
            [sys.executable, "-m", "erpsync", *case.args],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=120,
            check=False,
        )
    return Outcome(result, before, _checksums(root), root, time.monotonic() - started)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    base = tmp_path_factory.mktemp("bad-input")
    garbage = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
    threading.Thread(target=garbage.serve_forever, daemon=True).start()
    try:
        with SandboxServer(scenario="demo") as sandbox:
            template = base / "template"
            template.mkdir()
            ws = Ws(template, sandbox.url, ExitStack())
            ws.write_config()
            state = requests.get(f"{sandbox.url}/_sandbox/state", timeout=10).json()["data"]
            rows = [_erp_row(i, w) for i, w in enumerate(w for w in state["warehouses"] if w["shop_id"] == SHOP_ID)]
            for shop in ("alpha", "beta"):
                ws.erp(shop).parent.mkdir()
                _write_rows(ws.erp(shop), rows)
            first = subprocess.run(
                [sys.executable, "-m", "erpsync", "-c", str(ws.config), "reconcile"],
                cwd=template,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert first.returncode == 0, first.stdout + first.stderr  # the baseline: both shops in sync
            garbage_url = f"http://127.0.0.1:{garbage.server_address[1]}"
            with ThreadPoolExecutor(max_workers=min(16, (os.cpu_count() or 2) * 2)) as pool:
                futures = {c.id: pool.submit(_run, c, template, base, sandbox.url, garbage_url) for c in CASES}
                yield {name: f.result() for name, f in futures.items()}
    finally:
        garbage.shutdown()
        garbage.server_close()


def _erp_row(i: int, w: dict) -> dict:
    a = w["address"]
    street = " ".join(a[f"address_line{n}"] for n in range(1, 5) if a.get(f"address_line{n}"))
    return {
        "id": f"ERP-{i + 1}",
        "name": w["name"],
        "seller_warehouse_id": w["id"],
        "contact_person": a.get("contact_person", ""),
        "phone": a.get("phone_number", ""),
        "region_code": a.get("region_code", ""),
        "state": a.get("state", ""),
        "city": a.get("city", ""),
        "district": a.get("distict", ""),
        "street": street or a.get("full_address", ""),
        "postal_code": a.get("postal_code", ""),
        "handover_mode": IN_SYNC_MODES.get(w["id"], ""),
    }


def test_a_gbk_row_costs_only_itself_and_the_other_warehouse_is_reconciled(outcomes: dict[str, Outcome]) -> None:
    """The erp-gbk-row case's report: beta's record error is the GBK row, and beta's other
    warehouse is read and found in sync, as in the healthy shop (nothing to correct, no error)."""
    report = json.loads(outcomes["erp-gbk-row"].result.stdout)
    shops = {s["shop"]: s for s in report["shops"]}
    beta, alpha = shops["beta"], shops["alpha"]
    assert beta["error"] is None
    errors = [e for a in beta["aspects"] for e in a["record_errors"]]
    assert errors and all("warehouses.csv:3" in e and "set option encoding" in e for e in errors), errors
    assert all(a["error"] is None for a in beta["aspects"]), beta
    subjects = {d["subject"] for a in beta["aspects"] for d in a["drifts"]}
    healthy = {d["subject"] for a in alpha["aspects"] for d in a["drifts"]}
    assert subjects == healthy, beta  # no drift where alpha has none: the unread row is not "missing"


def test_at_least_forty_cases_with_distinct_names():
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes[case.id]
    result = outcome.result
    out = result.stdout + result.stderr
    assert "Traceback" not in out, out
    assert result.returncode == case.code, out
    assert case.message in out, out
    if case.absent is not None:
        assert case.absent not in result.stdout.split(), result.stdout
    if case.code == 1 and "--format" not in case.args:  # one line naming the culprit, not a screenful
        errors = [line for line in out.splitlines() if line.startswith("error")]
        assert errors and all(len(line) < 400 for line in errors), out
    if case.alpha_runs:
        report = json.loads(result.stdout)
        shops = {s["shop"]: s for s in report["shops"]}
        assert shops["alpha"]["error"] is None and shops["alpha"]["aspects"], report
        assert all(a["error"] is None for a in shops["alpha"]["aspects"]), report
        assert shops["beta"]["error"] or any(
            a["error"] or a["record_errors"] or a["drifts"] for a in shops["beta"]["aspects"]
        ), report
    erp = {k: v for k, v in outcome.after.items() if k.startswith("erp-")}
    assert erp == {k: v for k, v in outcome.before.items() if k.startswith("erp-")}, "an ERP file changed"
    if case.state_same:
        assert outcome.after == outcome.before, "the state database changed"
