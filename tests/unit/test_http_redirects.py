"""core/http.py: a redirect is never followed, since it would resend the request's credentials; a 304 is unexpected."""

from __future__ import annotations

import pytest
import responses
from open_api_fakes import APP_KEY, BASE, SECRET, TOKEN, Clock

from erpsync.connectors.tiktok.client import TikTokClient
from erpsync.core.errors import PermanentError
from erpsync.core.http import HttpClient, HttpPolicy
from erpsync.core.rate_limit import RateLimits

URL = "https://api.example.test/v1/things"
ELSEWHERE = "https://elsewhere.example/landing?access_token=LEAKED-TOKEN-1"


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("method", ["GET", "POST"])
@responses.activate
def test_a_redirect_is_a_permanent_error_naming_the_status_and_the_host(status: int, method: str) -> None:
    responses.add(method, URL, status=status, headers={"Location": ELSEWHERE})
    responses.add(method, ELSEWHERE, json={"ok": True})
    client = HttpClient("demo", HttpPolicy(max_attempts=3), secrets=["tok-SECRET-123456"], sleep=lambda _: None)
    with pytest.raises(PermanentError) as info:
        client.request(method, URL, headers={"X-Api-Token": "tok-SECRET-123456"})
    text = str(info.value)
    assert type(info.value) is PermanentError and info.value.status == status  # not retried, not "unknown"
    assert f"HTTP {status}" in text and "elsewhere.example" in text and "not followed" in text
    assert "LEAKED-TOKEN-1" not in text and "tok-SECRET" not in text and "/landing" not in text
    assert [c.request.url for c in responses.calls] == [URL]


@responses.activate
def test_a_relative_redirect_names_the_same_host() -> None:
    responses.get(URL, status=302, headers={"Location": "/v2/things"})
    with pytest.raises(PermanentError, match=r"HTTP 302 .*redirected to api\.example\.test"):
        HttpClient("demo", HttpPolicy(), sleep=lambda _: None).request("GET", URL)
    assert len(responses.calls) == 1


@responses.activate
def test_the_tiktok_access_token_never_follows_a_redirect_to_another_host() -> None:
    """``requests`` drops only ``Authorization`` on a cross-host redirect, not ``x-tts-access-token``."""
    path = "/authorization/202309/shops"
    responses.get(BASE + path, status=302, headers={"Location": ELSEWHERE})
    responses.get(ELSEWHERE, json={"code": 0, "data": {}})
    clock = Clock()
    client = TikTokClient(
        BASE, APP_KEY, SECRET, TOKEN, policy=HttpPolicy(), sleep=clock.sleep, monotonic=clock, rate_limits=RateLimits()
    )
    with pytest.raises(PermanentError, match="HTTP 302") as info:
        client.call("GET", path)
    assert "elsewhere.example" in str(info.value) and "not an Open API envelope" not in str(info.value)
    assert [c.request.url.split("?")[0] for c in responses.calls] == [BASE + path]


@pytest.mark.parametrize("method", ["GET", "POST"])
@responses.activate
def test_a_304_is_an_unexpected_answer_not_a_redirect(method: str) -> None:
    """No request erpsync makes is conditional, so "not modified" answers nothing it asked: not a
    success, and asking again would get the same answer."""
    responses.add(method, URL, status=304)
    client = HttpClient("demo", HttpPolicy(max_attempts=3), sleep=lambda _: None)
    with pytest.raises(PermanentError) as info:
        client.request(method, URL)
    text = str(info.value)
    assert type(info.value) is PermanentError and info.value.status == 304
    assert "unexpected HTTP 304 Not Modified" in text and "no conditional request was sent" in text
    assert "redirect" not in text
    assert len(responses.calls) == 1
