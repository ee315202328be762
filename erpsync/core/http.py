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
slows that key alone, and clean answers speed it back up. A call dropped while it waits for
its slot (its time budget ended) stops waiting and gives the slot back; one whose slot falls
after its deadline or its budget's end gives it back at once and is not sent, nor retried.

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

This module sends; its rules live in modules of their own, each re-exported here so callers and
plugins import the seam from one place: ``http_policy.py`` (the policy), ``http_deadline.py``
(the call's deadline and the body read within it), ``http_retry.py`` (when to send again),
``http_answers.py`` (what a status, a redirect or a refusal means), ``http_failures.py`` (what a
failed connection proves), ``rate_limit.py``, ``redaction.py`` and ``time_budget.py``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase

from erpsync.core.errors import ConnectorError, OutcomeUnknownError, PermanentError, TemporaryError
from erpsync.core.http_answers import (
    is_rate_limited,
    outcome_unknown,
    parse_retry_after,
    proves_unprocessed,
    redirect_error,
    status_error,
)
from erpsync.core.http_deadline import CallDeadline, call_deadline, read_body
from erpsync.core.http_failures import is_certificate_failure, is_connect_failure
from erpsync.core.http_observers import CALL_OBSERVERS, api_name, notify
from erpsync.core.http_policy import HttpPolicy
from erpsync.core.http_retry import retrying
from erpsync.core.rate_limit import RATE_LIMITS, RateLimiter, RateLimits
from erpsync.core.redaction import (
    MASK,
    SECRET_PARAMS,
    URLLIB3_LOGGERS,
    RedactingFilter,
    install_log_redaction,
    redact,
)
from erpsync.core.time_budget import TimeBudget, current_time_budget, time_budget

__all__ = [
    "IDEMPOTENT_METHODS",
    "MASK",
    "RATE_LIMITS",
    "SECRET_PARAMS",
    "URLLIB3_LOGGERS",
    "Classify",
    "HttpClient",
    "HttpPolicy",
    "RateLimiter",
    "RateLimits",
    "RedactingFilter",
    "TimeBudget",
    "current_time_budget",
    "install_log_redaction",
    "is_certificate_failure",
    "is_connect_failure",
    "parse_retry_after",
    "redact",
    "time_budget",
]

log = logging.getLogger(__name__)

#: methods whose repetition has the same effect as one call (RFC 9110 §9.2.2): safe to retry
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})

#: ``classify(response, operation)``: an error for a response whose body says it failed, else None
Classify = Callable[[requests.Response, str], ConnectorError | None]


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
        call = call_deadline(self.policy.deadline)
        retry = retrying(self.policy, call, connector=self.name, redact=self.redact, sleep=self._sleep)
        try:
            return retry(self._attempt, method, url, params, json, data, headers, op, key, idempotent, call, rate_key)
        except TemporaryError as exc:
            if call.refused_wait is None or isinstance(exc, OutcomeUnknownError):
                raise
            raise TemporaryError(
                f"{exc.message}; {call.refused_wait}", retry_after=exc.retry_after, **exc.context
            ) from None

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
        call: CallDeadline | None = None,
        named: Hashable | None = None,
    ) -> requests.Response:
        call = call or call_deadline(self.policy.deadline)
        if self.limiter is not None and self.policy.rate_limit_qps:
            self._time_left(call, op)  # a call past its deadline takes no token from the calls still wanted
            self._wait_for_slot(self.limiter, self.policy.rate_limit_qps, call, op, key)
        started = time.monotonic()
        left = self._time_left(call, op)
        sent = call.as_sent()  # its answer is read whole, even if the budget is ended meanwhile
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
            read_body(response, sent, self.policy.read_timeout)
        except (requests.ConnectionError, requests.Timeout) as exc:
            self._observe(url, named, None, None)
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
            raise outcome_unknown(failed) from None
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
        error: ConnectorError | None = redirect_error(response, op, self.name, self.redact)
        if error is None and self.classify:
            error = self.classify(response, op)
            if error is not None:  # a connector's classify may quote the answer: the secrets go
                error.redact(self.redact)
        if error is None:
            error = status_error(response, op, self.name, self.redact)
        self._tell_limiter(key, error)
        self._observe(url, named, response.status_code, error)
        if error is None:
            return response
        if (
            not idempotent
            and isinstance(error, TemporaryError)
            and not proves_unprocessed(error, self.rate_limited_codes, self.unprocessed_codes)
        ):
            raise outcome_unknown(error)
        raise error

    def _wait_for_slot(self, limiter: RateLimits, qps: float, call: CallDeadline, op: str, key: Hashable) -> None:
        """Wait for the call's rate-limit slot, cut short if its budget ends meanwhile (a read ahead
        dropped): a call that will not be sent then gives its slot back, so the next call on the
        key does not wait behind it. A slot that falls at or after the call's deadline (or its
        budget's end) is given back at once, not waited for: the call could not be sent anyway,
        and a retry would only queue again behind the same calls."""
        slot = limiter.reserve(key, qps, burst=self.policy.rate_limit_burst, guard=self.rate_guard)
        left = call.remaining()
        if slot.wait > 0 and slot.wait >= left:
            limiter.give_back(slot)
            call.out_of_time = True
            raise TemporaryError(
                f"not sent: its rate-limit slot is {slot.wait:.1f} s away, past {call.limit} "
                f"({max(left, 0.0):.1f} s left)",
                connector=self.name,
                operation=op,
            )
        if slot.wait > 0:
            call.pause(slot.wait, limiter.sleep)
        try:
            self._time_left(call, op)
        except TemporaryError:
            limiter.give_back(slot)
            raise

    def _time_left(self, call: CallDeadline, op: str) -> float:
        """Seconds left to ``call``; raises when none are (nothing sent yet, so this is safe to
        report as temporary for any method)."""
        left = call.remaining()
        if left <= 0:
            raise TemporaryError(f"not sent: {call.limit} has passed", connector=self.name, operation=op)
        return left

    def _observe(self, url: str, named: Hashable | None, status: int | None, error: ConnectorError | None) -> None:
        """Tell the process's call observers (``core/http_observers.py``) about this attempt.

        ``named`` is the rate key the caller gave (None: none), not the limiter's key, which
        falls back to the URL's path: a path with a record's id in it is labelled by its own rule.
        """
        if CALL_OBSERVERS:
            limited = isinstance(error, TemporaryError) and is_rate_limited(error, self.rate_limited_codes)
            notify(api_name(self.name, url, named), status, limited)

    def _tell_limiter(self, key: Any, error: ConnectorError | None) -> None:
        """Let the call's pacer adapt: a rate-limit refusal slows its key, any other answer counts as clean."""
        if self.limiter is None:
            return
        if isinstance(error, TemporaryError) and is_rate_limited(error, self.rate_limited_codes):
            self.limiter.refused(key)
        else:
            self.limiter.succeeded(key)
