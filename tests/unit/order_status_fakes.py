"""In-memory order connectors for the order_status aspect's host-level tests (``Syncer`` with the
real store and plugin manager): a seller that lists orders (and one that also reads them by id)
and ERP order books, one recording any order and one holding only the orders imported into it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from marshmallow import Schema

from erpsync.core.connector import Connector
from erpsync.core.models import AspectReport, Records
from erpsync.core.orders import ErpOrderStatus, SellerOrder
from erpsync.plugins import hookimpl
from erpsync.plugins.manager import build_registry, get_plugin_manager, load_settings
from erpsync.sync import Syncer

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class Orders(Connector):
    type = "orders-seller"
    role = "seller"
    orders: tuple[SellerOrder, ...] = ()
    reads: ClassVar[list[datetime | None]] = []

    class Options(Schema):
        pass

    def read_orders(self, *, statuses=(), updated_since=None, updated_before=None):
        Orders.reads.append(updated_since)
        return Records(
            tuple(
                o
                for o in Orders.orders
                if (updated_since is None or o.update_time >= updated_since)
                and (updated_before is None or o.update_time < updated_before)
            )
        )

    def list_warehouses(self):
        return Records(())

    def check(self) -> str:
        return "orders"


class OrdersById(Orders):
    """A seller that also reads orders by id (Get Order Detail), as TikTok's connector does."""

    type = "orders-by-id-seller"
    asked: ClassVar[list[list[str]]] = []

    def read_orders_by_id(self, order_ids):
        OrdersById.asked.append(list(order_ids))
        return Records(tuple(o for o in Orders.orders if o.id in order_ids))


class Book(Connector):
    """An ERP order book; ``keeps`` False: it accepts a write and keeps nothing (a field that
    silently ignores writes)."""

    type = "order-book"
    role = "erp"
    held: ClassVar[dict[str, ErpOrderStatus]] = {}
    keeps = True

    class Options(Schema):
        pass

    def order_statuses(self, order_ids):
        return Records(tuple(Book.held[i] for i in order_ids if i in Book.held))

    def set_order_status(self, order_id, status, updated_at):
        if Book.keeps:
            Book.held[order_id] = ErpOrderStatus(order_id, status, updated_at)

    def list_warehouses(self):
        return Records(())

    def check(self) -> str:
        return "book"


class OwnBook(Book):
    """An ERP holding only the orders imported into it (Odoo's and Tryton's sale orders): it
    answers each imported order, with status "" while nothing is recorded, and no other."""

    type = "own-order-book"
    own_orders_only = True
    imported: ClassVar[set[str]] = set()

    def order_statuses(self, order_ids):
        return Records(tuple(Book.held.get(i, ErpOrderStatus(i, "", None)) for i in order_ids if i in OwnBook.imported))

    def set_order_status(self, order_id, status, updated_at):
        assert order_id in OwnBook.imported, f"{order_id} is not this ERP's order"
        super().set_order_status(order_id, status, updated_at)


class Plugin:
    @hookimpl
    def register_connectors(self, register):
        register(Orders)
        register(OrdersById)
        register(Book)
        register(OwnBook)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def syncer(
    tmp_path, policy: str = "seller", seller: str = "orders-seller", erp: str = "order-book", table: str = ""
) -> tuple[Syncer, Clock]:
    """A Syncer of one shop "s" running order_status; ``table``: lines of ``[aspects.order_status]``."""
    Orders.orders, Orders.reads, Book.held, Book.keeps, OwnBook.imported = (), [], {}, True, set()
    (tmp_path / "erpsync.toml").write_text(
        f'[[shops]]\nname = "s"\naspects = ["order_status"]\n[shops.seller]\ntype = "{seller}"\n'
        f'[shops.erp]\ntype = "{erp}"\n[policy]\norder_status = "{policy}"\n'
        + (f"[aspects.order_status]\n{table}\n" if table else ""),
        encoding="utf-8",
    )
    pm = get_plugin_manager(entrypoints=False, extra=[Plugin()])
    registry = build_registry(pm)
    clock = Clock()
    return Syncer(load_settings(tmp_path / "erpsync.toml", registry), pm=pm, registry=registry, clock=clock), clock


def order_status(sync: Syncer) -> AspectReport:
    return next(a for a in sync.run(apply=True).shops[0].aspects if a.aspect == "order_status")


def by_id_syncer(tmp_path, policy: str, erp: str = "order-book", table: str = "") -> tuple[Syncer, Clock]:
    OrdersById.asked = []
    return syncer(tmp_path, policy, seller=OrdersById.type, erp=erp, table=table)
