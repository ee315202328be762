"""Run the sandbox on loopback: :class:`SandboxServer` in a background thread, :func:`serve` blocking.

Tests and benchmarks use ``with SandboxServer() as sb: requests.get(sb.url + ...)``; port 0 picks
a free port so parallel test runs never collide.

The server speaks HTTP/1.1 with keep-alive, as the real API does, so a client's connection pool
is exercised the way production exercises it (one TCP connection serves many calls).
werkzeug's own request handler answers every request with ``Connection: close`` (its
after-response drain would otherwise swallow the next request line), so :class:`_Handler` runs
the WSGI call itself: it reads the whole request body before calling the app, buffers the
answer and sends it with a ``Content-Length``. Sandbox answers are small JSON envelopes, so
buffering costs nothing. A client that asks for ``Connection: close`` (or speaks HTTP/1.0) gets
it; an answer dropped on purpose (``drop_after_commit``) closes the connection.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import socket
import threading
from pathlib import Path
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from erpsync.sandbox.app import SandboxApp
from erpsync.sandbox.snippet import config_snippet

#: the access log, and every other line the request handler writes. Not werkzeug's logger: the
#: first line werkzeug writes through it in a process sets it to INFO (``werkzeug._internal._log``),
#: which would silence these DEBUG lines for the rest of the process
log = logging.getLogger("erpsync.sandbox.access")
#: a query string in a line the handler writes, to the end of the line: a bad request line is
#: written whole, and its query may hold quotes or spaces (http.server splits on any whitespace)
_QUERY = re.compile(r"\?.*", re.S)
#: statuses that carry no body, hence no Content-Length (RFC 9110 §8.6)
_NO_BODY = frozenset({204, 304})


def _shown(text: str) -> str:
    """``text`` fit for a log line: its query string cut, control characters escaped (a request
    line may carry ESC or CR, which would rewrite a terminal or forge a line)."""
    text = _QUERY.sub("", text)
    return text if text.isprintable() else "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


class _Handler(WSGIRequestHandler):
    """A keep-alive WSGI handler; access logs go to ``erpsync.sandbox.access`` at DEBUG.

    Only the path is logged, never the query string: the token endpoints carry app_secret and
    refresh tokens there, exactly as the real API does.
    """

    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        # answers go out whole (see _send); never held back waiting for an ACK
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # http.server sets command and path together, and command to None or "" when the request
        # line did not parse; path may still be the previous request's on a kept-alive connection
        line = f"{self.command} {self.path}" if self.command else self.requestline
        log.debug("%s %s", _shown(line), code)

    def log(self, type: str, message: str, *args: Any) -> None:
        """The handler's other lines (a bad request line, an error): to the same logger, query cut."""
        text = message % args if args else message
        getattr(log, type, log.info)("%s", _shown(text.rstrip()))

    def run_wsgi(self) -> None:
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.environ = environ = self.make_environ()
        # the whole body now, so the next request line is what the connection reads next
        body = _request_body(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["wsgi.input_terminated"] = True
        environ["CONTENT_LENGTH"] = str(len(body))
        answer: list[Any] = []
        chunks: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer[:] = [status, headers]
            return chunks.append

        try:
            result = self.server.app(environ, start_response)
            try:
                chunks.extend(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
        except ConnectionError as exc:  # the app ended the connection on purpose (drop_after_commit)
            self.close_connection = True
            self.connection_dropped(exc, environ)
            return
        except Exception:
            log.exception("sandbox: error while answering %s %s", self.command, self.path.split("?", 1)[0])
            self.close_connection = True
            answer[:] = ["500 INTERNAL SERVER ERROR", [("Content-Type", "text/plain; charset=utf-8")]]
            chunks[:] = [b"Internal sandbox error"]
        self._send(answer[0], answer[1], b"".join(chunks))

    def _send(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        code, _, reason = status.partition(" ")
        self.send_response(int(code), reason)
        for name, value in headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        if int(code) not in _NO_BODY:
            self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        # head and body in one send: two small sends on a kept-alive connection meet Nagle's
        # algorithm and the client's delayed ACK, which costs ~40 ms per call on Linux
        self._headers_buffer.append(b"\r\n")
        if self.command != "HEAD" and int(code) not in _NO_BODY:
            self._headers_buffer.append(body)
        self.flush_headers()


def _request_body(environ: dict[str, Any]) -> bytes:
    """The request's body: ``Content-Length`` bytes, or a chunked body to its end (werkzeug dechunks)."""
    stream = environ["wsgi.input"]
    if environ.get("wsgi.input_terminated"):
        return bytes(stream.read())
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return bytes(stream.read(length)) if length > 0 else b""


class _Server(ThreadedWSGIServer):
    """Counts the TCP connections it accepts and can close those still open when it stops."""

    def __init__(self, host: str, port: int, app: Any) -> None:
        super().__init__(host, port, app, handler=_Handler)
        self.daemon_threads = True  # a request in flight never keeps the process alive
        self.connections_opened = 0
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._lock:
            self.connections_opened += 1
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End every kept-alive connection: a stopped sandbox answers nobody."""
        with self._lock:
            open_now = list(self._open)
        for sock in open_now:
            with contextlib.suppress(OSError):  # closed by the client meanwhile
                sock.shutdown(socket.SHUT_RDWR)


class SandboxServer:
    """A threaded sandbox HTTP server on ``host``; ``.url`` is its base URL, ``.app`` its WSGI app."""

    def __init__(
        self, scenario: str | Path | dict[str, Any] = "default", host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.app = SandboxApp(scenario)
        self._server = _Server(host, port, self.app)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    @property
    def connections_opened(self) -> int:
        """TCP connections accepted so far: with keep-alive, one per client session, not per call."""
        return self._server.connections_opened

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
        self._server.close_connections()
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
