"""Time building every SHA region from the bundle, cold (no cache), then loading each from the cache.

    /work/venv/bin/python benchmarks/bench_regions.py [--data DIR]

Targets (issue 3): all ten regions built cold in under 60 s on a 2-core machine; a cached region in under 2 s.
The cache goes to a temporary folder so the user's cache is neither used nor touched.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

from boundaries.data.region import load_region, sha_regions
from boundaries.data.sources import cache as region_cache

COLD_TARGET_S = 60.0
CACHED_TARGET_S = 2.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="bundle folder (default: data/geo)")
    args = parser.parse_args(argv)
    codes = list(sha_regions(args.data).index)
    print(f"{'region':<28} {'practices':>9} {'edges':>6} {'cold s':>7} {'cached s':>9}")
    cold: dict[str, float] = {}
    sizes: dict[str, tuple[int, int, str]] = {}
    for code in codes:
        started = time.perf_counter()
        region = load_region(code, data_dir=args.data, cache=False)
        cold[code] = time.perf_counter() - started
        sizes[code] = (len(region.practices), region.graph.number_of_edges(), region.name)

    with tempfile.TemporaryDirectory() as folder:
        previous = os.environ.get(region_cache.CACHE_ENV)
        os.environ[region_cache.CACHE_ENV] = folder
        try:
            for code in codes:  # fill the cache (not timed)
                load_region(code, data_dir=args.data)
            cached: dict[str, float] = {}
            for code in codes:
                started = time.perf_counter()
                load_region(code, data_dir=args.data)
                cached[code] = time.perf_counter() - started
        finally:
            if previous is None:
                os.environ.pop(region_cache.CACHE_ENV, None)
            else:
                os.environ[region_cache.CACHE_ENV] = previous

    for code in codes:
        n, edges, name = sizes[code]
        print(f"{code} {name:<24} {n:>9} {edges:>6} {cold[code]:>7.2f} {cached[code]:>9.2f}")
    total, worst = sum(cold.values()), max(cached.values())
    print(f"{'all ten, cold':<28} {sum(s[0] for s in sizes.values()):>9} {'':>6} {total:>7.2f}")
    print(f"slowest cached load: {worst:.2f} s")
    ok = total < COLD_TARGET_S and worst < CACHED_TARGET_S
    print(
        f"targets: cold total < {COLD_TARGET_S:.0f} s, cached < {CACHED_TARGET_S:.0f} s: "
        f"{'met' if ok else 'MISSED'} (cpus: {os.cpu_count()})"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
