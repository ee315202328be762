"""Phone numbers compare as numbers in the warehouse's region (erpsync.core.phone, erpsync.core.address).

Tables of pairs that are one number and pairs that are two, per region and in both directions;
the fallback for texts that are no valid number; properties: keys are idempotent and never raise,
one number in any format is one key, and two different valid numbers of a region never are.
"""

from __future__ import annotations

from dataclasses import replace

import phonenumbers
import pytest
from address_samples import BASE
from hypothesis import assume, given
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from erpsync.core.address import address_differences, address_fingerprint
from erpsync.core.phone import normalize_phone, phone_region, stable_phone

REGIONS = ["CN", "GB", "SG", "US", "HK"]
ZW = "\u200b"  # zero-width space


def phone_diff(left: str, right: str, region: str) -> tuple[list[str], list[str]]:
    """The differing fields of two warehouse records of ``region`` that differ only in the phone."""
    a, b = replace(BASE, region_code=region, phone=left), replace(BASE, region_code=region, phone=right)
    return [d[0] for d in address_differences(a, b)], [d[0] for d in address_differences(b, a)]


ONE_NUMBER = [
    ("CN", "+86 138-0013-8000", "13800138000"),
    ("CN", "0086 138 0013 8000", "13800138000"),
    ("CN", "(+86) 13800138000", "138 0013 8000"),
    ("CN", "8613800138000", "+86-138-0013-8000 "),
    ("CN", "１３８００１３８０００", "13800138000"),
    ("CN", "13８00138000", "13800138000"),  # one digit typed full-width: the digit's value, not its form
    ("CN", "13800138000 (张三)", "13800138000"),  # text libphonenumber refuses: its digits are read
    ("CN", f"138{ZW}0013{ZW}8000", "13800138000"),
    ("CN", f"{ZW}+86 138 0013 8000\ufeff", "13800138000"),
    ("CN", "+86 (0)769 12345678", "0769-1234 5678"),
    ("CN", "+86 10 1234 5678", "010-1234 5678"),
    ("CN", "+86 400 123 4567", "400-123-4567"),
    ("CN", "138 0013 8000 ext. 12", "+86 138 0013 8000 x12"),
    ("CN", "+44 20 7946 0000", "0044 20 7946 0000"),
    ("GB", "+44 (0)20 7946 0000", "+44 20 7946 0000"),
    ("GB", "+44 20 7946 0000", "020 7946 0000"),
    ("GB", "0044 20 7946 0000", "(020) 7946-0000"),
    ("GB", "+44 7400 123456", "07400 123456"),
    ("GB", "+44 7700 900123", "07700 900123"),  # a possible number in a range the metadata lacks
    ("GB", "+86 138 0013 8000", "0086 13800138000"),
    ("SG", "+65 6123 4567", "6123 4567"),
    ("SG", "+65 9123 4567", "9123-4567"),
    ("SG", "tel:+65-6123-4567", "61234567"),
    ("US", "+1 415 555 0100", "(415) 555-0100"),
    ("US", "1-415-555-0100", "415.555.0100"),
    ("US", "011 44 20 7946 0000", "+44 20 7946 0000"),
    ("HK", "+852 2123 4567", "2123 4567"),
    ("HK", "(852) 9123 4567", "9123-4567"),
    ("HK", "+852-6123-4567", "6123 4567"),
    ("RU", "8 (495) 123-45-67", "+7 495 123-45-67"),  # a trunk prefix other than 0
]

TWO_NUMBERS = [
    ("CN", "13800138000", "13900139000"),
    ("CN", "0769-1234 5678", "0760-1234 5678"),
    ("CN", "020 7946 0000", "+44 20 7946 0000"),  # a Guangzhou line under CN
    ("CN", "138 0013 8000 ext. 12", "13800138000"),  # an extension is material
    ("CN", "138 0013 8000 ext. 12", "138 0013 8000 ext. 13"),
    ("CN", "138 0013 8000 / x 139", "13800138000"),  # a second number is never ignored
    ("CN", "13800138000", "1380013800"),
    ("GB", "020 7946 0000", "020 7946 0001"),
    ("GB", "020 7946 0000", "+86 20 7946 0000"),
    ("GB", "+44 20 7946 0000", "+44 20 7946 0000 ext. 1"),
    ("GB", "13800138000", "+86 138 0013 8000"),  # a national form is read in its own region
    ("SG", "6123 4567", "6123 4568"),
    ("SG", "6123 4567", "+852 6123 4567"),
    ("SG", "9123 4567", "6123 4567"),
    ("US", "415 555 0100", "415 555 0101"),
    ("US", "(415) 555-0100", "(416) 555-0100"),
    ("US", "415 555 0100", "+44 415 555 0100"),
    ("HK", "2123 4567", "2123 4568"),
    ("HK", "6123 4567", "+65 6123 4567"),
]


@pytest.mark.parametrize(("region", "left", "right"), ONE_NUMBER)
def test_one_number_in_any_format(region: str, left: str, right: str) -> None:
    assert normalize_phone(left, region) == normalize_phone(right, region)
    assert normalize_phone(left, region).startswith("+")  # read as a number, not by its digits
    assert phone_diff(left, right, region) == ([], [])
    seller = replace(BASE, region_code=region, phone=left)
    assert address_fingerprint(seller) == address_fingerprint(replace(seller, phone=right))


@pytest.mark.parametrize(("region", "left", "right"), TWO_NUMBERS)
def test_two_numbers_stay_two(region: str, left: str, right: str) -> None:
    assert normalize_phone(left, region) != normalize_phone(right, region)
    assert phone_diff(left, right, region) == (["phone"], ["phone"])
    seller = replace(BASE, region_code=region, phone=left)
    assert address_fingerprint(seller) != address_fingerprint(replace(seller, phone=right))


def test_keys_are_e164_with_the_extension() -> None:
    assert normalize_phone("020 7946 0000", "GB") == "+442079460000"
    assert normalize_phone("6123 4567", "sg") == "+6561234567"
    assert normalize_phone("138 0013 8000 ext. 12") == "+8613800138000;ext=12"


# --- the region ---------------------------------------------------------------------------------


def test_a_blank_region_reads_china() -> None:
    assert phone_region("") == phone_region("  ") == phone_region(ZW) == "CN"
    assert normalize_phone("020 7946 0000") == normalize_phone("+86 20 7946 0000")
    assert phone_diff("020 7946 0000", "+86 20 7946 0000", "") == ([], [])


def test_region_codes_as_typed() -> None:
    assert phone_region(" gb ") == phone_region("ＧＢ") == phone_region("UK") == "GB"
    assert normalize_phone("020 7946 0000", "uk") == "+442079460000"


def test_a_record_without_region_takes_the_other_records() -> None:
    seller = replace(BASE, region_code="GB", phone="+44 (0)20 7946 0000")
    erp = replace(BASE, region_code="", phone="020 7946 0000")
    assert address_differences(seller, erp) == []
    assert address_differences(erp, seller) == [("region_code", "", "GB")]  # region, not phone


def test_one_text_means_different_numbers_in_different_regions() -> None:
    seller = replace(BASE, region_code="GB", phone="020 7946 0000")
    erp = replace(seller, region_code="CN")
    assert [d[0] for d in address_differences(seller, erp)] == ["phone", "region_code"]
    assert [d[0] for d in address_differences(erp, seller)] == ["phone", "region_code"]


# --- the fallback -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "left", "right", "key"),
    [
        ("CN", "12345", "123-45", "12345"),  # a local-only length: no country code is guessed
        ("CN", "+86 123 45", "0086 12345", "012345"),
        ("GB", "+44 123", "+44 (123)", "+44123"),
        ("XX", "6123 4567", "6123-4567", "61234567"),  # a region libphonenumber does not know
        ("CN", "138 0013 8000 / x 139", "13800138000139", "13800138000139"),
        ("CN", "123456789012345678", "1234-5678-9012-345678", "123456789012345678"),  # no prefix guessed away
    ],
)
def test_a_text_that_is_no_number_compares_by_its_digits(region: str, left: str, right: str, key: str) -> None:
    assert normalize_phone(left, region) == normalize_phone(right, region) == key
    assert phone_diff(left, right, region) == ([], [])


@pytest.mark.parametrize(
    ("region", "left", "right"),
    [
        ("CN", "12345", "12346"),
        ("GB", "+44 123", "+44 1234"),
        ("CN", "123456789012345678", "6789012345678"),
        ("XX", "6123 4567", "+65 6123 4567"),  # a national form nowhere to read vs a number
        ("GB", "+44 20 7946 000", "+44 20 7946 0000"),  # a digit short: no valid number
        ("CN", "1380013800", "13800138000"),
    ],
)
def test_the_fallback_never_makes_two_numbers_one(region: str, left: str, right: str) -> None:
    assert normalize_phone(left, region) != normalize_phone(right, region)
    assert phone_diff(left, right, region) == (["phone"], ["phone"])


@pytest.mark.parametrize("text", ["", "abc", "+", "00", "()", "ext. 5", "1" * 300, "+86", "\ud800", "x" * 300 + "1"])
def test_any_text_has_a_key(text: str) -> None:
    for region in [*REGIONS, "", "XX", "001", "\u0000"]:
        assert normalize_phone(normalize_phone(text, region), region) == normalize_phone(text, region)


# --- fingerprints stored between runs -----------------------------------------------------------


def test_fingerprints_keep_the_domestic_spelling_of_chinese_numbers() -> None:
    # These hashes are stored between runs (the pickup aspect's address-change memory): a change
    # here reads as every warehouse's address changing at once.
    assert address_fingerprint(BASE) == "57bde8bbec64234ee614d26f7ac313e3"
    assert address_fingerprint(replace(BASE, phone="+86 769 1234 5678")) == "6e851e66be92a1c24ded0cedb13cccea"
    assert address_fingerprint(replace(BASE, phone="400 123 4567")) == "16e16825af6b8e05a213ccf35e39fe46"
    assert stable_phone("+86 (0)769 12345678") == "076912345678"
    assert stable_phone("+44 20 7946 0000") == normalize_phone("+44 20 7946 0000")


# --- properties ---------------------------------------------------------------------------------

TYPES = [PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE]
FORMATS = [PhoneNumberFormat.NATIONAL, PhoneNumberFormat.INTERNATIONAL, PhoneNumberFormat.E164]


@st.composite
def valid_numbers(draw: st.DrawFn, region: str) -> phonenumbers.PhoneNumber:
    """A valid number of ``region``: an example number of a type, its last digits redrawn."""
    example = phonenumbers.example_number_for_type(region, draw(st.sampled_from(TYPES)))
    assert example is not None, region
    nsn = phonenumbers.national_significant_number(example)
    tail = draw(st.from_regex(r"[0-9]{4}", fullmatch=True))
    number = phonenumbers.parse(nsn[:-4] + tail, region)
    assume(phonenumbers.is_valid_number(number))
    return number


@st.composite
def two_valid_numbers(draw: st.DrawFn) -> tuple[str, phonenumbers.PhoneNumber, phonenumbers.PhoneNumber]:
    region = draw(st.sampled_from(REGIONS))
    return region, draw(valid_numbers(region)), draw(valid_numbers(region))


@given(two_valid_numbers(), st.sampled_from(FORMATS), st.sampled_from(FORMATS))
def test_two_valid_numbers_of_a_region_compare_equal_only_when_they_are_one(
    case: tuple[str, phonenumbers.PhoneNumber, phonenumbers.PhoneNumber],
    left_format: int,
    right_format: int,
) -> None:
    region, a, b = case
    left, right = phonenumbers.format_number(a, left_format), phonenumbers.format_number(b, right_format)
    same_number = phonenumbers.format_number(a, PhoneNumberFormat.E164) == phonenumbers.format_number(
        b, PhoneNumberFormat.E164
    )
    assert (normalize_phone(left, region) == normalize_phone(right, region)) == same_number
    assert phone_diff(left, right, region) == (([], []) if same_number else (["phone"], ["phone"]))


@given(st.text(), st.sampled_from([*REGIONS, "", "xx"]))
def test_normalize_phone_never_raises_and_is_idempotent(text: str, region: str) -> None:
    once = normalize_phone(text, region)
    assert normalize_phone(once, region) == once
    assert stable_phone(once, region) == stable_phone(text, region)
