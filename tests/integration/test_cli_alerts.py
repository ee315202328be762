"""``erpsync alerts`` and ``erpsync drifts`` through the real command, against a real SQLite state file.

Each run is ``python -m erpsync`` in a child process. Drifts and outbox rows are written through
the store's own API (``drifts.record`` with the host's alert planner, as a reconcile run writes
them); channels are real: a JSON-lines file, and Standard Webhooks sinks posting to an HTTP server
on loopback that answers 200, 503 or 400 by path.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from erpsync.alert_outbox import build_sinks, planner
from erpsync.core.models import Drift, Severity, Texts
from erpsync.core.store import Store
from erpsync.core.timefmt import BEIJING
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings

pytestmark = pytest.mark.integration

KEY = b"k" * 32
SECRET = "whsec_" + base64.b64encode(KEY).decode()
TOKEN = "tok-9f8e7d6c5b4a39281706"  # the secret part of each webhook URL

CONFIG = """lang = "{lang}"
[[shops]]
name = "shop"
[shops.seller]
type = "tiktok"
base_url = "http://127.0.0.1:9"
app_key = "demo-app-key"
app_secret = "demo-app-secret"
access_token = "demo-access-token"
shop_id = "7495000000000000001"
[shops.erp]
type = "files"
path = "erp"

[[alerts]]
type = "jsonl"
path = "alerts.jsonl"
language = "zh"

[[alerts]]
type = "webhook"
name = "hook"
url = "http://127.0.0.1:{port}/ok/{token}"
secret = "{secret}"

[[alerts]]
type = "webhook"
name = "busy"
url = "http://127.0.0.1:{port}/busy/{token}"
secret = "{secret}"

[[alerts]]
type = "webhook"
name = "bad"
url = "http://127.0.0.1:{port}/bad/{token}"
secret = "{secret}"
"""


class Receiver(BaseHTTPRequestHandler):
    """A webhook receiver: 200 ``accepted`` on /ok, 503 with Retry-After on /busy, 400 on /bad."""

    seen: list[tuple[str, dict[str, str], bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))  # type: ignore[attr-defined]
        kind = self.path.split("/")[1]
        status, text = {"ok": (200, b"accepted"), "busy": (503, b"try later"), "bad": (400, b"invalid payload")}[kind]
        self.send_response(status)
        if kind == "busy":
            self.send_header("Retry-After", "120")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def workspace(tmp_path: Path, server: ThreadingHTTPServer, lang: str = "en") -> Path:
    text = CONFIG.format(lang=lang, port=server.server_address[1], token=TOKEN, secret=SECRET)
    (tmp_path / "erpsync.toml").write_text(text, encoding="utf-8")
    return tmp_path


def erpsync(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TTS_", "ERPSYNC_", "COLUMNS"))}
    env["ERPSYNC_CONFIG"] = str(root / "erpsync.toml")
    return subprocess.run(
        [sys.executable, "-m", "erpsync", *args],
        cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def store(root: Path) -> Store:
    return Store.open(f"sqlite:///{root / '.erpsync' / 'state.db'}")


def mode_drift(subject: str) -> Drift:
    return Drift(
        shop="shop", aspect="pickup", kind="mode_mismatch", subject=subject, field="handover_mode",
        seller_value="PICK UP", erp_value="DROP OFF", severity=Severity.CRITICAL,
        message=f"{subject}: handover mode differs",
        summary=Texts(f"{subject}: handover mode differs", f"{subject}：交接方式不一致"),
    )  # fmt: skip


def street_drift(subject: str) -> Drift:
    return Drift(
        shop="shop", aspect="warehouse_address", kind="field_mismatch", subject=subject, field="street",
        seller_value="乌沙村 1 号", erp_value="乌沙村 2 号", severity=Severity.WARNING,
        message=f"{subject}: street differs",
    )  # fmt: skip


def record(root: Path, aspect: str, drifts: list[Drift], now: datetime, remind_after: timedelta | None = None):
    """What a reconcile run records for one aspect: the drifts and, in the same transaction, their
    alerts for every configured sink (the host's own planner)."""
    registry = build_registry(get_plugin_manager())
    settings = load_settings(root / "erpsync.toml", registry)
    sinks = build_sinks(settings, registry)
    try:
        plan = planner(sinks, run_id=f"run-{now.isoformat()}", now=now, redact=lambda text: text)
        with store(root) as s:
            return s.drifts.record(
                "shop", aspect, drifts, now=now, run_id="run", alerts=plan, remind_after=remind_after
            )
    finally:
        for target in sinks:
            target.sink.close()


def line_with(text: str, needle: str) -> str:
    return next(line for line in text.splitlines() if needle in line)


def cells(line: str) -> list[str]:
    """A table row's cells, stripped."""
    return [cell.strip() for cell in line.strip().strip("│").split("│")]


def beijing(text: str) -> datetime:
    found = re.search(r"(\d{4}-\d\d-\d\d \d\d:\d\d) (?:Beijing time|北京时间)", text)
    assert found, text
    return datetime.strptime(found.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=BEIJING)


# -- alerts test --------------------------------------------------------------------------------


def test_a_test_message_reaches_the_jsonl_file_in_the_sinks_language_and_skips_the_outbox(tmp_path, receiver):
    root = workspace(tmp_path, receiver)
    result = erpsync(root, "alerts", "test", "jsonl")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "已向 jsonl 发送测试消息" in result.stdout  # the sink's language = "zh"
    assert "没有回复" in result.stdout
    lines = (root / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    event = json.loads(lines[0])
    assert (event["kind"], event["severity"], event["shop"], event["lang"]) == ("test", "info", "shop", "zh")
    assert event["message"].startswith("erpsync 测试消息 / erpsync test message")
    assert event["summary"]["en"].startswith("erpsync test message / erpsync 测试消息")
    assert event["id"].startswith("test_")
    with store(root) as s:
        assert s.outbox.get(event["id"]) is None and s.outbox.all_pending() == []
    again = erpsync(root, "alerts", "test", "jsonl", "--lang", "en")
    assert again.returncode == 0 and "sent a test message to jsonl." in again.stdout
    second = json.loads((root / "alerts.jsonl").read_text(encoding="utf-8").splitlines()[1])
    assert second["lang"] == "en" and second["id"] != event["id"]  # a receiver that dedupes shows both


def test_a_test_message_to_a_webhook_is_signed_and_the_answer_printed(tmp_path, receiver):
    root = workspace(tmp_path, receiver)
    result = erpsync(root, "alerts", "test", "hook")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sent a test message to hook (webhook)." in result.stdout
    assert "The channel answered: HTTP 200: accepted" in result.stdout
    [(path, headers, body)] = receiver.seen
    assert path == f"/ok/{TOKEN}"
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(KEY, signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == expected
    payload = json.loads(body)
    assert payload["data"]["kind"] == "test" and payload["data"]["severity"] == "info"
    assert payload["data"]["message"].startswith("erpsync test message")
    assert headers["webhook-id"] == payload["data"]["id"]


@pytest.mark.parametrize(
    ("sink", "kind", "said"),
    [("busy", "a temporary error (a later retry may pass)", "HTTP 503"), ("bad", "a permanent error", "HTTP 400")],
)
def test_a_refused_test_message_says_which_kind_of_failure_and_hides_the_url(tmp_path, receiver, sink, kind, said):
    root = workspace(tmp_path, receiver)
    result = erpsync(root, "alerts", "test", sink)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"test message to {sink} failed, {kind}" in result.stderr
    assert said in result.stderr
    assert TOKEN not in result.stdout + result.stderr and SECRET not in result.stdout + result.stderr
    assert len(receiver.seen) == 1  # sent once, never retried


def test_an_unknown_sink_is_a_usage_error_naming_the_configured_ones(tmp_path, receiver):
    result = erpsync(workspace(tmp_path, receiver), "alerts", "test", "dingtalk")
    assert result.returncode == 64, result.stdout + result.stderr
    assert "unknown alert sink 'dingtalk' (configured: jsonl, hook, busy, bad)" in result.stderr
    assert receiver.seen == []


# -- alerts pending / deliver -------------------------------------------------------------------


def test_pending_lists_each_undelivered_alert_with_its_last_error(tmp_path, receiver):
    root = workspace(tmp_path, receiver)
    now = datetime.now(UTC) - timedelta(minutes=5)
    record(root, "pickup", [mode_drift("WH1")], now)
    with store(root) as s:
        rows = {r.sink: r for r in s.outbox.all_pending()}
        assert set(rows) == {"jsonl", "hook", "busy", "bad"}
        retry_at = datetime.now(UTC) + timedelta(hours=1)
        leak = f"POST http://127.0.0.1:{receiver.server_address[1]}/busy/{TOKEN}: HTTP 503"  # kept a secret URL
        s.outbox.mark_failed(rows["busy"].id, now=now, error=leak, retry_at=retry_at)
    listed = erpsync(root, "alerts", "pending")
    assert listed.returncode == 0, listed.stderr
    for name, row in rows.items():
        shown = cells(line_with(listed.stdout, row.id))
        assert shown[:6] == [row.id, name, "shop", "WH1", "opened: handover mode differs", "pending"]
    busy = cells(line_with(listed.stdout, rows["busy"].id))
    assert busy[6] == "1" and busy[8].endswith("HTTP 503") and TOKEN not in listed.stdout
    assert abs(beijing(busy[7]) - retry_at) < timedelta(minutes=1) and "(due)" not in busy[7]
    hook = cells(line_with(listed.stdout, rows["hook"].id))
    assert hook[6] == "0" and hook[7].endswith("Beijing time (due)") and hook[8] == ""

    only = erpsync(root, "alerts", "pending", "--sink", "busy", "--format", "json")
    assert only.returncode == 0, only.stderr
    document = json.loads(only.stdout)
    assert document["count"] == 1
    [item] = document["pending"]
    assert (item["id"], item["sink"], item["attempts"], item["configured"]) == (rows["busy"].id, "busy", 1, True)
    assert item["event"]["subject"] == "WH1" and item["event"]["kind"] == "mode_mismatch"
    assert TOKEN not in item["last_error"]
    assert datetime.fromisoformat(item["next_attempt_at"]) == retry_at

    zh = erpsync(root, "alerts", "pending", "--lang", "zh")
    assert "出现: 交接方式不一致" in zh.stdout and "北京时间" in zh.stdout


def test_pending_with_an_unknown_sink_is_a_usage_error_and_an_empty_outbox_says_so(tmp_path, receiver):
    root = workspace(tmp_path, receiver)
    empty = erpsync(root, "alerts", "pending")
    assert empty.returncode == 0 and "no alerts waiting to be delivered" in empty.stdout
    unknown = erpsync(root, "alerts", "pending", "--sink", "nope")
    assert unknown.returncode == 64 and "unknown alert sink 'nope'" in unknown.stderr


def test_deliver_sends_what_is_due_and_keeps_what_a_channel_refused(tmp_path, receiver):
    root = workspace(tmp_path, receiver)
    record(root, "pickup", [mode_drift("WH1"), mode_drift("WH2")], datetime.now(UTC) - timedelta(minutes=1))
    result = erpsync(root, "alerts", "deliver")
    assert result.returncode == 1, result.stdout + result.stderr  # busy and bad did not take theirs
    assert "delivered 4 alert(s)" in result.stdout and "2 to retry later, 2 failed for good" in result.stdout
    paths = sorted(path.split("/")[1] for path, _h, _b in receiver.seen)
    # busy's 503 (Retry-After: 120) holds its second alert back as long, unsent
    assert paths == ["bad", "bad", "busy", "ok", "ok"]
    assert len((root / "alerts.jsonl").read_text(encoding="utf-8").splitlines()) == 2
    with store(root) as s:
        waiting = s.outbox.all_pending()
    assert {r.sink for r in waiting} == {"busy"} and len(waiting) == 2
    listed = erpsync(root, "alerts", "pending")
    assert "HTTP 503" in listed.stdout and TOKEN not in listed.stdout
    receiver.seen.clear()
    again = erpsync(root, "alerts", "deliver")  # busy's retry is not due yet (Retry-After: 120)
    assert "delivered 0 alert(s)" in again.stdout and receiver.seen == []


def feishu_bot_at_its_rate_limit(root: Path, now: datetime) -> None:
    """A workspace whose one alert channel, a Feishu bot, took its 100 messages of the minute
    (each its own), with one more alert due: it waits unsent for room in the limit."""
    url = "https://open.feishu.cn/open-apis/bot/v2/hook/0f6a1c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
    config = CONFIG.split("[[alerts]]")[0] + f'[[alerts]]\ntype = "feishu"\nurl = "{url}"\n'
    (root / "erpsync.toml").write_text(config.format(lang="en"), encoding="utf-8")
    record(root, "pickup", [mode_drift(f"WH{n}") for n in range(101)], now - timedelta(seconds=30))
    with store(root) as s:
        for n, row in enumerate(s.outbox.all_pending()[:100]):
            s.outbox.mark_delivered(row.id, now=now - timedelta(seconds=20, microseconds=n), answer="ok")


def test_deliver_exits_1_and_says_so_when_alerts_wait_for_a_channel_s_rate_limit(tmp_path):
    """A Feishu bot took its 100 messages of the minute: the due alert waits unsent, and
    ``alerts deliver`` says how many wait and why, and exits 1 (not 0 as if all went out)."""
    feishu_bot_at_its_rate_limit(tmp_path, datetime.now(UTC))
    result = erpsync(tmp_path, "alerts", "deliver")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "delivered 0 alert(s)" in result.stdout
    assert "1 alert(s) for feishu wait: its channel's rate limit has no room now" in result.stdout


def test_run_once_says_so_too_when_alerts_wait_for_a_channel_s_rate_limit(tmp_path):
    """``erpsync run --once`` sends the outbox after its jobs, as ``alerts deliver`` does, and
    says in the same words how many alerts wait for room in the channel's rate limit."""
    now = datetime.now(UTC)
    feishu_bot_at_its_rate_limit(tmp_path, now)
    with store(tmp_path) as s:
        s.shop_pauses.pause("shop", reason="the outbox alone is sent", now=now)  # no seller to reach
    result = erpsync(tmp_path, "-v", "run", "--once")
    said = "erpsync run: 1 alert(s) for feishu wait: its channel's rate limit has no room now"
    assert said in result.stderr, result.stdout + result.stderr
    # said once, not logged beside it too (-v shows the info lines the service logs)
    assert result.stderr.count("1 alert(s) for feishu wait") == 1, result.stderr
    # the exit code is the jobs' (one skipped: 0), as its --help says: a busy channel is no failed job
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_service_logs_alerts_waiting_for_a_channel_s_rate_limit_once_a_delivery(tmp_path):
    """``erpsync run`` serving: each outbox drain that leaves alerts waiting logs one info line
    saying how many wait for which sink, in the words ``run --once`` prints (not the robot's URL)."""
    now = datetime.now(UTC)
    feishu_bot_at_its_rate_limit(tmp_path, now)
    with (tmp_path / "erpsync.toml").open("a", encoding="utf-8") as config:
        config.write("[service.intervals]\noutbox = 0.01\n")  # a drain every 0.6 s
    with store(tmp_path) as s:
        s.shop_pauses.pause("shop", reason="the outbox alone is sent", now=now)  # no seller to reach
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TTS_", "ERPSYNC_", "COLUMNS"))}
    env["ERPSYNC_CONFIG"] = str(tmp_path / "erpsync.toml")
    log = tmp_path / "run.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "erpsync", "run", "--listen", ""], cwd=tmp_path, env=env, stdout=out, stderr=out
        )
    said = "INFO erpsync.service: 1 alert(s) for feishu wait: its channel's rate limit has no room now"
    try:
        deadline = datetime.now(UTC) + timedelta(seconds=30)
        while log.read_text().count(said) < 2 and proc.poll() is None and datetime.now(UTC) < deadline:
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    text = log.read_text()
    assert code == 143 and text.count(said) >= 2, text
    lines = [line for line in text.splitlines() if "wait: its channel's rate limit" in line]
    assert all(line.startswith(said) for line in lines), text  # one line a drain, no other wording
    assert "0f6a1c2e" not in text  # the robot's URL is its secret


# -- drifts / drifts ack ------------------------------------------------------------------------


def test_drifts_lists_the_open_drifts_in_words(tmp_path, receiver):
    root = workspace(tmp_path, receiver)
    now = datetime.now(UTC)
    pickup = record(root, "pickup", [mode_drift("WH1")], now).opened[0]
    address = record(root, "warehouse_address", [street_drift("WH2")], now).opened[0]
    listed = erpsync(root, "drifts")
    assert listed.returncode == 0, listed.stderr
    first = cells(line_with(listed.stdout, "WH1"))
    assert first[:6] == [str(pickup.id), "shop", "pickup", "WH1", "handover mode differs", "critical"]
    assert abs(beijing(first[6]) - now) < timedelta(minutes=1) and first[7] == "—"
    second = cells(line_with(listed.stdout, "WH2"))
    assert second[:6] == [str(address.id), "shop", "warehouse_address", "WH2", "street address", "warning"]

    zh = erpsync(root, "drifts", "--lang", "zh")
    for word in ("交接方式不一致", "详细地址", "严重", "警告", "揽收", "仓库地址", "北京时间"):
        assert word in zh.stdout, word

    document = json.loads(erpsync(root, "drifts", "--format", "json").stdout)
    assert document["count"] == 2
    by_id = {d["id"]: d for d in document["drifts"]}
    assert by_id[pickup.id]["summary"] == {"en": "WH1: handover mode differs", "zh": "WH1：交接方式不一致"}
    assert by_id[pickup.id]["acked"] is False and by_id[address.id]["field"] == "street"

    record(root, "warehouse_address", [], now + timedelta(hours=1))  # WH2 resolved
    assert "WH2" not in erpsync(root, "drifts").stdout
    unknown = erpsync(root, "drifts", "--shop", "nope")
    assert unknown.returncode == 64 and "unknown shop 'nope'" in unknown.stderr


def test_ack_silences_reminders_for_a_while_or_until_resolved(tmp_path, receiver):
    root = workspace(tmp_path, receiver)
    now = datetime.now(UTC) - timedelta(days=2)
    opened = record(root, "pickup", [mode_drift("WH1"), mode_drift("WH2"), mode_drift("WH3")], now).opened
    ids = {row.subject: row.id for row in opened}

    timed = erpsync(root, "drifts", "ack", str(ids["WH1"]), "--until", "3d")
    assert timed.returncode == 0, timed.stdout + timed.stderr
    assert f"acknowledged drift {ids['WH1']} (shop/WH1: handover mode differs): no reminders until" in timed.stdout
    assert "its resolution is still alerted" in timed.stdout
    forever = erpsync(root, "drifts", "ack", str(ids["WH2"]), "--lang", "zh")
    assert forever.returncode == 0 and "在解决之前不再提醒" in forever.stdout
    with store(root) as s:
        wh1, wh2 = s.drifts.get(ids["WH1"]), s.drifts.get(ids["WH2"])
    assert wh1.acked_until is not None
    assert abs(wh1.acked_until - (datetime.now(UTC) + timedelta(days=3))) < timedelta(minutes=2)
    assert wh2.acked_at is not None and wh2.acked_until is None

    listed = erpsync(root, "drifts")
    assert abs(beijing(cells(line_with(listed.stdout, "WH1"))[7]) - wh1.acked_until) < timedelta(minutes=1)
    assert cells(line_with(listed.stdout, "WH2"))[7] == "until it resolves"
    assert cells(line_with(listed.stdout, "WH3"))[7] == "—"

    # the next run, a day later than the reminder interval: only the drift nobody acked is reminded
    later = record(root, "pickup", [mode_drift("WH1"), mode_drift("WH2"), mode_drift("WH3")], datetime.now(UTC),
                   remind_after=timedelta(days=1))  # fmt: skip
    assert [row.subject for row in later.reminded] == ["WH3"]


def test_ack_takes_a_time_in_beijing_time_and_refuses_a_past_one(tmp_path, receiver):
    root = workspace(tmp_path, receiver)
    [row] = record(root, "pickup", [mode_drift("WH1")], datetime.now(UTC)).opened
    result = erpsync(root, "drifts", "ack", str(row.id), "--until", "2099-01-01 08:00")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "until 2099-01-01 08:00 Beijing time" in result.stdout
    with store(root) as s:
        assert s.drifts.get(row.id).acked_until == datetime(2099, 1, 1, tzinfo=UTC)
    past = erpsync(root, "drifts", "ack", str(row.id), "--until", "2020-01-01T00:00+00:00")
    assert past.returncode == 64 and "has passed" in past.stderr
    for bad, said in (("2w", "neither a duration"), ("91d", "between 1h and 90d")):
        refused = erpsync(root, "drifts", "ack", str(row.id), "--until", bad)
        assert refused.returncode == 64 and said in refused.stderr, refused.stderr


def test_ack_of_an_unknown_or_resolved_drift_says_so(tmp_path, receiver):
    root = workspace(tmp_path, receiver)
    now = datetime.now(UTC)
    [row] = record(root, "pickup", [mode_drift("WH1")], now).opened
    record(root, "pickup", [], now + timedelta(minutes=1))
    resolved = erpsync(root, "drifts", "ack", str(row.id))
    assert resolved.returncode == 1 and f"drift {row.id} resolved at" in resolved.stderr
    unknown = erpsync(root, "drifts", "ack", "999")
    assert unknown.returncode == 1
    assert "no open drift with id 999; `erpsync drifts` lists the open ones" in unknown.stderr
