"""What an operator mistypes is refused before any work, naming the option; a busy port is one line.

``-o`` into a folder that does not exist was found only when the report was written, after the
run (and its writes, with ``--apply``), as a traceback; a ``--listen`` that is no ``host:port``
was a traceback too, or, with a port past 65535, a silent listen on another port; a port another
program holds was a traceback from the socket layer.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from erpsync.cli import State, cli
from erpsync.core.errors import ErpsyncError
from erpsync.plugins.manager import get_plugin_manager
from erpsync.service.listen import serve_on

CONFIG = (
    '[[shops]]\nname = "acme"\n[shops.seller]\ntype = "tiktok"\napp_key = "k"\napp_secret = "s3cr3t-value"\n'
    'shop_id = "1"\n[shops.erp]\ntype = "files"\npath = "erp"\n'
)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "erp").mkdir()
    path = tmp_path / "erpsync.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def invoke(config: Path, *args: str) -> tuple[int, str]:
    state = State(str(config), pm=get_plugin_manager(entrypoints=False))
    result = CliRunner().invoke(cli, ["-c", str(config), *args], obj=state)
    return result.exit_code, result.output


def test_an_output_file_in_a_missing_folder_is_refused_before_the_run(config: Path, tmp_path: Path) -> None:
    code, out = invoke(config, "reconcile", "-o", str(tmp_path / "nowhere" / "r.json"))
    assert code == 2 and "no folder" in out and "nowhere" in out  # click's usage error
    assert not (tmp_path / ".erpsync").exists()  # nothing ran: not even the state store was opened


@pytest.mark.parametrize(("command", "value"), [("ui", "bogus"), ("run", "127.0.0.1:99999"), ("ui", "host:")])
def test_a_listen_value_that_is_no_host_and_port_is_refused_naming_the_option(
    config: Path, command: str, value: str
) -> None:
    code, out = invoke(config, command, "--listen", value)
    assert code == 2 and "Invalid value for '--listen'" in out and 'use "host:port"' in out


@pytest.fixture
def busy_port() -> Iterator[int]:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    try:
        yield holder.getsockname()[1]
    finally:
        holder.close()


def test_a_port_another_program_holds_is_one_error_naming_the_address(busy_port: int) -> None:
    with pytest.raises(ErpsyncError) as caught:
        serve_on(lambda environ, start_response: [], f"127.0.0.1:{busy_port}")
    assert f"cannot listen on 127.0.0.1:{busy_port}" in str(caught.value) and "--listen" in str(caught.value)


def test_ctrl_c_before_a_run_is_under_way_exits_130(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """In the first second (loading the config, the plugins) Ctrl-C exited 1, "aborted"; the docs
    and every later moment say 130."""
    from erpsync.cli import main

    def interrupted(self: State) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(State, "settings", interrupted)
    with pytest.raises(SystemExit) as info:
        main(["-c", str(config), "reconcile"])
    assert info.value.code == 130 and "interrupted (SIGINT)" in capsys.readouterr().err
