"""The kit's fixtures and the guidance it gives an author who left something out.

The plugin manager, registry and store fixtures are used here as an author's tests use them
(the plugin under test is an object registering a connector of its own). What an author sees
when they forgot an override is checked by running a generated test module in a child process.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from xml.etree import ElementTree

import pytest
from marshmallow import Schema

from erpsync.core.connector import Connector
from erpsync.core.models import Records, Warehouse
from erpsync.core.store import Store
from erpsync.plugins import hookimpl
from erpsync.plugins.manager import DEFAULT_PLUGINS, PluginManager, Registry
from erpsync.testing import render_config

pytest_plugins = ["erpsync.testing"]


class TinyErp(Connector):
    type = "tiny"
    role = "erp"

    class Options(Schema):
        pass

    def list_warehouses(self) -> Records[Warehouse]:
        return Records()


class TinyPlugin:
    @hookimpl
    def register_connectors(self, register):
        register(TinyErp)


@pytest.fixture
def erpsync_plugin() -> object:
    return TinyPlugin()


def test_the_manager_holds_the_builtins_and_the_plugin_under_test(erpsync_pm: PluginManager, erpsync_plugin):
    assert erpsync_pm.is_registered(erpsync_plugin)
    assert all(erpsync_pm.get_plugin(path) is not None for path in DEFAULT_PLUGINS)


def test_the_registry_names_the_plugin_as_the_owner(erpsync_registry: Registry, erpsync_pm, erpsync_plugin):
    assert erpsync_registry.connectors["tiny"] is TinyErp
    assert erpsync_registry.owners[("connector", "tiny")] == "test_testing_kit_fixtures.TinyPlugin"


def test_the_store_is_a_fresh_sqlite_file_in_the_tests_folder(erpsync_store: Store, tmp_path: Path):
    assert erpsync_store.url == f"sqlite:///{tmp_path / 'state' / 'state.db'}"
    assert (tmp_path / "state" / "state.db").exists()
    assert erpsync_store.runs.list_recent(limit=5) == []


def test_the_config_is_toml_with_every_option_as_given():
    seller = {"type": "tiktok", "base_url": "http://127.0.0.1:1", "max_attempts": 1}
    erp = {"type": "tiny", "path": "仓库/erp", "verify": False, "ratio": 0.5, "tags": ["a", 'b"c'], "map": {"k": 1}}
    text = render_config(seller, erp, "sqlite:///x.db", aspects=["warehouse_address"])
    doc = tomllib.loads(text)
    assert doc["state"]["url"] == "sqlite:///x.db"
    (shop,) = doc["shops"]
    assert shop["seller"] == seller and shop["erp"] == erp and shop["aspects"] == ["warehouse_address"]
    assert doc["alerts"] == [{"type": "jsonl", "path": "alerts.jsonl"}]


FORGETFUL = """
import pytest
from erpsync.connectors.files import FilesErp, FilesOptions
from erpsync.core.connector import ShopContext
from erpsync.testing import ErpConnectorContract

pytest_plugins = ["erpsync.testing"]


def test_uses_the_manager(erpsync_pm):
    pass


class TestNothingOverridden(ErpConnectorContract):
    pass


class TestOneCaseSkipped(ErpConnectorContract):
    skip_cases = {"test_close_is_safe_twice": "the ERP keeps no session to close"}

    def build_connector(self, system):
        return FilesErp(FilesOptions().load({"path": "erp"}), shop=ShopContext("shop", system))
"""


@pytest.fixture(scope="module")
def forgetful(tmp_path_factory) -> dict[str, str]:
    """Verdicts of the generated module: {class::case: "passed" | "failure: ..." | "skipped: ..."}."""
    folder = tmp_path_factory.mktemp("forgetful")
    (folder / "test_forgetful.py").write_text(FORGETFUL, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--junitxml=report.xml",
         "-k", "manager or declares_type or close_is_safe or changes_only", "test_forgetful.py"],
        cwd=folder, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert (folder / "report.xml").exists(), run.stdout + run.stderr
    verdicts = {}
    for case in ElementTree.parse(folder / "report.xml").iter("testcase"):
        verdict = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                verdict = f"{child.tag}: {child.get('message', '')} {child.text or ''}"
        verdicts[f"{case.get('classname', '').rpartition('.')[2]}::{case.get('name')}"] = verdict
    return verdicts


def test_the_plugin_fixture_says_to_override_it(forgetful):
    verdict = forgetful["test_forgetful::test_uses_the_manager"]
    assert verdict.startswith("error") and "override the erpsync_plugin fixture" in verdict


def test_a_missing_override_is_named_with_the_fix(forgetful):
    verdict = forgetful["TestNothingOverridden::test_declares_type_and_erp_role"]
    assert verdict.startswith("failure")
    assert "TestNothingOverridden does not override build_connector(self, system)" in verdict
    assert "skip_cases" in verdict


def test_a_case_is_skipped_with_the_authors_reason(forgetful):
    verdict = forgetful["TestOneCaseSkipped::test_close_is_safe_twice"]
    assert verdict.startswith("skipped") and "the ERP keeps no session to close" in verdict
    # the same class's other cases still run: seeding was not overridden, so they fail saying so
    seeded = forgetful["TestOneCaseSkipped::test_write_changes_only_the_given_fields[phone]"]
    assert seeded.startswith("failure") and "does not override seed(self, system, warehouses)" in seeded
