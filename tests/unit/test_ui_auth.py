"""The status page's login: token check, signed session cookie, CSRF token per session."""

from __future__ import annotations

import hmac

import pytest

from erpsync.ui import auth as auth_module
from erpsync.ui.auth import Auth

TOKEN = "s3cret-token-for-tests"


def test_token_check() -> None:
    auth = Auth(TOKEN)
    assert auth.enabled and auth.token_ok(TOKEN)
    for wrong in ("", TOKEN[:-1], TOKEN + "x", TOKEN.upper(), "密码"):
        assert not auth.token_ok(wrong)


def test_token_compared_with_compare_digest(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a, b):  # type: ignore[no-untyped-def]
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth_module.hmac, "compare_digest", spy)
    assert not Auth(TOKEN).token_ok("guess")
    assert seen == [(b"guess", TOKEN.encode())]


def test_no_token_means_nobody_logs_in() -> None:
    auth = Auth("")
    assert not auth.enabled and not auth.token_ok("") and not auth.token_ok("anything")
    assert auth.session(Auth("", key=b"k").new_session()) is None


def test_session_cookie_is_signed() -> None:
    auth = Auth(TOKEN, key=b"k" * 32)
    cookie = auth.new_session()
    sid = auth.session(cookie)
    assert sid is not None and cookie.startswith(sid + ".")
    assert TOKEN not in cookie
    assert auth.session(cookie[:-1] + ("0" if cookie[-1] != "0" else "1")) is None
    assert auth.session("forged." + cookie.rpartition(".")[2]) is None
    assert auth.session(sid) is None and auth.session("") is None and auth.session(None) is None
    assert Auth(TOKEN, key=b"j" * 32).session(cookie) is None  # another server start's key


def test_csrf_token_belongs_to_its_session() -> None:
    auth = Auth(TOKEN, key=b"k" * 32)
    one, two = auth.session(auth.new_session()), auth.session(auth.new_session())
    assert one and two and one != two
    assert auth.csrf_ok(one, auth.csrf(one))
    assert not auth.csrf_ok(one, auth.csrf(two))
    assert not auth.csrf_ok(None, auth.csrf(one)) and not auth.csrf_ok(one, None) and not auth.csrf_ok(one, "")


def test_non_ascii_in_a_cookie_or_a_csrf_field_is_refused_not_an_error() -> None:
    """``hmac.compare_digest`` raises on non-ASCII ``str``: anyone could send it and get a 500."""
    auth = Auth(TOKEN, key=b"k" * 32)
    sid = auth.session(auth.new_session())
    assert auth.session("a.é") is None and auth.session("会话.签名") is None
    assert not auth.csrf_ok(sid, "令牌") and not auth.csrf_ok(sid, "\udcff")


def test_a_logged_out_session_s_cookie_no_longer_logs_in() -> None:
    """The cookie is signed: without this, a copy of it stayed valid after logout until a restart."""
    auth = Auth(TOKEN, key=b"k" * 32)
    cookie = auth.new_session()
    sid = auth.session(cookie)
    assert sid is not None
    auth.end(sid)
    assert auth.session(cookie) is None and auth.session(auth.new_session()) is not None
