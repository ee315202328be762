"""``erpsync plugins`` with real installed distributions: origin, version and capabilities; broken and blocked.

Each distribution is a ``.dist-info`` folder with ``entry_points.txt`` on ``sys.path``, what
``pip install`` leaves behind, so ``importlib.metadata`` finds it as it finds a real plugin.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from erpsync.cli import main

ACME = """
from erpsync import sdk

class AcmeErp(sdk.HttpErpConnector):
    type = "acme"
    description = "Acme ERP"
    capabilities = ("warehouses",)

    def list_warehouses(self):
        return sdk.Records()

@sdk.hookimpl
def register_connectors(register):
    register(AcmeErp)
"""

MISSPELT = """
from erpsync import sdk

class Typo(sdk.ErpConnector):
    type = "typo"
    Options = sdk.Schema
    capabilities = ("handover",)

    def set_handover_mod(self, warehouse_id, mode):
        pass

@sdk.hookimpl
def register_connectors(register):
    register(Typo)
"""

BROKEN = "import erpsync_missing_dependency  # not installed\n"
MODULES = ("erpsync_acme_plugin", "erpsync_typo_plugin", "erpsync_broken_plugin", "erpsync_other_acme")


def install(site: Path, dist: str, version: str, entry: str, module: str, body: str) -> None:
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[erpsync]\n{entry} = {module}\n", encoding="utf-8")
    (site / f"{module}.py").write_text(body, encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    site = tmp_path / "site"
    site.mkdir()
    install(site, "erpsync-acme", "1.4.2", "acme", "erpsync_acme_plugin", ACME)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.delenv("ERPSYNC_BLOCK_PLUGINS", raising=False)
    monkeypatch.delenv("ERPSYNC_CONFIG", raising=False)
    yield site
    for module in MODULES:
        sys.modules.pop(module, None)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def rows(out: str) -> dict[str, list[dict]]:
    by_plugin: dict[str, list[dict]] = {}
    for row in json.loads(out)["plugins"]:
        by_plugin.setdefault(row["plugin"], []).append(row)
    return by_plugin


def test_json_shows_distribution_version_and_capabilities(site, capsys):
    code, out, _ = run(capsys, "plugins", "--format", "json")
    assert code == 0
    listed = rows(out)
    [acme] = listed["acme"]
    assert acme["distribution"] == "erpsync-acme" and acme["version"] == "1.4.2"
    assert (acme["status"], acme["registers"], acme["name"], acme["role"]) == ("loaded", "connector", "acme", "erp")
    assert acme["capabilities"] == ["warehouses"]
    [files] = listed["erpsync.connectors.files"]
    assert files["distribution"] == "erpsync" and files["capabilities"] == [
        "warehouses",
        "addresses",
        "handover",
        "batch",
        "products",
        "shipments",
        "order_statuses",
    ]
    [tiktok] = listed["erpsync.connectors.tiktok"]
    assert tiktok["role"] == "seller" and tiktok["capabilities"] == ["warehouses", "pickup_signals"]


def test_the_table_has_the_same_columns(site, capsys):
    code, out, _ = run(capsys, "plugins")
    assert code == 0
    line = next(row for row in out.splitlines() if "erpsync-acme" in row)
    assert "erpsync-acme 1.4.2" in line and "connector (erp)" in line and "warehouses" in line and "Acme ERP" in line
    tiktok = next(row for row in out.splitlines() if "erpsync.connectors.tiktok" in row)
    assert "connector (seller)" in tiktok and "warehouses, pickup_signals" in tiktok
    header = next(row for row in out.splitlines() if "distribution" in row)
    assert all(col in header for col in ("plugin", "registers", "capabilities", "description"))


def test_a_connector_failing_its_checks_is_named_with_its_fix(site, capsys):
    install(site, "erpsync-typo", "0.1", "typo", "erpsync_typo_plugin", MISSPELT)
    code, out, err = run(capsys, "plugins", "--format", "json")
    assert code == 1
    [typo] = rows(out)["typo"]
    assert typo["status"] == "broken"
    assert typo["error"].startswith("plugin 'typo' (distribution erpsync-typo 0.1): connector Typo cannot be used: ")
    assert "(set_handover_mod looks misspelt)" in typo["error"] and "ERPSYNC_BLOCK_PLUGINS=typo" in typo["error"]
    assert "acme" in rows(out)  # the others are still listed
    code, _, err = run(capsys, "check")
    assert code == 1 and "set_handover_mod looks misspelt" in err and "Traceback" not in err


def test_a_broken_plugin_is_blocked_by_the_environment(site, capsys, monkeypatch):
    install(site, "erpsync-broken", "0.3", "broken", "erpsync_broken_plugin", BROKEN)
    code, out, err = run(capsys, "plugins", "--format", "json")
    assert code == 1
    assert 'or block it: ERPSYNC_BLOCK_PLUGINS=broken, or blocked = ["broken"]' in " ".join(err.split())
    monkeypatch.setenv("ERPSYNC_BLOCK_PLUGINS", "broken")
    code, out, err = run(capsys, "plugins", "--format", "json")
    assert code == 0 and err == ""
    assert [r["status"] for r in rows(out)["broken"]] == ["blocked"]


def test_a_broken_plugin_is_blocked_by_the_config(site, capsys):
    install(site, "erpsync-broken", "0.3", "broken", "erpsync_broken_plugin", BROKEN)
    Path("blocking.toml").write_text('[plugins]\nblocked = ["broken"]\n', encoding="utf-8")
    code, out, err = run(capsys, "-c", "blocking.toml", "plugins", "--format", "json")
    assert code == 0 and err == ""
    assert [r["status"] for r in rows(out)["broken"]] == ["blocked"]


def test_two_distributions_with_one_plugin_name_clash(site, capsys):
    install(site, "erpsync-other", "9.0", "acme", "erpsync_other_acme", ACME.replace('"acme"', '"other"'))
    code, out, err = run(capsys, "plugins", "--format", "json")
    assert code == 1
    statuses = {(r["distribution"], r["status"]) for r in rows(out)["acme"]}
    assert ("erpsync-acme", "loaded") in statuses and ("erpsync-other", "broken") in statuses
    message = " ".join(err.split())
    assert "its name 'acme' is taken by distribution erpsync-acme 1.4.2; uninstall one of the two" in message
    assert "distribution erpsync-other 9.0" in message
