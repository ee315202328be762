"""One Get Authorized Shops answer shared by the shops of an app and token: once across threads,
for a short time, re-read once for a shop it does not list, never keyed by the token itself."""

from __future__ import annotations

import threading
import time

import pytest
import responses
from open_api_fakes import APP_KEY, BASE, SECRET, TOKEN, ok

from erpsync.connectors.tiktok.client import TikTokClient
from erpsync.connectors.tiktok.shop_directory import SHARE_SECONDS, AuthorisedShops, directory_key
from erpsync.core.errors import PermanentError
from erpsync.core.http import HttpPolicy
from erpsync.core.models import Records
from erpsync.core.rate_limit import RateLimits

SHOPS_URL = f"{BASE}/authorization/202309/shops"


def listed(*ids: str) -> dict:
    shops = [{"id": i, "name": f"Shop {i}", "region": "GB", "seller_type": "LOCAL", "cipher": f"c-{i}"} for i in ids]
    return ok({"shops": shops})


def client(directory: AuthorisedShops, token: str = TOKEN) -> TikTokClient:
    # a registry of its own: the shops' rate budgets are not what is tested here
    policy = HttpPolicy(max_attempts=1, rate_limit_qps=1000)
    return TikTokClient(BASE, APP_KEY, SECRET, token, policy=policy, shop_lists=directory, rate_limits=RateLimits())


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@responses.activate
def test_the_shops_of_one_app_and_token_read_the_list_once() -> None:
    responses.get(SHOPS_URL, json=listed("1", "2", "3"))
    directory = AuthorisedShops()
    assert [client(directory).shop_cipher(i) for i in ("1", "2", "3")] == ["c-1", "c-2", "c-3"]
    assert len(responses.calls) == 1


@responses.activate
def test_another_token_or_app_reads_its_own_list() -> None:
    responses.get(SHOPS_URL, json=listed("1"))
    directory = AuthorisedShops()
    client(directory).shop_cipher("1")
    client(directory, token="another-token").shop_cipher("1")
    assert len(responses.calls) == 2
    assert directory_key(BASE, APP_KEY, TOKEN) != directory_key(BASE, "other-app", TOKEN)


def test_the_key_holds_no_token() -> None:
    assert TOKEN not in repr(directory_key(BASE, APP_KEY, TOKEN))


@responses.activate
def test_an_answer_is_shared_for_a_short_time_only() -> None:
    responses.get(SHOPS_URL, json=listed("1"))
    clock = Clock()
    directory = AuthorisedShops(clock=clock)
    client(directory).shop_cipher("1")
    clock.now = SHARE_SECONDS - 1
    client(directory).shop_cipher("1")
    assert len(responses.calls) == 1
    clock.now = SHARE_SECONDS
    client(directory).shop_cipher("1")
    assert len(responses.calls) == 2


@responses.activate
def test_a_shop_missing_from_the_shared_answer_reads_the_list_once_more() -> None:
    responses.get(SHOPS_URL, json=listed("1"))
    responses.get(SHOPS_URL, json=listed("1", "2"))  # authorised since the first answer
    directory = AuthorisedShops()
    client(directory).shop_cipher("1")
    assert client(directory).shop_cipher("2") == "c-2"
    assert len(responses.calls) == 2
    assert client(directory).shop_cipher("1") == "c-1"  # the fresh answer is the one shared now
    assert len(responses.calls) == 2


@responses.activate
def test_a_shop_the_token_does_not_cover_is_an_error_after_one_more_read() -> None:
    responses.get(SHOPS_URL, json=listed("1"))
    directory = AuthorisedShops()
    client(directory).shop_cipher("1")
    with pytest.raises(PermanentError, match=r"shop 9 is not among the shops .*1 'Shop 1' \(GB\)"):
        client(directory).shop_cipher("9")
    assert len(responses.calls) == 2


def test_threads_wait_for_the_one_read_in_flight() -> None:
    calls = []

    def fetch() -> Records[dict]:
        calls.append(threading.current_thread().name)
        time.sleep(0.05)  # long enough for every other thread to arrive while it reads
        return Records(items=tuple({"id": str(i), "cipher": f"c-{i}"} for i in range(8)))

    directory = AuthorisedShops()
    key = directory_key(BASE, APP_KEY, TOKEN)
    found: dict[int, str] = {}

    def one(i: int) -> None:
        shop, _ = directory.find(key, str(i), fetch)
        assert shop is not None
        found[i] = shop["cipher"]

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and found == {i: f"c-{i}" for i in range(8)}


def test_a_failed_read_is_not_shared() -> None:
    attempts = []

    def fetch() -> Records[dict]:
        attempts.append(1)
        if len(attempts) == 1:
            raise PermanentError("the platform said no", connector="tiktok", operation="list authorised shops")
        return Records(items=({"id": "1", "cipher": "c-1"},))

    directory = AuthorisedShops()
    key = directory_key(BASE, APP_KEY, TOKEN)
    with pytest.raises(PermanentError):
        directory.find(key, "1", fetch)
    shop, _ = directory.find(key, "1", fetch)
    assert shop is not None and shop["cipher"] == "c-1" and len(attempts) == 2


@responses.activate
def test_a_client_built_alone_keeps_its_own_answer() -> None:
    responses.get(SHOPS_URL, json=listed("1"))
    policy = HttpPolicy(max_attempts=1, rate_limit_qps=1000)
    first = TikTokClient(BASE, APP_KEY, SECRET, TOKEN, policy=policy, rate_limits=RateLimits())
    second = TikTokClient(BASE, APP_KEY, SECRET, TOKEN, policy=policy, rate_limits=RateLimits())
    first.shop_cipher("1")
    second.shop_cipher("1")
    assert len(responses.calls) == 2
