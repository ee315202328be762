"""The ``wecom`` sink: a WeCom (企业微信) group robot, markdown messages or plain text with mentions.

WeCom robots have no signing: the ``key`` in the URL is the credential, so the whole URL is a
secret. Markdown (at most 4096 bytes) shows a critical alert's title in WeCom's ``warning``
colour; plain text (at most 2048 bytes) is the only type that can @ people by mobile
(``mentioned_mobile_list``), so configuring mentions selects it. The answer's ``errcode`` says
whether it was delivered: 45009 ("api freq out of limit") is the robot's rate limit and is
retried; every other non-zero code is taken as permanent, since WeCom documents no other code
as transient for robots. Facts and sources: ``docs/alerts.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from erpsync.plugins import hookimpl
from erpsync.plugins.alerts import message
from erpsync.plugins.alerts.base import AlertEvent, AlertSink
from erpsync.plugins.alerts.chat_http import ChatHttp, host_of, url_secrets

#: errcode: "api freq out of limit"
FREQ_OUT_OF_LIMIT = 45009
#: seconds to wait after FREQ_OUT_OF_LIMIT: the limit is counted per minute
FREQ_WAIT = 60.0
#: errcode: "系统繁忙" (system busy), WeCom's global code for "try again later" (docs/alerts.md)
BUSY = -1
#: seconds to wait after BUSY: the docs say "later" without a figure; a minute is a guess
BUSY_WAIT = 60.0
MAX_MARKDOWN_BYTES = 4096
MAX_TEXT_BYTES = 2048


class WeComOptions(Schema):
    url = fields.String(
        required=True,
        validate=validate.URL(schemes={"https", "http"}, require_tld=False),
        metadata={"description": "the robot's Webhook URL, with key= (a secret)"},
    )
    msgtype = fields.String(
        load_default=None,
        validate=validate.OneOf(["markdown", "text"]),
        metadata={"description": "markdown (default) or text; text when mentioned_mobile_list is set"},
    )
    mentioned_mobile_list = fields.List(
        fields.String(), load_default=list, metadata={"description": 'mobiles to @ (text only; "@all" for everyone)'}
    )

    @validates_schema
    def _mentions_need_text(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("mentioned_mobile_list") and data.get("msgtype") == "markdown":
            raise ValidationError("WeCom @-mentions by mobile work in text messages only", "mentioned_mobile_list")

    @post_load
    def _default_type(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data.get("msgtype") is None:
            data["msgtype"] = "text" if data.get("mentioned_mobile_list") else "markdown"
        return data


class WeComSink(AlertSink):
    type = "wecom"
    description = "WeCom (企业微信) group robot (markdown, or text with @mobile mentions)"
    Options = WeComOptions
    secret_options = ("url",)
    rate_limit = (20, 60.0)

    def __init__(self, options: dict[str, Any], *, base_dir: Path) -> None:
        super().__init__(options, base_dir=base_dir)
        self.http = ChatHttp(self.type, url_secrets(options["url"]))

    def send(self, event: AlertEvent) -> str:
        if self.options["msgtype"] == "text":
            return self._send_text(message.text(event), event.lang)
        heading = message.title(event)
        if event.severity == "critical":
            heading = f'<font color="warning">{heading}</font>'
        return self._send_markdown(f"### {heading}\n\n{message.markdown_body(event)}", event.lang)

    def send_digest(self, events: list[AlertEvent]) -> str | None:
        if not events:
            return None
        lang = events[0].lang
        if self.options["msgtype"] == "text":
            return self._send_text(message.digest_text(events, limit=MAX_TEXT_BYTES), lang)
        return self._send_markdown(message.digest_markdown(events, limit=MAX_MARKDOWN_BYTES), lang)

    def rate_key(self) -> str:
        """The robot's URL: WeCom counts its limit per robot, so two sinks on one share it."""
        return str(self.options["url"])

    def close(self) -> None:
        self.http.close()

    def _send_markdown(self, content: str, lang: str) -> str:
        content = message.truncate_bytes(content, MAX_MARKDOWN_BYTES, lang=lang)
        return self._post({"msgtype": "markdown", "markdown": {"content": content}})

    def _send_text(self, content: str, lang: str) -> str:
        text: dict[str, Any] = {"content": message.truncate_bytes(content, MAX_TEXT_BYTES, lang=lang)}
        if self.options["mentioned_mobile_list"]:
            text["mentioned_mobile_list"] = list(self.options["mentioned_mobile_list"])
        return self._post({"msgtype": "text", "text": text})

    def _post(self, body: dict[str, Any]) -> str:
        url = self.options["url"]
        response = self.http.post_json(url, body)
        code, data = self.http.answer_code(response, "errcode")
        said = str(data.get("errmsg", ""))
        if code == 0:
            return f"errcode 0 {said}".strip()
        if code == FREQ_OUT_OF_LIMIT:
            raise self.http.temporary(f"rate limited: {said}", host=host_of(url), code=code, retry_after=FREQ_WAIT)
        if code == BUSY:
            raise self.http.temporary(f"busy: {said}", host=host_of(url), code=code, retry_after=BUSY_WAIT)
        raise self.http.permanent(said or "refused", host=host_of(url), code=code)


@hookimpl
def register_alert_sinks(register: Callable[[type[AlertSink]], None]) -> None:
    register(WeComSink)
