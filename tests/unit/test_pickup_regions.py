"""Pickup regions: dated only where the 2023 notice dates them; city names match as operators type them."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from erpsync.core import timefmt
from erpsync.core.errors import ConfigError
from erpsync.core.models import Address, ProviderRegion
from erpsync.core.pickup_regions import BEIJING, DEFAULT_REGIONS, city_key, region_for

SELLER = (
    '[shops.seller]\ntype = "tiktok"\napp_key = "k"\napp_secret = "s3cr3t-value"\n'
    'access_token = "t0ken-value"\nshop_id = "1"\n'
)
SHOP = f'[[shops]]\nname = "a"\n{SELLER}[shops.erp]\ntype = "files"\npath = "x"\n'


def region_name(city: str) -> str | None:
    region = region_for(Address(city=city), DEFAULT_REGIONS)
    return region.name if region else None


@pytest.mark.parametrize(
    "city",
    ["东莞", "东莞市", "東莞", "東莞市", "東莞 市", " 东莞市 ", "Dongguan", "dongguan", "DONGGUAN",
     "Dongguan City", "dongguan city", "Dongguan Shi", "东莞市"],
)  # fmt: skip
def test_every_spelling_of_dongguan_is_dongguan(city):
    assert region_name(city) == "Dongguan"


@pytest.mark.parametrize(
    ("city", "region"),
    [("广州", "Guangzhou"), ("廣州", "Guangzhou"), ("廣州市", "Guangzhou"), ("guangzhou city", "Guangzhou"),
     ("Guangzhou Shi", "Guangzhou"), ("深圳", "Shenzhen"), ("深圳市", "Shenzhen"), ("SHENZHEN", "Shenzhen")],
)  # fmt: skip
def test_guangzhou_and_shenzhen_in_every_spelling(city, region):
    assert region_name(city) == region


@pytest.mark.parametrize("city", ["珠海", "珠海市", "Huangshi", "Zhuhai City", "", "   ", "东", "莞"])
def test_other_cities_and_blanks_are_outside_coverage(city):
    assert region_name(city) is None


def test_a_configured_traditional_city_matches_a_simplified_address():
    region = ProviderRegion(name="x", cities=("廣州市",), provider="P", prefix="PP", switch_at=None)
    assert region_for(Address(city="广州"), [region]) is region
    assert city_key("廣州市") == city_key("广州") == "广州"


def test_only_dongguan_is_dated_by_the_notice():
    dates = {r.name: r.switch_at for r in DEFAULT_REGIONS}
    assert dates == {"Dongguan": datetime(2023, 9, 19, 0, 0, tzinfo=BEIJING), "Shenzhen": None, "Guangzhou": None}
    assert dates["Dongguan"] == datetime(2023, 9, 18, 16, 0, tzinfo=UTC)
    assert {(r.provider, r.prefix, r.previous_provider) for r in DEFAULT_REGIONS} == {("Wanse", "WS", "J&T")}


def test_beijing_is_the_one_from_timefmt():
    assert BEIJING is timefmt.BEIJING


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "erpsync.toml"
    path.write_text(text, encoding="utf-8")
    return path


REGION = '[[aspects.pickup.regions]]\nname = "深圳"\ncities = ["深圳"]\nprovider = "Wanse"\nprefix = "WS"\n'


@pytest.mark.parametrize("switch", ["", 'switch_at = ""\n'], ids=["left out", "empty"])
def test_a_configured_region_without_a_date_loads_as_undated(load, tmp_path, switch):
    settings = load(write(tmp_path, f"{SHOP}{REGION}{switch}"))
    (region,) = settings.aspect_settings["pickup"]["regions"]
    assert region.switch_at is None and region.cities == ("深圳",)


def test_a_configured_date_keeps_its_offset_and_a_bad_one_is_named(load, tmp_path):
    settings = load(write(tmp_path, f"{SHOP}{REGION}switch_at = 2023-09-25T00:00:00+08:00\n"))
    (region,) = settings.aspect_settings["pickup"]["regions"]
    assert region.switch_at == datetime(2023, 9, 25, tzinfo=BEIJING)
    path = write(tmp_path, f'{SHOP}{REGION}switch_at = "late September"\n')
    with pytest.raises(ConfigError) as info:
        load(path)
    assert f"{path}: aspects.pickup.regions[0].switch_at: Not a valid datetime." in str(info.value)


@pytest.mark.parametrize("prefix", ['"WS "', '" WS"', '""'], ids=["space-after", "space-before", "empty"])
def test_a_waybill_prefix_that_is_not_one_word_is_named(load, tmp_path, prefix):
    """With a space no waybill starts with it (every one would read stale); empty, every one would."""
    path = write(tmp_path, SHOP + REGION.replace('prefix = "WS"', f"prefix = {prefix}"))
    with pytest.raises(ConfigError) as info:
        load(path)
    assert "aspects.pickup.regions[0].prefix: one word, e.g. WS" in str(info.value)


def test_the_cli_does_not_load_opencc_until_a_city_is_matched():
    """``erpsync --help`` stays fast: the converter is imported when a city is first matched."""
    code = (
        "import sys, erpsync.cli, erpsync.core.aspects.pickup\n"
        "from erpsync.core.models import Address\n"
        "from erpsync.core.pickup_regions import DEFAULT_REGIONS, region_for\n"
        "assert 'opencc' not in sys.modules\n"
        "assert region_for(Address(city='東莞'), DEFAULT_REGIONS).name == 'Dongguan'\n"
        "assert 'opencc' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
