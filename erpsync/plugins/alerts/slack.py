"""The ``slack`` sink: a Slack incoming webhook, one mrkdwn section per message.

The webhook URL is the credential (Slack's ``v0=`` signing is for requests Slack sends, not for
these), so the whole URL is a secret. Slack answers with the HTTP status and a short body:
200 ``ok``; 400 ``invalid_payload``, 403 ``action_prohibited``, 404 ``channel_not_found``,
410 ``channel_is_archived`` (permanent); 429 with ``Retry-After``, and 500 ``rollup_error``
(temporary). The top-level ``text`` is the notification's fallback, the blocks the message.
Slack's mrkdwn is not markdown (``*bold*``, and ``&``, ``<``, ``>`` must be escaped), so the
message is laid out here from ``message.facts``. Facts and sources: ``docs/alerts.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from marshmallow import Schema, fields, validate

from erpsync.plugins import hookimpl
from erpsync.plugins.alerts import message
from erpsync.plugins.alerts.base import AlertEvent, AlertSink
from erpsync.plugins.alerts.chat_http import ChatHttp, url_secrets

#: a section block's text may hold 3000 characters; counting bytes keeps within it
MAX_SECTION = 3000


class SlackOptions(Schema):
    url = fields.String(
        required=True,
        validate=validate.URL(schemes={"https", "http"}, require_tld=False),
        metadata={"description": "the incoming webhook URL, https://hooks.slack.com/services/… (a secret)"},
    )


def escape(text: str) -> str:
    """Slack's three control characters, escaped as its docs require."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(event: AlertEvent) -> str:
    """The alert in Slack mrkdwn: bold title, message, one fact a line, numbered steps."""
    colon = "：" if event.lang == "zh" else ": "
    lines = [f"*{escape(message.title(event))}*", escape(event.message), ""]
    lines += [f"*{escape(label)}*{colon}{escape(value)}" for label, value in message.facts(event)]
    steps = message.steps(event)
    if steps:
        lines += ["", "*处理步骤*" if event.lang == "zh" else "*What to do*"]
        lines += [f"{n}. {escape(step)}" for n, step in enumerate(steps, start=1)]
    return "\n".join(lines)


class SlackSink(AlertSink):
    type = "slack"
    description = "Slack incoming webhook (mrkdwn blocks)"
    Options = SlackOptions
    secret_options = ("url",)
    rate_limit = (1, 1.0)

    def __init__(self, options: dict[str, Any], *, base_dir: Path) -> None:
        super().__init__(options, base_dir=base_dir)
        self.http = ChatHttp(self.type, url_secrets(options["url"]))

    def send(self, event: AlertEvent) -> str:
        return self._send(message.title(event), mrkdwn(event), event.lang)

    def send_digest(self, events: list[AlertEvent]) -> str | None:
        if not events:
            return None
        # Escaping can lengthen the text, so the digest is cut with room to spare, then again.
        text = escape(message.digest_text(events, limit=MAX_SECTION - 300))
        return self._send(message.digest_title(events), text, events[0].lang)

    def rate_key(self) -> str:
        """The webhook's URL: Slack counts its limit per webhook, so two sinks on one share it."""
        return str(self.options["url"])

    def close(self) -> None:
        self.http.close()

    def _send(self, fallback: str, text: str, lang: str) -> str:
        section = message.truncate_bytes(text, MAX_SECTION, lang=lang)
        body = {"text": fallback, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": section}}]}
        url = self.options["url"]
        response = self.http.post_json(url, body)
        # 429 and 5xx are temporary, 400/403/404/410 (and any other 4xx) permanent; the body names why.
        self.http.check_status(response)
        answer = response.text.strip()
        if answer != "ok":
            # Slack answers "ok"; a 2xx saying something else (a Slack-compatible server) was
            # accepted all the same, and resending it would post it twice.
            return f"HTTP {response.status_code} {self.http.scrub(answer)}".strip()
        return answer


@hookimpl
def register_alert_sinks(register: Callable[[type[AlertSink]], None]) -> None:
    register(SlackSink)
