"""The TikTok connector keeps one shape: a package per API with the same modules, one base schema.

What the package docstring of ``erpsync.connectors.tiktok`` promises, checked so a new API (or a
quick fix) cannot drift back to a module per work item, a second schema base that drops unknown
fields, or a client that imports what imports it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest
from marshmallow import EXCLUDE, Schema

import erpsync.connectors.tiktok as tiktok
from erpsync.connectors.tiktok import fields

ROOT = Path(tiktok.__file__).parent
PACKAGE = "erpsync.connectors.tiktok"
#: each API package: the module that talks to the platform, then the modules every one has
API_PACKAGES = {"products": "api", "orders": "api", "fulfillment": "api", "webhooks": "receiver"}
SAME_IN_EVERY_API = {"models", "schemas"}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("erpsync", include_external_packages=True, cache_dir=None)


def _modules(package: Path) -> set[str]:
    return {p.stem for p in package.glob("*.py") if p.stem != "__init__"}


def test_every_api_is_a_package_with_the_same_modules() -> None:
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}
    assert packages == set(API_PACKAGES)
    for name, entry in API_PACKAGES.items():
        assert {entry, *SAME_IN_EVERY_API} <= _modules(ROOT / name), name


def _sets_unknown(meta: ast.ClassDef) -> bool:
    targets = (t for s in meta.body if isinstance(s, ast.Assign) for t in s.targets)
    return any(isinstance(t, ast.Name) and t.id == "unknown" for t in targets)


def test_only_fields_base_drops_unknown_fields() -> None:
    """Every schema class that sets ``Meta.unknown`` itself is ``fields.Base``: one base schema."""
    setters = []
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.name == "Meta" and _sets_unknown(node):
                setters.append(path.relative_to(ROOT).as_posix())
    assert setters == ["fields.py"]
    assert issubclass(fields.Base, Schema) and fields.Base.Meta.unknown == EXCLUDE


def test_every_schema_of_the_package_derives_from_the_one_base(graph: grimp.ImportGraph) -> None:
    import importlib

    for module in sorted(m for m in graph.modules if m.startswith(PACKAGE + ".")):
        loaded = importlib.import_module(module)
        for value in vars(loaded).values():
            if isinstance(value, type) and issubclass(value, Schema) and value.__module__ == module:
                if module.endswith(".seller"):
                    continue  # the connector's Options: configuration, where an unknown key is an error
                assert issubclass(value, fields.Base), f"{module}.{value.__name__}"


def test_models_import_no_http_and_no_marshmallow(graph: grimp.ImportGraph) -> None:
    """A caller can import an API's models without the HTTP client or the schemas."""
    for name in API_PACKAGES:
        module = f"{PACKAGE}.{name}.models"
        imported = graph.find_modules_directly_imported_by(module)
        assert not {m for m in imported if m.startswith(PACKAGE) or m.split(".")[0] in ("requests", "marshmallow")}


def test_the_client_imports_neither_paging_nor_an_api(graph: grimp.ImportGraph) -> None:
    """Paging sits beside the client and calls it; the client only loads (``loading.py``)."""
    client = f"{PACKAGE}.client"
    for above in ("paging", "seller", *API_PACKAGES):
        assert not graph.chain_exists(importer=client, imported=f"{PACKAGE}.{above}", as_packages=True), above
