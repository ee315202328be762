"""What a sink receives, and the shape every sink class has.

A sink gets each drift once when it opens and once when it resolves; the host, not the sink,
deduplicates (the state store knows which drifts are new), so a sink only formats and sends.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

from marshmallow import Schema

from erpsync.core.models import Lang, Texts

#: headline words per language: severity, and what happened to the drift
_SEVERITY = {"critical": "严重", "warning": "警告", "info": "提示"}
_VERB = {
    ("opened", "en"): "drift opened", ("resolved", "en"): "drift resolved",
    ("opened", "zh"): "出现差异", ("resolved", "zh"): "差异已解决",
}  # fmt: skip


@dataclass(frozen=True)
class AlertEvent:
    """One drift opening or resolving, ready to send.

    ``message`` and ``headline`` are in the configured language (``lang``), the English message when
    the drift has no translation; ``summary``, ``why`` and ``steps`` carry both languages
    (``{"en": ..., "zh": ...}``) so a sink can forward whichever its readers need. ``steps`` is the
    guided fix: what to do in Seller Center and whom to call.
    """

    event: Literal["opened", "resolved"]
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

    @classmethod
    def from_drift(
        cls,
        event: Literal["opened", "resolved"],
        drift: Any,
        *,
        at: datetime,
        run_id: str,
        redact: Callable[[str], str],
        lang: Lang = "en",
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
        )

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        data["why"], data["steps"] = list(self.why), list(self.steps)
        return data

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
    """Base class for sinks: set ``type`` and ``Options``; implement ``send``."""

    type: ClassVar[str]
    description: ClassVar[str] = ""
    # builtins.type: inside this class body the name ``type`` is the attribute above
    Options: ClassVar[builtins.type[Schema]]

    def __init__(self, options: dict[str, Any], *, base_dir: Path) -> None:
        self.options = options
        self.base_dir = base_dir

    def send(self, event: AlertEvent) -> None:
        raise NotImplementedError
