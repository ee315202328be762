"""Configuration: every example loads; every mistake is named by file, key and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from erpsync.core.errors import ConfigError
from erpsync.starter import STARTER_CONFIG

CONFIG_DIR = Path(__file__).parents[2] / "config"
ENV = {
    "TTS_APP_KEY": "key-123",
    "TTS_APP_SECRET": "secret-abcdef",
    "TTS_ACCESS_TOKEN": "token-xyz987",
    "TTS_SHOP_ID": "7495000000000000001",
    "MERCHANT_A_TOKEN": "token-a-1111",
    "MERCHANT_B_TOKEN": "token-b-2222",
}

SELLER = """
[shops.seller]
type = "tiktok"
app_key = "k"
app_secret = "s3cr3t-value"
access_token = "t0ken-value"
shop_id = "1"
"""


@pytest.fixture(autouse=True)
def env(monkeypatch):
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)


@pytest.mark.parametrize("path", sorted(CONFIG_DIR.glob("*.toml")), ids=lambda p: p.name)
def test_every_example_config_loads(load, path):
    settings = load(path)
    assert settings.shops


def test_examples_exist():
    assert len(list(CONFIG_DIR.glob("*.toml"))) >= 3


def test_starter_config_is_valid(load, tmp_path):
    path = tmp_path / "erpsync.toml"
    path.write_text(STARTER_CONFIG, encoding="utf-8")
    settings = load(path)
    assert settings.shops[0].name == "my-shop"
    assert settings.state_url == f"sqlite:///{tmp_path / '.erpsync' / 'state.db'}"
    assert [a.type for a in settings.alerts] == ["log", "jsonl"]


def test_env_interpolation_and_secrets(load):
    settings = load(CONFIG_DIR / "single-shop.toml")
    seller = settings.shops[0].seller
    assert seller.options["app_secret"] == "secret-abcdef"
    assert "secret-abcdef" in settings.secrets and "token-xyz987" in settings.secrets


def test_tsp_policies_per_field(load):
    settings = load(CONFIG_DIR / "tsp-agency.toml")
    a, b = settings.shops
    assert a.policies["warehouse_address"].fields == {"phone": "report"}
    assert b.aspects == ("pickup",)
    assert b.policies["pickup"].default == "report"
    assert b.erp.options["format"] == "json"


def test_custom_regions_are_parsed(load):
    settings = load(CONFIG_DIR / "custom-pickup-regions.toml")
    regions = settings.aspect_settings["pickup"]["regions"]
    assert [r.prefix for r in regions] == ["WS", "WS"]
    assert regions[0].switch_at.utcoffset().total_seconds() == 8 * 3600


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "erpsync.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(load, path) -> str:
    with pytest.raises(ConfigError) as info:
        load(path)
    return str(info.value)


def test_unknown_erp_names_file_key_and_known_types(load, tmp_path):
    path = write(
        tmp_path,
        f'[[shops]]\nname = "a"\n{SELLER}\n[shops.erp]\ntype = "files"\npath = "x"\n'
        f'[[shops]]\nname = "b"\n{SELLER}\n[shops.erp]\ntype = "tryon"\n',
    )
    assert error_of(load, path) == f"{path}: shops[1].erp: unknown ERP 'tryon' (known: files)"


def test_missing_env_var_is_named(load, tmp_path, monkeypatch):
    monkeypatch.delenv("TTS_APP_SECRET")
    path = write(
        tmp_path,
        '[[shops]]\nname = "a"\n[shops.seller]\ntype = "tiktok"\napp_key = "k"\n'
        'app_secret = "${TTS_APP_SECRET}"\naccess_token = "t"\nshop_id = "1"\n'
        '[shops.erp]\ntype = "files"\npath = "x"\n',
    )
    assert "shops[0].seller.app_secret: environment variable TTS_APP_SECRET is not set" in error_of(load, path)


def test_all_problems_reported_at_once(load, tmp_path):
    path = write(
        tmp_path,
        '[[shops]]\nname = "a"\n[shops.seller]\ntype = "tiktok"\n[shops.erp]\ntype = "files"\n'
        '[policy]\npickup = "whoever"\n[[alerts]]\ntype = "pager"\n',
    )
    text = error_of(load, path)
    assert "shops[0].seller.app_key: Missing data for required field." in text
    assert "shops[0].erp.path: Missing data for required field." in text
    assert "policy.pickup: 'whoever' is not one of seller, erp, report" in text
    assert "alerts[0]: unknown alert sink 'pager'" in text


def test_invalid_toml_names_file(load, tmp_path):
    path = write(tmp_path, "[[shops]\nname = ")
    assert error_of(load, path).startswith(f"{path}: not valid TOML:")


def test_missing_file_suggests_init(load, tmp_path):
    assert "run `erpsync init`" in error_of(load, tmp_path / "nope.toml")


def test_no_shops(load, tmp_path):
    assert "shops: Missing data for required field." in error_of(load, write(tmp_path, 'data_dir = "x"\n'))


def test_duplicate_shop_names(load, tmp_path):
    erp = '[shops.erp]\ntype = "files"\npath = "x"\n'
    path = write(tmp_path, f'[[shops]]\nname = "a"\n{SELLER}{erp}[[shops]]\nname = "a"\n{SELLER}{erp}')
    assert "shops[1].name: duplicate shop name 'a' (also shops[0])" in error_of(load, path)


def test_wrong_role_is_unknown(load, tmp_path):
    path = write(
        tmp_path,
        '[[shops]]\nname = "a"\n[shops.seller]\ntype = "files"\npath = "x"\n[shops.erp]\ntype = "files"\npath = "x"\n',
    )
    assert "shops[0].seller: unknown seller backend 'files' (known: tiktok)" in error_of(load, path)


def test_naive_switch_date_rejected(load, tmp_path):
    erp = '[shops.erp]\ntype = "files"\npath = "x"\n'
    region = (
        '[[aspects.pickup.regions]]\nname = "x"\ncities = ["x"]\nprovider = "W"\nprefix = "WS"\n'
        "switch_at = 2023-09-19T00:00:00\n"
    )
    path = write(tmp_path, f'[[shops]]\nname = "a"\n{SELLER}{erp}{region}')
    assert "aspects.pickup.regions[0].switch_at: needs a UTC offset" in error_of(load, path)


def test_shop_policy_stacks_on_the_global_one_and_typos_are_refused(load, tmp_path):
    erp = '[shops.erp]\ntype = "files"\npath = "x"\n'
    shop = f'[[shops]]\nname = "a"\n{SELLER}{erp}[shops.policy]\nwarehouse_address = {{ postal_code = "seller" }}\n'
    settings = load(write(tmp_path, f'[policy]\nwarehouse_address = "report"\n{shop}'))
    policy = settings.shops[0].policies["warehouse_address"]
    assert (policy.default, dict(policy.fields)) == ("report", {"postal_code": "seller"})
    typo = shop.replace("postal_code", "phnoe")
    assert "shops[0].policy.warehouse_address.phnoe: unknown field or drift kind" in error_of(
        load, write(tmp_path, typo)
    )


def test_empty_aspect_list_is_an_error_not_all(load, tmp_path):
    erp = '[shops.erp]\ntype = "files"\npath = "x"\n'
    path = write(tmp_path, f'[[shops]]\nname = "a"\naspects = []\n{SELLER}{erp}')
    assert "shops[0].aspects: list at least one aspect, or leave the key out for all" in error_of(load, path)
