"""A state store with one shop in each state, for the status page's tests (filled through the
store's own repositories, as runs would fill it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from erpsync.core.models import Drift, Severity, Texts
from erpsync.core.store import Store

NOW = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
MARKUP = "<script>alert('x')</script>"


def drift(
    shop: str, subject: str, *, severity: Severity = Severity.WARNING, seller: str = "A", erp: str = "B"
) -> Drift:
    return Drift(
        shop=shop,
        aspect="warehouse_address",
        kind="address_mismatch",
        subject=subject,
        field="city",
        seller_value=seller,
        erp_value=erp,
        severity=severity,
        message=f"{subject}: city differs",
        why=(Texts(en="3 of 4 packages picked up", zh="4 个包裹中 3 个揽收"),),
        steps=(Texts(en="Set the city in Seller Center", zh="在卖家中心设置城市"),),
    )


def run(store: Store, run_id: str, shop: str, status: str, at: datetime) -> None:
    store.runs.begin(run_id, shops=[shop], apply=True, now=at, host="h", pid=1)
    store.runs.finish(run_id, status=status, summary={}, now=at + timedelta(seconds=5))


def filled(folder: Path) -> Store:
    """Shops: ``calm`` in sync, ``drifty`` with a drift (markup in its values) and a failed push,
    ``broken`` whose last run failed, ``stuck`` with a dead lease, ``fresh`` never run."""
    store = Store.open(f"sqlite:///{folder / 'state.db'}")
    earlier = NOW - timedelta(hours=1)
    run(store, "r-calm", "calm", "in_sync", earlier)
    run(store, "r-drifty", "drifty", "drift", earlier)
    store.drifts.record(
        "drifty",
        "warehouse_address",
        [drift("drifty", f"WH {MARKUP}", severity=Severity.CRITICAL, seller=MARKUP), drift("drifty", "WH-2")],
        now=earlier,
        run_id="r-drifty",
    )
    store.ledger.begin(
        "k-fail",
        shop="drifty",
        aspect="warehouse_address",
        kind="set_address",
        target="erp",
        subject="WH-2",
        payload={},
        run_id="r-drifty",
        now=earlier,
    )
    store.ledger.finish("k-fail", status="failed", error="ERP said no", now=earlier)
    run(store, "r-broken", "broken", "error", earlier)
    run(store, "r-stuck", "stuck", "in_sync", earlier - timedelta(hours=1))
    # a lease that expired long ago: its holder is dead whatever host it names
    store.leases.acquire(
        "shop:stuck", owner="r-dead", ttl_seconds=60, now=earlier - timedelta(hours=1), host="elsewhere", pid=99
    )
    return store
