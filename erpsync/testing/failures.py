"""Transport failures for HTTP connectors' contract cases, through ``responses``.

``responses`` stands in for the network below ``requests``, so the connector's own HTTP client
(retries, deadline, error mapping) runs unchanged: only the answer is staged. Use it in
``fail()``::

    def fail(self, system, kind, operation):
        return http_failure(system.url, kind)

Build the connector with one attempt per call (for an ``HttpErpConnector``, set ``policy =
HttpPolicy(max_attempts=1)`` on the instance in ``build_connector``), or a temporary failure is
retried with backoff before it is raised.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from .harness import Kind

if TYPE_CHECKING:
    import responses

#: the statuses staged: 503 is temporary for every HTTP client erpsync knows (retry later);
#: 400 is permanent (the request itself is wrong, so sending it again cannot help)
STATUS: dict[Kind, int] = {"temporary": 503, "permanent": 400}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")


@contextmanager
def http_failure(
    url: str, kind: Kind, *, status: int | None = None, body: str = ""
) -> Iterator[responses.RequestsMock]:
    """Every request under ``url`` answers ``status`` (503 temporary, 400 permanent, unless given).

    ``body`` is the answer's text: an ERP that echoes the request (its token included) in its
    error pages is worth staging, since the secret case then checks the connector redacts it.
    Requests to other hosts pass through to the network untouched.
    """
    import responses

    pattern = re.compile(re.escape(url.rstrip("/")) + r"([/?#].*)?$")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(re.compile(r"^(?!" + re.escape(url.rstrip("/")) + ").*"))
        for method in METHODS:
            mock.add(method, pattern, status=status or STATUS[kind], body=body)
        yield mock
