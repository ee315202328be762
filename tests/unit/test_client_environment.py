"""The TikTok client looks the proxy and CA settings up once, and sends what requests would have sent."""

from __future__ import annotations

import pytest
import requests

from erpsync.connectors.tiktok.client import TikTokClient, settle_environment

URL = "https://open-api.test"
CALL = URL + "/fulfillment/202309/packages/1?shop_cipher=c"


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/bundle.pem")


@pytest.mark.usefixtures("environment")
@pytest.mark.parametrize("url", [URL, "http://127.0.0.1:8080"])
def test_a_settled_session_sends_what_the_environment_says(url: str) -> None:
    expected = requests.Session().merge_environment_settings(url + "/x", {}, None, None, None)
    session = requests.Session()
    settle_environment(session, url)
    assert not session.trust_env  # no lookup per call
    assert session.merge_environment_settings(url + "/x", {}, None, None, None) == expected
    assert expected["verify"] == "/etc/ssl/certs/bundle.pem"
    assert bool(expected["proxies"]) == (url == URL)  # NO_PROXY still spares the loopback host


@pytest.mark.usefixtures("environment")
def test_the_client_settles_its_session_and_leaves_one_already_settled_alone() -> None:
    client = TikTokClient(URL, "key", "secret", "token")
    assert not client.http.session.trust_env
    assert client.http.session.proxies["https"] == "http://proxy.example:3128"
    client.close()
    mine = requests.Session()
    mine.trust_env = False
    TikTokClient(URL, "key", "secret", "token", session=mine).close()
    assert mine.proxies == {} and mine.verify is True
