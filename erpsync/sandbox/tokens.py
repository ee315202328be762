"""Authorisation: auth codes, the token endpoints and forced expiry (docs/open-api-full.md §1).

``GET /api/v2/token/get`` and ``GET /api/v2/token/refresh`` are unsigned (the app secret travels
in the query) and, like the real auth host, answer HTTP 200 even on errors: 36004004 bad, used or
expired auth code; 36004005 unknown refresh token; 36004001 expired refresh token; 36009004 wrong
app_key/app_secret or grant_type.

All expiry uses the REAL clock, as the gateway's token checks do, because clients compare
``*_expire_in`` with their own wall clock. A refresh issues a new access token and keeps the
refresh token (and its expiry); the replaced access token answers 401/105002 from then on, so a
client holding it refreshes once and recovers. With the ``rotate_refresh_tokens`` setting on, a
refresh also issues a NEW refresh token (expiring ``refresh_token_ttl`` from now) and the old one
answers 36004005 from then on, so a client must store the refresh token every refresh returns.

Admin helpers (routed by admin_seller): ``GET /_sandbox/authorize?app_key=&shop_id=[&scopes=a,b]``
stands in for the seller clicking "authorise" and returns a single-use code; ``POST
/_sandbox/tokens/expire {"access_token"|"refresh_token": ...}`` makes a token expire now.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import Any

from werkzeug.wrappers import Request

from erpsync.sandbox.auth import ALL_SCOPES, single_params
from erpsync.sandbox.envelope import (
    BAD_AUTH_CODE,
    BAD_REQUEST,
    NO_AUTH_RECORD,
    REFRESH_EXPIRED,
    UNKNOWN_PATH,
    SandboxError,
)
from erpsync.sandbox.model import App, AuthCode, Token
from erpsync.sandbox.state import SandboxState, StateError

TOKEN_GET = "/api/v2/token/get"
TOKEN_REFRESH = "/api/v2/token/refresh"


def _fail(code: int, message: str) -> SandboxError:
    return SandboxError(200, code, message)


def _app(state: SandboxState, params: dict[str, str], grant_type: str) -> App:
    app = state.world.apps.get(params.get("app_key", ""))
    secret = params.get("app_secret", "")
    if app is None or not hmac.compare_digest(app.app_secret.encode(), secret.encode()):
        raise _fail(BAD_REQUEST, "Invalid app_key or app_secret")
    if params.get("grant_type") != grant_type:
        raise _fail(BAD_REQUEST, f"Invalid grant_type: expected {grant_type}")
    return app


def _grant(state: SandboxState, token: Token) -> dict[str, Any]:
    shop = state.world.shops.get(token.shop_ids[0]) if token.shop_ids else None
    return {
        "access_token": token.access_token,
        "access_token_expire_in": token.expires_at,
        "refresh_token": token.refresh_token,
        "refresh_token_expire_in": token.refresh_expires_at,
        "open_id": hashlib.sha256(f"open:{shop.id if shop else ''}".encode()).hexdigest()[:32],
        "seller_name": shop.name if shop else "",
        "seller_base_region": ("CN" if shop.seller_type == "CROSS_BORDER" else shop.region) if shop else "",
        "user_type": 0,
        "granted_scopes": list(ALL_SCOPES if token.scopes is None else token.scopes),
    }


def _issue(state: SandboxState, app: App, template: Token | None, **fields: Any) -> Token:
    """A new token; from ``template`` (a refresh) it keeps the refresh token unless rotation is on."""
    now = int(time.time())
    keep_refresh = template is not None and not state.world.rotate_refresh_tokens
    token = Token(
        access_token=f"TTP_{secrets.token_urlsafe(24)}",
        expires_at=now + state.world.access_token_ttl,
        shop_ids=list(template.shop_ids) if template else fields["shop_ids"],
        refresh_token=template.refresh_token if keep_refresh and template else f"TTP_{secrets.token_urlsafe(24)}",
        refresh_expires_at=(
            template.refresh_expires_at if keep_refresh and template else now + state.world.refresh_token_ttl
        ),
        scopes=template.scopes if template else fields["scopes"],
    )
    app.tokens[token.access_token] = token
    return token


def get_token(state: SandboxState, params: dict[str, str]) -> dict[str, Any]:
    """Exchange a single-use auth code for an access/refresh token pair."""
    app = _app(state, params, "authorized_code")
    code = state.world.auth_codes.get(params.get("auth_code", ""))
    if code is None or code.app_key != app.app_key:
        raise _fail(BAD_AUTH_CODE, "Invalid auth_code: unknown to this app")
    if code.used:
        raise _fail(BAD_AUTH_CODE, "Invalid auth_code: already used (codes are single use)")
    if code.expires_at <= time.time():
        raise _fail(BAD_AUTH_CODE, "Invalid auth_code: expired (codes are valid 30 minutes)")
    code.used = True
    return _grant(state, _issue(state, app, None, shop_ids=[code.shop_id], scopes=code.scopes))


def refresh_token(state: SandboxState, params: dict[str, str]) -> dict[str, Any]:
    """A new access token for a refresh token; the replaced access token (and, rotating, refresh token) stop working."""
    app = _app(state, params, "refresh_token")
    given = params.get("refresh_token", "")
    old = next((t for t in app.tokens.values() if given and t.refresh_token == given and not t.replaced), None)
    if old is None:
        raise _fail(NO_AUTH_RECORD, "No authorization record for this refresh_token")
    if old.refresh_expires_at is not None and old.refresh_expires_at <= time.time():
        raise _fail(REFRESH_EXPIRED, "refresh_token expired: the seller must authorise the app again")
    new = _issue(state, app, old)
    old.replaced = True
    return _grant(state, new)


TOKEN_HANDLERS = {TOKEN_GET: get_token, TOKEN_REFRESH: refresh_token}


def token_call(state: SandboxState, request: Request) -> dict[str, Any]:
    """Run the token endpoint for ``request.path`` (GET only) under the state lock."""
    if request.method != "GET":
        raise SandboxError(404, UNKNOWN_PATH, f"Unknown API path or method: {request.method} {request.path}")
    params = single_params(request)
    with state.lock:
        return TOKEN_HANDLERS[request.path](state, params)


# -- admin ------------------------------------------------------------------------------------


def authorize(state: SandboxState, args: dict[str, str]) -> dict[str, Any]:
    """Issue an auth code for (app_key, shop_id), as the seller's "authorise" click would."""
    app = state.world.apps.get(args.get("app_key", ""))
    if app is None:
        raise StateError("app_key: unknown app", status=404)
    shop_id = args.get("shop_id", "")
    if shop_id not in state.world.shops:
        raise StateError("shop_id: unknown shop", status=404)
    scopes = state.world.default_scopes
    if args.get("scopes") is not None:
        scopes = [s for s in args["scopes"].split(",") if s]
    code = AuthCode(
        f"SBX{secrets.token_hex(16)}", app.app_key, shop_id, scopes, int(time.time()) + state.world.auth_code_ttl
    )
    state.world.auth_codes[code.code] = code
    return {"code": code.code, "expires_at": code.expires_at, "shop_id": shop_id, "scopes": scopes}


def expire(state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
    """Make an access token, a refresh token or an auth code expire one second ago (real clock)."""
    past = int(time.time()) - 1
    tokens = [t for a in state.world.apps.values() for t in a.tokens.values()]
    hit: list[Token] | list[AuthCode]
    if "access_token" in body:
        hit = [t for t in tokens if t.access_token == body["access_token"]]
        for t in hit:
            t.expires_at = past
    elif "refresh_token" in body:
        hit = [t for t in tokens if t.refresh_token == body["refresh_token"]]
        for t in hit:
            t.refresh_expires_at = past
    elif "auth_code" in body:
        code = state.world.auth_codes.get(str(body["auth_code"]))
        hit = [code] if code else []
        if code:
            code.expires_at = past
    else:
        raise StateError('give one of "access_token", "refresh_token" or "auth_code"')
    if not hit:
        raise StateError("no such token or code", status=404)
    return {"expired": len(hit), "at": past}
