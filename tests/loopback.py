"""Test helper (not a test module): a plain ``http.server`` handler served on a free loopback port.

For tests of the HTTP client's own behaviour (timeouts, keep-alive pools, logging) against a real
socket, where the sandbox would be more than the test needs::

    from loopback import serve

    with serve(MyHandler) as url:
        requests.get(f"{url}/path")

Each request runs in its own daemon thread, so a handler left waiting cannot keep the test
process alive; the server is shut down and its socket closed when the block ends.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on 127.0.0.1 at a free port; yields the base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
