"""What operators and cron read: unwrapped lines, each error once, JSON errors, progress, verified fixes.

Every run here is the real ``erpsync`` command with its output piped (not a terminal), as cron runs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from test_cli_reconcile import IN_SYNC_MODES, drifted_erp

pytestmark = pytest.mark.integration


def piped(ws, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI with no COLUMNS hint: a pipe must not be wrapped at rich's default 80 columns."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["ERPSYNC_CONFIG"] = str(ws.config)
    return subprocess.run(
        [sys.executable, "-m", "erpsync", *args],
        cwd=ws.root, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def two_shops(ws, extra: str = "") -> None:
    """The workspace's shop twice (``shop`` and ``shop2``), same sandbox and ERP."""
    text = ws.config.read_text(encoding="utf-8")
    shop, rest = text.split("[[alerts]]", 1)
    ws.config.write_text(shop + shop.replace('name = "shop"', 'name = "shop2"') + "[[alerts]]" + rest + extra)


def test_error_lines_are_not_wrapped_when_piped(demo_ws):
    result = piped(demo_ws, "reconcile")  # no erp/ folder: one long error line
    assert result.returncode == 1
    line = next(x for x in result.stdout.splitlines() if x.startswith("error"))
    assert line.endswith("the shop's remaining aspects were skipped"), result.stdout


def test_table_rows_are_not_wrapped_when_piped(demo_ws):
    rows = drifted_erp(demo_ws)
    rows[1]["street"] = rows[1]["street"] + " 这是一段很长的补充说明" * 6
    demo_ws.write_erp(rows)
    result = piped(demo_ws, "reconcile", "--aspect", "warehouse_address")
    assert result.returncode == 2
    assert rows[1]["street"] in result.stdout  # the whole value on one line of the table
    summary = result.stdout.splitlines()[-1]
    assert summary.endswith("Run again with --apply to make them."), result.stdout


def test_missing_env_is_reported_once_per_key(demo_ws):
    two_shops(demo_ws)
    demo_ws.config.write_text(
        demo_ws.config.read_text().replace('app_secret = "demo-app-secret"', 'app_secret = "${ERPSYNC_NOPE}"')
    )
    result = piped(demo_ws, "reconcile")
    assert result.returncode == 1
    lines = [x for x in result.stderr.splitlines() if "app_secret" in x]
    assert len(lines) == 2, result.stderr  # shops[0] and shops[1], each once
    assert all("environment variable ERPSYNC_NOPE is not set" in x for x in lines)
    assert "Shorter than minimum length" not in result.stderr


def test_bad_global_policy_is_reported_once(demo_ws):
    two_shops(demo_ws, '[policy.warehouse_address]\nstreet = "sometimes"\n')
    result = piped(demo_ws, "reconcile")
    assert result.returncode == 1
    assert result.stderr.count("'sometimes' is not one of seller, erp, report") == 1, result.stderr


def test_bad_erp_row_is_one_error_not_one_per_aspect(demo_ws):
    rows = demo_ws.erp_rows_matching_seller(IN_SYNC_MODES)
    rows[0]["handover_mode"] = "SOMETIMES"
    demo_ws.write_erp(rows)
    result = piped(demo_ws, "reconcile", "--format", "json")
    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert len([e for e in report["errors"] if "SOMETIMES" in e]) == 1, report["errors"]
    table = piped(demo_ws, "reconcile")
    assert table.stdout.count("SOMETIMES") == 1, table.stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("reconcile", "--format", "json", "--shop", "nope"), 64, "unknown shop 'nope'"),
        (("reconcile", "--format", "json", "--bogus"), 64, "No such option"),
        (("-c", "missing.toml", "reconcile", "--format=json"), 1, "missing.toml"),
    ],
)
def test_json_format_prints_errors_as_json(demo_ws, args, code, message):
    result = piped(demo_ws, *args)
    assert result.returncode == code, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["exit_code"] == code
    assert any(message in e for e in document["errors"]), document
    assert "error" not in result.stderr  # printed once, as JSON


def test_handover_modes_spelled_one_way_per_format(demo_ws):
    demo_ws.write_erp(drifted_erp(demo_ws))
    data = json.loads(piped(demo_ws, "reconcile", "--format", "json", "--aspect", "pickup").stdout)
    drift = data["shops"][0]["aspects"][0]["drifts"][0]
    assert (drift["seller_value"], drift["erp_value"], drift["action"]["value"]) == ("DROP_OFF", "PICKUP", "DROP_OFF")
    table = piped(demo_ws, "reconcile", "--aspect", "pickup").stdout
    assert "DROP OFF" in table and "DROP_OFF" not in table and "PICKUP" not in table


def test_progress_is_one_plain_line_per_step_on_stderr(demo_ws):
    demo_ws.write_erp(drifted_erp(demo_ws))
    result = piped(demo_ws, "reconcile", "--apply")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    for step in ("shop: starting", "shop: warehouse_address", "shop: pickup", "shop: pickup: re-reading"):
        assert any(x.startswith(step) for x in lines), result.stderr
    assert "\x1b" not in result.stderr  # no spinner or colour codes in a log


def test_unfixable_correction_is_planned_as_report_only(demo_ws):
    demo_ws.write_erp(drifted_erp(demo_ws))
    demo_ws.write_config(extra='[policy]\npickup = "erp"\n')  # fix Seller Center's pickup: it cannot be
    plan = piped(demo_ws, "reconcile", "--aspect", "pickup", "--format", "json")
    action = json.loads(plan.stdout)["shops"][0]["aspects"][0]["drifts"][0]["action"]
    assert action["status"] == "unsupported" and "Seller Center" in action["detail"], action
    table = piped(demo_ws, "reconcile", "--aspect", "pickup")
    assert "report only" in table.stdout and "fix Seller Center" not in table.stdout
    assert "0 correction(s) planned" in table.stdout and "Run again with --apply" not in table.stdout
    applied = piped(demo_ws, "reconcile", "--aspect", "pickup", "--apply")
    assert "report only" in applied.stdout and "not fixable" not in applied.stdout


def test_apply_verifies_and_alerts_resolved_in_the_same_run(demo_ws):
    rows = drifted_erp(demo_ws)
    demo_ws.write_erp(rows)
    result = piped(demo_ws, "reconcile", "--apply", "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    drifts = {d["field"]: d for s in report["shops"] for a in s["aspects"] for d in a["drifts"]}
    # values after the fix: the ERP now holds what Seller Center has
    assert drifts["street"]["erp_value"] == drifts["street"]["seller_value"] != rows[1]["street"]
    assert drifts["handover_mode"]["erp_value"] == "DROP_OFF"
    resolved = {f for s in report["shops"] for a in s["aspects"] for f in a["resolved"]}
    assert resolved == {d["fingerprint"] for d in drifts.values()}
    events = sorted((a["event"], a["field"]) for a in demo_ws.alerts())
    assert events == sorted((e, f) for e in ("opened", "resolved") for f in ("street", "handover_mode"))
