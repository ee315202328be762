"""Run the sandbox on loopback: :class:`SandboxServer` in a background thread, :func:`serve` blocking.

Tests and benchmarks use ``with SandboxServer() as sb: requests.get(sb.url + ...)``; port 0 picks
a free port so parallel test runs never collide.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from erpsync.sandbox.app import SandboxApp
from erpsync.sandbox.snippet import config_snippet


class _QuietHandler(WSGIRequestHandler):
    """Access logs go to the ``werkzeug`` logger at DEBUG so test output stays readable.

    Only the path is logged, never the query string: the token endpoints carry app_secret and
    refresh tokens there, exactly as the real API does.
    """

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        logging.getLogger("werkzeug").debug("%s %s %s", self.command, self.path.split("?", 1)[0], code)


class SandboxServer:
    """A threaded sandbox HTTP server on ``host``; ``.url`` is its base URL, ``.app`` its WSGI app."""

    def __init__(
        self, scenario: str | Path | dict[str, Any] = "default", host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.app = SandboxApp(scenario)
        self._server = ThreadedWSGIServer(host, port, self.app, handler=_QuietHandler)
        self._server.daemon_threads = True  # a request in flight never keeps the process alive
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:54321``."""
        host = self._server.server_address[0]
        return f"http://{host.decode() if isinstance(host, bytes) else host}:{self.port}"

    def start(self) -> SandboxServer:
        """Serve in a daemon thread; returns self so ``SandboxServer().start()`` reads well."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, name="erpsync-sandbox", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket; safe to call twice."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()
        self.app.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(host: str = "127.0.0.1", port: int = 8765, scenario_path: str | Path = "default") -> None:
    """Serve until interrupted (for the CLI). ``scenario_path`` may be a file or a built-in name."""
    server = SandboxServer(scenario_path, host=host, port=port)
    print(f"# erpsync sandbox ({server.app.state.world.name}) on {server.url}  admin: {server.url}/_sandbox/state")
    # a wildcard bind is reached through loopback from this machine
    local = server.url.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//[::1]:")
    print(config_snippet(server.app.state.world, local), end="", flush=True)
    try:
        server._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._server.server_close()
