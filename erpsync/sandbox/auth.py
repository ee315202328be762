"""Checks every emulated-API call the way the gateway does, before any handler runs.

Order: duplicate params, app_key, timestamp window (REAL clock), sign, access token (unknown,
expired or replaced by a refresh), granted scope, shop_cipher. Codes and HTTP statuses follow
docs/open-api-slice.md and docs/open-api-full.md §1.

Scopes: the sandbox names one scope per API family (the real ones are Partner Center "packages");
a token's ``scopes`` (None = all) must hold the scope of the called path, else 403/105005:

====================  ==============================
path prefix           scope
====================  ==============================
``/authorization/``   ``seller.authorization.info``
``/logistics/``       ``seller.logistics``
``/fulfillment/``     ``seller.fulfillment.basic``
``/order/``           ``seller.order.info``
``/product/``         ``seller.product.basic``
====================  ==============================
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from werkzeug.wrappers import Request

from erpsync.sandbox.envelope import (
    BAD_REQUEST,
    BAD_SIGN,
    CIPHER_MISMATCH,
    MISSING_CIPHER,
    SCOPE_NOT_GRANTED,
    TOKEN_EXPIRED,
    SandboxError,
)
from erpsync.sandbox.model import App, Shop, Token
from erpsync.sandbox.signing import verify_sign
from erpsync.sandbox.world import World

#: Accepted clock skew of ``timestamp`` against the real wall clock, in seconds.
PAST_WINDOW = 300
FUTURE_WINDOW = 30

SCOPES: dict[str, str] = {
    "/authorization/": "seller.authorization.info",
    "/logistics/": "seller.logistics",
    "/fulfillment/": "seller.fulfillment.basic",
    "/order/": "seller.order.info",
    "/product/": "seller.product.basic",
}
ALL_SCOPES: list[str] = list(SCOPES.values())


def required_scope(path: str) -> str | None:
    """The scope a signed call to ``path`` needs (None for a path outside every family)."""
    return next((scope for prefix, scope in SCOPES.items() if path.startswith(prefix)), None)


@dataclass
class Caller:
    """Who is calling: app, token, and the shop chosen by ``shop_cipher`` (None on /authorization)."""

    app: App
    token: Token
    shop: Shop | None


def single_params(request: Request) -> dict[str, str]:
    """The query as a flat dict; a repeated key is rejected since its signature is undefined."""
    params: dict[str, str] = {}
    for key, values in request.args.lists():
        if len(values) > 1:
            raise SandboxError(400, BAD_REQUEST, f"query parameter '{key}' is repeated; join values with ','")
        params[key] = values[0]
    return params


def authenticate(request: Request, world: World, *, authorization_path: bool) -> Caller:
    """Verify the common parameters; raise :class:`SandboxError` with the gateway's code on failure."""
    params = single_params(request)
    app = world.apps.get(params.get("app_key", ""))
    if app is None:
        raise SandboxError(401, BAD_REQUEST, "Invalid app_key: missing or unknown")

    raw_ts = params.get("timestamp", "")
    if not (raw_ts.isascii() and raw_ts.isdigit()):
        raise SandboxError(401, BAD_REQUEST, "Invalid timestamp: missing or not Unix seconds")
    now = time.time()
    if not now - PAST_WINDOW <= int(raw_ts) <= now + FUTURE_WINDOW:
        raise SandboxError(
            401,
            BAD_REQUEST,
            f"Invalid timestamp: {raw_ts} is outside now-{PAST_WINDOW}s..now+{FUTURE_WINDOW}s",
        )

    content_type = request.headers.get("Content-Type", "")
    body = request.get_data(cache=True)
    if not verify_sign(
        app.app_secret,
        request.path,
        params,
        params.get("sign"),
        body,
        multipart=content_type.lower().startswith("multipart/form-data"),
    ):
        raise SandboxError(401, BAD_SIGN, "Invalid sign: the signature does not match the request")

    access_token = request.headers.get("x-tts-access-token", "")
    if not access_token:
        raise SandboxError(401, BAD_REQUEST, "Invalid access token: header x-tts-access-token is missing")
    token = app.tokens.get(access_token)
    if token is None:
        raise SandboxError(401, BAD_REQUEST, "Invalid access token: unknown to this app")
    if token.expires_at <= now:
        raise SandboxError(401, TOKEN_EXPIRED, "Access token expired")
    if token.replaced:
        raise SandboxError(401, TOKEN_EXPIRED, "Access token expired: a refresh replaced it, use the new one")
    scope = required_scope(request.path)
    if scope is not None and token.scopes is not None and scope not in token.scopes:
        raise SandboxError(
            403,
            SCOPE_NOT_GRANTED,
            f"Scope {scope} not granted to this access token: apply for its package in Partner Center "
            "and re-authorise the shop",
        )

    cipher = params.get("shop_cipher")
    if authorization_path:
        if cipher is not None:
            raise SandboxError(400, BAD_REQUEST, "Invalid params: shop_cipher must not be sent to /authorization")
        return Caller(app, token, None)
    if not cipher:
        raise SandboxError(400, MISSING_CIPHER, "shop_cipher is required for this API")
    shop = next((s for s in world.shops.values() if s.cipher == cipher), None)
    if shop is None or shop.id not in token.shop_ids:
        raise SandboxError(403, CIPHER_MISMATCH, "shop_cipher does not belong to a shop of this access token")
    return Caller(app, token, shop)
