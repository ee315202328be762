"""Every drift kind a built-in aspect can produce has words in English and Chinese.

Reports, ``erpsync drifts`` and ``erpsync alerts pending`` name a drift's problem through
``render_text.KINDS``; a kind without words shows its code (``tracking_not_pushed``). Each
built-in aspect declares its kinds (``Aspect.drift_kinds``), and its policy keys are those kinds
and its fields, so a kind added to a diff and its policy without words fails here.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from alert_samples import event

from erpsync.core.models import Address
from erpsync.plugins.alerts import message
from erpsync.plugins.alerts.mail_report import alerts_page
from erpsync.plugins.manager import build_registry, get_plugin_manager
from erpsync.render_text import FIELDS, KINDS, kind_label

BUILT_IN = ("warehouse_address", "pickup", "ship_by", "order_status", "tracking", "listings")
#: what each built-in aspect's policy may name besides its drift kinds: the fields its drifts name
FIELDS_BY_ASPECT = {
    "warehouse_address": frozenset(Address.__dataclass_fields__),
    "pickup": frozenset({"handover_mode"}),
    "ship_by": frozenset(),
    "order_status": frozenset({"status"}),
    "tracking": frozenset({"tracking_number"}),
    "listings": frozenset({"content", "price", "inventory"}),
}
#: a kind whose rows show the field that differs instead (``street`` → 详细地址), not a kind's words
SHOWN_BY_FIELD = frozenset({"field_mismatch"})
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def aspects():
    registry = build_registry(get_plugin_manager(entrypoints=False))
    return {name: registry.aspects[name] for name in BUILT_IN}


def test_every_built_in_aspect_is_checked_and_declares_its_kinds(aspects) -> None:
    registry = build_registry(get_plugin_manager(entrypoints=False))
    assert set(registry.aspects) == set(BUILT_IN)
    for name, aspect in aspects.items():
        assert aspect.drift_kinds, f"{name} declares no drift_kinds"
        # the policy names kinds and fields: every name that is not a field is a declared kind
        assert aspect.policy_keys - FIELDS_BY_ASPECT[name] == aspect.drift_kinds, name


@pytest.mark.parametrize("aspect", BUILT_IN)
def test_every_drift_kind_has_words_in_english_and_chinese(aspects, aspect: str) -> None:
    for kind in sorted(aspects[aspect].drift_kinds - SHOWN_BY_FIELD):
        assert kind in KINDS, f"{aspect}: drift kind {kind!r} has no words in render_text.KINDS"
        words = KINDS[kind]
        assert words.en and words.en != kind and not CHINESE.search(words.en), (kind, words.en)
        assert CHINESE.search(words.zh), (kind, words.zh)
        assert (kind_label(kind, "en"), kind_label(kind, "zh")) == (words.en, words.zh)


def test_a_field_mismatch_names_its_field_in_words() -> None:
    for field in Address.__dataclass_fields__:
        assert CHINESE.search(FIELDS[field].zh), field


def test_each_kind_has_words_of_its_own() -> None:
    """Two kinds with the same words would read as one problem in a report."""
    for lang in ("en", "zh"):
        said = [words.get(lang) for words in KINDS.values()]
        assert len(said) == len(set(said)), lang


@pytest.mark.parametrize(("lang", "problem"), [("en", "latest ship time missed"), ("zh", "已超过最晚发货时间")])
def test_the_email_report_names_a_drift_without_a_field_by_its_kind(lang: str, problem: str) -> None:
    """The email sink's attached report: a ship-by drift names no field, so its kind in words."""
    overdue = replace(
        event(lang), aspect="ship_by", kind="ship_by_overdue", subject="5769", field=None,
        seller_value="2026-11-26T01:00:00+00:00", erp_value=None, steps=(), fix=None,
    )  # fmt: skip
    (row,) = alerts_page([overdue]).sections[0].rows
    assert row.cells[1] == problem
    assert message.subject_words(overdue) == ("order 5769" if lang == "en" else "订单 5769")  # not a bare id
