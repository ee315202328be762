"""Address and phone normalisation: tell a cosmetic difference from a material one.

Seller Center and the ERP are typed by different people on different keyboards, and sellers
re-save the Seller Center address with a trivial edit (an added comma or full stop) on purpose,
because a save re-triggers the pickup subscription. Such edits must not raise drift; a different
street number, contact or phone must. Two addresses are *equal* when their normalised forms are.

Cosmetic (normalised away):

* full-width vs half-width letters, digits and punctuation (``，；（）０-９``; Unicode NFKC, plus
  ``。、【】「」`` and the dash family, which NFKC leaves alone);
* letter case;
* whitespace and the soft separators ``, ; . 、 。`` anywhere, *except* between two digits:
  there a run of whitespace becomes one space and a run with punctuation keeps its punctuation,
  so ``Unit 5`` vs ``Unit 50`` and ``1 23`` vs ``123`` still differ;
* leading/trailing punctuation (``,.;:!?`` and their full-width forms);
* phone formats: ``+86 138-0013-8000``, ``(+86) 13800138000``, ``0086 138 0013 8000`` all read
  ``13800138000``; the 86 country code is stripped only for Chinese numbers;
* administrative suffixes: a trailing 省/市 (or "province"/"city") on state and city; on the
  district only a trailing 区/"district" (县 and 镇 name different kinds of places, so they stay);
  a suffix is never stripped when one character or less would remain (新区 stays 新区);
* the state/city/district repeated at the start of the street line (广东省东莞市长安镇…), only in
  their suffixed form, so a street named after its city (东莞大道) is left alone;
* spaces in a postal code; an ERP that keeps no region code (blank ``region_code``).

Everything else is material.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import asdict, fields, replace

from erpsync.core.models import Address

__all__ = [
    "address_differences",
    "address_fingerprint",
    "normalize_address",
    "normalize_phone",
    "normalize_text",
    "with_fields",
]

# characters NFKC does not fold but operators type interchangeably
_EXTRA = str.maketrans(
    {
        "。": ".",
        "、": ",",
        "【": "[",
        "】": "]",
        "「": '"',
        "」": '"',
        "“": '"',
        "”": '"',
        "‘": "'",
        "’": "'",
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "—": "-",
        "―": "-",
        "−": "-",
    }
)
_SOFT = ",;."  # after NFKC and _EXTRA: ， ； 、 。 have become these
_EDGE = ",;.:!?"
_RUN = re.compile(rf"[\s{re.escape(_SOFT)}]+")
_STATE_SUFFIXES = ("province", "省", "市")
_CITY_SUFFIXES = ("city", "市")
_DISTRICT_SUFFIXES = ("district", "区")


def _fold(s: str) -> str:
    folded = unicodedata.normalize("NFKC", s or "").translate(_EXTRA).casefold()
    return unicodedata.normalize("NFKC", folded)


def _text_step(text: str) -> str:
    text = _fold(text)

    def run(m: re.Match[str]) -> str:
        before, after = text[m.start() - 1 : m.start()], text[m.end() : m.end() + 1]
        if not (before.isdigit() and after.isdigit()):
            return ""
        punct = "".join(ch for ch in m.group() if not ch.isspace())
        return re.sub(r"(.)\1+", r"\1", punct) if punct else " "

    return _RUN.sub(run, text).strip(_EDGE + " ")


def normalize_text(s: str) -> str:
    """Fold width and case, drop insignificant whitespace and separators, trim edge punctuation.

    Idempotent: ``normalize_text(normalize_text(s)) == normalize_text(s)``. The steps are
    repeated until nothing changes, because dropping a space can let Unicode compose what the
    space kept apart (``a`` + a spacing diaeresis).
    """
    text = s or ""
    for _ in range(8):
        again = _text_step(text)
        if again == text:
            break
        text = again
    return text


def normalize_phone(s: str) -> str:
    """The digits of a phone number; Chinese numbers in domestic form, others as ``+<cc>...``.

    ``+86``/``0086`` is dropped for Chinese numbers (a landline gets its trunk ``0`` back:
    ``+86 769 1234 5678`` reads ``076912345678``); a bare ``86`` is dropped only when an
    11-digit mobile number (1xxxxxxxxxx) follows, since no domestic number starts with 86.
    """
    text = unicodedata.normalize("NFKC", s or "")
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


def _strip_suffix(text: str, suffixes: tuple[str, ...]) -> str:
    """Strip administrative suffixes while more than one character would remain (a fixpoint)."""
    changed = True
    while changed:
        changed = False
        for suffix in suffixes:
            if text.endswith(suffix) and len(text) - len(suffix) >= 2:
                text = normalize_text(text[: -len(suffix)])
                changed = True
    return text


def _street_prefixes(state: str, city: str, district: str) -> list[str]:
    """The suffixed forms of the address's own divisions, as they may open the street line."""
    prefixes = []
    if state:
        prefixes += [f"{state}省", f"{state}市"]
    if city:
        prefixes.append(f"{city}市")
    if district:
        prefixes.append(f"{district}区")
        if district[-1] in "镇县" or district.endswith("街道"):
            prefixes.append(district)
    return [p for p in prefixes if len(p) >= 3]


def _strip_prefixes(street: str, prefixes: list[str]) -> str:
    changed = True
    while changed:
        changed = False
        for prefix in prefixes:
            if street.startswith(prefix):
                street = normalize_text(street[len(prefix) :])
                changed = True
    return street


def normalize_address(a: Address) -> Address:
    """The comparable form of an address (see the module docstring). Idempotent."""
    state = _strip_suffix(normalize_text(a.state), _STATE_SUFFIXES)
    city = _strip_suffix(normalize_text(a.city), _CITY_SUFFIXES)
    district = _strip_suffix(normalize_text(a.district), _DISTRICT_SUFFIXES)
    street = _strip_prefixes(normalize_text(a.street), _street_prefixes(state, city, district))
    return Address(
        contact_person=normalize_text(a.contact_person),
        phone=normalize_phone(a.phone),
        region_code=normalize_text(a.region_code).replace(" ", ""),
        state=state,
        city=city,
        district=district,
        street=street,
        postal_code=normalize_text(a.postal_code).replace(" ", ""),
    )


def address_differences(seller: Address, erp: Address) -> list[tuple[str, str, str]]:
    """The material differences, as ``(field, seller raw value, erp raw value)`` in field order.

    A blank ERP ``region_code`` is not a difference: most ERPs keep no country code for a
    domestic warehouse, and the pickup does not depend on it.
    """
    left, right = normalize_address(seller), normalize_address(erp)
    out = []
    for f in fields(Address):
        if f.name == "region_code" and not right.region_code:
            continue
        if getattr(left, f.name) != getattr(right, f.name):
            out.append((f.name, getattr(seller, f.name), getattr(erp, f.name)))
    return out


def address_fingerprint(a: Address) -> str:
    """A stable hash of the normalised address: it changes only with a material edit."""
    payload = json.dumps(asdict(normalize_address(a)), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def with_fields(base: Address, source: Address, names: list[str]) -> Address:
    """``base`` with the named fields copied from ``source`` (raw values)."""
    return replace(base, **{n: getattr(source, n) for n in names})
