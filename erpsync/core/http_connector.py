"""An ERP over an HTTP JSON API: the HTTP client built from standard options, so a connector is its mapping.

:class:`HttpErpConnector` reads ``base_url``, ``timeout_seconds`` and the credentials from its
options (:class:`HttpErpOptions`, which a connector's ``Options`` subclasses) and builds one
:class:`~erpsync.core.http.HttpClient` per connector instance on first use: retries, rate
limits, the call deadline and secret redaction come with it. Credentials are one of:

- a token sent in a header: ``token`` (``Authorization: Bearer <token>`` by default;
  ``token_header`` and ``token_scheme`` change the header and the word before it);
- an HMAC-SHA256 signature of each request: ``hmac_secret`` (and ``hmac_key_id``), in the
  headers ``X-Key-Id``, ``X-Timestamp`` and ``X-Signature`` (:class:`HmacAuth` says what is
  signed). Signing schemes differ between ERPs; this one is a common shape, not a standard, and
  a connector whose ERP signs otherwise overrides :meth:`HttpErpConnector.make_auth`.

Both secrets are in ``secret_options``: never logged, never shown, and redacted from errors.
HTTP 401 and 403 are :class:`~erpsync.core.errors.AuthError`, 404 is
:class:`~erpsync.core.errors.NotFoundError`; the rest maps as ``HttpClient`` maps it (429 and
5xx temporary, other 4xx permanent).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from requests.auth import AuthBase

from erpsync.core.erp_connector import ErpConnector
from erpsync.core.errors import AuthError, ConnectorError, NotFoundError, PermanentError
from erpsync.core.http import HttpClient, HttpPolicy
from erpsync.core.redaction import quoted


class HttpErpOptions(Schema):
    """The options every HTTP ERP takes; a connector's ``Options`` subclasses this and adds its own."""

    base_url = fields.Url(required=True, require_tld=False, schemes={"http", "https"})
    timeout_seconds = fields.Float(load_default=30.0, validate=validate.Range(min=0, min_inclusive=False))
    token = fields.String(load_default="")
    token_header = fields.String(load_default="Authorization", validate=validate.Length(min=1))
    token_scheme = fields.String(load_default="Bearer")
    hmac_key_id = fields.String(load_default="")
    hmac_secret = fields.String(load_default="")

    @validates_schema
    def _one_credential(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("token") and data.get("hmac_secret"):
            raise ValidationError("set token or hmac_secret, not both", "hmac_secret")


class BearerAuth(AuthBase):
    """A token in one header: ``Authorization: Bearer <token>`` unless told otherwise."""

    def __init__(self, token: str, *, header: str = "Authorization", scheme: str = "Bearer") -> None:
        self.token, self.header, self.scheme = token, header, scheme

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers[self.header] = f"{self.scheme} {self.token}" if self.scheme else self.token
        return r


class HmacAuth(AuthBase):
    """Sign each request: hex HMAC-SHA256 of ``timestamp\\nMETHOD\\npath?query\\nsha256(body)``."""

    key_header = "X-Key-Id"
    timestamp_header = "X-Timestamp"
    signature_header = "X-Signature"

    def __init__(self, secret: str, *, key_id: str = "", clock: Callable[[], float] = time.time) -> None:
        self.secret, self.key_id, self.clock = secret.encode(), key_id, clock

    def message(self, r: requests.PreparedRequest, timestamp: str) -> bytes:
        parts = urlsplit(r.url or "")
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        body = r.body if isinstance(r.body, bytes) else (r.body or "").encode()
        return "\n".join((timestamp, (r.method or "").upper(), target, hashlib.sha256(body).hexdigest())).encode()

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        timestamp = str(int(self.clock()))
        signature = hmac.new(self.secret, self.message(r, timestamp), hashlib.sha256).hexdigest()
        if self.key_id:
            r.headers[self.key_header] = self.key_id
        r.headers[self.timestamp_header] = timestamp
        r.headers[self.signature_header] = signature
        return r


def classify_status(response: requests.Response, operation: str, connector: str) -> ConnectorError | None:
    """401/403 → AuthError, 404 → NotFoundError; None leaves the rest to ``HttpClient``'s mapping."""
    status = response.status_code
    if status in (401, 403):
        return AuthError(
            f"HTTP {status}: the ERP refused the credentials (options token or hmac_secret)",
            connector=connector,
            operation=operation,
            status=status,
        )
    if status == 404:
        path = urlsplit(response.url or "").path  # the path only: a query may carry what the logs must not
        return NotFoundError(f"HTTP 404: no {path}", connector=connector, operation=operation, status=status)
    return None


class HttpErpConnector(ErpConnector):
    """An ERP over HTTP: ``self.get_json(path)`` and ``self.send_json(method, path, body)`` do the I/O."""

    Options: ClassVar[type[Schema]] = HttpErpOptions
    secret_options: ClassVar[tuple[str, ...]] = ("token", "hmac_secret")
    #: retries, rate limit and deadline; ``timeout_seconds`` replaces its read timeout
    policy: ClassVar[HttpPolicy] = HttpPolicy()
    #: the error codes (``ConnectorError.code``) an ERP answers only when it did not apply the call
    unprocessed_codes: ClassVar[tuple[str, ...]] = ()

    _http: HttpClient | None = None

    @property
    def http(self) -> HttpClient:
        """The connector's one client, built on first use and closed by ``close()``."""
        if self._http is None:
            timeout = float(self.options.get("timeout_seconds", 30.0))
            policy = replace(
                self.policy, read_timeout=timeout, connect_timeout=min(self.policy.connect_timeout, timeout)
            )
            secrets = [str(self.options[n]) for n in self.secret_options if self.options.get(n)]
            self._http = HttpClient(
                self.type,
                policy,
                secrets=secrets,
                auth=self.make_auth(),
                classify=self.classify,
                unprocessed_codes=self.unprocessed_codes,
            )
        return self._http

    def classify(self, response: requests.Response, operation: str) -> ConnectorError | None:
        """The error an answer carries, or None for ``HttpClient``'s own mapping; an ERP that sends
        errors in a 200 answer (JSON-RPC) overrides this."""
        return classify_status(response, operation, self.type)

    def make_auth(self) -> AuthBase | None:
        """The request signer from the options: a token header, an HMAC signature, or nothing."""
        if self.options.get("token"):
            header = self.options.get("token_header", "Authorization")
            return BearerAuth(self.options["token"], header=header, scheme=self.options.get("token_scheme", "Bearer"))
        if self.options.get("hmac_secret"):
            return HmacAuth(self.options["hmac_secret"], key_id=self.options.get("hmac_key_id", ""))
        return None

    def url(self, path: str) -> str:
        """``base_url`` joined with ``path`` (``"/warehouses"`` and ``"warehouses"`` alike)."""
        return str(self.options["base_url"]).rstrip("/") + "/" + path.lstrip("/")

    def _template_key(self, template: str | None) -> str | None:
        """A template's rate key and label: its whole path under ``base_url`` (two tenants of one
        host, ``/tenant-a`` and ``/tenant-b``, keep their own pacers), None without a template."""
        return urlsplit(self.url(template)).path if template else None

    def get_json(
        self, path: str, *, operation: str, params: Mapping[str, Any] | None = None, template: str | None = None
    ) -> Any:
        """GET ``path`` and return its JSON body; a body that is not JSON is a PermanentError.

        ``template`` is ``path`` with its record id as a placeholder (``"/warehouses/{id}"``):
        what ``/metrics`` counts the call under and the rate limit paces it by. Give it whenever
        ``path`` holds an id; without it a path segment holding a digit is taken for one.
        """
        response = self.http.request(
            "GET", self.url(path), params=params, operation=operation, rate_key=self._template_key(template)
        )
        return self._json(response, operation)

    def send_json(
        self,
        method: str,
        path: str,
        body: Any,
        *,
        operation: str,
        idempotent: bool | None = None,
        template: str | None = None,
    ) -> Any:
        """Send ``body`` as JSON (PUT and PATCH of given fields are retried as idempotent; POST is not).

        Returns the answer's JSON; None for an empty answer or a plain one such as ``OK``: the
        status already said the write was taken, and an ERP need not answer a write in JSON.
        An HTML page is refused all the same: a 2xx HTML page in answer to a write is a login
        page or a proxy's, never the ERP taking it. ``template`` as for :meth:`get_json`.
        """
        if idempotent is None:
            idempotent = method.upper() in ("PUT", "PATCH", "DELETE")
        response = self.http.request(
            method,
            self.url(path),
            json=body,
            operation=operation,
            idempotent=idempotent,
            rate_key=self._template_key(template),
        )
        if not response.content:
            return None
        kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind in ("text/html", "application/xhtml+xml"):
            snippet = quoted(response.text, self.http.redact, 120)
            raise PermanentError(
                f"the answer is an HTML page, not the ERP's (a login page or a proxy?): {snippet!r}",
                connector=self.type,
                operation=operation,
            )
        try:
            return response.json()
        except ValueError:
            return None

    def _json(self, response: requests.Response, operation: str) -> Any:
        try:
            return response.json()
        except ValueError:
            snippet = quoted(response.text, self.http.redact, 120)
            raise PermanentError(
                f"the answer is not JSON: {snippet!r}", connector=self.type, operation=operation
            ) from None

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
