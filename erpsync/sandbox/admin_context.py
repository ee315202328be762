"""What an admin route sees of the sandbox: a small protocol instead of the WSGI application.

The route modules (``admin_*``) depend on this protocol and the application depends on them, so
no route module imports :mod:`app`; :class:`~erpsync.sandbox.app.SandboxApp` satisfies it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from werkzeug.wrappers import Request

from erpsync.sandbox.counts import CallCounter
from erpsync.sandbox.envelope import parse_json_body
from erpsync.sandbox.faults import Faults
from erpsync.sandbox.ratelimit import SlidingWindowLimit
from erpsync.sandbox.state import SandboxState


class AdminContext(Protocol):
    """The parts of the running sandbox the admin API reads and changes."""

    state: SandboxState
    limiter: SlidingWindowLimit
    faults: Faults
    counts: CallCounter

    def reset(self) -> None:
        """Reload the scenario and forget faults, rate-limit history and counts."""


#: An admin route: (context, request, path values) → the ``data`` of the answer.
AdminHandler = Callable[[AdminContext, Request, dict[str, str]], Any]

#: One row of a route table: (path rule, methods, handler).
AdminRoute = tuple[str, list[str], AdminHandler]


def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object body (an empty body is ``{}``)."""
    return parse_json_body(request.get_data(cache=True))
