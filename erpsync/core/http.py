"""The one way connectors talk HTTP: timeouts, retries, rate limits and redaction in one place.

Connectors build an :class:`HttpClient` from an :class:`HttpPolicy` and call ``request()``; they
never touch ``requests`` or ``tenacity`` themselves. The error type decides the retry (see
``core/errors.py``): a ``TemporaryError`` (429, 5xx, dropped connection, timeout) is retried with
backoff, honouring ``Retry-After``; a ``PermanentError`` (any other 4xx) reaches the caller after
one attempt. Retries stop after ``max_attempts`` or once the sleeps would exceed ``max_wait``,
whichever comes first, and the caller then sees the last ``TemporaryError``, never tenacity's
``RetryError``. A ``Retry-After`` longer than erpsync will wait is not honoured by waiting: the
error then says how long the server asked for and which limit refused it.

Every call has a total deadline (``HttpPolicy.deadline``): connecting, every byte of the body,
every retry and the waits between them. ``read_timeout`` alone cannot bound a call, because it
applies to each socket read: a server sending one byte every few seconds never trips it. So the
body is streamed and read one socket read at a time, each read's timeout cut to what is left of
the deadline, and the deadline is checked between reads. A caller can narrow the deadline of
every call it makes, whatever client makes them, with :func:`time_budget` (``core/time_budget.py``;
the sync host gives each shop one this way). What stays bounded per read only: the status line and headers, read
by ``http.client`` before the body, whose reads time out after ``min(read_timeout, time left)``.

Retrying is only safe when sending twice does no harm. A request is idempotent by default for
GET, HEAD, PUT, DELETE and OPTIONS and not for POST (``request(idempotent=...)`` overrides). A
non-idempotent request is retried only after failures that prove the server never processed it:
the connection could not be opened (connect timeout, refused, DNS, an unreachable proxy, a
failed TLS handshake), or the server refused it with a rate limit (a ``TemporaryError`` with
HTTP status 429, or with one of the client's ``rate_limited_codes`` or ``unprocessed_codes``).
Any other temporary failure (read timeout, dropped connection, 5xx) may have come after the
write took effect, so it surfaces at once as ``OutcomeUnknownError``: resending blindly could
create a second product, and reporting a plain failure could hide a success. A server
certificate that fails verification is a ``PermanentError``: nothing was sent, and sending again
cannot make it trusted.

Rate limits: calls are paced per rate key by the process-wide registry in ``core/rate_limit.py``,
so every client and thread calling with the same key shares one budget; a rate-limit refusal
slows that key alone, and clean answers speed it back up.

Redirects are not followed: ``requests`` would resend every header to the new address, a
connector's own credential header included, so a 3xx is a ``PermanentError`` naming the status
and the host it points to (the configured URL has to change; retrying cannot help). A 304 "not
modified" answers a conditional request, and erpsync makes none: it is a ``PermanentError`` too,
saying it was unexpected (it is no success, and asking again gets the same answer).

Many APIs answer HTTP 200 with an error in the body; the connector passes a ``classify`` callback
that turns such a response into a ``ConnectorError``. This module knows nothing about any API.

Secrets (tokens, app secrets) never reach logs or exception text: URLs are logged with secret query
values replaced by ``***``, request headers are never logged, and every message built here goes
through :func:`redact` (``core/redaction.py``). urllib3 logs each request line (query string included) at DEBUG, which
``erpsync -vv`` turns on, so importing this module also installs :class:`RedactingFilter` on
urllib3's loggers.
"""

from __future__ import annotations

import email.utils
import logging
import random
import socket
import ssl
import time
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.auth import AuthBase
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from urllib3.exceptions import ConnectTimeoutError, HTTPError, MaxRetryError, NewConnectionError
from urllib3.exceptions import ProxyError as Urllib3ProxyError
from urllib3.exceptions import SSLError as Urllib3SSLError

from erpsync.core.errors import ConnectorError, OutcomeUnknownError, PermanentError, TemporaryError
from erpsync.core.http_observers import CALL_OBSERVERS, api_name, notify
from erpsync.core.rate_limit import RATE_LIMITS as RATE_LIMITS
from erpsync.core.rate_limit import RateLimiter as RateLimiter
from erpsync.core.rate_limit import RateLimits as RateLimits
from erpsync.core.redaction import (
    MASK as MASK,
)
from erpsync.core.redaction import (
    SECRET_PARAMS as SECRET_PARAMS,
)
from erpsync.core.redaction import (
    URLLIB3_LOGGERS as URLLIB3_LOGGERS,
)
from erpsync.core.redaction import (
    RedactingFilter as RedactingFilter,
)
from erpsync.core.redaction import (
    install_log_redaction as install_log_redaction,
)
from erpsync.core.redaction import (
    quoted,
)
from erpsync.core.redaction import (
    redact as redact,
)
from erpsync.core.time_budget import (
    TimeBudget as TimeBudget,
)
from erpsync.core.time_budget import (
    current_time_budget as current_time_budget,
)
from erpsync.core.time_budget import (
    time_budget as time_budget,
)

log = logging.getLogger(__name__)

#: methods whose repetition has the same effect as one call (RFC 9110 §9.2.2): safe to retry
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})

#: ``classify(response, operation)``: an error for a response whose body says it failed, else None
Classify = Callable[[requests.Response, str], ConnectorError | None]


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps, outermost first, as ``requests`` and urllib3 nest their errors.

    ``requests`` keeps urllib3's error in ``args[0]`` (usually a ``MaxRetryError``, whose
    ``reason`` is the failure); a proxy's ``ProxyError`` keeps the failure in ``original_error``;
    urllib3's ``SSLError`` keeps the ``ssl`` module's in ``args[0]``. A few steps at most.
    """
    current: BaseException | None = exc
    for _ in range(8):
        if current is None:
            return
        yield current
        if isinstance(current, MaxRetryError):
            current = current.reason
        elif isinstance(current, Urllib3ProxyError):
            current = current.original_error
        elif isinstance(current, requests.RequestException | Urllib3SSLError) and current.args:
            first = current.args[0]
            current = first if isinstance(first, BaseException) else None
        else:
            current = None


def _failed_in_handshake(error: ssl.SSLError) -> bool:
    """True when the TLS handshake raised ``error``: before it completes, no byte of the request
    can have been sent. Told by where it was raised (``SSLSocket.do_handshake``), since the same
    classes are raised by a read after the request went out."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_code.co_name == "do_handshake"


def is_certificate_failure(exc: requests.RequestException) -> bool:
    """True when the server's certificate failed verification (untrusted, expired, wrong host).

    Retrying cannot help: the certificate, the host name or the CA bundle has to change, so the
    caller reports it as permanent.
    """
    return any(isinstance(cause, ssl.SSLCertVerificationError) for cause in _causes(exc))


def is_connect_failure(exc: requests.RequestException) -> bool:
    """True when ``exc`` shows the connection was never opened, so no byte of the request was sent.

    ``requests`` wraps urllib3's error: a connect timeout, a refused connection or a failed DNS
    lookup (``NewConnectionError`` and its subclasses), also behind a proxy's ``ProxyError`` (the
    proxy itself could not be reached), and a TLS handshake that failed prove the server saw
    nothing. Anything else (a reset or a read timeout after sending, an unexpected wrapping) may
    have reached the server, so the answer is False whenever unsure.
    """
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError):
        return False
    for cause in _causes(exc):
        if isinstance(cause, NewConnectionError | ConnectTimeoutError):
            return True
        if isinstance(cause, ssl.SSLError) and _failed_in_handshake(cause):
            return True
    return False


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass(frozen=True)
class HttpPolicy:
    """How one connector's calls behave. Every field has a safe default; timeouts are mandatory."""

    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_attempts: int = 5
    #: total seconds of sleeping between attempts before giving up (Retry-After counts too)
    max_wait: float = 120.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    backoff_jitter: float = 0.5
    #: requests per second per rate key (default key: connector, host and URL path), shared by
    #: every client of the process (``core/rate_limit.py``); None: no client limit
    rate_limit_qps: float | None = None
    #: requests allowed back to back before the limit paces them
    rate_limit_burst: int = 1
    #: wall-clock seconds one call may take in all: connect, every body byte, all retries and
    #: the waits between them (``read_timeout`` bounds one socket read, not the call)
    deadline: float = 300.0

    def __post_init__(self) -> None:
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            raise ValueError("HttpPolicy: timeouts must be positive; a call without one can hang forever")
        if self.max_attempts < 1:
            raise ValueError("HttpPolicy: max_attempts must be at least 1")
        if self.deadline <= 0:
            raise ValueError("HttpPolicy: deadline must be positive; a call without one can last forever")
        if self.rate_limit_qps is not None and self.rate_limit_qps <= 0:
            raise ValueError("HttpPolicy: rate_limit_qps must be positive (or None for no limit)")
        if self.rate_limit_burst < 1:
            raise ValueError("HttpPolicy: rate_limit_burst must be at least 1")


@dataclass
class _Call:
    """One logical request's deadline (monotonic seconds), what sets it, and why retrying stopped."""

    ends_at: float
    limit: str
    refused_wait: str | None = None

    def remaining(self) -> float:
        return self.ends_at - time.monotonic()


#: bytes asked of one socket read while streaming a body
_CHUNK = 64 * 1024


def _socket_of(raw: Any) -> socket.socket | None:
    """The socket under a streamed urllib3 response, if it can be found (urllib3 2.x: ``_connection.sock``).

    Private attributes, read defensively: without the socket each read is bounded by the read
    timeout instead of the time left, and the deadline is still checked between reads.
    """
    sock = getattr(getattr(raw, "_connection", None), "sock", None)
    return sock if isinstance(sock, socket.socket) else None


class HttpClient:
    """One ``requests.Session`` with a policy. Create one per connector; ``close()`` it when done."""

    def __init__(
        self,
        name: str,
        policy: HttpPolicy | None = None,
        *,
        secrets: Iterable[str] = (),
        classify: Classify | None = None,
        auth: AuthBase | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        unprocessed_codes: Collection[int | str] = (),
        rate_limited_codes: Collection[int | str] = (),
        rate_guard: float = 0.0,
        rate_limits: RateLimits | None = None,
    ) -> None:
        self.name = name
        self.policy = policy or HttpPolicy()
        self.secrets = tuple(s for s in secrets if s)
        self.classify = classify
        #: error codes (``ConnectorError.code`` set by ``classify``) that mean the server refused
        #: the request before processing it, e.g. an API's rate-limit code answered with HTTP 200:
        #: a non-idempotent request is retried after them like after a 429
        self.unprocessed_codes = frozenset(unprocessed_codes)
        #: error codes that mean "over the rate limit" (besides HTTP 429): they slow the call's
        #: rate key down (``RateLimits.refused``) and, like ``unprocessed_codes``, are safe to resend
        self.rate_limited_codes = frozenset(rate_limited_codes)
        #: seconds added to each one-second window of the pace, for the jitter between pacing a
        #: call here and the server counting it (``core/rate_limit.py``)
        self.rate_guard = rate_guard
        self.auth = auth
        self.session = session or requests.Session()
        self._sleep = sleep
        #: the pacers this client shares: the process's unless the caller (a test with a fake
        #: clock or sleep) needs its own; None when the policy sets no rate limit
        self.limiter: RateLimits | None = None
        if self.policy.rate_limit_qps:
            on_real_time = clock is time.monotonic and sleep is time.sleep
            self.limiter = rate_limits or (RATE_LIMITS if on_real_time else RateLimits(clock=clock, sleep=sleep))

    def redact(self, text: str) -> str:
        """:func:`redact` with this client's secrets."""
        return redact(text, self.secrets)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        operation: str | None = None,
        rate_key: Hashable | None = None,
        idempotent: bool | None = None,
    ) -> requests.Response:
        """Send one logical request, retrying temporary failures; return the successful response.

        ``operation`` names the call in errors and logs (default ``METHOD path``). ``rate_key``
        groups calls under one rate limit, e.g. a path template rather than a path with an id in
        it, or what the server counts by (app, shop, API); it is scoped by this client's name and
        the URL's host, and shared with every other client of the process that uses the same.
        ``idempotent`` says whether sending twice is harmless (None: by method, see
        :data:`IDEMPOTENT_METHODS`); a non-idempotent request is retried only when the failure
        proves it was not processed, and otherwise raises ``OutcomeUnknownError`` after one send.
        Raises ``TemporaryError`` once retries are exhausted or the deadline has passed (see
        :attr:`HttpPolicy.deadline` and :func:`time_budget`), and ``PermanentError`` at once.
        """
        parts = urlsplit(url)
        op = operation or f"{method.upper()} {parts.path}"
        key = (self.name, parts.netloc, rate_key or parts.path)
        if idempotent is None:
            idempotent = method.upper() in IDEMPOTENT_METHODS
        call = self._call_deadline()
        retrying = Retrying(
            # never OutcomeUnknownError (a TemporaryError too): its whole point is not to resend
            retry=retry_if_exception(
                lambda exc: isinstance(exc, TemporaryError) and not isinstance(exc, OutcomeUnknownError)
            ),
            stop=lambda state: self._stop(state, call),
            wait=self._wait,
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        try:
            return retrying(self._attempt, method, url, params, json, data, headers, op, key, idempotent, call)
        except TemporaryError as exc:
            if call.refused_wait is None or isinstance(exc, OutcomeUnknownError):
                raise
            raise TemporaryError(
                f"{exc.message}; {call.refused_wait}", retry_after=exc.retry_after, **exc.context
            ) from None

    def _call_deadline(self) -> _Call:
        """When this call must be over: its own deadline, or the enclosing time budget's if sooner."""
        own = _Call(time.monotonic() + self.policy.deadline, f"the call deadline ({self.policy.deadline:g} s)")
        budget = current_time_budget()
        if budget is not None and budget.ends_at < own.ends_at:
            return _Call(budget.ends_at, budget.label)
        return own

    def close(self) -> None:
        self.session.close()

    # -- one attempt -------------------------------------------------------------------------

    def _attempt(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        json: Any,
        data: bytes | str | None,
        headers: Mapping[str, str] | None,
        op: str,
        key: Any,
        idempotent: bool = True,
        call: _Call | None = None,
    ) -> requests.Response:
        call = call or self._call_deadline()
        if self.limiter is not None and self.policy.rate_limit_qps:
            self.limiter.acquire(
                key, self.policy.rate_limit_qps, burst=self.policy.rate_limit_burst, guard=self.rate_guard
            )
        started = time.monotonic()
        left = call.remaining()
        if left <= 0:  # nothing sent yet, so this is safe to report as temporary for any method
            raise TemporaryError(f"not sent: {call.limit} has passed", connector=self.name, operation=op)
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                json=json,
                data=data,
                headers=dict(headers or {}),
                auth=self.auth,
                timeout=(min(self.policy.connect_timeout, left), min(self.policy.read_timeout, left)),
                stream=True,  # the body is read below, under the deadline
                # a redirect would resend the headers, credentials included, to wherever it points
                allow_redirects=False,
            )
            self._read_body(response, call)
        except (requests.ConnectionError, requests.Timeout) as exc:
            self._observe(url, key, None, None)
            if is_certificate_failure(exc):  # nothing was sent, and sending again cannot help
                raise PermanentError(
                    f"TLS certificate verification failed: {self.redact(str(exc))}; check the URL's host "
                    "name, the server's certificate and the CA bundle (REQUESTS_CA_BUNDLE)",
                    connector=self.name,
                    operation=op,
                ) from None
            kind = "timed out" if isinstance(exc, requests.Timeout) else "connection failed"
            failed = TemporaryError(f"{kind}: {self.redact(str(exc))}", connector=self.name, operation=op)
            if idempotent or is_connect_failure(exc):
                raise failed from None
            raise self._outcome_unknown(failed) from None
        except requests.RequestException as exc:
            raise PermanentError(
                f"request failed: {self.redact(str(exc))}", connector=self.name, operation=op
            ) from None
        log.debug(
            "%s %s %s -> HTTP %s in %.0f ms",
            self.name,
            method.upper(),
            self.redact(response.request.url or url),
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        error: ConnectorError | None = self._redirect_error(response, op)
        if error is None and self.classify:
            error = self.classify(response, op)
            if error is not None:  # a connector's classify may quote the answer: the secrets go
                error.redact(self.redact)
        if error is None:
            error = self._status_error(response, op)
        self._tell_limiter(key, error)
        self._observe(url, key, response.status_code, error)
        if error is None:
            return response
        if not idempotent and isinstance(error, TemporaryError) and not self._refused(error):
            raise self._outcome_unknown(error)
        raise error

    def _read_body(self, response: requests.Response, call: _Call) -> None:
        """Read the whole body now, so no byte of it arrives after the call's deadline.

        One socket read at a time (``read1``), each with its timeout cut to the time left: a
        server trickling bytes gets a ``requests.Timeout`` at the deadline, as a silent one gets
        it after ``read_timeout``. The body is then ``response.content`` as usual.
        """
        raw = response.raw
        if not callable(getattr(raw, "read1", None)):  # not urllib3 (a test double): read it whole
            _ = response.content
            return
        chunks: list[bytes] = []
        try:
            while True:
                left = call.remaining()
                if left <= 0:
                    raise requests.Timeout(f"the body was still arriving when {call.limit} passed")
                # asked each time: once the body is in, urllib3 hands the connection back to the
                # pool, which gives it to another thread or, when full, closes it (EBADF here)
                sock = _socket_of(raw)
                if sock is not None:
                    sock.settimeout(min(self.policy.read_timeout, left))
                chunk = raw.read1(_CHUNK, decode_content=True)
                if not chunk:
                    break
                chunks.append(chunk)
        except requests.RequestException:
            response.close()
            raise
        except (HTTPError, OSError) as exc:  # urllib3's own errors: read timeout, reset, truncated body
            response.close()
            if call.remaining() <= 0 or "timed out" in str(exc).lower():
                raise requests.Timeout(f"the body was still arriving when {call.limit} passed: {exc}") from None
            raise requests.ConnectionError(f"the connection failed while reading the body: {exc}") from None
        response._content = b"".join(chunks)
        response._content_consumed = True  # type: ignore[attr-defined]  # what .content sets

    def _observe(self, url: str, key: Any, status: int | None, error: ConnectorError | None) -> None:
        """Tell the process's call observers (``core/http_observers.py``) about this attempt."""
        if CALL_OBSERVERS:
            limited = isinstance(error, TemporaryError) and self._rate_limited(error)
            notify(api_name(self.name, url, key[2]), status, limited)

    def _tell_limiter(self, key: Any, error: ConnectorError | None) -> None:
        """Let the call's pacer adapt: a rate-limit refusal slows its key, any other answer counts as clean."""
        if self.limiter is None:
            return
        if isinstance(error, TemporaryError) and self._rate_limited(error):
            self.limiter.refused(key)
        else:
            self.limiter.succeeded(key)

    def _rate_limited(self, error: TemporaryError) -> bool:
        """True when the server refused the call as over its rate limit (HTTP 429 or a listed code)."""
        return error.status == 429 or (error.code is not None and error.code in self.rate_limited_codes)

    def _refused(self, error: TemporaryError) -> bool:
        """True when an error response proves the server did not act on the request.

        The rule, explicit so connectors can rely on it: HTTP 429, or a ``code`` the connector
        listed in ``rate_limited_codes`` or ``unprocessed_codes`` (an API that answers its rate
        limit with HTTP 200). A
        connection that never opened is the other proof; ``_attempt`` checks that one itself.
        """
        if isinstance(error, OutcomeUnknownError):
            return True  # classify already decided; re-wrapping would only repeat the advice
        return self._rate_limited(error) or (error.code is not None and error.code in self.unprocessed_codes)

    def _outcome_unknown(self, error: TemporaryError) -> OutcomeUnknownError:
        """``error`` restated for a non-idempotent request: not retried, to be reconciled."""
        return OutcomeUnknownError(
            f"{error.message}; the request was sent and may have taken effect: "
            "reconcile with the remote state before sending it again",
            **error.context,
        )

    def _redirect_error(self, response: requests.Response, op: str) -> PermanentError | None:
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
                connector=self.name,
                operation=op,
                status=status,
            )
        location = response.headers.get("Location")
        if location:
            try:
                target = urlsplit(urljoin(response.url or "", location))
                where = f"redirected to {target.hostname or 'the same host'}" + (
                    f":{target.port}" if target.port else ""
                )
            except ValueError:
                where = "redirected to an address that is not a valid URL"
        else:
            where = "a redirect without a Location"
        return PermanentError(
            self.redact(
                f"{said}: {where}; redirects are not followed (they would carry the request's "
                "credentials along): point the connector at the new address"
            ),
            connector=self.name,
            operation=op,
            status=status,
        )

    def _status_error(self, response: requests.Response, op: str) -> ConnectorError | None:
        """The default mapping: 429 and 5xx are temporary, any other 4xx is permanent."""
        status = response.status_code
        if status < 400:
            return None
        snippet = quoted(response.text, self.redact, 200) if response.text else ""
        message = f"HTTP {status} {response.reason or ''}".strip() + (f": {snippet}" if snippet else "")
        if status == 429 or status >= 500:
            return TemporaryError(
                message,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
                connector=self.name,
                operation=op,
                status=status,
            )
        return PermanentError(message, connector=self.name, operation=op, status=status)

    # -- retry policy ------------------------------------------------------------------------

    def _wait(self, state: RetryCallState) -> float:
        """Retry-After when the server gave one, else exponential backoff with jitter."""
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TemporaryError) and exc.retry_after is not None:
            return float(exc.retry_after)
        p = self.policy
        exponential: float = p.backoff_initial * 2 ** (state.attempt_number - 1)
        return min(p.backoff_max, exponential) + random.uniform(0, p.backoff_jitter)

    def _stop(self, state: RetryCallState, call: _Call | None = None) -> bool:
        """Stop after ``max_attempts``, or when the next sleep would overrun ``max_wait`` or the deadline.

        One function rather than ``stop_after_attempt(n) | ...``: tenacity's ``|`` is typed for
        its own stop classes only, and a plain function is what ``Retrying(stop=...)`` accepts.
        When the sleep refused is the server's ``Retry-After``, ``call.refused_wait`` says so, for
        the error the caller sees.
        """
        if stop_after_attempt(self.policy.max_attempts)(state):
            return True
        sleep = state.upcoming_sleep or 0.0
        limit = None
        if self._stop_after_total_wait(state):
            limit = f"max_wait ({self.policy.max_wait:g} s of waiting per call)"
        elif call is not None and sleep >= call.remaining():
            limit = call.limit
        if limit is None:
            return False
        exc = state.outcome.exception() if state.outcome else None
        if call is not None and isinstance(exc, TemporaryError) and exc.retry_after is not None:
            call.refused_wait = (
                f"the server asked to retry after {exc.retry_after:g} s (Retry-After), "
                f"longer than {limit} allows: not retried"
            )
        return True

    def _stop_after_total_wait(self, state: RetryCallState) -> bool:
        # tenacity computes the next sleep before asking stop, so a Retry-After longer than the
        # remaining budget stops now and the caller gets the TemporaryError (with retry_after)
        return state.idle_for + (state.upcoming_sleep or 0.0) > self.policy.max_wait

    def _log_retry(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning(
            "%s: attempt %d failed, retrying in %.1f s: %s",
            self.name,
            state.attempt_number,
            state.upcoming_sleep,
            self.redact(str(exc)),
        )
