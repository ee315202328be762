"""Plain data that flows through a run: what connectors read, what aspects diff, what sync reports.

Everything a connector returns or an aspect consumes is a frozen dataclass, so the pure core
(normalise, diff, plan) can be tested without I/O and a value never changes under a reader.
Reports are the exception: the host fills them in as a run proceeds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Generic, Literal, TypeVar

from erpsync.core.errors import RecordError

T = TypeVar("T")


class HandoverMode(StrEnum):
    """How parcels reach the sorting warehouse (头程交接方式). Values match the Open API."""

    PICKUP = "PICKUP"  # 上门揽收: the provider's driver collects
    DROP_OFF = "DROP_OFF"  # 自寄: the seller sends parcels themselves

    @property
    def label(self) -> str:
        """How operators and waybills spell it: ``PICK UP`` / ``DROP OFF``."""
        return _HANDOVER_LABELS[self]

    @classmethod
    def parse(cls, text: str) -> HandoverMode:
        """Accept the spellings ERPs and operators use; raise ``ValueError`` otherwise."""
        key = "".join(text.split()).replace("-", "_").upper()
        aliases = {
            "PICKUP": cls.PICKUP,
            "PICK_UP": cls.PICKUP,
            "上门揽收": cls.PICKUP,
            "揽收": cls.PICKUP,
            "DROPOFF": cls.DROP_OFF,
            "DROP_OFF": cls.DROP_OFF,
            "自寄": cls.DROP_OFF,
        }
        if key not in aliases:
            raise ValueError(f"unknown handover mode {text!r} (expected PICK UP or DROP OFF)")
        return aliases[key]


#: ``HandoverMode.label``, looked up rather than compared with ``HandoverMode.PICKUP``: an enum
#: class's attribute costs five times a plain class's in Python 3.11 (its ``EnumType.__getattr__``),
#: and the pickup diff spells modes twice per drift
_HANDOVER_LABELS = {HandoverMode.PICKUP: "PICK UP", HandoverMode.DROP_OFF: "DROP OFF"}


class SubscriptionStatus(StrEnum):
    """Seller Center's first-mile pickup subscription (揽收订阅), as erpsync infers it.

    To the Open API a cancelled subscription looks like one never made; erpsync says
    ``CANCELLED`` only when the circumstances of a save tell it apart (``aspects/pickup.py``).
    ``UNKNOWN`` is a state of its own: the evidence cannot settle it, and it is never "in sync".
    """

    NOT_SUBSCRIBED = "not_subscribed"
    PENDING_REVIEW = "pending_review"
    ACTIVE = "active"
    CANCELLED = "cancelled"
    OUT_OF_COVERAGE = "out_of_coverage"
    UNKNOWN = "unknown"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """How bad, as a number to compare: info 0 < warning 1 < critical 2."""
        return _SEVERITY_RANKS[self]


_SEVERITY_RANKS = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


@dataclass(frozen=True)
class Address:
    """A warehouse address with its contact, as Seller Center keeps it (仓库地址)."""

    contact_person: str = ""
    phone: str = ""
    region_code: str = ""
    state: str = ""  # province, e.g. 广东省
    city: str = ""
    district: str = ""
    street: str = ""  # the detail line(s)
    postal_code: str = ""


@dataclass(frozen=True, slots=True)
class Warehouse:
    """A warehouse on one side. ``seller_warehouse_id`` binds an ERP record to Seller Center's."""

    id: str
    name: str
    address: Address
    handover_mode: HandoverMode | None = None
    seller_warehouse_id: str | None = None
    source: str | None = None  # where the record came from, for messages: "erp/warehouses.csv:3"


@dataclass(frozen=True, slots=True)
class PackageSignal:
    """What one package tells about pickup: its handover method and waybill number."""

    id: str
    warehouse_id: str | None
    handover_method: HandoverMode | None
    tracking_number: str | None
    created_at: datetime | None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class SlotSignal:
    """``handover_time_slots`` of one package: whether pickup is offered for its warehouse."""

    package_id: str
    can_pickup: bool
    can_drop_off: bool


@dataclass(frozen=True, slots=True)
class PickupSignals:
    """All the Open API shows about one warehouse's pickup: raw evidence, not a conclusion.

    ``errors`` are what could not be read of this warehouse's evidence (its handover slots, say);
    each is also among the read's ``Records.errors``, whose other errors concern no one warehouse.
    A warehouse with errors is left out of the drifts its run may resolve; the others are not.
    """

    warehouse_id: str
    slots: SlotSignal | None
    packages: tuple[PackageSignal, ...] = ()
    errors: tuple[RecordError, ...] = ()


@dataclass(frozen=True)
class ProviderRegion:
    """A first-mile pickup region: its provider, waybill prefix and provider switch date.

    ``switch_at`` is None where no source dates the switch: waybills are then not judged by it.
    """

    name: str
    cities: tuple[str, ...]
    provider: str
    prefix: str
    switch_at: datetime | None
    previous_provider: str | None = None
    previous_prefix: str | None = None


#: how sure an inference is: the evidence tables in ``aspects/pickup.py`` say which is which;
#: "operator" is a status an operator recorded (``erpsync pickup confirm``) and no evidence contradicts
Confidence = Literal["strong", "weak", "operator", "none"]


@dataclass(frozen=True, slots=True, init=False)
class Texts:
    """One text in each language erpsync speaks: English and the Chinese operators use."""

    en: str
    zh: str

    def __init__(self, en: str, zh: str) -> None:
        """The dataclass's own ``__init__``, written out: the generated frozen one sets each field
        through ``object.__setattr__``, half the cost of a text, and a diff writes several texts
        per drift. Calling the slots' own setters is what that call amounts to."""
        _SET_EN(self, en)
        _SET_ZH(self, zh)

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def as_dict(self) -> dict[str, str]:
        return {"en": self.en, "zh": self.zh}


#: the setters of the slots of ``Texts``, for its ``__init__``
_SET_EN, _SET_ZH = Texts.__dict__["en"].__set__, Texts.__dict__["zh"].__set__


@dataclass(frozen=True, slots=True)
class SaveEstimate:
    """When Seller Center's warehouse address was saved, as closely as erpsync can tell.

    The platform does not say; erpsync saw the change at ``seen_at`` and the old value last at
    ``after`` (None: never saw it), so the save happened in between. ``at`` is the estimate the
    review clock starts from; ``basis`` says how it was reached, for reports.
    """

    at: datetime
    seen_at: datetime
    after: datetime | None
    basis: Texts


@dataclass(frozen=True, slots=True)
class PickupConfirmation:
    """What an operator saw in Seller Center (``erpsync pickup confirm``), valid until ``expires_at``."""

    warehouse_id: str
    status: SubscriptionStatus  # ACTIVE, NOT_SUBSCRIBED or PENDING_REVIEW
    confirmed_at: datetime
    expires_at: datetime
    note: str = ""


@dataclass(frozen=True, slots=True)
class PickupState:
    """The seller side's pickup subscription, inferred from signals (see aspects/pickup.py).

    ``evidence`` is the English trail kept for logs and JSON; ``why`` says the same in both
    languages for reports. ``since`` is when this state began, as far as erpsync can tell (the
    save that started a review, the change erpsync saw), None when it is older than anything seen.
    """

    warehouse_id: str
    status: SubscriptionStatus
    effective_mode: HandoverMode | None
    provider: str | None = None
    pending_since: datetime | None = None
    confidence: Confidence = "none"
    evidence: tuple[str, ...] = ()
    why: tuple[Texts, ...] = ()
    since: datetime | None = None
    save: SaveEstimate | None = None
    confirmation: PickupConfirmation | None = None


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join("" if p is None else str(p) for p in parts).encode()).hexdigest()


@dataclass(frozen=True, init=False)
class Drift:
    """One disagreement. Its fingerprint names it across runs, so one drift is one row.

    ``identity`` is the part of the values that makes it a different drift: a pickup mode
    mismatch that turns the other way (ERP PICK UP vs DROP OFF) is a new drift, so its old alert
    resolves and a new one opens. None keeps the identity value-independent (an address field
    that is wrong in a new way is the same drift, still open).

    ``stage_of`` names the kind this drift is an earlier stage of, when a problem passes through
    kinds as it gets worse (an order near its ship-by time, ``ship_by_near``, then past it,
    ``ship_by_overdue``). The fingerprint then takes that kind in place of its own, so both
    stages are one drift: moving on updates the open drift, whose severity rises (the store
    alerts it as escalated), instead of resolving it and opening another.

    ``summary``, ``why`` and ``steps`` are for people: the message in each language, what was
    seen and why it matters, and the guided fix (where to click in Seller Center, whom to call).
    """

    shop: str
    aspect: str
    kind: str  # e.g. "field_mismatch", "mode_mismatch", "review_stuck"
    subject: str  # the seller-side id it is about, usually a warehouse id
    field: str | None
    seller_value: str | None
    erp_value: str | None
    severity: Severity
    message: str
    identity: str | None = None
    summary: Texts | None = None
    why: tuple[Texts, ...] = ()
    steps: tuple[Texts, ...] = ()
    stage_of: str | None = None

    def __init__(
        self,
        shop: str,
        aspect: str,
        kind: str,
        subject: str,
        field: str | None,
        seller_value: str | None,
        erp_value: str | None,
        severity: Severity,
        message: str,
        identity: str | None = None,
        summary: Texts | None = None,
        why: tuple[Texts, ...] = (),
        steps: tuple[Texts, ...] = (),
        stage_of: str | None = None,
    ) -> None:
        """The dataclass's own ``__init__``, written out: a diff makes one drift per difference, and
        the generated frozen one pays a call of ``object.__setattr__`` per field, two thirds of
        the cost of a drift. Writing the instance dict directly is what that call amounts to."""
        values = self.__dict__
        values["shop"], values["aspect"], values["kind"], values["subject"] = shop, aspect, kind, subject
        values["field"], values["seller_value"], values["erp_value"] = field, seller_value, erp_value
        values["severity"], values["message"], values["identity"] = severity, message, identity
        values["summary"], values["why"], values["steps"] = summary, why, steps
        values["stage_of"] = stage_of

    @property
    def fingerprint(self) -> str:
        kind = self.stage_of if self.stage_of is not None else self.kind
        parts: tuple[str | None, ...] = (self.shop, self.aspect, kind, self.subject, self.field)
        if self.identity is not None:
            parts += (self.identity,)
        return _digest(*parts)[:32]

    def text(self, lang: str) -> str:
        """The message in ``lang`` (English when the drift has no translation)."""
        return self.summary.get(lang) if self.summary is not None else self.message


Target = Literal["erp", "seller"]


@dataclass(frozen=True)
class Action:
    """A correction the policy plans: write ``value`` into ``field`` of ``subject`` on ``target``."""

    shop: str
    aspect: str
    kind: str  # e.g. "set_address", "set_handover_mode"
    target: Target
    subject: str  # the id on the target side
    field: str | None
    value: str | None
    description: str
    drifts: tuple[str, ...]  # fingerprints of the drifts this fixes
    #: True for corrections that set values (resending is harmless, so each apply run writes
    #: again if the drift is still there); False for pushes that must happen exactly once
    idempotent: bool = True

    @property
    def idempotency_key(self) -> str:
        """Same push, same key: a rerun after a crash finds it in the ledger."""
        return _digest(self.shop, self.aspect, self.kind, self.target, self.subject, self.field, self.value)


@dataclass(frozen=True)
class Records(Generic[T]):
    """What a connector read: the good records and one RecordError per bad one."""

    items: tuple[T, ...] = ()
    errors: tuple[RecordError, ...] = ()
    #: when the read started, when that was before the aspect asked for it (a read ahead,
    #: ``erpsync.shop_reads``): what it shows was so then, not at the aspect's ``now``. None: the
    #: read was made when asked
    as_of: datetime | None = field(default=None, compare=False)


ActionStatus = Literal["planned", "applied", "skipped", "failed", "unsupported"]


@dataclass
class ActionResult:
    action: Action
    status: ActionStatus
    detail: str | None = None
    #: an "applied" write the read after the writes did not read again (``core/aspects/verify.py``):
    #: made, so counted as a write, but its drift stays open and is never counted as fixed
    unverified: bool = False


@dataclass
class AspectReport:
    """One aspect on one shop: what drifted, what was (or would be) done, what could not be read."""

    aspect: str
    drifts: list[Drift] = field(default_factory=list)
    actions: list[ActionResult] = field(default_factory=list)
    record_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)  # fingerprints opened by this run
    resolved: list[str] = field(default_factory=list)  # fingerprints resolved by this run
    error: str | None = None
    #: why the aspect was not run on this shop (not enabled, nothing configured for it); None: it ran
    not_run: str | None = None
    #: the open drifts an aspect not run left open without checking them (an earlier run opened
    #: them): nothing was read, so none may resolve, and the report says so instead
    kept_unchecked: int = 0


@dataclass
class ShopReport:
    shop: str
    aspects: list[AspectReport] = field(default_factory=list)
    error: str | None = None
    #: the aspects a shop stopped by an error did not get through (the one that failed, those after
    #: it): the run's failure stands for them until each has a newer run (the status page)
    unfinished: list[str] = field(default_factory=list)

    @property
    def ran(self) -> bool:
        """Whether the shop was reconciled to the end: a shop stopped by an error (its lease held
        elsewhere, a connector that failed) is not counted as checked in the run's summary."""
        return self.error is None

    @property
    def errors(self) -> list[str]:
        """This shop's errors, one line each: its own, its aspects', their bad records and failed writes."""
        out: list[str] = []
        if self.error:
            out.append(f"{self.shop}: {self.error}")
        for a in self.aspects:
            if a.error:
                out.append(f"{self.shop}/{a.aspect}: {a.error}")
            out.extend(f"{self.shop}/{a.aspect}: {e}" for e in a.record_errors)
            out.extend(
                f"{self.shop}/{a.aspect}: {r.action.description}: {r.detail}" for r in a.actions if r.status == "failed"
            )
        return out


@dataclass
class RunReport:
    """The outcome of ``Syncer.run``; the CLI renders it and derives the exit code from it."""

    run_id: str
    apply: bool
    started_at: datetime
    finished_at: datetime | None = None
    shops: list[ShopReport] = field(default_factory=list)
    interrupted: int | None = None  # the signal (SIGTERM 15, SIGINT 2) that stopped the run early
    #: what the run itself needs an operator to know, apart from any shop (alerts that expired
    #: undelivered, an alert channel that did not answer)
    notes: list[str] = field(default_factory=list)

    @property
    def drifts(self) -> list[Drift]:
        return [d for s in self.shops for a in s.aspects for d in a.drifts]

    @property
    def outstanding(self) -> list[Drift]:
        """Drifts still true after this run: everything in plan mode, the unfixed ones after apply
        (a write not verified included: its drift stays open until a read sees it hold)."""
        fixed = {
            fp
            for s in self.shops
            for a in s.aspects
            for r in a.actions
            if r.status in ("applied", "skipped") and not r.unverified
            for fp in r.action.drifts
        }
        return [d for d in self.drifts if d.fingerprint not in fixed]

    @property
    def not_run(self) -> int:
        """How many aspects of the shops that ran to the end were not run (nothing configured or
        enabled for them): they compared nothing."""
        return sum(1 for s in self.shops if s.ran for a in s.aspects if a.not_run)

    @property
    def checked(self) -> bool:
        """Whether any aspect of a shop that ran to the end read both sides. A run whose aspects
        were all not run checked nothing: it is never reported, stored or judged as in sync."""
        return any(not a.not_run for s in self.shops if s.ran for a in s.aspects)

    @property
    def errors(self) -> list[str]:
        return [line for s in self.shops for line in s.errors]

    @property
    def exit_code(self) -> int:
        """0 in sync, 2 drift outstanding, 1 any error (errors win: they hide what is true);
        128 + the signal when a signal stopped it (143 SIGTERM, 130 SIGINT: the shell's convention)."""
        if self.interrupted:
            return 128 + self.interrupted
        if self.errors:
            return 1
        return 2 if self.outstanding else 0
