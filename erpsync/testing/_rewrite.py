"""Ask pytest to rewrite the case modules' asserts; imported first by the package, before them.

A rewritten ``assert got == want`` shows both sides when a case fails, which is most of what a
plugin author needs to fix the connector. pytest rewrites only modules registered before they
are imported, and these are imported by the package, not collected as tests.
"""

from __future__ import annotations

import pytest

pytest.register_assert_rewrite(
    "erpsync.testing.cases_batch",
    "erpsync.testing.cases_faults",
    "erpsync.testing.cases_orders",
    "erpsync.testing.cases_products",
    "erpsync.testing.cases_read",
    "erpsync.testing.cases_shipments",
    "erpsync.testing.cases_write",
    "erpsync.testing.contract_base",
    "erpsync.testing.harness",
)
