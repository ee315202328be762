"""How fast is the pure diff, and how much memory does it take?

Builds N warehouse pairs (Seller Center vs ERP) with realistic Chinese addresses and phones from
a seeded random generator: about a third copied exactly, half with cosmetic differences only
(suffixes, width, spaces, a trailing comma, the divisions repeated in the street, phone formats),
the rest with one material difference, and one record in a hundred bound twice (a duplicate).
Then, on one core, with no I/O (rates are pairs per second of this process's CPU time, so other
work on the machine does not lower them):

- the address diff: ``WarehouseAddressAspect.diff`` over one observation of all N pairs (a shop
  with N warehouses, the hardest shape: binding and duplicate detection see every row); run twice,
  cold (a fresh process: every string is new) and warm (the same process again, as the next run
  of a long-lived process sees the same warehouses);
- the pickup drifts: ``pickup_drifts`` with plain ``PickupSignals`` (slots, a package or two),
  in shops of ``--shop-size`` warehouses, as a run diffs one shop at a time (``--pickup-one-shop``
  also times one shop of 1,000: the cost per warehouse does not depend on the shop's size). The
  random ERP modes make nearly every warehouse drift, the costliest case: each drift is written
  in two languages with its guided fix. So the pickup diff is timed a second time "in sync", on
  the same warehouses with the ERP agreeing with the evidence (``_quiet``), as most warehouses are
  on most runs: only the inference, which no drift follows.

Each size runs in a fresh process, because peak RSS (``resource.getrusage``) only grows. Memory
is reported three ways per size: the peak RSS of the whole process; the RSS once every input is
built (both sides' records and the pickup observations: what ``observe`` hands over, held at once
because observations hold lists); and what the diffs add on top of that, the peak while they run
(the kernel's peak count restarted after building, ``/proc/self/clear_refs``) minus the inputs.
That last figure is the diff's own: its transient work, the normalisation caches (bounded) and
the drifts one diff call returns (the address diff returns N pairs' drifts as one list; the
pickup diff runs per shop of ``--shop-size`` and keeps none). Prints pairs/s and memory per size
and ends with one line ``diff: key=value ...`` (throughput at N; memory at 10k, 100k and, with
``--with-1m``, 1M).

Usage: python bench/diff.py [N] [--only] [--with-1m] [--shop-size S] [--pickup-one-shop] [--repeat R]
  N            the size the final line reports throughput at (default 100000); 10k and 100k always run
  --repeat R   the final line's rates are the best of R processes at N (default 3): a cold pass
               happens once per process, and on a shared machine one run's rate varies by 10-15 %
  --only       measure N in this process only (for ``python -m cProfile -s cumtime bench/diff.py N --only``)
  --with-1m    also run 1,000,000 pairs in a child
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import subprocess
import sys
import time
from dataclasses import replace
from datetime import datetime, timedelta

from bench_memory import peak_mib, reset_peak, rss_mib

from erpsync.core.aspects.pickup import PickupObservation, pickup_drifts
from erpsync.core.aspects.warehouse_address import WarehouseAddressAspect, WarehouseObservation
from erpsync.core.models import Address, HandoverMode, PackageSignal, PickupSignals, SlotSignal, Warehouse
from erpsync.core.pickup_regions import BEIJING

TARGET = 200_000
NOW = datetime(2024, 3, 1, 10, 0, tzinfo=BEIJING)
# (state, city, districts): Guangdong's pickup cities and a few outside every pickup region
PLACES = (
    ("广东省", "东莞市", ("长安镇", "虎门镇", "南城街道", "松山湖")),
    ("广东省", "深圳市", ("南山区", "宝安区", "龙岗区", "福田区")),
    ("广东省", "广州市", ("白云区", "番禺区", "天河区", "海珠区")),
    ("浙江省", "金华市", ("义乌市", "婺城区")),
    ("广西壮族自治区", "南宁市", ("青秀区", "西乡塘区")),
)
ROADS = ("乌沙步步高大道", "工业东路", "科技园南路", "环城北路", "新华路", "建设大道", "人民中路", "创业路")
SURNAMES = "张王李赵刘陈杨黄吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _address(rng: random.Random) -> Address:
    state, city, districts = rng.choice(PLACES)
    mobile = rng.random() < 0.8
    phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}" if mobile else f"0769{rng.randrange(10**8):08d}"
    street = f"{rng.choice(ROADS)}{rng.randrange(1, 999)}号{rng.randrange(1, 30)}栋{rng.randrange(101, 2999)}室"
    return Address(
        contact_person=rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2)))),
        phone=phone,
        region_code="CN",
        state=state,
        city=city,
        district=rng.choice(districts),
        street=street,
        postal_code=f"5{rng.randrange(10**5):05d}",
    )


def _cosmetic(rng: random.Random, a: Address) -> Address:
    """The same address as another operator types it: nothing the diff may report."""
    edits = {
        "state": a.state.removesuffix("省").replace("壮族自治区", ""),
        "city": a.city.removesuffix("市"),
        "street": f"{a.state}{a.city}{a.district}{a.street}",
        "phone": f"+86 {a.phone[:3]}-{a.phone[3:7]}-{a.phone[7:]}" if a.phone.startswith("1") else a.phone,
        "contact_person": f" {a.contact_person} ",
        "region_code": "",
        "postal_code": f"{a.postal_code[:3]} {a.postal_code[3:]}",
    }
    chosen = {k: edits[k] for k in rng.sample(sorted(edits), rng.randrange(1, 4))}
    if rng.random() < 0.3:
        chosen["street"] = chosen.get("street", a.street).translate(FULLWIDTH) + "，"
    return replace(a, **chosen)


def _material(rng: random.Random, a: Address) -> Address:
    """One difference the diff must report."""
    field = rng.choice(("street", "phone", "contact_person", "district", "postal_code"))
    if field == "street":
        return replace(a, street=a.street.replace("号", "0号", 1))
    if field == "phone":
        return replace(a, phone=a.phone[:-1] + str((int(a.phone[-1]) + 1) % 10))
    if field == "contact_person":
        return replace(a, contact_person=rng.choice(SURNAMES) + a.contact_person[1:])
    if field == "district":
        return replace(a, district="城区")
    return replace(a, postal_code=a.postal_code[:-1] + str((int(a.postal_code[-1]) + 1) % 10))


def build(n: int, seed: int = 8) -> tuple[list[Warehouse], list[Warehouse]]:
    """N seller warehouses and their ERP records (plus one extra record per hundred: duplicates)."""
    rng = random.Random(seed)
    seller, erp = [], []
    for i in range(n):
        a = _address(rng)
        roll = rng.random()
        b = a if roll < 0.35 else _cosmetic(rng, a) if roll < 0.85 else _material(rng, a)
        wid = f"WH-{i:07d}"
        mode = HandoverMode.PICKUP if rng.random() < 0.6 else HandoverMode.DROP_OFF
        seller.append(Warehouse(wid, f"仓库{i}", a))
        erp.append(Warehouse(f"E{i:07d}", f"仓库{i}", b, handover_mode=mode, seller_warehouse_id=wid))
        if i % 100 == 99:
            erp.append(Warehouse(f"X{i:07d}", f"仓库{i}", b, handover_mode=mode, seller_warehouse_id=wid))
    return seller, erp


def _signals(rng: random.Random, w: Warehouse) -> PickupSignals:
    roll = rng.random()
    slots = None if roll < 0.4 else SlotSignal(f"P-{w.id}", can_pickup=roll < 0.8, can_drop_off=True)
    packages = tuple(
        PackageSignal(
            id=f"P-{w.id}-{k}",
            warehouse_id=w.id,
            handover_method=rng.choice((HandoverMode.PICKUP, HandoverMode.DROP_OFF)),
            tracking_number=rng.choice(("WS", "JT")) + f"{rng.randrange(10**10):010d}",
            created_at=NOW - timedelta(hours=rng.randrange(1, 300)),
            status="AWAITING_COLLECTION",
        )
        for k in range(rng.randrange(0, 3))
    )
    return PickupSignals(w.id, slots, packages)


#: the cities of ``PLACES`` inside a default pickup region (``erpsync.core.pickup_regions``)
PICKUP_CITIES = frozenset({"东莞市", "深圳市", "广州市"})


def _quiet(rng: random.Random, w: Warehouse, erp: Warehouse) -> tuple[Warehouse, PickupSignals]:
    """A warehouse as most are on most runs: the ERP's mode is what the evidence shows, labels agree.

    Slots read for most (pickup offered in a pickup city, or not), else a recent package whose label
    and waybill show the mode; outside every pickup region the ERP says DROP OFF. Nothing drifts.
    """
    covered = w.address.city in PICKUP_CITIES
    offered = covered and rng.random() < 0.7
    mode = HandoverMode.PICKUP if offered else HandoverMode.DROP_OFF
    slots = SlotSignal(f"P-{w.id}", can_pickup=offered, can_drop_off=True) if rng.random() < 0.6 else None
    packages = tuple(
        PackageSignal(
            id=f"P-{w.id}-{k}",
            warehouse_id=w.id,
            handover_method=mode,
            tracking_number=("WS" if offered else "YT") + f"{rng.randrange(10**10):010d}",
            created_at=NOW - timedelta(hours=rng.randrange(1, 300)),
            status="AWAITING_COLLECTION",
        )
        for k in range(rng.randrange(0 if slots else 1, 3))
    )
    return replace(erp, handover_mode=mode), PickupSignals(w.id, slots, packages)


def _start() -> float:
    """The CPU clock, read after a full garbage collection.

    Building the inputs leaves hundreds of thousands of objects the collector has not yet
    examined; the full collection they are due for (one traversal of everything alive: 0.15 s at
    100,000 pairs, a fifth of the cold address diff) otherwise falls inside whichever timed
    section happens to allocate past the collector's threshold, so the same code measured 120k
    to 180k pairs/s run to run. Collected here, it is no section's; what a diff allocates still
    triggers the collections it would.
    """
    gc.collect()
    return time.process_time()


def measure(n: int, shop_size: int, pickup_one_shop: bool) -> dict[str, float]:
    seller, erp = build(n)
    rng = random.Random(9)
    erp_by_seller = {e.seller_warehouse_id: e for e in erp if e.id.startswith("E")}
    pickup_n = min(n, 100_000)  # enough for a rate; the pickup input costs more memory than the diff
    shops = [
        PickupObservation(
            shop=f"shop{start}",
            now=NOW,
            seller_warehouses=seller[start : start + shop_size],
            erp_warehouses=[erp_by_seller[w.id] for w in seller[start : start + shop_size]],
            signals={w.id: _signals(rng, w) for w in seller[start : start + shop_size]},
        )
        for start in range(0, pickup_n, shop_size)
    ]
    # everything the diffs read is built: what the process holds from here on is the diffs' own
    out: dict[str, float] = {"n": n, "rss_inputs_mib": rss_mib()}
    hwm_reset = reset_peak()
    aspect = WarehouseAddressAspect()
    for label in ("address_cold", "address_warm"):
        seen = WarehouseObservation(shop="bench", now=NOW, seller_warehouses=seller, erp_warehouses=erp)
        t0 = _start()
        drifts = aspect.diff(seen)
        out[f"{label}_pairs_per_s"] = n / (time.process_time() - t0)
        out["address_drifts"] = len(drifts)
        del drifts, seen  # a run keeps one shop's drifts at a time
    t0 = _start()
    out["pickup_drifts"] = sum(len(pickup_drifts("pickup", obs)) for obs in shops)
    out["pickup_pairs_per_s"] = pickup_n / (time.process_time() - t0)
    if pickup_one_shop:
        one = 1000
        obs = PickupObservation(
            shop="one",
            now=NOW,
            seller_warehouses=seller[:one],
            erp_warehouses=[erp_by_seller[w.id] for w in seller[:one]],
            signals={w.id: _signals(rng, w) for w in seller[:one]},
        )
        t0 = _start()
        pickup_drifts("pickup", obs)
        out["pickup_one_shop_1000_pairs_per_s"] = one / (time.process_time() - t0)
    out["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    peak_since_inputs = peak_mib() if hwm_reset else out["rss_mib"]
    out["rss_diff_mib"] = peak_since_inputs - out["rss_inputs_mib"]
    # the steady state, after the memory figures: the same warehouses with the ERP agreeing
    del shops
    quiet = []
    for start in range(0, pickup_n, shop_size):
        pairs = [_quiet(rng, w, erp_by_seller[w.id]) for w in seller[start : start + shop_size]]
        quiet.append(
            PickupObservation(
                shop=f"quiet{start}",
                now=NOW,
                seller_warehouses=seller[start : start + shop_size],
                erp_warehouses=[e for e, _ in pairs],
                signals={s.warehouse_id: s for _, s in pairs},
            )
        )
    t0 = _start()
    out["pickup_quiet_drifts"] = sum(len(pickup_drifts("pickup", obs)) for obs in quiet)
    out["pickup_quiet_pairs_per_s"] = pickup_n / (time.process_time() - t0)
    return out


def _child(n: int, args: argparse.Namespace, timeout: float | None) -> dict[str, float] | None:
    cmd = [sys.executable, __file__, str(n), "--only", "--json", "--shop-size", str(args.shop_size)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def _best(passes: list[dict[str, float]]) -> dict[str, float]:
    """Each rate at its best over ``passes`` (as ``timeit`` reports: the run least slowed by the
    rest of the machine); the other figures as the first pass has them."""
    best = dict(passes[0])
    for key in best:
        if key.endswith("_per_s"):
            best[key] = max(p[key] for p in passes)
    return best


def _show(r: dict[str, float]) -> None:
    extra = (
        f", pickup one shop x 1000: {r['pickup_one_shop_1000_pairs_per_s']:,.0f}/s"
        if "pickup_one_shop_1000_pairs_per_s" in r
        else ""
    )
    print(
        f"{int(r['n']):>9,} pairs: address {r['address_cold_pairs_per_s']:>9,.0f}/s cold, "
        f"{r['address_warm_pairs_per_s']:>9,.0f}/s warm ({int(r['address_drifts'])} drifts); "
        f"pickup {r['pickup_pairs_per_s']:>8,.0f}/s ({int(r['pickup_drifts'])} drifts), "
        f"{r['pickup_quiet_pairs_per_s']:>8,.0f}/s in sync ({int(r['pickup_quiet_drifts'])} drifts){extra}; "
        f"peak RSS {r['rss_mib']:,.0f} MiB (inputs {r['rss_inputs_mib']:,.0f}, the diffs' own "
        f"{r['rss_diff_mib']:,.0f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--only", action="store_true")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--with-1m", action="store_true")
    parser.add_argument("--shop-size", type=int, default=100)
    parser.add_argument("--pickup-one-shop", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.only or args.json:
        here = measure(args.n, args.shop_size, args.pickup_one_shop)
        if args.json:
            print(json.dumps(here))
        else:
            _show(here)
        return
    # children first: Linux keeps a process's peak RSS across exec, so a child forked from a
    # parent that already holds N pairs would report the parent's peak
    sizes = {n: _child(n, args, None) for n in (10_000, 100_000)}
    for r in sizes.values():
        if r is not None:
            _show(r)
    big = None
    if args.with_1m:
        big = _child(1_000_000, args, 300)
        if big is None:
            print("1,000,000 pairs: did not finish within 300 s")
        else:
            _show(big)
    passes = [r for r in [sizes.get(args.n)] if r is not None]
    while len(passes) < max(1, args.repeat):
        passes.append(_child(args.n, args, None) or measure(args.n, args.shop_size, args.pickup_one_shop))
    here = _best(passes)
    print(f"throughput below at {args.n:,} pairs: the best of {len(passes)} processes")
    figures = {
        "address_pairs_per_s": here["address_cold_pairs_per_s"],
        "address_warm_pairs_per_s": here["address_warm_pairs_per_s"],
        "pickup_pairs_per_s": here["pickup_pairs_per_s"],
        "pickup_in_sync_pairs_per_s": here["pickup_quiet_pairs_per_s"],
    }
    runs = {"10k": sizes[10_000], "100k": sizes[100_000], **({"1m": big} if args.with_1m else {})}
    for label, r in runs.items():
        figures[f"rss_mib_{label}"] = r["rss_mib"] if r else 0
        figures[f"rss_diff_mib_{label}"] = r["rss_diff_mib"] if r else 0
    figures["target_pairs_per_s"] = TARGET
    print("diff: " + " ".join(f"{k}={v:.0f}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
