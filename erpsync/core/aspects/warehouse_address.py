"""The warehouse address aspect: Seller Center's warehouse address, contact and phone vs the ERP's.

Why it matters: the pickup provider uses Seller Center's address (the driver calls that phone and
drives to that street), while the ERP prints the labels. The switch notice (``docs/domain.md``) asks sellers who ship
through a third-party ERP to keep the ERP's address identical and to update it whenever they
change Seller Center's. Cosmetic differences (width, case, whitespace, a trailing comma, phone
format, 省/市 suffixes) are not drift: see ``erpsync.core.address``.

ERP records are bound to Seller Center warehouses by ``Warehouse.seller_warehouse_id``, which
``observe`` sets through the shop's matching rules (``erpsync.core.matching``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from operator import attrgetter

from erpsync.core.address import address_differences
from erpsync.core.aspects import warehouse_texts as words
from erpsync.core.aspects.base import Aspect, Decide, NoSettings, Observation, ObserveContext, UnsupportedAction
from erpsync.core.connector import Connector
from erpsync.core.errors import UsageError
from erpsync.core.matching import match_warehouses
from erpsync.core.models import Action, Address, Drift, Severity, Target, Texts, Warehouse
from erpsync.core.ports import WarehouseReader, WarehouseWriter

__all__ = ["Binding", "WarehouseAddressAspect", "WarehouseObservation", "bind_warehouses", "connector_type", "lacks"]

#: the driver calls this phone and drives to this place: a wrong one means no pickup
_SEVERITY = {
    "phone": Severity.CRITICAL,
    "street": Severity.CRITICAL,
    "city": Severity.CRITICAL,
    "contact_person": Severity.WARNING,
    "state": Severity.WARNING,
    "district": Severity.WARNING,
    "postal_code": Severity.INFO,
    "region_code": Severity.INFO,
}


def connector_type(connector: Connector) -> str:
    """How messages name a connector: its ``type``, else its class name (a ``type``-less class)."""
    return str(getattr(connector, "type", None) or type(connector).__name__)


@dataclass
class Binding:
    """How the ERP's records line up with Seller Center's warehouses."""

    pairs: list[tuple[Warehouse, Warehouse]] = field(default_factory=list)  # (seller, erp)
    missing: list[Warehouse] = field(default_factory=list)  # seller warehouses with no ERP record
    unknown: list[Warehouse] = field(default_factory=list)  # ERP records bound to no seller warehouse
    unbound: list[Warehouse] = field(default_factory=list)  # ERP records with no seller_warehouse_id
    duplicates: dict[str, list[Warehouse]] = field(default_factory=dict)  # seller id -> extra records


#: the sort key of ERP records (C-level)
_by_id = attrgetter("id")


def bind_warehouses(seller: list[Warehouse], erp: list[Warehouse]) -> Binding:
    """Pair each seller warehouse with the ERP record bound to it (lowest ERP id if several).

    Linear, and allocates a list only for a warehouse bound twice: the diff binds shops of
    thousands of warehouses, and the pickup aspect binds once per warehouse.
    """
    out = Binding()
    first, extra = _index_erp(seller, erp, out)
    for warehouse in seller:
        paired = first.get(warehouse.id)
        if paired is None:
            out.missing.append(warehouse)
            continue
        out.pairs.append((warehouse, paired))
        if warehouse.id in extra:
            out.duplicates[warehouse.id] = list(extra[warehouse.id])
    return out


def _index_erp(
    seller: list[Warehouse], erp: list[Warehouse], out: Binding
) -> tuple[dict[str, Warehouse], dict[str, list[Warehouse]]]:
    """The ERP record bound to each seller warehouse id (the lowest ERP id) and the others bound
    to it; records bound to none or to an unknown warehouse go to ``out.unbound``/``out.unknown``."""
    seller_ids = {w.id for w in seller}
    first: dict[str, Warehouse] = {}
    extra: dict[str, list[Warehouse]] = {}
    unbound: list[Warehouse] = []
    unknown: list[Warehouse] = []
    for record in erp:
        bound = record.seller_warehouse_id
        if not bound:
            unbound.append(record)
        elif bound not in seller_ids:
            unknown.append(record)
        elif bound in first:
            extra.setdefault(bound, []).append(record)
        else:
            first[bound] = record
    # Sorted by ERP id only where order shows: a warehouse bound more than once, and the lists of
    # records left out. A stable sort of a part is that part of the stable sort of the whole, so
    # this is what sorting every record first gave, without sorting a shop's records each diff.
    for bound, others in extra.items():
        ranked = sorted([first[bound], *others], key=_by_id)
        first[bound], extra[bound] = ranked[0], ranked[1:]
    out.unbound.extend(sorted(unbound, key=_by_id))
    out.unknown.extend(sorted(unknown, key=_by_id))
    return first, extra


def _pairs(seller: list[Warehouse], erp: list[Warehouse], out: Binding) -> Iterator[tuple[Warehouse, Warehouse]]:
    """``bind_warehouses``' pairs, one at a time, for a diff that keeps none of them.

    ``out`` receives everything else as ``bind_warehouses`` reports it, complete once the
    pairs are exhausted: a shop of a million warehouses is diffed without a list of its pairs.
    """
    first, extra = _index_erp(seller, erp, out)
    for warehouse in seller:
        paired = first.get(warehouse.id)
        if paired is None:
            out.missing.append(warehouse)
            continue
        yield warehouse, paired
        if warehouse.id in extra:
            out.duplicates[warehouse.id] = list(extra[warehouse.id])
            out.pairs.append((warehouse, paired))  # only the pairs a duplicate names


def lacks(connector: Connector, side: str, what: str) -> UsageError:
    """The one-line error for a side that lacks a capability the aspect reads through.

    Aspects test the capability inline (``if not isinstance(ctx.seller, WarehouseReader): raise
    lacks(...)``) rather than through a helper taking the protocol class: ``isinstance`` narrows
    the connector for the checker, and a protocol class cannot be a ``type[T]`` argument.
    """
    return UsageError(f"{side} {connector_type(connector)!r} cannot {what}")


@dataclass
class WarehouseObservation(Observation):
    seller_warehouses: list[Warehouse] = field(default_factory=list)
    erp_warehouses: list[Warehouse] = field(default_factory=list)
    missing_checked: bool = True  # False while ERP rows are unreadable: "missing" may be one of them

    def binding(self) -> Binding:
        return bind_warehouses(self.seller_warehouses, self.erp_warehouses)


class WarehouseAddressAspect(Aspect):
    name = "warehouse_address"
    description = "Seller Center warehouse address, contact and phone vs the ERP's warehouse record"
    Settings = NoSettings  # nothing to configure: [aspects.warehouse_address] may only be empty
    drift_kinds = frozenset(["field_mismatch", "missing_in_erp", "unknown_warehouse", "duplicate_binding"])
    policy_keys = drift_kinds | frozenset(Address.__dataclass_fields__)

    def observe(self, ctx: ObserveContext) -> WarehouseObservation:
        if not isinstance(ctx.seller, WarehouseReader):
            raise lacks(ctx.seller, "seller", "read warehouses")
        if not isinstance(ctx.erp, WarehouseReader):
            raise lacks(ctx.erp, "ERP", "read warehouses")
        seller, erp = ctx.seller.list_warehouses(), ctx.erp.list_warehouses()
        matched = match_warehouses(seller.items, erp.items, ctx.matching)
        obs = WarehouseObservation(
            shop=ctx.shop,
            now=ctx.now,
            record_errors=[*seller.errors, *erp.errors],
            seller_warehouses=list(seller.items),
            erp_warehouses=matched.erp,
            learned_bindings=matched.learned,
            stale_bindings=matched.stale,
        )
        binding = obs.binding()
        obs.notes.extend(matched.notes(binding.unbound))
        # What this run saw completely: only those subjects' open drifts may resolve.
        obs.scope = {s.id for s, _ in binding.pairs}
        if not erp.errors:
            obs.scope |= {w.id for w in binding.missing}
        else:
            obs.notes.extend(
                f"{w.id} ({w.name}): no readable ERP record; {len(erp.errors)} ERP record(s) could not be read, "
                "see the errors"
                for w in binding.missing
            )
        if not seller.errors and seller.items:
            obs.scope |= {w.id for w in binding.unknown}
        obs.missing_checked = not erp.errors
        return obs

    def diff(self, observation: Observation) -> list[Drift]:
        assert isinstance(observation, WarehouseObservation)
        obs, shop = observation, observation.shop
        binding = Binding()  # filled by _pairs as the pairs go by: its pairs are only the duplicates'
        drifts: list[Drift] = []

        def drift(
            kind: str,
            subject: str,
            fld: str | None,
            s: str | None,
            e: str | None,
            severity: Severity,
            texts: Texts,
        ) -> None:
            drifts.append(Drift(shop, self.name, kind, subject, fld, s, e, severity, texts.en, summary=texts))

        for seller, erp in _pairs(obs.seller_warehouses, obs.erp_warehouses, binding):
            for name, s_value, e_value in address_differences(seller.address, erp.address):
                texts = words.field_mismatch(seller.id, erp.id, name, s_value, e_value)
                drift("field_mismatch", seller.id, name, s_value, e_value, _SEVERITY[name], texts)
        for seller in binding.missing if obs.missing_checked else ():
            # With unreadable ERP rows the record may be one of them: the record error says so
            # (see observe), and a drift would open and alert only to resolve once it is fixed.
            drift(
                "missing_in_erp",
                seller.id,
                None,
                seller.name,
                None,
                Severity.WARNING,
                words.missing_in_erp(seller.id, seller.name),
            )
        for erp in binding.unknown:
            drift(
                "unknown_warehouse",
                erp.id,
                None,
                None,
                erp.seller_warehouse_id,
                Severity.WARNING,
                words.unknown_warehouse(erp.id, erp.seller_warehouse_id),
            )
        compared = {s.id: e for s, e in binding.pairs}
        for seller_id, extra in binding.duplicates.items():
            first = compared[seller_id]
            ids = ", ".join(w.id for w in extra)
            drift(
                "duplicate_binding",
                seller_id,
                None,
                None,
                ids,
                Severity.WARNING,
                words.duplicate_binding(seller_id, first.id, ids),
            )
        return drifts

    def plan(self, drifts: list[Drift], decide: Decide, observation: Observation) -> list[Action]:
        """One ``set_address`` action per warehouse and direction, covering all its decided fields."""
        assert isinstance(observation, WarehouseObservation)
        pairs = {s.id: (s, e) for s, e in observation.binding().pairs}
        grouped: dict[tuple[str, Target], list[Drift]] = {}
        for d in drifts:
            if d.aspect != self.name or d.kind != "field_mismatch" or d.subject not in pairs:
                continue
            winner = decide(d)
            if winner == "seller" or winner == "erp":  # `in` would not narrow the Literal
                grouped.setdefault((d.subject, winner), []).append(d)
        order = {name: i for i, name in enumerate(Address.__dataclass_fields__)}
        actions = []
        for (subject, source_side), items in grouped.items():
            seller, erp = pairs[subject]
            names = sorted({d.field for d in items if d.field}, key=order.__getitem__)
            target: Target
            if source_side == "seller":
                target, target_id, source = "erp", erp.id, seller.address
                what = f"set ERP warehouse {erp.id} address fields {', '.join(names)} from Seller Center"
            else:
                target, target_id, source = "seller", seller.id, erp.address
                what = f"set Seller Center warehouse {seller.id} address fields {', '.join(names)} from ERP"
            changes = {name: getattr(source, name) for name in names}  # only these fields are written
            actions.append(
                Action(
                    shop=observation.shop,
                    aspect=self.name,
                    kind="set_address",
                    target=target,
                    subject=target_id,
                    field=None,
                    value=json.dumps(changes, sort_keys=True, ensure_ascii=False),
                    description=what,
                    drifts=tuple(d.fingerprint for d in items),
                )
            )
        return actions

    def _writer(self, action: Action, seller: Connector, erp: Connector) -> WarehouseWriter:
        """The side that writes ``action``, narrowed to ``WarehouseWriter``; else why not."""
        if action.kind != "set_address":
            raise ValueError(f"{self.name} cannot apply {action.kind!r}")
        if action.target == "erp":
            if not isinstance(erp, WarehouseWriter):
                raise UnsupportedAction(
                    f"ERP {connector_type(erp)!r} cannot write warehouse addresses: drift reported, not fixed"
                )
            return erp
        if not isinstance(seller, WarehouseWriter):
            raise UnsupportedAction(
                f"seller {connector_type(seller)!r} cannot write warehouse addresses: Seller Center's "
                "address can only be edited in Seller Center (我的账号 - 商家资料 - 仓库地址), and "
                "saving it re-triggers the pickup review: drift reported, not fixed"
            )
        return seller

    def check_apply(self, action: Action, seller: Connector, erp: Connector) -> None:
        self._writer(action, seller, erp)

    def apply(self, action: Action, seller: Connector, erp: Connector) -> None:
        writer = self._writer(action, seller, erp)
        changes = json.loads(action.value or "{}")
        writer.set_warehouse_address(action.subject, changes)
