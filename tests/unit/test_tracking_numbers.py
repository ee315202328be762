"""The one rule every ERP reader's tracking numbers pass (``erpsync/core/tracking_numbers.py``)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from erpsync.core.errors import RecordError
from erpsync.core.shipping import ErpShipment
from erpsync.core.tracking_numbers import check_tracking_number, same_tracking_number, valid_shipments


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("SF1234567890", "SF1234567890"),
        ("  1Z999AA10123456784\t", "1Z999AA10123456784"),  # a padded cell holds the same number
        ("JDVA00012345678-1-1-", "JDVA00012345678-1-1-"),
        (9400111899223344556677, "9400111899223344556677"),  # a JSON integer is exact
    ],
)
def test_a_tracking_number_is_taken_as_the_erp_wrote_it(value, number):
    assert check_tracking_number(value) == number


@pytest.mark.parametrize(
    ("value", "said"),
    [
        (9.400111899223345e21, "given as the number 9.400111899223345e+21"),
        (Decimal("9.400111899223345E+21"), "given as the number 9.400111899223345E+21"),  # REST's JSON float
        (True, "expected a text, got bool"),
        (["SF1"], "expected a text, got list"),
        (None, "missing"),
        ("   ", "empty"),
        (-12, "negative"),
        ("SF1001\u200b", r"'SF1001\u200b' contains an invisible character (U+200B ZERO WIDTH SPACE at character 7)"),
        ("\ufeffSF1001", r"'\ufeffSF1001' contains an invisible character (U+FEFF"),
        ("SF10\u00ad01", r"contains an invisible character (U+00AD SOFT HYPHEN"),
        ("SF10\x0001", r"contains an invisible character (U+0000"),
        ("SF1001\u0301", "U+0301 COMBINING ACUTE ACCENT"),
        ("SF10\u316401", "U+3164 HANGUL FILLER"),
        ("SF10\u200e01", "U+200E LEFT-TO-RIGHT MARK"),
        ("SF10 01", "'SF10 01' contains spaces (U+0020 SPACE at character 5): a tracking number is one word"),
        ("SF10\u00a001", r"'SF10\xa001' contains spaces (U+00A0 NO-BREAK SPACE"),
        ("SF10\u300001", "U+3000 IDEOGRAPHIC SPACE"),
        ("SF10\n01", "contains spaces"),
    ],
)
def test_what_is_not_one_tracking_number_is_refused_saying_why(value, said):
    with pytest.raises(ValueError) as refused:
        check_tracking_number(value)
    assert said in str(refused.value)


def test_every_shipment_with_a_bad_number_is_a_record_error_naming_it_and_the_field():
    good = ErpShipment("S1", "P1", "O1", " SF1001 ", "SF Express", "plugin ERP row 1")
    bad = ErpShipment("S2", "P2", "O2", "SF1002\u200b", "SF Express", "plugin ERP row 2")
    errors: list[RecordError] = []
    kept = valid_shipments([good, bad], errors)
    assert [(s.id, s.tracking_number) for s in kept] == [("S1", "SF1001")]
    (error,) = errors
    assert (error.source, error.record, error.field, error.record_id) == (
        "plugin ERP row 2",
        "shipment 'S2'",
        "tracking_number",
        "S2",
    )
    assert str(error).startswith("plugin ERP row 2: shipment 'S2': tracking_number: 'SF1002\\u200b' contains an")


def test_numbers_that_differ_only_in_case_are_one_number():
    assert same_tracking_number("sf1234567890", "SF1234567890")
    assert not same_tracking_number("SF1234567890", "SF1234567891")
    assert not same_tracking_number(None, "SF1")
    assert not same_tracking_number(None, None)  # no number is not a number
