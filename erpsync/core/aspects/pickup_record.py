"""An operator's record of a declined call, remembered once it expires (pure).

A record of NOT_SUBSCRIBED or CANCELLED made after a save (what a stuck review advises) keeps
answering that save once it expires (``pickup_record``, see ``pickup_evidence.py``), unless pickup
was seen in effect after the record was made: newer evidence wins over it, as it does while the
record is in force. A package dates itself. The handover slots offering pickup do not: the
activation a run remembers (``pickup_activation``) is dated from when pickup turned in effect,
which may be before the record, and a later run may fail to read the slots. So whether the slots
offered pickup since the record was made is kept apart (``pickup_offered_after_record``);
without it, such a run would weigh the decline against only the older activation and the older
PICK UP parcels, and read the warehouse as declined again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from erpsync.core.aspects.pickup_evidence import PickupHistory, aware
from erpsync.core.models import PickupConfirmation, SaveEstimate, SubscriptionStatus
from erpsync.core.ports import Sighting

__all__ = ["NO_RECORD", "Declined", "declined_after_save", "offered_after_record", "record_value", "weighed_decline"]

NO_RECORD = "none"  # ``pickup_record``: no operator's record made after the save is in force
#: an operator's record that says the provider's call was declined, or never made
DECLINED = frozenset({SubscriptionStatus.NOT_SUBSCRIBED.value, SubscriptionStatus.CANCELLED.value})
_MADE = "@"  # ``pickup_record``: between the record's status and when it was made
#: ``pickup_offered_after_record``: after the record's value, when that run's slots offered pickup
_OFFERED = "+offered"


def record_value(confirmation: PickupConfirmation) -> str:
    """``pickup_record``'s value for an operator's record in force: its status and when it was made."""
    return f"{confirmation.status.value}{_MADE}{aware(confirmation.confirmed_at).isoformat()}"


def _lapsed_decline(record: Sighting | None, save: SaveEstimate) -> str | None:
    """The ``pickup_record`` value of a record of a declined call made after the save that has
    expired since (None: there is none, or it lapsed by the run that saw the save)."""
    if record is None or record.value != NO_RECORD or record.previous is None or record.changed_at is None:
        return None
    if record.previous.partition(_MADE)[0] not in DECLINED or aware(record.changed_at) <= save.seen_at:
        return None
    return record.previous


def weighed_decline(record: Sighting, save: SaveEstimate) -> str | None:
    """The ``pickup_record`` value of the record of a declined call that answers the save this run,
    in force or expired (None: no such record): ``pickup_offered_after_record`` is kept for it."""
    if record.value.partition(_MADE)[0] in DECLINED:
        return record.value
    return _lapsed_decline(record, save)


def offered_after_record(recorded: str, offered_now: bool) -> str:
    """``pickup_offered_after_record``'s value for the record ``recorded``: this run's slots
    offered pickup, or not (not read, or refusing it)."""
    return f"{recorded}{_OFFERED}" if offered_now else recorded


def _offered_since(offered: Sighting | None, recorded: str) -> bool:
    """Whether a run since the record ``recorded`` was made saw the slots offer pickup: this run or
    the last one that recorded anything else for it (the memory keeps the value before the current
    one until the value changes again, so a run that read no slots does not lose it)."""
    if offered is None:
        return False
    seen = offered_after_record(recorded, offered_now=True)
    return offered.value == seen or (offered.value == recorded and offered.previous == seen)


@dataclass(frozen=True)
class Declined:
    """An expired operator's record of a declined call (``declined_after_save``)."""

    status: SubscriptionStatus
    last_in_force: datetime  # the last run that saw it in force
    recorded_at: datetime | None  # when the operator made it; None in a row from before it was kept
    offered_since: bool = False  # a run since it was made saw the slots offer pickup

    def newer_than(self, pickup_seen: datetime | None) -> bool:
        """Whether the record was made after pickup was last seen in effect (None: never dated).

        Never once the slots offered pickup since it was made: that sighting is newer, whatever
        the date of the evidence this run rests on.
        """
        if self.offered_since or self.recorded_at is None:
            return False
        return pickup_seen is None or self.recorded_at > aware(pickup_seen)


def declined_after_save(history: PickupHistory, save: SaveEstimate) -> Declined | None:
    """An operator's record of a declined call made after the save, which has since expired; None
    when there is none (``pickup_record``).

    A record still in force is weighed as a record (``pickup_confirm.py``), not remembered.
    """
    s = history.record
    recorded = _lapsed_decline(s, save)
    if s is None or s.changed_at is None or recorded is None:
        return None
    status, _, made = recorded.partition(_MADE)
    try:
        recorded_at = aware(datetime.fromisoformat(made)) if made else None
    except ValueError:
        recorded_at = None
    offered = _offered_since(history.offered_after_record, recorded)
    return Declined(SubscriptionStatus(status), aware(s.previous_seen_at or s.changed_at), recorded_at, offered)
