"""Which ERP warehouse record is which Seller Center warehouse: matching, done once, in the core.

Every comparison starts here: an address or a handover mode can only be compared between two
records known to be the same warehouse. Connectors only read records; how they line up is
decided by these rules, in this order, for each ERP record:

1. ``configured``: the shop's ``bindings`` table in the config (ERP id → Seller Center id), the
   operator's word, which overrides everything below;
2. ``record``: the Seller Center id the ERP keeps on the record itself (``seller_warehouse_id``,
   e.g. a column of the files ERP), when it keeps one;
3. ``learned``: a match made automatically by an earlier run and kept in the store, as long as
   its Seller Center warehouse still exists (a learned match to a deleted warehouse is dropped
   and the record matched again);
4. automatically, among the records and warehouses still unmatched, by each of the shop's
   ``match_by`` keys: ``code`` (the ERP id is a Seller Center warehouse id), ``name`` (equal
   names, ignoring width, case and spaces) and ``address`` (equal province, city, district and
   street, as the address rules compare them). A key decides only when it names exactly one
   record on each side; when the keys that decide agree, the records match.

A record that several warehouses fit, or that two records would claim, is **ambiguous**; one no
key fits is **unmatched**. Neither is ever guessed: both are reported, with the fix (a line in
``bindings``), and left out of the comparison. An automatic match is returned as ``learned``
for the host to keep, so it survives the very edit (a new street) that is drift to report.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from erpsync.core.address import normalize_address
from erpsync.core.models import Warehouse

__all__ = ["MATCH_KEYS", "Match", "MatchRules", "match_warehouses"]

MatchKey = Literal["code", "name", "address"]
#: the automatic keys, in the order messages name them
MATCH_KEYS: tuple[MatchKey, ...] = ("code", "name", "address")
#: the entity name matches are kept under in the store's bindings table
ENTITY = "warehouse"


@dataclass(frozen=True)
class MatchRules:
    """A shop's matching settings and what earlier runs learned (all ERP id → Seller Center id)."""

    configured: Mapping[str, str] = field(default_factory=dict)
    learned: Mapping[str, str] = field(default_factory=dict)
    by: tuple[MatchKey, ...] = MATCH_KEYS


@dataclass
class Match:
    """The ERP records with ``seller_warehouse_id`` set where matched, and what was decided."""

    erp: list[Warehouse] = field(default_factory=list)
    #: ERP id → how it was matched: "configured", "record", "learned", or the key that decided
    how: dict[str, str] = field(default_factory=dict)
    #: automatic matches made by this call (ERP id → Seller Center id), for the host to keep
    learned: dict[str, str] = field(default_factory=dict)
    #: learned matches whose Seller Center warehouse is gone, for the host to drop
    stale: list[str] = field(default_factory=list)
    #: ERP id → the Seller Center ids it could be (two or more, or one another record also fits)
    ambiguous: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: ERP ids no key fits
    unmatched: list[str] = field(default_factory=list)

    def notes(self, records: Iterable[Warehouse]) -> list[str]:
        """One line per record left out, saying why and how to bind it."""
        out = []
        for w in records:
            label = f"ERP warehouse {w.id}" + (f" ({w.name})" if w.name else "")
            if w.id in self.ambiguous:
                fits = " or ".join(self.ambiguous[w.id])
                out.append(
                    f"{label} could be Seller Center warehouse {fits}: not compared, never guessed; "
                    f'bind it in the shop\'s bindings ("{w.id}" = "<Seller Center warehouse id>")'
                )
            elif w.id in self.unmatched:
                out.append(
                    f"{label} matches no Seller Center warehouse by id, name or address: not compared; "
                    f'bind it in the shop\'s bindings ("{w.id}" = "<Seller Center warehouse id>")'
                )
        return out


def match_warehouses(seller: Iterable[Warehouse], erp: Iterable[Warehouse], rules: MatchRules) -> Match:
    """Line the ERP records up with Seller Center's warehouses by ``rules`` (see the module doc).

    Pure and linear: one pass over each side plus one index per automatic key.
    """
    sellers = {w.id: w for w in seller}
    records = list(erp)
    out = Match()
    chosen: dict[str, str] = {}  # ERP id → Seller Center id, by the explicit rules
    for w in records:
        configured = rules.configured.get(w.id)
        if configured:
            chosen[w.id], out.how[w.id] = configured, "configured"
        elif w.seller_warehouse_id:
            chosen[w.id], out.how[w.id] = w.seller_warehouse_id, "record"
    taken = set(chosen.values())
    for w in records:
        learned = rules.learned.get(w.id)
        if w.id in chosen or not learned:
            continue
        if learned in sellers and learned not in taken:
            chosen[w.id], out.how[w.id] = learned, "learned"
            taken.add(learned)
        else:
            out.stale.append(w.id)  # its warehouse is gone, or now claimed explicitly: match it again
    free_records = [w for w in records if w.id not in chosen]
    free_sellers = [w for i, w in sellers.items() if i not in taken]
    if free_records and free_sellers and rules.by:
        _match_automatically(free_records, free_sellers, rules.by, out, chosen)
    else:
        out.unmatched.extend(w.id for w in free_records)
    out.erp = [
        replace(w, seller_warehouse_id=chosen[w.id])
        if chosen.get(w.id, w.seller_warehouse_id) != w.seller_warehouse_id
        else w
        for w in records
    ]
    return out


@dataclass
class _Index:
    """One automatic key over both sides: which sellers and how many records have each value."""

    name: MatchKey
    key: Callable[[Warehouse], str]
    sellers: dict[str, list[str]] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)


def _match_automatically(
    records: list[Warehouse], sellers: list[Warehouse], keys: tuple[MatchKey, ...], out: Match, chosen: dict[str, str]
) -> None:
    """Match ``records`` to ``sellers`` (both unmatched so far) where the keys leave no doubt."""
    indexes = [_Index(name, _KEYS[name]) for name in keys]
    for index in indexes:
        for w in sellers:
            if k := index.key(w):
                index.sellers.setdefault(k, []).append(w.id)
        for w in records:
            if k := index.key(w):
                index.records[k] = index.records.get(k, 0) + 1
    proposed: dict[str, tuple[str, MatchKey]] = {}  # ERP id → (Seller Center id, the key that decided)
    claims: dict[str, list[str]] = {}  # Seller Center id → ERP ids proposing it
    for w in records:
        decided: dict[str, MatchKey] = {}  # Seller Center id → the first key that named it alone
        found: list[list[str]] = []  # each key's candidates, where it has any
        for index in indexes:
            k = index.key(w)
            candidates = index.sellers.get(k, []) if k else []
            if not candidates:
                continue
            found.append(candidates)
            # a value another record shares decides nothing: the one fit is not w's alone
            if index.records[k] == 1 and len(candidates) == 1:
                decided.setdefault(candidates[0], index.name)
        fits = {i for candidates in found for i in candidates}
        # a key that fits only other warehouses (same name as one, same street as another) is doubt
        if len(decided) == 1 and all(next(iter(decided)) in candidates for candidates in found):
            ((seller_id, name),) = decided.items()
            proposed[w.id] = (seller_id, name)
            claims.setdefault(seller_id, []).append(w.id)
        elif fits:
            out.ambiguous[w.id] = tuple(sorted(fits))
        else:
            out.unmatched.append(w.id)
    for erp_id, (seller_id, name) in proposed.items():
        if len(claims[seller_id]) > 1:  # two records, each sure by a different key: neither is
            out.ambiguous[erp_id] = (seller_id,)
            continue
        chosen[erp_id] = out.learned[erp_id] = seller_id
        out.how[erp_id] = name


def _fold(text: str) -> str:
    """Width, case and spaces ignored: "Ｗａｒｅｈｏｕｓｅ  A" and "warehouse a" are one name."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def _code(w: Warehouse) -> str:
    return w.id.strip()


def _name(w: Warehouse) -> str:
    return _fold(w.name)


def _place(w: Warehouse) -> str:
    """Province, city, district and street as the address rules compare them; "" without a street."""
    if not w.address.street.strip():
        return ""
    a = normalize_address(w.address)
    return "\x1f".join((a.state, a.city, a.district, a.street))


_KEYS: dict[MatchKey, Callable[[Warehouse], str]] = {"code": _code, "name": _name, "address": _place}
