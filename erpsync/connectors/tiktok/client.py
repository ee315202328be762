"""A signed TikTok Shop Open API client (``docs/open-api-slice.md``, ``docs/open-api-full.md``).

``seller.py`` and the other API modules (products, orders, fulfilment) call this; it does HTTP
only through ``core/http.py``. Each attempt is signed afresh by :class:`TikTokAuth` (a ``requests``
auth hook), so a retry after a long ``Retry-After`` still carries a timestamp inside the API's
five-minute window, and the signature covers exactly the body bytes on the wire (none for a
multipart upload, reference §2 step 5). The envelope's ``code`` decides the error type: rate
limits and internal errors are temporary, everything else is permanent, with a message saying
how to fix it.

The access token is either static (``access_token=``, as in issue 2's configs) or comes from a
``tokens`` source (a ``TokenManager``), asked once per call. With a source, an expired token
(HTTP 401, code 105002) is refreshed once and the call retried with the new token; a second
105002 is permanent, since refreshing again cannot help.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3 import encode_multipart_formdata

from erpsync.connectors.tiktok import schemas
from erpsync.connectors.tiktok.auth import CallTokenAuth, TokenSource, reauthorise_hint
from erpsync.connectors.tiktok.envelope import TOKEN_EXPIRED, classify_envelope
from erpsync.connectors.tiktok.signing import TOKEN_HEADER
from erpsync.core.errors import ConnectorError, PermanentError, RecordError
from erpsync.core.http import HttpClient, HttpPolicy
from erpsync.core.models import Records

DEFAULT_BASE_URL = "https://open-api.tiktokglobalshop.com"
ORDER_IDS_PER_CALL = 50
PACKAGES_PAGE_SIZE = 50


def needs_cipher(path: str) -> bool:
    """False for paths that reject ``shop_cipher`` (reference §1): auth, seller, global product, upload."""
    return not (
        path.startswith(("/authorization/", "/seller/"))
        or "/global_products" in path
        or path.rstrip("/").endswith("/upload")
    )


class TikTokClient:
    """The Open API calls erpsync needs. Results are validated; bad records become RecordErrors.

    Pass either ``access_token`` (static) or ``tokens`` (refreshed as needed), not both.
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
    ) -> None:
        if (access_token is None) == (tokens is None):
            raise ValueError("TikTokClient needs exactly one of access_token and tokens")
        self.base_url = base_url.rstrip("/")
        self.name = name
        self.tokens = tokens
        self._static_token = access_token
        auth = CallTokenAuth(
            app_key, app_secret, access_token or "", base_path=urlsplit(self.base_url).path, clock=clock
        )
        self.http = HttpClient(
            name,
            policy or HttpPolicy(rate_limit_qps=50),
            secrets=(app_secret, access_token or ""),
            classify=self._classify,
            auth=auth,
            session=session,
            sleep=sleep,
            clock=monotonic,
        )
        self._ciphers: dict[str, str] = {}

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
    ) -> dict[str, Any]:
        """Send one signed call and return the envelope's ``data`` (``{}`` when absent).

        ``body`` is sent as JSON; ``files`` (field → (filename, content, content type)) and
        ``form`` (field → text) as multipart/form-data instead, whose body is not signed.
        """
        if body is not None and (files or form):
            raise ValueError("a call sends either a JSON body or multipart files/form, not both")
        params = {k: v for k, v in (query or {}).items() if v is not None}
        if cipher and needs_cipher(path):
            params["shop_cipher"] = cipher
        data: bytes | None = None
        headers: dict[str, str] = {}
        if files or form:
            # encoded here (core/http sends bytes): the signature skips multipart bodies anyway
            fields: list[tuple[str, Any]] = [*(form or {}).items(), *(files or {}).items()]
            data, headers["Content-Type"] = encode_multipart_formdata(fields)
        elif body is not None:
            # serialised once: these exact bytes are both signed and sent
            data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        op = operation or f"{method} {path}"
        response = self._send(method, path, op, params, data, headers, f"{method} {rate_key or path}")
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
        self, method: str, path: str, op: str, params: dict, data: bytes | None, headers: dict, rate_key: str
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
                )
            except PermanentError as exc:
                if exc.code != TOKEN_EXPIRED or self.tokens is None:
                    raise
                if attempt == 2:
                    hint = reauthorise_hint(getattr(self.tokens, "shop", None))
                    raise PermanentError(
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

    def _records(self, data: Mapping[str, Any], key: str, schema: Any, kind: str, source: str) -> Records[dict]:
        items = data.get(key) or []
        if not isinstance(items, list):
            raise PermanentError(f"unexpected response: {key} is not a list", connector=self.name, operation=source)
        good, bad = schemas.load_many(schema, items, kind=kind, source=f"TikTok {source}")
        return Records(items=tuple(good), errors=tuple(bad))

    # -- endpoints ---------------------------------------------------------------------------

    def shops(self) -> Records[dict]:
        """The shops this access token is authorised for, with their ciphers."""
        path = "/authorization/202309/shops"
        data = self.call("GET", path, operation="list authorised shops")
        return self._records(data, "shops", schemas.ShopSchema(), "shop", path)

    def shop(self, shop_id: str) -> dict[str, Any]:
        """One authorised shop; PermanentError naming the authorised ones when it is not among them."""
        found = self.shops()
        for shop in found.items:
            if shop["id"] == str(shop_id):
                self._ciphers[shop["id"]] = shop["cipher"]
                return shop
        listed = ", ".join(f"{s['id']} {s['name']!r} ({s['region']})" for s in found.items) or "none"
        raise PermanentError(
            f"shop {shop_id} is not among the shops this access token is authorised for ({listed}): "
            "check shop_id, or authorise the app for that shop",
            connector=self.name,
            operation="find shop",
        )

    def shop_cipher(self, shop_id: str) -> str:
        """The shop's ``shop_cipher``, looked up once per client."""
        if str(shop_id) not in self._ciphers:
            self.shop(shop_id)
        return self._ciphers[str(shop_id)]

    def warehouses(self, cipher: str) -> Records[dict]:
        path = "/logistics/202309/warehouses"
        data = self.call("GET", path, cipher=cipher, operation="list warehouses")
        return self._records(data, "warehouses", schemas.WarehouseSchema(), "warehouse", path)

    def search_packages(
        self,
        cipher: str,
        create_time_ge: int | None = None,
        *,
        create_time_lt: int | None = None,
        package_status: str | None = None,
        page_size: int = PACKAGES_PAGE_SIZE,
    ) -> Iterator[Records[dict]]:
        """Yield one ``Records`` per page, following ``next_page_token``; only one page is in memory."""
        path = "/fulfillment/202309/packages/search"
        body = {
            k: v
            for k, v in (
                ("create_time_ge", create_time_ge),
                ("create_time_lt", create_time_lt),
                ("package_status", package_status),
            )
            if v is not None
        }
        token: str | None = None
        seen: set[str] = set()
        while True:
            query = {"page_size": page_size, "page_token": token}
            data = self.call("POST", path, cipher=cipher, query=query, body=body, operation="search packages")
            yield self._records(data, "packages", schemas.PackageSummarySchema(), "package", path)
            token = data.get("next_page_token") or None
            if token is None:
                return
            if token in seen:
                raise PermanentError(
                    f"the API returned page_token {token!r} twice",
                    connector=self.name,
                    operation="search packages",
                )
            seen.add(token)

    def package(self, cipher: str, package_id: str) -> dict[str, Any]:
        """One package's detail (handover method, tracking number); RecordError if malformed."""
        path = f"/fulfillment/202309/packages/{package_id}"
        data = self.call(
            "GET", path, cipher=cipher, operation="get package", rate_key="/fulfillment/202309/packages/{id}"
        )
        detail = schemas.load_one(
            schemas.PackageDetailSchema(),
            data,
            kind="package",
            source=f"TikTok {path}",
            record=f"package {package_id}",
        )
        detail["package_id"] = detail.get("package_id") or str(package_id)
        return detail

    def orders(self, cipher: str, ids: Sequence[str]) -> Records[dict]:
        """Order details for ``ids``, fetched in calls of at most 50 ids each."""
        path = "/order/202309/orders"
        items: list[dict] = []
        errors: list[RecordError] = []
        unique = list(dict.fromkeys(str(i) for i in ids))
        for start in range(0, len(unique), ORDER_IDS_PER_CALL):
            chunk = unique[start : start + ORDER_IDS_PER_CALL]
            data = self.call("GET", path, cipher=cipher, query={"ids": ",".join(chunk)}, operation="get orders")
            found = self._records(data, "orders", schemas.OrderSchema(), "order", path)
            items.extend(found.items)
            errors.extend(found.errors)
        return Records(items=tuple(items), errors=tuple(errors))

    def handover_time_slots(self, cipher: str, package_id: str) -> dict[str, Any]:
        """Whether pickup / drop-off is offered for the package's warehouse; RecordError if malformed."""
        path = f"/fulfillment/202309/packages/{package_id}/handover_time_slots"
        data = self.call(
            "GET",
            path,
            cipher=cipher,
            operation="get handover time slots",
            rate_key="/fulfillment/202309/packages/{id}/handover_time_slots",
        )
        return schemas.load_one(
            schemas.HandoverSlotsSchema(),
            data,
            kind="handover slots",
            source=f"TikTok {path}",
            record=f"package {package_id} handover slots",
        )
