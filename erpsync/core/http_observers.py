"""Who hears about every HTTP request the one seam (``core/http.py``) sends: e.g. the service's
``/metrics``, counting calls and rate-limit refusals by API without the core importing it.

An observer is told ``(api, status, rate_limited)`` after each attempt: ``api`` names the endpoint
without anything that varies per shop or record (a label with an id in it would make one time
series per record), ``status`` is the HTTP status (None when no answer came), ``rate_limited``
whether the server refused the call as over its limit.

The endpoint is the path template the client names as its rate key (every built-in client names
one for a path that holds an id). A client that names none is labelled by the URL's path with
every segment holding a digit written ``{id}`` (an API version such as ``v2`` kept): an ERP's
record ids are often short numbers or codes such as ``SO-2026-00017``, which no narrower test
tells from a path's fixed words, and a label too coarse costs less than one series per record.
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
#: a segment of a named template that is still a record's id: 8+ digits, or 16+ characters of
#: letters and digits mixed (a template may be a fixed path, whose version, e.g. 202309, stays)
_ID = re.compile(r"^(?:\d{8,}|(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{16,})$")
#: a segment of a path no template names: an id when it holds a digit, unless it is an API version
_DIGIT = re.compile(r"\d")
_VERSION = re.compile(r"^[vV]\d+(?:\.\d+)*(?:alpha|beta)?\d*$")
log = logging.getLogger(__name__)


def api_name(client: str, url: str, rate_key: Hashable | None) -> str:
    """``client`` and the endpoint's path template: the rate key's API part when the connector
    gives one (its last element when it is a tuple), else the URL's path with ids as ``{id}``."""
    template = rate_key[-1] if isinstance(rate_key, tuple) and rate_key else rate_key
    if isinstance(template, str) and template:
        segments = ["{id}" if _ID.match(s) else s for s in template.split("/")]
    else:
        segments = [_unnamed_segment(s) for s in urlsplit(url).path.split("/")]
    return f"{client} {'/'.join(segments) or '/'}"


def _unnamed_segment(segment: str) -> str:
    """A segment of a path no template names, ``{id}`` when it may be a record's id."""
    return "{id}" if _DIGIT.search(segment) and not _VERSION.match(segment) else segment


def notify(api: str, status: int | None, rate_limited: bool) -> None:
    """Tell every observer; one that fails is logged and never fails the call it observed."""
    for observer in list(CALL_OBSERVERS):
        try:
            observer(api, status, rate_limited)
        except Exception:
            log.exception("an HTTP call observer failed")
