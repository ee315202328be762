"""Issue-3 sandbox parts without HTTP: loopback guard, webhook signing, image sniffing, paging, scenarios."""

from __future__ import annotations

import hashlib
import hmac
import struct
from typing import Any

import pytest

from erpsync.sandbox import SandboxApp
from erpsync.sandbox.envelope import SandboxError
from erpsync.sandbox.paging import decode, encode, page
from erpsync.sandbox.scenario import build_world, resolve_source
from erpsync.sandbox.scenario_values import ScenarioError, parse_duration
from erpsync.sandbox.uploads import image_size
from erpsync.sandbox.webhook_data import FIELDS, complete
from erpsync.sandbox.webhooks import check_loopback, sign_webhook


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/x", "http://127.9.9.9/", "https://localhost/h", "http://[::1]:1/"]
)
def test_loopback_urls_pass(url: str) -> None:
    assert check_loopback(url) == url


@pytest.mark.parametrize(
    "url", ["http://10.1.2.3/", "http://example.com/", "http://0.0.0.0/", "ftp://127.0.0.1/", "127.0.0.1:80", ""]
)
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError):
        check_loopback(url)


def test_webhook_signature_is_hmac_of_app_key_and_body() -> None:
    body = b'{"type":1}'
    assert sign_webhook("k", "s", body) == hmac.new(b"s", b"k" + body, hashlib.sha256).hexdigest()


def test_image_sniffing() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + struct.pack(">II", 3, 2) + b"\x08\x02\x00\x00\x00"
    assert image_size(png) == ("png", 3, 2)
    assert image_size(b"GIF89a" + struct.pack("<HH", 5, 7)) == ("gif", 5, 7)
    jpeg = (
        b"\xff\xd8" + b"\xff\xe0\x00\x04\x00\x00" + b"\xff\xc0\x00\x11\x08" + struct.pack(">HH", 10, 20) + b"\x00" * 8
    )
    assert image_size(jpeg) == ("jpeg", 20, 10)
    assert image_size(b"hello") is None


def test_keyset_paging_survives_inserts_and_rejects_foreign_tokens() -> None:
    rows = [(t, str(t)) for t in range(10)]
    first, token = page(rows, {"page_size": "4"}, 100, "s", lambda r: r, False)
    assert first == rows[:4] and token
    rows.insert(0, (-1, "-1"))  # an insert before the cursor does not shift the next page
    second, _ = page(rows, {"page_size": "4", "page_token": token}, 100, "s", lambda r: r, False)
    assert second == [(t, str(t)) for t in range(4, 8)]
    assert decode(encode("s", [1, "a"]), "s") == [1, "a"]
    with pytest.raises(SandboxError):
        decode(encode("other", [1]), "s")
    with pytest.raises(SandboxError):
        page(rows, {"page_size": "101"}, 100, "s", lambda r: r, False)


def test_durations() -> None:
    assert (
        parse_duration("7d", "x") == 7 * 86400 and parse_duration("1h30m", "x") == 5400 and parse_duration(5, "x") == 5
    )
    with pytest.raises(ScenarioError, match="x"):
        parse_duration("-1d", "x")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"webhook_url": "http://192.168.1.1/"}, "webhook_url"),
        ({"delivery_options": [{"id": "1", "name": "n", "type": "FAST"}]}, r"delivery_options\[0\].type"),
        ({"products": [{"id": "1", "warehouse_id": "nope"}]}, r"products\[0\].warehouse_id"),
        ({"audit_rules": [{"reasons": ["r"]}]}, r"audit_rules\[0\]"),
        ({"audit_delay_seconds": "soon"}, "audit_delay_seconds"),
    ],
)
def test_commerce_scenario_errors_name_the_location(change: dict[str, Any], message: str) -> None:
    data = resolve_source("default")
    data.update(change)
    with pytest.raises(ScenarioError, match=message):
        build_world(data, 1_700_000_000)


def test_builtin_scenarios_have_commerce_data() -> None:
    for name in ("default", "demo"):
        app = SandboxApp(name)
        world = app.state.world
        assert world.products and world.delivery_options and world.audit_rules
        assert any(t.refresh_token for a in world.apps.values() for t in a.tokens.values())
        app.close()


def test_webhook_data_fills_documented_fields_and_keeps_given_ones() -> None:
    app = SandboxApp("default")
    try:
        shop = next(iter(app.state.world.shops))
        seven = complete(app.state, 7, shop, {})
        assert set(seven) == set(FIELDS[7]) and seven["expiration_time"].isdigit() and shop in seven["message"]
        given = complete(app.state, 3, shop, {"order_id": "42", "extra": True})
        assert given["order_id"] == "42" and given["extra"] is True and "update_time" in given
        assert complete(app.state, 99, shop, {"a": 1}) == {"a": 1}  # unknown type: as given
    finally:
        app.close()


def test_admin_and_token_paths_need_no_content_type() -> None:
    from werkzeug.test import Client

    app = SandboxApp("default")
    try:
        client = Client(app)
        assert client.get("/_sandbox/state").status_code == 200
        token = client.get("/api/v2/token/get", query_string={"app_key": "x"})
        assert "content-type" not in token.get_data(as_text=True)
        signed_path = client.get("/logistics/202309/warehouses")
        assert signed_path.status_code == 400 and "content-type" in signed_path.get_data(as_text=True)
    finally:
        app.close()


@pytest.mark.parametrize(
    ("region", "length", "code"),
    [
        ("US", 255, None),
        ("US", 256, 12052051),
        ("GB", 1, None),
        ("MX", 300, None),
        ("BR", 301, 12052051),
        ("MY", 24, 12052261),
        ("MY", 25, None),
        ("SG", 256, 12052051),
    ],
)
def test_the_title_length_depends_on_the_shop_s_region(region: str, length: int, code: int | None) -> None:
    # Create Product, title: "DE, ES, FR, IE, IT, JP, UK, US: [1, 255]; BR, MX: [1, 300]; Other
    # regions: [25, 255]"
    from erpsync.sandbox.catalog_rules import product_fields

    body = {"title": "x" * length}
    if code is None:
        assert product_fields(None, body, "app", partial=True, region=region)["title"] == body["title"]  # type: ignore[arg-type]
    else:
        with pytest.raises(SandboxError) as info:
            product_fields(None, body, "app", partial=True, region=region)  # type: ignore[arg-type]
        assert info.value.code == code
