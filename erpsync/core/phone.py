"""Phone numbers as comparable keys: one number, one key, whatever way it was typed.

The pickup driver calls the warehouse phone, so a phone drift is critical, and a false one is an
alert nobody can act on. A number is read with Google's libphonenumber (the ``phonenumbers``
package) in a *default region*, the warehouse's country, because the national form of a number
only means something there: ``020 7946 0000`` is a London line in GB and a Guangzhou line in CN.
The key is the E.164 form plus the extension, if any (``+442079460000``, ``+8613800138000;ext=12``).

A region is an ISO 3166 alpha-2 code as ``Address.region_code`` carries it (any case; ``UK`` reads
GB). A blank region reads CN: erpsync serves Chinese cross-border sellers, whose warehouses (and
the first-mile pickup it checks) are in mainland China, and whose ERPs often keep no country code.

A text libphonenumber cannot read as a number of a possible length for its country (too short or
long, stray text it refuses, two numbers in one field, a national form in an unknown region)
keeps only its digits, with ``+86``/``0086`` dropped before a Chinese number and a leading ``+``
kept otherwise: formatting still does not matter and every digit still does. Such a key never
equals the key of a number (a number's key always has its ``+``, and a ``+``-key of digits alone
is tried as a number first), so two different numbers never compare equal.

A *possible* number is enough, a *valid* one (a range the installed metadata lists) is not
required: a range opened after the metadata was released still compares as a number.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat, ValidationResult

__all__ = ["DEFAULT_REGION", "normalize_phone", "phone_region", "phones_differ", "stable_phone"]

#: the region of a record that names none (see the module docstring)
DEFAULT_REGION = "CN"
_ALIASES = {"UK": "GB"}
# Unicode categories of invisible characters: format characters (zero-width space, BOM, bidi
# controls...) and combining marks (variation selectors, combining grapheme joiner...)
_INVISIBLE = frozenset({"Cf", "Mn", "Me"})


@lru_cache(maxsize=256)
def phone_region(region_code: str) -> str:
    """The libphonenumber region for a ``region_code`` as typed: upper case, blank -> CN.

    An unknown code is returned as it is: numbers written with ``+`` still read, national forms
    keep their digits (libphonenumber cannot place them).
    """
    code = "".join(_clean(region_code).split()).upper()
    return _ALIASES.get(code, code) or DEFAULT_REGION


def _digits_key(text: str) -> str:
    """The key of a text libphonenumber cannot read: its digits, ``+86``/``0086`` dropped for China.

    A landline gets its trunk ``0`` back (``+86 769 1234 5678`` -> ``076912345678``); a bare
    ``86`` is dropped only when an 11-digit mobile number (1xxxxxxxxxx) follows, since no domestic
    number starts with 86. Idempotent.
    """
    digits = "".join(ch for ch in text if ch.isdigit())
    international = text.lstrip(" (").startswith("+")
    if not international and digits.startswith("00"):
        digits, international = digits[2:], True
    if international:
        if not digits.startswith("86"):
            return f"+{digits}" if digits else ""
        rest = digits[2:]
        if rest.startswith("1") and len(rest) == 11:
            return rest
        rest = rest.lstrip("0")  # people write the trunk 0 after +86, or not
        return f"0{rest}" if rest else ""
    if digits.startswith("86") and len(digits) == 13 and digits[2] == "1":
        return digits[2:]
    return digits


def _accounts_for_every_digit(text: str, number: PhoneNumber, region: str) -> bool:
    """Whether the parse kept every digit typed, dropping only dialling prefixes.

    libphonenumber reads the first number of a text and may ignore what follows (a second number
    after ``/ x``); a key that ignored digits could make two different phone fields equal. The
    typed digits must be [international prefix] [country code] [trunk prefix] number [extension].
    """
    digits = "".join(ch for ch in text if ch.isdigit())
    tail = phonenumbers.national_significant_number(number) + (number.extension or "")
    if not digits.endswith(tail):
        return False
    cc = number.country_code or 0
    here = phonenumbers.PhoneMetadata.metadata_for_region(region)
    there = phonenumbers.PhoneMetadata.metadata_for_region(phonenumbers.region_code_for_country_code(cc))
    idd = here.international_prefix if here and here.international_prefix else "00"
    trunk = f"(?:{re.escape(there.national_prefix)})?" if there and there.national_prefix else ""
    return re.fullmatch(rf"(?:(?:{idd})?{cc})?{trunk}", digits[: len(digits) - len(tail)]) is not None


def _read(text: str, region: str) -> PhoneNumber | None:
    """The number ``text`` is in ``region``, or None when it is no number of a possible length."""
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException:
        return None
    # a possible number, not only a valid one: a range newer than the installed metadata still
    # reads as a number; two texts still meet only when their digits differ by dialling prefixes
    possible = phonenumbers.is_possible_number_with_reason(number) == ValidationResult.IS_POSSIBLE
    if possible and _accounts_for_every_digit(text, number, region):
        return number
    return None


def _with_extension(key: str, number: PhoneNumber) -> str:
    return f"{key};ext={number.extension}" if number.extension else key


def _read_or_digits(text: str, region: str) -> tuple[str, PhoneNumber | None]:
    """``(key, number)`` of a cleaned phone text in a libphonenumber region; no number: its digits."""
    number = _read(text, region)
    if number is None:
        fallback = _digits_key(text)
        number = _read(fallback, region) if fallback else None
        if number is None:
            return fallback, None
    return _with_extension(phonenumbers.format_number(number, PhoneNumberFormat.E164), number), number


def _stable_key(key: str, number: PhoneNumber | None, region: str) -> str:
    """The stable spelling of a key (see ``stable_phone``)."""
    if number is None or number.country_code != 86 or region != "CN":
        return key
    bare = PhoneNumber(country_code=86, national_number=number.national_number)
    national = "".join(ch for ch in phonenumbers.format_number(bare, PhoneNumberFormat.NATIONAL) if ch.isdigit())
    return _with_extension(national, number)


def _clean(s: str) -> str:
    """``s`` NFKC-folded, without invisible characters (format characters, combining marks).

    No one types them in a phone number on purpose; left in, they would end the number for
    libphonenumber. Every decimal digit (full-width, Arabic-Indic...) reads as its ASCII digit.
    """
    kept = []
    for ch in unicodedata.normalize("NFKC", s or ""):
        kind = unicodedata.category(ch)
        if kind not in _INVISIBLE:
            kept.append(str(unicodedata.decimal(ch)) if kind == "Nd" else ch)
    return "".join(kept).strip()


# About one number per warehouse and side: sized so a shop of thousands of warehouses stays cached
# from one run to the next in a long-lived process (an entry is a few hundred bytes). The stable
# spelling is cached apart: national formatting costs more than the parse, and only fingerprints
# need it, so the diff never pays for it.
# A mainland mobile number as most records spell it: 11 digits, perhaps after +86, perhaps grouped
# 3-4-4 by spaces or hyphens. In region CN libphonenumber reads it as +86 and those 11 digits, so
# the diff reads it without the parser; 179 is left to the parser (179xx is a carrier's dialling
# prefix there). A test holds this reading to libphonenumber's for every prefix and grouping.
# ASCII digits only: a number typed partly in full-width digits goes through the parser, which
# reads each digit's value (``\d`` alone would keep ８ in the key, and 13８00138000 would differ
# from 13800138000).
_CN_MOBILE = re.compile(r"(?:\+86[ -]?)?(1(?:[3-689]\d|7[0-8]))[ -]?(\d{4})[ -]?(\d{4})", re.ASCII)


@lru_cache(maxsize=1 << 16)
def _cached(s: str, region_code: str) -> tuple[str, PhoneNumber | None, str]:
    region = phone_region(region_code)
    if region == DEFAULT_REGION and (mobile := _CN_MOBILE.fullmatch(s)) is not None:
        digits = "".join(mobile.groups())
        return f"+86{digits}", PhoneNumber(country_code=86, national_number=int(digits)), region
    return (*_read_or_digits(_clean(s), region), region)


def _parsed(s: str, region_code: str) -> tuple[str, PhoneNumber | None, str]:
    """``_cached``'s answer through libphonenumber always (for the test of the fast reading)."""
    region = phone_region(region_code)
    return (*_read_or_digits(_clean(s), region), region)


@lru_cache(maxsize=1 << 14)
def _cached_stable(s: str, region_code: str) -> str:
    return _stable_key(*_cached(s, region_code))


@lru_cache(maxsize=1 << 16)
def _key(s: str, region_code: str) -> str:
    """``_cached``'s key alone: a mainland mobile number's is spelt without building its ``PhoneNumber``.

    Eleven ASCII digits that ``_CN_MOBILE`` reads (1, then 3-6, 8, 9, or 7 and not 9) are checked
    by plain string tests first, as most records type them.
    """
    if (
        len(s) == 11
        and s.isascii()
        and s.isdigit()
        and s[0] == "1"
        and (s[1] in "345689" or (s[1] == "7" and s[2] != "9"))
        and phone_region(region_code) == DEFAULT_REGION
    ):
        return "+86" + s
    if phone_region(region_code) == DEFAULT_REGION and (mobile := _CN_MOBILE.fullmatch(s)) is not None:
        return "+86" + "".join(mobile.groups())
    return _cached(s, region_code)[0]


def normalize_phone(s: str, region: str = "") -> str:
    """The comparison key of a phone number read in ``region`` (see the module docstring). Idempotent.

    ``+86 138-0013-8000`` and ``13800138000`` -> ``+8613800138000``; ``020 7946 0000`` in GB
    -> ``+442079460000``. Never raises.
    """
    return _key(s or "", region or "")


def _national_digits(s: str) -> bool:
    """Whether ``s`` is ASCII digits after one trunk ``0``: a Chinese landline as most records type it."""
    return s[:1] == "0" and s[1:2] != "0" and s.isascii() and s.isdigit()


def phones_differ(a: str, a_region: str, b: str, b_region: str) -> bool:
    """``normalize_phone(a, a_region) != normalize_phone(b, b_region)``, without the parser where
    the answer is plain.

    Two different texts of as many ASCII digits, each a trunk ``0`` then a digit other than 0, read
    in CN, never share a key: each key is ``+86`` and the digits after the ``0`` (or all of them),
    or the digits themselves, never equal for two texts of one length (no dialling prefix or
    country code can open them, and digits alone carry no extension). A landline parse costs
    libphonenumber about 60 µs; a changed landline needs none.
    """
    if (
        len(a) == len(b)
        and a != b
        and _national_digits(a)
        and _national_digits(b)
        and phone_region(a_region) == DEFAULT_REGION == phone_region(b_region)
    ):
        return True
    return normalize_phone(a, a_region) != normalize_phone(b, b_region)


def stable_phone(s: str, region: str = "") -> str:
    """The key as fingerprints remembered between runs spell it: in China, Chinese numbers domestic.

    ``13800138000``, ``076912345678``, ``4001234567``: the digits a Chinese number is dialled with
    at home, read in region CN. A stored fingerprint that changed spelling would read as an address
    change (the pickup aspect dates a pending review from it), so this spelling must not change.
    Everything else spells as :func:`normalize_phone`: elsewhere a bare ``13800138000`` is no
    Chinese number, so the two spellings must stay apart.
    """
    return _cached_stable(s or "", region or "")
