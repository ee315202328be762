"""The quickstart connector of docs/plugins.md, run as written against a REST ERP served by ``responses``.

The code is taken from the page itself, so the page cannot drift from what works: it must stay
within 60 lines, import nothing of erpsync but ``erpsync.sdk``, pass the registration checks, and
read, write and fail the way the page says.
"""

from __future__ import annotations

import ast
import hashlib
import hmac
import json
import re
import types
from pathlib import Path
from typing import Any

import pytest
import responses

from erpsync import sdk
from erpsync.plugins.manager import build_registry, get_plugin_manager

DOC = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
BASE = "http://acme.test/api"
ROWS = [
    {
        "id": 7,
        "name": "东莞仓",
        "tts_id": "W1",
        "contact": "王伟",
        "mobile": "13800138000",
        "country": "CN",
        "province": "广东省",
        "city": "东莞市",
        "district": "长安镇",
        "address": "振安路1号",
        "zip": "523850",
        "handover": "PICK UP",
    },
    {"id": 8, "tts_id": "W2", "handover": "DROP OFF"},  # no name: malformed
    {"id": 9, "name": "广州仓", "handover": "by courier"},  # an unknown handover mode
]


def quickstart_source() -> str:
    section = DOC.read_text(encoding="utf-8").split("## Quickstart", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.fixture
def acme() -> types.ModuleType:
    module = types.ModuleType("erpsync_acme")
    exec(compile(quickstart_source(), "docs/plugins.md", "exec"), module.__dict__)
    return module


def make(acme: types.ModuleType, **options: Any) -> Any:
    loaded = acme.AcmeOptions().load({"base_url": BASE, "company": "C01", **options})
    policy = sdk.HttpPolicy(max_attempts=1)  # one attempt: the mapping of each status is under test
    cls = type("AcmeOnce", (acme.AcmeErp,), {"policy": policy})
    return cls(loaded, shop=sdk.ShopContext("s", Path(".")))


def test_the_quickstart_is_short_and_uses_only_the_sdk():
    source = quickstart_source()
    assert len(source.splitlines()) <= 60
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            imported.add(node.module if node.module != "erpsync" else f"erpsync.{node.names[0].name}")
        elif isinstance(node, ast.Import):
            imported.update(a.name for a in node.names)
    assert {m for m in imported if m.startswith("erpsync")} == {"erpsync.sdk"}


def test_the_quickstart_registers_with_its_capabilities(acme):
    registry = build_registry(get_plugin_manager(entrypoints=False, extra=[acme]))
    assert registry.connectors["acme"] is acme.AcmeErp
    assert registry.connectors_for("erp").keys() == {"files", "tryton", "odoo", "rest", "acme"}


@responses.activate
def test_it_reads_warehouses_and_reports_each_malformed_one(acme):
    responses.get(f"{BASE}/warehouses", json={"data": ROWS})
    records = make(acme, token="s3cret-token-value").list_warehouses()
    [warehouse] = records.items
    assert warehouse == sdk.Warehouse(
        "7",
        "东莞仓",
        sdk.Address("王伟", "13800138000", "CN", "广东省", "东莞市", "长安镇", "振安路1号", "523850"),
        sdk.HandoverMode.PICKUP,
        "W1",
    )
    assert [str(e) for e in records.errors] == [
        "acme /warehouses: warehouse '8': name: missing",
        "acme /warehouses: warehouse '9': unknown handover mode 'by courier' (expected PICK UP or DROP OFF)",
    ]
    request = responses.calls[0].request
    assert request.headers["Authorization"] == "Bearer s3cret-token-value"
    assert request.url == f"{BASE}/warehouses?company=C01"


@responses.activate
def test_writes_send_only_the_given_fields_in_the_erps_names(acme):
    responses.patch(f"{BASE}/warehouses/7", json={"ok": True})
    responses.put(f"{BASE}/warehouses/7/handover", body=b"")
    erp = make(acme)
    erp.set_warehouse_address("7", {"phone": "13900139000", "street": "振安路2号"})
    erp.set_handover_mode("7", sdk.HandoverMode.DROP_OFF)
    assert json.loads(responses.calls[0].request.body) == {"mobile": "13900139000", "address": "振安路2号"}
    assert json.loads(responses.calls[1].request.body) == {"handover": "DROP OFF"}
    assert "Authorization" not in responses.calls[0].request.headers  # no credentials configured, none sent


STATUSES = [(401, sdk.AuthError), (403, sdk.AuthError), (404, sdk.NotFoundError), (400, sdk.PermanentError)]
STATUSES += [(429, sdk.TemporaryError), (503, sdk.TemporaryError)]


@pytest.mark.parametrize(("status", "error"), STATUSES)
@responses.activate
def test_http_failures_map_to_the_error_tree_without_the_secret(acme, status, error):
    token = "s3cret-token-value"
    responses.get(f"{BASE}/warehouses", status=status, body=f"refused {token}")
    with pytest.raises(error) as info:
        make(acme, token=token).list_warehouses()
    assert type(info.value) is error
    assert token not in str(info.value)
    assert info.value.connector == "acme" and info.value.operation == "list warehouses"


@responses.activate
def test_an_answer_that_is_not_json_is_a_permanent_error(acme):
    responses.get(f"{BASE}/warehouses", body="<html>maintenance</html>")
    with pytest.raises(sdk.PermanentError, match="not JSON"):
        make(acme).list_warehouses()


@responses.activate
def test_hmac_signs_each_request(acme):
    secret = "hmac-secret-0123456789"
    responses.patch(f"{BASE}/warehouses/7", json={})
    make(acme, hmac_secret=secret, hmac_key_id="k1").set_warehouse_address("7", {"city": "东莞市"})
    request = responses.calls[0].request
    body = request.body if isinstance(request.body, bytes) else request.body.encode()
    timestamp = request.headers["X-Timestamp"]
    message = f"{timestamp}\nPATCH\n/api/warehouses/7\n{hashlib.sha256(body).hexdigest()}".encode()
    assert request.headers["X-Signature"] == hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    assert request.headers["X-Key-Id"] == "k1"
    assert "Authorization" not in request.headers


def test_options_refuse_two_credentials_and_mark_both_secret(acme):
    with pytest.raises(sdk.ValidationError, match="not both"):
        acme.AcmeOptions().load({"base_url": BASE, "company": "C", "token": "a" * 9, "hmac_secret": "b" * 9})
    assert set(acme.AcmeErp.secret_options) == {"token", "hmac_secret"}


@responses.activate
def test_check_summarises_and_close_is_safe_twice(acme):
    responses.get(f"{BASE}/warehouses", json={"data": ROWS})
    erp = make(acme)
    assert erp.check() == "acme: 1 warehouse, 2 malformed"
    erp.close()
    erp.close()
