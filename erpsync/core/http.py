"""The one way connectors talk HTTP: timeouts, retries, rate limits and redaction in one place.

Connectors build an :class:`HttpClient` from an :class:`HttpPolicy` and call ``request()``; they
never touch ``requests`` or ``tenacity`` themselves. The error type decides the retry (see
``core/errors.py``): a ``TemporaryError`` (429, 5xx, dropped connection, timeout) is retried with
backoff, honouring ``Retry-After``; a ``PermanentError`` (any other 4xx) reaches the caller after
one attempt. Retries stop after ``max_attempts`` or once the sleeps would exceed ``max_wait``,
whichever comes first, and the caller then sees the last ``TemporaryError``, never tenacity's
``RetryError``.

Many APIs answer HTTP 200 with an error in the body; the connector passes a ``classify`` callback
that turns such a response into a ``ConnectorError``. This module knows nothing about any API.

Secrets (tokens, app secrets) never reach logs or exception text: URLs are logged with secret query
values replaced by ``***``, request headers are never logged, and every message built here goes
through :func:`redact`.
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from erpsync.core.errors import ConnectorError, PermanentError, TemporaryError

log = logging.getLogger(__name__)

#: query parameter names whose values are always hidden, whatever the secrets list says
SECRET_PARAMS = frozenset(
    {"access_token", "refresh_token", "app_secret", "client_secret", "secret", "password", "api_key"}
)
_SECRET_PARAM_RE = re.compile(r"(?i)\b(" + "|".join(sorted(SECRET_PARAMS)) + r")=([^&\s'\"#]+)")
MASK = "***"

#: ``classify(response, operation)``: an error for a response whose body says it failed, else None
Classify = Callable[[requests.Response, str], ConnectorError | None]


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Replace every secret value, and every ``access_token=...``-style query value, by ``***``.

    Longer secrets are replaced first so a secret containing another is hidden whole.
    """
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return _SECRET_PARAM_RE.sub(lambda m: f"{m.group(1)}={MASK}", text)


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
    #: requests per second per rate key (default key: connector + URL path); None: no client limit
    rate_limit_qps: float | None = None
    #: requests allowed back to back before the limit paces them
    rate_limit_burst: int = 1

    def __post_init__(self) -> None:
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            raise ValueError("HttpPolicy: timeouts must be positive; a call without one can hang forever")
        if self.max_attempts < 1:
            raise ValueError("HttpPolicy: max_attempts must be at least 1")
        if self.rate_limit_qps is not None and self.rate_limit_qps <= 0:
            raise ValueError("HttpPolicy: rate_limit_qps must be positive (or None for no limit)")
        if self.rate_limit_burst < 1:
            raise ValueError("HttpPolicy: rate_limit_burst must be at least 1")


class RateLimiter:
    """A thread-safe token bucket per key, so a connector never exceeds the API's QPS itself.

    Waiting here is cheaper than a 429 followed by a backoff. ``clock`` and ``sleep`` are
    injectable so tests run on a fake clock.
    """

    def __init__(
        self,
        qps: float,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.qps = qps
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._buckets: dict[Any, tuple[float, float]] = {}  # key -> (tokens, last refill)

    def acquire(self, key: Any = None) -> float:
        """Take one token for ``key``, sleeping until one is free. Returns the seconds waited."""
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.qps)
            # Reserve the token now (the count may go negative) so concurrent callers queue up
            # behind each other instead of all waking at the same instant.
            tokens -= 1.0
            self._buckets[key] = (tokens, now)
            wait = -tokens / self.qps if tokens < 0 else 0.0
        if wait > 0:
            self._sleep(wait)
        return wait


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
    ) -> None:
        self.name = name
        self.policy = policy or HttpPolicy()
        self.secrets = tuple(s for s in secrets if s)
        self.classify = classify
        self.auth = auth
        self.session = session or requests.Session()
        self._sleep = sleep
        self.limiter = (
            RateLimiter(self.policy.rate_limit_qps, burst=self.policy.rate_limit_burst, clock=clock, sleep=sleep)
            if self.policy.rate_limit_qps
            else None
        )

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
        rate_key: str | None = None,
    ) -> requests.Response:
        """Send one logical request, retrying temporary failures; return the successful response.

        ``operation`` names the call in errors and logs (default ``METHOD path``). ``rate_key``
        groups calls under one rate limit, e.g. a path template rather than a path with an id in it.
        Raises ``TemporaryError`` once retries are exhausted and ``PermanentError`` at once.
        """
        path = urlsplit(url).path
        op = operation or f"{method.upper()} {path}"
        key = (self.name, rate_key or path)
        retrying = Retrying(
            retry=retry_if_exception_type(TemporaryError),
            stop=stop_after_attempt(self.policy.max_attempts) | self._stop_after_total_wait,
            wait=self._wait,
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        return retrying(self._attempt, method, url, params, json, data, headers, op, key)

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
    ) -> requests.Response:
        if self.limiter is not None:
            self.limiter.acquire(key)
        started = time.monotonic()
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                json=json,
                data=data,
                headers=dict(headers or {}),
                auth=self.auth,
                timeout=(self.policy.connect_timeout, self.policy.read_timeout),
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            kind = "timed out" if isinstance(exc, requests.Timeout) else "connection failed"
            raise TemporaryError(f"{kind}: {self.redact(str(exc))}", connector=self.name, operation=op) from None
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
        error = self.classify(response, op) if self.classify else None
        if error is None:
            error = self._status_error(response, op)
        if error is not None:
            raise error
        return response

    def _status_error(self, response: requests.Response, op: str) -> ConnectorError | None:
        """The default mapping: 429 and 5xx are temporary, any other 4xx is permanent."""
        status = response.status_code
        if status < 400:
            return None
        snippet = self.redact(" ".join(response.text[:200].split())) if response.text else ""
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
        exponential = p.backoff_initial * 2 ** (state.attempt_number - 1)
        return min(p.backoff_max, exponential) + random.uniform(0, p.backoff_jitter)

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
