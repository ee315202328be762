"""The WSGI application: routes ``/_sandbox/*`` to the admin API, everything else to the emulated API.

Pipeline of an emulated call: route (404/36009014) → injected faults → gateway checks (auth,
scopes) → rate limit (429/36009002, ``Retry-After: 1``) → handler. The unsigned token endpoints
(``/api/v2/token/*``, see tokens.py) skip the gateway, as the separate auth host does.
Every outcome is an envelope with a fresh request id and is counted per path; an unexpected
exception becomes 500/36009003 with a one-line message (the traceback goes to the server log, never to the client).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from erpsync.sandbox.admin import dispatch_admin
from erpsync.sandbox.api import ROUTES, URL_MAP, Call, template
from erpsync.sandbox.auth import authenticate, single_params
from erpsync.sandbox.counts import CallCounter
from erpsync.sandbox.envelope import (
    INTERNAL,
    RATE_LIMITED,
    UNKNOWN_PATH,
    SandboxError,
    error_response,
    respond,
)
from erpsync.sandbox.faults import Faults
from erpsync.sandbox.ratelimit import RateLimiter
from erpsync.sandbox.state import SandboxState
from erpsync.sandbox.tokens import TOKEN_HANDLERS, token_call

log = logging.getLogger(__name__)

_NO_FAULTS = {"error_rate": 0, "latency_ms": 0, "burst_429": 0}


class SandboxApp:
    """The sandbox as a WSGI callable; ``state``, ``limiter``, ``faults`` and ``counts`` are its parts."""

    def __init__(self, scenario: str | Path | dict[str, Any] = "default") -> None:
        self.state = SandboxState(scenario)
        self.limiter = RateLimiter(self.state.world.rate_limit_qps)
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
        path, _, handler, authorization_path = ROUTES[endpoint]

        def run() -> Response:
            self.faults.inject()
            with self.state.lock:
                caller = authenticate(request, self.state.world, authorization_path=authorization_path)
            key = (caller.app.app_key, caller.shop.cipher if caller.shop else "", template(path))
            if not self.limiter.allow(key):
                raise SandboxError(
                    429,
                    RATE_LIMITED,
                    f"Too many requests: over {self.limiter.qps} QPS for this API",
                    {"Retry-After": "1"},
                )
            params = single_params(request)
            with self.state.lock:
                return respond(handler(Call(self.state, caller, request, params, values)))

        response = self._guard(run)
        self.counts.record(template(path), response.status_code)
        return response
