"""The rest ERP's mapping: its JSON path syntax, and config errors that name the key to fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from erpsync.connectors.rest import paths
from erpsync.core.errors import ConfigError
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings

CONFIG = Path(__file__).resolve().parents[2] / "config" / "rest-erp.toml"


@pytest.mark.parametrize(
    ("text", "steps"),
    [
        ("id", ("id",)),
        ("contact.phone", ("contact", "phone")),
        ("address.lines[0]", ("address", "lines", 0)),
        ("rows[1][2].x", ("rows", 1, 2, "x")),
    ],
)
def test_paths_parse_and_show_the_same_text(text, steps):
    assert paths.parse_path(text) == steps
    assert paths.show(steps) == text


@pytest.mark.parametrize("text", ["", "a..b", "a[x]", "a[0", "a]b", ".a", "[0]"])
def test_bad_paths_say_what_is_wrong(text):
    with pytest.raises(ValueError):
        paths.parse_path(text)


def test_dig_tells_missing_from_null():
    item = {"a": {"b": None, "l": ["x"]}}
    assert paths.dig(item, ("a", "b")) is None
    assert paths.dig(item, ("a", "c")) is paths.MISSING
    assert paths.dig(item, ("a", "l", 0)) == "x"
    assert paths.dig(item, ("a", "l", 1)) is paths.MISSING
    assert paths.dig(item, ("a", "b", "c")) is paths.MISSING


def test_put_builds_the_body_a_write_sends():
    body: dict = {}
    paths.put(body, ("contact", "phone"), "1")
    paths.put(body, ("contact", "name"), "n")
    paths.put(body, ("address", "lines", 0), "street")
    assert body == {"contact": {"phone": "1", "name": "n"}, "address": {"lines": ["street"]}}


def _settings(tmp_path, text: str):
    registry = build_registry(get_plugin_manager())
    path = tmp_path / "erpsync.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path, registry)


def test_the_worked_example_loads(tmp_path, monkeypatch):
    monkeypatch.setenv("REST_ERP_TOKEN", "rest-erp-demo-token")
    settings = _settings(tmp_path, CONFIG.read_text(encoding="utf-8"))
    erp = settings.shops[0].erp
    assert erp.type == "rest"
    assert erp.options["warehouses"]["paths"]["street"] == ("address", "lines", 0)
    assert erp.options["shipments"]["paging"]["next_cursor"] == ("meta", "next_cursor")


def test_mapping_errors_name_the_key(tmp_path):
    text = (
        '[[shops]]\nname = "s"\n[shops.seller]\ntype = "tiktok"\napp_key = "demo-app-key"\n'
        'app_secret = "demo-app-secret"\naccess_token = "demo-access-token"\nshop_id = "1"\n'
        '[shops.erp]\ntype = "rest"\nbase_url = "http://127.0.0.1:1"\n'
        '[shops.erp.warehouses]\nlist = "warehouses"\nupdate = "PATCH /warehouses"\n'
        'paging = { style = "cursor" }\n'
        '[shops.erp.warehouses.fields]\nid = "id"\nphone = "contact[x]"\nfax = "fax"\n'
        '[shops.erp.orders]\nlist = "/orders"\n[shops.erp.orders.fields]\norder_id = "id"\n'
    )
    with pytest.raises(ConfigError) as caught:
        _settings(tmp_path, text)
    message = str(caught.value)
    for key in (
        "shops[0].erp.warehouses.list",
        "shops[0].erp.warehouses.update",
        "shops[0].erp.warehouses.paging.next_cursor",
        "shops[0].erp.warehouses.fields.name",
        "shops[0].erp.warehouses.fields.phone",
        "shops[0].erp.warehouses.fields.fax",
        "shops[0].erp.orders.fields.status",
        "shops[0].erp.orders.fields.updated_at",
    ):
        assert key in message, f"{key} not named in:\n{message}"
    assert "seller" not in message  # only the mapping is wrong
