"""Test helper (not a test module): one shop's state store, a drift to record in it, and counters of
what the store sends, for the tests that pin how often a shop's run reads and commits.

A test module imports the fixture under its own name, so that pytest finds ``store`` without a
second definition shadowing it::

    from store_shop_setup import store_fixture  # noqa: F401 (the fixture ``store``)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from store_backends import BACKENDS, open_store

from erpsync.core.models import Drift, Severity
from erpsync.core.store import Store

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(params=BACKENDS, name="store")
def store_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A fresh store on SQLite, and on PostgreSQL when one is configured (``store_backends``)."""
    with open_store(request.param, tmp_path) as s:
        yield s


def drift(aspect: str = "warehouse_address") -> Drift:
    """A phone mismatch on warehouse WH-1 of shop "acme"."""
    return Drift(
        shop="acme",
        aspect=aspect,
        kind="field_mismatch",
        subject="WH-1",
        field="phone",
        seller_value="138",
        erp_value="139",
        severity=Severity.WARNING,
        message="WH-1: phone differs",
    )


@contextmanager
def _listening(store: Store, name: str, listener: Callable[..., None]) -> Iterator[None]:
    """``listener`` on the store's engine event ``name`` while the block runs."""
    event.listen(store._engine, name, listener)
    try:
        yield
    finally:
        event.remove(store._engine, name, listener)


@contextmanager
def commits(store: Store) -> Iterator[list[int]]:
    """How many transactions the store commits while the block runs (the list's one item)."""
    count = [0]

    def on_commit(_conn: object) -> None:
        count[0] += 1

    with _listening(store, "commit", on_commit):
        yield count


@contextmanager
def statements(store: Store) -> Iterator[list[str]]:
    """The SQL statements sent while the block runs, transaction control (BEGIN) left out."""
    sent: list[str] = []

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if not statement.lstrip().upper().startswith("BEGIN"):
            sent.append(" ".join(statement.split()))

    with _listening(store, "before_cursor_execute", on_execute):
        yield sent
