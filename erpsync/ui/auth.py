"""Login for the status page: the configured token → a signed session cookie, and a CSRF token.

There are no user accounts: whoever knows ``[service.ui] token`` may act. The token is compared
in constant time (``hmac.compare_digest``). A login gets a random session id; the cookie carries
it with an HMAC over it, keyed by a secret drawn when the server starts (so a restart logs
everyone out, and the token itself never travels in a cookie). Each form carries a CSRF token,
the HMAC of the session id under a second purpose, checked on every POST: a page on another site
can make the browser send the cookie, but cannot read the CSRF token to put in its form. The
cookie is ``HttpOnly`` and ``SameSite=Strict`` as well.

The token typed at login loses its surrounding whitespace before the comparison, as the
configured one did when the config was read (``clean_credential``): a token pasted from a
terminal or a password manager often brings a trailing newline or space along, and the
configured token never keeps one, so with it no login could match.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

COOKIE = "erpsync_session"


def _mac(key: bytes, purpose: str, value: str) -> str:
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


class Auth:
    """Checks the token, signs and reads session cookies, makes and checks CSRF tokens."""

    def __init__(self, token: str, *, key: bytes | None = None) -> None:
        self._token = token.encode()
        self._key = key if key is not None else secrets.token_bytes(32)
        #: sessions logged out: their cookies (signed, so valid until the key changes) are refused
        self._ended: set[str] = set()

    @property
    def enabled(self) -> bool:
        """Whether a token is configured; without one the page is read-only for everyone."""
        return bool(self._token)

    def token_ok(self, given: str) -> bool:
        """Whether ``given``, without surrounding whitespace, is the configured token, in time
        independent of where they differ."""
        return self.enabled and hmac.compare_digest(given.strip().encode(), self._token)

    def new_session(self) -> str:
        """A cookie value for a fresh login: ``session-id.signature``."""
        sid = secrets.token_urlsafe(24)
        return f"{sid}.{_mac(self._key, 'session', sid)}"

    def session(self, cookie: str | None) -> str | None:
        """The session id a cookie carries, or None if there is none or its signature is wrong."""
        if not self.enabled or not cookie or "." not in cookie:
            return None
        sid, _, sig = cookie.rpartition(".")
        return sid if _same(sig, _mac(self._key, "session", sid)) and sid not in self._ended else None

    def end(self, sid: str) -> None:
        """Log session ``sid`` out: a copy of its cookie no longer logs anyone in."""
        self._ended.add(sid)

    def csrf(self, sid: str) -> str:
        """The CSRF token of session ``sid``: every form of that session carries it."""
        return _mac(self._key, "csrf", sid)

    def csrf_ok(self, sid: str | None, given: str | None) -> bool:
        """Whether a POST from session ``sid`` carried that session's CSRF token."""
        return sid is not None and given is not None and _same(given, self.csrf(sid))


def _same(given: str, expected: str) -> bool:
    """``hmac.compare_digest`` over UTF-8 bytes: on ``str`` it raises for non-ASCII text, which
    anyone can send in a cookie or a form field (a 500 for a visitor)."""
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode())
