"""Guards on the TikTok client: a base path in ``base_url`` is left out of the signature, and the
scopes a token refresh grants are what the state store keeps.

Both go through public surfaces only (``TikTokClient.shops``, ``TokenManager.access_token``) over
``responses``, and the expected signature is computed here from the reference's rule, not by
``signing.py``.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses
from open_api_fakes import APP_KEY, NOW, SECRET, TOKEN, Clock, ok

from erpsync.connectors.tiktok.auth import TokenClient, TokenManager
from erpsync.connectors.tiktok.client import TikTokClient
from erpsync.core.http import HttpPolicy
from erpsync.core.ports import TokenRecord
from erpsync.core.store import Store

SHOPS_PATH = "/authorization/202309/shops"  # Get Authorized Shops (202309), Partner Center API reference
SHOPS = {
    "shops": [{"id": "7495", "name": "Demo GB", "region": "GB", "seller_type": "LOCAL", "cipher": "c", "code": "G"}]
}


def signature_of(request: requests.PreparedRequest, api_path: str) -> str:
    """hex HMAC-SHA256(secret, secret + path + sorted key+value pairs + body + secret).

    ``api_path`` is the Open API path (``/authorization/202309/shops``): the documented string to
    sign names the API's path, which a gateway or proxy prefix in front of it is no part of.
    """
    params = {k: v for k, v in parse_qsl(urlsplit(request.url).query) if k not in ("sign", "access_token")}
    body = request.body or b""
    body = body if isinstance(body, bytes) else body.encode()
    text = api_path + "".join(k + params[k] for k in sorted(params))
    message = SECRET.encode() + text.encode() + body + SECRET.encode()
    return hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest()


@pytest.mark.parametrize("base_url", ["https://proxy.test/tiktok-gw", "https://proxy.test/tiktok-gw/"])
@responses.activate
def test_a_base_path_in_base_url_is_sent_but_not_signed(base_url: str) -> None:
    """``base_url = "https://proxy.test/tiktok-gw"``: requests go to the prefixed URL, signed as the API path."""
    responses.get(f"https://proxy.test/tiktok-gw{SHOPS_PATH}", json=ok(SHOPS))
    clock = Clock()
    client = TikTokClient(base_url, APP_KEY, SECRET, TOKEN, policy=HttpPolicy(max_attempts=1), clock=clock)
    try:
        assert [s["id"] for s in client.shops().items] == ["7495"]
    finally:
        client.close()
    (call,) = responses.calls
    assert urlsplit(call.request.url).path == f"/tiktok-gw{SHOPS_PATH}"
    query = dict(parse_qsl(urlsplit(call.request.url).query))
    assert query["timestamp"] == str(NOW)
    assert query["sign"] == signature_of(call.request, SHOPS_PATH)
    assert query["sign"] != signature_of(call.request, f"/tiktok-gw{SHOPS_PATH}")


# -- the scopes a refresh grants ----------------------------------------------------------------

AUTH = "https://auth.test"
T_NOW = datetime.fromtimestamp(NOW, tz=UTC)


@responses.activate
def test_the_scopes_a_refresh_grants_are_stored(tmp_path: Path) -> None:
    """The seller granted more scopes since the first authorisation: the refresh answer lists them."""
    granted = ["seller.authorization.info", "seller.logistics", "seller.fulfillment.basic"]
    responses.get(
        f"{AUTH}/api/v2/token/refresh",
        json=ok(
            {
                "access_token": "ROW_new-access",
                "access_token_expire_in": NOW + 7 * 86400,
                "refresh_token": "ROW_new-refresh",
                "refresh_token_expire_in": NOW + 60 * 86400,
                "open_id": "open-1",
                "seller_name": "Demo Seller",
                "seller_base_region": "GB",
                "granted_scopes": granted,
            }
        ),
    )
    old = TokenRecord(
        access_token="ROW_old-access",
        access_token_expires_at=T_NOW + timedelta(minutes=10),  # inside the refresh margin
        refresh_token="ROW_old-refresh",
        refresh_token_expires_at=T_NOW + timedelta(days=30),
        seller_name="Demo Seller",
        seller_base_region="GB",
        granted_scopes=("seller.logistics",),
    )
    with Store.open(f"sqlite:///{tmp_path}/state.db") as store:
        store.tokens.put("acme", old, now=T_NOW)
        token_client = TokenClient(AUTH, APP_KEY, SECRET, policy=HttpPolicy(max_attempts=1), shop="acme")
        manager = TokenManager(
            "acme", store.tokens, token_client, refresh_margin=timedelta(hours=1), clock=lambda: T_NOW
        )
        assert manager.access_token() == "ROW_new-access"
        stored = store.tokens.get("acme")
    assert len(responses.calls) == 1
    assert stored is not None and stored.access_token == "ROW_new-access"
    assert tuple(stored.granted_scopes) == tuple(granted)
