"""Call deadlines and shop time budgets without sockets: the config options and the messages.

The wall-clock behaviour against a trickling server is in tests/integration/test_deadlines.py.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time

import pytest
import responses

from erpsync.core.config import DEFAULT_SHOP_TIME_BUDGET_SECONDS
from erpsync.core.errors import ConfigError, TemporaryError
from erpsync.core.http import HttpClient, HttpPolicy, TimeBudget, current_time_budget, time_budget
from erpsync.core.rate_limit import RateLimits
from erpsync.core.time_budget import endable_budget
from erpsync.starter import STARTER_CONFIG

URL = "https://api.example.test/items"


@pytest.fixture(autouse=True)
def env(monkeypatch):
    for k, v in {"TTS_APP_KEY": "key-123", "TTS_APP_SECRET": "secret-abcdef", "TTS_SHOP_ID": "1"}.items():
        monkeypatch.setenv(k, v)


def test_the_starter_config_documents_both_budget_options(load, tmp_path):
    text = STARTER_CONFIG.replace("# shop_time_budget_seconds = 1800", "shop_time_budget_seconds = 900")
    text = text.replace("# time_budget_seconds = 600 ", "time_budget_seconds = 600 ")
    shown = "\nshop_time_budget_seconds = 900" in text and "\ntime_budget_seconds = 600" in text
    assert shown, "the starter config no longer shows both options"
    text += (
        text[text.index("\n[[shops]]") : text.index("[policy]")]
        .replace('"my-shop"', '"other"', 1)
        .replace("time_budget_seconds = 600 ", "# no own budget ")
    )
    path = tmp_path / "erpsync.toml"
    path.write_text(text, encoding="utf-8")
    mine, other = load(path).shops
    assert (mine.time_budget_seconds, other.time_budget_seconds) == (600, 900)


def test_a_shop_has_a_budget_by_default(load, tmp_path):
    path = tmp_path / "erpsync.toml"
    path.write_text(STARTER_CONFIG, encoding="utf-8")
    assert load(path).shops[0].time_budget_seconds == DEFAULT_SHOP_TIME_BUDGET_SECONDS


@pytest.mark.parametrize("value", ["0", "-5", '"soon"'])
def test_a_bad_budget_is_a_config_error_naming_the_key(load, tmp_path, value):
    path = tmp_path / "erpsync.toml"
    path.write_text(STARTER_CONFIG.replace("# shop_time_budget_seconds = 1800", f"shop_time_budget_seconds = {value}"))
    with pytest.raises(ConfigError, match="shop_time_budget_seconds"):
        load(path)
    path.write_text(STARTER_CONFIG.replace("# time_budget_seconds = 600 ", f"time_budget_seconds = {value} "))
    with pytest.raises(ConfigError, match=r"shops\[0\]\.time_budget_seconds"):
        load(path)


def test_a_policy_without_a_deadline_is_refused():
    with pytest.raises(ValueError, match="deadline"):
        HttpPolicy(deadline=0)


@responses.activate
def test_a_long_retry_after_is_reported_not_silently_dropped():
    responses.get(URL, status=429, headers={"Retry-After": "600"}, body="slow down")
    slept: list[float] = []
    http = HttpClient("api", HttpPolicy(max_wait=120), sleep=slept.append)
    with pytest.raises(TemporaryError) as info:
        http.request("GET", URL)
    assert slept == [] and len(responses.calls) == 1
    assert info.value.retry_after == 600
    assert "the server asked to retry after 600 s (Retry-After), longer than max_wait (120 s" in str(info.value)


@responses.activate
def test_a_short_retry_after_is_still_honoured_and_the_body_read():
    responses.get(URL, status=429, headers={"Retry-After": "2"})
    responses.get(URL, json={"items": [1, 2]})
    slept: list[float] = []
    http = HttpClient("api", HttpPolicy(), sleep=slept.append)
    assert http.request("GET", URL).json() == {"items": [1, 2]}
    assert slept == [2.0]


@responses.activate
def test_a_spent_budget_sends_nothing():
    responses.get(URL, json={})
    with time_budget(TimeBudget(0.001, "the test's budget")) as budget:
        assert current_time_budget() is budget
        while not budget.expired:
            pass
        with pytest.raises(TemporaryError, match="not sent: the test's budget has passed"):
            HttpClient("api").request("POST", URL, json={"a": 1})
    assert current_time_budget() is None
    assert len(responses.calls) == 0


def test_nested_budgets_keep_the_tighter():
    outer = TimeBudget(1.0, "outer")
    with time_budget(outer), time_budget(TimeBudget(100.0, "inner")):
        assert current_time_budget() is outer


@responses.activate
def test_an_endable_budget_ends_with_the_shops_or_when_ended():
    """A read started on a thread of its own runs under it: within the shop's budget, and stopped
    at its next call once ended (the read is no longer wanted)."""
    responses.get(URL, json={})
    shop = TimeBudget(60.0, "the shop's budget")
    with time_budget(shop):
        own = endable_budget()
    assert (own.ends_at, own.label) == (shop.ends_at, "the shop's budget")
    assert endable_budget().remaining() == float("inf")  # no budget around it: none of its own
    with time_budget(own):
        assert current_time_budget() is own
        HttpClient("api").request("GET", URL)
        own.end("a read no longer wanted")
        with pytest.raises(TemporaryError, match="not sent: a read no longer wanted has passed"):
            HttpClient("api").request("GET", URL)
    assert len(responses.calls) == 1 and not shop.expired


def test_an_endable_budget_is_the_one_in_force_inside_the_shops_budget():
    """It ends when the shop's does: the tie goes to it, or ending it would stop nothing (every
    run gives each shop a budget, so every read ahead runs inside one)."""
    with time_budget(TimeBudget(600.0, "shop acme's time budget (600 s)")):
        own = endable_budget()
        with time_budget(own):
            assert current_time_budget() is own


@responses.activate
def test_ending_an_endable_budget_inside_the_shops_budget_stops_its_next_call():
    responses.get(URL, json={})
    with time_budget(TimeBudget(600.0, "shop acme's time budget (600 s)")):
        own = endable_budget()  # what a shop's read ahead runs under
        with time_budget(own):
            own.end("a read no longer wanted")  # what dropping the read ahead does
            with pytest.raises(TemporaryError, match="not sent: a read no longer wanted has passed"):
                HttpClient("api").request("GET", URL)
    assert len(responses.calls) == 0


@responses.activate
def test_ending_a_budget_cuts_the_wait_before_a_retry_short_and_sends_no_retry():
    """A call follows its budget as it is now, not as it was when the call started: the server
    is failing, the call waits before its second attempt, and the budget is ended meanwhile."""
    responses.get(URL, status=503)
    budget = endable_budget()
    policy = HttpPolicy(max_attempts=2, backoff_initial=5.0, backoff_jitter=0.0)
    threading.Timer(0.2, budget.end, args=("a read no longer wanted",)).start()
    started = time.monotonic()
    with time_budget(budget), pytest.raises(TemporaryError, match="not sent: a read no longer wanted has passed"):
        HttpClient("api", policy).request("GET", URL)
    assert time.monotonic() - started < 2.0 and len(responses.calls) == 1


@responses.activate
def test_a_call_whose_budget_has_ended_takes_no_rate_limit_slot():
    """Its slot would delay the calls still wanted on the same API."""
    responses.get(URL, json={})
    limits = RateLimits(clock=lambda: 0.0, sleep=lambda seconds: None)
    budget = endable_budget()
    budget.end("a read no longer wanted")
    with time_budget(budget), pytest.raises(TemporaryError, match="not sent"):
        HttpClient("api", HttpPolicy(rate_limit_qps=5.0), rate_limits=limits).request("GET", URL)
    assert limits.rate(("api", "api.example.test", "/items")) is None and len(responses.calls) == 0


@responses.activate
def test_a_call_dropped_while_it_waits_for_its_rate_limit_slot_stops_waiting_and_gives_the_slot_back():
    """A read ahead queued behind its API's pace is dropped (a write on that API, the shop ending):
    dropping it returns at once, not after the pace's wait, and the next call on that API does not
    wait behind the slot of a call that was never sent."""
    responses.get(URL, json={})
    client = HttpClient("api", HttpPolicy(rate_limit_qps=0.5), rate_limits=RateLimits())
    client.request("GET", URL)  # the bucket's one token: the next call's slot is 2 s away
    budget = endable_budget()
    refused: list[TemporaryError] = []

    def read_ahead() -> None:
        with time_budget(budget):
            try:
                client.request("GET", URL)
            except TemporaryError as exc:
                refused.append(exc)

    thread = threading.Thread(target=contextvars.copy_context().run, args=(read_ahead,))
    thread.start()
    time.sleep(0.1)  # queued for its slot by now
    dropped_at = time.monotonic()
    budget.end("a read no longer wanted")  # then wait for it, as SharedReads.forget() does
    thread.join()
    drop_took = time.monotonic() - dropped_at
    write_started = time.monotonic()
    client.request("GET", URL)  # the write that dropped it
    write_waited = time.monotonic() - write_started
    assert "not sent: a read no longer wanted has passed" in str(refused[0]) and len(responses.calls) == 2
    assert drop_took < 0.5, f"the drop waited {drop_took:.2f} s for the slot of a call not sent"
    assert write_waited > 1.0, "the write went out sooner than the pace allows after the first call"
    assert write_waited < 2.3, f"the write waited {write_waited:.2f} s, behind the dropped call's slot too"


@pytest.mark.parametrize("limit", ["budget", "deadline"])
@responses.activate
def test_a_call_whose_rate_limit_slot_falls_past_its_time_gives_the_slot_back_at_once(limit):
    """A shop with 3 s of its budget left (or a call with 3 s of its deadline) and its API's next
    slot 4 s away: waiting for it would end in "not sent" anyway. The call is refused at once,
    not retried (a retry would queue again), and the slot goes back to the calls still wanted."""
    responses.get(URL, json={})
    waited: list[float] = []
    backoffs: list[float] = []
    limits = RateLimits(clock=lambda: 0.0, sleep=waited.append)
    policy = HttpPolicy(rate_limit_qps=0.25, deadline=3.0 if limit == "deadline" else 300.0)
    client = HttpClient("api", policy, rate_limits=limits, sleep=backoffs.append)
    client.request("GET", URL)  # the key's one token: the next slot is 4 s away
    budget = TimeBudget(3.0, "shop acme's time budget (3 s)") if limit == "budget" else None
    refused = r"not sent: its rate-limit slot is 4\.0 s away, past "
    with (
        time_budget(budget) if budget else contextlib.nullcontext(),
        pytest.raises(TemporaryError, match=refused) as info,
    ):
        client.request("GET", URL)
    assert ("shop acme's time budget" if budget else "the call deadline (3 s)") in str(info.value)
    assert waited == [] and backoffs == [] and len(responses.calls) == 1
    HttpClient("api", HttpPolicy(rate_limit_qps=0.25), rate_limits=limits).request("GET", URL)
    assert waited == [4.0], "the next call waited behind the slot of the call not sent"


@responses.activate
def test_a_call_does_not_sit_out_a_rate_limit_queue_past_its_shops_budget():
    """On the real clock: a shop with 0.5 s left does not wait 4 s for a slot, then fail."""
    responses.get(URL, json={})
    client = HttpClient("api", HttpPolicy(rate_limit_qps=0.25), rate_limits=RateLimits())
    client.request("GET", URL)  # the key's one token: the next slot is 4 s away
    started = time.monotonic()
    with (
        time_budget(TimeBudget(0.5, "shop acme's time budget (0.5 s)")),
        pytest.raises(TemporaryError, match="not sent"),
    ):
        client.request("GET", URL)
    took = time.monotonic() - started
    assert took < 1.5, f"the call waited {took:.1f} s for a slot its budget had no time for (budget 0.5 s)"


@responses.activate
def test_ending_a_budget_on_a_clock_of_its_own_stops_the_retries_not_just_their_backoff():
    """A budget may run on a clock of its own (here the wall clock): ended during the first
    attempt, it stops the call as a budget on the monotonic clock does, instead of letting the
    remaining attempts go out back to back with no backoff."""
    budget = TimeBudget(600.0, "the test's budget", clock=time.time)
    ending_while_answered(budget, 503)
    policy = HttpPolicy(max_attempts=5, backoff_initial=1.0, backoff_jitter=0.0)
    with time_budget(budget), pytest.raises(TemporaryError, match="HTTP 503"):
        HttpClient("api", policy).request("GET", URL)
    assert budget.expired and len(responses.calls) == 1


@responses.activate
def test_a_budget_on_a_frozen_test_clock_with_time_left_lets_the_call_go_out():
    responses.get(URL, json={})
    budget = TimeBudget(60.0, "the test's budget", clock=lambda: 1000.0)
    with time_budget(budget):
        assert HttpClient("api").request("GET", URL).json() == {}


def test_nested_budgets_on_different_clocks_keep_the_one_with_less_time_left():
    tight = TimeBudget(1.0, "tight", clock=lambda: 1e9)  # ends far past the other on its own clock
    loose = TimeBudget(100.0, "loose")
    for outer, inner in ((tight, loose), (loose, tight)):
        with time_budget(outer), time_budget(inner):
            assert current_time_budget() is tight


@responses.activate
def test_a_call_under_a_live_budget_backs_off_and_retries_as_before():
    responses.get(URL, status=503)
    responses.get(URL, status=503)
    responses.get(URL, json={"ok": 1})
    policy = HttpPolicy(max_attempts=3, backoff_initial=0.3, backoff_jitter=0.0)
    started = time.monotonic()
    with time_budget(TimeBudget(60, "the shop's budget")), time_budget(endable_budget()):
        assert HttpClient("api", policy).request("GET", URL).json() == {"ok": 1}
    assert 0.85 < time.monotonic() - started < 1.5  # 0.3 s, then 0.6 s


def ending_while_answered(budget: TimeBudget, status: int) -> None:
    """The server answers ``status`` to every call, and the budget is ended while it answers."""

    def answer(request):
        budget.end("a read no longer wanted")
        return status, {}, '{"items": [1]}'

    responses.add_callback(responses.GET, URL, callback=answer)


@responses.activate
def test_an_answer_on_its_way_when_the_budget_ends_is_read_whole():
    """Ending the budget waits for the call in flight: its answer is read, not cut off (a call
    cut off would count as a failed one)."""
    budget = endable_budget()
    ending_while_answered(budget, 200)
    with time_budget(budget):
        assert HttpClient("api", HttpPolicy(max_attempts=3)).request("GET", URL).json() == {"items": [1]}


@responses.activate
def test_a_call_that_fails_after_its_budget_ended_is_not_sent_again():
    budget = endable_budget()
    ending_while_answered(budget, 503)
    slept: list[float] = []
    with time_budget(budget), pytest.raises(TemporaryError, match="HTTP 503"):
        HttpClient("api", HttpPolicy(max_attempts=3), sleep=slept.append).request("GET", URL)
    assert len(responses.calls) == 1 and slept == []
