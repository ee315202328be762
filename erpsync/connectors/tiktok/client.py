"""A signed TikTok Shop Open API client (``docs/open-api-slice.md``, ``docs/open-api-full.md``).

``seller.py`` and the other API modules (products, orders, fulfilment) call this; it does HTTP
only through ``core/http.py``. Each attempt is signed afresh by :class:`CallTokenAuth` (a ``requests``
auth hook), so a retry after a long ``Retry-After`` still carries a timestamp inside the API's
five-minute window, and the signature covers exactly the body bytes on the wire (none for a
multipart upload, signing rules in ``docs/open-api-slice.md``). Every request names its content
type, GET included: the reference marks the header required on every endpoint. The envelope's
``code`` decides the error type through the one table of codes (``envelope.py``,
``docs/open-api-errors.md``), with a message saying how to fix it; a code the table documents as
a refusal (kind ``not_processed``) leaves a one-shot write a plain ``TemporaryError``, since
nothing was done.

The access token is either static (``access_token=`` in the config) or comes from a ``tokens``
source (a ``TokenManager``), asked once per call. With a source, an expired token (HTTP 401, code
105002) is refreshed once and the call retried with the new token; a second 105002 is an
``AuthError``, since refreshing again cannot help.

Only the shop and warehouse reads live here (their schemas in ``shops.py``): every call needs the
shop's cipher. Packages, orders and products are read through the API packages
(``fulfillment/``, ``orders/``, ``products/``), which page with ``paging.paginate`` and load with
``loading.load_typed``: one paging loop, one loader. The client loads its own pages with
``loading.load_page`` and never pages, so ``paging.py`` can call the client without a circle.

The shop's cipher comes from Get Authorized Shops, looked up in an :class:`AuthorisedShops`
directory (``shop_directory.py``): the seller connector's clients share one answer per API host,
app and access token for a run, since that call counts against the app, not a shop; a client
built alone keeps its own.

Rate limits: every call is paced under the key (app key, shop cipher, path template), the
platform's own unit, in the process-wide registry of ``core/rate_limit.py``: two clients for one
shop share a budget, another shop or API never waits for it, and a 429 or code 36009002 slows
that key alone (``docs/architecture.md``, "Rate limits").
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Hashable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3 import encode_multipart_formdata

from erpsync.connectors.tiktok.auth import CallTokenAuth, TokenSource, reauthorise_hint
from erpsync.connectors.tiktok.envelope import RATE_LIMITED, TOKEN_EXPIRED, classify_envelope
from erpsync.connectors.tiktok.error_codes import Kind, codes_of
from erpsync.connectors.tiktok.loading import load_page
from erpsync.connectors.tiktok.shop_directory import AuthorisedShops, directory_key, private
from erpsync.connectors.tiktok.shops import ShopSchema, WarehouseSchema
from erpsync.connectors.tiktok.signing import TOKEN_HEADER, normalize_query
from erpsync.connectors.tiktok.versions import ENDPOINTS
from erpsync.core.errors import AuthError, ConnectorError, PermanentError
from erpsync.core.http import HttpClient, HttpPolicy, RateLimits
from erpsync.core.models import Records

DEFAULT_BASE_URL = "https://open-api.tiktokglobalshop.com"
#: the API allows 50 calls per second per API for each app and shop (Partner Center, "Rate
#: limits"); the client keeps to 90 % of that by default, a margin for internet latency jitter,
#: which bunches calls up on the way to the server (``docs/architecture.md``, "Rate limits")
DEFAULT_RATE_LIMIT_QPS = 45.0
#: the documented default limit per API, app and shop (Partner Center, "Rate limits")
PLATFORM_QPS = 50.0
#: calls one (app, shop, API) key that was idle may start at once: a shop's few calls on one API go
#: out together instead of 22 ms apart; every window of ``1 s + guard`` still holds at most the
#: configured rate (``core/rate_limit.py``). As many as the seller reads side by side by default:
#: a whole window's worth at once drew a 429 now and then on a loaded machine, whose threads then
#: sent the reserved calls late and together (``docs/architecture.md``, "Rate limits")
RATE_BURST = 8
#: seconds of jitter allowed for between pacing a call here and the server counting it: the
#: platform's 50 calls never start within ``1 s + guard`` (see :func:`rate_guard`)
RATE_WINDOW_GUARD = 0.05


def rate_guard(qps: float) -> float:
    """The window guard for a client paced at ``qps``: just enough to keep 50 calls out of 1.05 s.

    A pace at or under 50 / 1.05 (47.6/s) already spaces 50 calls over more than 1.05 s and needs
    none; from there to 50 the guard grows to ``RATE_WINDOW_GUARD``, so any value up to the
    platform's own 50 is paced at most at 47.6/s. Above 50 (an app granted a higher limit) the
    configured rate gets the same guard.
    """
    return min(RATE_WINDOW_GUARD, max(0.0, qps * (1.0 + RATE_WINDOW_GUARD) / PLATFORM_QPS - 1.0))


JSON_CONTENT_TYPE = "application/json"
#: built once: a schema's construction copies its fields, and loading keeps no state in the schema
_SHOP, _WAREHOUSE = ShopSchema(), WarehouseSchema()


def needs_cipher(path: str) -> bool:
    """False for paths that reject ``shop_cipher`` (reference §1): auth, seller, global product, upload."""
    return not (
        path.startswith(("/authorization/", "/seller/"))
        or "/global_products" in path
        or path.rstrip("/").endswith("/upload")
    )


def settle_environment(session: requests.Session, url: str) -> None:
    """Look the proxy and CA bundle settings up in the environment once, for ``url``'s host.

    With ``trust_env`` set, requests reads them from the environment on every call
    (``Session.merge_environment_settings``: the proxy variables, ``NO_PROXY`` for the host,
    ``REQUESTS_CA_BUNDLE``), and for a call without auth the ``.netrc`` file too; profiled, that was
    the largest share of a small shop's client CPU after the store. A client's calls all go to one
    API host, so the answer for that host is kept on the session and the per-call lookup turned
    off: what is sent is what requests would have sent, except that a proxy variable changed
    while the process runs is not seen (the netrc never applied: every call carries its own auth).
    A session whose ``trust_env`` is already off is left as it is.
    """
    if not session.trust_env:
        return
    settled = session.merge_environment_settings(url, {}, None, None, None)
    session.proxies = settled["proxies"]
    session.verify = settled["verify"]
    session.cert = settled["cert"]
    session.trust_env = False


class TikTokClient:
    """The Open API calls erpsync needs. Results are validated; bad records become RecordErrors.

    Pass either ``access_token`` (static) or ``tokens`` (refreshed as needed), not both.
    ``rate_limits`` is the registry of pacers (default: the process's, see ``core/http.py``);
    ``shop_lists`` the directory of authorised-shops answers the cipher is looked up in
    (default: the client's own, see ``shop_directory.py``).
    """

    def __init__(
        self,
        base_url: str,
        app_key: str,
        app_secret: str,
        access_token: str | None = None,
        *,
        tokens: TokenSource | None = None,
        policy: HttpPolicy | None = None,
        clock: Callable[[], float] = time.time,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        name: str = "tiktok",
        rate_limits: RateLimits | None = None,
        shop_lists: AuthorisedShops | None = None,
    ) -> None:
        if (access_token is None) == (tokens is None):
            raise ValueError("TikTokClient needs exactly one of access_token and tokens")
        self.base_url = base_url.rstrip("/")
        self.name = name
        self.app_key = app_key
        self.tokens = tokens
        self._static_token = access_token
        auth = CallTokenAuth(
            app_key, app_secret, access_token or "", base_path=urlsplit(self.base_url).path, clock=clock
        )
        policy = policy or HttpPolicy(rate_limit_qps=DEFAULT_RATE_LIMIT_QPS, rate_limit_burst=RATE_BURST)
        self.http = HttpClient(
            name,
            policy,
            secrets=(app_secret, access_token or ""),
            classify=self._classify,
            auth=auth,
            session=session,
            # TikTok's rate-limit code can come with HTTP 200: a POST refused with it was not
            # processed, so it is safe to resend like a 429, and it slows that API's pace
            rate_limited_codes={RATE_LIMITED},
            # a documented refusal ("not now, because of the order's status") changed nothing
            # either: a one-shot write refused with it is a plain TemporaryError, not an unknown
            # outcome (``error_codes.py``, kind ``not_processed``)
            unprocessed_codes=codes_of(Kind.NOT_PROCESSED),
            rate_guard=rate_guard(policy.rate_limit_qps or PLATFORM_QPS),
            rate_limits=rate_limits,
            sleep=sleep,
            clock=monotonic,
        )
        settle_environment(self.http.session, self.base_url)
        self.shop_lists = shop_lists or private()
        self._ciphers: dict[str, str] = {}  # this client's own: looked up once per client

    def close(self) -> None:
        self.http.close()

    # -- plumbing ----------------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        *,
        cipher: str | None = None,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        form: Mapping[str, str] | None = None,
        operation: str | None = None,
        rate_key: str | None = None,
        idempotent: bool | None = None,
    ) -> dict[str, Any]:
        """Send one signed call and return the envelope's ``data`` (``{}`` when absent).

        ``body`` is sent as JSON; ``files`` (field → (filename, content, content type)) and
        ``form`` (field → text) as multipart/form-data instead, whose body is not signed.
        ``idempotent`` says whether sending the call twice is harmless (None: GET yes, POST no;
        see ``core/http.py``). Many Open API reads and "set to" writes are POSTs: their modules
        pass True, so a lost answer is retried instead of raising ``OutcomeUnknownError``.
        """
        if body is not None and (files or form):
            raise ValueError("a call sends either a JSON body or multipart files/form, not both")
        params: dict[str, Any] = normalize_query(query or {})  # the exact strings sent and signed
        if cipher and needs_cipher(path):
            params["shop_cipher"] = cipher
        data: bytes | None = None
        # every endpoint marks content-type as required, GET included (docs/open-api-full.md)
        headers: dict[str, str] = {"Content-Type": JSON_CONTENT_TYPE}
        if files or form:
            # encoded here (core/http sends bytes): the signature skips multipart bodies anyway
            fields: list[tuple[str, Any]] = [*(form or {}).items(), *(files or {}).items()]
            data, headers["Content-Type"] = encode_multipart_formdata(fields)
        elif body is not None:
            # serialised once: these exact bytes are both signed and sent
            data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        op = operation or f"{method} {path}"
        # what the platform counts a call against: the app, the shop and the API (its path
        # template, whatever the method); shared with every client of this app and shop
        rate = (self.app_key, params.get("shop_cipher", ""), rate_key or path)
        response = self._send(method, path, op, params, data, headers, rate, idempotent)
        payload = response.json().get("data")
        if payload is None:
            return {}
        if not isinstance(payload, dict):
            raise PermanentError(
                f"unexpected response: data is {type(payload).__name__}, not an object",
                connector=self.name,
                operation=op,
            )
        return payload

    def _send(
        self,
        method: str,
        path: str,
        op: str,
        params: dict,
        data: bytes | None,
        headers: dict,
        rate_key: Hashable,
        idempotent: bool | None,
    ) -> requests.Response:
        """The request with this call's token; after a 105002, refresh once (token source only) and retry."""
        for attempt in (1, 2):
            token = self._access_token()
            try:
                return self.http.request(
                    method,
                    self.base_url + path,
                    params=params,
                    data=data,
                    headers={**headers, TOKEN_HEADER: token},
                    operation=op,
                    rate_key=rate_key,
                    idempotent=idempotent,
                )
            except PermanentError as exc:
                if exc.code != TOKEN_EXPIRED or self.tokens is None:
                    raise
                if attempt == 2:
                    hint = reauthorise_hint(getattr(self.tokens, "shop", None))
                    raise AuthError(
                        f"access token still expired right after a refresh; {hint}",
                        connector=self.name,
                        operation=op,
                        request_id=exc.request_id,
                        code=exc.code,
                        status=exc.status,
                    ) from None
                self.tokens.on_expired(token)
        raise AssertionError("unreachable")

    def _access_token(self) -> str:
        """This call's token; a token from the source joins the secrets hidden from logs and errors."""
        if self.tokens is None:
            return self._static_token or ""
        token = self.tokens.access_token()
        if token not in self.http.secrets:
            self.http.secrets = (*self.http.secrets, token)
        return token

    def _classify(self, response: requests.Response, operation: str) -> ConnectorError | None:
        """Map the envelope to our errors; None lets ``core/http`` map a bare HTTP status."""
        return classify_envelope(response, operation, connector=self.name, redact=self.http.redact)

    def _records(
        self, data: Mapping[str, Any], key: str, schema: Any, kind: str, path: str, operation: str
    ) -> Records[dict]:
        """Each record of ``data[key]`` loaded on its own (``loading.load_page``, the one loader)."""
        source = f"TikTok {path}"
        return load_page(schema, data, key, kind=kind, source=source, operation=operation, connector=self.name)

    # -- endpoints ---------------------------------------------------------------------------

    def shops(self) -> Records[dict]:
        """The shops this access token is authorised for, with their ciphers."""
        path = ENDPOINTS["get_authorized_shops"].path()
        data = self.call("GET", path, operation="list authorised shops")
        return self._records(data, "shops", _SHOP, "shop", path, "list authorised shops")

    def shop(self, shop_id: str) -> dict[str, Any]:
        """One authorised shop, from a list read now (a check sees the platform as it is);
        PermanentError naming the authorised ones when it is not among them."""
        found = self.shops()
        shop = self._one(str(shop_id), next((s for s in found.items if s["id"] == str(shop_id)), None), found)
        self._ciphers[shop["id"]] = shop["cipher"]
        return shop

    def shop_cipher(self, shop_id: str) -> str:
        """The shop's ``shop_cipher``: once per client, from the authorised-shops answer shared for the run."""
        if str(shop_id) not in self._ciphers:
            found, shops = self.shop_lists.find(self._shop_list_key(), str(shop_id), self.shops)
            self._ciphers[str(shop_id)] = self._one(str(shop_id), found, shops)["cipher"]
        return self._ciphers[str(shop_id)]

    def _shop_list_key(self) -> tuple[str, str, str]:
        return directory_key(self.base_url, self.app_key, self._access_token())

    def _one(self, shop_id: str, shop: dict[str, Any] | None, found: Records[dict]) -> dict[str, Any]:
        if shop is not None:
            return shop
        listed = ", ".join(f"{s['id']} {s['name']!r} ({s['region']})" for s in found.items) or "none"
        raise PermanentError(
            f"shop {shop_id} is not among the shops this access token is authorised for ({listed}): "
            "check shop_id, or authorise the app for that shop",
            connector=self.name,
            operation="find shop",
        )

    def warehouses(self, cipher: str) -> Records[dict]:
        path = ENDPOINTS["get_warehouse_list"].path()
        data = self.call("GET", path, cipher=cipher, operation="list warehouses")
        return self._records(data, "warehouses", _WAREHOUSE, "warehouse", path, "list warehouses")
