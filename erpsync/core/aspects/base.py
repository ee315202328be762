"""What an aspect is: observe (I/O through connectors), diff and plan (pure), apply (one action).

The host (``erpsync.sync``) calls these in order for each shop; aspects are registered through
the ``register_aspects`` hook, so a plugin can add one without touching the host. An aspect
declares its ``[aspects.<name>]`` configuration table as a marshmallow ``Settings`` schema, the
way a connector declares ``Options``: the host validates the table against it when the config
loads, so a plugin aspect's mistakes are named by file and key like the built-ins'.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal

from marshmallow import RAISE, Schema

from erpsync.core.connector import Connector
from erpsync.core.errors import ErpsyncError, RecordError
from erpsync.core.listing_ports import ListingBindings
from erpsync.core.listings import ErpProduct
from erpsync.core.matching import MatchRules
from erpsync.core.models import Action, Drift
from erpsync.core.ports import FailedWrite, ObservationMemory, ReadsAhead

#: who wins a drift: fix the ERP from the seller ("seller"), the reverse ("erp"), or only report
Winner = Literal["seller", "erp", "report"]
Decide = Callable[[Drift], Winner]


def read_ahead(side: Connector, name: str, /, *args: Any, **kwargs: Any) -> bool:
    """Ask ``side`` to read ``name(*args, **kwargs)`` ahead (``Aspect.read_ahead``); False when it
    cannot (not the host's wrapper, or a connector whose reads may not run side by side)."""
    return isinstance(side, ReadsAhead) and side.read_ahead(name, *args, **kwargs)


def no_failed_writes() -> Sequence[FailedWrite]:
    """``ObserveContext.failed_writes`` where there is no ledger to read (a caller without a store)."""
    return ()


@dataclass
class ObserveContext:
    """What an aspect's ``observe`` gets: the shop's two connectors, the clock, memory, settings.

    ``seller`` and ``erp`` are whatever connectors the shop configured, so they are typed as the
    ``Connector`` base, not as capabilities: a connector implements only what its system can do
    (``core/ports.py``). An aspect narrows each side with ``isinstance`` against the
    runtime-checkable capability protocols it reads through, and says which one is missing
    when a side lacks it; a checker then sees every call go through a protocol.
    """

    shop: str
    seller: Connector
    erp: Connector
    now: datetime
    memory: ObservationMemory
    settings: Mapping[str, Any] = field(default_factory=dict)  # this aspect's table, loaded by its Settings
    #: how this shop's ERP records line up with Seller Center's (``core/matching.py``)
    matching: MatchRules = field(default_factory=MatchRules)
    #: for an aspect with a ``cursor_stream``: where the last apply run that completed left it
    cursor: str | None = None
    #: for an aspect with a ``cursor_stream``: the subjects of its drifts open as the run starts
    #: (``store.drifts.open_subjects``). Every change read and not yet in the other side is one of
    #: them (left open by policy, or its write failed), so an aspect that reads these again by id,
    #: whatever its cursor, need not hold the cursor for them (``Observation.open_drifts_reread``)
    open_subjects: frozenset[str] = frozenset()
    #: the store's bindings (ERP record ↔ seller record, and what was last pushed), for pushes
    bindings: ListingBindings | None = None
    #: the ``map_listing`` hook: plugins finish a listing's API body for what config cannot say
    map_listing: Callable[[ErpProduct, dict[str, Any]], None] | None = None
    #: this aspect's pushes on this shop that failed and whose drift occurrence is still open
    #: (``store.ledger.failed_writes``), read when called: for an aspect whose next step depends
    #: on how a write was refused (a refusal that will be the same answer every run)
    failed_writes: Callable[[], Sequence[FailedWrite]] = no_failed_writes


@dataclass
class Observation:
    """Base for what observe() returns; subclasses add the data their diff() needs.

    ``scope`` names the subjects (seller warehouse ids, ...) that both sides were fully read
    for. Only open drifts of those subjects can be resolved by this run: a row that could not
    be read, or an empty answer, must never "resolve" a drift it did not see. None: all.
    """

    shop: str
    now: datetime
    record_errors: list[RecordError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    scope: set[str] | None = None
    #: drift kinds a run left unchecked for subjects it otherwise compared (subject → kinds): open
    #: drifts of those kinds stay open while the subject's other drifts may resolve. ``scope``
    #: holds every drift of a subject open, too wide for a subject read in part: a price drift held
    #: open while the price was compared would take the ledger row of a value that comes back.
    #: A kind is matched against the open row's kind as stored (for a staged drift: its stage's)
    kept_open: dict[str, set[str]] = field(default_factory=dict)
    #: warehouse matches made automatically (ERP id → Seller Center id): the host keeps them
    learned_bindings: dict[str, str] = field(default_factory=dict)
    #: kept matches whose Seller Center warehouse is gone (ERP ids): the host drops them
    stale_bindings: list[str] = field(default_factory=list)
    #: why this aspect had nothing to check on this shop (nothing configured for it: an ERP that
    #: keeps no products, a seller that cannot read orders), or None when it read both sides. The
    #: host reports the aspect as not run, with this reason, never as in sync.
    not_run: str | None = None
    #: where the next run may start reading, once this run's corrections are all made; the host
    #: keeps it only after an apply run in which none failed, the re-read included, and no drift
    #: was left open, unless ``open_drifts_reread`` (None: keep the old position)
    cursor: str | None = None
    #: with ``cursor`` None, why this run's reads keep the old position (what only a read from
    #: there reaches again): the host says so in a note after an apply run, which would have
    #: stored a new one (None with ``cursor`` None: nothing to say, e.g. nothing was read)
    cursor_held: str | None = None
    #: every subject of ``ObserveContext.open_subjects`` was read again by id, whatever the cursor,
    #: and the next run will do the same: a drift this run leaves open (by policy, or after a write
    #: that failed) is in the store, so its subject is read again however far the cursor moves,
    #: and it no longer holds the cursor (``verify.cursor_may_move``)
    open_drifts_reread: bool = False


class NoSettings(Schema):
    """The settings of an aspect with nothing to configure: any key in its table is a mistake."""

    class Meta:
        unknown = RAISE


class Aspect(ABC):
    name: ClassVar[str]
    description: ClassVar[str] = ""
    #: the field and drift-kind names a policy table may name for this aspect (empty: any)
    policy_keys: ClassVar[frozenset[str]] = frozenset()
    #: every drift kind ``diff`` can produce: reports and alerts name each in words
    #: (``render_text.KINDS``; a kind without words is shown as it is). Empty: not declared
    drift_kinds: ClassVar[frozenset[str]] = frozenset()
    #: the ``[aspects.<name>]`` table; loaded with ``{}`` when absent, so defaults belong here.
    #: What it loads arrives as ``ObserveContext.settings``.
    Settings: ClassVar[type[Schema]] = NoSettings
    #: the name of this aspect's read position in the store (None: it reads everything each run).
    #: The host passes it in as ``ObserveContext.cursor`` (with ``open_subjects``) and keeps
    #: ``Observation.cursor`` only after an apply run whose corrections all succeeded (the re-read
    #: after the writes agreeing) and left no drift open, so a change read but not yet written into
    #: the other side is read again by the next run, never skipped (``verify.cursor_may_move``).
    #: An aspect that reads the subjects of its open drifts by id each run says so
    #: (``Observation.open_drifts_reread``): its open drifts then hold the cursor no longer.
    cursor_stream: ClassVar[str | None] = None
    #: drift kinds that are this aspect's own work, a push waiting to be made (``not_listed``,
    #: ``tracking_not_pushed``): recorded and reported like any drift, but alerted only by a
    #: reminder if one stays open, never when it opens or resolves (every push would be two alerts)
    routine_kinds: ClassVar[frozenset[str]] = frozenset()
    #: the action kinds this aspect makes in bulk through ``apply_many`` (empty: each through
    #: ``apply``). For a target whose API takes many writes a call and answers each one apart
    #: (TikTok's Batch Ship Packages): one call for many writes, each with its own ledger outcome.
    bulk_kinds: ClassVar[frozenset[str]] = frozenset()
    #: at most this many actions per ``apply_many`` call: the host checks the stop signal and the
    #: shop's time budget before each call and records its outcomes before the next, so a stop
    #: or a crash leaves at most one call's writes unrecorded (``pending``)
    bulk_size: ClassVar[int] = 50

    @abstractmethod
    def observe(self, ctx: ObserveContext) -> Observation:
        """Read both sides. Raise ConnectorError if a side cannot be read at all."""

    @abstractmethod
    def diff(self, observation: Observation) -> list[Drift]:
        """Pure: every disagreement in the observation."""

    @abstractmethod
    def plan(self, drifts: list[Drift], decide: Decide, observation: Observation) -> list[Action]:
        """Pure: the corrections for the drifts ``decide`` says to fix (``report`` plans none)."""

    def read_ahead(self, seller: Connector, erp: Connector, settings: Mapping[str, Any]) -> None:
        """Name, before the shop's first aspect, reads ``observe`` will make that nothing before it
        changes, so they overlap the earlier aspects' waits (their own APIs have budgets of their
        own): the host starts them once the shop's thread only waits for calls it sent
        (``core/shop_waits.py``).

        Call :func:`read_ahead` with exactly the arguments ``observe`` will pass: its call then gets
        the answer (or the error) of the read started ahead, or reads then if it was not started.
        ``settings`` is this aspect's table, as ``ObserveContext.settings``. A write through the
        side before ``observe`` drops what was read ahead, and a side that cannot read side by side
        ignores the request, so the answer is never older than a write the run made. It may be
        older than ``ctx.now``: its ``Records.as_of`` says when the read started, for an aspect
        that judges by the time. The default names nothing.
        """
        return None

    def check_apply(self, action: Action, seller: Connector, erp: Connector) -> None:
        """Raise ``UnsupportedAction`` if the target cannot perform ``action``.

        Called before the ledger is written, so a correction that cannot be made leaves no
        ledger rows behind; ``apply`` may rely on it having passed. The default accepts all.
        """
        return None

    @abstractmethod
    def apply(self, action: Action, seller: Connector, erp: Connector) -> None:
        """Perform one planned action through the target connector's capability.

        ``seller`` and ``erp`` are narrowed with ``isinstance`` to the capability that writes.
        The host may call this inside the target's ``batch()`` (``BatchWriter``): the write is
        then checked at once and made as the batch closes, so call the capability exactly once
        per action and keep no state between calls.
        """

    def apply_many(self, actions: Sequence[Action], seller: Connector, erp: Connector) -> Sequence[Exception | None]:
        """Perform several planned actions of a kind in ``bulk_kinds``: one outcome per action, in order.

        None is a write made (or found already made: a retry after a lost answer must count as
        done, so a push happens once); an exception is that action's failure, the others go on.
        Raising fails all of them. The host has begun every action's ledger row before the call
        and finishes each with its own outcome after it. The default makes them one by one
        through ``apply``; an aspect overrides it to send them in one call.
        """
        outcomes: list[Exception | None] = []
        for action in actions:
            try:
                self.apply(action, seller, erp)
            except ErpsyncError as exc:
                outcomes.append(exc)
            else:
                outcomes.append(None)
        return outcomes


class UnsupportedAction(Exception):
    """The target connector lacks the capability; the drift is reported, not fixed."""
