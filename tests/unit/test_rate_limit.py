"""core/rate_limit.py: one pacer per key shared by every client, slowed by refusals, recovering on clean calls."""

from __future__ import annotations

import threading
import time

import pytest
import responses
from open_api_fakes import APP_KEY, BASE, CIPHER, SECRET, TOKEN, fail, ok
from open_api_fakes import Clock as FakeClock
from responses.registries import OrderedRegistry

from erpsync.connectors.tiktok.client import RATE_WINDOW_GUARD, TikTokClient, rate_guard
from erpsync.core.http import HttpClient, HttpPolicy
from erpsync.core.rate_limit import MIN_QPS, RECOVER_STEP, RateLimits

URL = "https://api.example.test/v1/things"
WAREHOUSES = f"{BASE}/logistics/202309/warehouses"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1000.0)


@pytest.fixture
def limits(clock: FakeClock) -> RateLimits:
    return RateLimits(clock=clock, sleep=clock.sleep)


@pytest.mark.parametrize(
    ("qps", "pace"),
    [(45, 45), (47, 47), (50 / 1.05, 50 / 1.05), (48, 50 / 1.05), (50, 50 / 1.05), (100, 100 / 1.05)],
)
def test_the_tiktok_pace_never_lands_50_calls_in_a_window_of_1_05_s(qps: float, pace: float) -> None:
    """Up to the platform's 50/s the pace is capped at 50 per 1.05 s; below the cap it is as configured."""
    assert qps / (1 + rate_guard(qps)) == pytest.approx(pace)


def test_a_key_is_paced_at_its_rate_per_window_and_guard(limits: RateLimits, clock: FakeClock) -> None:
    for _ in range(11):
        limits.acquire("k", 10, guard=0.1)
    # 10 calls per 1.1 s: the 11th starts 1.1 s after the first, never inside the first's window
    assert clock.now - 1000.0 == pytest.approx(1.1)
    assert limits.acquire("other", 10, guard=0.1) == 0.0  # another key has its own bucket


def test_two_clients_of_one_registry_share_a_bucket(limits: RateLimits, clock: FakeClock) -> None:
    one = HttpClient("api", HttpPolicy(rate_limit_qps=4), rate_limits=limits, sleep=clock.sleep, clock=clock)
    two = HttpClient("api", HttpPolicy(rate_limit_qps=4), rate_limits=limits, sleep=clock.sleep, clock=clock)
    with responses.RequestsMock() as mock:
        mock.get(URL, json={})
        for _ in range(2):
            one.request("GET", URL)
            two.request("GET", URL)
    assert clock.sleeps == [pytest.approx(0.25)] * 3  # four calls at 4/s, whichever client sent them


def test_clients_on_the_real_clock_share_the_process_registry() -> None:
    one, two = HttpClient("api", HttpPolicy(rate_limit_qps=5)), HttpClient("api", HttpPolicy(rate_limit_qps=5))
    assert one.limiter is two.limiter is not None
    assert HttpClient("api", HttpPolicy()).limiter is None


def test_the_stricter_configuration_of_a_key_wins(limits: RateLimits, clock: FakeClock) -> None:
    limits.acquire("k", 10)
    limits.acquire("k", 2)
    assert limits.rate("k") == 2
    limits.acquire("k", 50)  # a looser client does not raise it
    assert limits.rate("k") == 2


def busy(limits: RateLimits, key: str, qps: float, calls: int) -> None:
    """``calls`` calls on ``key`` at ``qps``, the last one just now."""
    for _ in range(calls):
        limits.acquire(key, qps)


def test_a_refusal_halves_only_that_key_and_counts_once_per_window(limits: RateLimits, clock: FakeClock) -> None:
    busy(limits, "busy", 40, 40)  # a full second's worth
    limits.acquire("calm", 40)
    limits.refused("busy")
    limits.refused("busy")  # a second answer of the same full window: the same event
    assert limits.rate("busy") == 20 and limits.rate("calm") == 40
    waited = [limits.acquire("busy", 40) for _ in range(3)]
    assert waited[1:] == [pytest.approx(0.05), pytest.approx(0.05)]  # paced at the slowed rate
    assert limits.acquire("calm", 40) == 0.0
    clock.now += 1.0
    busy(limits, "busy", 40, 20)
    limits.refused("busy")  # a window later: a new event
    assert limits.rate("busy") == 10


def test_a_refusal_slows_to_half_of_what_was_really_sent(limits: RateLimits, clock: FakeClock) -> None:
    busy(limits, "k", 1000, 60)  # configured far above the server's limit: 60 calls in 0.06 s
    limits.refused("k")
    assert limits.rate("k") == 30  # not 500: one refusal is enough to get under the limit


@pytest.mark.parametrize(("qps", "burst"), [(3.0, 8), (5.0, 8), (45.0, 8), (3.0, 1)])
def test_a_refusal_never_lets_the_next_call_start_sooner(qps: float, burst: int) -> None:
    """The slowed rate's window is shorter: alone, it would forget the calls just made at full rate."""

    def next_start(refuse: bool) -> float:
        clock = FakeClock(1000.0)
        limits = RateLimits(clock=clock, sleep=clock.sleep)
        for _ in range(int(qps)):  # a full window's worth, back to back as the burst allows
            limits.acquire("k", qps, burst=burst)
        clock.now += 0.05
        if refuse:
            limits.refused("k")
        return clock.now + limits.acquire("k", qps, burst=burst)

    unrefused = next_start(False)
    assert next_start(True) >= unrefused - 1e-9
    assert unrefused >= 1000.0 + 1.0 - 1e-9  # never more than qps calls in one second


def test_refusals_never_slow_a_key_below_the_floor(limits: RateLimits, clock: FakeClock) -> None:
    limits.acquire("k", 50)
    for _ in range(20):
        clock.now += 2.0
        limits.refused("k")
    assert limits.rate("k") == MIN_QPS
    limits.acquire("tiny", 0.5)
    clock.now += 2.0
    limits.refused("tiny")
    assert limits.rate("tiny") == 0.5  # a floor above the configured rate does not apply


def test_clean_calls_bring_the_rate_back_step_by_step_to_the_configured_one(limits: RateLimits) -> None:
    busy(limits, "k", 40, 40)
    limits.refused("k")
    assert limits.rate("k") == 20
    for _ in range(19):
        limits.succeeded("k")
    assert limits.rate("k") == 20  # a run of a second's worth of calls (20) is not complete yet
    limits.succeeded("k")
    assert limits.rate("k") == 24  # one step: a tenth of the configured rate
    for _ in range(200):
        limits.succeeded("k")
    assert limits.rate("k") == 40  # and never above it


def test_a_refusal_breaks_the_clean_run(limits: RateLimits, clock: FakeClock) -> None:
    busy(limits, "k", 10, 10)
    limits.refused("k")
    for _ in range(4):
        limits.succeeded("k")
    limits.refused("k")  # same window: no second halving, but the run starts over
    for _ in range(4):
        limits.succeeded("k")
    assert limits.rate("k") == 5


def test_the_last_slot_given_back_is_as_if_never_taken(limits: RateLimits, clock: FakeClock) -> None:
    """A call dropped while it waits for its slot (its budget ended) gives the slot back: the next
    call on the key starts when the dropped one would have, not a slot later."""
    limits.acquire("k", 2.0)  # the one token: the next slot is 0.5 s away
    dropped = limits.reserve("k", 2.0)
    limits.give_back(dropped)
    assert limits.reserve("k", 2.0).wait == dropped.wait == 0.5


def test_a_slot_given_back_with_calls_queued_behind_it_never_bunches_them(limits: RateLimits, clock: FakeClock) -> None:
    """The calls queued behind a dropped slot keep their places, and a newcomer queues behind the
    last of them at the pace: its token handed over would start two calls at once."""
    limits.acquire("k", 2.0)
    dropped, queued = limits.reserve("k", 2.0), limits.reserve("k", 2.0)
    limits.give_back(dropped)
    assert (queued.wait, limits.reserve("k", 2.0).wait) == (1.0, 1.5)


def test_a_slot_given_back_after_the_keys_were_cleared_frees_nothing(limits: RateLimits) -> None:
    dropped = limits.reserve("k", 2.0)
    limits.clear()
    limits.give_back(dropped)
    assert limits.rate("k") is None


def test_threads_share_one_key_without_exceeding_it() -> None:
    limits = RateLimits()  # the real clock and sleep, at a tiny rate
    starts: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(5):
            limits.acquire("k", 20, guard=0.05)
            with lock:
                starts.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    starts.sort()
    assert len(starts) == 20
    # 20 calls at 20 per 1.05 s: 19 gaps of 52.5 ms, each slot reserved by one thread only;
    # sleeping may overshoot, never undershoot
    assert starts[-1] - starts[0] >= 19 * 1.05 / 20 - 0.01


@responses.activate(registry=OrderedRegistry)
def test_an_http_429_slows_the_key_of_that_path_only(clock: FakeClock, limits: RateLimits) -> None:
    responses.get(URL, status=429, headers={"Retry-After": "1"})
    responses.get(URL, json={})
    responses.get(URL + "/other", json={})
    client = HttpClient("api", HttpPolicy(rate_limit_qps=10), rate_limits=limits, sleep=clock.sleep, clock=clock)
    client.request("GET", URL)
    client.request("GET", URL + "/other")
    # half of the one call sent in that second is under the floor; the retry's success then gave one step back
    assert limits.rate(("api", "api.example.test", "/v1/things")) == MIN_QPS + 10 * RECOVER_STEP
    assert limits.rate(("api", "api.example.test", "/v1/things/other")) == 10
    assert 1.0 in clock.sleeps  # Retry-After honoured for the retried call


def tiktok(clock: FakeClock, limits: RateLimits, app_key: str = APP_KEY) -> TikTokClient:
    return TikTokClient(
        BASE,
        app_key,
        SECRET,
        TOKEN,
        policy=HttpPolicy(max_attempts=3, rate_limit_qps=50),
        clock=clock,
        sleep=clock.sleep,
        monotonic=clock,
        rate_limits=limits,
    )


def tiktok_key(cipher: str, app_key: str = APP_KEY, path: str = "/logistics/202309/warehouses") -> tuple:
    return ("tiktok", "open-api.test", (app_key, cipher, path))


@responses.activate(registry=OrderedRegistry)
def test_tiktok_rate_code_with_http_200_slows_that_app_shop_and_api(clock: FakeClock, limits: RateLimits) -> None:
    responses.get(WAREHOUSES, json=fail(36009002, "too many"))
    responses.get(WAREHOUSES, json=ok({"warehouses": []}))
    responses.get(WAREHOUSES, json=ok({"warehouses": []}))
    tiktok(clock, limits).warehouses(CIPHER)
    tiktok(clock, limits).warehouses("other-shop")
    assert limits.rate(tiktok_key(CIPHER)) == MIN_QPS + 50 * RECOVER_STEP  # the floor, then the retry's step
    assert limits.rate(tiktok_key("other-shop")) == 50


@responses.activate
def test_tiktok_clients_of_one_app_and_shop_share_a_bucket(clock: FakeClock, limits: RateLimits) -> None:
    responses.get(WAREHOUSES, json=ok({"warehouses": []}))
    first, second, other_app = tiktok(clock, limits), tiktok(clock, limits), tiktok(clock, limits, "app-two")
    first.warehouses(CIPHER)
    second.warehouses(CIPHER)
    assert clock.sleeps == [pytest.approx((1 + RATE_WINDOW_GUARD) / 50)]
    other_app.warehouses(CIPHER)  # another app's budget for the same shop is its own
    first.warehouses("other-shop")  # as is another shop's
    assert len(clock.sleeps) == 1
