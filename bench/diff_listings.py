"""How fast is the pure listing diff, and does its memory stay flat as the catalogue grows?

Generates N ERP products shaped like a real catalogue (an English title, an HTML description of
a few hundred characters, three to five images, two to four attributes of which the mapping
sends most, one to four SKUs with stock and a price at one of a shop's usual price points, x.99,
x.49, x.50 or x.00 up to 300) from a seeded random generator, and what erpsync last pushed for
each (``BoundListing``: the content hash, the SKU ids, the prices and stock last pushed, and the
fingerprint a run that found the product unchanged kept, ``core/listing_source.py``). Then, on
one core with no I/O, it runs the listings aspect's diff (``ListingObservation.pushes`` then
``ListingsAspect.diff``) twice:

- **unchanged**: the ERP agrees with what was last pushed, as on most runs: no push, no drift;
- **10 % changed**: one product in ten has a new title, price or stock (a third each): those
  miss their fingerprint and are compared the exact way (content hash, prices, stock), and
  become pushes and drifts.

Rates are products per second of this process's CPU time (other work on the machine does not
lower them as much as wall time), the diff's own: the inputs are generated lazily, 10,000
products at a time, and the time spent generating them is measured apart and taken out. At N
each rate is the best of ``--repeat`` passes, as ``timeit`` reports, since a shared machine
only ever slows a pass down.

What is in memory: the diff reads the products as a stream (a generator), and the bindings
lookup it reads beside them holds one chunk's ``BoundListing``s, standing in for a store read
streamed alongside. A real run is not like that yet: ``observe`` holds the shop's products in a
list and ``bound_listings`` loads the shop's bindings into dicts, so a real run's memory grows
with the catalogue. The pushes and drifts of changed products are kept until planned (the
aspect's diff returns a list), so the changed pass grows with the changes.

Each size runs in a fresh process, since peak RSS (``resource.getrusage``) only grows; it is
reported after the unchanged pass (``rss_mib_*``: the target is flat within 10 % from 10k to
1M) and after the changed pass (``rss_changed_mib_*``). Ends with one line
``diff_listings: key=value ...``; the target, 200,000 products per second, is the address
diff's (``bench/diff.py``).

The floor (``floor_pairs_per_s``): looking up each product's bindings and computing its
fingerprint, nothing else, over the same inputs. An unchanged product is told by its
fingerprint, so no diff that trusts fingerprints does less; ``floor_ratio`` is the unchanged
pass's time over the floor's (1.0: the diff adds nothing to the fingerprints). Taking part of
the fingerprint in the ERP reader instead would only move that time out of this figure, not
remove it (docs/listings.md, on why the fingerprint is not split).

Usage: python bench/diff_listings.py [N] [--only] [--skip-1m] [--repeat R]
  N            the size the final line reports throughput at (default 100000)
  --repeat R   at N, each rate is the best of R passes (default 3; the other sizes run once)
  --only       measure N in this process only (for ``python -m cProfile -s cumtime bench/diff_listings.py N --only``)
  --skip-1m    leave out the 1,000,000-product run (minutes, most of it generating the inputs)
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from bench_memory import peak_mib

from erpsync.core.aspects.listings import ListingObservation, ListingsAspect
from erpsync.core.listing_source import fingerprint, mapping_key
from erpsync.core.listings import (
    BoundListing,
    ErpProduct,
    ErpSku,
    ListingMapping,
    content_hash,
    price_text,
    stock_text,
)

TARGET = 200_000
NOW = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)
MAPPING = ListingMapping(
    category_id="600001",
    warehouse_id="7068517275539719942",
    brand_id="7082427311584347905",
    attributes={"material": "100392", "fit": "100393", "season": "100394", "care": "100395"},
    images={f"img{i}.jpg": f"tos-maliva-i-o3syd03w52-us/{i:032x}" for i in range(50)},
)
KEY = mapping_key(MAPPING)  # the mapping's key, as a run takes it once
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
    """What erpsync recorded after pushing ``product`` as it is, and a run found it unchanged."""
    bound = BoundListing(
        product_id=f"17{i:017d}",
        content_hash=content_hash(product, MAPPING),
        sku_ids={s.seller_sku: f"29{i:012d}{j}" for j, s in enumerate(product.skus)},
        prices={s.seller_sku: price_text(s.price, product.currency) for s in product.skus},
        inventory={s.seller_sku: stock_text(s, MAPPING.warehouse_id) for s in product.skus},
    )
    return replace(bound, source=fingerprint(product, KEY, bound))


def _changed(rng: random.Random, p: ErpProduct) -> ErpProduct:
    what = rng.randrange(3)
    if what == 0:
        return replace(p, title=p.title + " (new)")
    first = p.skus[0]
    sku = replace(first, price=first.price + 1) if what == 1 else replace(first, inventory=first.inventory + 3)
    return replace(p, skus=(sku, *p.skus[1:]))


CHUNK = 10_000


class Inputs:
    """The products of one pass, generated lazily a chunk at a time, with their bindings.

    ``bound`` holds only the current chunk's bindings; ``generating_s`` is the CPU time spent
    generating, taken out of the diff's time.
    """

    def __init__(self, n: int, changed: bool, seed: int = 9) -> None:
        self.n, self.changed, self.seed = n, changed, seed
        self.bound: dict[str, BoundListing] = {}
        self.generating_s = 0.0

    def __iter__(self) -> Iterator[ErpProduct]:
        for start in range(0, self.n, CHUNK):
            t0 = time.process_time()
            chunk = self._chunk(start, min(start + CHUNK, self.n))
            self.generating_s += time.process_time() - t0
            yield from chunk
            del chunk

    def _chunk(self, start: int, stop: int) -> list[ErpProduct]:
        rng = random.Random(self.seed * 1_000_003 + start)
        products = [_product(rng, i) for i in range(start, stop)]
        self.bound.clear()
        self.bound.update((p.id, _pushed(p, i)) for i, p in enumerate(products, start))
        if self.changed:
            products = [_changed(rng, p) if i % 10 == 3 else p for i, p in enumerate(products, start)]
        return products


def measure(n: int, repeat: int = 1) -> dict[str, float]:
    """Both passes over ``n`` products; each rate is the best of ``repeat`` passes (as ``timeit``)."""
    out: dict[str, float] = {"n": n}
    aspect = ListingsAspect()
    for label in ("unchanged", "changed"):
        spent = []
        for _ in range(repeat):
            inputs = Inputs(n, changed=label == "changed")
            obs = ListingObservation(shop="bench", now=NOW, mapping=MAPPING, products=inputs, bound=inputs.bound)
            t0 = time.process_time()
            drifts = aspect.diff(obs)
            spent.append(time.process_time() - t0 - inputs.generating_s)
            out[f"{label}_drifts"] = len(drifts)
            del drifts, obs, inputs  # a run keeps one shop's observation at a time
        out[f"{label}_pairs_per_s"] = n / min(spent)
        out["rss_mib" if label == "unchanged" else "rss_changed_mib"] = peak_mib()
    out["floor_pairs_per_s"] = n / min(fingerprint_seconds(n) for _ in range(repeat))
    return out


def fingerprint_seconds(n: int) -> float:
    """CPU seconds to look up each product's bindings and compute its fingerprint, nothing else.

    The floor of the unchanged pass: a product is unchanged when its fingerprint equals the one
    kept, so no diff that trusts fingerprints does less. Timed over the same lazily generated
    inputs, the generating taken out.
    """
    inputs = Inputs(n, changed=False)
    bound = inputs.bound
    started = time.process_time()
    for product in inputs:
        fingerprint(product, KEY, bound[product.id])
    return time.process_time() - started - inputs.generating_s


def _child(n: int, timeout: float | None, repeat: int = 1) -> dict[str, float] | None:
    cmd = [sys.executable, __file__, str(n), "--only", "--json", "--repeat", str(repeat)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def _show(r: dict[str, float]) -> str:
    return (
        f"{int(r['n']):>9,} products: {r['unchanged_pairs_per_s']:>9,.0f}/s unchanged "
        f"({int(r['unchanged_drifts'])} drifts), {r['changed_pairs_per_s']:>9,.0f}/s with 10 % changed "
        f"({int(r['changed_drifts'])} drifts); peak RSS {r['rss_mib']:,.0f} MiB after the unchanged pass, "
        f"{r['rss_changed_mib']:,.0f} after the changed one; the fingerprints alone {r['floor_pairs_per_s']:,.0f}/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--only", action="store_true")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--skip-1m", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.only or args.json:
        here = measure(args.n, args.repeat)
        print(json.dumps(here) if args.json else _show(here))
        return
    # each size in a child: a process's peak RSS only grows
    labels = {10_000: "10k", 100_000: "100k", **({} if args.skip_1m else {1_000_000: "1m"})}
    sizes: dict[int, dict[str, float] | None] = {}
    for n in labels:
        sizes[n] = _child(n, 1800, args.repeat if n == args.n else 1)
        r = sizes[n]
        print(_show(r) if r else f"{n:,} products: did not finish within 1800 s")
    here = sizes.get(args.n) or _child(args.n, None, args.repeat)
    assert here is not None
    print(f"throughput below at {args.n:,} products")
    figures = {
        "unchanged_pairs_per_s": here["unchanged_pairs_per_s"],
        "floor_pairs_per_s": here["floor_pairs_per_s"],
        "floor_ratio": here["floor_pairs_per_s"] / here["unchanged_pairs_per_s"],
        "changed_10pct_pairs_per_s": here["changed_pairs_per_s"],
        "changed_drifts": here["changed_drifts"],
    }
    for n, label in labels.items():
        r = sizes[n]
        figures[f"rss_mib_{label}"] = r["rss_mib"] if r else 0
        figures[f"rss_changed_mib_{label}"] = r["rss_changed_mib"] if r else 0
    peaks = [r["rss_mib"] for r in sizes.values() if r]
    figures["rss_growth_pct"] = 100 * (max(peaks) / min(peaks) - 1) if peaks else 0
    figures["target_pairs_per_s"] = TARGET
    print(
        "diff_listings: "
        + " ".join(f"{k}={v:.2f}" if k.endswith("ratio") else f"{k}={v:.0f}" for k, v in figures.items())
    )


if __name__ == "__main__":
    main()
