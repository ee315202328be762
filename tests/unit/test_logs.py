"""Log lines: JSON or text, each inside a run saying its run, shop and aspect; no secret in any.

The runs are real (plugin manager, SQLite store, the files ERP); the seller is a plugin's
in-memory connector that logs through plain ``logging.getLogger``, as a plugin would, including
its token in the message and in an exception's text. Two shops run side by side, so the fields
must be bound on each shop's own thread.
"""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from marshmallow import Schema, fields

from erpsync.core import log_context
from erpsync.core.connector import Connector
from erpsync.core.models import Address, Records, Warehouse
from erpsync.logs import formatter
from erpsync.plugins import hookimpl
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sync import Syncer

#: a quote inside: JSON escapes it, so masking the rendered line alone would miss it
SECRET = 'SEK"RIT-token-9f8e7d6c'
ADDRESS = Address("张伟", "13800138000", "CN", "广东省", "东莞市", "长安镇", "振安中路 88号", "523850")
plugin_log = logging.getLogger("a_plugin.seller")


class ChattySeller(Connector):
    type = "chatty"
    role = "seller"
    secret_options = ("token",)

    class Options(Schema):
        token = fields.String(required=True)

    def list_warehouses(self) -> Records[Warehouse]:
        token = self.options["token"]
        plugin_log.warning("listing warehouses with token %s (GET /w?access_token=abc123)", token)
        try:
            raise RuntimeError(f"refused token {token}")
        except RuntimeError:
            plugin_log.exception("a retry")
        return Records((Warehouse("W1", "东莞仓", ADDRESS, seller_warehouse_id="W1"),))

    def check(self) -> str:
        return "chatty"


class Plugin:
    @hookimpl
    def register_connectors(self, register: Callable[[type[Connector]], None]) -> None:
        register(ChattySeller)


@pytest.fixture
def syncer(tmp_path: Path) -> Iterator[Syncer]:
    lines = ["concurrency = 2"]
    for name in ("north", "south"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "warehouses.csv").write_text(
            "id,seller_warehouse_id,contact_person,phone,state,city,district,street,postal_code\n"
            "E1,W1,张伟,13800138000,广东省,东莞市,长安镇,振安中路 88号,523850\n",
            encoding="utf-8",
        )
        token = json.dumps(SECRET)  # a TOML basic string reads like a JSON one
        lines += [
            f'[[shops]]\nname = "{name}"\naspects = ["warehouse_address"]',
            f'[shops.seller]\ntype = "chatty"\ntoken = {token}',
            f'[shops.erp]\ntype = "files"\npath = "{name}"',
        ]
    (tmp_path / "erpsync.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    pm = get_plugin_manager(entrypoints=False, extra=[Plugin()])
    registry = build_registry(pm)
    s = Syncer(load_settings(tmp_path / "erpsync.toml", registry), pm=pm, registry=registry)
    yield s
    s.close()


def captured(fmt: str, work: Callable[[], object]) -> str:
    """What the root logger's lines read in ``fmt`` while ``work`` runs."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter("json" if fmt == "json" else "text"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        work()
    finally:
        root.removeHandler(handler)
    return out.getvalue()


def test_json_lines_parse_and_carry_the_run_shop_and_aspect(syncer: Syncer) -> None:
    reports = []
    text = captured("json", lambda: reports.append(syncer.run()))
    lines = [json.loads(line) for line in text.splitlines()]
    mine = [line for line in lines if line["logger"] == "a_plugin.seller"]
    assert len(mine) == 4  # two lines per shop
    assert {line["shop"] for line in mine} == {"north", "south"}
    for line in mine:
        assert line["run_id"] == reports[0].run_id
        assert line["aspect"] == "warehouse_address"
        assert line["level"] in ("warning", "error") and line["timestamp"].endswith("Z")
    assert any("Traceback" in line.get("exception", "") for line in mine)


def test_no_secret_in_any_json_or_text_line(syncer: Syncer) -> None:
    for fmt in ("json", "text"):
        text = captured(fmt, syncer.run)
        assert "a_plugin.seller" in text
        for form in (SECRET, json.dumps(SECRET)[1:-1], "9f8e7d6c", "abc123"):
            assert form not in text, (fmt, form)
        assert "access_token=***" in text


def test_text_lines_show_the_run_shop_and_aspect(syncer: Syncer) -> None:
    reports = []
    text = captured("text", lambda: reports.append(syncer.run()))
    run_id = reports[0].run_id
    shown = [line for line in text.splitlines() if line.startswith("WARNING a_plugin.seller: listing")]
    assert sorted(line.split(" [", 1)[1] for line in shown) == [
        f"run_id={run_id} shop=north aspect=warehouse_address]",
        f"run_id={run_id} shop=south aspect=warehouse_address]",
    ]


def test_lines_outside_a_run_carry_no_run_fields() -> None:
    text = captured("json", lambda: plugin_log.warning("idle"))
    (line,) = [json.loads(x) for x in text.splitlines()]
    assert line["event"] == "idle" and not {"run_id", "shop", "aspect"} & set(line)
    with log_context.bound(run_id="r1", shop="s"):
        text = captured("json", lambda: plugin_log.warning("busy"))
    assert json.loads(text) | {"run_id": "r1", "shop": "s"} == json.loads(text)
    assert log_context.current() == {}


#: the real root command, with one more command that logs a line as any library would
SCRIPT = """
import logging, sys
from erpsync.cli import cli
@cli.command()
def emit():
    logging.getLogger("x").warning("hello access_token=abc123")
cli([*sys.argv[1:], "emit"], prog_name="erpsync")
"""


@pytest.mark.parametrize(
    ("args", "env", "is_json"),
    [([], {}, False), (["--log-format", "json"], {}, True), ([], {"ERPSYNC_LOG_FORMAT": "json"}, True)],
)
def test_the_command_line_chooses_the_format(args: list[str], env: dict[str, str], is_json: bool) -> None:
    environ = {k: v for k, v in os.environ.items() if k != "ERPSYNC_LOG_FORMAT"} | env
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *args], capture_output=True, text=True, env=environ, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    line = done.stderr.strip()
    if is_json:
        assert json.loads(line)["event"] == "hello access_token=***"
    else:
        assert line == "WARNING x: hello access_token=***"


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_progress_lines_off_a_terminal_follow_the_log_format(fmt: str) -> None:
    # stderr carries the run's progress lines beside its log lines: with JSON logs a plain
    # progress line among them would break a reader of one JSON object a line
    from rich.console import Console

    from erpsync import render
    from erpsync.logs import setup_logging

    out = io.StringIO()
    setup_logging(0, fmt)  # type: ignore[arg-type]
    try:
        with render.progress(Console(file=out, width=200, soft_wrap=True)) as say:
            say("acme: pickup: reading [warehouses]")
    finally:
        setup_logging(0, "text")
    (line,) = out.getvalue().splitlines()
    if fmt == "json":
        record = json.loads(line)
        assert (record["event"], record["logger"], record["level"]) == (
            "acme: pickup: reading [warehouses]",
            "erpsync.progress",
            "info",
        )
    else:
        assert line == "acme: pickup: reading [warehouses]"
