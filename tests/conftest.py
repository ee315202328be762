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
    from erpsync.core.config import load_config

    def _load(path):
        return load_config(
            path, connectors=registry.connectors, aspects=list(registry.aspects), alert_sinks=registry.alert_sinks
        )

    return _load
