"""Shop authorisation (``docs/open-api-full.md`` §1): the authorize link, token calls, refresh.

Each shop a seller authorises gets its own access token (7 days) and refresh token. An operator
runs ``erpsync auth url`` once per shop, opens the link, and feeds the returned code to ``erpsync
auth exchange``; from then on :class:`TokenManager` keeps the shop's token valid by refreshing it
ahead of expiry, and once more when the API says 105002 (expired) anyway, writing every new token
back to the state store so the next run (or another process) uses it.

The token endpoints are unsigned GETs that carry the app secret, the auth code or the refresh
token in the query string, so this module registers each of them with ``core/http.py``'s
redaction before the call: none appears in a log line or an error message. Tokens travel as
``TokenRecord``, whose repr leaves the tokens out; still, a record is never formatted into text.

Although they are GETs, neither token call is idempotent: an auth code works once, and a refresh
may rotate the refresh token. Both are sent with ``idempotent=False``, so a lost answer raises
``OutcomeUnknownError`` instead of a resend that would fail (or rotate the tokens twice). The
token client has its own short retry policy (:data:`TOKEN_POLICY`): during an outage of the auth
host, every API call would otherwise wait through the API's long backoff, and
:class:`TokenManager` waits :data:`REFRESH_RETRY_DELAY` before trying a refresh-ahead again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlencode

import requests

from erpsync.connectors.tiktok.envelope import HINTS, TEMPORARY_CODES, classify_envelope
from erpsync.connectors.tiktok.signing import TOKEN_HEADER, TikTokAuth
from erpsync.core.credentials import clean_credential
from erpsync.core.errors import ConnectorError, OutcomeUnknownError, PermanentError, TemporaryError
from erpsync.core.http import HttpClient, HttpPolicy
from erpsync.core.ports import TokenRecord, TokenStore

log = logging.getLogger(__name__)

DEFAULT_AUTH_BASE_URL = "https://auth.tiktok-shops.com"
AUTHORIZE_URL = "https://services.tiktokshop.com/open/authorize"
AUTHORIZE_URL_US = "https://services.tiktokshops.us/open/authorize"
GET_PATH = "/api/v2/token/get"
REFRESH_PATH = "/api/v2/token/refresh"
#: the Open API's rate-limit code: the gateway refused the call, so it was not processed
RATE_LIMITED = 36009002

#: the token calls' default: two quick tries, no client-side rate limit (a few calls per run).
#: A refresh-ahead that fails is harmless (the current token still works), so waiting long for
#: the auth host only delays the API call that asked for the token.
TOKEN_POLICY = HttpPolicy(connect_timeout=5.0, read_timeout=15.0, max_attempts=2, max_wait=5.0, backoff_max=2.0)
#: how long ``TokenManager`` leaves refresh-ahead alone after one failed (the token still works)
REFRESH_RETRY_DELAY = timedelta(minutes=5)


def token_policy(api: HttpPolicy | None = None) -> HttpPolicy:
    """:data:`TOKEN_POLICY` with the timeouts of ``api`` (a connector's API policy), if given.

    For a connector that configures one policy: the token calls keep its timeouts (the network
    is the same) but not its retries or rate limit, which are sized for the API.
    """
    if api is None:
        return TOKEN_POLICY
    return replace(
        TOKEN_POLICY,
        connect_timeout=min(TOKEN_POLICY.connect_timeout, api.connect_timeout),
        read_timeout=min(TOKEN_POLICY.read_timeout, api.read_timeout),
    )


#: token endpoint errors (HTTP 200, nonzero code): what went wrong; the fix is always to re-authorise
TOKEN_HINTS = {
    36004001: "the refresh token has expired",
    36004004: "the authorisation code is invalid, already used or expired (codes are single use, valid 30 minutes)",
    36004005: "TikTok has no authorisation for this token (the seller may have revoked it)",
    36009004: "app_key, app_secret or grant_type rejected: check app_key and app_secret in the config",
}


def reauthorise_hint(shop: str | None) -> str:
    """What the operator runs to give erpsync a fresh token for ``shop``."""
    name = shop or "SHOP"
    return (
        f"re-authorise: run `erpsync auth url --shop {name}` and open the link, "
        f"then `erpsync auth exchange CODE --shop {name}`"
    )


def authorize_url(service_id: str, state: str, *, region: str | None = None) -> str:
    """The link a seller opens to authorise the app for a shop (US shops use the US host)."""
    base = AUTHORIZE_URL_US if (region or "").upper() == "US" else AUTHORIZE_URL
    return f"{base}?{urlencode({'service_id': service_id, 'state': state})}"


def _when(value: Any, field: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{field} is not a Unix timestamp")
    return datetime.fromtimestamp(int(value), tz=UTC)  # absolute, not seconds from now (§1)


def parse_token(data: Mapping[str, Any]) -> TokenRecord:
    """A token endpoint's ``data`` → ``TokenRecord``; ValueError naming the field (never a value)."""
    tokens: dict[str, str] = {}
    for field in ("access_token", "refresh_token"):
        if not isinstance(data.get(field), str) or not data[field]:
            raise ValueError(f"{field} missing")
        tokens[field] = clean_credential(data[field], field)  # a token that cannot go in a header
    scopes = data.get("granted_scopes") or []
    if not isinstance(scopes, list):
        raise ValueError("granted_scopes is not a list")
    return TokenRecord(
        access_token=tokens["access_token"],
        access_token_expires_at=_when(data.get("access_token_expire_in"), "access_token_expire_in"),
        refresh_token=tokens["refresh_token"],
        refresh_token_expires_at=_when(data.get("refresh_token_expire_in"), "refresh_token_expire_in"),
        open_id=str(data.get("open_id") or ""),
        seller_name=str(data.get("seller_name") or ""),
        seller_base_region=str(data.get("seller_base_region") or ""),
        granted_scopes=tuple(str(s) for s in scopes),
    )


class TokenClient:
    """The two token endpoints: ``exchange`` an auth code, ``refresh`` a refresh token.

    ``policy`` defaults to :data:`TOKEN_POLICY`, not the API's: see :func:`token_policy`.
    """

    def __init__(
        self,
        auth_base_url: str,
        app_key: str,
        app_secret: str,
        *,
        policy: HttpPolicy | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        name: str = "tiktok auth",
        shop: str | None = None,
    ) -> None:
        self.base_url = auth_base_url.rstrip("/")
        self.app_key = app_key
        self._secret = app_secret
        self.name = name
        self.http = HttpClient(
            name,
            policy or TOKEN_POLICY,
            secrets=(app_secret,),
            classify=self._classify,
            session=session,
            sleep=sleep,
            clock=monotonic,
            unprocessed_codes=(RATE_LIMITED,),
        )
        self.shop = shop  # named in the re-authorise advice of errors

    def __repr__(self) -> str:
        return f"TokenClient({self.base_url!r}, app_key={self.app_key!r})"

    def close(self) -> None:
        self.http.close()

    def exchange(self, auth_code: str) -> TokenRecord:
        """Trade the code from the authorize redirect for the shop's first tokens.

        OutcomeUnknownError when the answer was lost: the code may be used up by then, so the
        operator authorises again rather than resending it.
        """
        params = {"auth_code": auth_code, "grant_type": "authorized_code"}
        advice = f"the code may be used up (codes are single use): {reauthorise_hint(self.shop)}"
        return self._token(GET_PATH, params, auth_code, "exchange authorisation code", advice)

    def refresh(self, refresh_token: str) -> TokenRecord:
        """A new access token (and maybe a new refresh token); the old access token stops working.

        OutcomeUnknownError when the answer was lost: TikTok may have rotated the tokens, so
        resending the old refresh token could fail; the caller re-reads its store first.
        """
        params = {"refresh_token": refresh_token, "grant_type": "refresh_token"}
        advice = "TikTok may have issued new tokens that never arrived; if the next refresh is rejected, re-authorise"
        return self._token(REFRESH_PATH, params, refresh_token, "refresh access token", advice)

    def _token(self, path: str, params: dict[str, str], secret: str, op: str, advice: str) -> TokenRecord:
        # the code / refresh token is in the query: hide it like the app secret, before any I/O
        self.http.secrets = tuple(dict.fromkeys((*self.http.secrets, secret)))
        query = {"app_key": self.app_key, "app_secret": self._secret, **params}
        try:
            response = self.http.request(
                "GET", self.base_url + path, params=query, operation=op, rate_key=path, idempotent=False
            )
        except OutcomeUnknownError as exc:
            raise OutcomeUnknownError(f"{exc.message}; {advice}", **exc.context) from None
        data = response.json().get("data")
        try:
            if not isinstance(data, dict):
                raise ValueError("data is not an object")
            record = parse_token(data)
        except ValueError as exc:
            raise PermanentError(f"unexpected token response: {exc}", connector=self.name, operation=op) from None
        self.http.secrets = (*self.http.secrets, record.access_token, record.refresh_token)
        return record

    def _classify(self, response: requests.Response, operation: str) -> ConnectorError | None:
        return classify_envelope(
            response,
            operation,
            connector=self.name,
            redact=self.http.redact,
            hint=self._hint,
            url_option="auth_base_url",
        )

    def _hint(self, code: int) -> str:
        if code in TEMPORARY_CODES:
            return HINTS[code]
        return f"{TOKEN_HINTS.get(code, 'token request failed')}; {reauthorise_hint(self.shop)}"


class TokenSource(Protocol):
    """Where a client gets its access token per call (``auth.TokenManager`` is one)."""

    def access_token(self) -> str: ...

    def on_expired(self, rejected: str | None = None) -> None:
        """Refresh now: the API rejected ``rejected`` as expired (skip if it was replaced meanwhile)."""
        ...


class CallTokenAuth(TikTokAuth):
    """Signs like ``TikTokAuth`` but keeps the token ``call()`` chose for this call in the header."""

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        chosen = r.headers.get(TOKEN_HEADER)
        r = super().__call__(r)
        if chosen:
            r.headers[TOKEN_HEADER] = chosen
        return r


def _utcnow() -> datetime:
    return datetime.now(UTC)


class TokenManager:
    """Keeps one shop's access token valid: refresh ahead of expiry, once more on 105002.

    The state store is the source of truth and is read on every ``access_token()``, so a token
    another process refreshed is picked up at once (the old one stops working after a refresh).
    A lock makes threads of one process refresh at most once between them.

    A refresh-ahead that fails temporarily is not tried again for ``refresh_retry_delay``
    (``next_refresh_attempt_at``): the current token still works, and without the pause every API
    call during an auth-host outage would first wait for its own failing refresh. ``on_expired``
    (the API rejected the token) always tries.
    """

    def __init__(
        self,
        shop: str,
        store: TokenStore,
        token_client: TokenClient,
        *,
        refresh_margin: timedelta = timedelta(hours=1),
        clock: Callable[[], datetime] = _utcnow,
        refresh_retry_delay: timedelta = REFRESH_RETRY_DELAY,
    ) -> None:
        self.shop = shop
        self.store = store
        self.token_client = token_client
        self.refresh_margin = refresh_margin
        self.clock = clock
        self.refresh_retry_delay = refresh_retry_delay
        #: no refresh-ahead before this time (set after one failed); None: refresh when due
        self.next_refresh_attempt_at: datetime | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"TokenManager(shop={self.shop!r})"

    def access_token(self) -> str:
        """A token valid for at least ``refresh_margin`` (refreshed and stored first if needed)."""
        with self._lock:
            record = self._stored()
            now = self.clock()
            still_valid = record.access_token_expires_at > now
            if record.access_token_expires_at - now > self.refresh_margin:
                return record.access_token
            if still_valid and self.next_refresh_attempt_at is not None and now < self.next_refresh_attempt_at:
                return record.access_token  # a refresh-ahead failed a moment ago: do not hammer
            try:
                return self._refresh(record, now).access_token
            except TemporaryError as exc:
                if not still_valid:
                    raise
                # the current token still works for a while: use it and try again a bit later
                self.next_refresh_attempt_at = now + self.refresh_retry_delay
                log.warning(
                    "shop %s: token refresh failed, using the current token (valid until %s); "
                    "next refresh attempt after %s: %s",
                    self.shop,
                    record.access_token_expires_at,
                    self.next_refresh_attempt_at,
                    exc,
                )
                return record.access_token

    def on_expired(self, rejected: str | None = None) -> None:
        """The API said 105002: refresh now, unless ``rejected`` was already replaced meanwhile."""
        with self._lock:
            record = self._stored()
            if rejected is not None and record.access_token != rejected:
                return  # another thread or process refreshed it already
            self._refresh(record, self.clock())

    def _stored(self) -> TokenRecord:
        record = self.store.get(self.shop)
        if record is None:
            raise PermanentError(
                f"no access token for shop {self.shop}: run `erpsync auth url --shop {self.shop}`, "
                f"then `erpsync auth exchange CODE --shop {self.shop}`",
                connector="tiktok",
                operation="get access token",
            )
        return record

    def _refresh(self, record: TokenRecord, now: datetime) -> TokenRecord:
        if record.refresh_token_expires_at <= now:
            expired = record.refresh_token_expires_at.strftime("%Y-%m-%d %H:%M UTC")
            raise PermanentError(
                f"the refresh token of shop {self.shop} expired at {expired}; {reauthorise_hint(self.shop)}",
                connector="tiktok",
                operation="refresh access token",
            )
        try:
            fresh = self.token_client.refresh(record.refresh_token)
        except (PermanentError, OutcomeUnknownError):
            # a rejection, or a lost answer: either way another process may have refreshed first
            # (and rotated the refresh token), in which case its token is the one to use
            latest = self.store.get(self.shop)
            if latest is not None and latest.access_token != record.access_token:
                self.next_refresh_attempt_at = None
                return latest
            raise
        fresh = replace(
            fresh,
            open_id=fresh.open_id or record.open_id,
            seller_name=fresh.seller_name or record.seller_name,
            seller_base_region=fresh.seller_base_region or record.seller_base_region,
            granted_scopes=fresh.granted_scopes or record.granted_scopes,
            last_refresh_at=now,
        )
        self.store.put(self.shop, fresh, now=now)
        self.next_refresh_attempt_at = None
        log.info("shop %s: access token refreshed, valid until %s", self.shop, fresh.access_token_expires_at)
        return fresh
