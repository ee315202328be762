"""The ``[service]`` table: defaults, good values, and every mistake named by its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from erpsync.connectors.tiktok.webhooks.receiver import expected_signature, verify_signature
from erpsync.core.config_service import DEFAULT_INTERVALS, OTHER_ASPECT_INTERVAL_MINUTES
from erpsync.core.errors import ConfigError

SHOP = """
[[shops]]
name = "{name}"
[shops.seller]
type = "tiktok"
app_key = "{key}"
app_secret = "{secret}"
access_token = "t0ken-value"
shop_id = "1"
[shops.erp]
type = "files"
path = "x"
"""


def write(tmp_path: Path, service: str, *, apps: tuple[tuple[str, str], ...] = (("app-1", "s3cr3t-value"),)) -> Path:
    shops = "".join(SHOP.format(name=f"s{i}", key=k, secret=s) for i, (k, s) in enumerate(apps))
    path = tmp_path / "erpsync.toml"
    path.write_text(service + "\n" + shops, encoding="utf-8")
    return path


def problems(load, path: Path) -> dict[str, str]:
    with pytest.raises(ConfigError) as info:
        load(path)
    return dict(info.value.problems)


def test_defaults_without_a_service_table(load, tmp_path):
    settings = load(write(tmp_path, "concurrency = 6\n"))
    service = settings.service
    assert service.concurrency == 6  # the top-level concurrency
    assert service.listen == "127.0.0.1:9187"
    assert dict(service.intervals) == dict(DEFAULT_INTERVALS)
    assert service.interval_seconds("tracking") == 300
    assert service.interval_seconds("listings") == 3600
    assert service.interval_seconds("outbox") == 60
    assert service.interval_seconds("a-plugin-aspect") == OTHER_ASPECT_INTERVAL_MINUTES * 60
    assert service.celery is None
    hooks = service.webhooks
    assert (hooks.listen, hooks.max_body_bytes, hooks.timestamp_window_seconds) == ("0.0.0.0:8080", 1048576, 86400)
    assert hooks.trigger == "scheduler"  # "auto" without a broker
    assert (hooks.app_key, hooks.app_secret) == ("app-1", "s3cr3t-value")  # the shops' one app


def test_every_key_set(load, tmp_path, monkeypatch):
    monkeypatch.setenv("HOOK_SECRET", "hook-secret-value")
    settings = load(
        write(
            tmp_path,
            '[service]\nconcurrency = 8\nlisten = ""\n'
            "[service.intervals]\ntracking = 2\nlistings = 0.5\n"
            '[service.celery]\nbroker_url = "redis://localhost:6379/0"\nlock_seconds = 120\n'
            '[service.webhooks]\nlisten = "[::1]:8081"\napp_key = "hook-app"\napp_secret = "${HOOK_SECRET}"\n'
            "max_body_bytes = 4096\ntimestamp_window_seconds = 50000\n",
        )
    )
    service = settings.service
    assert service.concurrency == 8 and service.listen == ""
    assert service.interval_seconds("tracking") == 120 and service.interval_seconds("listings") == 30
    assert service.interval_seconds("pickup") == 900  # not named: its default
    assert service.celery is not None
    assert (service.celery.broker_url, service.celery.lock_seconds) == ("redis://localhost:6379/0", 120)
    hooks = service.webhooks
    assert (hooks.listen, hooks.app_key, hooks.app_secret) == ("[::1]:8081", "hook-app", "hook-secret-value")
    assert (hooks.max_body_bytes, hooks.timestamp_window_seconds) == (4096, 50000)
    assert hooks.trigger == "celery"  # "auto" with a broker
    assert "hook-secret-value" in settings.secrets


def test_trigger_scheduler_wins_over_a_broker(load, tmp_path):
    path = write(
        tmp_path,
        '[service.celery]\nbroker_url = "redis://x:1/0"\n[service.webhooks]\ntrigger = "scheduler"\n',
    )
    assert load(path).service.webhooks.trigger == "scheduler"


def test_shops_of_different_apps_leave_the_receiver_app_unset(load, tmp_path):
    path = write(tmp_path, "", apps=(("app-1", "s3cr3t-value"), ("app-2", "other-secret")))
    hooks = load(path).service.webhooks
    assert (hooks.app_key, hooks.app_secret) == ("", "")


def test_webhook_app_read_with_a_trailing_newline_verifies_what_the_platform_signs(load, tmp_path, monkeypatch):
    """A secret file or ``echo`` into a secret ends in a newline: kept, it failed every genuine
    delivery's signature (401, which the platform counts as received and never retries)."""
    monkeypatch.setenv("TIKTOK_APP_KEY", "app-1\n")
    monkeypatch.setenv("TIKTOK_APP_SECRET", " s3cr3t-value\r\n")
    path = write(tmp_path, '[service.webhooks]\napp_key = "${TIKTOK_APP_KEY}"\napp_secret = "${TIKTOK_APP_SECRET}"\n')
    settings = load(path)
    hooks, seller = settings.service.webhooks, settings.shops[0].seller.options
    assert (hooks.app_key, hooks.app_secret) == (seller["app_key"], seller["app_secret"]) == ("app-1", "s3cr3t-value")
    body = b'{"type": 1, "shop_id": "1", "data": {}}'
    assert verify_signature(hooks.app_key, hooks.app_secret, body, expected_signature("app-1", "s3cr3t-value", body))
    assert "s3cr3t-value" in settings.secrets


def test_a_webhook_app_written_empty_is_the_shops_shared_app(load, tmp_path):
    hooks = load(write(tmp_path, '[service.webhooks]\napp_key = ""\napp_secret = ""\n')).service.webhooks
    assert (hooks.app_key, hooks.app_secret) == ("app-1", "s3cr3t-value")


@pytest.mark.parametrize("bad", ["s3cr3t value-1", "s3cr3t\tvalue-1", "s3cr3t-välue-1", " \n"])
def test_a_webhook_secret_with_a_stray_character_is_refused_without_showing_it(load, tmp_path, monkeypatch, bad):
    monkeypatch.setenv("TIKTOK_APP_SECRET", bad)
    found = problems(
        load, write(tmp_path, '[service.webhooks]\napp_key = "app-1"\napp_secret = "${TIKTOK_APP_SECRET}"\n')
    )
    reason = found["service.webhooks.app_secret"]
    assert "control character" in reason or "empty" in reason
    assert "value-1" not in reason and "s3cr3t" not in reason


@pytest.mark.parametrize(
    ("service", "key", "reason"),
    [
        ("[service]\nconcurrency = 0\n", "service.concurrency", "use a whole number of shops from 1 to 64"),
        ('[service]\nconcurrency = "8"\n', "service.concurrency", "Not a valid integer."),
        ('[service]\nlisten = "9187"\n', "service.listen", 'use "host:port"'),
        ('[service]\nlisten = "localhost:99999"\n', "service.listen", 'use "host:port"'),
        ("[service.intervals]\ntracking = 0\n", "service.intervals.tracking", "use a number of minutes above 0"),
        ('[service.intervals]\ntracking = "often"\n', "service.intervals.tracking", "use a number of minutes"),
        ("[service.intervals]\ntrackin = 5\n", "service.intervals.trackin", "unknown aspect 'trackin' (known: "),
        ("[service.celery]\nlock_seconds = 60\n", "service.celery.broker_url", "Missing data for required field."),
        (
            '[service.celery]\nbroker_url = "redis://x"\nlock_seconds = 1\n',
            "service.celery.lock_seconds",
            "use at least 3 seconds",
        ),
        ('[service.webhooks]\ntrigger = "cron"\n', "service.webhooks.trigger", "use one of auto, scheduler, celery"),
        ('[service.webhooks]\ntrigger = "celery"\n', "service.webhooks.trigger", "needs a [service.celery] table"),
        ("[service.webhooks]\nmax_body_bytes = 0\n", "service.webhooks.max_body_bytes", "use a byte count"),
        ('[service.webhooks]\napp_secret = "short"\n', "service.webhooks.app_secret", "too short"),
        ('[service.webhooks]\nlisten = ""\n', "service.webhooks.listen", 'use "host:port"'),
        ("[service]\nspeed = 3\n", "service.speed", "Unknown field."),
    ],
)
def test_mistakes_are_named_by_key(load, tmp_path, service, key, reason):
    found = problems(load, write(tmp_path, service))
    assert key in found, found
    assert reason in found[key]


def test_error_line_reads_file_key_reason(load, tmp_path):
    path = write(tmp_path, "[service.intervals]\ntracking = -1\n")
    with pytest.raises(ConfigError) as info:
        load(path)
    assert f"{path}: service.intervals.tracking: use a number of minutes above 0" in str(info.value)
