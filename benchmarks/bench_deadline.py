"""Does a HiGHS solve come back by its deadline? Wall time against time limit, with and without the watchdog.

Run outside the tests:  .venv/bin/python benchmarks/bench_deadline.py [--limits 2 5 10] [--no-before] [--load 2]

"before" is HiGHS in this process (``highs.solve_here``, what the engine did before the watchdog); "after" is
``solve_model(model, "highs", ...)``, HiGHS in the watchdog's child. The promise is to be back within
``limit + max(2 s, 5%)``. Models are the overrunning grid districting models of ``tests/hard_models.py``.
``--load N`` keeps N busy processes running meanwhile, to check the promise on a loaded machine.
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from hard_models import grid_districting  # noqa: E402

from boundaries.engine.backends import solve_model  # noqa: E402
from boundaries.engine.backends.highs import solve_here  # noqa: E402
from boundaries.engine.linear import LinearModel  # noqa: E402

MODELS = {
    "grid 6x6, 3 districts, ±0.5%": lambda: grid_districting(6, 6, 3, tolerance=0.005, seed=1),
    "grid 6x6, 3 districts, ±5%": lambda: grid_districting(6, 6, 3, tolerance=0.05, seed=1),
    "grid 6x6, 4 districts, ±0.5%": lambda: grid_districting(6, 6, 4, tolerance=0.005, seed=1),
}


def timed(solve, model: LinearModel, limit: float) -> tuple[float, str]:
    started = time.perf_counter()
    result = solve(model, limit)
    seconds = time.perf_counter() - started
    found = f" {result.objective:g}" if result.objective is not None else ""
    return seconds, f"{result.status}{found}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limits", type=float, nargs="+", default=[2.0, 5.0, 10.0])
    parser.add_argument("--no-before", action="store_true", help="skip HiGHS in-process (it can take minutes)")
    parser.add_argument("--load", type=int, default=0, help="busy processes to run meanwhile")
    args = parser.parse_args()
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.load)]
    try:
        print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, extra load {args.load}\n")
        print("| model | limit s | promise s | before: wall s | before: result | after: wall s | after: result | ok |")
        print("|---|---:|---:|---:|---|---:|---|---|")
        for name, build in MODELS.items():
            model = build()
            for limit in args.limits:
                promise = limit + max(2.0, 0.05 * limit)
                before_s, before = "", ""
                if not args.no_before:
                    seconds, before = timed(lambda m, t: solve_here(m, time_limit=t, seed=0, gap=1e-6), model, limit)
                    before_s = f"{seconds:.1f}"
                seconds, after = timed(lambda m, t: solve_model(m, "highs", time_limit=t), model, limit)
                ok = "yes" if seconds <= promise else "**no**"
                print(f"| {name} | {limit:g} | {promise:g} | {before_s} | {before} | {seconds:.1f} | {after} | {ok} |")
                sys.stdout.flush()
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


if __name__ == "__main__":
    main()
