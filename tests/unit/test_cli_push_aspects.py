"""``erpsync push`` takes the aspects that push from the ERP; the built-in ones that do not push
are refused naming ``erpsync reconcile``, and a plugin's aspect is taken at its word.

``push warehouse_address`` used to run the aspect like ``reconcile --apply --aspect
warehouse_address`` and print push counts ("0 pushed ...") for corrections that are no push.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from files_shop_config import write_config

from erpsync.cli import State, cli, main
from erpsync.core.aspects.base import Aspect, Decide, Observation, ObserveContext
from erpsync.core.connector import Connector
from erpsync.core.models import Action, Drift
from erpsync.plugins import hookimpl
from erpsync.plugins.manager import get_plugin_manager


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path)


@pytest.mark.parametrize("aspect", ["warehouse_address", "pickup", "order_status", "ship_by"])
def test_a_built_in_aspect_that_does_not_push_is_a_usage_error_naming_reconcile(
    config: Path, aspect: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main(["-c", str(config), "push", aspect])
    err = capsys.readouterr().err
    assert info.value.code == 64, err
    assert f"{aspect} pushes nothing from the ERP" in err and f"erpsync reconcile --aspect {aspect}" in err
    assert not (config.parent / ".erpsync").exists()  # refused before any work: no store opened


class Shelf(Aspect):
    """A plugin's pushing aspect with nothing to push."""

    name = "shelf"

    def observe(self, ctx: ObserveContext) -> Observation:
        return Observation(shop=ctx.shop, now=ctx.now, scope=set())

    def diff(self, observation: Observation) -> list[Drift]:
        return []

    def plan(self, drifts: list[Drift], decide: Decide, observation: Observation) -> list[Action]:
        return []

    def apply(self, action: Action, seller: Connector, erp: Connector) -> None:
        return None


class ShelfPlugin:
    @hookimpl
    def register_aspects(self, register: Callable[[Aspect], None]) -> None:
        register(Shelf())


def test_a_plugin_s_aspect_is_pushed(config: Path) -> None:
    pm = get_plugin_manager(entrypoints=False)
    pm.register(ShelfPlugin(), name="shelf")
    result = CliRunner().invoke(cli, ["-c", str(config), "push", "shelf"], obj=State(str(config), pm=pm))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["acme: 0 pushed, 0 already done, 0 failed, 0 skipped: nothing to push"]


def test_help_names_the_aspects_push_takes(config: Path) -> None:
    shown = " ".join(CliRunner().invoke(cli, ["push", "--help"]).output.split())  # unwrapped
    assert "listings, tracking or an aspect a plugin adds" in shown and "erpsync reconcile --aspect" in shown
    assert "not run" in shown
