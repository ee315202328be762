"""``erpsync pickup``: what an operator saw in Seller Center, recorded through the real command.

Each run is ``python -m erpsync`` in a child process against a real SQLite state file; the
config names a seller backend that is never called (recording reads no API).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest

from erpsync.core.models import SubscriptionStatus
from erpsync.core.store import Store
from erpsync.core.timefmt import BEIJING
from erpsync.sandbox import SandboxServer

pytestmark = pytest.mark.integration

CONFIG = """{lang}[[shops]]
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
[[shops]]
name = "shop2"
[shops.seller]
type = "tiktok"
base_url = "http://127.0.0.1:9"
app_key = "demo-app-key"
app_secret = "demo-app-secret"
access_token = "demo-access-token"
shop_id = "7495000000000000002"
[shops.erp]
type = "files"
path = "erp"
"""
PAGE_ZH = "商家后台 → 我的账号 → 商家资料 → 仓库地址 → 发货仓库"


def workspace(tmp_path: Path, lang: str = "") -> Path:
    (tmp_path / "erpsync.toml").write_text(CONFIG.format(lang=f'lang = "{lang}"\n' if lang else ""), encoding="utf-8")
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


def shown_expiry(text: str) -> datetime:
    """The Beijing time a message names, as an aware datetime."""
    found = re.search(r"(\d{4}-\d\d-\d\d \d\d:\d\d) (?:Beijing time|北京时间)", text)
    assert found, text
    return datetime.strptime(found.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=BEIJING)


def test_confirm_records_the_status_with_an_expiry(tmp_path):
    root = workspace(tmp_path)
    before = datetime.now(UTC)
    result = erpsync(
        root, "pickup", "confirm", "--shop", "shop", "--warehouse", "WH-NEW", "--status", "pending",
        "--for", "3d", "--note", "seen by Li Lei",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "recorded: shop/WH-NEW pickup is pending review" in result.stdout
    assert "Seller Center → My account → Business information → Warehouse address → Shipping warehouse" in result.stdout
    assert "has not checked that warehouse WH-NEW exists" in result.stdout and "overrides it" in result.stdout
    until = shown_expiry(result.stdout)
    assert abs(until - (before + timedelta(days=3))) < timedelta(minutes=2)
    with store(root) as s:
        saved = s.confirmations.get("shop", "WH-NEW", now=datetime.now(UTC))
        assert s.confirmations.get("shop2", "WH-NEW", now=datetime.now(UTC)) is None
    assert saved is not None and saved.status is SubscriptionStatus.PENDING_REVIEW
    assert saved.note == "seen by Li Lei"
    assert abs(saved.expires_at - (before + timedelta(days=3))) < timedelta(minutes=2)


def test_a_confirmation_is_kept_seven_days_by_default_and_replaced_by_the_next(tmp_path):
    root = workspace(tmp_path)
    assert (
        erpsync(root, "pickup", "confirm", "--shop", "shop", "--warehouse", "W1", "--status", "pending").returncode == 0
    )
    again = erpsync(root, "pickup", "confirm", "--shop", "shop", "--warehouse", "W1", "--status", "active")
    assert again.returncode == 0, again.stderr
    with store(root) as s:
        rows = s.confirmations.list(now=datetime.now(UTC))
    assert [(r.warehouse_id, r.status) for r in rows] == [("W1", SubscriptionStatus.ACTIVE)]
    assert abs(rows[0].expires_at - rows[0].confirmed_at - timedelta(days=7)) < timedelta(seconds=1)


def test_the_list_shows_each_record_in_the_configured_language(tmp_path):
    root = workspace(tmp_path, lang="zh")
    confirm = erpsync(root, "pickup", "confirm", "--shop", "shop2", "--warehouse", "W9", "--status", "not_subscribed")
    assert confirm.returncode == 0, confirm.stderr
    assert "已记录：shop2/W9 的揽收状态为「未订阅」" in confirm.stdout and PAGE_ZH in confirm.stdout
    assert "北京时间" in confirm.stdout
    erpsync(
        root, "pickup", "confirm", "--shop", "shop", "--warehouse", "W1", "--status", "active", "--note", "电话确认"
    )
    listed = erpsync(root, "pickup", "confirmations")
    assert listed.returncode == 0, listed.stderr
    for word in ("店铺", "仓库", "状态", "确认时间", "到期时间", "备注", "生效中", "未订阅", "电话确认", "北京时间"):
        assert word in listed.stdout, word
    english = erpsync(root, "pickup", "confirmations", "--shop", "shop", "--lang", "en")
    assert "active" in english.stdout and "Beijing time" in english.stdout and "W9" not in english.stdout


def test_expired_records_are_listed_only_on_request(tmp_path):
    root = workspace(tmp_path)
    erpsync(root, "pickup", "confirm", "--shop", "shop", "--warehouse", "LIVE", "--status", "active")
    long_ago = datetime.now(UTC) - timedelta(days=10)
    with store(root) as s:
        s.confirmations.confirm("shop", "OLD", "active", now=long_ago, expires_at=long_ago + timedelta(days=1))
    listed = erpsync(root, "pickup", "confirmations")
    assert "LIVE" in listed.stdout and "OLD" not in listed.stdout
    everything = erpsync(root, "pickup", "confirmations", "--all")
    old = next(line for line in everything.stdout.splitlines() if "OLD" in line)
    assert "(expired)" in old


def test_clear_removes_a_record_and_says_when_there_is_none(tmp_path):
    root = workspace(tmp_path)
    erpsync(root, "pickup", "confirm", "--shop", "shop", "--warehouse", "W1", "--status", "active")
    cleared = erpsync(root, "pickup", "clear", "--shop", "shop", "--warehouse", "W1")
    assert cleared.returncode == 0 and "cleared the pickup confirmation of shop/W1" in cleared.stdout
    assert "no pickup confirmations recorded" in erpsync(root, "pickup", "confirmations").stdout
    again = erpsync(root, "pickup", "clear", "--shop", "shop", "--warehouse", "W1")
    assert again.returncode == 1 and "no pickup confirmation recorded for shop/W1" in again.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("confirm", "--shop", "nope", "--warehouse", "W1", "--status", "active"),
        ("confirmations", "--shop", "nope"),
        ("clear", "--shop", "nope", "--warehouse", "W1"),
    ],
)
def test_an_unknown_shop_is_a_usage_error_naming_the_configured_ones(tmp_path, args):
    result = erpsync(workspace(tmp_path), "pickup", *args)
    assert result.returncode == 64, result.stdout + result.stderr
    assert "unknown shop 'nope' (configured: shop, shop2)" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--for", "2w"), "not a duration: use hours or days"),
        (("--for", "31d"), "between 1h and 30d"),
        (("--for", "0h"), "between 1h and 30d"),
        (("--status", "cancelled"), "'cancelled' is not one of"),
        (("--warehouse", " "), "give Seller Center's warehouse id"),
    ],
)
def test_bad_values_are_usage_errors_and_record_nothing(tmp_path, args, message):
    root = workspace(tmp_path)
    base = {"--shop": "shop", "--warehouse": "W1", "--status": "active"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    result = erpsync(root, "pickup", "confirm", *[x for kv in base.items() for x in kv])
    assert result.returncode == 64, result.stdout + result.stderr
    assert message in result.stderr
    assert "no pickup confirmations recorded" in erpsync(root, "pickup", "confirmations").stdout


def test_hours_are_accepted_up_to_thirty_days(tmp_path):
    root = workspace(tmp_path)
    before = datetime.now(UTC)
    short = erpsync(
        root, "pickup", "confirm", "--shop", "shop", "--warehouse", "W1", "--status", "active", "--for", "12h"
    )
    assert short.returncode == 0, short.stderr
    assert abs(shown_expiry(short.stdout) - (before + timedelta(hours=12))) < timedelta(minutes=2)
    longest = erpsync(
        root, "pickup", "confirm", "--shop", "shop", "--warehouse", "W2", "--status", "active", "--for", "30d"
    )
    assert longest.returncode == 0, longest.stderr


def test_help_says_where_to_look_and_that_the_id_is_not_checked(tmp_path):
    result = erpsync(tmp_path, "pickup", "confirm", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert PAGE_ZH in text and "not checked online" in text and "overrides it" in text
    reconcile = " ".join(erpsync(tmp_path, "reconcile", "--help").stdout.split())
    assert "--lang [en|zh]" in reconcile and "unconfirmed" in reconcile


@pytest.fixture
def quiet_sandbox():
    """The demo seller backend with WH-SZ quiet: no order or package from it, so nothing settles its
    pickup subscription (Seller Center has it active; the Open API shows nothing of that)."""
    scenario = json.loads(resources.files("erpsync.sandbox").joinpath("scenarios/demo.json").read_text("utf-8"))
    quiet = {o["id"] for o in scenario["orders"] if o["warehouse_id"] == "WH-SZ"}
    scenario["orders"] = [o for o in scenario["orders"] if o["id"] not in quiet]
    scenario["packages"] = [p for p in scenario["packages"] if not set(p["order_ids"]) & quiet]
    with SandboxServer(scenario=scenario) as server:
        yield server.url


def test_an_unconfirmed_warehouse_is_drift_until_an_operator_confirms_it(tmp_path, quiet_sandbox):
    config = CONFIG.format(lang="").split("[[shops]]")[1].replace("http://127.0.0.1:9", quiet_sandbox)
    (tmp_path / "erpsync.toml").write_text(f'[[shops]]{config}[[alerts]]\ntype = "jsonl"\npath = "alerts.jsonl"\n')
    (tmp_path / "erp").mkdir()
    (tmp_path / "erp" / "warehouses.csv").write_text(
        "id,name,seller_warehouse_id,handover_mode\nE-1,DG,WH-DG,DROP OFF\nE-2,SZ,WH-SZ,PICK UP\n", encoding="utf-8"
    )
    zh = erpsync(tmp_path, "reconcile", "--aspect", "pickup", "--lang", "zh")
    assert zh.returncode == 2, zh.stdout + zh.stderr
    row = next(line for line in zh.stdout.splitlines() if "WH-SZ" in line and "│" in line)
    assert "揽收状态未确认" in row and "未确认" in row and "PICK UP（上门揽收）" in row and "严重" in row
    assert "处理步骤：" in zh.stdout and "1 个仓库揽收状态未确认" in zh.stdout.splitlines()[-1]
    data = json.loads(erpsync(tmp_path, "reconcile", "--aspect", "pickup", "--format", "json").stdout)
    assert (data["exit_code"], data["in_sync"], data["unconfirmed"], data["lang"]) == (2, False, 1, "en")
    (drift,) = [d for s in data["shops"] for a in s["aspects"] for d in a["drifts"]]
    assert drift["kind"] == "pickup_unconfirmed" and drift["warehouse"] == "WH-SZ"
    assert drift["summary"]["en"] and drift["summary"]["zh"] and drift["why"]
    assert drift["steps"] and all(step["en"] and step["zh"] for step in drift["steps"])

    confirm = erpsync(tmp_path, "pickup", "confirm", "--shop", "shop", "--warehouse", "WH-SZ", "--status", "active")
    assert confirm.returncode == 0, confirm.stderr
    settled = erpsync(tmp_path, "reconcile", "--aspect", "pickup")
    assert settled.returncode == 0, settled.stdout + settled.stderr
    assert "In sync: 1 shop(s), no drift." in settled.stdout
    alerts = [json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text("utf-8").splitlines()]
    assert [(a["event"], a["kind"]) for a in alerts] == [
        ("opened", "pickup_unconfirmed"),
        ("resolved", "pickup_unconfirmed"),
    ]
    assert alerts[0]["steps"] == drift["steps"] and alerts[0]["lang"] == "en"
