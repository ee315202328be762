"""``/healthz`` and ``/metrics`` of ``erpsync run``, served by waitress on a thread of their own.

waitress, not werkzeug's development server (which its own documentation says not to run in
production): it is pure Python, threaded, and closes idle and stalled connections itself.

``/healthz`` answers 200 with the scheduler's state as JSON while the scheduler runs and the state
store answers a query, else 503 with the same body, so an orchestrator restarts a process whose
scheduler died or that lost its database. ``/metrics`` is Prometheus' text format
(``prometheus_client.generate_latest`` over the service's own registry).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from erpsync.core.store import Store
from erpsync.service.listen import serve_on
from erpsync.service.metrics import ServiceMetrics
from erpsync.service.scheduler import EmbeddedScheduler

logger = logging.getLogger("erpsync.service")

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def health(scheduler: EmbeddedScheduler, store: Store) -> tuple[int, dict[str, object]]:
    """(HTTP status, body): 200 when the scheduler runs and the store answers, else 503."""
    body = scheduler.state()
    try:
        store.meta.get("healthz")  # any cheap query: the point is a round trip to the database
        reachable = True
    except Exception as exc:  # the answer is the news; the reason goes to the log
        logger.warning("healthz: the state store did not answer: %s", type(exc).__name__)
        reachable = False
    body["store_reachable"] = reachable
    ok = bool(body["scheduler_running"]) and reachable
    body["status"] = "ok" if ok else "unavailable"
    return (200 if ok else 503), body


def make_app(
    scheduler: EmbeddedScheduler,
    store: Store,
    metrics: ServiceMetrics,
    ui: Callable[..., Iterable[bytes]] | None = None,
) -> Callable[..., Iterable[bytes]]:
    """The WSGI app: ``GET /healthz``, ``GET /metrics``; every other path goes to the status page
    ``ui`` (``erpsync/ui``) when given, else 404."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if ui is not None and path not in ("/healthz", "/metrics"):
            return ui(environ, start_response)
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return _answer(start_response, "405 Method Not Allowed", b"GET only\n", "text/plain", [("Allow", "GET")])
        if path == "/healthz":
            status, body = health(scheduler, store)
            text = json.dumps(body, sort_keys=True).encode() + b"\n"
            reason = "200 OK" if status == 200 else "503 Service Unavailable"
            return _answer(start_response, reason, text, "application/json")
        if path == "/metrics":
            return _answer(start_response, "200 OK", generate_latest(metrics.registry), CONTENT_TYPE_LATEST)
        return _answer(start_response, "404 Not Found", b"try /healthz or /metrics\n", "text/plain")

    return app


def _answer(
    start_response: StartResponse, status: str, body: bytes, kind: str, extra: list[tuple[str, str]] | None = None
) -> list[bytes]:
    start_response(status, [("Content-Type", kind), ("Content-Length", str(len(body))), *(extra or [])])
    return [body]


class EndpointServer:
    """waitress serving :func:`make_app` on a background thread; ``close`` stops it."""

    def __init__(self, app: Callable[..., Iterable[bytes]], listen: str) -> None:
        self._server: Any = serve_on(app, listen, threads=2, channel_timeout=30)
        self._thread = threading.Thread(target=self._server.run, name="erpsync-endpoints", daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        """The bound (host, port): the real port when ``listen`` asked for port 0."""
        return str(self._server.effective_host), int(self._server.effective_port)

    def start(self) -> None:
        self._thread.start()
        host, port = self.address
        logger.info("health and metrics on http://%s:%d/healthz and /metrics", host, port)

    def close(self) -> None:
        """Close the sockets on the server's own loop thread (closing them from another thread
        would race the loop's poll), then wait for it and for the request threads."""
        from waitress import wasyncore  # type: ignore[import-untyped]

        server = self._server

        def stop_loop() -> None:
            wasyncore.close_all(server._map)

        if self._thread.is_alive():
            server.trigger.pull_trigger(stop_loop)
            self._thread.join(timeout=10)
        else:
            stop_loop()
        server.task_dispatcher.shutdown()
