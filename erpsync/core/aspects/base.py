"""What an aspect is: observe (I/O through connectors), diff and plan (pure), apply (one action).

The host (``erpsync.sync``) calls these in order for each shop; aspects are registered through
the ``register_aspects`` hook, so a plugin can add one without touching the host.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal

from erpsync.core.errors import RecordError
from erpsync.core.models import Action, Drift
from erpsync.core.ports import ObservationMemory

#: who wins a drift: fix the ERP from the seller ("seller"), the reverse ("erp"), or only report
Winner = Literal["seller", "erp", "report"]
Decide = Callable[[Drift], Winner]


@dataclass
class ObserveContext:
    shop: str
    seller: Any  # a Connector; typed loosely so aspects check capabilities with isinstance
    erp: Any
    now: datetime
    memory: ObservationMemory
    settings: Mapping[str, Any] = field(default_factory=dict)  # this aspect's config table


@dataclass
class Observation:
    """Base for what observe() returns; subclasses add the data their diff() needs."""

    shop: str
    now: datetime
    record_errors: list[RecordError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Aspect(ABC):
    name: ClassVar[str]
    description: ClassVar[str] = ""

    @abstractmethod
    def observe(self, ctx: ObserveContext) -> Observation:
        """Read both sides. Raise ConnectorError if a side cannot be read at all."""

    @abstractmethod
    def diff(self, observation: Observation) -> list[Drift]:
        """Pure: every disagreement in the observation."""

    @abstractmethod
    def plan(self, drifts: list[Drift], decide: Decide, observation: Observation) -> list[Action]:
        """Pure: the corrections for the drifts ``decide`` says to fix (``report`` plans none)."""

    @abstractmethod
    def apply(self, action: Action, seller: Any, erp: Any) -> None:
        """Perform one planned action through the target connector's capability.

        Raise ``UnsupportedAction`` when the target lacks the capability.
        """


class UnsupportedAction(Exception):
    """The target connector lacks the capability; the drift is reported, not fixed."""
