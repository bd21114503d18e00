"""Beat the 2013 CCG map on every measure (issue 13): in each SHA region, at the 2013 CCG count, the `consortium`
preset and strict nesting, the best plan no worse than the 2013 map on the six measures of docs/measures.md,
or the engine's word that none was found or none exists.

Run outside the tests:  .venv/bin/python benchmarks/bench_beat.py [--limit 120] [--regions "North East"]
[--nesting soft]
Each region is solved in this process, one after another; prints the machine, the load and a Markdown table
(ours beside the 2013 map's value for each measure, as the validator measures them). ``--json FILE`` keeps the
raw figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time

from boundaries.app.batch import SHA_NAMES
from boundaries.check.validation import BEATABLE, measures
from boundaries.data.region import load_region
from boundaries.engine.problem import Problem
from boundaries.engine.solver import solve

SHORT = {
    "outside_bounds": "outside",
    "non_coterminous": "not cotermin.",
    "la_splits": "LA splits",
    "coherence": "coherence",
    "imd_spread": "IMD spread",
    "compactness_km": "km to centre",
}


COUNTS = ("outside_bounds", "non_coterminous", "la_splits")


def fmt(measure: str, value) -> str:
    if value is None:
        return "-"
    if measure in COUNTS:
        return f"{value:.0f}"
    return f"{value:.3f}" if measure == "coherence" else f"{value:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=float, default=120.0)
    parser.add_argument("--regions", default="all")
    parser.add_argument("--nesting", default="strict", choices=["strict", "soft"])
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    names = SHA_NAMES if args.regions == "all" else [r.strip() for r in args.regions.split(",")]
    print(f"Machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"start: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}\n")
    head = "| region | CCGs | status | gap | s | " + " | ".join(SHORT[m] for m in BEATABLE) + " |"
    lines = [head, "|---|---:|---|---:|---:|" + "---:|" * len(BEATABLE)]
    rows = []
    for name in names:
        region = load_region(name)
        reference = region.ccg_assignment(names=True)
        count = int(reference.nunique())
        problem = Problem.from_region(region, "consortium", n_consortia=count, beat=reference, nesting=args.nesting)
        started = time.perf_counter()
        plan = solve(problem, time_limit=args.limit)
        seconds = time.perf_counter() - started
        own = measures(plan, problem).plan if plan.status in ("optimal", "feasible") else {}
        row = {
            "region": name,
            "ccgs": count,
            "status": str(plan.status),
            "gap": plan.gap,
            "seconds": seconds,
            "valid": bool(plan.validation) if own else None,
            "reference": problem.beat,
            "plan": {m: own.get(m) for m in BEATABLE} if own else None,
            "explanation": plan.explanation,
        }
        rows.append(row)
        gap = "-" if plan.gap is None else f"{plan.gap:.2%}"
        cells = [f"{fmt(m, own.get(m)) if own else '-'} / {fmt(m, problem.beat.get(m))}" for m in BEATABLE]
        lines.append(f"| {name} | {count} | {plan.status} | {gap} | {seconds:.0f} | " + " | ".join(cells) + " |")
        print(json.dumps(row, default=str), flush=True)
    print(f"\nend: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}\n")
    print("Each measure: ours / the 2013 map's.\n")
    print("\n".join(lines))
    for row in rows:
        if row["explanation"]:
            print(f"\n- {row['region']}: {row['explanation']}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2, default=str)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
