"""China's provincial divisions by ISO 3166-2:CN code, for ERPs that keep a province as a code.

Seller Center and erpsync keep the province's name (广东省); some ERPs keep ``CN-GD``. With
``state_format = "iso"`` the mapping reads a code into the name and writes the name back as a
code, and a code not in this table is a record error, never passed on as a province.

Source: ISO 3166-2:CN, whose codes became two letters in November 2017 (before: two digits of
GB/T 2260, CN-44 for Guangdong, which this table does not accept); the codes and Chinese names
are as the page "ISO 3166-2:CN" (HandWiki, https://handwiki.org/wiki/ISO_3166-2:CN) lists them
from the ISO 3166 Maintenance Agency. The short names (广东 for 广东省) are a convenience.
"""

from __future__ import annotations

__all__ = ["code_of", "name_of"]

#: code (without ``CN-``) → the division's full name, and the short name operators also write
DIVISIONS: dict[str, tuple[str, str]] = {
    "AH": ("安徽省", "安徽"), "BJ": ("北京市", "北京"), "CQ": ("重庆市", "重庆"), "FJ": ("福建省", "福建"),
    "GD": ("广东省", "广东"), "GS": ("甘肃省", "甘肃"), "GX": ("广西壮族自治区", "广西"), "GZ": ("贵州省", "贵州"),
    "HA": ("河南省", "河南"), "HB": ("湖北省", "湖北"), "HE": ("河北省", "河北"), "HI": ("海南省", "海南"),
    "HK": ("香港特别行政区", "香港"), "HL": ("黑龙江省", "黑龙江"), "HN": ("湖南省", "湖南"),
    "JL": ("吉林省", "吉林"), "JS": ("江苏省", "江苏"), "JX": ("江西省", "江西"), "LN": ("辽宁省", "辽宁"),
    "MO": ("澳门特别行政区", "澳门"), "NM": ("内蒙古自治区", "内蒙古"), "NX": ("宁夏回族自治区", "宁夏"),
    "QH": ("青海省", "青海"), "SC": ("四川省", "四川"), "SD": ("山东省", "山东"), "SH": ("上海市", "上海"),
    "SN": ("陕西省", "陕西"), "SX": ("山西省", "山西"), "TJ": ("天津市", "天津"), "TW": ("台湾省", "台湾"),
    "XJ": ("新疆维吾尔自治区", "新疆"), "XZ": ("西藏自治区", "西藏"), "YN": ("云南省", "云南"),
    "ZJ": ("浙江省", "浙江"),
}  # fmt: skip

_BY_NAME = {name: code for code, names in DIVISIONS.items() for name in names}


def name_of(code: str) -> str:
    """``"CN-GD"`` or ``"gd"`` → ``"广东省"``; ``ValueError`` for a code that names no division."""
    key = code.strip().upper().removeprefix("CN-")
    if key not in DIVISIONS:
        raise ValueError(f"unknown country subdivision {code!r} (not an ISO 3166-2:CN code)")
    return DIVISIONS[key][0]


def code_of(name: str) -> str:
    """``"广东省"`` or ``"广东"`` → ``"CN-GD"``; ``ValueError`` for a name that is no division."""
    code = _BY_NAME.get(name.strip())
    if code is None:
        raise ValueError(f"no ISO 3166-2:CN code for the province {name!r}")
    return f"CN-{code}"
