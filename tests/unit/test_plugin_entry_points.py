"""Installed plugins load through real entry points, each under its own guard.

A throwaway distribution (a ``.dist-info`` folder with ``entry_points.txt``, on ``sys.path``) is
what ``pip install`` leaves behind, so ``importlib.metadata`` finds it exactly as it finds a real
plugin. A plugin whose import raises is set aside with one line naming its distribution and entry
point; the other plugins load, ``--help`` works, and the commands that need plugins refuse to run.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from erpsync.cli import main
from erpsync.plugins.loading import Origin
from erpsync.plugins.manager import PluginError, build_registry, get_plugin_manager

GOOD = """
from erpsync.core.aspects.base import Aspect
from erpsync.plugins import hookimpl

class Noop(Aspect):
    name = "noop"
    def observe(self, ctx): raise NotImplementedError
    def diff(self, observation): return []
    def plan(self, drifts, decide, observation): return []
    def apply(self, action, seller, erp): raise NotImplementedError

@hookimpl
def register_aspects(register):
    register(Noop())
"""


def install(site: Path, dist: str, version: str, entry: str, module: str, body: str) -> None:
    """What pip leaves for a distribution with one ``erpsync`` entry point ``entry = module``."""
    info = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[erpsync]\n{entry} = {module}\n", encoding="utf-8")
    (site / f"{module}.py").write_text(body, encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    site = tmp_path / "site"
    site.mkdir()
    install(site, "erpsync-good", "1.2", "good", "erpsync_good_plugin", GOOD)
    monkeypatch.syspath_prepend(str(site))
    yield site
    for module in ("erpsync_good_plugin", "erpsync_broken_plugin"):  # each test installs its own
        sys.modules.pop(module, None)


BROKEN = "import erpsync_missing_dependency  # not installed\n"
MESSAGE = (
    "plugin 'broken' (entry point 'broken = erpsync_broken_plugin' of distribution erpsync-broken 0.3) is broken: "
    "ModuleNotFoundError: No module named 'erpsync_missing_dependency'; "
    "fix it, uninstall it (pip uninstall erpsync-broken), "
    'or block it: ERPSYNC_BLOCK_PLUGINS=broken, or blocked = ["broken"] in the [plugins] table of the config'
)


def test_an_installed_plugin_loads_with_its_distribution(site: Path) -> None:
    pm = get_plugin_manager()
    assert pm.broken == []
    assert pm.origins["good"] == Origin("erpsync-good", "1.2", "good = erpsync_good_plugin")
    registry = build_registry(pm)
    assert registry.owners[("aspect", "noop")] == "good"


def test_a_plugin_whose_import_fails_is_set_aside_with_one_clear_error(site: Path) -> None:
    install(site, "erpsync-broken", "0.3", "broken", "erpsync_broken_plugin", BROKEN)
    pm = get_plugin_manager()  # never raises for an installed plugin
    assert [str(b) for b in pm.broken] == [MESSAGE]
    assert pm.has_plugin("good") and not pm.has_plugin("broken")
    with pytest.raises(PluginError) as info:
        build_registry(pm)
    assert str(info.value) == MESSAGE
    assert "noop" in build_registry(pm, allow_broken=True).aspects


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("raise ImportError('needs libfoo 2')\n", "ImportError: needs libfoo 2"),
        ("raise RuntimeError('bad\\nconfig')\n", "RuntimeError: bad config"),
        ("import sys\nsys.exit(3)\n", "SystemExit: 3"),
        (
            "from erpsync.plugins import hookimpl\n@hookimpl\ndef register_conectors(register): pass\n",
            "PluginValidationError: unknown hook 'register_conectors'",
        ),
    ],
    ids=["ImportError", "RuntimeError", "SystemExit", "hook-typo"],
)
def test_anything_a_plugin_raises_is_named_not_raised(site: Path, body: str, reason: str) -> None:
    install(site, "erpsync-broken", "0.3", "broken", "erpsync_broken_plugin", body)
    pm = get_plugin_manager()
    [broken] = pm.broken
    assert (broken.name, broken.origin.distribution, broken.origin.version) == ("broken", "erpsync-broken", "0.3")
    assert broken.reason.startswith(reason), broken.reason
    assert "\n" not in str(broken) and "Traceback" not in str(broken)
    assert not pm.has_plugin("broken") and pm.has_plugin("good")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_the_cli_with_a_broken_plugin(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    install(site, "erpsync-broken", "0.3", "broken", "erpsync_broken_plugin", BROKEN)
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.chdir(tmp_path)

    code, out, err = run(capsys, "--help")
    assert code == 0 and "auth" in out and "reconcile" in out
    assert err == ""

    code, out, err = run(capsys, "check")
    assert code == 1
    assert MESSAGE in " ".join(err.split())
    assert "Traceback" not in out + err

    code, out, err = run(capsys, "plugins")
    assert code == 1
    assert any("broken" in line and "erpsync-broken 0.3" in line for line in out.splitlines()), out
    assert any("good" in line and "erpsync-good 1.2" in line and "noop" in line for line in out.splitlines()), out
    assert MESSAGE in " ".join(err.split())

    code, out, err = run(capsys, "brokens-command")
    assert code == 64 and "`erpsync plugins` says which and why" in err
