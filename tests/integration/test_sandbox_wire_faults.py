"""Wire-level faults and switches over real HTTP: commit-then-fail, dropped answers, errors with
HTTP 200, 429 without Retry-After. Each proves the write really happened (effects) when the answer
says otherwise, which is what lets a client suite prove it never doubles a write."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from sandbox_wire import WAREHOUSES, Wire, expect_error, product_body

pytestmark = pytest.mark.integration

F = "/fulfillment/202309"
P = "/product/202309/products"
SHIP = f"{F}/packages/{{package_id}}/ship"
PACKAGE = f"{F}/packages/{{package_id}}"


def new_package(wire: Wire) -> str:
    return wire.admin("POST", "orders", {"warehouse_id": "WH-DG-01"})["packages"][0]["id"]


def ship(wire: Wire, package_id: str) -> requests.Response:
    return wire.call("POST", f"{F}/packages/{package_id}/ship", body={"handover_method": "PICKUP"})


def counts(wire: Wire, path: str) -> dict[str, int]:
    return wire.admin("GET", "counts")["paths"][path]


# -- commit then fail ----------------------------------------------------------------------------


def test_fail_after_commit_answers_500_but_the_write_happened(wire: Wire) -> None:
    first, second, third = new_package(wire), new_package(wire), new_package(wire)
    assert wire.admin("POST", "faults", {"fail_after_commit": 2})["fail_after_commit"] == 2
    expect_error(ship(wire, first), 500, 36009003)
    # the effect is there: a blind retry finds the package already shipped
    expect_error(ship(wire, first), 400, 21011040)  # rejected: commits nothing, uses up no fault
    assert wire.ok("GET", f"{F}/packages/{first}")["package_status"] == "PROCESSING"  # reads are not hit
    wire.ok("POST", f"{F}/packages/search", params={"page_size": 5}, body={})  # searches are not writes
    assert wire.admin("GET", "faults")["fail_after_commit"] == 1
    expect_error(ship(wire, second), 500, 36009003)
    assert wire.ok("POST", f"{F}/packages/{third}/ship", body={"handover_method": "PICKUP"}) == {}
    assert wire.admin("GET", "effects")["ship"] == {first: 1, second: 1, third: 1}
    row = counts(wire, SHIP)
    assert (row["calls"], row["5xx"], row["4xx"], row["2xx"]) == (4, 2, 1, 1)
    assert wire.admin("GET", "faults")["fail_after_commit"] == 0


def test_fail_after_commit_on_product_create_leaves_the_product(wire: Wire) -> None:
    body = product_body(wire, sku="LOST-MUG-1")  # the upload is a write too: arm the fault after it
    wire.admin("POST", "faults", {"fail_after_commit": 1})
    expect_error(wire.call("POST", P, body=body), 500, 36009003)
    mine = [p for p in wire.admin("GET", "products")["products"] if p["skus"][0]["seller_sku"] == "LOST-MUG-1"]
    assert len(mine) == 1
    assert wire.admin("GET", "effects")["product_create"] == {"LOST-MUG-1": 1}
    # a blind retry is refused (duplicate seller_sku); a lookup by seller_sku finds the product
    expect_error(wire.call("POST", P, body=body), 400, 36009004)
    found = wire.ok("POST", f"{P}/search", params={"page_size": 10}, body={"seller_skus": ["LOST-MUG-1"]})
    assert [p["id"] for p in found["products"]] == [mine[0]["id"]]


def test_commit_fault_paths_and_rate(wire: Wire) -> None:
    package = new_package(wire)
    wire.admin("POST", "faults", {"fail_after_commit": 1, "commit_fault_paths": [P]})
    assert wire.ok("POST", f"{F}/packages/{package}/ship", body={"handover_method": "PICKUP"}) == {}
    assert wire.admin("GET", "faults")["fail_after_commit"] == 1  # the ship path is not listed
    expect_error(wire.call("POST", P, body=product_body(wire, sku="PATH-MUG-1")), 500, 36009003)

    wire.admin("POST", "faults", {"fail_after_commit_rate": 1, "commit_fault_paths": None})
    for package in (new_package(wire), new_package(wire)):
        expect_error(ship(wire, package), 500, 36009003)
        expect_error(ship(wire, package), 400, 21011040)
    wire.admin("POST", "faults", {"fail_after_commit_rate": 0})
    assert wire.ok("POST", f"{F}/packages/{new_package(wire)}/ship", body={"handover_method": "PICKUP"}) == {}


@pytest.mark.parametrize(
    "bad",
    [
        {"fail_after_commit": -1},
        {"fail_after_commit": 1.5},
        {"fail_after_commit_rate": 2},
        {"drop_after_commit": True},
        {"commit_fault_paths": "/product/202309/products"},
        {"fail_after_commits": 1},
    ],
)
def test_commit_fault_settings_are_checked(wire: Wire, bad: dict[str, Any]) -> None:
    expect_error(wire.http.post(f"{wire.base}/_sandbox/faults", json=bad), 400, 36009004)
    assert wire.admin("GET", "faults")["fail_after_commit"] == 0


def test_drop_after_commit_closes_the_connection_without_an_answer(wire: Wire) -> None:
    package = new_package(wire)
    wire.admin("POST", "faults", {"drop_after_commit": 1})
    with pytest.raises(requests.ConnectionError):
        ship(wire, package)
    assert wire.admin("GET", "effects")["ship"] == {package: 1}
    expect_error(ship(wire, package), 400, 21011040)  # the server keeps serving
    row = counts(wire, SHIP)
    assert (row["calls"], row["dropped"], row["4xx"]) == (2, 1, 1)


# -- errors with HTTP 200 ------------------------------------------------------------------------


def test_errors_as_http_200(wire: Wire) -> None:
    assert wire.admin("GET", "settings")["errors_as_http_200"] is False
    assert wire.admin("POST", "settings", {"errors_as_http_200": True})["errors_as_http_200"] is True
    expect_error(wire.call("GET", f"{F}/packages/404"), 200, 21011028)
    expect_error(ship(wire, "404"), 200, 21011028)
    expect_error(wire.call("GET", WAREHOUSES, token="sandbox-expired-token"), 200, 105002)
    expect_error(wire.call("GET", WAREHOUSES, cipher=None), 200, 106013)
    # rate limits and internal errors keep their status; an unknown path stays 404
    wire.admin("POST", "faults", {"burst_429": 1})
    expect_error(wire.call("GET", WAREHOUSES), 429, 36009002)
    wire.admin("POST", "faults", {"error_rate": 1})
    expect_error(wire.call("GET", WAREHOUSES), 500, 36009003)
    wire.admin("POST", "faults", {"error_rate": 0})
    expect_error(wire.call("GET", "/nope/202309/nothing"), 404, 36009009)
    # counted by the status actually sent
    assert counts(wire, PACKAGE)["2xx"] == 1
    wire.admin("POST", "settings", {"errors_as_http_200": False})
    expect_error(wire.call("GET", f"{F}/packages/404"), 404, 21011028)
    wire.admin("POST", "settings", {"errors_as_http_200": True})
    wire.admin("POST", "reset")  # a reset goes back to the scenario's value
    expect_error(wire.call("GET", f"{F}/packages/404"), 404, 21011028)


def test_settings_switches_are_checked(wire: Wire) -> None:
    for bad in ({"errors_as_http_200": 1}, {"rotate_refresh_tokens": "yes"}, {"omit_retry_after": None}):
        expect_error(wire.http.post(f"{wire.base}/_sandbox/settings", json=bad), 400, 36009004)
    state = wire.admin("GET", "state")["settings"]
    assert not state["errors_as_http_200"] and not state["rotate_refresh_tokens"] and not state["omit_retry_after"]


# -- 429 without Retry-After ---------------------------------------------------------------------


def test_429_without_retry_after(wire: Wire) -> None:
    wire.admin("POST", "faults", {"burst_429": 1})
    assert wire.call("GET", WAREHOUSES).headers["Retry-After"] == "1"
    wire.admin("POST", "settings", {"omit_retry_after": True})
    wire.admin("POST", "faults", {"burst_429": 1})
    burst = wire.call("GET", WAREHOUSES)
    expect_error(burst, 429, 36009002)
    assert "Retry-After" not in burst.headers
    wire.admin("POST", "settings", {"rate_limit_qps": 1})
    statuses = [wire.call("GET", WAREHOUSES) for _ in range(2)]
    assert [r.status_code for r in statuses] == [200, 429]
    assert "Retry-After" not in statuses[1].headers
