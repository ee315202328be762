"""How fast is the pure listing diff, and how much memory does it take?

Builds N ERP products shaped like a real catalogue (an English title, an HTML description of a
few hundred characters, three to five images, two to four attributes of which the mapping sends
most, one to four SKUs with stock and a price at one of a shop's usual price points, x.99, x.49,
x.50 or x.00 up to 300) from a seeded random generator, and what erpsync
last pushed for each (``BoundListing``: the product's content hash, its SKU ids, the prices and
stock last pushed). Then, on one core with no I/O (rates are products per second of this
process's CPU time, so other work on the machine does not lower them), it runs the listings
aspect's diff (``ListingObservation.pushes`` then ``ListingsAspect.diff``: the content hash and
``plan_pushes`` per product, then a drift per push) twice:

- **unchanged**: the ERP agrees with what was last pushed, as on most runs: no push, no drift;
- **10 % changed**: one product in ten has a new title, price or stock (a third each): the
  content hash of every product is still computed, and the changed ones are planned and become
  drifts.

Each size runs in a fresh process, because peak RSS (``resource.getrusage``) only grows. Memory
is reported as the peak RSS of the whole process, the RSS once the inputs are built (products
and bindings: what ``observe`` hands over), and what the diffs add on top of that, the peak
while they run (the kernel's peak count restarted after building, ``/proc/self/clear_refs``)
minus the inputs. Ends with one line ``diff_listings: key=value ...`` (throughput at N; memory
at 10k, 100k and, with ``--with-1m``, 1M). The target, 200,000 products per second, is the
address diff's (``bench/diff.py``).

Usage: python bench/diff_listings.py [N] [--only] [--with-1m]
  N            the size the final line reports throughput at (default 100000); 10k and 100k always run
  --only       measure N in this process only (for ``python -m cProfile -s cumtime bench/diff_listings.py N --only``)
  --with-1m    also run 1,000,000 products in a child
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from bench_memory import peak_mib, reset_peak, rss_mib

from erpsync.core.aspects.listings import ListingObservation, ListingsAspect
from erpsync.core.listings import BoundListing, ErpProduct, ErpSku, ListingMapping, content_hash, price_text

TARGET = 200_000
NOW = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)
MAPPING = ListingMapping(
    category_id="600001",
    warehouse_id="7068517275539719942",
    brand_id="7082427311584347905",
    attributes={"material": "100392", "fit": "100393", "season": "100394", "care": "100395"},
    images={f"img{i}.jpg": f"tos-maliva-i-o3syd03w52-us/{i:032x}" for i in range(50)},
)
NOUNS = ("Shirt", "Mug", "Lamp", "Backpack", "Sneaker", "Blanket", "Kettle", "Scarf", "Headphones", "Desk Mat")
WORDS = ("soft", "durable", "organic", "cotton", "steel", "recycled", "handmade", "light", "warm", "classic")
CENTS = ("99", "49", "50", "00")  # shops price at a few points: 1,196 prices in all
VALUES = {
    "material": ("Cotton", "Linen", "Steel", "Wool"),
    "fit": ("Slim", "Regular"),
    "season": ("Summer", "Winter", "All"),
    "care": ("Machine wash", "Hand wash"),
    "internal": ("A1", "B2"),
}


def _product(rng: random.Random, i: int) -> ErpProduct:
    noun = rng.choice(NOUNS)
    words = " ".join(rng.choices(WORDS, k=rng.randint(30, 60)))
    skus = tuple(
        ErpSku(f"SKU-{i:07d}-{j}", Decimal(f"{rng.randrange(1, 300)}.{rng.choice(CENTS)}"), rng.randrange(500), f":{i}")
        for j in range(rng.randint(1, 4))
    )
    return ErpProduct(
        id=f"P{i:07d}",
        title=f"{rng.choice(WORDS).title()} {noun} {i}",
        description=f"<p>{words}.</p><ul><li>{rng.choice(WORDS)}</li><li>{rng.choice(WORDS)}</li></ul>",
        currency="USD",
        skus=skus,
        images=tuple(f"img{rng.randrange(60)}.jpg" for _ in range(rng.randint(3, 5))),
        attributes=tuple((k, rng.choice(VALUES[k])) for k in rng.sample(sorted(VALUES), rng.randint(2, 4))),
        source=f"products.csv:{i}",
    )


def _pushed(product: ErpProduct, i: int) -> BoundListing:
    """What erpsync recorded after pushing ``product`` as it is."""
    return BoundListing(
        product_id=f"17{i:017d}",
        content_hash=content_hash(product, MAPPING),
        sku_ids={s.seller_sku: f"29{i:012d}{j}" for j, s in enumerate(product.skus)},
        prices={s.seller_sku: price_text(s.price, product.currency) for s in product.skus},
        inventory={s.seller_sku: str(s.inventory) for s in product.skus},
    )


def _changed(rng: random.Random, p: ErpProduct) -> ErpProduct:
    what = rng.randrange(3)
    if what == 0:
        return replace(p, title=p.title + " (new)")
    first = p.skus[0]
    sku = replace(first, price=first.price + 1) if what == 1 else replace(first, inventory=first.inventory + 3)
    return replace(p, skus=(sku, *p.skus[1:]))


def build(n: int, seed: int = 9) -> tuple[list[ErpProduct], list[ErpProduct], dict[str, BoundListing]]:
    """``n`` products as pushed, the same with 10 % changed, and what was last pushed for them."""
    rng = random.Random(seed)
    products = [_product(rng, i) for i in range(n)]
    bound = {p.id: _pushed(p, i) for i, p in enumerate(products)}
    changed = [_changed(rng, p) if i % 10 == 3 else p for i, p in enumerate(products)]
    return products, changed, bound


def measure(n: int) -> dict[str, float]:
    products, changed, bound = build(n)
    out: dict[str, float] = {"n": n, "rss_inputs_mib": rss_mib()}
    hwm_reset = reset_peak()
    aspect = ListingsAspect()
    for label, catalogue in (("unchanged", products), ("changed", changed)):
        obs = ListingObservation(shop="bench", now=NOW, mapping=MAPPING, products=list(catalogue), bound=bound)
        t0 = time.process_time()
        drifts = aspect.diff(obs)
        out[f"{label}_pairs_per_s"] = n / (time.process_time() - t0)
        out[f"{label}_drifts"] = len(drifts)
        del drifts, obs  # a run keeps one shop's observation at a time
    out["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    peak_since_inputs = peak_mib() if hwm_reset else out["rss_mib"]
    out["rss_diff_mib"] = peak_since_inputs - out["rss_inputs_mib"]
    return out


def _child(n: int, timeout: float | None) -> dict[str, float] | None:
    cmd = [sys.executable, __file__, str(n), "--only", "--json"]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def _show(r: dict[str, float]) -> None:
    print(
        f"{int(r['n']):>9,} products: {r['unchanged_pairs_per_s']:>9,.0f}/s unchanged "
        f"({int(r['unchanged_drifts'])} drifts), {r['changed_pairs_per_s']:>9,.0f}/s with 10 % changed "
        f"({int(r['changed_drifts'])} drifts); peak RSS {r['rss_mib']:,.0f} MiB (inputs "
        f"{r['rss_inputs_mib']:,.0f}, the diffs' own {r['rss_diff_mib']:,.0f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--only", action="store_true")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--with-1m", action="store_true")
    args = parser.parse_args()
    if args.only or args.json:
        here = measure(args.n)
        if args.json:
            print(json.dumps(here))
        else:
            _show(here)
        return
    # children first: Linux keeps a process's peak RSS across exec, so a child forked from a
    # parent that already holds N products would report the parent's peak
    sizes = {n: _child(n, None) for n in (10_000, 100_000)}
    for r in sizes.values():
        if r is not None:
            _show(r)
    big = None
    if args.with_1m:
        big = _child(1_000_000, 600)
        if big is None:
            print("1,000,000 products: did not finish within 600 s")
        else:
            _show(big)
    here = sizes.get(args.n) or _child(args.n, None) or measure(args.n)
    print(f"throughput below at {args.n:,} products")
    figures = {
        "unchanged_pairs_per_s": here["unchanged_pairs_per_s"],
        "changed_10pct_pairs_per_s": here["changed_pairs_per_s"],
        "changed_drifts": here["changed_drifts"],
    }
    runs = {"10k": sizes[10_000], "100k": sizes[100_000], **({"1m": big} if args.with_1m else {})}
    for label, r in runs.items():
        figures[f"rss_mib_{label}"] = r["rss_mib"] if r else 0
        figures[f"rss_diff_mib_{label}"] = r["rss_diff_mib"] if r else 0
    figures["target_pairs_per_s"] = TARGET
    print("diff_listings: " + " ".join(f"{k}={v:.0f}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
