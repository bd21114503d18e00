"""An independent re-check of every hard rule of a problem on any plan.

This module deliberately shares no code with the model, the backends or the decomposition: it reads the plan's
assignment and the problem's raw data and recomputes everything its own way (plain breadth-first search, its own
sums), so a bug in the solver path cannot also hide here.

When the problem has a region, contiguity is also checked on the ground: each consortium's area (the union of
its practices' catchment cells, marked island parts aside) must be one piece of land, or pieces joined by the
graph's explicit island links when those are allowed. The pieces are found from the cells' geometry
(:func:`boundaries.data.areas.land_pieces`), not from the neighbour graph, so an edge that does not stand for a
shared border on the ground cannot pass unseen.

:func:`measures` recomputes every measure of ``docs/measures.md`` (main trust and coherence, IMD reference,
means and spread, compactness, coterminosity and LA splits, moves from a baseline) in plain Python, apart
from the scorecard (:mod:`boundaries.check.metrics`), which computes the same numbers with pandas: tests check that
the two agree on random and real plans, and the rules a problem sets (health floor, IMD band, moves cap) are
checked here on these very definitions.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from scipy.optimize import linear_sum_assignment

from boundaries.data.areas import land_pieces

#: The measures a plan may be asked to beat (docs/measures.md), each with the way that is better: a plan beats
#: a reference when, on every measure asked, it is no worse ("max": at most the reference's value; "min": at least).
BEATABLE = {
    "outside_bounds": "max",
    "non_coterminous": "max",
    "la_splits": "max",
    "coherence": "min",
    "imd_spread": "max",
    "compactness_km": "max",
}
#: "No worse" to six significant figures: a plan equal to the reference beats it, whatever the rounding.
BEAT_SLACK = 1e-6


def worse_by(measure: str, value: float, target: float) -> float:
    """How much worse than ``target`` ``value`` is on ``measure``, 0 when it is no worse: the one reading of
    "no worse" (equal counts, to ``BEAT_SLACK``; rounding in the model stays inside it)."""
    worse = value - target if BEATABLE[measure] == "max" else target - value
    return worse if worse > BEAT_SLACK * max(1.0, abs(target)) else 0.0


@dataclass
class Validation:
    ok: bool
    violations: list[str] = field(default_factory=list)
    island_linked: list[str] = field(default_factory=list)  # consortia connected only through island links
    # per consortium (when the problem has a region): pieces of land of its area, island parts aside and pieces
    # joined by an allowed island link counted as one; 1 means one piece on the ground
    pieces: dict[str, int] = field(default_factory=dict)
    island_parts: dict[str, str] = field(default_factory=dict)  # consortium -> its island parts, in words

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        if self.ok:
            notes = []
            if self.island_linked:
                notes.append(f"{len(self.island_linked)} joined through island links")
            if self.island_parts:
                notes.append(f"{len(self.island_parts)} holding island parts")
            return "valid: every hard rule holds" + (f" ({'; '.join(notes)})" if notes else "")
        return "INVALID:\n" + "\n".join(f"- {v}" for v in self.violations)


def _pieces(nodes: set[str], adjacency: dict[str, set[str]]) -> int:
    todo, count = set(nodes), 0
    while todo:
        count += 1
        queue = deque([todo.pop()])
        while queue:
            for v in adjacency.get(queue.popleft(), ()):
                if v in todo:
                    todo.discard(v)
                    queue.append(v)
    return count


def validate(plan, problem) -> Validation:
    """Check ``plan.assignment`` (or a plain mapping) against every hard rule of ``problem``."""
    assignment = getattr(plan, "assignment", plan)
    got = {str(k): str(v) for k, v in dict(assignment).items()}
    units = problem.units
    pop = {str(k): int(v) for k, v in units["population"].items()}
    problems: list[str] = []

    # cover: every unit exactly once, nothing unknown
    missing = sorted(set(pop) - set(got))
    unknown = sorted(set(got) - set(pop))
    if missing:
        problems.append(f"{len(missing)} practice(s) are in no consortium, e.g. {', '.join(missing[:5])}")
    if unknown:
        problems.append(f"{len(unknown)} unknown practice code(s) in the plan, e.g. {', '.join(unknown[:5])}")
    members: dict[str, set[str]] = defaultdict(set)
    for unit, label in got.items():
        if unit in pop:
            members[label].add(unit)

    # contiguity, with and without the island links
    full: dict[str, set[str]] = defaultdict(set)
    mainland: dict[str, set[str]] = defaultdict(set)
    for a, b, data in problem.graph.edges(data=True):
        a, b = str(a), str(b)
        full[a].add(b)
        full[b].add(a)
        if not data.get("island"):
            mainland[a].add(b)
            mainland[b].add(a)
    allowed = full if problem.use_island_links else mainland
    island_linked = []
    linked_ok = set()
    for label, group in sorted(members.items()):
        if _pieces(group, allowed) > 1:
            problems.append(f"consortium {label} is in {_pieces(group, allowed)} separate pieces")
            continue
        linked_ok.add(label)
        if _pieces(group, mainland) > 1:
            island_linked.append(label)
    ground, island_parts = _on_the_ground(members, problem)
    for label, count in sorted(ground.items()):
        if count > 1 and label in linked_ok:
            problems.append(
                f"consortium {label}: its area is in {count} pieces on the ground (island parts aside), although "
                "the neighbour graph joins its practices"
            )

    # sizes and count
    for label, group in sorted(members.items()):
        total = sum(pop[u] for u in group)
        if not problem.min_population <= total <= problem.max_population:
            problems.append(
                f"consortium {label} has {total:,} patients, outside "
                f"{problem.min_population:,}-{problem.max_population:,}"
            )
        if problem.max_practices is not None and len(group) > problem.max_practices:
            problems.append(f"consortium {label} has {len(group)} practices, more than {problem.max_practices}")
    n = problem.n_consortia
    if n is not None:
        lo, hi = (n, n) if isinstance(n, int) else n
        if not lo <= len(members) <= hi:
            problems.append(f"the plan has {len(members)} consortia; {lo}-{hi} were asked for")

    # strict nesting: inside one authority, or a union of whole authorities
    if problem.nesting == "strict":
        lad = {str(k): str(v) for k, v in units["lad"].items()}
        lad_count: dict[str, int] = defaultdict(int)
        for u in pop:
            lad_count[lad[u]] += 1
        for label, group in sorted(members.items()):
            held: dict[str, int] = defaultdict(int)
            for u in group:
                held[lad[u]] += 1
            if len(held) > 1:
                beyond = getattr(problem, "lads_beyond", ())  # a part of a region: these are never whole here
                partial = sorted(g for g, c in held.items() if c < lad_count[g] or g in beyond)
                if partial:
                    problems.append(
                        f"consortium {label} crosses authority lines and holds only part of {', '.join(partial)}"
                    )

    # health-community floor, on the consortium's main trust: the main trust of the most of its patients
    if problem.health_floor is not None and "community" in units:
        trust = _trusts(units)
        for label, group in sorted(members.items()):
            main, coherent = _main_trust(group, pop, trust)
            total = sum(pop[u] for u in group)
            share = coherent / total if total else 1.0
            if share < problem.health_floor - 1e-9:
                problems.append(
                    f"consortium {label}: only {share:.0%} of patients share its main acute trust {main} "
                    f"(floor {problem.health_floor:.0%})"
                )

    # deprivation band around the reference: the region's patient-weighted mean IMD unless the problem names one
    if problem.imd_band is not None and "imd" in units:
        imd = {str(k): float(v) for k, v in units["imd"].items()}
        mean = problem.imd_reference
        if mean is None:
            mean = _imd_reference(pop, imd)
        for label, group in sorted(members.items()):
            value = _imd_mean(group, pop, imd)
            if abs(value - mean) > problem.imd_band + 1e-9:
                problems.append(
                    f"consortium {label} has mean IMD {value:.1f}, more than {problem.imd_band:g} from the "
                    f"region's {mean:.1f}"
                )

    # planner's wishes
    for unit, name in problem.fixed.items():
        for other, other_name in problem.fixed.items():
            if unit < other and (name == other_name) != (got.get(unit) == got.get(other)):
                rule = "kept together" if name == other_name else "kept apart"
                problems.append(f"practices {unit} and {other} should be {rule}")
    for group in problem.together:
        if len({got.get(u) for u in group}) > 1:
            problems.append(f"practices {', '.join(group)} should be in one consortium")
    for a, b in problem.apart:
        if got.get(a) is not None and got.get(a) == got.get(b):
            problems.append(f"practices {a} and {b} should be in different consortia")
    if problem.max_moves is not None and problem.baseline is not None:
        moved = count_moves(got, {str(k): str(v) for k, v in problem.baseline.items()})
        if moved > problem.max_moves:
            problems.append(f"{moved} practices move from the baseline, more than {problem.max_moves}")

    # a reference to beat: on every measure asked, no worse than the reference's value
    if problem.beat and not missing and not unknown:
        own = measures(got, problem).plan
        for measure, target in problem.beat.items():
            achieved = own.get(measure)
            if achieved is None:  # the plan's measures lack it: no worse is not shown
                problems.append(f"{measure} is not measured, so not shown no worse than the reference's {target:.4g}")
            elif worse_by(measure, achieved, target):
                side = "above" if BEATABLE[measure] == "max" else "below"
                problems.append(f"{measure} is {achieved:.4g}, {side} the reference's {target:.4g}")

    return Validation(not problems, problems, island_linked, ground, island_parts)


def _on_the_ground(members: dict[str, set[str]], problem) -> tuple[dict[str, int], dict[str, str]]:
    """Pieces of land of each consortium's area, counting pieces joined by an island link of the graph as one
    when island links are allowed; and each consortium's island parts in words. Both empty when the problem
    has no region with a cell for each of its units."""
    region = getattr(problem, "region", None)
    cells = getattr(region, "cells", None)
    labels = pd.Series({u: label for label, group in members.items() for u in group}, dtype=object)
    if region is None or cells is None or not set(labels.index) <= set(map(str, cells.index)):
        return {}, {}
    links = [
        (str(a), str(b))
        for a, b, d in problem.graph.edges(data=True)
        if problem.use_island_links and d.get("island") and labels.get(str(a)) == labels.get(str(b))
    ]
    counts = {}
    for label, pieces in land_pieces(labels, region).items():
        piece_of = {u: str(k) for k, piece in enumerate(pieces) for u in piece}
        joined: dict[str, set[str]] = {str(k): set() for k in range(len(pieces))}
        for a, b in links:
            if labels.get(a) == label:
                joined[piece_of[a]].add(piece_of[b])
                joined[piece_of[b]].add(piece_of[a])
        counts[label] = _pieces(set(joined), joined)
    return counts, _island_words(labels, cells, region)


def _island_words(labels: pd.Series, cells, region) -> dict[str, str]:
    """Consortium -> "12 island parts (4.80 km²) of Northumberland", for consortia whose cells hold any."""
    if "island_parts" not in cells:
        return {}
    held = cells.reindex(labels.index)
    held = held[held["island_parts"] > 0]
    names = region.lads.get("lad_name", {})
    out = {}
    for label, group in held.groupby(labels.reindex(held.index), sort=True):
        lads = ", ".join(sorted({str(names.get(lad, lad)) for lad in group["lad"]}))
        out[str(label)] = (
            f"{int(group['island_parts'].sum())} island parts ({group['island_km2'].sum():.2f} km²) of {lads}"
        )
    return out


def count_moves(plan: dict[str, str], baseline: dict[str, str]) -> int:
    """Practices outside the best one-to-one matching of new consortia to baseline consortia."""
    new_labels = sorted(set(plan.values()))
    old_labels = sorted(set(baseline.values()))
    row = {x: k for k, x in enumerate(new_labels)}
    col = {x: k for k, x in enumerate(old_labels)}
    overlap = [[0] * len(old_labels) for _ in new_labels]
    for unit, label in plan.items():
        if unit in baseline:
            overlap[row[label]][col[baseline[unit]]] += 1
    rows, cols = linear_sum_assignment(overlap, maximize=True)
    kept = sum(overlap[r][c] for r, c in zip(rows, cols))
    return len(plan) - kept


# -- the measures of docs/measures.md, on this module's own code ----------------------------------------------


@dataclass
class Measures:
    """Every measure of ``docs/measures.md`` for one plan, computed by the validator.

    ``consortia``: label -> patients, practices, main_trust, coherence, imd_mean, imd_gap, compactness_km,
    coterminous; ``authorities``: LAD -> LA splits (consortia holding part of it, minus one); ``plan``: the
    plan's coherence, imd_reference, imd_spread, imd_max_gap, compactness_km, non_coterminous, la_splits,
    outside_bounds (consortia outside the problem's population bounds) and, with a baseline, moved_practices.
    """

    consortia: dict[str, dict[str, Any]]
    authorities: dict[str, int]
    plan: dict[str, Any]


def measures(plan, problem, baseline=None) -> Measures:
    """The measures of ``plan`` (a Plan or a mapping unit -> label) on ``problem``'s units, with moves counted
    from ``baseline`` (default: the problem's baseline, if any). Authorities are the region's LADs when the
    problem has a region (not the nesting groups ``lad_groups`` may join), else the units' ``lad``."""
    assignment = getattr(plan, "assignment", plan)
    got = {str(k): str(v) for k, v in dict(assignment).items()}
    units = problem.units
    pop = {str(k): int(v) for k, v in units["population"].items()}
    members: dict[str, set[str]] = defaultdict(set)
    for unit, label in got.items():
        members[label].add(unit)
    trust = _trusts(units) if "community" in units else None
    imd = {str(k): float(v) for k, v in units["imd"].items()} if "imd" in units else None
    xy = {str(k): (float(x), float(y)) for k, x, y in zip(units.index, units["x"], units["y"])}
    lad = _authority_of(problem)

    reference = _imd_reference(pop, imd) if imd is not None else math.nan
    rows: dict[str, dict[str, Any]] = {}
    for label, group in sorted(members.items()):
        total = sum(pop[u] for u in group)
        row: dict[str, Any] = {"patients": total, "practices": len(group)}
        if trust is not None:
            main, coherent = _main_trust(group, pop, trust)
            row["main_trust"] = main
            row["coherent_patients"] = coherent
            row["coherence"] = coherent / total if total else math.nan
        if imd is not None:
            row["imd_mean"] = _imd_mean(group, pop, imd)
            row["imd_gap"] = row["imd_mean"] - reference
        row["compactness_km"] = _mean_distance_km(group, pop, xy)
        if lad is not None:
            row["coterminous"] = _coterminous(group, lad)
        rows[label] = row

    everyone = sum(pop[u] for u in got)
    summary: dict[str, Any] = {
        "consortia": len(rows),
        "outside_bounds": sum(
            not problem.min_population <= r["patients"] <= problem.max_population for r in rows.values()
        ),
    }
    if trust is not None:
        summary["coherence"] = sum(r["coherent_patients"] for r in rows.values()) / everyone if everyone else math.nan
    if imd is not None:
        means = [r["imd_mean"] for r in rows.values()]
        centre = sum(means) / len(means)
        summary["imd_reference"] = reference
        summary["imd_spread"] = math.sqrt(sum((m - centre) ** 2 for m in means) / len(means))
        summary["imd_max_gap"] = max(abs(m - reference) for m in means)
    if everyone:
        summary["compactness_km"] = sum(r["compactness_km"] * r["patients"] for r in rows.values()) / everyone
    else:
        summary["compactness_km"] = math.nan
    authorities: dict[str, int] = {}
    if lad is not None:
        held: dict[str, set[str]] = defaultdict(set)
        for unit, label in got.items():
            held[lad[unit]].add(label)
        authorities = {g: len(labels) - 1 for g, labels in sorted(held.items())}
        summary["non_coterminous"] = sum(not r["coterminous"] for r in rows.values())
        summary["la_splits"] = sum(authorities.values())
    base = problem.baseline if baseline is None else baseline
    if base is not None:
        base = getattr(base, "assignment", base)
        summary["moved_practices"] = count_moves(got, {str(k): str(v) for k, v in dict(base).items()})
    return Measures(rows, authorities, summary)


def _trusts(units) -> dict[str, str | None]:
    """Unit -> its main acute trust, None when it has none (a missing value, written 'nan' once made text)."""
    out: dict[str, str | None] = {}
    for unit, value in units["community"].items():
        missing = value is None or (isinstance(value, float) and math.isnan(value)) or str(value) == "nan"
        out[str(unit)] = None if missing else str(value)
    return out


def _main_trust(group: set[str], pop: dict[str, int], trust: dict[str, str | None]) -> tuple[str | None, int]:
    """The trust that is the main trust of the most patients of ``group`` (ties: the lower code), and how many
    patients have it as their practice's main trust."""
    patients: dict[str, int] = defaultdict(int)
    for u in group:
        own_trust = trust[u]
        if own_trust is not None:
            patients[own_trust] += pop[u]
    if not patients:
        return None, 0
    main = min(patients, key=lambda t: (-patients[t], t))
    return main, patients[main]


def _imd_reference(pop: dict[str, int], imd: dict[str, float]) -> float:
    """The region's patient-weighted mean IMD, practices without a score left out."""
    scored = [u for u in pop if not math.isnan(imd[u])]
    weight = sum(pop[u] for u in scored)
    if weight:
        return sum(imd[u] * pop[u] for u in scored) / weight
    return sum(imd[u] for u in scored) / len(scored) if scored else math.nan


def _imd_mean(group: set[str], pop: dict[str, int], imd: dict[str, float]) -> float:
    """A consortium's patient-weighted mean IMD (a plain mean when its scored practices have no patients)."""
    scored = [u for u in group if not math.isnan(imd[u])]
    weight = sum(pop[u] for u in scored)
    if weight:
        return sum(imd[u] * pop[u] for u in scored) / weight
    return sum(imd[u] for u in scored) / len(scored) if scored else math.nan


def _mean_distance_km(group: set[str], pop: dict[str, int], xy: dict[str, tuple[float, float]]) -> float:
    """Patient-weighted mean distance from each practice to the group's patient-weighted centre, in km."""
    weight = {u: pop[u] for u in group} if sum(pop[u] for u in group) else dict.fromkeys(group, 1)
    total = sum(weight.values())
    cx = sum(xy[u][0] * w for u, w in weight.items()) / total
    cy = sum(xy[u][1] * w for u, w in weight.items()) / total
    return sum(math.hypot(xy[u][0] - cx, xy[u][1] - cy) * w for u, w in weight.items()) / total / 1000


def _authority_of(problem) -> dict[str, str] | None:
    """Unit -> local authority: the region's LADs when the problem has a region, else the units' ``lad``."""
    region = getattr(problem, "region", None)
    practices = getattr(region, "practices", None)
    index = {str(u) for u in problem.units.index}
    if practices is not None and "lad" in practices and index <= {str(c) for c in practices.index}:
        return {str(c): str(g) for c, g in practices["lad"].items() if str(c) in index}
    if "lad" in problem.units:
        return {str(u): str(g) for u, g in problem.units["lad"].items()}
    return None


def _coterminous(group: set[str], lad: dict[str, str]) -> bool:
    """Inside one authority, or every authority it touches wholly inside it."""
    touched = {lad[u] for u in group}
    if len(touched) == 1:
        return True
    return all(lad[u] not in touched or u in group for u in lad)
