"""A shop's warehouse-matching rules for one run, and keeping what the run's matching learned.

The matching itself is pure (``erpsync.core.matching``); this is its edge: the configured
``bindings`` and ``match_by`` of the shop plus the matches earlier runs learned, read from the
store, and afterwards the automatic matches to keep and the stale ones to drop.
"""

from __future__ import annotations

import threading
from datetime import datetime

from erpsync.core.aspects.base import Observation
from erpsync.core.config import ShopSettings
from erpsync.core.matching import ENTITY, MatchRules
from erpsync.core.store import Store


def match_rules(store: Store, shop: ShopSettings) -> MatchRules:
    """The rules ``match_warehouses`` applies to ``shop`` in this run."""
    learned = {erp_id: row.seller_id for erp_id, row in store.bindings.for_entity(shop.name, ENTITY).items()}
    return MatchRules(
        configured=shop.bindings,
        learned={erp_id: seller_id for erp_id, seller_id in learned.items() if seller_id},
        by=shop.match_by,
    )


class MatchRulesPerRun:
    """Each shop's rules read once per run, shared by its aspects (the store read is per shop).

    A match one aspect learns mid-run is not in the rules a later aspect of the same run gets:
    that aspect makes the same automatic match again from the same records, so nothing differs.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._run: str | None = None
        self._rules: dict[str, MatchRules] = {}

    def get(self, store: Store, shop: ShopSettings, run_id: str) -> MatchRules:
        with self._lock:
            if self._run != run_id:
                self._run, self._rules = run_id, {}
            rules = self._rules.get(shop.name)
        if rules is None:
            rules = match_rules(store, shop)
            with self._lock:
                if self._run == run_id:
                    self._rules[shop.name] = rules
        return rules


def keep_matches(store: Store, shop: str, observation: Observation, now: datetime) -> None:
    """Keep the automatic matches ``observation`` made and drop the stale ones it found."""
    if observation.stale_bindings:
        store.bindings.forget(shop, ENTITY, list(observation.stale_bindings))
    store.bindings.bind_many(shop, ENTITY, observation.learned_bindings, now=now)
