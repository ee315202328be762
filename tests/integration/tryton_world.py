"""Fixtures for the tests that run a real Tryton server on loopback (erpsync.erp_servers.tryton).

The first server of the test process initialises a template database (tens of seconds); every later one
copies it and starts in a couple of seconds. Import the fixtures a test module needs:
``from tryton_world import tryton  # noqa: F401``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from erpsync.erp_servers.tryton import TrytonServer
from erpsync.erp_servers.tryton_seed import SUBDIVISIONS, AddressSpec, TrytonSeeder

#: the admin's password in every test server: one password, one template per test process, and long
#: enough for erpsync's config, which refuses secrets under 8 characters
PASSWORD = "tryton-admin-password"


@pytest.fixture
def tryton(tmp_path: Path) -> Iterator[TrytonServer]:
    """A Tryton server with a fresh copy of the template database, stopped after the test."""
    pytest.importorskip("trytond", reason="the tryton extra is not installed: pip install 'erpsync[tryton]'")
    with TrytonServer(tmp_path / "tryton", password=PASSWORD) as server:
        yield server


@pytest.fixture
def seeder(tryton: TrytonServer) -> TrytonSeeder:
    return TrytonSeeder(tryton)


#: the options the end-to-end tests give the Tryton connector: the address fields Tryton has no
#: name for live in fields the Chinese address formats leave out of the street (docs/erp-tryton.md)
ERP_OPTIONS = 'district_field = "post_office"\nhandover_field = "post_box"\nstock_warehouse = "WH-DG"\n'


def erp_table(server: TrytonServer, extra: str = "") -> str:
    """The ``[shops.erp]`` table of a shop whose ERP is ``server``."""
    return (
        f'[shops.erp]\ntype = "tryton"\nbase_url = "{server.url}"\ndatabase = "{server.database}"\n'
        f'login = "{server.login}"\npassword = "{server.password}"\n{ERP_OPTIONS}{extra}'
    )


def use_tryton(ws, server: TrytonServer, *, erp_extra: str = "", extra: str = "") -> None:
    """Point the workspace's shop at ``server`` instead of the files ERP (the rest of the config kept)."""
    text = ws.config.read_text(encoding="utf-8")
    start = text.index("[shops.erp]")
    end = text.find("\n[", start + 1)
    rest = text[end + 1 :] if end != -1 else ""
    ws.config.write_text(text[:start] + erp_table(server, erp_extra) + rest + extra, encoding="utf-8")


def subdivision_code(state: str) -> str:
    """The ISO code of a Chinese province as Seller Center names it (``广东省`` → ``CN-GD``)."""
    by_name = {name: code for code, name in SUBDIVISIONS.items()}
    return by_name[state]


def seed_seller_warehouses(seeder: TrytonSeeder, ws, modes: dict[str, str]) -> dict[str, int]:
    """One Tryton warehouse per Seller Center warehouse of the shop, agreeing with it; code → location id.

    ``modes`` gives each warehouse's handover mode (``post_box``); the stock module's own
    address-less warehouse is retired so that every warehouse read is one the seller has.
    """
    seeder.deactivate_warehouse("WH")
    made = {}
    for w in ws.seller_warehouses():
        a = w["address"]
        street = " ".join(a[f"address_line{n}"] for n in range(1, 5) if a.get(f"address_line{n}"))
        spec = AddressSpec(
            country=a["region_code"],
            subdivision=subdivision_code(a["state"]),
            city=a["city"],
            street=street,
            postal_code=a["postal_code"],
            attn=a["contact_person"],
            phone=a["phone_number"],
            extra={"post_office": a.get("distict", ""), "post_box": modes.get(w["id"], "")},
        )
        made[w["id"]] = seeder.warehouse(w["id"], w["name"], spec)
    return made


def warehouse_address(seeder: TrytonSeeder, code: str) -> dict:
    """The address of warehouse ``code`` as Tryton holds it now."""
    fields = ["address.street", "address.post_box", "address.post_office", "address.attn", "address.city"]
    (row,) = seeder.call("stock.location", "search_read", [["code", "=", code]], 0, None, None, fields)
    return row["address."]
