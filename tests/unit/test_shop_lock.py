"""The shop lock and the task queue against a real redis-server (started by the test, no worker)."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from service_servers import redis_server

from erpsync.service.shop_lock import KEY_PREFIX, ShopLock, holder_of

redis = pytest.importorskip("redis")


@pytest.fixture(scope="module")
def broker() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture
def client(broker: str) -> Iterator[Any]:
    c = redis.Redis.from_url(broker)
    c.flushdb()
    yield c
    c.close()


def test_a_locked_shop_is_refused_to_a_second_task_and_free_after_release(client):
    first = ShopLock(client, "s1", ttl_seconds=5, holder="tracking")
    assert first.acquire()
    assert holder_of(client, "s1") == "tracking"
    assert not ShopLock(client, "s1", ttl_seconds=5, holder="pickup").acquire()
    assert ShopLock(client, "s2", ttl_seconds=5).acquire()  # other shops are not held up
    first.release()
    assert holder_of(client, "s1") is None
    with ShopLock(client, "s1", ttl_seconds=5, holder="pickup") as held:
        assert held
        assert holder_of(client, "s1") == "pickup"
    assert holder_of(client, "s1") is None


def test_a_running_task_keeps_its_lock_past_the_ttl(client):
    lock = ShopLock(client, "s1", ttl_seconds=0.6)
    assert lock.acquire()
    time.sleep(1.5)  # 2.5 TTLs: held only because it was renewed
    assert not ShopLock(client, "s1", ttl_seconds=0.6).acquire()
    assert not lock.lost.is_set()
    lock.release()
    assert client.get(KEY_PREFIX + "s1") is None


def test_a_lapsed_holder_never_releases_the_next_holders_lock(client):
    stalled = ShopLock(client, "s1", ttl_seconds=0.6, holder="tracking")
    assert stalled.acquire()
    client.delete(KEY_PREFIX + "s1")  # its TTL ran out while it stalled
    successor = ShopLock(client, "s1", ttl_seconds=5, holder="pickup")
    assert successor.acquire()
    assert stalled.lost.wait(2)  # its next renewal found the token gone
    stalled.release()
    assert holder_of(client, "s1") == "pickup"
    successor.release()


SHOPS = "".join(
    f'[[shops]]\nname = "s{i}"\naspects = ["tracking"]\n[shops.seller]\ntype = "tiktok"\napp_key = "app-1"\n'
    f'app_secret = "s3cr3t-value"\naccess_token = "t0ken-value"\nshop_id = "{i}"\n'
    f'[shops.erp]\ntype = "files"\npath = "x"\n'
    for i in range(5)
)


def queued(client: Any) -> list[tuple[str, list[str]]]:
    """(task name, args) of every message waiting in the erpsync queue."""
    out = []
    for raw in client.lrange("erpsync", 0, -1):
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        out.append((message["headers"]["task"], args))
    return out


def test_dispatch_queues_one_task_per_shop_and_enqueue_one_per_aspect(client, broker, tmp_path: Path):
    from erpsync.service.jobs import JobContext
    from erpsync.service.tasks import build_app, dispatch, enqueue_sync

    path = tmp_path / "erpsync.toml"
    path.write_text(f'[service.celery]\nbroker_url = "{broker}"\n' + SHOPS, encoding="utf-8")
    ctx = JobContext.open(path)
    try:
        app = build_app(ctx.settings, list(ctx.registry.aspects))
        assert dispatch(app, ctx, "tracking") == 5
        assert dispatch(app, ctx, "pickup") == 0  # no shop runs it
        sent = queued(client)
        assert sorted(args[0] for _task, args in sent) == [f"s{i}" for i in range(5)]
        assert {(task, args[1]) for task, args in sent} == {("erpsync.sync_shop", "tracking")}
        client.delete("erpsync")
        ids = enqueue_sync(ctx, "s3", ["tracking", "order_status"], "order status notification")
        assert len(ids) == 2
        assert sorted(queued(client)) == [
            ("erpsync.sync_shop", ["s3", "order_status"]),
            ("erpsync.sync_shop", ["s3", "tracking"]),
        ]
    finally:
        ctx.close()


class WorkerDied(Exception):
    """Stands for the SIGKILL of the worker running a dispatch."""


@pytest.mark.parametrize("dies", ["after sending the third task", "before sending the third task"])
def test_a_dispatch_given_back_by_a_dead_worker_sends_only_the_shops_not_sent(client, broker, tmp_path, dies):
    from erpsync.service.jobs import JobContext
    from erpsync.service.tasks import SENT_PREFIX, build_app, dispatch

    path = tmp_path / "erpsync.toml"
    path.write_text(f'[service.celery]\nbroker_url = "{broker}"\n' + SHOPS, encoding="utf-8")
    ctx = JobContext.open(path)
    try:
        app = build_app(ctx.settings, list(ctx.registry.aspects))
        send, calls = app.send_task, []

        def dying_send(*args: Any, **kwargs: Any) -> Any:
            calls.append(args)
            if len(calls) == 3 and dies.startswith("before"):
                raise WorkerDied
            sent = send(*args, **kwargs)
            if len(calls) == 3:
                raise WorkerDied
            return sent

        app.send_task = dying_send
        with pytest.raises(WorkerDied):
            dispatch(app, ctx, "tracking", dispatch_id="tick-1", client=client)
        app.send_task = send
        again = dispatch(app, ctx, "tracking", dispatch_id="tick-1", client=client)  # the same task, delivered again
        shops = sorted(args[0] for _task, args in queued(client))
        if dies.startswith("after"):  # sent, not marked: that one shop is repeated, none is lost
            assert again == 3 and len(shops) == 6 and set(shops) == {f"s{i}" for i in range(5)}
        else:
            assert again == 3 and shops == [f"s{i}" for i in range(5)]
        celery = ctx.settings.service.celery
        keep = ctx.settings.service.interval_seconds("tracking") + 2 * celery.lock_seconds  # + visibility timeout
        assert keep - 10 < client.ttl(SENT_PREFIX + "tick-1") <= keep + 1
        client.delete("erpsync")
        assert dispatch(app, ctx, "tracking", dispatch_id="tick-2", client=client) == 5  # the next tick: every shop
    finally:
        ctx.close()


def test_the_webhooks_celery_trigger_queues_the_shops_aspects(client, broker, tmp_path: Path):
    """`[service.webhooks] trigger = "celery"`: a notification's targeted sync is one task per aspect."""
    from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
    from erpsync.service.webhook_actions import celery_trigger

    path = tmp_path / "erpsync.toml"
    path.write_text(f'[service.celery]\nbroker_url = "{broker}"\n' + SHOPS, encoding="utf-8")
    settings = load_settings(path, build_registry(get_plugin_manager(entrypoints=False)))
    assert settings.service.webhooks.trigger == "celery"
    celery_trigger(settings)("s2", ["tracking", "order_status"], "order status notification")
    assert sorted(queued(client)) == [
        ("erpsync.sync_shop", ["s2", "order_status"]),
        ("erpsync.sync_shop", ["s2", "tracking"]),
    ]


def test_a_task_for_a_locked_shop_is_skipped_counted_and_says_who_holds_it(client, broker, tmp_path: Path):
    from erpsync.service.jobs import JobContext
    from erpsync.service.tasks import RESULTS_KEY, sync_one

    path = tmp_path / "erpsync.toml"
    path.write_text(f'[service.celery]\nbroker_url = "{broker}"\n' + SHOPS, encoding="utf-8")
    ctx = JobContext.open(path)
    try:
        with ShopLock(client, "s1", ttl_seconds=5, holder="pickup") as held:
            assert held
            out = sync_one(ctx, client, "s1", "tracking", lock_seconds=5)
        assert out == {"shop": "s1", "aspect": "tracking", "status": "locked", "holder": "pickup"}
        assert client.hgetall(RESULTS_KEY) == {b"tracking:locked": b"1"}
        assert ctx.store.fences.current("s1") == 0  # skipped before its epoch was taken
    finally:
        ctx.close()


def test_a_task_started_while_the_worker_stops_runs_nothing_and_is_given_back(client, broker, tmp_path: Path):
    from erpsync.service.jobs import JobContext
    from erpsync.service.tasks import GIVEN_BACK, RESULTS_KEY, sync_one

    path = tmp_path / "erpsync.toml"
    path.write_text(f'[service.celery]\nbroker_url = "{broker}"\n' + SHOPS, encoding="utf-8")
    ctx = JobContext.open(path)
    try:
        ctx.stop.set()  # what the worker's SIGTERM handler does
        out = sync_one(ctx, client, "s1", "tracking", lock_seconds=5)
        assert out == {"shop": "s1", "aspect": "tracking", "status": GIVEN_BACK}
        assert client.hgetall(RESULTS_KEY) == {b"tracking:given_back": b"1"}
        assert ctx.store.fences.current("s1") == 0  # no epoch used for a run that never happened
        assert holder_of(client, "s1") is None
    finally:
        ctx.close()


def test_a_stop_arriving_as_the_task_takes_the_shop_still_gives_it_back(client, broker, tmp_path: Path, monkeypatch):
    from erpsync.service.jobs import JobContext
    from erpsync.service.tasks import GIVEN_BACK, sync_one

    path = tmp_path / "erpsync.toml"
    path.write_text(f'[service.celery]\nbroker_url = "{broker}"\n' + SHOPS, encoding="utf-8")
    ctx = JobContext.open(path)
    try:
        advance = ctx.store.fences.advance

        def advance_then_stop(shop: str, *, now: Any) -> int:
            epoch = advance(shop, now=now)
            ctx.stop.set()  # SIGTERM between the epoch and the run
            return epoch

        monkeypatch.setattr(ctx.store.fences, "advance", advance_then_stop)
        out = sync_one(ctx, client, "s1", "tracking", lock_seconds=5)
        assert out["status"] == GIVEN_BACK
        assert holder_of(client, "s1") is None
        assert ctx.store.runs.list_recent() == []
    finally:
        ctx.close()
