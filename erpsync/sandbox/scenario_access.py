"""Load who may call: apps and their tokens, token lifetimes, the scopes an authorisation grants."""

from __future__ import annotations

from typing import Any

from erpsync.sandbox.model import App, Token
from erpsync.sandbox.scenario_values import ScenarioError, parse_duration, parse_time, required
from erpsync.sandbox.world import World


def load_apps(world: World, data: dict[str, Any], now: float) -> None:
    """``apps[]`` with their tokens (times relative to ``now``)."""
    for i, raw in enumerate(required(data, "apps", "scenario", list)):
        where = f"apps[{i}]"
        app = App(required(raw, "app_key", where), required(raw, "app_secret", where))
        for j, tok in enumerate(raw.get("tokens", [])):
            w = f"{where}.tokens[{j}]"
            scopes = tok.get("scopes")
            if scopes is not None and not (isinstance(scopes, list) and all(isinstance(x, str) for x in scopes)):
                raise ScenarioError(f"{w}.scopes: expected a list of scope names or null (= all)")
            refresh_expires = tok.get("refresh_expires_at", "+30d") if tok.get("refresh_token") else None
            token = Token(
                required(tok, "access_token", w),
                parse_time(tok.get("expires_at", "+7d"), now, f"{w}.expires_at"),
                [str(s) for s in required(tok, "shops", w, list)],
                refresh_token=tok.get("refresh_token"),
                refresh_expires_at=None
                if refresh_expires is None
                else parse_time(refresh_expires, now, f"{w}.refresh_expires_at"),
                scopes=scopes,
            )
            app.tokens[token.access_token] = token
        world.apps[app.app_key] = app


def load_token_settings(world: World, data: dict[str, Any]) -> None:
    """Lifetimes of issued tokens and auth codes, and the scopes ``/_sandbox/authorize`` grants."""
    world.access_token_ttl = parse_duration(data.get("access_token_ttl", 7 * 86400), "access_token_ttl")
    world.refresh_token_ttl = parse_duration(data.get("refresh_token_ttl", 30 * 86400), "refresh_token_ttl")
    world.auth_code_ttl = parse_duration(data.get("auth_code_ttl", 1800), "auth_code_ttl")
    scopes = data.get("default_scopes")
    if scopes is not None and not (isinstance(scopes, list) and all(isinstance(s, str) for s in scopes)):
        raise ScenarioError("default_scopes: expected a list of scope names or null (= all)")
    world.default_scopes = scopes
