"""Bursts within the window against the sandbox's judge: an idle key starts a burst of calls at
once, then keeps its pace, and no second of its own sees more than the limit: the sandbox refuses
at most one call, a late thread on a loaded machine (``pacing.py``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import requests
from pacing import assert_paced

from erpsync.connectors.tiktok.client import RATE_BURST, TikTokClient
from erpsync.core.http import HttpPolicy
from erpsync.core.rate_limit import RateLimits
from erpsync.sandbox import SandboxServer

pytestmark = pytest.mark.integration

APP_KEY, APP_SECRET, TOKEN, SHOP_ID = "demo-app-key", "demo-app-secret", "demo-access-token", "7495000000000000001"
WAREHOUSES = "/logistics/202309/warehouses"
QPS = 50  # the platform's own figure, the value most likely to draw 429s


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(scenario="demo") as server:
        yield server


def test_eight_threads_bursting_on_one_path_keep_to_the_limit(sandbox: SandboxServer) -> None:
    policy = HttpPolicy(rate_limit_qps=QPS, rate_limit_burst=RATE_BURST)
    client = TikTokClient(sandbox.url, APP_KEY, APP_SECRET, TOKEN, policy=policy, rate_limits=RateLimits())
    cipher = client.shop_cipher(SHOP_ID)
    time.sleep(1.1)  # the key idle for a second: its burst is there again
    requests.delete(f"{sandbox.url}/_sandbox/counts", timeout=10)
    per_thread, errors, starts = 20, [], []
    lock = threading.Lock()

    def hammer() -> None:
        try:
            for _ in range(per_thread):
                client.warehouses(cipher)
                with lock:
                    starts.append(time.monotonic())
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    started = time.monotonic()
    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client.close()
    assert not errors, errors
    seen = requests.get(f"{sandbox.url}/_sandbox/counts", timeout=10).json()["data"]["paths"][WAREHOUSES]
    assert_paced(seen["429"])
    assert seen["calls"] == 160 + seen["429"]  # a refused call is sent again, once
    ends = sorted(t - started for t in starts)
    # a burst then an even pace: never faster than 50 per 1.05 s once the burst is spent
    assert ends[-1] >= (160 - RATE_BURST) * 1.05 / QPS - 0.05
