"""The trade-off between two measures: what each extra point of one costs in the other (issue 13).

A planner asks "how much deprivation mixing do we give up for each point of hospital coherence?". The answer is
a curve of plans, from the plan that leans on the first measure to the plan that leans on the second: plan ``i``
of ``n`` weights the first measure's objective term ``EMPHASIS ** (1 - t)`` times its default and the second's
``EMPHASIS ** t`` times, with ``t = i / (n - 1)`` (the weighted-sum method: every plan found is optimal, or within
its gap, for its own weights, so each is a point of the frontier that weights can reach).

Each plan is an independent solve, run as a task on the same Dask cluster as ``batch`` (``--scheduler``), so a
curve for every region spreads over many machines. Each plan's two measures are the validator's
(``validation.measures``); the frontier keeps the plans no other plan beats on both. It is the frontier of the
plans found, not a proof that no plan lies beyond it: the model leans on a measure through its objective term, a
stand-in for the measure itself (docs/measures.md), and weights reach only the convex part of a frontier. To ask
for one level of a measure exactly, use ``solve --beat`` (``Problem.beat``), which states it as a rule.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from .atomic import atomic_path
from .config import RunConfig
from .dominance import TERMS
from .dominance import leaning as lean_weights
from .errors import InputError
from .problem import BEAT_SLACK, BEATABLE

#: How many times its default weight a measure's term gets at its end of the curve.
EMPHASIS = 50.0
LABELS = {"coherence": "hospital coherence", "imd_spread": "IMD spread", "compactness_km": "mean km to centre"}


@dataclass
class Point:
    """One plan of the trade-off: the weights it was asked for, how it ended, and its measures."""

    label: str
    factors: dict[str, float]  # measure -> how many times its term's default weight
    status: str
    gap: float | None
    seconds: float
    measures: dict[str, float]
    assignment: dict[str, str] | None


def check_between(between: list[str]) -> tuple[str, str]:
    if len(between) != 2 or between[0] == between[1]:
        raise InputError(f"{between!r}: name two different measures", field="between")
    for measure in between:
        if measure not in TERMS:
            raise InputError(f"{measure!r} is not a measure to trade: choose from {', '.join(TERMS)}", field="between")
    return between[0], between[1]


def leaning(config: RunConfig, factors: dict[str, float]) -> RunConfig:
    """The settings with each measure's objective term multiplied by its factor."""
    return replace(config, weights=lean_weights(config.weights, factors))


def solve_point(name, config: RunConfig, factors: dict[str, float], data_dir=None) -> dict[str, Any]:
    """One plan, as a Dask task: region ``name`` solved with the measures' terms weighted by ``factors``."""
    import time

    from .region import load_region
    from .runner import region_problem
    from .solver import solve
    from .validation import measures

    started = time.perf_counter()
    settings = leaning(config, factors)
    problem = region_problem(load_region(name, data_dir=data_dir), settings)
    plan = solve(
        problem, backend=settings.backend, time_limit=settings.time_limit, seed=settings.seed, gap=settings.gap
    )
    solved = plan.status in ("optimal", "feasible") and bool(plan.details.get("validation"))
    return {
        "status": str(plan.status),
        "gap": plan.gap,
        "seconds": time.perf_counter() - started,
        "measures": {k: v for k, v in measures(plan, problem).plan.items() if k in BEATABLE} if solved else {},
        "assignment": {str(k): str(v) for k, v in plan.assignment.items()} if solved else None,
    }


def _cost(measure: str, value: float) -> float:
    """The measure as a cost: lower is better."""
    return value if BEATABLE[measure] == "max" else -value


def no_worse(a: dict[str, float], b: dict[str, float], between: tuple[str, str]) -> bool:
    """``a`` is no worse than ``b`` on both measures (to ``BEAT_SLACK``, as the validator reads "no worse")."""
    return all(_cost(m, a[m]) <= _cost(m, b[m]) + BEAT_SLACK * max(1.0, abs(b[m])) for m in between)


def better(a: dict[str, float], b: dict[str, float], between: tuple[str, str]) -> bool:
    """``a`` is no worse than ``b`` on both measures and better on one."""
    return no_worse(a, b, between) and not no_worse(b, a, between)


def frontier(points: list[Point], between: tuple[str, str]) -> list[Point]:
    """The plans no other plan beats on both measures, each once, ordered along the first measure."""
    found = [p for p in points if p.assignment is not None]
    keep = [p for p in found if not any(better(q.measures, p.measures, between) for q in found if q is not p)]
    unique: dict[tuple, Point] = {}
    for p in keep:  # the same plan reached from two weightings is one point
        unique.setdefault(tuple(round(p.measures[m], 9) for m in between), p)
    return sorted(unique.values(), key=lambda p: p.measures[between[0]])


def tradeoff(
    name,
    config: RunConfig,
    between: list[str],
    points: int = 5,
    scheduler: str | None = None,
    workers: int = 2,
    data_dir: str | None = None,
) -> list[Point]:
    """Every plan of the trade-off for region ``name`` (see the module's docstring), solved on Dask."""
    first, second = check_between(list(between))
    if isinstance(points, bool) or not isinstance(points, int) or points < 2:
        raise InputError(f"{points!r} is not allowed: at least 2 points (the two ends)", field="points")
    from .batch import _client

    steps = [i / (points - 1) for i in range(points)]
    factors = [{first: EMPHASIS ** (1 - t), second: EMPHASIS**t} for t in steps]
    client, cluster = _client(scheduler, workers)
    try:
        futures = [client.submit(solve_point, name, config, f, data_dir, pure=False) for f in factors]
        results = [future.result() for future in futures]
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    out = []
    for f, r in zip(factors, results):
        label = f"{LABELS[first]} x{f[first]:.3g}, {LABELS[second]} x{f[second]:.3g}"
        out.append(Point(label, f, r["status"], r["gap"], r["seconds"], r["measures"], r["assignment"]))
    return out


def chart(
    points: list[Point],
    between: tuple[str, str],
    reference: dict[str, float] | None,
    path: Path,
    title: str = "",
    reference_name: str = "reference",
) -> list[Path]:
    """The trade-off as SVG and PNG (matplotlib, same bytes for the same points): every plan found, the frontier
    joined, and the reference marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .report import SVG_SALT

    first, second = between
    edge = frontier(points, between)
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=100)
    found = [p for p in points if p.assignment is not None]
    ax.scatter(
        [p.measures[first] for p in found],
        [p.measures[second] for p in found],
        color="#bbbbbb",
        zorder=2,
        label="other plans found",
    )
    ax.plot(
        [p.measures[first] for p in edge],
        [p.measures[second] for p in edge],
        "o-",
        color="#1f77b4",
        zorder=3,
        label="frontier of the plans found",
    )
    if reference is not None:
        ax.scatter([reference[first]], [reference[second]], marker="*", s=220, color="#d62728", zorder=4)
        ax.annotate(reference_name, (reference[first], reference[second]), textcoords="offset points", xytext=(8, 6))
    if title:
        ax.set_title(title, fontsize=11)
    ax.set_xlabel(f"{LABELS[first]} ({'higher' if BEATABLE[first] == 'min' else 'lower'} is better)")
    ax.set_ylabel(f"{LABELS[second]} ({'higher' if BEATABLE[second] == 'min' else 'lower'} is better)")
    ax.grid(True, color="#eeeeee")
    ax.legend(loc="best", frameon=False)
    fig.tight_layout()
    written = []
    with matplotlib.rc_context({"svg.hashsalt": SVG_SALT, "svg.fonttype": "none"}):
        for suffix, meta in ((".svg", {"Date": None, "Creator": None}), (".png", {"Software": None})):
            target = path.with_suffix(suffix)
            with atomic_path(target) as tmp:  # no half-written chart
                fig.savefig(tmp, format=suffix[1:], metadata=meta)
            written.append(target)
    plt.close(fig)
    return written


def dominating(points: list[Point], between: tuple[str, str], reference: dict[str, float]) -> list[Point]:
    """Frontier plans no worse than the reference on both measures."""
    return [p for p in frontier(points, between) if no_worse(p.measures, reference, between)]


def write_tradeoff(
    name: str, config: RunConfig, between: list[str], out: Path, points: int = 5, **cluster: Any
) -> dict[str, Any]:
    """Solve the trade-off and write it to ``out``: ``tradeoff.json``, the chart (SVG and PNG) and one plan CSV
    per frontier point, with the 2013 CCG map as the reference; returns what was written."""
    import json

    from .atomic import write_text
    from .dominance import targets
    from .planfile import write_plan_csv
    from .region import load_region
    from .runner import region_problem

    pair = check_between(list(between))
    found = tradeoff(name, config, list(pair), points, **cluster)
    region = load_region(name, data_dir=cluster.get("data_dir"))
    problem = region_problem(region, config)
    reference = targets(region.ccg_assignment(names=True), problem, pair)
    out.mkdir(parents=True, exist_ok=True)
    edge = frontier(found, pair)
    beats = dominating(found, pair, reference)
    files = []
    for k, point in enumerate(edge, start=1):
        series = pd.Series(point.assignment, name="consortium")
        files.append(write_plan_csv(series, region, out / f"frontier-{k:02d}.csv").name)
    counts = sorted({len(set(p.assignment.values())) for p in found if p.assignment})
    consortia = f", {'-'.join(map(str, counts[:: max(1, len(counts) - 1)]))} consortia" if counts else ""
    chart(found, pair, reference, out / "tradeoff", f"{region.name}{consortia}", "2013 CCGs")
    summary = {
        "region": region.name,
        "between": list(pair),
        "reference": {"plan": "ccg2013", **reference},
        "points": [
            {k: v for k, v in vars(p).items() if k != "assignment"}
            | {"on_frontier": p in edge, "beats_reference": p in beats}
            for p in found
        ],
        "frontier_files": files,
    }
    write_text(out / "tradeoff.json", json.dumps(summary, indent=2, default=str) + "\n")
    return summary
