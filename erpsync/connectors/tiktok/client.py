"""A signed TikTok Shop Open API client for the slice erpsync reads (``docs/open-api-slice.md``).

``seller.py`` calls this; it does HTTP only through ``core/http.py``. Each attempt is signed
afresh by :class:`TikTokAuth` (a ``requests`` auth hook), so a retry after a long ``Retry-After``
still carries a timestamp inside the API's five-minute window, and the signature covers exactly
the body bytes on the wire. The envelope's ``code`` decides the error type: rate limits and
internal errors are temporary, everything else is permanent, with a message saying how to fix it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import requests

from erpsync.connectors.tiktok import schemas
from erpsync.connectors.tiktok.signing import TikTokAuth
from erpsync.core.errors import ConnectorError, PermanentError, RecordError, TemporaryError
from erpsync.core.http import HttpClient, HttpPolicy, parse_retry_after
from erpsync.core.models import Records

DEFAULT_BASE_URL = "https://open-api.tiktokglobalshop.com"
ORDER_IDS_PER_CALL = 50
PACKAGES_PAGE_SIZE = 50

TEMPORARY_CODES = frozenset({36009002, 36009003})
#: how to fix the well-known errors; the server's own message is appended
HINTS = {
    106001: "signature rejected: check app_secret (and that this machine's clock is right)",
    105002: "access token expired: re-authorise the shop and put the new access_token in the config",
    105005: "missing API scope: add the API package to the app in Partner Center, then re-authorise the shop",
    106013: "shop_cipher missing: this API needs the shop's cipher",
    101000: "access token does not match the shop: use an access_token issued for this shop",
    36009004: ("request rejected: read the server message (app_key, access_token, clock, shop_cipher or a parameter)"),
    36009014: "unknown API path or version",
    36009002: "rate limited",
    36009003: "TikTok internal error",
}


def needs_cipher(path: str) -> bool:
    """False for paths that reject ``shop_cipher`` (reference §1): auth, seller, global product, upload."""
    return not (
        path.startswith(("/authorization/", "/seller/"))
        or "/global_products" in path
        or path.rstrip("/").endswith("/upload")
    )


class TikTokClient:
    """The Open API calls erpsync needs. Results are validated; bad records become RecordErrors."""

    def __init__(
        self,
        base_url: str,
        app_key: str,
        app_secret: str,
        access_token: str,
        *,
        policy: HttpPolicy | None = None,
        clock: Callable[[], float] = time.time,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        name: str = "tiktok",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.name = name
        auth = TikTokAuth(app_key, app_secret, access_token, base_path=urlsplit(self.base_url).path, clock=clock)
        self.http = HttpClient(
            name,
            policy or HttpPolicy(rate_limit_qps=50),
            secrets=(app_secret, access_token),
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
        operation: str | None = None,
        rate_key: str | None = None,
    ) -> dict[str, Any]:
        """Send one signed call and return the envelope's ``data`` (``{}`` when absent)."""
        params = {k: v for k, v in (query or {}).items() if v is not None}
        if cipher and needs_cipher(path):
            params["shop_cipher"] = cipher
        data: bytes | None = None
        headers: dict[str, str] = {}
        if body is not None:
            # serialised once: these exact bytes are both signed and sent
            data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        op = operation or f"{method} {path}"
        response = self.http.request(
            method,
            self.base_url + path,
            params=params,
            data=data,
            headers=headers,
            operation=op,
            rate_key=f"{method} {rate_key or path}",
        )
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

    def _classify(self, response: requests.Response, operation: str) -> ConnectorError | None:
        """Map the envelope to our errors; None lets ``core/http`` map a bare HTTP status."""
        try:
            envelope = response.json()
        except ValueError:
            envelope = None
        status = response.status_code
        if not isinstance(envelope, dict) or "code" not in envelope:
            if status >= 400:
                return None
            return PermanentError(
                "response is not an Open API envelope (is base_url right?)",
                connector=self.name,
                operation=operation,
                status=status,
            )
        try:
            code = int(envelope["code"])
        except (TypeError, ValueError):
            code = -1
        if code == 0:
            return None  # success, or a bare HTTP error the default mapping handles
        server = self.http.redact(str(envelope.get("message") or "")).strip()
        hint = HINTS.get(code, "request failed")
        message = f"{hint}: server said {server!r}" if server else hint
        context: dict[str, Any] = {
            "connector": self.name,
            "operation": operation,
            "request_id": envelope.get("request_id") or None,
            "code": code,
            "status": status,
        }
        if code in TEMPORARY_CODES or status >= 500 or status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            return TemporaryError(message, retry_after=retry_after, **context)
        return PermanentError(message, **context)

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
