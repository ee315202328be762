"""The WSGI application: routes ``/_sandbox/*`` to the admin API, everything else to the emulated API.

Pipeline of an emulated call: route (404/36009009) → injected faults → content-type → gateway
checks (auth, scopes) → rate limit (429/36009002, ``Retry-After: 1``) → handler → for a write that
committed, the commit faults (500/36009003 or a dropped connection, see faults.py). The unsigned token
endpoints (``/api/v2/token/*``, see tokens.py) skip the gateway, as the separate auth host does.
Every outcome is an envelope with a fresh request id and is counted per path; an unexpected
exception becomes 500/36009003 with a one-line message (the traceback goes to the server log, never to the client).

Content-type: the Partner Center API reference marks the ``content-type`` header REQUIRED on every
endpoint, GET included. A JSON endpoint takes ``application/json`` (any parameters, e.g. a
charset) and the image upload takes ``multipart/form-data``. A call without the header, or with
another type, answers the common errors page's codes: 400/36009022 "the request body format must
be application/json ... or multipart/form-data" for a JSON endpoint, 400/36009023 "the value of
the content-type header must be multipart/form-data" for the upload. The HTTP status, and checking
it before the signature, are the sandbox's guesses. The admin paths and the unsigned token
endpoints do not check it.

Wire switches (scenario keys, or ``POST /_sandbox/settings``): ``errors_as_http_200`` answers every
4xx error of a known API path (gateway and handler errors, e.g. 106001, 105002, 36009004, 21011028)
except 429 with HTTP 200 and the same envelope (nonzero ``code``), as the real API often does; an
unknown path stays 404, 429 and 5xx keep their status. ``omit_retry_after`` strips ``Retry-After``
from 429 answers (the limiter's and ``burst_429``'s).

A dropped answer is a :class:`ConnectionAbortedError` raised out of the WSGI call after shutting
the socket down: werkzeug's server treats it as a dropped connection and writes nothing, so the
client sees the connection closed with no response (under a WSGI server without ``werkzeug.socket``
the exception simply propagates).
"""

from __future__ import annotations

import contextlib
import logging
import socket
from pathlib import Path
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from erpsync.sandbox.admin import dispatch_admin
from erpsync.sandbox.api import ROUTES, URL_MAP, Call, is_write, template
from erpsync.sandbox.auth import authenticate, single_params
from erpsync.sandbox.counts import CallCounter
from erpsync.sandbox.envelope import (
    BAD_BODY_FORMAT,
    INTERNAL,
    NOT_MULTIPART,
    RATE_LIMITED,
    UNKNOWN_PATH,
    SandboxError,
    error_response,
    respond,
)
from erpsync.sandbox.faults import DROP, FAIL, Faults
from erpsync.sandbox.ratelimit import SlidingWindowLimit
from erpsync.sandbox.state import SandboxState
from erpsync.sandbox.tokens import TOKEN_HANDLERS, token_call

log = logging.getLogger(__name__)

_NO_FAULTS = {
    "error_rate": 0,
    "latency_ms": 0,
    "burst_429": 0,
    "fail_after_commit": 0,
    "fail_after_commit_rate": 0,
    "drop_after_commit": 0,
    "commit_fault_paths": None,
}


class DroppedAnswer(ConnectionAbortedError):
    """Raised out of the WSGI call so the server sends nothing (``drop_after_commit``)."""


class SandboxApp:
    """The sandbox as a WSGI callable; ``state``, ``limiter``, ``faults`` and ``counts`` are its parts."""

    def __init__(self, scenario: str | Path | dict[str, Any] = "default") -> None:
        self.state = SandboxState(scenario)
        self.limiter = SlidingWindowLimit(self.state.world.rate_limit_qps)
        self.faults = Faults({**_NO_FAULTS, **self.state.world.faults})
        self.counts = CallCounter()

    def reset(self) -> None:
        """Reload the scenario and forget faults, rate-limit history and counts."""
        with self.state.lock:
            self.state.reset()
            self.limiter.reset(self.state.world.rate_limit_qps)
            self.faults.configure({**_NO_FAULTS, **self.state.world.faults})
            self.counts.reset()

    def close(self) -> None:
        """Stop background work (the webhook sender)."""
        self.state.webhooks.close()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/_sandbox" or request.path.startswith("/_sandbox/"):
            response = self._guard(lambda: respond(dispatch_admin(self, request)))
        elif request.path in TOKEN_HANDLERS:
            response = self._guard(lambda: respond(token_call(self.state, request)))
            self.counts.record(request.path, response.status_code)
        else:
            response = self._api(request)
        return response(environ, start_response)

    @staticmethod
    def _guard(produce: Any) -> Response:
        try:
            return produce()
        except DroppedAnswer:
            raise
        except SandboxError as exc:
            return error_response(exc)
        except Exception as exc:
            log.exception("sandbox: unexpected error")
            return respond(
                None,
                code=INTERNAL,
                status=500,
                message=f"Internal sandbox error ({type(exc).__name__}), please retry",
            )

    def _api(self, request: Request) -> Response:
        try:
            endpoint, values = URL_MAP.bind_to_environ(request.environ).match()
        except HTTPException:
            self.counts.record(request.path, 404)
            return error_response(
                SandboxError(404, UNKNOWN_PATH, f"Unknown API path or method: {request.method} {request.path}")
            )
        path, method, handler, authorization_path = ROUTES[endpoint]
        key_path = template(path)

        def run() -> Response:
            self.faults.inject()
            _check_content_type(request, multipart=path in MULTIPART_PATHS)
            with self.state.lock:
                caller = authenticate(request, self.state.world, authorization_path=authorization_path)
            key = (caller.app.app_key, caller.shop.cipher if caller.shop else "", key_path)
            if not self.limiter.allow(key):
                raise SandboxError(
                    429,
                    RATE_LIMITED,
                    f"Too many requests: over {self.limiter.qps} QPS for this API",
                    {"Retry-After": "1"},
                )
            params = single_params(request)
            with self.state.lock:
                data = handler(Call(self.state, caller, request, params, dict(values)))
            fault = self.faults.after_commit(key_path) if is_write(path, method) else None
            if fault == DROP:
                raise DroppedAnswer(f"answer to {request.method} {request.path} dropped after commit (injected)")
            if fault == FAIL:
                raise SandboxError(500, INTERNAL, "Internal error (injected after the write committed), please retry")
            return respond(data)

        try:
            response = self._guard(run)
        except DroppedAnswer:
            self.counts.record(key_path, 0)
            _shut(request)
            raise
        response = self._wire(response)
        self.counts.record(key_path, response.status_code)
        return response

    def _wire(self, response: Response) -> Response:
        """Apply the wire switches to an emulated-API answer (see the module docstring)."""
        world = self.state.world
        if response.status_code == 429:
            if world.omit_retry_after:
                response.headers.pop("Retry-After", None)
        elif world.errors_as_http_200 and 400 <= response.status_code < 500:
            response.status_code = 200
        return response


#: Emulated paths whose body is multipart/form-data (the rest take JSON).
MULTIPART_PATHS = frozenset({"/product/202309/images/upload"})


def _check_content_type(request: Request, *, multipart: bool) -> None:
    """Reject a call whose ``content-type`` is missing or not the endpoint's (see the module docstring)."""
    raw = request.headers.get("Content-Type", "").strip()
    expected = "multipart/form-data" if multipart else "application/json"
    code = NOT_MULTIPART if multipart else BAD_BODY_FORMAT
    if not raw:
        raise SandboxError(400, code, f"Invalid request format: the content-type header is required ({expected})")
    if request.mimetype != expected:
        raise SandboxError(400, code, f"Invalid request format: content-type must be {expected}, got {raw!r}")


def _shut(request: Request) -> None:
    """Close the client's socket so it sees the connection end with no answer."""
    sock = request.environ.get("werkzeug.socket")
    if sock is None:
        return
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
