"""The receiver as a WSGI app: any path, POST only, the body read once with its size capped.

A production server in front (waitress, ``erpsync webhooks serve``) caps the body itself, plain
or chunked, before the app sees it; the cap here covers any other server the app is mounted in.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

log = logging.getLogger(__name__)

#: a WSGI application
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def reply(status: int, message: str) -> Response:
    """The JSON answer; the platform reads only the status."""
    body = json.dumps({"code": 0 if status == 200 else status, "message": message})
    return Response(body, status=status, mimetype="application/json")


def wsgi_app(deliver: Callable[[bytes, Mapping[str, str]], tuple[int, str]], max_body_bytes: int) -> WsgiApp:
    """``deliver(raw body, headers) -> (status, message)`` as a WSGI app; see ``receiver.make_wsgi_app``."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = max_body_bytes
        if request.method != "POST":
            response = reply(405, "POST webhooks here")
            response.headers["Allow"] = "POST"
            return response(environ, start_response)
        try:
            raw = request.get_data(cache=False)
        except RequestEntityTooLarge:
            return reply(413, f"body larger than {max_body_bytes} bytes")(environ, start_response)
        # a plain mapping: the WSGI server already joined repeated headers, so no value is lost
        headers: Mapping[str, str] = dict(request.headers)
        status, message = deliver(raw, headers)
        return reply(status, message)(environ, start_response)

    return app
