"""Shared fixtures: a fresh plugin manager and registry per test (no global state)."""

from __future__ import annotations

import pytest

from erpsync.plugins.manager import Registry, build_registry, get_plugin_manager


@pytest.fixture
def pm():
    return get_plugin_manager(entrypoints=False)


@pytest.fixture
def registry(pm) -> Registry:
    return build_registry(pm)


@pytest.fixture
def load(registry):
    """load(path) with the built-in registry, as the CLI does."""
    from erpsync.plugins.manager import load_settings

    return lambda path: load_settings(path, registry)
