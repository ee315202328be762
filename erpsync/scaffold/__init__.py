"""The files of a new ERP plugin, rendered from the templates beside this module.

``erpsync plugin new NAME`` writes them: an installable distribution whose connector, tests and
sandbox configuration work as generated, so an author starts from a passing test suite and edits
the field mapping, never from a blank page. The templates are text files (``templates/*.tmpl``,
package data) rather than Python strings, so the generated code reads as code; each
``{{placeholder}}`` is one of :class:`Names`' fields, and a placeholder left unknown is a bug
caught when rendering, never a file written with ``{{...}}`` in it.
"""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Collection
from dataclasses import asdict, dataclass
from importlib.resources import files
from pathlib import Path

from erpsync.core.errors import UsageError

__all__ = ["FILES", "NAME_RULE", "Names", "check_name", "render", "write_plugin"]

#: a connector ``type`` (registration's rule: letters, digits, ``-`` and ``_``, a letter first),
#: held to lower case and single separators so that it also makes a clean distribution and package name
NAME_RULE = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")
MAX_NAME = 40

#: generated path (``{package}`` filled in) -> template
FILES = {
    "pyproject.toml": "pyproject.toml.tmpl",
    "README.md": "README.md.tmpl",
    "erpsync.toml": "erpsync.toml.tmpl",
    "src/{package}/__init__.py": "package_init.py.tmpl",
    "src/{package}/connector.py": "connector.py.tmpl",
    "tests/conftest.py": "conftest.py.tmpl",
    "tests/fake_erp.py": "fake_erp.py.tmpl",
    "tests/test_connector.py": "test_connector.py.tmpl",
    "tests/test_reconcile.py": "test_reconcile.py.tmpl",
}

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


@dataclass(frozen=True)
class Names:
    """Every name a plugin called ``name`` goes by, derived once so the files agree."""

    name: str  # connector type and entry-point name: acme-erp
    dist: str  # distribution: erpsync-acme-erp
    package: str  # import package: erpsync_acme_erp
    class_: str  # connector class: AcmeErp
    title: str  # in prose: "Acme" (as in "Acme ERP")
    token_env: str  # the environment variable the sandbox config reads the token from
    erpsync_version: str  # the lowest erpsync the plugin asks for: the one it was generated with

    @classmethod
    def of(cls, name: str) -> Names:
        parts = re.split(r"[-_]", name)
        words = parts[:-1] if len(parts) > 1 and parts[-1] == "erp" else parts
        return cls(
            name=name,
            dist="erpsync-" + name.replace("_", "-"),
            package="erpsync_" + name.replace("-", "_"),
            class_="".join(p.capitalize() for p in words) + "Erp",
            title=" ".join(p.capitalize() for p in words),
            token_env=name.replace("-", "_").upper() + "_TOKEN",
            erpsync_version=_erpsync_version(),
        )


def _erpsync_version() -> str:
    try:
        return importlib.metadata.version("erpsync")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that is not installed
        return "0.1"


def check_name(name: str, taken: Collection[str] = ()) -> None:
    """Raise a UsageError saying what a good name is, unless ``name`` is one.

    ``taken`` holds the connector types already registered: a plugin registering one of them
    would be refused at start-up, so it is refused here, before any file is written.
    """
    rule = "lower-case letters and digits, words joined by single '-' or '_', a letter first (acme, acme-erp)"
    if not NAME_RULE.fullmatch(name):
        raise UsageError(f"{name!r} cannot name a plugin: use {rule}")
    if len(name) > MAX_NAME:
        raise UsageError(f"{name!r} is {len(name)} characters long: use at most {MAX_NAME}")
    if name == "erpsync" or name.startswith(("erpsync-", "erpsync_")):
        short = name.removeprefix("erpsync").lstrip("-_") or "acme"
        raise UsageError(f"name the ERP, not the distribution: {short!r} makes erpsync-{short}")
    if name in taken:
        raise UsageError(f"a connector named {name!r} is registered already: choose another name")


def render(names: Names) -> dict[str, str]:
    """Generated path -> text, for every file of the plugin."""
    values = {k.rstrip("_"): v for k, v in asdict(names).items()}
    templates = files(__package__) / "templates"
    out = {}
    for target, template in FILES.items():
        text = (templates / template).read_text(encoding="utf-8")
        unknown = sorted({m for m in _PLACEHOLDER.findall(text) if m not in values})
        if unknown:
            raise ValueError(f"template {template} uses unknown placeholders: {', '.join(unknown)}")
        out[target.format(package=names.package)] = _PLACEHOLDER.sub(lambda m: values[m[1]], text)
    return out


def write_plugin(name: str, directory: Path, *, taken: Collection[str] = ()) -> list[Path]:
    """Write the plugin ``name`` into ``directory`` (created; it may exist only if empty).

    Returns the files written. Refuses, before writing anything, a bad name or a directory
    that holds something: a scaffold never overwrites an author's work.
    """
    check_name(name, taken)
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} exists and is not a directory: pass another with --directory")
    if directory.is_dir() and any(directory.iterdir()):
        raise UsageError(f"{directory} is not empty: pass an empty or new directory with --directory")
    written = []
    try:
        for target, text in render(Names.of(name)).items():
            path = directory / target
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    except OSError as exc:
        raise UsageError(f"cannot write {directory}: {exc.strerror or exc}") from None
    return written
