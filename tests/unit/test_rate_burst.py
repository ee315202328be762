"""core/rate_limit.py with a burst: an idle key starts that many calls at once, and the log of
recent starts keeps every window of ``1 s + guard`` to the rate, bursts included."""

from __future__ import annotations

import pytest
from open_api_fakes import Clock as FakeClock

from erpsync.core.rate_limit import RateLimits


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1000.0)


@pytest.fixture
def limits(clock: FakeClock) -> RateLimits:
    return RateLimits(clock=clock, sleep=clock.sleep)


def starts(limits: RateLimits, clock: FakeClock, n: int, *, qps: float, burst: int, guard: float) -> list[float]:
    out = []
    for _ in range(n):
        limits.acquire("k", qps, burst=burst, guard=guard)
        out.append(clock.now - 1000.0)
    return out


def most_in_any_window(times: list[float], window: float) -> int:
    return max(sum(1 for t in times if s <= t < s + window - 1e-9) for s in times)


def test_a_few_calls_on_an_idle_key_do_not_wait(limits: RateLimits, clock: FakeClock) -> None:
    assert starts(limits, clock, 3, qps=45, burst=50, guard=0.0) == [0.0, 0.0, 0.0]


def test_a_burst_never_adds_to_a_full_window(limits: RateLimits, clock: FakeClock) -> None:
    times = starts(limits, clock, 160, qps=50, burst=50, guard=0.05)
    assert times[:50] == [0.0] * 50  # a whole window at once
    assert times[50] == pytest.approx(1.05)  # the 51st once the first has left the window
    assert most_in_any_window(times, 1.05) == 50
    # a key kept busy is paced evenly from there: the burst comes back only as the key idles
    assert times[51] - times[50] == pytest.approx(1.05 / 50)
    assert times[-1] == pytest.approx(1.05 + 109 * 1.05 / 50)


def test_without_a_burst_the_calls_are_spaced_evenly(limits: RateLimits, clock: FakeClock) -> None:
    times = starts(limits, clock, 11, qps=10, burst=1, guard=0.1)
    assert times == pytest.approx([i * 0.11 for i in range(11)])


def test_a_slowed_key_keeps_its_window_and_its_new_pace(limits: RateLimits, clock: FakeClock) -> None:
    starts(limits, clock, 40, qps=40, burst=40, guard=0.0)  # a full window at once
    limits.refused("k")  # 40 sent in the last second: slowed to 20
    assert limits.rate("k") == 20
    times = starts(limits, clock, 3, qps=40, burst=40, guard=0.0)
    # not before the window of the 40 has room for 20 again, then at the slowed pace
    assert times[0] == pytest.approx(1.0)
    assert times[1] - times[0] == pytest.approx(0.05) and times[2] - times[1] == pytest.approx(0.05)
