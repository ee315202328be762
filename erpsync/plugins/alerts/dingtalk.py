"""The ``dingtalk`` sink: a DingTalk group's custom robot (自定义机器人), markdown messages.

A robot has one of three security settings: a signing secret (``SEC…``), keywords, or an IP
allow-list. With a secret every send carries ``timestamp`` (ms) and ``sign`` in the query,
computed afresh: DingTalk refuses a timestamp more than an hour old, so a URL signed once and
reused stops working. The query is built here, not by ``requests``' ``params=``, which would
percent-encode the already encoded ``sign`` a second time (``%252B``) and be refused (310000).
With keywords, ``keyword`` is put at the start of every title and text, so the robot's check
passes. DingTalk answers HTTP 200 even for a refusal; the body's ``errcode`` says what happened.

DingTalk refuses a request whose body is over 20 000 bytes (460101), counted on the JSON as
sent, where every newline and quote of the text is escaped to two bytes: so the text is cut until
the serialised body fits, not to a byte count of its own. Facts and sources: ``docs/alerts.md``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from marshmallow import Schema, fields, validate

from erpsync.plugins import hookimpl
from erpsync.plugins.alerts import message
from erpsync.plugins.alerts.base import AlertEvent, AlertSink
from erpsync.plugins.alerts.chat_http import ChatHttp, host_of, json_bytes, url_secrets

#: errcode: signature, timestamp or keyword refused; retrying the same message cannot pass
SIGN_OR_KEYWORD = 310000
#: errcode: more than 20 messages a minute; DingTalk then blocks the robot for 10 minutes
TOO_FAST = 130101
#: seconds to wait after TOO_FAST: the 10-minute block
TOO_FAST_WAIT = 600.0
#: errcode: "系统繁忙" (system busy), DingTalk's global code for "try again later" (docs/alerts.md)
BUSY = -1
#: seconds to wait after BUSY: the docs say "later" without a figure; a minute is a guess
BUSY_WAIT = 60.0
#: errcode: "message too long, exceed 20000 bytes": the request body is over MAX_BODY_BYTES
TOO_LONG = 460101
#: bytes of the whole JSON request body DingTalk takes (460101 above it; docs/alerts.md)
MAX_BODY_BYTES = 20000


class DingTalkOptions(Schema):
    url = fields.String(
        required=True,
        validate=validate.URL(schemes={"https", "http"}, require_tld=False),
        metadata={"description": "the robot's Webhook URL, with access_token (a secret)"},
    )
    secret = fields.String(
        load_default=None,
        validate=validate.Regexp(r"^SEC\S+$", error="DingTalk signing secrets start with SEC"),
        metadata={"description": "the robot's signing secret (加签, SEC…); omit for keyword or IP security"},
    )
    at_mobiles = fields.List(fields.String(), load_default=list, metadata={"description": "mobiles to @"})
    keyword = fields.String(
        load_default=None, metadata={"description": "the robot's security keyword, put at the start of every message"}
    )


def sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature, base64, not yet URL-encoded: HMAC-SHA256(key=secret, msg=f"{ts}\\n{secret}")."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    """``url`` with ``timestamp`` and ``sign`` appended, the signature percent-encoded exactly once."""
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}timestamp={timestamp_ms}&sign={quote(sign(secret, timestamp_ms), safe='')}"


class DingTalkSink(AlertSink):
    type = "dingtalk"
    description = "DingTalk group robot (markdown; signed URL with a SEC… secret, or keyword/IP security)"
    Options = DingTalkOptions
    secret_options = ("url", "secret")
    rate_limit = (20, 60.0)

    def __init__(self, options: dict[str, Any], *, base_dir: Path, clock: Callable[[], float] = time.time) -> None:
        super().__init__(options, base_dir=base_dir)
        self._clock = clock
        self.http = ChatHttp(self.type, [*url_secrets(options["url"]), options.get("secret")])

    def send(self, event: AlertEvent) -> str:
        text = message.markdown(event)
        return self._send(message.title(event), lambda room: message.truncate_bytes(text, room, lang=event.lang))

    def send_digest(self, events: list[AlertEvent]) -> str | None:
        if not events:
            return None
        return self._send(message.digest_title(events), lambda room: message.digest_markdown(events, limit=room))

    def rate_key(self) -> str:
        """The robot's URL: DingTalk counts its limit per robot, so two sinks on one share it."""
        return str(self.options["url"])

    def close(self) -> None:
        self.http.close()

    def _body(self, title: str, text: str) -> dict[str, Any]:
        """The request body for ``text``: the keyword put first, the @ line last."""
        keyword = self.options["keyword"]
        mobiles = self.options["at_mobiles"]
        if keyword:
            title, text = f"{keyword} {title}", f"{keyword} {text}"
        if mobiles:
            # DingTalk notifies an @ only when the text also names the mobile.
            text += "\n\n" + " ".join(f"@{m}" for m in mobiles)
        return {
            "msgtype": "markdown",
            "markdown": {"title": title, "text": text},
            "at": {"atMobiles": list(mobiles), "isAtAll": False},
        }

    def fit(self, title: str, text_in: Callable[[int], str]) -> dict[str, Any]:
        """The body with the longest text ``text_in(room)`` whose serialised JSON is at most MAX_BODY_BYTES.

        The escapes JSON adds (two bytes for a newline or a quote) are only known once serialised,
        so the room is searched for (halving, about 15 rounds) rather than worked out from the text.
        """

        def body_of(room: int) -> tuple[dict[str, Any], bool]:
            body = self._body(title, text_in(room))
            return body, len(json_bytes(body)) <= MAX_BODY_BYTES

        most = max(MAX_BODY_BYTES - len(json_bytes(self._body(title, ""))), 0)
        body, fits = body_of(most)
        if fits:
            return body
        best, low, high = body_of(0)[0], 0, most - 1
        while low <= high:
            middle = (low + high) // 2
            body, fits = body_of(middle)
            if fits:
                best, low = body, middle + 1
            else:
                high = middle - 1
        return best

    def _send(self, title: str, text_in: Callable[[int], str]) -> str:
        body = self.fit(title, text_in)
        url = self.options["url"]
        if self.options["secret"]:
            url = signed_url(url, self.options["secret"], round(self._clock() * 1000))
        response = self.http.post_json(url, body)
        code, data = self.http.answer_code(response, "errcode")
        return self._read(code, str(data.get("errmsg", "")), host_of(url))

    def _read(self, code: int, said: str, host: str) -> str:
        if code == 0:
            return f"errcode 0 {said}".strip()
        if code == TOO_FAST:
            raise self.http.temporary(f"sending too fast: {said}", host=host, code=code, retry_after=TOO_FAST_WAIT)
        if code == BUSY:
            raise self.http.temporary(f"busy: {said}", host=host, code=code, retry_after=BUSY_WAIT)
        if code == TOO_LONG:
            raise self.http.permanent(
                f"refused as too long (the body is kept under {MAX_BODY_BYTES} bytes): {said}", host=host, code=code
            )
        if code == SIGN_OR_KEYWORD:
            raise self.http.permanent(
                f"refused the signature, timestamp or keyword (check secret/keyword and the clock): {said}",
                host=host,
                code=code,
            )
        raise self.http.permanent(said or "refused", host=host, code=code)


@hookimpl
def register_alert_sinks(register: Callable[[type[AlertSink]], None]) -> None:
    register(DingTalkSink)
