"""The ``feishu`` sink: a Feishu or Lark group's custom bot (自定义机器人), rich-text messages.

Feishu (``open.feishu.cn``) and Lark (``open.larksuite.com``) run the same bot API on two hosts;
the hook URL the bot settings show carries the host, so the URL selects it. With a signing
secret the body carries ``timestamp`` (seconds) and ``sign``, where, unlike DingTalk, the
timestamp and secret form the HMAC *key* and the message is empty. With keyword security,
``keyword`` starts every title. The answer's ``code`` (older bots: ``StatusCode``) says whether
it was delivered, also on a 4xx. A body may hold 20 KB; longer texts are cut to fit. A bot takes
100 messages a minute and 5 a second: the host keeps within both (``rate_limit``,
``extra_rate_limits``), and a refusal for sending too fast is retried later. Facts and sources:
``docs/alerts.md``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from marshmallow import Schema, fields, validate

from erpsync.core.http import parse_retry_after
from erpsync.plugins import hookimpl
from erpsync.plugins.alerts import message
from erpsync.plugins.alerts.base import AlertEvent, AlertSink
from erpsync.plugins.alerts.chat_http import ChatHttp, host_of, url_secrets

#: codes that retrying cannot fix: signature/timestamp, IP not allowed, keyword missing, bad request
#: (but see ``TOO_MANY``)
PERMANENT_CODES = {
    19021: "signature or timestamp refused (check secret and the clock)",
    19022: "IP address not allowed by the bot's security settings",
    19024: "keyword missing (set keyword to the bot's security keyword)",
    9499: "bad request",
}
#: code: rate limited (Feishu names it for system pressure at busy times, on top of the bot's limits)
RATE_LIMITED = 11232
#: code: Feishu's gateway refusing a call over its limit (HTTP 429, the wait in ``x-ogw-ratelimit-reset``)
GATEWAY_LIMITED = 99991400
#: what a ``9499`` answer says when the bot was sent too many messages: retried later, unlike a bad request
TOO_MANY = "too many request"
#: the body limit, 20 KB, kept as 20 000 bytes to leave a margin
MAX_BODY_BYTES = 20_000


class FeishuOptions(Schema):
    url = fields.String(
        required=True,
        validate=validate.URL(schemes={"https", "http"}, require_tld=False),
        metadata={"description": "the bot's webhook URL, open.feishu.cn or open.larksuite.com (a secret)"},
    )
    secret = fields.String(load_default=None, metadata={"description": "the bot's signing secret (签名校验)"})
    keyword = fields.String(
        load_default=None, metadata={"description": "the bot's security keyword, put in every title"}
    )
    msg_type = fields.String(
        load_default="post",
        validate=validate.OneOf(["post", "text"]),
        metadata={"description": "post (rich text, with a title) or text"},
    )


def sign(secret: str, timestamp_s: int) -> str:
    """Feishu's signature: base64(HMAC-SHA256(key=f"{ts}\\n{secret}", msg=b"")), not URL-encoded."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


class FeishuSink(AlertSink):
    type = "feishu"
    description = "Feishu/Lark group bot (rich text; optional signing secret)"
    Options = FeishuOptions
    secret_options = ("url", "secret")
    rate_limit = (5, 1.0)
    extra_rate_limits = ((100, 60.0),)

    def __init__(self, options: dict[str, Any], *, base_dir: Path, clock: Callable[[], float] = time.time) -> None:
        super().__init__(options, base_dir=base_dir)
        self._clock = clock
        self.http = ChatHttp(self.type, [*url_secrets(options["url"]), options.get("secret")])

    def send(self, event: AlertEvent) -> str:
        return self._send(message.title(event), message.text_body(event), event.lang)

    def send_digest(self, events: list[AlertEvent]) -> str | None:
        if not events:
            return None
        body = message.digest_text(events, limit=MAX_BODY_BYTES - 1000)
        head, _, rest = body.partition("\n")
        return self._send(head, rest, events[0].lang)

    def rate_key(self) -> str:
        """The bot's URL: Feishu counts its limits per bot, so two sinks on one share it."""
        return str(self.options["url"])

    def close(self) -> None:
        self.http.close()

    def body(self, title: str, text: str, lang: str) -> dict[str, Any]:
        """The JSON body, cut to the 20 KB limit (the signature fields are added by ``_send``)."""
        if self.options["keyword"]:
            title = f"{self.options['keyword']} {title}"
        room = MAX_BODY_BYTES - 200  # timestamp and sign
        for _ in range(5):
            body = self._body(title, message.truncate_bytes(text, room, lang=lang), lang)
            size = len(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
            if size <= MAX_BODY_BYTES - 200:
                return body
            room -= size - (MAX_BODY_BYTES - 200) + 64
        return self._body(title, message.truncate_bytes(text, 1000, lang=lang), lang)

    def _body(self, title: str, text: str, lang: str) -> dict[str, Any]:
        if self.options["msg_type"] == "text":
            return {"msg_type": "text", "content": {"text": f"{title}\n{text}"}}
        paragraphs = [[{"tag": "text", "text": line}] for line in text.split("\n")]
        locale = "zh_cn" if lang == "zh" else "en_us"
        return {"msg_type": "post", "content": {"post": {locale: {"title": title, "content": paragraphs}}}}

    def _send(self, title: str, text: str, lang: str) -> str:
        body = self.body(title, text, lang)
        if self.options["secret"]:
            ts = int(self._clock())
            body = {"timestamp": str(ts), "sign": sign(self.options["secret"], ts), **body}
        url = self.options["url"]
        response = self.http.post_json(url, body)
        code, data = self.http.answer_code(response, "code", "StatusCode")
        said = str(data.get("msg") or data.get("StatusMessage") or "")
        host = host_of(url)
        if code == 0:
            return f"code 0 {said}".strip()
        if code in (RATE_LIMITED, GATEWAY_LIMITED) or (code == 9499 and TOO_MANY in said.lower()):
            wait = parse_retry_after(
                response.headers.get("x-ogw-ratelimit-reset") or response.headers.get("Retry-After")
            )
            raise self.http.temporary(
                f"rate limited: {said}", host=host, code=code, status=response.status_code, retry_after=wait
            )
        reason = PERMANENT_CODES.get(code, "refused")
        raise self.http.permanent(f"{reason}: {said}", host=host, code=code, status=response.status_code)


@hookimpl
def register_alert_sinks(register: Callable[[type[AlertSink]], None]) -> None:
    register(FeishuSink)
