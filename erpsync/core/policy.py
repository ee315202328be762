"""Which side wins a drift, per aspect and per field.

Defaults, per aspect:

* ``warehouse_address`` and ``pickup``: **Seller Center wins**, the ERP is corrected. Seller
  Center's warehouse address is what the pickup provider uses (the driver calls that phone,
  drives to that street), and the subscription is derived from it. Writing it is not an
  option either way: the Open API has no call to change it (only Seller Center's UI can), and
  every save there, even adding a comma, re-triggers the provider's pickup review, during which
  the seller is back to self-shipping. So the ERP follows the seller side.
* ``listings`` and ``tracking``: the ERP wins: it holds the catalogue and prints the labels.
* ``order_status``: the seller side wins: the marketplace owns the order lifecycle.
* ``ship_by``: alerts only, nothing to decide.

An unknown aspect defaults to ``report``: erpsync never writes without a rule that says so.
A configuration can override the default and any field, e.g.
``[policy] warehouse_address = { default = "seller", phone = "report" }``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, cast, get_args

from erpsync.core.aspects.base import Winner
from erpsync.core.errors import ConfigError
from erpsync.core.models import Drift

__all__ = ["DEFAULT_POLICIES", "WINNERS", "Policy", "policy_for"]

WINNERS: tuple[str, ...] = get_args(Winner)


def _check(value: object, key: str) -> Winner:
    if value not in WINNERS:
        raise ConfigError(f"{value!r} is not one of {', '.join(WINNERS)}", key=key)
    return cast(Winner, value)  # one of WINNERS, checked just above


@dataclass(frozen=True)
class Policy:
    """Who wins the drifts of one aspect: ``default``, unless ``fields`` names the drift.

    ``fields`` is keyed by a drift's field (``phone``, ``handover_mode``) or, for drifts that
    have no field, by its kind (``missing_in_erp``); the field is looked up first.
    """

    aspect: str
    default: Winner
    fields: Mapping[str, Winner] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        _check(self.default, f"policy.{self.aspect}.default")
        for name, winner in self.fields.items():
            _check(winner, f"policy.{self.aspect}.fields.{name}")
        object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))

    def winner_for(self, drift: Drift) -> Winner:
        """The side whose value is kept for ``drift`` ("report": fix nothing, only tell)."""
        if drift.field is not None and drift.field in self.fields:
            return self.fields[drift.field]
        return self.fields.get(drift.kind, self.default)


DEFAULT_POLICIES: dict[str, Policy] = {
    "warehouse_address": Policy("warehouse_address", "seller"),
    "pickup": Policy("pickup", "seller"),
    "listings": Policy("listings", "erp"),
    "tracking": Policy("tracking", "erp"),
    "order_status": Policy("order_status", "seller"),
}


def policy_for(
    aspect: str,
    override: Any = None,
    *,
    base: Policy | None = None,
    key: str | None = None,
    known: Collection[str] = (),
) -> Policy:
    """``base`` (the built-in default for ``aspect``) with one configuration entry applied.

    ``override`` is a winner (the new default, fields kept), a table as the configuration
    writes it (``{default = "seller", phone = "report"}``; a nested ``fields`` table works
    too), or a ``Policy`` used as is. Layers stack: the config loader applies the global
    ``[policy]`` over the built-in default, then the shop's table over that, so a shop that
    names one field keeps everything else the operator decided globally. ``known`` lists the
    field and drift-kind names the aspect understands; any other name is a ConfigError, so a
    typo (``phnoe``) cannot silently leave the real field to the default.
    """
    base = base or DEFAULT_POLICIES.get(aspect, Policy(aspect, "report"))
    key = key or f"policy.{aspect}"
    if override is None:
        return base
    if isinstance(override, Policy):
        return override
    if isinstance(override, str):
        return Policy(aspect, _check(override, key), base.fields)
    if not isinstance(override, Mapping):
        raise ConfigError("expected a side (seller, erp, report) or a table of field = side", key=key)
    nested = override.get("fields") or {}
    if not isinstance(nested, Mapping):
        raise ConfigError("expected a table of field = side", key=f"{key}.fields")
    flat = {k: v for k, v in override.items() if k not in ("default", "fields")}
    named = {**nested, **flat}
    for name, value in named.items():
        if known and name not in known:
            raise ConfigError(f"unknown field or drift kind (known: {', '.join(sorted(known))})", key=f"{key}.{name}")
        _check(value, f"{key}.{name}")
    default = _check(override.get("default", base.default), f"{key}.default")
    return Policy(aspect, default, {**base.fields, **named})
