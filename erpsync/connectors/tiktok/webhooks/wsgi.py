"""The receiver as a WSGI app: any path, POST only, the body read once with its size capped.

A production server in front (waitress, ``erpsync webhooks serve``) caps the body itself, plain
or chunked, before the app sees it; the cap here covers any other server the app is mounted in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

log = logging.getLogger(__name__)

#: a WSGI application
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


#: the header that says what became of a delivery, for people and logs (the body stays empty)
RESULT_HEADER = "X-Erpsync-Result"


def reply(status: int, message: str) -> Response:
    """The answer: the status, an empty body, and what happened in ``RESULT_HEADER``.

    The webhook guide's "Respond to the webhook" lists the acceptable answers as 200 or 401 with
    a "NULL / empty" body, so no body is sent; the message goes in a header, where the platform
    reads nothing and a person with curl or a proxy log still can. A header value is one line of
    Latin-1, so the message is cut to its first line and anything else escaped.
    """
    line = message.splitlines()[0] if message else ""
    value = line.encode("latin-1", "backslashreplace").decode("latin-1")
    response = Response(b"", status=status)
    response.headers[RESULT_HEADER] = value
    return response


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
