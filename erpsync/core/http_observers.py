"""Who hears about every HTTP request the one seam (``core/http.py``) sends: e.g. the service's
``/metrics``, counting calls and rate-limit refusals by API without the core importing it.

An observer is told ``(api, status, rate_limited)`` after each attempt: ``api`` names the endpoint
without anything that varies per shop or record (a label with an id in it would make one time
series per record), ``status`` is the HTTP status (None when no answer came), ``rate_limited``
whether the server refused the call as over its limit.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Hashable
from urllib.parse import urlsplit

__all__ = ["CALL_OBSERVERS", "CallObserver", "api_name", "notify"]

CallObserver = Callable[[str, int | None, bool], None]
#: observers of the whole process; append to add one, remove it when done
CALL_OBSERVERS: list[CallObserver] = []
#: a path segment that is a record's id: 8+ digits, or 16+ characters of letters and digits mixed
_ID = re.compile(r"^(?:\d{8,}|(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{16,})$")
log = logging.getLogger(__name__)


def api_name(client: str, url: str, rate_key: Hashable | None) -> str:
    """``client`` and the endpoint's path template: the rate key's API part when the connector
    gives one (its last element when it is a tuple), else the URL's path with ids as ``{id}``."""
    template = rate_key[-1] if isinstance(rate_key, tuple) and rate_key else rate_key
    path = template if isinstance(template, str) and template else urlsplit(url).path
    segments = ["{id}" if _ID.match(s) else s for s in path.split("/")]
    return f"{client} {'/'.join(segments) or '/'}"


def notify(api: str, status: int | None, rate_limited: bool) -> None:
    """Tell every observer; one that fails is logged and never fails the call it observed."""
    for observer in list(CALL_OBSERVERS):
        try:
            observer(api, status, rate_limited)
        except Exception:
            log.exception("an HTTP call observer failed")
