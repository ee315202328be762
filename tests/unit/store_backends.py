"""Test helper (not a test module): the databases the state store tests run on.

SQLite always; PostgreSQL too when ``ERPSYNC_TEST_POSTGRES_URL`` names a database the tests may
empty (e.g. ``postgresql+psycopg://erpsync:erpsync@localhost/erpsync_test``), as in
``tests/integration/test_store_upserts.py``. The PostgreSQL runs are marked ``integration``: they
need a server. A test module parametrizes its own ``store`` fixture with ``BACKENDS``::

    @pytest.fixture(params=BACKENDS)
    def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
        with open_store(request.param, tmp_path) as s:
            yield s
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from erpsync.core.store import Store
from erpsync.core.store import schema as tables

POSTGRES_URL = os.environ.get("ERPSYNC_TEST_POSTGRES_URL")
BACKENDS: list[Any] = ["sqlite"]
if POSTGRES_URL:
    BACKENDS.append(pytest.param("postgresql", marks=pytest.mark.integration))


def empty_postgres() -> str:
    """The test PostgreSQL database with every table of the store dropped; its URL."""
    assert POSTGRES_URL is not None
    with Store.open(POSTGRES_URL) as old:
        tables.metadata.drop_all(old.engine)
    return POSTGRES_URL


@contextmanager
def open_store(backend: str, tmp_path: Path) -> Iterator[Store]:
    """A fresh store on ``backend`` ("sqlite": a file in ``tmp_path``), closed afterwards."""
    url = f"sqlite:///{tmp_path}/state.db" if backend == "sqlite" else empty_postgres()
    with Store.open(url) as store:
        yield store
