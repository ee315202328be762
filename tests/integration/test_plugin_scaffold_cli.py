"""``erpsync plugin new``: what it refuses, what it writes, and that what it writes is clean code.

Each case runs the real ``erpsync`` command in its own interpreter, as an author types it.
(Installing and running the generated plugin is ``test_plugin_scaffold.py``.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

EXIT_USAGE = 64


def erpsync(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "erpsync", *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_writes_an_installable_package_named_after_the_erp(tmp_path: Path):
    done = erpsync("plugin", "new", "acme-erp", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "erpsync-acme-erp"
    assert files_under(folder) == [
        "README.md",
        "erpsync.toml",
        "pyproject.toml",
        "src/erpsync_acme_erp/__init__.py",
        "src/erpsync_acme_erp/connector.py",
        "tests/conftest.py",
        "tests/fake_erp.py",
        "tests/test_connector.py",
        "tests/test_reconcile.py",
    ]
    pyproject = (folder / "pyproject.toml").read_text(encoding="utf-8")
    assert 'name = "erpsync-acme-erp"' in pyproject
    assert '[project.entry-points.erpsync]\nacme-erp = "erpsync_acme_erp"' in pyproject
    assert 'requires = ["setuptools>=61"]' in pyproject
    connector = (folder / "src/erpsync_acme_erp/connector.py").read_text(encoding="utf-8")
    assert "class AcmeErp(sdk.HttpErpConnector):" in connector and 'type = "acme-erp"' in connector
    imports = [line for line in connector.splitlines() if line.startswith(("import ", "from "))]
    assert [i for i in imports if "erpsync" in i] == ["from erpsync import sdk"]  # the stable API only
    for path in folder.rglob("*"):
        assert not path.is_file() or "{{" not in path.read_text(encoding="utf-8"), path
    assert "src/erpsync_acme_erp/connector.py" in done.stdout and "pip install -e" in done.stdout


def test_generated_code_passes_ruff_with_its_own_settings(tmp_path: Path):
    assert erpsync("plugin", "new", "wms", "--directory", "out", cwd=tmp_path).returncode == 0
    folder = tmp_path / "out"
    for args in (["check", "--no-cache", "."], ["format", "--no-cache", "--check", "."]):
        done = subprocess.run([sys.executable, "-m", "ruff", *args], cwd=folder, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("Acme", "cannot name a plugin: use lower-case letters"),
        ("acme--erp", "cannot name a plugin"),
        ("1acme", "cannot name a plugin"),
        ("acme.erp", "cannot name a plugin"),
        ("a" * 41, "use at most 40"),
        ("erpsync-acme", "name the ERP, not the distribution: 'acme' makes erpsync-acme"),
        ("files", "a connector named 'files' is registered already"),
    ],
)
def test_a_bad_name_is_a_usage_error_and_writes_nothing(tmp_path: Path, name: str, says: str):
    done = erpsync("plugin", "new", name, cwd=tmp_path)
    assert done.returncode == EXIT_USAGE
    assert says in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_non_empty_directory_is_refused_and_left_as_it_was(tmp_path: Path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me", encoding="utf-8")
    done = erpsync("plugin", "new", "acme", "--directory", "mine", cwd=tmp_path)
    assert done.returncode == EXIT_USAGE
    assert "mine is not empty: pass an empty or new directory with --directory" in done.stderr
    assert files_under(tmp_path / "mine") == ["notes.txt"]
    (tmp_path / "empty").mkdir()
    assert erpsync("plugin", "new", "acme", "--directory", "empty", cwd=tmp_path).returncode == 0


def test_help_says_what_it_writes(tmp_path: Path):
    done = erpsync("plugin", "new", "--help", cwd=tmp_path)
    assert done.returncode == 0
    for text in ("pyproject.toml", "HttpErpConnector", "contract suite", "erpsync.toml", "README.md", "--directory"):
        assert text in done.stdout
    assert "new" in erpsync("plugin", "--help", cwd=tmp_path).stdout
