"""The status page through werkzeug's test client over a real SQLite store: pages, filters,
paging, login, CSRF, and the four actions with what they write."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from ui_store import MARKUP, NOW, drift, filled
from werkzeug.test import Client, TestResponse

from erpsync.core.store import Store
from erpsync.ui.app import StatusApp
from erpsync.ui.auth import COOKIE
from erpsync.ui.queries import Queries

TOKEN = "s3cret-token-for-tests"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with filled(tmp_path) as s:
        yield s


def app(store: Store, token: str = TOKEN, lang: str = "en") -> StatusApp:
    queries = Queries(store, configured=["fresh"], aspects=lambda shop: ["warehouse_address", "pickup"])
    return StatusApp(queries, token=token, lang=lang, clock=lambda: NOW)


def logged_in(store: Store) -> tuple[Client, str]:
    client = Client(app(store))
    answer = client.post("/login", data={"token": TOKEN})
    assert answer.status_code == 303 and client.get_cookie(COOKIE) is not None
    page = client.get("/shops/drifty").get_data(as_text=True)
    return client, csrf_of(page)


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found, "no csrf field on the page"
    return found.group(1)


def rows(page: str) -> dict[str, str]:
    return dict(re.findall(r'<tr class="shop" data-shop="([^"]+)" data-state="([^"]+)">', page))


def text(answer: TestResponse) -> str:
    return answer.get_data(as_text=True)


def test_overview_lists_every_shop_with_its_state(store: Store) -> None:
    answer = Client(app(store)).get("/")
    page = text(answer)
    assert answer.status_code == 200
    assert rows(page) == {
        "broken": "error",
        "stuck": "locked",
        "drifty": "drift",
        "fresh": "never_run",
        "calm": "in_sync",
    }
    assert list(rows(page)) == ["broken", "stuck", "drifty", "fresh", "calm"]  # problems first
    assert '<html lang="en">' in page and 'name="viewport" content="width=device-width, initial-scale=1"' in page
    assert 'id="login"' in page and 'id="logged-in"' not in page and 'id="read-only"' in page
    assert "Content-Security-Policy" in answer.headers and answer.headers["X-Frame-Options"] == "DENY"


def test_filter_search_and_language(store: Store) -> None:
    client = Client(app(store))
    assert rows(text(client.get("/?state=drift"))) == {"drifty": "drift"}
    assert set(rows(text(client.get("/?q=ST")))) == {"stuck"}
    assert rows(text(client.get("/?q=nothing-like-it"))) == {}
    zh = text(client.get("/?lang=zh"))
    assert '<html lang="zh">' in zh and "店铺" in zh and 'id="lang-en"' in zh
    assert '<html lang="zh">' in text(client.get("/shops/calm"))  # the choice is kept in a cookie
    assert '<html lang="zh">' in text(Client(app(store, lang="zh")).get("/"))


def test_paging_over_many_shops(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 's.db'}") as store:
        names = [f"shop-{i:03d}" for i in range(120)]
        client = Client(StatusApp(Queries(store, configured=names, aspects=lambda s: []), clock=lambda: NOW))
        first = text(client.get("/?q=shop"))
        assert len(rows(first)) == 50 and 'id="next-page"' in first and 'id="prev-page"' not in first
        href = re.search(r'id="next-page" href="([^"]+)"', first)
        assert href is not None and "q=shop" in href.group(1)
        second = text(client.get(href.group(1).replace("&amp;", "&")))
        assert next(iter(rows(second))) == "shop-050"
        third = text(client.get("/?page=3"))
        assert len(rows(third)) == 20 and 'id="next-page"' not in third and 'id="prev-page"' in third


def test_markup_in_values_renders_as_text(store: Store) -> None:
    client = Client(app(store))
    for page in (text(client.get("/shops/drifty")), text(client.get("/"))):
        assert MARKUP not in page and "<script>" not in page
    shop = text(client.get("/shops/drifty"))
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in shop
    store.drifts.record("<b>x</b>", "warehouse_address", [drift("<b>x</b>", "WH")], now=NOW, run_id=None)
    overview = text(Client(app(store)).get("/"))
    assert "<b>x</b>" not in overview and 'data-shop="&lt;b&gt;x&lt;/b&gt;"' in overview


def test_shop_page_shows_drifts_runs_ledger_read_only(store: Store) -> None:
    page = text(Client(app(store)).get("/shops/drifty"))
    assert page.count('<tr class="drift"') == 2
    for table in ("drifts", "runs", "ledger", "outbox"):
        assert f'<table id="{table}">' in page
    assert 'class="seller"' in page and "Set the city in Seller Center" in page and "3 of 4 packages" in page
    assert "ERP said no" in page
    for form in ('class="ack"', 'class="retry"', 'class="run-now"', 'class="unlock"'):
        assert form not in page
    assert Client(app(store)).get("/shops/nobody").status_code == 404


def test_login_wrong_token_and_no_token(store: Store) -> None:
    client = Client(app(store))
    answer = client.post("/login", data={"token": "wrong-token"})
    assert answer.status_code == 401 and 'id="login-error"' in text(answer)
    assert client.get_cookie(COOKIE) is None
    assert 'id="login-submit"' in text(client.get("/login"))
    read_only = Client(app(store, token=""))
    assert read_only.post("/login", data={"token": ""}).status_code == 401
    page = text(read_only.get("/"))
    assert 'id="login"' not in page and "[service.ui] token" in page


@pytest.mark.parametrize("typed", [f"{TOKEN}\n", f"  {TOKEN} ", f"\t{TOKEN}\r\n"])
def test_a_token_pasted_with_whitespace_around_it_logs_in(store: Store, typed: str) -> None:
    """The configured token lost its surrounding whitespace when the config was read; the typed
    one loses it too, or a token pasted with a trailing newline never matches."""
    client = Client(app(store))
    answer = client.post("/login", data={"token": typed})
    assert answer.status_code == 303 and client.get_cookie(COOKIE) is not None


def test_whitespace_inside_the_token_still_counts(store: Store) -> None:
    client = Client(app(store, token="correct horse staple"))
    assert client.post("/login", data={"token": "correct  horse staple"}).status_code == 401
    assert client.post("/login", data={"token": "correcthorse staple"}).status_code == 401
    assert client.post("/login", data={"token": " correct horse staple\n"}).status_code == 303


def test_posts_need_login_and_csrf(store: Store) -> None:
    drift_id = store.drifts.list_open("drifty")[0].id
    anonymous = Client(app(store))
    assert anonymous.post(f"/drifts/{drift_id}/ack", data={"csrf": "x"}).status_code == 403
    client, _csrf = logged_in(store)
    assert client.post(f"/drifts/{drift_id}/ack").status_code == 403
    assert client.post(f"/drifts/{drift_id}/ack", data={"csrf": "0" * 64}).status_code == 403
    assert client.post("/actions/run", data={"shop": "calm"}).status_code == 403
    assert store.drifts.get(drift_id).acked_at is None  # type: ignore[union-attr]
    assert store.sync_requests.pending() == []
    assert anonymous.get(f"/drifts/{drift_id}/ack").status_code == 405


def test_acknowledge_a_drift(store: Store) -> None:
    client, csrf = logged_in(store)
    page = text(client.get("/shops/drifty"))
    assert page.count('class="ack-button"') == 2 and 'id="logged-in"' in page
    drift_id = store.drifts.list_open("drifty")[0].id
    answer = client.post(f"/drifts/{drift_id}/ack", data={"csrf": csrf})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/shops/drifty")
    assert store.drifts.get(drift_id).acked_at == NOW  # type: ignore[union-attr]
    after = text(client.get("/shops/drifty"))
    assert after.count('class="ack-button"') == 1 and 'class="acked"' in after
    assert client.post("/drifts/999999/ack", data={"csrf": csrf}).status_code == 404
    # past what the store's integer holds: not found, not an OverflowError and a 500
    assert client.post("/drifts/99999999999999999999999/ack", data={"csrf": csrf}).status_code == 404
    # non-ASCII where a token goes: refused, not a 500
    assert client.post(f"/drifts/{drift_id}/ack", data={"csrf": "令牌"}).status_code == 403


def test_retry_failed_push_and_run_now_write_sync_requests(store: Store) -> None:
    client, csrf = logged_in(store)
    assert 'class="retry"' in text(client.get("/shops/drifty"))
    assert client.post("/actions/retry", data={"csrf": csrf, "key": "k-fail"}).status_code == 303
    assert [(r.shop, r.aspect) for r in store.sync_requests.pending()] == [("drifty", "warehouse_address")]
    assert client.post("/actions/retry", data={"csrf": csrf, "key": "nope"}).status_code == 404
    assert client.post("/actions/run", data={"csrf": csrf, "shop": "calm"}).status_code == 303
    assert {(r.shop, r.aspect) for r in store.sync_requests.pending("calm")} == {
        ("calm", "warehouse_address"),
        ("calm", "pickup"),
    }
    assert client.post("/actions/run", data={"csrf": csrf, "shop": "nobody"}).status_code == 404


def test_release_a_dead_lease_only(store: Store) -> None:
    client, csrf = logged_in(store)
    assert 'class="unlock"' in text(client.get("/shops/stuck"))
    answer = client.post("/actions/unlock", data={"csrf": csrf, "shop": "stuck"})
    assert answer.status_code == 200 and "unlocked" in text(answer)
    assert store.leases.get("shop:stuck") is None
    assert rows(text(client.get("/?q=stuck"))) == {"stuck": "in_sync"}
    store.leases.acquire("shop:calm", owner="r-live", ttl_seconds=600, now=NOW)  # this process: alive
    assert 'class="unlock"' not in text(client.get("/shops/calm"))
    refused = client.post("/actions/unlock", data={"csrf": csrf, "shop": "calm"})
    assert refused.status_code == 409 and store.leases.get("shop:calm") is not None


def test_logout_ends_the_session(store: Store) -> None:
    client, csrf = logged_in(store)
    kept = client.get_cookie(COOKIE)
    assert kept is not None
    assert client.post("/logout", data={"csrf": csrf}).status_code == 303
    assert 'id="login"' in text(client.get("/"))
    client.set_cookie(COOKIE, kept.value)  # a copy of the cookie, taken before the logout
    assert 'id="login"' in text(client.get("/")) and 'id="logged-in"' not in text(client.get("/shops/drifty"))


def test_a_shop_that_checked_nothing_has_its_own_state_in_both_languages(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 's.db'}") as store:
        store.runs.begin("r1", shops=["idle"], apply=False, now=NOW, host="h", pid=1)
        summary = {"shops_with_errors": [], "aspects": {"idle": []}, "not_run": {"idle": ["listings"]}}
        store.runs.finish("r1", status="not_run", summary=summary, now=NOW)
        client = Client(StatusApp(Queries(store, configured=["idle"], aspects=lambda s: []), clock=lambda: NOW))
        overview, shop = text(client.get("/")), text(client.get("/shops/idle"))
        assert rows(overview) == rows(text(client.get("/?state=not_run"))) == {"idle": "not_run"}
        assert '<span class="state s-not_run">nothing checked</span>' in overview and "nothing checked: 1" in overview
        assert '<span class="state s-not_run" id="shop-state">nothing checked</span>' in shop
        assert '<span class="state s-not_run" id="shop-state">未检查</span>' in text(client.get("/shops/idle?lang=zh"))


def test_the_shop_page_names_open_drifts_an_aspect_not_run_kept_unchecked(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 's.db'}") as store:
        store.drifts.record("s", "warehouse_address", [drift("s", "WH-1")], now=NOW, run_id="r0")
        store.runs.begin("r1", shops=["s"], apply=False, now=NOW, host="h", pid=1)
        kept = {"s": {"warehouse_address": [1, "not enabled for this shop"]}}
        summary = {"shops_with_errors": [], "aspects": {"s": []}, "not_run": {"s": ["warehouse_address"]}}
        store.runs.finish("r1", status="not_run", summary={**summary, "kept_unchecked": kept}, now=NOW)
        client = Client(StatusApp(Queries(store, configured=["s"], aspects=lambda s: []), clock=lambda: NOW))
        page, zh = text(client.get("/shops/s")), text(client.get("/shops/s?lang=zh"))
    assert '<p class="note warn unchecked" data-aspect="warehouse_address">' in page
    assert "checked nothing (not enabled for this shop): 1 open drift(s) kept unchecked" in page
    assert "1 个未解决差异未经检查" in zh
