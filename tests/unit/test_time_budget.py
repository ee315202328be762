"""Call deadlines and shop time budgets without sockets: the config options and the messages.

The wall-clock behaviour against a trickling server is in tests/integration/test_deadlines.py.
"""

from __future__ import annotations

import pytest
import responses

from erpsync.core.config import DEFAULT_SHOP_TIME_BUDGET_SECONDS
from erpsync.core.errors import ConfigError, TemporaryError
from erpsync.core.http import HttpClient, HttpPolicy, TimeBudget, current_time_budget, time_budget
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
