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


@dataclass(frozen=True)
class AlertEvent:
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

    @classmethod
    def from_drift(
        cls,
        event: Literal["opened", "resolved"],
        drift: Any,
        *,
        at: datetime,
        run_id: str,
        redact: Callable[[str], str],
    ) -> AlertEvent:
        """The event for a stored drift (a ``DriftRow``); ``redact`` keeps secrets out of the message."""
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
            message=redact(drift.message),
            fingerprint=drift.fingerprint,
            at=at,
            run_id=run_id,
        )

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        return data

    @property
    def headline(self) -> str:
        verb = "drift opened" if self.event == "opened" else "drift resolved"
        return f"[{self.severity}] {verb}: {self.shop}/{self.aspect} {self.subject}: {self.message}"


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
