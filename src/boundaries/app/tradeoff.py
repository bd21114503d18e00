"""The trade-off between two measures: what each extra point of one costs in the other (issue 13, item 3).

A planner asks "how much hospital coherence do we give up for each point of IMD spread?". The answer is a curve
of plans, found by the **epsilon-constraint method**:

1. **The two ends.** One plan leans on the first measure (its objective term ``EMPHASIS`` times its default
   weight), one on the second. Their values of the second measure bound the range of levels.
2. **Levels.** ``points`` levels of the second measure, evenly spaced from the first end's value to the second
   end's (both included). For each level one plan is solved that leans on the first measure under the rule
   "the second measure is no worse than the level": ``Problem.beat = {second: level}``, stated as rows of the
   decomposition's choice of columns (``decompose._beat_rows``: exact for coherence and compactness over the plans
   it compares, a stricter rule for the IMD spread, around the centre of the end plan leaning on it, so that
   plan itself meets its own level). The validator re-checks the level on its own measures: ``met``.
3. **Frontier.** The plans found (ends and levels) that no other plan found beats on both measures, each once.

What each point proves is said, per point (``verdict`` in ``tradeoff.json`` and the printed table):

- a level whose solve ends ``infeasible`` is a **proof** that no plan meets the level with the problem's rules
  (the decomposition's bound holds for the measures as defined: docs/measures.md);
- a level with no plan and no proof (``timed_out``) proves nothing: none was found in the time;
- a plan is ``proven`` the best first measure under its level only when its solve is ``optimal`` **and** the
  model states the first measure exactly (``EXACT``). The model leans on coherence, IMD spread and compactness
  only through their objective terms, stand-ins for the measures (docs/measures.md), so ``EXACT`` is empty and
  every plan is "the best found under the level": optimal for the model's objective under the level, not
  proven best on the measure itself. The curve is the frontier of the plans found, not a proof that no plan
  lies beyond it; a level it does not reach is marked so.

Each solve is an independent task on the same Dask cluster as ``batch`` (``--scheduler``): the two ends first,
then every level at once. ``method="weights"`` keeps the weighted-sum curve (plan ``i`` of ``n`` weighting the
first term ``EMPHASIS ** (1 - t)`` and the second ``EMPHASIS ** t``, ``t = i / (n - 1)``), which needs no rule
and so also works where a level cannot be stated (nesting off); it reaches only the convex part of a frontier.

Under soft nesting each level is a reference to beat as ``solve`` takes it there: the neighbourhood search moves
towards the level, then keeps it (``neighbourhood.shortfall``, measured whole by the validator, so exact for
every measure). That search proves no level out of reach: a level it does not meet is ``timed_out``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from boundaries.app.config import RunConfig
from boundaries.atomic import atomic_path
from boundaries.check.dominance import TERMS
from boundaries.check.dominance import leaning as lean_weights
from boundaries.check.validation import BEATABLE, worse_by
from boundaries.errors import InputError

#: How many times its default weight a measure's term gets when a plan leans on it.
EMPHASIS = 50.0
LABELS = {"coherence": "hospital coherence", "imd_spread": "IMD spread", "compactness_km": "mean km to centre"}
METHODS = ("epsilon", "weights")
#: The measures to trade that the model's objective states exactly, so that an optimal solve proves the best
#: value of the measure under its level. None today: coherence is priced through an upper bound on the patients
#: not coherent, the IMD spread and compactness through proxies (docs/measures.md).
EXACT: frozenset[str] = frozenset()


@dataclass
class Point:
    """One plan of the trade-off: what it was asked for (weights, and for a level the rule on the second
    measure), how its solve ended, its measures, and what it proves."""

    label: str
    factors: dict[str, float]  # measure -> how many times its term's default weight
    status: str
    gap: float | None
    seconds: float
    measures: dict[str, float]
    assignment: dict[str, str] | None
    kind: str = "weights"  # "end" (leaning on one measure), "level" (a rule on the second) or "weights"
    level: float | None = None  # the second measure's level the plan must meet ("level" points)
    met: bool | None = None  # a plan came back and the validator found the level met (None: no level asked)
    proven: bool = False  # the best first measure under the level is proven (optimal, and the measure is EXACT)
    verdict: str = ""  # what the point proves, in words


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


def solve_point(
    name,
    config: RunConfig,
    factors: dict[str, float],
    data_dir=None,
    level: dict[str, float] | None = None,
    centre: float | None = None,
    hints: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """One plan, as a Dask task: region ``name`` (a spec for ``load_region``, or a Region) solved with the
    measures' terms weighted by ``factors`` and, with ``level`` (measure -> value), the rule that the plan is no
    worse than that value (``Problem.beat``; the IMD spread around ``centre``, see ``Problem.beat_imd_centre``).
    ``hints`` are plans (unit -> label) whose pieces the decomposition may combine (``solver.solve``)."""
    import time

    from boundaries.app.runner import region_problem
    from boundaries.check.dominance import imd_centre
    from boundaries.check.validation import measures
    from boundaries.data.region import Region, load_region
    from boundaries.engine.solver import solve

    started = time.perf_counter()
    settings = leaning(config, factors)
    region = name if isinstance(name, Region) else load_region(name, data_dir=data_dir)
    problem = region_problem(region, settings)
    if level:
        centre = problem.beat_imd_centre if centre is None else centre
        problem = replace(problem, beat={**problem.beat, **level}, beat_imd_centre=centre)
    plan = solve(
        problem,
        backend=settings.backend,
        time_limit=settings.time_limit,
        seed=settings.seed,
        gap=settings.gap,
        hints=hints if level else None,
    )
    solved = plan.status in ("optimal", "feasible") and bool(plan.validation)
    values = measures(plan, problem).plan if solved else {}
    return {
        "status": str(plan.status),
        "gap": plan.gap,
        "seconds": time.perf_counter() - started,
        "measures": {k: v for k, v in values.items() if k in BEATABLE},
        "assignment": {str(k): str(v) for k, v in plan.assignment.items()} if solved else None,
        "centre": imd_centre(plan, problem) if solved else None,
    }


def meets(value: float, level: float, measure: str) -> bool:
    """``value`` is no worse than ``level``, as the validator reads "no worse"."""
    return not worse_by(measure, value, level)


def no_worse(a: dict[str, float], b: dict[str, float], between: tuple[str, str]) -> bool:
    """``a`` is no worse than ``b`` on both measures, as the validator reads "no worse"."""
    return all(meets(a[m], b[m], m) for m in between)


def better(a: dict[str, float], b: dict[str, float], between: tuple[str, str]) -> bool:
    """``a`` is no worse than ``b`` on both measures and better on one."""
    return no_worse(a, b, between) and not no_worse(b, a, between)


def frontier(points: list[Point], between: tuple[str, str]) -> list[Point]:
    """The plans no other plan beats on both measures, each once, ordered along the first measure."""
    found = [p for p in points if p.assignment is not None]
    keep = [p for p in found if not any(better(q.measures, p.measures, between) for q in found if q is not p)]
    unique: dict[tuple, Point] = {}
    for p in keep:  # the same plan reached from two weightings or levels is one point
        unique.setdefault(tuple(round(p.measures[m], 9) for m in between), p)
    return sorted(unique.values(), key=lambda p: p.measures[between[0]])


def levels_between(loose: float, tight: float, points: int) -> list[float]:
    """``points`` levels evenly spaced from ``loose`` (the first end's value) to ``tight`` (the second's), both
    included, exactly."""
    inner = [loose + (tight - loose) * i / (points - 1) for i in range(1, points - 1)]
    return [loose, *inner, tight]


def verdict(status: str, first: str, level: float | None, met: bool | None) -> tuple[bool, str]:
    """(proven, what the point proves in words) for a solve that ended ``status``: short, for the table."""
    if status == "infeasible":
        return False, "no plan meets the level: proven" if level is not None else "no plan: proven infeasible"
    if status not in ("optimal", "feasible"):
        return False, "none found in the time: not proven impossible"
    if met is False:
        return False, "the plan found misses the level"
    if status == "optimal" and first in EXACT:
        return True, f"proven: the best {LABELS[first]}" + ("" if level is None else " at the level")
    if status == "optimal":
        return False, "best found: optimal on the model's stand-in, not on the measure"
    return False, "best found: not proven"


def _run(
    client, name, config, jobs: Sequence[tuple[dict, dict | None, float | None]], data_dir, hints=None
) -> list[dict]:
    futures = [
        client.submit(solve_point, name, config, factors, data_dir, level, centre, hints, pure=False)
        for factors, level, centre in jobs
    ]
    return [future.result() for future in futures]


def tradeoff(
    name,
    config: RunConfig,
    between: list[str],
    points: int = 5,
    scheduler: str | None = None,
    workers: int = 2,
    data_dir: str | None = None,
    method: str = "epsilon",
    levels: list[float] | None = None,
) -> list[Point]:
    """Every plan of the trade-off for region ``name`` (see the module's docstring), solved on Dask. With
    ``method="epsilon"``: the two ends, then one plan per level (``levels``, if given, replaces the evenly
    spaced ones: a planner may ask for a level past the ends)."""
    first, second = check_between(list(between))
    if isinstance(points, bool) or not isinstance(points, int) or points < 2:
        raise InputError(f"{points!r} is not allowed: at least 2 points (the two ends)", field="points")
    if method not in METHODS:
        raise InputError(f"{method!r} is not a method: choose from {', '.join(METHODS)}", field="method")
    from boundaries.app.batch import _client

    client, cluster = _client(scheduler, workers)
    try:
        if method == "weights":
            return _weights(client, name, config, (first, second), points, data_dir)
        return _epsilon(client, name, config, (first, second), points, data_dir, levels)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _point(label: str, factors: dict, r: dict, kind: str, *told) -> Point:
    """A Point from one solve's result ``r`` and what it was asked and proves (``told``)."""
    return Point(label, factors, r["status"], r["gap"], r["seconds"], r["measures"], r["assignment"], kind, *told)


def _weights(client, name, config, pair, points, data_dir) -> list[Point]:
    first, second = pair
    steps = [i / (points - 1) for i in range(points)]
    factors = [{first: EMPHASIS ** (1 - t), second: EMPHASIS**t} for t in steps]
    results = _run(client, name, config, [(f, None, None) for f in factors], data_dir)
    out = []
    for f, r in zip(factors, results):
        label = f"{LABELS[first]} x{f[first]:.3g}, {LABELS[second]} x{f[second]:.3g}"
        _, words = verdict(r["status"], first, None, None)
        out.append(_point(label, f, r, "weights", None, None, False, words))
    return out


def _centre(ends: list[dict], second: str, level: float) -> float | None:
    """The centre the IMD spread is stated around at ``level`` (``Problem.beat_imd_centre``): the model holds the
    squared gaps of the consortia's means from it, a stricter rule that is exact for a plan whose own mean of
    means it is. So it moves from the first end's mean to the second's as the level moves from the first end's
    spread to the second's, and each end meets its own level."""
    if second != "imd_spread" or any(r["centre"] is None for r in ends):
        return None
    loose, tight = (r["measures"][second] for r in ends)
    share = 1.0 if loose == tight else min(1.0, max(0.0, (level - loose) / (tight - loose)))
    return ends[0]["centre"] + (ends[1]["centre"] - ends[0]["centre"]) * share


def _epsilon(client, name, config, pair, points, data_dir, levels) -> list[Point]:
    first, second = pair
    on_first, on_second = {first: EMPHASIS, second: 1.0}, {first: 1.0, second: EMPHASIS}
    ends = _run(client, name, config, [(on_first, None, None), (on_second, None, None)], data_dir)
    out = []
    for measure, f, r in zip(pair, (on_first, on_second), ends):
        _, words = verdict(r["status"], measure, None, None)
        out.append(_point(f"end: leaning on {LABELS[measure]}", f, r, "end", None, None, False, words))
    if levels is None:
        if any(r["assignment"] is None for r in ends):
            return out  # without both ends there is no range of levels: the ends say why
        levels = levels_between(ends[0]["measures"][second], ends[1]["measures"][second], points)
    jobs = [(on_first, {second: float(level)}, _centre(ends, second, level)) for level in levels]
    hints = [r["assignment"] for r in ends if r["assignment"] is not None]  # their pieces may combine
    results = _run(client, name, config, jobs, data_dir, hints)
    for k, (level, r) in enumerate(zip(levels, results), start=1):
        met = r["assignment"] is not None and meets(r["measures"][second], level, second)
        proven, words = verdict(r["status"], first, level, met)
        side = "at least" if BEATABLE[second] == "min" else "at most"
        label = f"level {k}: {LABELS[second]} {side} {level:.4g}"
        out.append(_point(label, on_first, r, "level", float(level), met, proven and met, words))
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
    joined, each level asked as a faint line (red where no plan meets it: dashed when that is proven, dotted when
    none was found), and the reference marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from boundaries.publish.report import SVG_SALT

    first, second = between
    edge = frontier(points, between)
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=100)
    drawn: set[str] = set()
    style: dict[str, Any]  # Line2D properties
    for p in points:
        if p.level is None:
            continue
        if p.met:
            style, name = {"color": "#cccccc", "linestyle": (0, (2, 3))}, "level asked"
        elif p.status == "infeasible":
            style, name = {"color": "#d62728", "linestyle": "--"}, "level no plan meets (proven)"
        else:
            style, name = {"color": "#ff7f0e", "linestyle": ":"}, "level with no plan found (not proven)"
        ax.axhline(p.level, linewidth=0.9, zorder=1, label=None if name in drawn else name, **style)
        drawn.add(name)
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
    ax.legend(loc="best", frameon=False, fontsize=8)
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
    name,
    config: RunConfig,
    between: list[str],
    out: Path,
    points: int = 5,
    method: str = "epsilon",
    levels: list[float] | None = None,
    **cluster: Any,
) -> dict[str, Any]:
    """Solve the trade-off and write it to ``out``: ``tradeoff.json``, the chart (SVG and PNG) and one plan CSV
    per frontier point, with the 2013 CCG map as the reference; returns what was written. ``name`` is a spec for
    ``load_region`` or a Region."""
    import json

    from boundaries.app.runner import region_problem
    from boundaries.atomic import write_text
    from boundaries.check.dominance import targets
    from boundaries.data.region import Region, load_region
    from boundaries.engine.decompose import can_beat
    from boundaries.publish.planfile import write_plan_csv

    pair = check_between(list(between))
    region = name if isinstance(name, Region) else load_region(name, data_dir=cluster.get("data_dir"))
    problem = region_problem(region, config)
    if method == "epsilon" and not can_beat(problem):
        raise InputError(
            "the epsilon-constraint method states each level as a reference to beat: it needs strict or soft "
            "nesting, no baseline and no wish that joins or parts two authorities (--method weights works "
            "without)",
            field="method",
        )
    found = tradeoff(name, config, list(pair), points, method=method, levels=levels, **cluster)
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
        "method": method,
        "proves": _proves(found, method),
        "reference": {"plan": "ccg2013", **reference},
        "points": [
            {k: v for k, v in vars(p).items() if k != "assignment"}
            | {
                "on_frontier": p in edge,
                "frontier_file": files[edge.index(p)] if p in edge else None,
                "beats_reference": p in beats,
            }
            for p in found
        ],
        "frontier_files": files,
    }
    write_text(out / "tradeoff.json", json.dumps(summary, indent=2, default=str) + "\n")
    return summary


def _proves(points: list[Point], method: str) -> str:
    """What the curve as a whole proves, in words."""
    if method == "weights":
        return (
            "the frontier of the plans found, each optimal or within its gap for its own weights on the measures' "
            "stand-ins; weights reach only the convex part of a frontier, and no plan beyond it is ruled out"
        )
    proofs = sum(p.kind == "level" and p.status == "infeasible" for p in points)
    exact = sum(p.proven for p in points)
    text = (
        f"the frontier of the plans found: {exact} point(s) proven the best first measure under their level; "
        "the others are the best found under their level (the model leans on the first measure through a "
        "stand-in, docs/measures.md)"
    )
    return text + (f"; {proofs} level(s) proven out of reach" if proofs else "")
