"""The client's rate budget against the sandbox's judge, over loopback: the limit used, never exceeded.

The sandbox counts calls per (app key, shop cipher, path template) in a sliding one-second window
and answers the 51st with 429; ``/_sandbox/counts`` says how many it refused. Clients here are
configured at the platform's own 50 calls per second, the value most likely to draw 429s.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Iterator

import pytest
import requests
from pacing import assert_paced

from erpsync.connectors.tiktok.client import TikTokClient
from erpsync.core.errors import TemporaryError
from erpsync.core.http import HttpPolicy
from erpsync.core.rate_limit import MIN_QPS, RATE_LIMITS, RECOVER_STEP
from erpsync.sandbox import SandboxServer
from erpsync.sandbox.scenario import resolve_source

pytestmark = pytest.mark.integration

APP_KEY, APP_SECRET, TOKEN, SHOP_ID = "demo-app-key", "demo-app-secret", "demo-access-token", "7495000000000000001"
WAREHOUSES = "/logistics/202309/warehouses"
SEARCH = "/fulfillment/202309/packages/search"
QPS = 50


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    RATE_LIMITS.clear()  # buckets are process-wide: start from the configured rate
    with SandboxServer(scenario="demo") as server:
        yield server
    RATE_LIMITS.clear()


def client_for(sandbox: SandboxServer) -> TikTokClient:
    return TikTokClient(sandbox.url, APP_KEY, APP_SECRET, TOKEN, policy=HttpPolicy(rate_limit_qps=QPS))


def counts(sandbox: SandboxServer) -> dict:
    return requests.get(f"{sandbox.url}/_sandbox/counts", timeout=10).json()["data"]["paths"]


def test_two_threads_on_one_path_share_the_budget_and_another_path_runs_beside(sandbox: SandboxServer) -> None:
    clients = [client_for(sandbox) for _ in range(3)]  # as two runs and a third would build them
    cipher = clients[0].shop_cipher(SHOP_ID)
    for client in clients[1:]:
        client.shop_cipher(SHOP_ID)
    requests.delete(f"{sandbox.url}/_sandbox/counts", timeout=10)
    per_thread = 90
    elapsed: dict[str, float] = {}
    errors: list[BaseException] = []

    def hammer(name: str, client: TikTokClient, calls: int, call: object) -> None:
        started = time.monotonic()
        try:
            for _ in range(calls):
                call()  # type: ignore[operator]
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)
        elapsed[name] = time.monotonic() - started

    def search(client: TikTokClient) -> object:
        return lambda: client.call("POST", SEARCH, cipher=cipher, query={"page_size": 5}, body={}, idempotent=True)

    threads = [
        threading.Thread(target=hammer, args=("a", clients[0], per_thread, lambda: clients[0].warehouses(cipher))),
        threading.Thread(target=hammer, args=("b", clients[1], per_thread, lambda: clients[1].warehouses(cipher))),
        threading.Thread(target=hammer, args=("other", clients[2], 60, search(clients[2]))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    assert not errors, errors
    seen = counts(sandbox)
    for path, sent in ((WAREHOUSES, 2 * per_thread), (SEARCH, 60)):
        assert_paced(seen[path]["429"])
        assert seen[path]["calls"] == sent + seen[path]["429"]  # a refused call is sent again, once
    # one budget for both threads: 180 calls at under 50/s cannot take less than 3.6 s (179 gaps)
    assert min(elapsed["a"], elapsed["b"]) > 2 * per_thread / QPS - 0.3
    # and close to it: the budget is used, not wasted (pace 50 per 1.05 s, so 3.78 s, plus loopback
    # time: up to 3.93 s seen on a loaded machine); a budget left idle half the time would take 7 s
    assert max(elapsed["a"], elapsed["b"]) < 2 * per_thread / QPS * 1.3, elapsed
    # the other path did not wait for the busy one: 60 calls at its own 50/s take about 1.2 s, while
    # three threads taking turns on one budget would end its 60th call after 180 calls, 3.6 s; the
    # bound lies between, so one thread's slower loopback calls on a loaded machine do not decide it
    assert elapsed["other"] < 2 * 60 / QPS, elapsed


def test_a_429_slows_only_its_path_and_the_retry_succeeds(sandbox: SandboxServer) -> None:
    client = client_for(sandbox)
    cipher = client.shop_cipher(SHOP_ID)
    requests.post(f"{sandbox.url}/_sandbox/faults", json={"burst_429": 1}, timeout=10)
    started = time.monotonic()
    assert client.warehouses(cipher).items  # refused once, retried after Retry-After: 1
    assert time.monotonic() - started >= 1.0
    key = (client.name, f"127.0.0.1:{sandbox.port}", (APP_KEY, cipher, WAREHOUSES))
    other = (client.name, f"127.0.0.1:{sandbox.port}", (APP_KEY, cipher, SEARCH))
    client.call("POST", SEARCH, cipher=cipher, query={"page_size": 5}, body={}, idempotent=True)
    # half of the one call sent in that second is under the floor; the retry's success gave a step back
    assert RATE_LIMITS.rate(key) == MIN_QPS + QPS * RECOVER_STEP
    assert RATE_LIMITS.rate(other) == QPS
    for _ in range(20):  # clean calls give the slowed path its rate back, a step at a time
        client.warehouses(cipher)
    assert MIN_QPS < (RATE_LIMITS.rate(key) or 0) < QPS
    client.close()
    assert counts(sandbox)[WAREHOUSES]["429"] == 1


def two_shop_scenario() -> dict:
    """The demo scenario with a second shop under the same token."""
    data = resolve_source("demo")
    second = copy.deepcopy(data["shops"][0])
    second.update(id="7495000000000000002", name="Second shop", cipher="ROW_secondCipher", code="GBLC2")
    for i, warehouse in enumerate(second["warehouses"]):
        warehouse["id"] = f"WH-2-{i}"
    data["shops"].append(second)
    data["apps"][0]["tokens"][0]["shops"].append(second["id"])
    for key in ("orders", "packages", "products", "delivery_options"):
        data.pop(key, None)
    return data


def test_the_sandbox_judges_each_app_shop_and_api_apart() -> None:
    with SandboxServer(scenario=two_shop_scenario()) as server:
        requests.post(f"{server.url}/_sandbox/settings", json={"rate_limit_qps": 3}, timeout=10).raise_for_status()
        policy = HttpPolicy(max_attempts=1, rate_limit_qps=None)  # no pacing: the judge alone decides
        client = TikTokClient(server.url, APP_KEY, APP_SECRET, TOKEN, policy=policy)
        first, second = client.shop_cipher(SHOP_ID), client.shop_cipher("7495000000000000002")
        for _ in range(3):
            client.warehouses(first)
        with pytest.raises(TemporaryError) as refused:
            client.warehouses(first)
        assert refused.value.status == 429 and refused.value.code == 36009002
        for _ in range(3):  # the other shop's budget for the same API is untouched
            client.warehouses(second)
        client.call("POST", SEARCH, cipher=first, query={"page_size": 5}, body={}, idempotent=True)  # another API
        client.close()
        assert counts(server)[WAREHOUSES]["429"] == 1
