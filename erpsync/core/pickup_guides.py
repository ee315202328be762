"""Guided fixes for what only Seller Center can change: the steps an operator follows, as data.

The Open API writes neither the pickup subscription nor the warehouse address, so for those drifts
erpsync can only tell the operator what to do. The steps are the 2023 provider switch notice's
(``docs/domain.md``, ``docs/pickup-guides.md``), kept in ``pickup_guides.toml`` beside this module
in both languages so they can be read, reviewed and replaced without touching code: a
configuration overrides any topic, per provider or region too, and the provider contacts
(``[aspects.pickup.guides]``, validated by ``aspects/pickup_settings.py``).

A topic is a list of steps; a drift kind maps to topics (``steps_for_drift``). Steps may name
``{provider}``, ``{phone}``, ``{hours}``, ``{shop}`` and ``{warehouse}``; a step that needs a phone
number for a provider erpsync knows none for becomes the ``no_contact`` steps, so no alert ever
tells an operator to call an empty number.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from erpsync.core.models import HandoverMode, Texts

__all__ = [
    "DEFAULT_GUIDES",
    "PLACEHOLDERS",
    "RESERVED_KEYS",
    "TOPICS",
    "Guides",
    "ProviderContact",
    "builtin_table",
    "guides_from_table",
    "placeholders_in",
    "steps_for_drift",
]

#: every topic a drift kind can show; a configuration may override these and no others
TOPICS: tuple[str, ...] = (
    "check_status",
    "subscribe",
    "cancel",
    "review_pending",
    "review_stuck",
    "driver_missing",
    "label_check",
    "out_of_coverage",
    "set_erp_pickup",
    "set_erp_drop_off",
    "erp_match",
    "confirm_status",
    "no_contact",
)
#: the keys of a guides table that are not topics
RESERVED_KEYS: tuple[str, ...] = ("contacts", "names", "providers", "regions")
#: what a step may name in braces
PLACEHOLDERS: frozenset[str] = frozenset({"provider", "phone", "hours", "shop", "warehouse"})
_CONTACT_FIELDS = frozenset({"phone", "hours"})

Steps = tuple[Texts, ...]
#: a step filled but for the shop and warehouse: the template and each language's other values,
#: or the finished text when it names neither
_Step = Texts | tuple[Texts, dict[str, dict[str, str]]]
#: the finished steps when none names the shop or warehouse, and the steps as prepared
_Prepared = tuple[Steps | None, tuple[_Step, ...]]
_PER_DRIFT = frozenset({"shop", "warehouse"})
#: at most this many prepared combinations per guides (provider and region names come from data)
_PREPARED_MAX = 4096


@dataclass(frozen=True)
class ProviderContact:
    """How to reach a first-mile provider's customer service."""

    provider: str
    phone: str
    hours: Texts


def _key(name: str) -> str:
    """Providers and regions are looked up case-insensitively: ``wanse`` in a config is Wanse."""
    return name.strip().casefold()


@dataclass(frozen=True)
class Guides:
    """Steps per topic (``check_status``, ``subscribe``, ``cancel``, ``review_stuck``, ...) and contacts.

    ``providers`` and ``regions`` hold variants of a topic for one provider or region (a region's
    wins over its provider's, which wins over ``steps``); ``names`` are the providers' names in
    each language (Wanse is 万色 in Chinese text).
    """

    steps: Mapping[str, Steps] = field(default_factory=dict)
    contacts: Mapping[str, ProviderContact] = field(default_factory=dict)
    names: Mapping[str, Texts] = field(default_factory=dict)
    providers: Mapping[str, Mapping[str, Steps]] = field(default_factory=dict)
    regions: Mapping[str, Mapping[str, Steps]] = field(default_factory=dict)
    #: ``steps_for_drift``'s work up to the shop and warehouse, per (kind, ERP mode, provider,
    #: region, covered): a diff asks for a few such combinations thousands of times. Kept on these guides,
    #: so other guides (another shop's configuration) never see it.
    _prepared: dict[tuple[str, HandoverMode | None, str | None, str | None, bool], _Prepared] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    #: ``name``'s answers: drift texts name a provider per drift, and a look-up compares every name
    _named: dict[str, Texts] = field(default_factory=dict, init=False, repr=False, compare=False)

    def topic(self, topic: str, *, provider: str | None = None, region: str | None = None) -> Steps:
        """The steps of ``topic`` for this provider and region: the most specific variant there is."""
        for variants, name in ((self.regions, region), (self.providers, provider)):
            found: Mapping[str, Steps] = {} if name is None else _lookup(variants, name) or {}
            if topic in found:
                return found[topic]
        return self.steps.get(topic, ())

    def contact(self, provider: str | None) -> ProviderContact | None:
        return None if provider is None else _lookup(self.contacts, provider)

    def name(self, provider: str | None) -> Texts:
        if provider is None:
            return Texts("the pickup provider", "揽收服务商")
        found = self._named.get(provider)
        if found is None:
            if len(self._named) >= _PREPARED_MAX:
                self._named.clear()
            found = self._named[provider] = _lookup(self.names, provider) or Texts(provider, provider)
        return found

    def merged(self, override: Guides) -> Guides:
        """These guides with ``override``'s entries in their place.

        A topic overridden in general replaces this topic everywhere: its provider and region
        variants here are dropped, so an operator's own text is what every provider shows.
        """
        replaced = set(override.steps)

        def variants(
            mine: Mapping[str, Mapping[str, Steps]], theirs: Mapping[str, Mapping[str, Steps]]
        ) -> dict[str, dict[str, Steps]]:
            out: dict[str, tuple[str, dict[str, Steps]]] = {}
            for name, topics in mine.items():
                out[_key(name)] = (name, {t: s for t, s in topics.items() if t not in replaced})
            for name, topics in theirs.items():
                kept = out.get(_key(name), (name, {}))[1]
                out[_key(name)] = (name, {**kept, **topics})
            return dict(out.values())

        return Guides(
            steps={**self.steps, **override.steps},
            contacts=_merge_keyed(self.contacts, override.contacts),
            names=_merge_keyed(self.names, override.names),
            providers=variants(self.providers, override.providers),
            regions=variants(self.regions, override.regions),
        )


def _lookup(table: Mapping[str, Any], name: str) -> Any:
    wanted = _key(name)
    return next((v for k, v in table.items() if _key(k) == wanted), None)


def _merge_keyed(mine: Mapping[str, Any], theirs: Mapping[str, Any]) -> dict[str, Any]:
    """``mine`` with ``theirs`` in place of entries of the same name in any case, spelled as given."""
    out: dict[str, tuple[str, Any]] = {_key(k): (k, v) for k, v in mine.items()}
    out.update({_key(k): (k, v) for k, v in theirs.items()})
    return dict(out.values())


def placeholders_in(text: str) -> set[str]:
    """The names a step uses in braces (``{phone}`` -> ``phone``); raises ValueError on stray braces."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _topic_steps(table: Mapping[str, Any]) -> Steps:
    return tuple(Texts(en, zh) for en, zh in zip(table["en"], table["zh"], strict=True))


def _topics(table: Mapping[str, Any]) -> dict[str, Steps]:
    return {topic: _topic_steps(table[topic]) for topic in TOPICS if topic in table}


def guides_from_table(table: Mapping[str, Any]) -> Guides:
    """Guides from a table shaped like ``[aspects.pickup.guides]`` (and ``pickup_guides.toml``).

    The table must already be valid (the configuration schema checks a user's; a unit test checks
    the built-in file with the same schema), so this only builds.
    """
    contacts = {
        name: ProviderContact(name, str(c["phone"]), Texts(c["hours_en"], c["hours_zh"]))
        for name, c in table.get("contacts", {}).items()
    }
    return Guides(
        steps=_topics(table),
        contacts=contacts,
        names={name: Texts(n["en"], n["zh"]) for name, n in table.get("names", {}).items()},
        providers={name: _topics(t) for name, t in table.get("providers", {}).items()},
        regions={name: _topics(t) for name, t in table.get("regions", {}).items()},
    )


def builtin_table() -> dict[str, Any]:
    """The built-in guides as the raw table, for the schema test and ``docs/pickup-guides.md``."""
    text = resources.files("erpsync.core").joinpath("pickup_guides.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


DEFAULT_GUIDES = guides_from_table(builtin_table())


def _topics_for(kind: str, erp_mode: HandoverMode | None, covered: bool) -> tuple[str, ...]:
    if not covered and kind in ("mode_mismatch", "label_mode_mismatch"):
        # no provider collects there, so subscribing (or waiting for a driver) is no way out
        return ("out_of_coverage", "set_erp_drop_off")
    if kind == "mode_mismatch":
        if erp_mode is HandoverMode.PICKUP:  # Seller Center is not PICK UP: subscribe, or ship DROP OFF
            return ("check_status", "subscribe", "set_erp_drop_off")
        if erp_mode is HandoverMode.DROP_OFF:  # Seller Center is PICK UP: cancel, or let the ERP say so
            return ("check_status", "cancel", "set_erp_pickup")
        return ("check_status", "erp_match")
    return {
        "pickup_unconfirmed": ("check_status", "confirm_status"),
        "review_pending": ("review_pending",),
        "review_stuck": ("review_stuck",),
        "label_mode_mismatch": ("check_status", "erp_match", "driver_missing"),
        "waybill_provider_mismatch": ("label_check",),
        "pickup_out_of_coverage": ("out_of_coverage", "set_erp_drop_off"),
    }.get(kind, ())


def steps_for_drift(
    kind: str,
    *,
    guides: Guides = DEFAULT_GUIDES,
    erp_mode: HandoverMode | None = None,
    provider: str | None = None,
    region: str | None = None,
    shop: str | None = None,
    warehouse: str | None = None,
    covered: bool = True,
) -> tuple[Texts, ...]:
    """The guided fix for a pickup drift of ``kind``, with the provider's contact filled in.

    ``erp_mode`` is what the ERP says (it decides between "subscribe" and "cancel" steps);
    ``provider``/``region`` pick the contact and region-specific steps; ``shop``/``warehouse``
    complete the ``erpsync pickup confirm`` command. ``covered`` is False for a warehouse outside
    every pickup region: its ``mode_mismatch`` and ``label_mode_mismatch`` then say what can be
    done there (ship DROP OFF, check the address) instead of subscribing. Unknown kinds: ().
    """
    key = (kind, erp_mode, provider, region, covered)
    prepared = guides._prepared.get(key)
    if prepared is None:
        if len(guides._prepared) >= _PREPARED_MAX:
            guides._prepared.clear()
        prepared = guides._prepared[key] = _prepare(kind, guides, erp_mode, provider, region, covered)
    finished, steps = prepared
    if finished is not None:
        return finished
    here = {"shop": shop or "<shop>", "warehouse": warehouse or "<warehouse>"}
    out: list[Texts] = []
    for step in steps:
        if not isinstance(step, Texts):
            s, values = step
            step = Texts(s.en.format_map({**values["en"], **here}), s.zh.format_map({**values["zh"], **here}))
        if step not in out:
            out.append(step)
    return tuple(out)


def _prepare(
    kind: str, guides: Guides, erp_mode: HandoverMode | None, provider: str | None, region: str | None, covered: bool
) -> _Prepared:
    """``steps_for_drift`` but for the shop and warehouse, which differ on every drift."""
    contact = guides.contact(provider)
    name = guides.name(provider)
    values = {
        lang: {
            "provider": name.get(lang),
            "phone": contact.phone if contact else "",
            "hours": contact.hours.get(lang) if contact else "",
        }
        for lang in ("en", "zh")
    }
    out: list[_Step] = []
    for topic in _topics_for(kind, erp_mode, covered):
        for step in guides.topic(topic, provider=provider, region=region):
            needs_contact = (placeholders_in(step.en) | placeholders_in(step.zh)) & _CONTACT_FIELDS
            todo = (
                guides.topic("no_contact", provider=provider, region=region)
                if needs_contact and not contact
                else (step,)
            )
            for s in todo:
                prepared: _Step
                if (placeholders_in(s.en) | placeholders_in(s.zh)) & _PER_DRIFT:
                    prepared = (s, values)
                else:
                    prepared = Texts(s.en.format_map(values["en"]), s.zh.format_map(values["zh"]))
                if prepared not in out:
                    out.append(prepared)
    finished = tuple(step for step in out if isinstance(step, Texts))
    return (finished if len(finished) == len(out) else None), tuple(out)
