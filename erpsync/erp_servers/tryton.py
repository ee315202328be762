"""A real Tryton server on loopback (SQLite), for the tests and ``erpsync demo --erp tryton``.

The Tryton connector speaks HTTP; this module only starts the other end, so the connector is proven
against the ERP itself rather than a stand-in. ``trytond-admin`` takes tens of seconds to create a
database, so each process builds one template (modules activated, a company, the admin user in it)
the first time a server is started and copies it for every later server; nothing outlives the process,
so a fresh machine builds everything from scratch. The facts about trytond this relies on are written
in docs/tryton-test-server.md with their source files.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import importlib.util
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

MODULES = ("stock", "sale", "stock_package_shipping", "carrier")
ADMIN_EMAIL = "admin@example.com"
COMPANY_NAME = "erpsync test seller"
COMPANY_CURRENCY = ("Chinese Yuan Renminbi", "CNY", "¥")
INIT_TIMEOUT_SECONDS = 600.0
START_TIMEOUT_SECONDS = 120.0
INSTALL_HINT = "pip install 'erpsync[tryton]'"

_TEMPLATE_DATABASE = "template"
_TEMPLATE_PASSWORD = "erpsync-template-admin"
_template_file: Path | None = None
_template_lock = threading.Lock()


class TrytonServerError(RuntimeError):
    """The Tryton server could not be initialised, started or reached."""


class TrytonUnavailable(TrytonServerError):
    """trytond is not installed: the ``tryton`` extra brings it."""


class TrytonRpcError(TrytonServerError):
    """A JSON-RPC call answered an error (``error`` in the body, or an HTTP error status)."""

    def __init__(self, method: str, error: Any) -> None:
        text = str(error)
        # a domain error carries the whole model description: the message keeps its head, ``error`` all of it
        super().__init__(f"Tryton RPC {method} failed: {text if len(text) <= 600 else text[:600] + ' ...'}")
        self.method = method
        self.error = error


def require_trytond() -> None:
    """Raise ``TrytonUnavailable`` with the install command when trytond cannot be imported."""
    # find_spec, not an import: importing trytond sets the process's TZ to UTC, which is no business of the caller's
    try:
        spec = importlib.util.find_spec("trytond")
    except (ImportError, ValueError):  # ValueError: blocked by a None in sys.modules
        spec = None
    if spec is None:
        raise TrytonUnavailable(f"trytond is not installed; a local Tryton server needs it: {INSTALL_HINT}")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _write_config(directory: Path) -> Path:
    config = directory / "trytond.conf"
    # sessions must outlive a long idle test run; the default expires them after ten idle minutes
    config.write_text(
        f"[database]\nuri = sqlite://\npath = {directory}\n[session]\ntimeout = 86400\n", encoding="utf-8"
    )
    return config


def _initialise(directory: Path, database: str, password: str) -> None:
    """Create ``database`` in ``directory`` with trytond-admin (its own command, as an operator would)."""
    config = _write_config(directory)
    (directory / f"{database}.sqlite").touch()  # trytond's SQLite backend opens, never creates, the file
    passfile = directory / "admin-password"
    passfile.write_text(password + "\n", encoding="utf-8")
    log = directory / "trytond-admin.log"
    command = [sys.executable, "-m", "trytond.cli.admin", "-c", str(config), "-d", database]
    command += ["-u", *MODULES, "--activate-dependencies", "--email", ADMIN_EMAIL]
    with log.open("wb") as out:
        try:
            done = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "TRYTONPASSFILE": str(passfile)},
                timeout=INIT_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise TrytonServerError(f"trytond-admin did not finish in {INIT_TIMEOUT_SECONDS:.0f}s") from exc
    passfile.unlink()
    if done.returncode != 0:
        raise TrytonServerError(f"trytond-admin failed (exit {done.returncode}):\n{_tail(log)}")


def _add_company(server: TrytonServer) -> None:
    """Give the database a company and put the admin user in it: shipments and sales belong to a company."""
    name, code, symbol = COMPANY_CURRENCY
    (currency,) = server.rpc("model.currency.currency.create", [{"name": name, "code": code, "symbol": symbol}], {})
    (party,) = server.rpc("model.party.party.create", [{"name": COMPANY_NAME}], {})
    (company,) = server.rpc("model.company.company.create", [{"party": party, "currency": currency}], {})
    server.rpc("model.res.user.write", [server.uid], {"companies": [["add", [company]]], "company": company}, {})


def _template() -> Path:
    """The initialised database file for this process, built on first use.

    One template serves every admin password: a server started from a copy sets its own password
    first thing (``TrytonServer.__enter__``), so tests and the demo never pay for a second build.
    """
    global _template_file
    with _template_lock:
        if _template_file is not None and _template_file.exists():
            return _template_file
        root = Path(tempfile.mkdtemp(prefix="erpsync-tryton-template-"))
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        _initialise(root, _TEMPLATE_DATABASE, _TEMPLATE_PASSWORD)
        with TrytonServer(root, database=_TEMPLATE_DATABASE, password=_TEMPLATE_PASSWORD) as server:
            _add_company(server)
        _template_file = root / f"{_TEMPLATE_DATABASE}.sqlite"
        return _template_file


def _copy_database(source: Path, target: Path) -> None:
    """Copy an SQLite database with SQLite's backup API: trytond runs it in WAL mode, so the committed
    rows of a stopped server may still sit in ``<file>-wal``, which a plain file copy would leave behind."""
    with contextlib.closing(sqlite3.connect(source)) as src, contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


class TrytonServer:
    """trytond serving one SQLite database on 127.0.0.1, in a child process, as a context manager.

    ``rpc`` is the admin's JSON-RPC, for seeding and reading back; the code under test gets ``url``,
    ``database``, ``login`` and ``password`` and logs in itself.
    """

    login = "admin"

    def __init__(
        self, directory: Path, *, database: str = "erpsync", port: int = 0, password: str = "tryton-admin"
    ) -> None:
        self.directory = Path(directory).resolve()  # trytond fails to open an SQLite database under a relative path
        self.database = database
        self.password = password
        self.url = ""
        self.uid = 0
        self._port = port
        self._process: subprocess.Popen[bytes] | None = None
        self._session: str | None = None
        self._http = requests.Session()

    @property
    def rpc_url(self) -> str:
        """Where trytond answers JSON-RPC for this database (``/<db>/rpc/``, trytond/protocols/dispatcher.py)."""
        return f"{self.url}{self.database}/rpc/"

    @property
    def log_file(self) -> Path:
        return self.directory / "trytond.log"

    def __enter__(self) -> TrytonServer:
        require_trytond()
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / f"{self.database}.sqlite"
        copied = not target.exists()
        if copied:
            _copy_database(_template(), target)
        try:
            self._start()
            if copied and self.password != _TEMPLATE_PASSWORD:
                self._login(_TEMPLATE_PASSWORD)
                self.rpc("model.res.user.write", [self.uid], {"password": self.password}, {})
            self._login()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _start(self) -> None:
        config = _write_config(self.directory)
        port_file = self.directory / "trytond.port"
        port_file.unlink(missing_ok=True)
        command = [sys.executable, "-m", "erpsync.erp_servers.tryton_serve", "--config", str(config)]
        command += ["--database", self.database, "--port", str(self._port), "--port-file", str(port_file)]
        with self.log_file.open("ab") as log:
            self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not port_file.exists():
            if self._process.poll() is not None:
                raise TrytonServerError(
                    f"trytond exited while starting (exit {self._process.returncode}):\n{_tail(self.log_file)}"
                )
            if time.monotonic() > deadline:
                raise TrytonServerError(f"trytond did not listen within {START_TIMEOUT_SECONDS:.0f}s")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{int(port_file.read_text(encoding='ascii'))}/"

    def _login(self, password: str | None = None) -> None:
        uid, session = self._call("common.db.login", [self.login, {"password": password or self.password}], None)[:2]
        self.uid, self._session = int(uid), str(session)

    def _call(self, method: str, params: list[Any], authorization: str | None) -> Any:
        headers = {"Authorization": authorization} if authorization else {}
        body = {"id": 1, "method": method, "params": params}
        try:
            response = self._http.post(self.rpc_url, json=body, headers=headers, timeout=120)
        except requests.RequestException as exc:
            raise TrytonServerError(f"Tryton at {self.rpc_url} did not answer {method}: {exc}") from exc
        if response.status_code != 200:
            raise TrytonRpcError(method, f"HTTP {response.status_code}: {response.text[:500]}")
        payload = response.json()
        if payload.get("error") is not None:
            raise TrytonRpcError(method, payload["error"])
        return payload.get("result")

    def authorization(self) -> str:
        """The ``Authorization: Session base64(login:uid:session)`` value of the admin's session."""
        token = base64.b64encode(f"{self.login}:{self.uid}:{self._session}".encode()).decode("ascii")
        return f"Session {token}"

    def rpc(self, method: str, *params: Any) -> Any:
        """Call ``method`` as the admin; model methods take their context dict as the last parameter."""
        if self._session is None:
            self._login()
        return self._call(method, list(params), self.authorization())

    def context(self) -> dict[str, Any]:
        """The admin's context (company, language...) as Tryton's own client sends it with every call."""
        return dict(self.rpc("model.res.user.get_preferences", True, {}))

    def stop(self) -> None:
        """Stop the child process (terminate, then kill); safe to call twice."""
        self._http.close()
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
