"""An operator's record of a declined call, remembered once it expires (pure).

A record of NOT_SUBSCRIBED or CANCELLED made after a save (what a stuck review advises) keeps
answering that save once it expires (``pickup_record``, see ``pickup_evidence.py``), unless pickup
was seen in effect after the record was made: newer evidence wins over it, as it does while the
record is in force.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from erpsync.core.aspects.pickup_evidence import PickupHistory, aware
from erpsync.core.models import PickupConfirmation, SaveEstimate, SubscriptionStatus

__all__ = ["NO_RECORD", "Declined", "declined_after_save", "record_value"]

NO_RECORD = "none"  # ``pickup_record``: no operator's record made after the save is in force
#: an operator's record that says the provider's call was declined, or never made
DECLINED = frozenset({SubscriptionStatus.NOT_SUBSCRIBED.value, SubscriptionStatus.CANCELLED.value})
_MADE = "@"  # ``pickup_record``: between the record's status and when it was made


def record_value(confirmation: PickupConfirmation) -> str:
    """``pickup_record``'s value for an operator's record in force: its status and when it was made."""
    return f"{confirmation.status.value}{_MADE}{aware(confirmation.confirmed_at).isoformat()}"


@dataclass(frozen=True)
class Declined:
    """An expired operator's record of a declined call (``declined_after_save``)."""

    status: SubscriptionStatus
    last_in_force: datetime  # the last run that saw it in force
    recorded_at: datetime | None  # when the operator made it; None in a row from before it was kept

    def newer_than(self, pickup_seen: datetime | None) -> bool:
        """Whether the record was made after pickup was last seen in effect (None: never dated)."""
        return self.recorded_at is not None and (pickup_seen is None or self.recorded_at > aware(pickup_seen))


def declined_after_save(history: PickupHistory, save: SaveEstimate) -> Declined | None:
    """An operator's record of a declined call made after the save, which has since expired; None
    when there is none (``pickup_record``).

    A record still in force is weighed as a record (``pickup_confirm.py``), not remembered.
    """
    s = history.record
    if s is None or s.value != NO_RECORD or s.previous is None or s.changed_at is None:
        return None
    status, _, made = s.previous.partition(_MADE)
    if status not in DECLINED or aware(s.changed_at) <= save.seen_at:  # lapsed by the run that saw the save
        return None
    try:
        recorded_at = aware(datetime.fromisoformat(made)) if made else None
    except ValueError:
        recorded_at = None
    return Declined(SubscriptionStatus(status), aware(s.previous_seen_at or s.changed_at), recorded_at)
