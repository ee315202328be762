"""Binding the service's HTTP servers (status page, endpoints, webhook receiver) to ``host:port``.

One place turns the bind's failure into an error an operator can act on: the sandbox and
``erpsync ui`` both default to 127.0.0.1:8765, and a second one started beside the first met a
traceback from the socket layer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from waitress.server import create_server  # type: ignore[import-untyped]

from erpsync.core.config_service import parse_listen
from erpsync.core.errors import ErpsyncError

__all__ = ["serve_on"]


def serve_on(app: Callable[..., Iterable[bytes]], listen: str, **options: Any) -> Any:
    """A waitress server for ``app`` bound at ``listen`` (``host:port``, checked before).

    A port another program holds (the sandbox, another ``erpsync ui``) is one clear error naming
    the address, not a traceback.
    """
    try:
        host, port = parse_listen(listen)
    except ValueError as exc:
        raise ErpsyncError(f"listen: {exc}") from None
    try:
        return create_server(app, host=host, port=port, ident="erpsync", expose_tracebacks=False, **options)
    except OSError as exc:
        raise ErpsyncError(
            f"cannot listen on {listen}: {exc.strerror or exc} (another erpsync or the sandbox may hold the port: "
            "choose another with --listen)"
        ) from None
