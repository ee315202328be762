"""``erpsync bindings``: the configured and kept warehouse matches, and forgetting kept ones."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from erpsync.cli import State, cli, main
from erpsync.core.errors import ErpsyncError, UsageError
from erpsync.core.store import Store
from erpsync.plugins.manager import get_plugin_manager

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "erp").mkdir()
    path = tmp_path / "erpsync.toml"
    shop = (
        '[[shops]]\nname = "{name}"\n[shops.seller]\ntype = "tiktok"\n'
        'app_key = "k"\napp_secret = "s3cr3t-value"\nshop_id = "1"\n'
        '[shops.erp]\ntype = "files"\npath = "erp"\n'
    )
    path.write_text(
        shop.format(name="acme") + '[shops.bindings]\nE9 = "W9"\n' + shop.format(name="beta"), encoding="utf-8"
    )
    with Store.open(f"sqlite:///{tmp_path / '.erpsync' / 'state.db'}") as store:
        store.bindings.bind_many("acme", "warehouse", {"E1": "W1", "E2": "W2"}, now=T0)
        store.bindings.bind_many("beta", "warehouse", {"E1": "X1"}, now=T0)
        store.bindings.bind_many("acme", "product", {"P1": "tt-1"}, now=T0)  # not a warehouse match
    return path


def invoke(config: Path, *args: str) -> tuple[int, str]:
    state = State(str(config), pm=get_plugin_manager(entrypoints=False))
    result = CliRunner().invoke(cli, ["-c", str(config), "bindings", *args], obj=state, catch_exceptions=False)
    return result.exit_code, result.output


def test_lists_configured_and_kept_matches_per_shop(config: Path) -> None:
    code, out = invoke(config, "--format", "json")
    assert code == 0
    rows = [(r["shop"], r["erp_id"], r["seller_id"], r["from"]) for r in json.loads(out)["bindings"]]
    assert rows == [
        ("acme", "E9", "W9", "config"),
        ("acme", "E1", "W1", "kept"),
        ("acme", "E2", "W2", "kept"),
        ("beta", "E1", "X1", "kept"),
    ]
    code, out = invoke(config, "--shop", "beta")
    assert code == 0 and "X1" in out and "W1" not in out and "kept since 2026-03-01 08:00" in out


def test_forget_one_then_all(config: Path) -> None:
    code, out = invoke(config, "--shop", "acme", "--forget", "E1")
    assert (code, out.strip()) == (0, "acme: forgot 1 kept match")
    code, out = invoke(config, "--shop", "acme", "--forget-all")
    assert (code, out.strip()) == (0, "acme: forgot 1 kept match")
    _, out = invoke(config, "--format", "json")
    assert [r["erp_id"] for r in json.loads(out)["bindings"] if r["shop"] == "acme"] == ["E9"]  # config stays


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--forget", "E1"), "--forget, --forget-all and --forget-listing need exactly one --shop"),
        (("--forget-listing", "P2"), "--forget, --forget-all and --forget-listing need exactly one --shop"),
        (("--shop", "acme", "--forget", "E1", "--forget-all"), "give one of"),
        (("--shop", "acme", "--forget", "E1", "--forget-listing", "P2"), "give one of"),
        (("--shop", "acme", "--listings", "--forget", "E1"), "use --forget-listing with --listings"),
        (("--shop", "acme", "--forget", "E1", "--wait", "5"), "--wait goes with --forget-listing"),
        (("--shop", "nosuch"), "unknown shop 'nosuch'"),
    ],
)
def test_usage_errors(config: Path, args: tuple[str, ...], message: str) -> None:
    with pytest.raises(UsageError, match=message):  # the entry point turns it into exit code 64
        invoke(config, *args)


def test_a_long_id_is_whole_in_the_table_off_a_terminal(config: Path, tmp_path: Path) -> None:
    """Piped (``| cat``), the table is not cut to 80 columns: an id cut with … cannot be given
    to --forget."""
    long_id = "ERP-WAREHOUSE-" + "0123456789" * 8
    with Store.open(f"sqlite:///{tmp_path / '.erpsync' / 'state.db'}") as store:
        store.bindings.bind_many("acme", "warehouse", {long_id: "W-" + "9" * 40}, now=T0)
    code, out = invoke(config)
    assert code == 0 and long_id in out and "W-" + "9" * 40 in out


def keep_listing(state_db: Path) -> None:
    """ERP product P2 bound to Seller Center product tt-2 with two SKUs, their price and stock
    pushed, and its fingerprint kept; MUG's row names no product (written by an older version)."""
    with Store.open(f"sqlite:///{state_db}") as store:
        put = store.bindings.put
        put("acme", "product", "P2", seller_id="tt-2", last_pushed_hash="content-2", now=T0)
        put("acme", "source", "P2", seller_id="tt-2", last_pushed_hash="fp-2", now=T0)
        for sku, sku_id in (("SHIRT-S", "s-1"), ("SHIRT-M", "s-2")):
            put("acme", "sku", sku, seller_id=sku_id, last_pushed_hash="tt-2", now=T0)
            put("acme", "price", sku, seller_id=sku_id, last_pushed_hash="12.5 USD", now=T0)
            put("acme", "inventory", sku, seller_id=sku_id, last_pushed_hash="WH=5", now=T0)
        put("acme", "sku", "MUG", seller_id="s-9", last_pushed_hash=None, now=T0)


def test_listings_lists_each_erp_product_with_its_seller_center_product_and_skus(config: Path, tmp_path: Path) -> None:
    keep_listing(tmp_path / ".erpsync" / "state.db")
    code, out = invoke(config, "--listings", "--format", "json")
    assert code == 0
    assert json.loads(out)["listings"] == [
        {"shop": "acme", "erp_id": "P1", "product_id": "tt-1", "skus": {}, "since": T0.isoformat()},
        {
            "shop": "acme",
            "erp_id": "P2",
            "product_id": "tt-2",
            "skus": {"SHIRT-M": "s-2", "SHIRT-S": "s-1"},
            "since": T0.isoformat(),
        },
    ]
    code, out = invoke(config, "--listings", "--shop", "acme")
    assert code == 0 and "tt-2" in out and "SHIRT-S = s-1" in out and "SHIRT-M = s-2" in out
    assert "W1" not in out  # warehouse matches are not listing bindings
    code, out = invoke(config, "--listings", "--shop", "beta")
    assert (code, out.startswith("No listing bindings")) == (0, True)


def test_forget_listing_drops_the_binding_and_its_fingerprint_and_keeps_what_was_pushed(
    config: Path, tmp_path: Path
) -> None:
    """The product row and its fingerprint go; the SKU ids and the price and stock pushed to them
    stay (the next product found with those SKU ids takes them), and the content hash pushed to
    the listing is kept for the product found in it next."""
    state_db = tmp_path / ".erpsync" / "state.db"
    keep_listing(state_db)
    code, out = invoke(config, "--shop", "acme", "--forget-listing", "P2")
    assert code == 0
    assert out.strip() == (
        "acme: forgot ERP product P2's listing (Seller Center product tt-2); the next run finds it by seller_sku"
    )
    with Store.open(f"sqlite:///{state_db}") as store:
        rows = {e: store.bindings.for_entity("acme", e) for e in ("product", "source", "sku", "price", "inventory")}
        forgotten = store.bindings.for_entity("acme", "forgotten")
    assert set(rows["product"]) == {"P1"} and rows["source"] == {}
    assert {k: (r.seller_id, r.last_pushed_hash) for k, r in rows["price"].items()} == {
        "SHIRT-S": ("s-1", "12.5 USD"),
        "SHIRT-M": ("s-2", "12.5 USD"),
    }
    assert set(rows["sku"]) == {"SHIRT-S", "SHIRT-M", "MUG"} and set(rows["inventory"]) == {"SHIRT-S", "SHIRT-M"}
    assert {k: (r.seller_id, r.last_pushed_hash) for k, r in forgotten.items()} == {"tt-2": ("P2", "content-2")}
    _, out = invoke(config, "--listings", "--format", "json")
    assert [r["erp_id"] for r in json.loads(out)["listings"]] == ["P1"]
    with Store.open(f"sqlite:///{state_db}") as store:
        assert store.leases.get("shop:acme") is None  # the lease it forgot under is given back


def test_forget_listing_of_an_unknown_product_is_an_error_and_forgets_nothing(config: Path, tmp_path: Path) -> None:
    keep_listing(tmp_path / ".erpsync" / "state.db")
    with pytest.raises(ErpsyncError, match=r"no listing binding for ERP product 'P9'") as raised:
        invoke(config, "--shop", "acme", "--forget-listing", "P2", "--forget-listing", "P9")
    assert type(raised.value) is ErpsyncError  # the entry point turns it into exit code 1
    _, out = invoke(config, "--listings", "--format", "json")
    assert [r["erp_id"] for r in json.loads(out)["listings"]] == ["P1", "P2"]


def test_forget_listing_of_an_unknown_product_exits_1(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["-c", str(config), "bindings", "--shop", "acme", "--forget-listing", "E1"])
    err = capsys.readouterr().err
    assert info.value.code == 1, err
    assert "no listing binding for ERP product 'E1'" in err and "erpsync bindings --listings" in err


def test_forget_listing_while_a_run_holds_the_shop_exits_1_and_forgets_nothing(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run working on the shop would write the binding back with its next edit: the command
    refuses, naming the run and `erpsync unlock`, rather than print "forgot"."""
    state_db = tmp_path / ".erpsync" / "state.db"
    keep_listing(state_db)
    with Store.open(f"sqlite:///{state_db}") as store:  # held by this live process: no dead holder to take over
        assert store.leases.acquire("shop:acme", owner="run-1", ttl_seconds=60, now=datetime.now(UTC))
    with pytest.raises(SystemExit) as info:
        main(["-c", str(config), "bindings", "--shop", "acme", "--forget-listing", "P2"])
    err = capsys.readouterr().err
    assert info.value.code == 1, err
    assert "no listing forgotten" in err and "held by run-1" in err and "erpsync unlock --shop acme" in err
    _, out = invoke(config, "--listings", "--format", "json")
    assert [r["erp_id"] for r in json.loads(out)["listings"]] == ["P1", "P2"]
