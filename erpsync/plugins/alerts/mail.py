"""The ``email`` sink: one message per alert over SMTP, with STARTTLS, implicit TLS or neither.

For agencies abroad and anyone whose team lives in a mailbox. Each message is
multipart/alternative (plain text, and the same text as simple HTML) in UTF-8, so Chinese subjects
and bodies survive any client; ``attach_report`` adds the drift table as a self-contained HTML file
(``mail_report``) for readers who forward or archive it. The SMTP server's reply decides what the
outbox does next: a 4xx reply, a dropped connection or a timeout is temporary (sent again on a
later run), a 5xx reply (bad login, refused sender or recipients, rejected message) is permanent.
TLS is verified against the system's CAs (or ``ca_file``, for a relay with a private CA); a login
is refused over a connection that is not encrypted. The module is not called ``email``, to never
be mistaken for the standard library's package. Modes and ports: ``docs/alerts-webhook-email.md``.
"""

from __future__ import annotations

import base64
import html
import logging
import smtplib
import ssl
from collections.abc import Callable
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from erpsync.core.errors import ConfigError, ConnectorError, PermanentError, TemporaryError
from erpsync.core.redaction import redact
from erpsync.plugins import hookimpl
from erpsync.plugins.alerts.base import AlertEvent, AlertSink
from erpsync.plugins.alerts.message import digest_text, digest_title, text, title

__all__ = ["DEFAULT_PORTS", "MailOptions", "MailSink", "classify_smtp_error"]

log = logging.getLogger("erpsync.alerts")

#: the usual port of each mode: submission with STARTTLS (587), implicit TLS (465), plain SMTP (25)
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
#: seconds each SMTP step (connect, greeting, every command) may take; the host's ``timeout_seconds``
#: for the sink bounds the whole send
SOCKET_TIMEOUT = 20.0
#: CRLF lines and a 7-bit body (base64 for Chinese text, as is for ASCII): any relay carries it,
#: with or without 8BITMIME; headers are RFC 2047-encoded
_POLICY = policy.SMTP.clone(cte_type="7bit")


def _check_address(value: str) -> None:
    if "@" not in parseaddr(value)[1]:
        raise ValidationError("not an email address")


#: ``from`` is a Python keyword, so it cannot be a field's attribute name: declared this way, the
#: option keeps its name in the loaded options too (``data_key`` would rename it on load)
_FromField = Schema.from_dict(
    {"from": fields.String(required=True, validate=_check_address, metadata={"description": "the From address"})}
)


class MailOptions(_FromField):  # type: ignore[valid-type,misc]  # mypy cannot see from_dict's class
    host = fields.String(required=True, validate=validate.Length(min=1))
    port = fields.Integer(load_default=None, validate=validate.Range(min=1, max=65535))
    security = fields.String(load_default="starttls", validate=validate.OneOf(list(DEFAULT_PORTS)))
    username = fields.String(load_default=None)
    password = fields.String(load_default=None)
    to = fields.List(fields.String(validate=_check_address), required=True, validate=validate.Length(min=1))
    subject_prefix = fields.String(load_default="[erpsync]")
    ca_file = fields.String(
        load_default=None,
        metadata={"description": "PEM CA bundle to trust instead of the system's; relative to the config"},
    )
    attach_report = fields.Boolean(
        load_default=False,
        metadata={"description": "attach the alerts' drifts as an HTML report (erpsync-report.html)"},
    )

    @validates_schema
    def _login(self, data: dict[str, Any], **_: Any) -> None:
        if bool(data.get("username")) != bool(data.get("password")):
            raise ValidationError("username and password go together", "password")
        if data.get("username") and data.get("security") == "none":
            raise ValidationError(
                "a login needs security = starttls or ssl: the password would cross in clear", "security"
            )


class MailSink(AlertSink):
    type = "email"
    description = "one email per alert over SMTP (STARTTLS, SSL or plain): text, HTML, optionally the HTML report"
    Options = MailOptions
    secret_options = ("password",)

    def __init__(self, options: dict[str, Any], *, base_dir: Path) -> None:
        try:
            # loading twice is harmless, and it fills defaults when the host passed a raw table
            loaded = MailOptions().load(dict(options))
        except ValidationError as exc:
            raise _options_error(self.type, exc) from None
        super().__init__(loaded, base_dir=base_dir)
        self.host: str = loaded["host"]
        self.security: str = loaded["security"]
        self.port: int = loaded["port"] or DEFAULT_PORTS[self.security]
        self.sender: str = loaded["from"]
        self.recipients: list[str] = [parseaddr(a)[1] for a in loaded["to"]]
        self.context = _tls_context(base_dir / loaded["ca_file"] if loaded["ca_file"] else None)
        user, password = loaded["username"], loaded["password"]
        #: the password as typed, and as AUTH PLAIN and AUTH LOGIN put it on the wire
        self._secrets = (password, _b64(f"\0{user}\0{password}"), _b64(password)) if password else ()

    def send(self, event: AlertEvent) -> str:
        message = self._message(title(event), text(event), event.id, [event])
        return self._deliver(message)

    def send_digest(self, events: list[AlertEvent]) -> str | None:
        if not events:
            return None
        return self._deliver(self._message(digest_title(events), digest_text(events), None, events))

    def _message(self, subject: str, body: str, stable_id: str | None, events: list[AlertEvent]) -> EmailMessage:
        """multipart/alternative: the text, and the same text as HTML for clients that prefer it;
        with ``attach_report``, multipart/mixed with the drift table as an HTML file beside them."""
        domain = parseaddr(self.sender)[1].rpartition("@")[2] or "erpsync.invalid"
        message = EmailMessage(policy=_POLICY)
        message["Subject"] = f"{self.options['subject_prefix']} {subject}".strip()
        message["From"] = self.sender
        message["To"] = ", ".join(self.options["to"])
        message["Date"] = format_datetime(datetime.now(UTC))
        # the outbox's id makes a resend the same message to clients that deduplicate on Message-ID
        message["Message-ID"] = f"<{stable_id}@{domain}>" if stable_id else make_msgid(domain=domain)
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to alerts
        message.set_content(body)
        message.add_alternative(_html(subject, body), subtype="html")
        if self.options["attach_report"]:
            from erpsync.plugins.alerts.mail_report import ATTACHMENT_NAME, render_alerts

            report = render_alerts(events)
            message.add_attachment(report, subtype="html", filename=ATTACHMENT_NAME, disposition="attachment")
        return message

    def _deliver(self, message: EmailMessage) -> str:
        op = f"SMTP {self.host}:{self.port}"
        try:
            with self._connect() as smtp:
                if self.options["username"]:
                    smtp.login(self.options["username"], self.options["password"])
                refused = smtp.send_message(message, from_addr=parseaddr(self.sender)[1], to_addrs=self.recipients)
        except (smtplib.SMTPException, OSError) as exc:
            raise classify_smtp_error(exc, redact=self._redact, operation=op) from None
        accepted = len(self.recipients) - len(refused)
        answer = f"accepted by {self.host} for {accepted} of {len(self.recipients)} recipients"
        if refused:
            # the others have it: raising would make the outbox send it to them again
            refusals = ", ".join(f"{a} ({c} {_said(m)})" for a, (c, m) in sorted(refused.items()))
            answer += f"; refused: {self._redact(refusals)}"
            log.warning("email sink: %s", answer)
        return answer

    def _connect(self) -> smtplib.SMTP:
        context = self.context
        if self.security == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=SOCKET_TIMEOUT, context=context)
        smtp = smtplib.SMTP(self.host, self.port, timeout=SOCKET_TIMEOUT)
        if self.security == "starttls":
            try:
                smtp.ehlo()
                # never falls back to plain text: a server without STARTTLS is an error, not a downgrade
                smtp.starttls(context=context)
                smtp.ehlo()
            except BaseException:
                smtp.close()
                raise
        return smtp

    def _redact(self, value: str) -> str:
        return redact(value, self._secrets)


def classify_smtp_error(exc: BaseException, *, redact: Callable[[str], str], operation: str) -> ConnectorError:
    """What the outbox should do after an SMTP failure: 4xx and network trouble retry, 5xx does not."""
    where: dict[str, Any] = {"connector": "email", "operation": operation}
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = {addr: code for addr, (code, _) in exc.recipients.items()}
        said = ", ".join(f"{a} ({c} {_said(m)})" for a, (c, m) in sorted(exc.recipients.items()))
        message = redact(f"every recipient refused: {said}")
        if any(400 <= c < 500 for c in codes.values()):
            return TemporaryError(message, **where)
        return PermanentError(message, **where)
    if isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        what = _WHAT.get(type(exc), "the server refused")
        message = redact(f"{what}: {code} {_said(exc.smtp_error)}")
        if isinstance(exc, smtplib.SMTPAuthenticationError) and code >= 500:
            message += "; check username and password"
        if 400 <= code < 500:
            return TemporaryError(message, code=code, **where)
        return PermanentError(message, code=code, **where)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return TemporaryError(redact(f"the server closed the connection: {exc}"), **where)
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return PermanentError(redact(f"the server does not support it: {exc}; check security and port"), **where)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return PermanentError(
            redact(f"TLS certificate not trusted: {exc.verify_message}; check host or ca_file"), **where
        )
    if isinstance(exc, (ssl.SSLEOFError, ssl.SSLZeroReturnError)):
        return TemporaryError(redact(f"the connection closed during TLS: {exc}"), **where)
    if isinstance(exc, ssl.SSLError):
        return PermanentError(redact(f"TLS failed: {exc}; check security and port"), **where)
    if isinstance(exc, OSError):
        # refused, reset, timed out, unknown host: the relay may be back on a later run
        reason = "timed out" if isinstance(exc, TimeoutError) else f"connection failed: {exc}"
        return TemporaryError(redact(reason), **where)
    return PermanentError(redact(f"SMTP failed: {exc}"), **where)


_WHAT: dict[type[BaseException], str] = {
    smtplib.SMTPAuthenticationError: "login refused",
    smtplib.SMTPSenderRefused: "sender refused",
    smtplib.SMTPDataError: "message refused",
    smtplib.SMTPConnectError: "connection refused by the server",
    smtplib.SMTPHeloError: "greeting refused",
}


def _tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """Verifying TLS (chain and hostname), built once: an unreadable ``ca_file`` is a config error, not a send's."""
    try:
        return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot load the CA bundle {ca_file}: {exc}", key="email.ca_file") from None


def _said(reply: bytes | str) -> str:
    """A server reply as one line of text."""
    value = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(value.split())


def _b64(value: str) -> str:
    return base64.b64encode(value.encode("utf-8")).decode("ascii")


def _html(subject: str, body: str) -> str:
    paragraphs = "".join(
        "<p>" + "<br>".join(html.escape(line) for line in block.splitlines()) + "</p>"
        for block in body.split("\n\n")
        if block.strip()
    )
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
        f'<body style="font-family:sans-serif"><h3>{html.escape(subject)}</h3>{paragraphs}</body></html>'
    )


def _options_error(sink: str, exc: ValidationError) -> ConfigError:
    """A ConfigError naming the first bad option (``email.to: ...``), never its value."""
    messages = exc.messages if isinstance(exc.messages, dict) else {"": exc.messages}
    name, reasons = next(iter(messages.items()))
    reason = " ".join(str(r) for r in reasons) if isinstance(reasons, list) else str(reasons)
    return ConfigError(reason, key=f"{sink}.{name}" if name else sink)


@hookimpl
def register_alert_sinks(register: Callable[[type[AlertSink]], None]) -> None:
    register(MailSink)
