"""Test helper (not a test module): the databases the state store tests run on.

SQLite always; PostgreSQL too when ``ERPSYNC_TEST_POSTGRES_URL`` names a database the tests may
empty (e.g. ``postgresql+psycopg://erpsync:erpsync@localhost/erpsync_test``), or when
``ERPSYNC_REQUIRE_SERVICES=1`` (then a missing URL fails those runs: ``service_servers``). The
PostgreSQL runs are marked ``integration``: they need a server. A test module parametrizes its own
``store`` fixture with ``BACKENDS``::

    @pytest.fixture(params=BACKENDS)
    def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
        with open_store(request.param, tmp_path) as s:
            yield s
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from service_servers import empty_postgres, postgres_configured

from erpsync.core.store import Store

BACKENDS: list[Any] = ["sqlite"]
if postgres_configured():
    BACKENDS.append(pytest.param("postgresql", marks=pytest.mark.integration))


def backend_url(backend: str, tmp_path: Path) -> str:
    """A URL for a database with no tables on ``backend`` ("sqlite": a new file in ``tmp_path``)."""
    return f"sqlite:///{tmp_path}/state.db" if backend == "sqlite" else empty_postgres()


@contextmanager
def open_store(backend: str, tmp_path: Path) -> Iterator[Store]:
    """A fresh store on ``backend`` ("sqlite": a file in ``tmp_path``), closed afterwards."""
    with Store.open(backend_url(backend, tmp_path)) as store:
        yield store
