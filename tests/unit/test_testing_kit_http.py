"""The contract suite for an ERP over HTTP: a REST connector written as the plugin guide writes it.

The "system" is Acme ERP's REST API, served by ``responses`` from a dict of rows (HTTP unit
tests stage HTTP with ``responses``; nothing below the connector's own HTTP client is replaced).
Failures come from ``erpsync.testing.http_failure``, which stages 503 and 400 on the same
URL, and the connector's token must never show in an error, though the API echoes it back in
its error pages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import responses

from erpsync import sdk
from erpsync.core.http import HttpPolicy
from erpsync.testing import ErpConnectorContract, Kind, Operation, http_failure

URL = "http://acme.example/api"
TOKEN = "acme-tok-SECRET-1234"
FIELDS = {
    "contact_person": "contact", "phone": "mobile", "region_code": "country", "state": "province",
    "city": "city", "district": "district", "street": "address", "postal_code": "zip",
}  # fmt: skip


class AcmeOptions(sdk.HttpErpOptions):
    company = sdk.fields.String(required=True)


class AcmeErp(sdk.HttpErpConnector):
    type = "acme"
    Options = AcmeOptions
    capabilities = ("warehouses", "addresses", "handover")

    def list_warehouses(self) -> sdk.Records[sdk.Warehouse]:
        body = self.get_json("/warehouses", operation="list warehouses", params={"company": self.options["company"]})
        return sdk.collect_records(body["data"], self._warehouse, source="acme /warehouses")

    def _warehouse(self, row: Mapping[str, Any]) -> sdk.Warehouse:
        mode = sdk.HandoverMode.parse(row["handover"]) if row.get("handover") else None
        if not str(row.get("mobile", "")).isdigit():
            raise sdk.RecordError("not a phone number", field="phone")
        address = sdk.Address(**{ours: str(row.get(theirs) or "") for ours, theirs in FIELDS.items()})
        return sdk.Warehouse(str(row["id"]), row["name"], address, mode, row.get("tts_id"))

    def set_warehouse_address(self, warehouse_id: str, changes: Mapping[str, str]) -> None:
        body = {FIELDS[name]: value for name, value in changes.items()}
        self.send_json("PATCH", f"/warehouses/{warehouse_id}", body, operation="set address")

    def set_handover_mode(self, warehouse_id: str, mode: sdk.HandoverMode) -> None:
        body = {"handover": mode.label}
        self.send_json("PUT", f"/warehouses/{warehouse_id}/handover", body, operation="set handover")


@dataclass
class AcmeApi:
    """Acme ERP's REST API over a dict of rows, as ``responses`` callbacks."""

    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    url: str = URL

    def answer(self, request: Any) -> tuple[int, dict[str, str], str]:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return 401, {}, json.dumps({"error": f"bad token {request.headers.get('Authorization')}"})
        path = request.path_url.split("?")[0].removeprefix("/api")
        if request.method == "GET" and path == "/warehouses":
            return 200, {}, json.dumps({"data": list(self.rows.values())})
        match = re.fullmatch(r"/warehouses/([^/]+)(/handover)?", path)
        if not match or match[1] not in self.rows:
            return 404, {}, json.dumps({"error": f"no such warehouse (your token: {TOKEN})"})
        self.rows[match[1]].update(json.loads(request.body))
        return 200, {}, ""


def acme_row(w: sdk.Warehouse) -> dict[str, Any]:
    row = {"id": w.id, "name": w.name, "tts_id": w.seller_warehouse_id}
    row["handover"] = w.handover_mode.label if w.handover_mode else ""
    return row | {theirs: getattr(w.address, ours) for ours, theirs in FIELDS.items()}


class TestAcmeErp(ErpConnectorContract):
    @pytest.fixture
    def erp_system(self) -> Iterator[AcmeApi]:
        api = AcmeApi()
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            for method in ("GET", "PATCH", "PUT"):
                mock.add_callback(method, re.compile(re.escape(URL) + r"/.*"), callback=api.answer)
            yield api

    def build_connector(self, system: AcmeApi) -> AcmeErp:
        options = AcmeOptions().load({"base_url": system.url, "token": TOKEN, "company": "C01"})
        connector = AcmeErp(options, shop=sdk.ShopContext("shop", Path.cwd()))
        connector.policy = HttpPolicy(max_attempts=1)  # a 503 is raised at once, not retried
        return connector

    def seed(self, system: AcmeApi, warehouses: Sequence[sdk.Warehouse]) -> None:
        system.rows = {w.id: acme_row(w) for w in warehouses}

    def seed_malformed(self, system: AcmeApi, warehouses: Sequence[sdk.Warehouse]) -> None:
        self.seed(system, warehouses)
        system.rows["WH-BAD"] = {**acme_row(warehouses[0]), "id": "WH-BAD", "mobile": "call me"}

    def fail(self, system: AcmeApi, kind: Kind, operation: Operation) -> Any:
        return http_failure(system.url, kind, body=f"error while serving token {TOKEN}")
