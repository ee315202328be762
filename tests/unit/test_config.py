"""Configuration: every example loads; every mistake is named by file, key and reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from marshmallow import Schema, fields, validate

from erpsync.core.aspects.base import Aspect, Decide, Observation, ObserveContext
from erpsync.core.errors import ConfigError
from erpsync.core.models import Action, Drift
from erpsync.plugins import hookimpl
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
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
    assert error_of(load, path) == f"{path}: shops[1].erp: unknown ERP 'tryon' (known: files, odoo, rest, tryton)"


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


# --- [aspects.X]: each table is validated by its registered aspect's Settings schema ----------


class StockSettings(Schema):
    threshold = fields.Integer(required=True, validate=validate.Range(min=0))
    unit = fields.String(load_default="pcs")


class StockAspect(Aspect):
    """A plugin's aspect with settings of its own; only its configuration matters here."""

    name = "stock"
    Settings = StockSettings

    def observe(self, ctx: ObserveContext) -> Observation:
        return Observation(shop=ctx.shop, now=ctx.now)

    def diff(self, observation: Observation) -> list[Drift]:
        return []

    def plan(self, drifts: list[Drift], decide: Decide, observation: Observation) -> list[Action]:
        return []

    def apply(self, action: Action, seller: object, erp: object) -> None:
        raise AssertionError("nothing is planned")


class StockPlugin:
    @hookimpl
    def register_aspects(self, register):
        register(StockAspect())


@pytest.fixture
def load_with_stock():
    registry = build_registry(get_plugin_manager(entrypoints=False, extra=[StockPlugin()]))
    return lambda path: load_settings(path, registry)


SHOP = f'[[shops]]\nname = "a"\n{SELLER}[shops.erp]\ntype = "files"\npath = "x"\n'


def test_a_plugin_aspect_reads_its_settings_from_the_config(load_with_stock, tmp_path):
    settings = load_with_stock(write(tmp_path, f"{SHOP}[aspects.stock]\nthreshold = 7\n"))
    assert settings.aspect_settings["stock"] == {"threshold": 7, "unit": "pcs"}
    assert settings.aspect_settings["pickup"] == {"review_sla_hours": 24.0, "lookback_days": 14}
    assert settings.aspect_settings["warehouse_address"] == {}


def test_a_plugin_aspect_setting_is_named_by_file_and_key(load_with_stock, tmp_path):
    path = write(tmp_path, f'{SHOP}[aspects.stock]\nthreshold = "many"\ncolour = "red"\n')
    text = error_of(load_with_stock, path)
    assert f"{path}: aspects.stock.threshold: Not a valid integer." in text.splitlines()
    assert f"{path}: aspects.stock.colour: Unknown field." in text.splitlines()
    missing = error_of(load_with_stock, write(tmp_path, SHOP))
    assert missing == f"{path}: aspects.stock.threshold: Missing data for required field."


def test_an_unknown_aspect_table_names_the_known_aspects(load_with_stock, load, tmp_path):
    path = write(tmp_path, f"{SHOP}[aspects.stock]\nthreshold = 1\n[aspects.stok]\nthreshold = 1\n")
    known = "listings, order_status, pickup, ship_by, stock, tracking, warehouse_address"
    expected = f"{path}: aspects.stok: unknown aspect 'stok' (known: {known})"
    assert error_of(load_with_stock, path) == expected
    without_plugin = error_of(load, path)  # the same file where the plugin is not installed
    known = known.replace("stock, ", "")
    assert f"{path}: aspects.stock: unknown aspect 'stock' (known: {known})" in without_plugin


def test_builtin_aspect_settings_are_checked_by_their_own_schemas(load, tmp_path):
    path = write(tmp_path, f"{SHOP}[aspects.pickup]\nlookback_days = 0\n[aspects.warehouse_address]\nfuzzy = true\n")
    lines = error_of(load, path).splitlines()
    assert (
        f"{path}: aspects.pickup.lookback_days: Must be greater than or equal to 1 and less than or equal to 90."
        in lines
    )
    assert f"{path}: aspects.warehouse_address.fuzzy: Unknown field." in lines
    not_a_table = error_of(load, write(tmp_path, f"aspects = {{ pickup = 3 }}\n{SHOP}"))
    assert not_a_table == f"{path}: aspects.pickup: expected a table ([aspects.pickup]), got int"


def test_report_language_defaults_to_english_and_reads_zh(load, tmp_path):
    shop = f'[[shops]]\nname = "a"\n{SELLER}\n[shops.erp]\ntype = "files"\npath = "x"\n'
    assert load(write(tmp_path, shop)).lang == "en"
    assert load(write(tmp_path, f'lang = "zh"\n{shop}')).lang == "zh"


@pytest.mark.parametrize("value", ['"fr"', '"ZH"', "1"])
def test_an_unknown_report_language_names_the_key(load, tmp_path, value):
    shop = f'[[shops]]\nname = "a"\n{SELLER}\n[shops.erp]\ntype = "files"\npath = "x"\n'
    text = error_of(load, write(tmp_path, f"lang = {value}\n{shop}"))
    assert text.startswith(f"{tmp_path / 'erpsync.toml'}: lang: "), text
    assert "en" in text and "zh" in text


# -- [[alerts]] and [alerting] -------------------------------------------------------------------

SHOP_FILES = f'[[shops]]\nname = "a"\n{SELLER}\n[shops.erp]\ntype = "files"\npath = "x"\n'


def test_alert_common_keys_are_the_hosts_and_the_rest_the_sinks(load, tmp_path):
    path = write(
        tmp_path,
        'lang = "zh"\n' + SHOP_FILES + "[alerting]\nremind_after_hours = 6\nmax_age_hours = 12\n"
        '[[alerts]]\ntype = "log"\n'
        '[[alerts]]\ntype = "jsonl"\nname = "ops-file"\nlanguage = "en"\nmin_severity = "warning"\n'
        'shops = ["a"]\naspects = ["pickup", "auth"]\ntimeout_seconds = 5\npath = "alerts.jsonl"\n',
    )
    settings = load(path)
    log, ops = settings.alerts
    assert (log.name, log.language, log.min_severity, log.shops, log.aspects, log.timeout_seconds) == (
        "log", "zh", "info", None, None, 30.0
    )  # fmt: skip
    assert (ops.type, ops.name, ops.language, ops.min_severity, ops.shops, ops.aspects, ops.timeout_seconds) == (
        "jsonl", "ops-file", "en", "warning", ("a",), ("pickup", "auth"), 5.0
    )  # fmt: skip
    assert ops.options == {"path": "alerts.jsonl"}  # the sink's Options got only its own keys
    assert (settings.alerting.remind_after_hours, settings.alerting.max_age_hours) == (6, 12)
    assert ops.wants(shop="a", aspect="pickup", severity="critical")
    assert not ops.wants(shop="a", aspect="pickup", severity="info")
    assert not ops.wants(shop="a", aspect="warehouse_address", severity="critical")


def test_alert_config_errors_name_their_key(load, tmp_path):
    path = write(
        tmp_path,
        SHOP_FILES + "[alerting]\nmax_age_hours = 0\n"
        '[[alerts]]\ntype = "log"\n[[alerts]]\ntype = "log"\n'
        '[[alerts]]\ntype = "jsonl"\nname = "j"\npath = "p"\nlanguage = "fr"\nmin_severity = "loud"\n'
        '[[alerts]]\ntype = "jsonl"\nname = "k"\npath = "p"\nshops = ["a", "b"]\naspects = ["returns"]\n',
    )
    text = error_of(load, path)
    assert "alerts[1].name: duplicate alert sink name 'log' (also alerts[0])" in text
    assert 'alerts[2].language: use "en" (English) or "zh" (中文), not \'fr\'' in text
    assert "alerts[2].min_severity: use one of info, warning, critical, not 'loud'" in text
    assert "alerts[3].shops[1]: unknown shop 'b' (known: a)" in text
    assert "alerts[3].aspects[0]: unknown aspect 'returns'" in text
    assert "alerting.max_age_hours:" in text


def test_a_sinks_secret_options_are_redacted_even_when_written_literally(tmp_path):
    from marshmallow import Schema, fields

    from erpsync.plugins.alerts.base import AlertSink

    class Robot(AlertSink):
        type = "robot"
        secret_options = ("url", "secret")

        class Options(Schema):
            url = fields.String(required=True)
            secret = fields.String(load_default=None)

    class Plugin:
        @hookimpl
        def register_alert_sinks(self, register):
            register(Robot)

    registry = build_registry(get_plugin_manager(entrypoints=False, extra=[Plugin()]))
    url = "https://oapi.dingtalk.com/robot/send?access_token=literal-token-0123456789"
    path = write(tmp_path, SHOP_FILES + f'[[alerts]]\ntype = "robot"\nurl = "{url}"\nsecret = "SEC0123456789abcdef"\n')
    settings = load_settings(path, registry)
    assert url in settings.secrets and "SEC0123456789abcdef" in settings.secrets
    short = write(tmp_path, SHOP_FILES + '[[alerts]]\ntype = "robot"\nurl = "https://x"\nsecret = "SEC1"\n')
    with pytest.raises(ConfigError, match=r"alerts\[0\]\.secret: too short to be a real secret"):
        load_settings(short, registry)
