"""What a sink receives, and the shape every sink class has.

A sink gets each drift once when it opens, once when it resolves, once each time its severity
rises while it stays open (escalated: an order past its ship-by time that was near it), and a
reminder now and then while it stays open; the host, not the sink, decides (the state store
knows which drifts are new) and filters, so a sink only formats and sends. Events reach a sink
through the outbox: stored as ``as_dict`` when the drift changed, rebuilt with ``from_dict`` when
sent, perhaps runs later.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

from marshmallow import Schema

from erpsync.core.lang import Lang
from erpsync.core.models import Texts

#: headline words per language: severity, and what happened to the drift
_SEVERITY = {"critical": "严重", "warning": "警告", "info": "提示"}
_VERB = {
    ("opened", "en"): "drift opened", ("resolved", "en"): "drift resolved", ("reminder", "en"): "still open",
    ("escalated", "en"): "drift escalated",
    ("opened", "zh"): "出现差异", ("resolved", "zh"): "差异已解决", ("reminder", "zh"): "差异仍未解决",
    ("escalated", "zh"): "问题升级",
    ("test", "en"): "test message", ("test", "zh"): "测试消息",
}  # fmt: skip

#: "escalated" is an open drift whose severity rose (``severity`` is the new one); "test" is
#: ``erpsync alerts test``: a message that checks the channel, about no drift
EventKind = Literal["opened", "resolved", "reminder", "escalated", "test"]


@dataclass(frozen=True)
class AlertEvent:
    """One drift opening, resolving, getting worse (escalated) or still open (a reminder), ready to send.

    ``message`` and ``headline`` are in the configured language (``lang``), the English message when
    the drift has no translation; ``summary``, ``why`` and ``steps`` carry both languages
    (``{"en": ..., "zh": ...}``) so a sink can forward whichever its readers need. ``steps`` is the
    guided fix: what to do in Seller Center and whom to call. ``id`` is the alert's stable outbox
    id (the same on every retry: sinks that can deduplicate send it, e.g. ``webhook-id``);
    ``first_seen`` is when the drift opened; ``fix`` the correction applied or proposed, when known.
    """

    event: EventKind
    shop: str
    aspect: str
    kind: str
    subject: str
    field: str | None
    seller_value: str | None
    erp_value: str | None
    severity: str
    message: str
    fingerprint: str
    at: datetime
    run_id: str
    summary: dict[str, str] | None = None
    why: tuple[dict[str, str], ...] = ()
    steps: tuple[dict[str, str], ...] = ()
    lang: Lang = "en"
    id: str = ""
    first_seen: datetime | None = None
    fix: dict[str, str] | None = None

    @classmethod
    def from_drift(
        cls,
        event: EventKind,
        drift: Any,
        *,
        at: datetime,
        run_id: str,
        redact: Callable[[str], str],
        lang: Lang = "en",
        id: str = "",
        fix: dict[str, str] | None = None,
    ) -> AlertEvent:
        """The event for a stored drift (a ``DriftRow``); ``redact`` keeps secrets out of every text.

        A drift with no ``summary`` (an address field, or a row stored before drifts carried
        texts) says its stored English message in every language.
        """
        summary = _texts(drift.summary, redact)
        why = tuple(t for t in (_texts(w, redact) for w in drift.why) if t)
        steps = tuple(t for t in (_texts(w, redact) for w in drift.steps) if t)
        return cls(
            event=event,
            shop=drift.shop,
            aspect=drift.aspect,
            kind=drift.kind,
            subject=drift.subject,
            field=drift.field,
            seller_value=drift.seller_value,
            erp_value=drift.erp_value,
            severity=drift.severity.value,
            message=summary[lang] if summary else redact(drift.message),
            fingerprint=drift.fingerprint,
            at=at,
            run_id=run_id,
            summary=summary,
            why=why,
            steps=steps,
            lang=lang,
            id=id,
            first_seen=getattr(drift, "opened_at", None),
            fix=None if fix is None else {k: redact(v) for k, v in fix.items()},
        )

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        data["first_seen"] = self.first_seen.isoformat() if self.first_seen is not None else None
        data["why"], data["steps"] = list(self.why), list(self.steps)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AlertEvent:
        """The event ``as_dict`` stored (the outbox's ``event`` column); unknown keys are ignored."""
        names = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in names}
        values["at"] = datetime.fromisoformat(data["at"])
        values["first_seen"] = datetime.fromisoformat(data["first_seen"]) if data.get("first_seen") else None
        values["why"] = tuple(data.get("why") or ())
        values["steps"] = tuple(data.get("steps") or ())
        return cls(**values)

    @property
    def headline(self) -> str:
        verb = _VERB[(self.event, "zh" if self.lang == "zh" else "en")]
        severity = _SEVERITY.get(self.severity, self.severity) if self.lang == "zh" else self.severity
        colon = "：" if self.lang == "zh" else ": "
        return f"[{severity}] {verb}{colon}{self.shop}/{self.aspect} {self.subject}{colon}{self.message}"

    def step_texts(self) -> list[str]:
        """The guided fix in the event's language, one text per step."""
        return [step.get(self.lang) or step.get("en", "") for step in self.steps]


def _texts(value: Texts | None, redact: Callable[[str], str]) -> dict[str, str] | None:
    """A text as ``{"en", "zh"}``, redacted; None when absent."""
    return None if value is None else {"en": redact(value.en), "zh": redact(value.zh)}


class AlertSink:
    """Base class for sinks: set ``type`` and ``Options``; implement ``send`` (and ``send_digest``).

    The host delivers through an outbox: a sink is called after the alert is stored, may fail,
    and is called again on a later run. So ``send`` must say how it failed, by the error's type:
    ``TemporaryError`` (rate limited, 5xx, timeout: retried later, honouring ``retry_after``) or
    ``PermanentError`` (bad signature, keyword missing, IP not allowed: retrying cannot help). A
    channel that answers HTTP 200 with an error code in the body is read, not trusted.
    """

    type: ClassVar[str]
    description: ClassVar[str] = ""
    # builtins.type: inside this class body the name ``type`` is the attribute above
    Options: ClassVar[builtins.type[Schema]]
    #: the option names whose values are secrets (robot tokens, webhook keys, SMTP passwords):
    #: redacted from every log line, error message and alert, whether or not they came from ${ENV}
    secret_options: ClassVar[tuple[str, ...]] = ()
    #: the channel's documented limit, (messages, per seconds); None: none. Above it the host folds
    #: the alerts waiting for this sink into one ``send_digest`` call instead of dropping them
    rate_limit: ClassVar[tuple[int, float] | None] = None
    #: more limits the channel counts at the same time as ``rate_limit``, (messages, per seconds)
    #: each (a Feishu bot: 5 a second and 100 a minute). A pass sends while every one has room,
    #: folds into one digest what is over the least room, and with no room in one leaves it all
    #: waiting for the next pass
    extra_rate_limits: ClassVar[tuple[tuple[int, float], ...]] = ()

    def __init__(self, options: dict[str, Any], *, base_dir: Path) -> None:
        self.options = options
        self.base_dir = base_dir

    def rate_key(self) -> str | None:
        """What the channel counts its limits by, when more than one sink may reach it (a robot's
        URL): sinks with the same key share the limits. None: this sink alone."""
        return None

    def send(self, event: AlertEvent) -> str | None:
        """Deliver one alert; return the channel's answer (short, for ``erpsync alerts test``)."""
        raise NotImplementedError

    def send_digest(self, events: list[AlertEvent]) -> str | None:
        """Deliver many alerts as one message. The default sends each: right for sinks without a limit."""
        answer = None
        for event in events:
            answer = self.send(event)
        return answer

    def close(self) -> None:
        """Release what the sink holds (an HTTP session, an SMTP connection). The default holds nothing."""
        return None
