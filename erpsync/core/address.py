"""Address and phone normalisation: tell a cosmetic difference from a material one.

Seller Center and the ERP are typed by different people on different keyboards, and sellers
re-save the Seller Center address with a trivial edit (an added comma or full stop) on purpose,
because a save re-triggers the pickup subscription. Such edits must not raise drift; a different
street number, contact or phone must. Two addresses are *equal* when their normalised forms are.

Cosmetic (normalised away):

* invisible characters, in every field: Unicode format characters (category Cf: zero-width
  space/joiners, BOM, soft hyphen, word joiner, LRM/RLM and the other bidi controls, tag
  characters), variation selectors and the combining grapheme joiner. No one types them on
  purpose, so ``1<zero-width space>2号`` reads ``12号`` (a typed space keeps ``1 2号`` apart);
* full-width vs half-width letters, digits and punctuation (``，；（）０-９``; Unicode NFKC, plus
  ``。、【】「」`` and the dash family, which NFKC leaves alone);
* letter case;
* whitespace and the soft separators ``, ; . 、 。`` anywhere, *except* between two digits:
  there a run of whitespace becomes one space and a run with punctuation keeps its punctuation,
  so ``Unit 5`` vs ``Unit 50`` and ``1 23`` vs ``123`` still differ;
* leading/trailing punctuation (``,.;:!?`` and their full-width forms);
* phone formats: a phone is read as a number in the warehouse's region (Google's libphonenumber)
  and compared in E.164 form, extension included: ``+86 138-0013-8000``, ``(+86) 13800138000``,
  ``0086 138 0013 8000`` and ``13800138000`` are one number; so are ``+44 (0)20 7946 0000``,
  ``+44 20 7946 0000`` and ``020 7946 0000`` in region GB, and ``+65 6123 4567`` and ``6123 4567``
  in SG. The region is the record's ``region_code``; a record without one takes the other
  record's, and with neither it is CN (erpsync serves Chinese sellers, whose warehouses are in
  mainland China), so ``020 7946 0000`` is a Guangzhou line there. An extension is material. A
  text that is no number of a possible length compares by its digits (``+86``/``0086`` dropped),
  never equal to a number (see ``erpsync.core.phone``);
* administrative suffixes on the state: 省, 市, 自治区 with or without the ethnic groups of the
  name, 特别行政区 ("province", "municipality", "autonomous region", "SAR"): 广东省 = 广东,
  广西壮族自治区 = 广西 = 广西自治区, 新疆维吾尔自治区 = 新疆, 香港特别行政区 = 香港; on the city:
  市, 州, 地区, 盟, 自治州 with or without its ethnic groups ("city", "prefecture"): 东莞市 = 东莞,
  延边朝鲜族自治州 = 延边州 = 延边; on the district only 区 ("district"): 县, 镇, 旗... name
  different kinds of places, so 长安镇 ≠ 长安. A suffix is never stripped when one character or
  less would remain (新区 stays 新区, 广州 stays 广州);
* the record's own state, city and district repeated at the start of the street line, in any
  order and any written form (广东省东莞市长安镇…, 广东东莞市长安镇…, 广西壮族自治区南宁市… under
  state 广西, 城区… under district 城区). A name *with* a suffix is always removed: its own
  suffix, or for a field without one the level's usual suffixes (a district 南山 takes 南山区, not
  南山县). A *bare* name (东莞, two characters at least) is removed only when another of the
  record's divisions follows it, because a street may be named after its city or district:
  under city 东莞, ``东莞大道1号`` keeps 东莞 (≠ ``大道1号``), ``广东东莞大道1号`` and
  ``东莞市东莞大道1号`` both read ``东莞大道1号``, and ``东莞长安乌沙…`` keeps 长安 (no
  division follows it, so it may be 长安路); a name of another place (广西… under 广东) stays;
* spaces in a postal code; an ERP that keeps no region code (blank ``region_code``).

Everything else is material.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from functools import lru_cache
from operator import attrgetter

from erpsync.core.admin_regions import (
    CITY,
    DISTRICT,
    STATE,
    Heads,
    Level,
    heads,
    opening,
    split_name,
    strip_field_suffix,
)
from erpsync.core.models import Address
from erpsync.core.phone import normalize_phone, phones_differ, stable_phone
from erpsync.core.text_fold import fold as _fold

__all__ = [
    "address_differences",
    "address_fingerprint",
    "normalize_address",
    "normalize_phone",
    "normalize_text",
    "raw_address_fingerprint",
    "with_fields",
]

_SOFT = ",;."  # after NFKC and the extra folds: ， ； 、 。 have become these
# Text every step leaves as it is: CJK unified ideographs (NFKC folds only the compatibility
# ones), ASCII lower-case letters and digits, '-' and '#'. No separator, space, edge punctuation
# or invisible character.
_PLAIN = re.compile("[0-9a-z#\\-\u4e00-\u9fff]*")
_EDGE = ",;.:!?"
_RUN = re.compile(rf"[\s{re.escape(_SOFT)}]+")

_REPEATED = re.compile(r"(.)\1+")
_EDGE_RUN = _SOFT + " "  # what a separator run at an edge of most texts is made of


def _text_step(text: str) -> str:
    text = _fold(text)
    core = text.strip(_EDGE_RUN)
    if _RUN.search(core) is None:
        # every separator run is at an edge, where it is dropped (no digit on both sides)
        return core.strip(_EDGE + " ")

    def run(m: re.Match[str]) -> str:
        before, after = text[m.start() - 1 : m.start()], text[m.end() : m.end() + 1]
        if not (before.isdigit() and after.isdigit()):
            return ""
        punct = "".join(m.group().split())  # without its whitespace (str.split's is str.isspace's)
        return _REPEATED.sub(r"\1", punct) if punct else " "

    return _RUN.sub(run, text).strip(_EDGE + " ")


# Cache sizes: a run sees a handful of divisions, each many times, and about one street, contact and
# phone per warehouse; entries cost a few hundred bytes, so the caches stay under ~40 MiB together.
_FEW = 4096
_MANY = 1 << 16


def _normalize_text(s: str) -> str:
    """Fold width and case, drop insignificant whitespace and separators, trim edge punctuation.

    Idempotent: ``normalize_text(normalize_text(s)) == normalize_text(s)``. The steps are
    repeated until nothing changes, because dropping a space can let Unicode compose what the
    space kept apart (``a`` + a spacing diaeresis).
    """
    text = s or ""
    if _PLAIN.fullmatch(text):  # nothing a step changes: most street lines, once folded
        return text
    if text[:1] == " " or text[-1:] == " ":
        # plain text between spaces (a name typed with a space around it): the steps drop the edge
        # spaces and change nothing else, since plain text has no space inside or edge punctuation
        trimmed = text.strip(" ")
        if _PLAIN.fullmatch(trimmed):
            return trimmed
    for _ in range(8):
        again = _text_step(text)
        if again == text:
            break
        text = again
        if _PLAIN.fullmatch(text):
            break
    return text


#: memoised (the diff compares the same division names thousands of times, and a long-lived process
#: the same warehouses every run); the street and postal code have caches of their own
normalize_text: Callable[[str], str] = lru_cache(maxsize=_MANY)(_normalize_text)


@lru_cache(maxsize=_FEW)
def _field(text: str, level: Level) -> str:
    """A state/city/district field without its suffix (a fixpoint: 广西壮族自治区 -> 广西)."""
    text = normalize_text(text)
    while (key := strip_field_suffix(text, level)) is not None and (key := normalize_text(key)) != text:
        text = key
    return text


_Units = tuple[tuple[str, str, Level], ...]


@dataclass(frozen=True, eq=False, slots=True)
class _Place:
    """The divisions of one place as the street steps read them, worked out once per place.

    Hashed and compared by identity (``eq=False``): it is half of ``_street``'s cache key, and
    hashing the three nested ``units`` tuples on every look-up cost as much as the look-up. The
    same place is one object while ``_divisions`` keeps it; a place built again is another key
    with the same answers, so identity only costs a cache miss.
    """

    #: ``(key, kind, level)`` of each normalised division the record names
    units: _Units
    #: the division keys a street line of the place may start with (``token_at`` finds a division
    #: only where its key starts, so a line starting with none is left as it is)
    keys: tuple[str, ...]
    #: ``token_at``'s view of the divisions (see ``opening``)
    heads: Heads


@lru_cache(maxsize=_FEW)
def _divisions(state: str, city: str, district: str) -> _Place:
    """The ``_Place`` of normalised divisions (computed once per place)."""
    units = tuple((*split_name(v, lv), lv) for v, lv in ((state, STATE), (city, CITY), (district, DISTRICT)) if v)
    return _Place(units, tuple(key for key, _, _ in units if key), heads(units))


def _street_in(street: str, place: _Place) -> str:
    """The normalised street line of a record in ``place``.

    A plain line (nothing to fold, see ``_PLAIN``) that starts with none of the place's division
    keys is its own normal form: it is returned without touching the cache, which costs more to
    fill than this test, and is left to the lines that need work (so a shop of 100,000
    warehouses, most typed plainly, stays cached from one run to the next).
    """
    if _PLAIN.fullmatch(street) and not street.startswith(place.keys):
        return street
    return _street(street, place)


@lru_cache(maxsize=_MANY)
def _street(street: str, place: _Place) -> str:
    """The normalised street line of a record in ``place`` (``_street_in`` without its shortcut)."""
    return _strip_divisions(street if _PLAIN.fullmatch(street) else _normalize_text(street), place)


def _strip_divisions(street: str, place: _Place) -> str:
    """The street line without the record's own divisions at its start (see the module docstring).

    One step removes the token at the start when it has its suffix, or when it is bare and another
    of the record's divisions follows it; the steps repeat until nothing changes, so the result
    is a fixpoint and normalisation stays idempotent.
    """
    if not street.startswith(place.keys):  # token_at finds a division only where its key starts
        return street
    divisions = place.heads
    plain = _PLAIN.fullmatch(street) is not None  # so is every tail of it, and its own normal form
    while street:
        best = opening(street, 0, divisions)
        if best is None:
            return street
        end, suffixed = best
        if not suffixed and opening(street, end, divisions) is None:
            return street
        street = street[end:] if plain else _normalize_text(street[end:])
    return street


def _region(a: Address) -> str:
    return _region_text(a.region_code)


@lru_cache(maxsize=256)
def _region_text(code: str) -> str:
    """A normalised region code (cached: a run sees a handful, each compared many times)."""
    return _normalize_text(code).replace(" ", "")


def normalize_address(a: Address, *, default_region: str = "") -> Address:
    """The comparable form of an address (see the module docstring). Idempotent.

    The phone is read in the address's own ``region_code``, else in ``default_region`` (the
    other record's, when two are compared), else in CN.
    """
    region = _region(a)
    state, city, district = _field(a.state, STATE), _field(a.city, CITY), _field(a.district, DISTRICT)
    return Address(
        contact_person=normalize_text(a.contact_person),
        phone=normalize_phone(a.phone, region or default_region),
        region_code=region,
        state=state,
        city=city,
        district=district,
        street=_street_in(a.street, _divisions(state, city, district)),
        postal_code=_postal(a.postal_code),
    )


# A postal code of digits, perhaps spaced: what most records hold, and what normalises to its digits.
_SPACED_DIGITS = re.compile("[0-9 ]*")


@lru_cache(maxsize=_MANY)
def _postal(code: str) -> str:
    if _SPACED_DIGITS.fullmatch(code):
        return code.replace(" ", "")
    return _normalize_text(code).replace(" ", "")


def address_differences(seller: Address, erp: Address) -> list[tuple[str, str, str]]:
    """The material differences, as ``(field, seller raw value, erp raw value)`` in field order.

    A blank ERP ``region_code`` is not a difference: most ERPs keep no country code for a
    domestic warehouse, and the pickup does not depend on it.

    Equal to comparing ``normalize_address`` of both sides field by field, but a field typed
    identically on both sides is not normalised: each field's normal form depends only on its own
    text, except the phone (also on the regions, the same on both sides unless both name one and
    they differ) and the street (also on the divisions, compared first). Most bound records are
    copies, so most fields are skipped, and the phone, the costly one, most often.
    """
    if seller == erp:
        return []
    s_region, e_region = _region_text(seller.region_code), _region_text(erp.region_code)
    out: list[tuple[str, str, str]] = []
    s_value, e_value = seller.contact_person, erp.contact_person
    if s_value != e_value and normalize_text(s_value) != normalize_text(e_value):
        out.append(("contact_person", s_value, e_value))
    s_value, e_value = seller.phone, erp.phone
    if (s_value != e_value or (s_region != e_region and s_region and e_region)) and phones_differ(
        s_value, s_region or e_region, e_value, e_region or s_region
    ):
        out.append(("phone", s_value, e_value))
    if e_region and s_region != e_region:
        out.append(("region_code", seller.region_code, erp.region_code))
    places_differ = False
    if _place_names(seller) != _place_names(erp):  # most records name their places alike
        for name, level in _PLACES:
            s_value, e_value = getattr(seller, name), getattr(erp, name)
            if s_value != e_value and _field(s_value, level) != _field(e_value, level):
                out.append((name, s_value, e_value))
                places_differ = True
    s_value, e_value = seller.street, erp.street
    if (s_value != e_value or places_differ) and _normal_street(seller) != _normal_street(erp):
        out.append(("street", s_value, e_value))
    s_value, e_value = seller.postal_code, erp.postal_code
    if s_value != e_value and _postal(s_value) != _postal(e_value):
        out.append(("postal_code", s_value, e_value))
    return out


_PLACES = (("state", STATE), ("city", CITY), ("district", DISTRICT))
_place_names = attrgetter("state", "city", "district")


def _normal_street(a: Address) -> str:
    """The normalised street line of ``a``, read in its own divisions."""
    return _street_in(a.street, _place(a.state, a.city, a.district))


@lru_cache(maxsize=_FEW)
def _place(state: str, city: str, district: str) -> _Place:
    """``_divisions`` of the divisions as typed (one look-up where the diff would make four)."""
    return _divisions(_field(state, STATE), _field(city, CITY), _field(district, DISTRICT))


def address_fingerprint(a: Address) -> str:
    """A stable hash of the normalised address: it changes only with a material edit.

    Stored between runs, so its spelling of a phone must not change (``stable_phone``).
    """
    normal = replace(normalize_address(a), phone=stable_phone(a.phone, _region(a)))
    payload = json.dumps(asdict(normal), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def with_fields(base: Address, source: Address, names: list[str]) -> Address:
    """``base`` with the named fields copied from ``source`` (raw values)."""
    return replace(base, **{n: getattr(source, n) for n in names})


def raw_address_fingerprint(a: Address) -> str:
    """A sha256 of the address exactly as saved: contact, phone and every field, unnormalised.

    Seller Center raises a pickup subscription request on every save of the warehouse address,
    even one that only adds a comma (``docs/domain.md``), so the pickup aspect dates saves by this
    fingerprint, not by ``address_fingerprint``, which folds such edits away.
    """
    payload = json.dumps(asdict(a), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()
