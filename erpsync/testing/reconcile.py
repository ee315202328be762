"""A whole run against a plugin's ERP: the sandbox as Seller Center, plan → apply → plan.

What the contract suite cannot show is whether erpsync, driving the connector, ends in sync:
that the records it reads match Seller Center's warehouses, that the corrections it plans are
ones the connector accepts, and that after ``--apply`` the next plan finds nothing. This runs
the real ``Syncer`` against the sandbox's demo shop, as ``erpsync reconcile`` would.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from erpsync.core.connector import ShopContext
from erpsync.core.models import RunReport, Warehouse
from erpsync.core.store import Store
from erpsync.plugins.manager import PluginManager, Registry, build_registry, get_plugin_manager, load_settings
from erpsync.sandbox import SandboxServer
from erpsync.sync import Syncer

#: the demo scenario's app and shop (erpsync/sandbox/scenarios/demo.json); its token never expires
DEMO_APP_KEY = "demo-app-key"
DEMO_APP_SECRET = "demo-app-secret"
DEMO_ACCESS_TOKEN = "demo-access-token"
DEMO_SHOP_ID = "7495000000000000001"
SHOP = "shop"


@dataclass
class SandboxSeller:
    """The sandbox serving the demo shop on loopback, and what a config needs to reach it."""

    server: SandboxServer

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def shop_id(self) -> str:
        return DEMO_SHOP_ID

    @property
    def seller_options(self) -> dict[str, Any]:
        """The ``[shops.seller]`` table for the demo shop (``type`` included)."""
        return {
            "type": "tiktok",
            "base_url": self.url,
            "app_key": DEMO_APP_KEY,
            "app_secret": DEMO_APP_SECRET,
            "access_token": DEMO_ACCESS_TOKEN,
            "shop_id": DEMO_SHOP_ID,
        }

    def warehouses(self) -> list[Warehouse]:
        """Seller Center's warehouses as erpsync reads them: seed the ERP from these to start in sync."""
        registry = build_registry(get_plugin_manager(entrypoints=False))
        options = {k: v for k, v in self.seller_options.items() if k != "type"}
        seller = registry.connectors["tiktok"](options, shop=ShopContext(SHOP, Path.cwd()))
        try:
            return list(seller.list_warehouses().items)
        finally:
            seller.close()

    def admin(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """Call the sandbox's admin API (``/_sandbox/...``: Seller Center saves, the virtual clock)."""
        r = requests.request(method, f"{self.url}/_sandbox/{path.lstrip('/')}", json=body, timeout=10)
        r.raise_for_status()
        return r.json()["data"]


@dataclass
class Reconciliation:
    """The three reports of plan → apply → plan, and the config they ran with."""

    plan: RunReport
    applied: RunReport
    replan: RunReport
    config: Path
    alerts: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Reconciler:
    """``reconcile(erp_options)`` runs plan → apply → plan with the plugin's ERP connector."""

    sandbox: SandboxSeller
    plugin: object
    pm: PluginManager
    registry: Registry
    store: Store
    workdir: Path

    def erp_types(self) -> list[str]:
        """The ERP connectors the plugin under test registered."""
        name = self.pm.get_name(self.plugin)
        return [
            n
            for (kind, n), owner in self.registry.owners.items()
            if kind == "connector" and owner == name and self.registry.connectors[n].role == "erp"
        ]

    def __call__(
        self,
        erp_options: Mapping[str, Any],
        *,
        erp_type: str | None = None,
        aspects: Sequence[str] | None = None,
        extra_toml: str = "",
    ) -> Reconciliation:
        """Run plan, apply, plan; ``erp_type`` defaults to the plugin's one ERP connector."""
        erp_type = erp_type or self._only_erp_type()
        config = self.workdir / "erpsync.toml"
        config.write_text(
            render_config(self.sandbox.seller_options, {"type": erp_type, **erp_options}, self.store.url, aspects)
            + extra_toml,
            encoding="utf-8",
        )
        settings = load_settings(config, self.registry)
        # its own Store on the same database: Syncer.close() closes it, the fixture's stays open
        syncer = Syncer(settings, pm=self.pm, registry=self.registry, store=Store.open(self.store.url))
        try:
            plan = syncer.run()
            applied = syncer.run(apply=True)
            replan = syncer.run()
        finally:
            syncer.close()
        alerts_file = self.workdir / "alerts.jsonl"
        lines = alerts_file.read_text(encoding="utf-8").splitlines() if alerts_file.exists() else []
        return Reconciliation(plan, applied, replan, config, [json.loads(line) for line in lines])

    def _only_erp_type(self) -> str:
        types = self.erp_types()
        if len(types) != 1:
            found = ", ".join(types) or "none"
            raise ValueError(f"the plugin registers {len(types)} ERP connectors ({found}): pass erp_type=")
        return types[0]


def render_config(
    seller: Mapping[str, Any], erp: Mapping[str, Any], state_url: str, aspects: Sequence[str] | None = None
) -> str:
    """The TOML of a one-shop config; alerts go to ``alerts.jsonl`` beside it."""
    lines = [f"[state]\nurl = {toml_value(state_url)}", "", "[[shops]]", f"name = {toml_value(SHOP)}"]
    if aspects is not None:
        lines.append(f"aspects = {toml_value(list(aspects))}")
    for table, options in (("seller", seller), ("erp", erp)):
        lines += ["", f"[shops.{table}]", *(f"{k} = {toml_value(v)}" for k, v in options.items())]
    lines += ["", "[[alerts]]", 'type = "jsonl"', 'path = "alerts.jsonl"', ""]
    return "\n".join(lines)


def toml_value(value: Any) -> str:
    """One option value as TOML: strings, numbers, booleans, lists and tables of them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str | Path):
        return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as a TOML option value")
