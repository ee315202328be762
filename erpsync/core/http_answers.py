"""What a server's answer means: which error a status or a redirect is, and what a refusal proves.

``HttpClient`` sends; these rules read what came back, so the decisions a connector relies on are
each stated once: a 429 or 5xx is temporary and a ``Retry-After`` says how long to wait; any other
4xx is permanent; a 3xx is never followed and is permanent; a rate-limit refusal (HTTP 429 or a
code the connector lists) slows the call's rate key and proves the request was not processed, as
does a code the connector lists as unprocessed; any other temporary failure of a non-idempotent
request leaves its outcome unknown. No rule here knows any API: connectors pass their codes.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Callable, Collection
from urllib.parse import urljoin, urlsplit

import requests

from erpsync.core.errors import ConnectorError, OutcomeUnknownError, PermanentError, TemporaryError
from erpsync.core.redaction import quoted


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date), or None
    (no header, or none that reads as a finite wait)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:  # "inf", "nan" and "1e400" are floats to Python but no wait a server can mean
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def redirect_error(
    response: requests.Response, op: str, connector: str, redact: Callable[[str], str]
) -> PermanentError | None:
    """A 3xx answer as a permanent error naming the status and the host it points to (a 304,
    which no request of erpsync's asks for, as an unexpected answer).

    Redirects are never followed: ``requests`` would resend every header to the new address,
    and only ``Authorization`` is dropped on the way to another host, not a connector's own
    credential header (TikTok's ``x-tts-access-token``). Retrying cannot help either; the
    configured URL has to change. Only the host is named (redacted, like every URL here):
    the path and query of a redirect may carry anything.
    """
    status = response.status_code
    if not 300 <= status < 400:
        return None
    said = f"HTTP {status} {response.reason or ''}".strip()
    if status == 304:  # a 3xx that is no redirect: "not modified" answers a conditional request
        return PermanentError(
            f"unexpected {said}: not modified, though no conditional request was sent (this client "
            "keeps no cached copy it could refer to); asking again gets the same answer",
            connector=connector,
            operation=op,
            status=status,
        )
    location = response.headers.get("Location")
    if location:
        try:
            target = urlsplit(urljoin(response.url or "", location))
            where = f"redirected to {target.hostname or 'the same host'}" + (f":{target.port}" if target.port else "")
        except ValueError:
            where = "redirected to an address that is not a valid URL"
    else:
        where = "a redirect without a Location"
    return PermanentError(
        redact(
            f"{said}: {where}; redirects are not followed (they would carry the request's "
            "credentials along): point the connector at the new address"
        ),
        connector=connector,
        operation=op,
        status=status,
    )


def status_error(
    response: requests.Response, op: str, connector: str, redact: Callable[[str], str]
) -> ConnectorError | None:
    """The default mapping: 429 and 5xx are temporary, any other 4xx is permanent."""
    status = response.status_code
    if status < 400:
        return None
    snippet = quoted(response.text, redact, 200) if response.text else ""
    message = f"HTTP {status} {response.reason or ''}".strip() + (f": {snippet}" if snippet else "")
    if status == 429 or status >= 500:
        return TemporaryError(
            message,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            connector=connector,
            operation=op,
            status=status,
        )
    return PermanentError(message, connector=connector, operation=op, status=status)


def is_rate_limited(error: TemporaryError, rate_limited_codes: Collection[int | str]) -> bool:
    """True when the server refused the call as over its rate limit (HTTP 429 or a listed code)."""
    return error.status == 429 or (error.code is not None and error.code in rate_limited_codes)


def proves_unprocessed(
    error: TemporaryError, rate_limited_codes: Collection[int | str], unprocessed_codes: Collection[int | str]
) -> bool:
    """True when an error response proves the server did not act on the request.

    The rule, explicit so connectors can rely on it: HTTP 429, or a ``code`` the connector
    listed in ``rate_limited_codes`` or ``unprocessed_codes`` (an API that answers its rate
    limit with HTTP 200). A connection that never opened is the other proof; the client checks
    that one itself (``core/http_failures.py``).
    """
    if isinstance(error, OutcomeUnknownError):
        return True  # classify already decided; re-wrapping would only repeat the advice
    return is_rate_limited(error, rate_limited_codes) or (error.code is not None and error.code in unprocessed_codes)


def outcome_unknown(error: TemporaryError) -> OutcomeUnknownError:
    """``error`` restated for a non-idempotent request: not retried, to be reconciled."""
    return OutcomeUnknownError(
        f"{error.message}; the request was sent and may have taken effect: "
        "reconcile with the remote state before sending it again",
        **error.context,
    )
