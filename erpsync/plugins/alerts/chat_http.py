"""The HTTP part every chat sink shares: one session, fixed timeouts, and how a failure is named.

Chat robots are reached at a URL that is itself the credential (DingTalk's ``access_token``,
WeCom's ``key``, Feishu's and Slack's hook path), so no error text ever quotes the URL: errors
name the sink type and the host, and any answer text quoted is first cleared of the sink's
secrets. There are no automatic retries here: the outbox retries across runs, honouring
``retry_after``, so a sink call is one attempt that fails fast with the right error type.

The body is sent as UTF-8 JSON (``ensure_ascii=False``): ``\\uXXXX`` escapes would count six bytes
per Chinese character against a channel's byte limit instead of three.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from erpsync.core.errors import PermanentError, TemporaryError
from erpsync.core.http import parse_retry_after
from erpsync.core.redaction import redact

#: (connect, read) seconds; Standard Webhooks advises a 15-30 s wait for an answer
TIMEOUT = (5.0, 15.0)

#: how much of an answer an error message quotes
_QUOTE = 200


def json_bytes(body: Mapping[str, Any]) -> bytes:
    """``body`` exactly as ``post_json`` sends it, for a sink that must keep the whole body under a limit."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class ChatHttp:
    """One ``requests.Session`` for one sink instance; ``post_json`` is one attempt, never retried."""

    def __init__(self, sink_type: str, secrets: Iterable[str | None]) -> None:
        self.sink_type = sink_type
        self.secrets = tuple(s for s in secrets if s)
        self.session = requests.Session()

    def close(self) -> None:
        self.session.close()

    def scrub(self, text: str) -> str:
        """``text`` without the sink's secrets (URL, token, signing secret) and short enough to quote."""
        cleaned = redact(text, self.secrets)
        return cleaned if len(cleaned) <= _QUOTE else cleaned[:_QUOTE] + "…"

    def temporary(self, message: str, *, host: str, **kw: Any) -> TemporaryError:
        return TemporaryError(f"{host}: {self.scrub(message)}", connector=self.sink_type, operation="send", **kw)

    def permanent(self, message: str, *, host: str, **kw: Any) -> PermanentError:
        return PermanentError(f"{host}: {self.scrub(message)}", connector=self.sink_type, operation="send", **kw)

    def post_json(
        self, url: str, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> requests.Response:
        """POST ``body`` as UTF-8 JSON; connection trouble and timeouts become ``TemporaryError``.

        The response comes back whatever its status: channels put their error code in the body
        of a 4xx as well as of a 200, so the sink reads the body first (see ``check_status``).
        """
        host = host_of(url)
        data = json_bytes(body)
        sent = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        try:
            return self.session.post(url, data=data, headers=sent, timeout=TIMEOUT, allow_redirects=False)
        except requests.Timeout as exc:
            raise self.temporary(f"no answer in time ({type(exc).__name__})", host=host) from None
        except requests.RequestException as exc:
            raise self.temporary(f"could not connect ({type(exc).__name__})", host=host) from None

    def check_status(self, response: requests.Response) -> None:
        """Raise for a non-2xx answer: 429 and 5xx are temporary (``Retry-After`` honoured), other 4xx permanent."""
        status = response.status_code
        if 200 <= status < 300:
            return
        host = host_of(response.url or "")
        said = response.text.strip()
        message = f"HTTP {status}" + (f": {said}" if said else "")
        if status == 429:
            retry = parse_retry_after(response.headers.get("Retry-After"))
            raise self.temporary(f"rate limited; {message}", host=host, status=status, retry_after=retry)
        if status >= 500:
            retry = parse_retry_after(response.headers.get("Retry-After"))
            raise self.temporary(message, host=host, status=status, retry_after=retry)
        raise self.permanent(message, host=host, status=status)

    def answer_code(self, response: requests.Response, *names: str) -> tuple[int, dict[str, Any]]:
        """The channel's code from the first of ``names`` in the JSON answer, and the answer.

        The body is read before the status, since channels send their code with a 4xx too. An
        answer without a code is judged by its HTTP status; a 2xx without one is temporary (a
        proxy's page or a cut body is not a delivery).
        """
        try:
            data = response.json()
        except ValueError:
            data = None
        code = body_code(data, *names) if isinstance(data, dict) else None
        if isinstance(data, dict) and code is not None:
            return code, data
        self.check_status(response)
        raise self.temporary(
            f"answer without {'/'.join(names)} (HTTP {response.status_code}): {response.text.strip()}",
            host=host_of(response.url or ""),
            status=response.status_code,
        )


def host_of(url: str) -> str:
    """The host of ``url``: all an error may say about where a sink sends."""
    return urlsplit(url).hostname or "?"


def body_code(data: Mapping[str, Any], *names: str) -> int | None:
    """The first of ``names`` present in ``data`` as an int (channels send ``0`` or ``"0"``), else None."""
    for name in names:
        value = data.get(name)
        if value is None:
            continue
        try:
            return int(value)
        except (TypeError, ValueError):
            return None
    return None


def url_secrets(url: str) -> list[str]:
    """The parts of a robot URL that are credentials: the URL, its path, each path segment and query value.

    The whole URL is the credential of a chat robot; its parts are listed too, so an answer that
    quotes only the token or the path is cleared as well. Short parts (``v2``, ``bot``) would
    mask ordinary words, so only parts of 16 characters or more count.
    """
    parts = urlsplit(url)
    pieces = [url, parts.path, *parts.path.split("/")]
    pieces += [pair.partition("=")[2] for pair in parts.query.split("&")]
    return [p for p in pieces if len(p) >= 16]
