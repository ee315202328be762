"""The Celery app's settings and beat schedule, as built from a config file (no broker needed)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from erpsync.core.config_service import CelerySettings
from erpsync.service.celery_app import (
    DISPATCH_DUE,
    DRAIN_OUTBOX,
    beat_schedule,
    celery_config,
    make_app,
    shops_running,
)
from erpsync.service.shop_lock import renew_every

SHOP = """
[[shops]]
name = "{name}"
{aspects}
[shops.seller]
type = "tiktok"
app_key = "app-1"
app_secret = "s3cr3t-value"
access_token = "t0ken-value"
shop_id = "{i}"
[shops.erp]
type = "files"
path = "x"
"""
REGISTERED = ("warehouse_address", "pickup", "tracking", "order_status", "ship_by", "listings")


def write(tmp_path: Path, service: str, shops: dict[str, str | None]) -> Path:
    text = "".join(
        SHOP.format(name=name, i=i, aspects=f"aspects = {aspects}" if aspects else "")
        for i, (name, aspects) in enumerate(shops.items())
    )
    path = tmp_path / "erpsync.toml"
    path.write_text(service + "\n" + text, encoding="utf-8")
    return path


CELERY = '[service.celery]\nbroker_url = "redis://localhost:6379/0"\nlock_seconds = 120\n'


def test_the_schedule_has_one_entry_per_aspect_the_shops_run_and_the_outbox(load, tmp_path):
    path = write(
        tmp_path,
        CELERY + "[service.intervals]\ntracking = 2\noutbox = 0.5\n",
        {"a": '["tracking"]', "b": '["tracking", "pickup"]'},
    )
    settings = load(path)
    schedule = beat_schedule(settings, REGISTERED)
    assert sorted(schedule) == ["erpsync:outbox", "erpsync:pickup", "erpsync:tracking"]
    tracking = schedule["erpsync:tracking"]
    assert tracking["task"] == DISPATCH_DUE and tracking["args"] == ("tracking",)
    assert tracking["schedule"] == timedelta(minutes=2)
    # a tick not started within its interval is dropped, not run twice in a row with the next
    assert tracking["options"]["expires"] == 120
    assert schedule["erpsync:pickup"]["schedule"] == timedelta(minutes=15)  # the default
    assert schedule["erpsync:outbox"]["task"] == DRAIN_OUTBOX
    assert schedule["erpsync:outbox"]["schedule"] == timedelta(seconds=30)
    assert shops_running(settings, "tracking", REGISTERED) == ["a", "b"]
    assert shops_running(settings, "pickup", REGISTERED) == ["b"]


def test_a_shop_without_an_aspects_list_runs_every_registered_aspect(load, tmp_path):
    settings = load(write(tmp_path, CELERY, {"a": None, "b": '["pickup"]'}))
    assert set(beat_schedule(settings, REGISTERED)) == {f"erpsync:{a}" for a in REGISTERED} | {"erpsync:outbox"}
    assert shops_running(settings, "listings", REGISTERED) == ["a"]
    assert shops_running(settings, "pickup", REGISTERED) == ["a", "b"]


def test_tasks_are_acknowledged_late_one_at_a_time_and_come_back_after_the_lock_lapses():
    conf = celery_config(CelerySettings("redis://localhost:6379/0", lock_seconds=120))
    assert conf["task_acks_late"] is True
    assert conf["task_reject_on_worker_lost"] is True
    assert conf["worker_prefetch_multiplier"] == 1
    transport = conf["broker_transport_options"]
    # a dead worker's task returns only when the lock it held (not renewed any more) has lapsed
    assert transport["visibility_timeout"] > 120
    # and soon after that: kombu sweeps for such tasks every interval × throttle seconds
    assert transport["unacked_restore_interval"] * transport["unacked_restore_throttle"] <= 10
    assert conf["beat_scheduler"] == "redbeat.RedBeatScheduler"
    assert conf["redbeat_redis_url"] == "redis://localhost:6379/0"


def test_beat_wakes_often_enough_for_the_shortest_interval_and_its_lock_outlives_a_wake(load, tmp_path):
    settings = load(write(tmp_path, CELERY + "[service.intervals]\noutbox = 0.2\n", {"a": '["tracking"]'}))
    assert settings.service.celery is not None
    conf = celery_config(settings.service.celery, beat_schedule(settings, REGISTERED))
    assert conf["beat_max_interval"] <= 12 / 2  # the outbox every 12 s
    assert conf["redbeat_lock_timeout"] > conf["beat_max_interval"]
    default = celery_config(settings.service.celery)
    assert 1 <= default["beat_max_interval"] <= 60


def test_the_app_wants_a_celery_table(load, tmp_path):
    from erpsync.core.errors import ConfigError

    settings = load(write(tmp_path, "", {"a": None}))
    with pytest.raises(ConfigError, match=r"service\.celery"):
        make_app(settings)


@pytest.mark.parametrize(("ttl", "every"), [(300, 100), (3, 1), (0.6, 0.2)])
def test_the_lock_is_renewed_every_third_of_its_ttl(ttl, every):
    assert renew_every(ttl) == pytest.approx(every)


def test_worker_and_beat_say_the_broker_cannot_be_reached(tmp_path):
    import socket
    import subprocess
    import sys

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = write(tmp_path, f'[service.celery]\nbroker_url = "redis://:hunter2-pw@127.0.0.1:{port}/0"\n', {"a": None})
    for command in ("worker", "beat"):
        done = subprocess.run(
            [sys.executable, "-m", "erpsync", "-c", str(path), command],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 1
        assert f"cannot reach the Celery broker redis://:**@127.0.0.1:{port}/0" in done.stderr
        assert "hunter2" not in done.stderr + done.stdout


def test_worker_help_says_how_to_stop_it_and_what_it_needs():
    from click.testing import CliRunner

    from erpsync.cli_worker import beat, worker

    text = CliRunner().invoke(worker, ["--help"]).output
    assert "--concurrency" in text and "SIGTERM" in text and "pip install 'erpsync[celery]'" in text
    assert "standby" in CliRunner().invoke(beat, ["--help"]).output
