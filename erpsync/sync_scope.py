"""Which shops and aspects a run covers: the names a caller gave, checked against the config.

Checked before the run begins, so a typo on the command line (``--shop``, ``--aspect``) is a
``UsageError`` naming what is configured, and never a run recorded in the store that did nothing.
Plain functions of the settings and the registry: nothing here reads the store or a connector.
"""

from __future__ import annotations

from collections.abc import Iterable

from erpsync.core.config import Settings, ShopSettings
from erpsync.core.errors import UsageError
from erpsync.plugins.manager import Registry


def run_scope(
    settings: Settings, registry: Registry, shops: Iterable[str] | None, aspects: Iterable[str] | None
) -> tuple[list[ShopSettings], list[str]]:
    """The run's shops (None: all, in configured order) and aspects (in registered order); a name
    given twice runs once.

    Raises UsageError for an unknown shop or aspect, or for aspects asked for by name that none of
    the chosen shops enables."""
    selected_shops = select_shops(settings, shops)
    selected_aspects = select_aspects(registry, aspects)
    if aspects is not None and not any(
        s.aspects is None or set(s.aspects) & set(selected_aspects) for s in selected_shops
    ):
        raise UsageError(
            f"aspect {', '.join(selected_aspects)} is not enabled for shop "
            f"{', '.join(s.name for s in selected_shops)} (see aspects = [...] in the config)"
        )
    return selected_shops, selected_aspects


def select_shops(settings: Settings, names: Iterable[str] | None) -> list[ShopSettings]:
    """The configured shops named (None: every one); UsageError for a name not configured."""
    if names is None:
        return list(settings.shops)
    chosen = []
    for name in dict.fromkeys(names):  # --shop s --shop s runs s once
        shop = settings.shop(name)
        if shop is None:
            known = ", ".join(s.name for s in settings.shops)
            raise UsageError(f"unknown shop {name!r} (configured: {known})")
        chosen.append(shop)
    return chosen


def select_aspects(registry: Registry, names: Iterable[str] | None) -> list[str]:
    """The registered aspects named (None: every one), in the order they were registered, however
    named: one aspect may depend on another having run first (``ship_by`` checks the orders
    ``tracking`` may just have shipped, ``plugins/defaults.py``); UsageError for a name not registered."""
    known = list(registry.aspects)
    if names is None:
        return known
    chosen = set(names)  # --aspect x --aspect x runs x once
    for name in dict.fromkeys(names):
        if name not in registry.aspects:
            raise UsageError(f"unknown aspect {name!r} (known: {', '.join(known)})")
    return [name for name in known if name in chosen]
