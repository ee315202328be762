"""Guard on core/http.py's retry policy: exponential backoff, capped at ``backoff_max``, jittered.

Without the cap a long outage would sleep 8, 16, 32 ... seconds between tries; without the jitter
every client that failed together retries together. The clock and the sleeps are injected (no
test waits), and the randomness is seeded so a run is reproducible.
"""

from __future__ import annotations

import random

import responses
from open_api_fakes import Clock
from responses.registries import OrderedRegistry

from erpsync.core.http import HttpClient, HttpPolicy

URL = "https://api.example.test/v1/things"


@responses.activate(registry=OrderedRegistry)
def test_backoff_doubles_up_to_the_cap_and_every_sleep_is_jittered() -> None:
    for _ in range(7):
        responses.get(URL, status=503)
    responses.get(URL, json={"ok": True})
    clock = Clock(1000.0)
    policy = HttpPolicy(max_attempts=8, max_wait=1000.0, backoff_initial=1.0, backoff_max=4.0, backoff_jitter=0.5)
    client = HttpClient("demo", policy, sleep=clock.sleep, clock=clock)
    random.seed(20250301)
    try:
        assert client.request("GET", URL).json() == {"ok": True}
    finally:
        client.close()
    base = [1.0, 2.0, 4.0, 4.0, 4.0, 4.0, 4.0]  # initial * 2**n, never above backoff_max
    assert len(clock.sleeps) == len(base)
    jitter = [slept - b for slept, b in zip(clock.sleeps, base, strict=True)]
    assert all(0.0 <= j <= policy.backoff_jitter for j in jitter), clock.sleeps
    assert max(clock.sleeps) <= policy.backoff_max + policy.backoff_jitter
    assert len({round(j, 9) for j in jitter}) == len(jitter), f"sleeps not jittered: {clock.sleeps}"
