"""The plugin guide keeps up with the code: every hook and SDK name documented and tested.

A hook or an SDK name added without its section in ``docs/plugins.md``, or without a test that
uses it, fails here, naming what to write. (That each SDK name is *documented* is checked in
``test_sdk.py``.) The guide's facts that the code settles (aspect and capability names, the
Address fields, the demo shop's ids) are checked against the code too.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
from pathlib import Path

import pytest

import erpsync.plugins.hookspecs as hookspecs
from erpsync import sdk
from erpsync.plugins.manager import build_registry, get_plugin_manager

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
TESTS = {p: p.read_text(encoding="utf-8") for p in sorted((ROOT / "tests").rglob("*.py"))}
HOOKS = sorted(n for n, f in vars(hookspecs).items() if inspect.isfunction(f) and hasattr(f, "erpsync_spec"))


def section(title: str) -> str:
    """The text of the ``###`` section ``title``, up to the next heading."""
    match = re.search(rf"^### {re.escape(title)}\n(.*?)(?=^#{{2,3}} )", DOC, re.M | re.S)
    assert match, f"docs/plugins.md has no section '### {title}'"
    return match[1]


def hookimpl_names(source: str) -> set[str]:
    """Names of the functions decorated with ``hookimpl`` (``@hookimpl``, ``@sdk.hookimpl(...)``)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef):
            for deco in node.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                if (target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")) == "hookimpl":
                    names.add(node.name)
    return names


def test_the_hooks_are_found():
    assert {"register_connectors", "resolve_drift", "register_commands"} <= set(HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_with_signature_when_returns_and_example(hook: str):
    text = section(f"`{hook}`")
    params = ", ".join(inspect.signature(getattr(hookspecs, hook)).parameters)
    assert f"`{hook}({params})`" in text, f"docs/plugins.md: give {hook}'s signature as `{hook}({params})`"
    assert "**When**" in text and "**Returns**" in text, f"docs/plugins.md: say when {hook} runs and what it returns"
    example = re.search(r"```python\n(.*?)```", text, re.S)
    assert example and f"def {hook}(" in example[1], f"docs/plugins.md: give an example implementing {hook}"
    ast.parse(example[1])  # the example is Python


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test_that_implements_it(hook: str):
    implementing = [p.name for p, source in TESTS.items() if hook in hookimpl_names(source)]
    assert implementing, f"no test implements {hook} under @hookimpl: write one"


def sdk_users(name: str) -> list[str]:
    """Test files other than this one that use ``name`` through ``erpsync.sdk``."""
    found = []
    for path, source in TESTS.items():
        if path.name == Path(__file__).name:
            continue
        if re.search(rf"\bsdk\.{name}\b", source) or re.search(rf"from erpsync\.sdk import [^\n]*\b{name}\b", source):
            found.append(path.name)
    return found


@pytest.mark.parametrize("name", sdk.__all__)
def test_every_sdk_name_is_used_by_a_test(name: str):
    assert sdk_users(name), f"no test uses sdk.{name}: a public name must have a test"


def test_every_aspect_and_capability_is_in_the_aspect_table():
    registry = build_registry(get_plugin_manager(entrypoints=False))
    table = DOC[DOC.index("## What each aspect needs") :].split("\n## ")[0]
    for aspect in registry.aspects:
        assert f"| `{aspect}` |" in table, f"docs/plugins.md: say what aspect {aspect} needs"
    for capability, protocol in sdk.CAPABILITIES.items():
        assert f"`{protocol.__name__}` (`{capability}`)" in table


def test_every_address_field_has_a_row():
    for name in sdk.ADDRESS_FIELDS:
        assert f"| `{name}` |" in DOC, f"docs/plugins.md: document Address field {name}"


def test_the_demo_shop_ids_are_the_scenarios():
    demo = json.loads((ROOT / "erpsync" / "sandbox" / "scenarios" / "demo.json").read_text(encoding="utf-8"))
    (shop,) = demo["shops"]
    app = demo["apps"][0]
    table = DOC[DOC.index("## The demo shop") :].split("\n## ")[0]
    for value in (shop["id"], app["app_key"], app["app_secret"], app["tokens"][0]["access_token"]):
        assert f"`{value}`" in table
    for warehouse in shop["warehouses"]:
        address = warehouse["address"]
        row = next(line for line in table.splitlines() if f"`{warehouse['id']}`" in line)
        for value in (warehouse["name"], address["city"], address["postal_code"], address["phone_number"]):
            assert value in row, f"docs/plugins.md: the demo shop's {warehouse['id']} row lacks {value}"
