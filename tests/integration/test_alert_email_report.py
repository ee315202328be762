"""The email sink's ``attach_report``: the HTML drift report as an attachment, checked in what a
real SMTP server (aiosmtpd) on loopback received."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from erpsync.plugins.alerts.base import AlertEvent
from erpsync.plugins.alerts.mail import MailSink

pytestmark = pytest.mark.integration

MARKUP = "<script>alert(1)</script>"


def event(n: int, subject: str = "WH-DG", kind: str = "opened") -> AlertEvent:
    return AlertEvent(
        kind, "深圳一店", "pickup", "mode_mismatch", subject, "handover_mode", "DROP OFF", "PICK UP",  # type: ignore[arg-type]
        "critical", "ERP 为上门揽收，商家后台为自寄", f"fp{n}", datetime(2026, 11, 26, 8, 30, tzinfo=UTC), "run1",
        id=f"alrt_{n:024d}", lang="zh", steps=({"en": "Set DROP OFF in the ERP", "zh": "在 ERP 中改为自寄"},),
    )  # fmt: skip


class Recorder:
    def __init__(self) -> None:
        self.raw: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.raw.append(envelope.original_content)
        return "250 2.0.0 queued"


@pytest.fixture
def smtp() -> Iterator[tuple[Recorder, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def sink(tmp_path, port: int, **options: Any) -> MailSink:
    table = {"host": "127.0.0.1", "port": port, "security": "none", "from": "alerts@example.com"}
    table["to"] = ["ops@example.com"]
    return MailSink({**table, **options}, base_dir=tmp_path)


def test_report_attached_beside_text_and_html(smtp, tmp_path):
    handler, port = smtp
    sink(tmp_path, port, attach_report=True).send(event(1, subject=MARKUP))

    (raw,) = handler.raw
    raw.decode("ascii")  # still 7-bit on the wire
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg.get_content_type() == "multipart/mixed"
    body, attachment = msg.iter_parts()
    assert body.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in body.iter_parts()] == ["text/plain", "text/html"]
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "erpsync-report.html"
    assert attachment.get_content_type() == "text/html" and attachment.get_content_charset() == "utf-8"
    page = attachment.get_content()
    assert '<html lang="zh">' in page and '<meta charset="utf-8">' in page
    assert '<td class="warehouse" data-label="仓库">&lt;script&gt;alert(1)&lt;/script&gt;</td>' in page
    assert "<script>" not in page and "在 ERP 中改为自寄" in page


def test_digest_attaches_every_alert(smtp, tmp_path):
    handler, port = smtp
    sink(tmp_path, port, attach_report=True).send_digest([event(1, "WH-1"), event(2, "WH-2", "resolved")])
    (raw,) = handler.raw
    msg = message_from_bytes(raw, policy=policy.default)
    (attachment,) = list(msg.iter_attachments())
    page = attachment.get_content()
    assert page.count('<tr class="drift level-critical">') == 2 and ">已解决</td>" in page


def test_no_attachment_by_default(smtp, tmp_path):
    handler, port = smtp
    sink(tmp_path, port).send(event(1))
    msg = message_from_bytes(handler.raw[0], policy=policy.default)
    assert msg.get_content_type() == "multipart/alternative" and not list(msg.iter_attachments())
