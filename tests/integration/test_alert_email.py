"""The email sink against a real SMTP server (aiosmtpd) on loopback: plain, STARTTLS and implicit
TLS with a certificate from a throwaway CA (trustme), login, and the server's refusals.

Each test starts its own server on a free port and reads what the server received, so headers,
the Chinese subject, both body parts and the envelope are checked as a relay would see them.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from erpsync.core.errors import ConfigError, PermanentError, TemporaryError
from erpsync.plugins.alerts import mail
from erpsync.plugins.alerts.base import AlertEvent
from erpsync.plugins.alerts.mail import MailSink
from erpsync.plugins.alerts.message import text, title

pytestmark = pytest.mark.integration

USER, PASSWORD = "alerts@example.com", "smtp-Pa55word-very-secret"
TO = ["ops@example.com", "Agency <agency@example.org>"]


def event(kind: str = "opened", n: int = 1) -> AlertEvent:
    return AlertEvent(
        kind, "深圳一店", "pickup", "mode_mismatch", f"WH-DG{n}", "handover_mode", "DROP OFF", "PICK UP",  # type: ignore[arg-type]
        "critical", "ERP 为上门揽收，商家后台为自寄 <b>", f"fp{n}", datetime(2026, 11, 26, 8, 30, tzinfo=UTC), "run1",
        id=f"alrt_{n:024d}", lang="zh",
        steps=({"en": "Set PICK UP in Seller Center", "zh": "在商家后台改为上门揽收"},),
    )  # fmt: skip


class Recorder:
    """An SMTP handler that keeps every message, and answers RCPT/DATA as told."""

    def __init__(self, rcpt: dict[str, str] | None = None, data: str | None = None) -> None:
        self.rcpt = rcpt or {}
        self.data = data
        self.received: list[tuple[Any, Any]] = []  # (session, envelope)
        self.logins: list[bytes] = []
        self.encrypted: list[bool] = []  # per message: did it arrive over TLS (STARTTLS or implicit)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.rcpt:
            return self.rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data:
            return self.data
        self.received.append((session, envelope))
        self.encrypted.append(session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None)
        return "250 2.0.0 queued"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        if ok:
            self.logins.append(auth_data.login)
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535 itself


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    return "ca.pem"  # relative to base_dir, like the config's other paths


def server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture
def start() -> Iterator[Any]:
    """``start(handler, **smtp_params) -> port``: a server on 127.0.0.1, stopped after the test."""
    controllers: list[Controller] = []

    def run(handler: Recorder, **params: Any) -> int:
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **params)
        controller.start()
        controllers.append(controller)
        return port

    yield run
    for controller in controllers:
        controller.stop()


def sink(tmp_path: Path, port: int, **options: Any) -> MailSink:
    table = {"host": "127.0.0.1", "port": port, "from": "erpsync <alerts@example.com>", "to": TO, **options}
    return MailSink(table, base_dir=tmp_path)


def test_plain_delivery_headers_subject_and_both_parts(start, tmp_path):
    handler = Recorder()
    port = start(handler)
    answer = sink(tmp_path, port, security="none").send(event())

    assert answer == "accepted by 127.0.0.1 for 2 of 2 recipients"
    ((_, envelope),) = handler.received
    assert handler.encrypted == [False]
    assert envelope.mail_from == "alerts@example.com"
    assert envelope.rcpt_tos == ["ops@example.com", "agency@example.org"]
    raw: bytes = envelope.original_content
    raw.decode("ascii")  # 7-bit clean on the wire: Chinese travels encoded
    assert b"Subject: [erpsync] =?utf-8?" in raw
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["Subject"] == f"[erpsync] {title(event())}" and "深圳一店" in msg["Subject"]
    assert msg["From"] == "erpsync <alerts@example.com>"
    assert msg["To"] == "ops@example.com, Agency <agency@example.org>"
    assert msg["Message-ID"] == "<alrt_000000000000000000000001@example.com>"
    assert msg["Auto-Submitted"] == "auto-generated" and msg["Date"]
    assert msg.get_content_type() == "multipart/alternative"
    plain, html = msg.iter_parts()
    assert plain.get_content_type() == "text/plain" and plain.get_content_charset() == "utf-8"
    assert plain.get_content().replace("\r\n", "\n").strip() == text(event()).strip()
    assert "在商家后台改为上门揽收" in plain.get_content()
    assert html.get_content_type() == "text/html"
    assert "&lt;b&gt;" in html.get_content() and "<b>" not in html.get_content()  # the message is escaped


def test_starttls_with_login(start, tmp_path, ca, ca_file):
    handler = Recorder()
    port = start(
        handler,
        tls_context=server_context(ca),
        require_starttls=True,
        authenticator=handler.authenticate,
        auth_required=True,
    )
    s = sink(tmp_path, port, username=USER, password=PASSWORD, ca_file=ca_file)
    assert s.port == port and s.security == "starttls"
    s.send(event())
    ((_, envelope),) = handler.received
    assert handler.encrypted == [True] and handler.logins == [USER.encode()]
    assert envelope.rcpt_tos == ["ops@example.com", "agency@example.org"]


def test_implicit_tls(start, tmp_path, ca, ca_file):
    handler = Recorder()
    # aiosmtpd counts only STARTTLS as TLS for AUTH; this connection is TLS from the first byte
    port = start(handler, ssl_context=server_context(ca), authenticator=handler.authenticate, auth_require_tls=False)
    sink(tmp_path, port, security="ssl", username=USER, password=PASSWORD, ca_file=ca_file).send(event())
    assert len(handler.received) == 1
    assert handler.encrypted == [True] and handler.logins == [USER.encode()]


def test_a_wrong_password_is_permanent_and_never_shown(start, tmp_path, ca, ca_file):
    handler = Recorder()
    port = start(handler, tls_context=server_context(ca), authenticator=handler.authenticate)
    wrong = "wrong-Pa55word-also-secret"
    with pytest.raises(PermanentError) as caught:
        sink(tmp_path, port, username=USER, password=wrong, ca_file=ca_file).send(event())
    said = str(caught.value)
    assert "login refused: 535" in said and "check username and password" in said
    assert wrong not in said and handler.received == []


def test_an_untrusted_certificate_is_permanent(start, tmp_path, ca):
    port = start(Recorder(), tls_context=server_context(ca))
    with pytest.raises(PermanentError, match="certificate not trusted"):
        sink(tmp_path, port).send(event())  # no ca_file: the system's CAs do not know the test CA


def test_starttls_is_never_skipped(start, tmp_path):
    handler = Recorder()
    port = start(handler)  # a server that offers no STARTTLS
    with pytest.raises(PermanentError, match="STARTTLS"):
        sink(tmp_path, port).send(event())
    assert handler.received == []


@pytest.mark.parametrize(
    ("handler", "error", "said"),
    [
        (Recorder(rcpt={"ops@example.com": "550 5.1.1 no such user", "agency@example.org": "550 5.1.1 no"}),
         PermanentError, "every recipient refused"),
        (Recorder(rcpt={"ops@example.com": "450 4.2.1 mailbox busy", "agency@example.org": "550 5.1.1 no"}),
         TemporaryError, "every recipient refused"),
        (Recorder(data="451 4.3.0 try again later"), TemporaryError, "message refused: 451"),
        (Recorder(data="554 5.7.1 rejected as spam"), PermanentError, "message refused: 554"),
    ],
)  # fmt: skip
def test_server_refusals_are_classified(start, tmp_path, handler, error, said):
    port = start(handler)
    with pytest.raises(error) as caught:
        sink(tmp_path, port, security="none").send(event())
    assert type(caught.value) is error and said in str(caught.value)
    assert "SMTP 127.0.0.1" in str(caught.value)


def test_one_recipient_refused_still_delivers_to_the_others(start, tmp_path):
    handler = Recorder(rcpt={"agency@example.org": "550 5.1.1 no such user"})
    port = start(handler)
    answer = sink(tmp_path, port, security="none").send(event())
    assert answer.startswith("accepted by 127.0.0.1 for 1 of 2 recipients; refused: agency@example.org (550")
    assert handler.received[0][1].rcpt_tos == ["ops@example.com"]


def test_a_closed_port_is_temporary(tmp_path):
    with pytest.raises(TemporaryError, match="connection failed"):
        sink(tmp_path, free_port(), security="none").send(event())


def test_a_silent_server_times_out_as_temporary(tmp_path, monkeypatch):
    monkeypatch.setattr(mail, "SOCKET_TIMEOUT", 0.5)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()  # accepts the connection, never says 220
        with pytest.raises(TemporaryError, match="timed out"):
            sink(tmp_path, listener.getsockname()[1], security="none").send(event())


def test_digest_is_one_email_listing_every_alert(start, tmp_path):
    handler = Recorder()
    port = start(handler)
    events = [event(n=n) for n in range(1, 6)]
    sink(tmp_path, port, security="none").send_digest(events)
    ((_, envelope),) = handler.received
    msg = message_from_bytes(envelope.original_content, policy=policy.default)
    body = msg.get_body(("plain",)).get_content()
    assert msg["Subject"].startswith("[erpsync] ") and "5" in msg["Subject"]
    assert all(f"WH-DG{n}" in body for n in range(1, 6))


def test_options_are_checked_without_echoing_secrets(tmp_path):
    with pytest.raises(ConfigError) as caught:
        sink(tmp_path, 25, security="none", username=USER, password=PASSWORD)
    assert caught.value.key == "email.security" and PASSWORD not in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        sink(tmp_path, 25, username=USER)
    assert caught.value.key == "email.password"
    with pytest.raises(ConfigError) as caught:
        sink(tmp_path, 25, ca_file="missing.pem")
    assert caught.value.key == "email.ca_file" and "missing.pem" in str(caught.value)
    assert sink(tmp_path, None, security="ssl").port == 465  # type: ignore[arg-type]
    assert MailSink.secret_options == ("password",) and MailSink.rate_limit is None
