"""The quickstart ERP of docs/plugins.md in a real run: plan, apply, plan again, in sync.

The host is the real one (plugin manager, config, state store, aspects); the seller backend is an
in-memory plugin connector, and the ERP's REST API is served by ``responses`` from a dict that
the ERP's writes change, so the second plan sees what the apply wrote.
"""

from __future__ import annotations

import json
import re
import types
from pathlib import Path

import pytest
import responses
from test_sdk_quickstart import quickstart_source

from erpsync import sdk
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sync import Syncer

SELLER = sdk.Address("张伟", "13800138000", "CN", "广东省", "东莞市", "长安镇", "振安中路 88号", "523850")
BASE = "http://acme.test/api"


class Seller(sdk.Connector):
    type = "memory-seller"
    role = "seller"
    Options = sdk.Schema

    def list_warehouses(self) -> sdk.Records[sdk.Warehouse]:
        return sdk.Records((sdk.Warehouse("W1", "东莞仓", SELLER, seller_warehouse_id="W1"),))

    def check(self) -> str:
        return "memory seller"


class SellerPlugin:
    @sdk.hookimpl
    def register_connectors(self, register):
        register(Seller)


@pytest.fixture
def erp_rows() -> dict[str, dict]:
    row = {"id": "E1", "name": "东莞仓", "tts_id": "W1", "contact": "张伟", "mobile": "13900139000"}
    row |= {"country": "CN", "province": "广东省", "city": "东莞市", "district": "长安镇"}
    row |= {"address": "振安中路 88号", "zip": "523850"}
    return {"E1": row}


def serve(rows: dict[str, dict]) -> None:
    """Acme's API over ``rows``: list, and PATCH of given fields (the bearer token required)."""

    def authorised(request) -> bool:
        return request.headers.get("Authorization") == "Bearer acme-token-123"

    def listing(request):
        if not authorised(request):
            return 401, {}, "{}"
        return 200, {}, json.dumps({"data": list(rows.values())})

    def patch(request):
        if not authorised(request):
            return 401, {}, "{}"
        rows[request.path_url.rsplit("/", 1)[1]].update(json.loads(request.body))
        return 200, {}, "{}"

    responses.add_callback(responses.GET, f"{BASE}/warehouses", callback=listing)
    responses.add_callback(responses.PATCH, re.compile(rf"{re.escape(BASE)}/warehouses/\w+"), callback=patch)


@responses.activate
def test_plan_apply_plan_with_the_quickstart_erp(tmp_path: Path, erp_rows, monkeypatch):
    acme = types.ModuleType("erpsync_acme")
    exec(compile(quickstart_source(), "docs/plugins.md", "exec"), acme.__dict__)
    pm = get_plugin_manager(entrypoints=False, extra=[acme, SellerPlugin()])
    registry = build_registry(pm)
    monkeypatch.setenv("ACME_TOKEN", "acme-token-123")
    config = tmp_path / "erpsync.toml"
    config.write_text(
        '[[shops]]\nname = "s"\naspects = ["warehouse_address"]\n[shops.seller]\ntype = "memory-seller"\n'
        f'[shops.erp]\ntype = "acme"\nbase_url = "{BASE}"\ntoken = "${{ACME_TOKEN}}"\ncompany = "C01"\n'
        '[policy]\nwarehouse_address = "seller"\n[[alerts]]\ntype = "jsonl"\npath = "alerts.jsonl"\n',
        encoding="utf-8",
    )
    serve(erp_rows)
    syncer = Syncer(load_settings(config, registry), pm=pm, registry=registry)
    try:
        plan = syncer.run()
        assert [(d.field, d.seller_value, d.erp_value) for d in plan.drifts] == [
            ("phone", "13800138000", "13900139000")
        ]
        assert plan.exit_code == 2
        applied = syncer.run(apply=True)
        assert applied.exit_code == 0, applied.errors
        assert erp_rows["E1"]["mobile"] == "13800138000"
        patches = [c.request for c in responses.calls if c.request.method == "PATCH"]
        assert [json.loads(r.body) for r in patches] == [{"mobile": "13800138000"}]  # the one field, in Acme's name
        assert patches[0].path_url == "/api/warehouses/E1"  # the ERP's own id
        assert syncer.run().exit_code == 0
    finally:
        syncer.close()
    assert "acme-token-123" not in (tmp_path / "alerts.jsonl").read_text(encoding="utf-8")
