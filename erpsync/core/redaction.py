"""Keeping secrets out of logs and error text: one redaction rule for every message erpsync builds.

A secret is hidden wherever it appears, also in its percent-encoded forms (that is how it shows
in a URL), and any value of a well-known secret query parameter (``access_token=...``) is hidden
even when its value is not known. urllib3 logs each request line (query string included) at
DEBUG, which ``erpsync -vv`` turns on, so importing this module installs
:class:`RedactingFilter` on urllib3's loggers.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

#: query parameter names whose values are always hidden, whatever the secrets list says
SECRET_PARAMS = frozenset(
    {
        "access_token",
        "refresh_token",
        "app_secret",
        "client_secret",
        "secret",
        "password",
        "api_key",
        "auth_code",  # single use, but worth a token to whoever reads the log first
        "code",
        # a request signature (TikTok's HMAC of the request): it reveals no key, but whoever reads
        # it can replay that very request while its timestamp is valid
        "sign",
    }
)
_SECRET_PARAM_RE = re.compile(r"(?i)\b(" + "|".join(sorted(SECRET_PARAMS)) + r")=([^&\s'\"#]+)")
#: the password of a URL's user info (``http://user:password@host``), whatever its value
_URL_PASSWORD_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]*):([^/\s@]+)@")
MASK = "***"


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Replace every secret value, every ``access_token=...``-style query value and every URL's
    password (``http://user:password@host``) by ``***``.

    A secret is also hidden in its percent-encoded forms, because that is how it appears in a URL
    (``a+b/`` is sent as ``a%2Bb%2F``): an exception or log line quoting the URL would otherwise
    show it. So are its escaped forms (``repr``, JSON) and, when it has surrounding whitespace, the
    part without it: ``requests`` quotes a header value it refuses by its ``repr``, so a token read
    with a trailing newline shows as ``tok\\n``. Longer forms are replaced first so a secret
    containing another is hidden whole.
    """
    for form in _secret_forms(tuple(s for s in secrets if s)):
        text = text.replace(form, MASK)
    text = _URL_PASSWORD_RE.sub(lambda m: f"{m.group(1)}:{MASK}@", text)
    return _SECRET_PARAM_RE.sub(lambda m: f"{m.group(1)}={MASK}", text)


def quoted(text: str, redact: Callable[[str], str], limit: int) -> str:
    """A remote answer as an error quotes it: on one line, redacted, then cut to ``limit``
    characters. Redacted first: a secret the cut split would no longer be found whole, and its
    head would show."""
    return redact(" ".join(text[: limit * 20].split()))[:limit]


@lru_cache(maxsize=256)
def _secret_forms(secrets: tuple[str, ...]) -> tuple[str, ...]:
    """Each secret raw, without surrounding whitespace, as ``quote``/``quote_plus`` encode it and
    as ``repr`` and JSON escape it, and the parts of a secret URL that are sent without the rest
    (``_url_parts``), longest first (cached: hot path)."""
    whole = {*secrets, *(part for s in secrets for part in _url_parts(s))}
    whole |= {s.strip() for s in whole if s.strip()}
    forms = {f for s in whole for f in (s, quote(s, safe=""), quote(s), quote_plus(s), *_escaped(s))}
    return tuple(sorted(forms, key=len, reverse=True))


def _escaped(secret: str) -> tuple[str, ...]:
    """How a message that quotes ``secret`` escaped may show it: between the quotes of its
    ``repr`` (and of a ``repr`` nested once more, as a ``repr`` of a list or an exception shows it),
    ``unicode_escape``, and JSON with and without ``ensure_ascii``."""
    forms = [repr(secret)[1:-1], secret.encode("unicode_escape").decode("ascii")]
    forms.append(repr(forms[0])[1:-1])
    forms += [json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]]
    return tuple(f for f in forms if f)


#: a URL's part shorter than this is not hidden alone: too likely to be a word of the message
_MIN_PART = 8


def _url_parts(secret: str) -> set[str]:
    """The parts of a secret URL that show without the rest: its request target (path and query,
    as urllib3's DEBUG line ``POST /cgi-bin/webhook/send?key=... HTTP/1.1`` quotes it) and each
    query value. A chat robot's URL is its credential, held in the path (Slack, Feishu) or in a
    query value (WeCom's ``key``, DingTalk's ``access_token``)."""
    try:
        parts = urlsplit(secret)
    except ValueError:
        return set()
    if not (parts.scheme and parts.netloc):
        return set()
    found = {value for _name, value in parse_qsl(parts.query) if len(value) >= _MIN_PART}
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    if len(target.strip("/")) >= _MIN_PART:
        found.add(target)
    return found


class RedactingFilter(logging.Filter):
    """Rewrites a log record so secret query values (``app_secret=...``) read ``***``.

    Installed on urllib3's loggers, whose DEBUG lines quote full request URLs. It knows no secret
    values, only :data:`SECRET_PARAMS`, which is enough for URLs: every secret erpsync sends in a
    query string travels under one of those names. Never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logging's problem to report, not ours
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


#: urllib3 loggers that may print a URL; a logger filter only sees records logged to that very
#: logger (not those propagated from its children), so each one gets the filter
URLLIB3_LOGGERS = (
    "urllib3",
    "urllib3.connectionpool",
    "urllib3.poolmanager",
    "urllib3.connection",
    "urllib3.response",
    "urllib3.util.retry",
)


def install_log_redaction(names: Iterable[str] = URLLIB3_LOGGERS) -> None:
    """Put one :class:`RedactingFilter` on each named logger; calling it again adds none."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())


install_log_redaction()
