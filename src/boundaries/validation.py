"""An independent re-check of every hard rule of a problem on any plan.

This module deliberately shares no code with the model, the backends or the decomposition: it reads the plan's
assignment and the problem's raw data and recomputes everything its own way (plain breadth-first search, its own
sums), so a bug in the solver path cannot also hide here.

When the problem has a region, contiguity is also checked on the ground: each consortium's area (the union of
its practices' catchment cells, marked island parts aside) must be one piece of land, or pieces joined by the
graph's explicit island links when those are allowed. The pieces are found from the cells' geometry
(:func:`boundaries.areas.land_pieces`), not from the neighbour graph, so an edge that does not stand for a
shared border on the ground cannot pass unseen.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

import pandas as pd
from scipy.optimize import linear_sum_assignment

from .areas import land_pieces


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
                partial = sorted(g for g, c in held.items() if c < lad_count[g])
                if partial:
                    problems.append(
                        f"consortium {label} crosses authority lines and holds only part of {', '.join(partial)}"
                    )

    # health-community floor, measured on the consortium's most common main trust
    if problem.health_floor is not None and "community" in units:
        trust = {str(k): str(v) for k, v in units["community"].items()}
        for label, group in sorted(members.items()):
            by_trust: dict[str, int] = defaultdict(int)
            for u in group:
                by_trust[trust[u]] += pop[u]
            total = sum(by_trust.values())
            share = max(by_trust.values()) / total if total else 1.0
            if share < problem.health_floor - 1e-9:
                problems.append(
                    f"consortium {label}: only {share:.0%} of patients share its main acute trust "
                    f"(floor {problem.health_floor:.0%})"
                )

    # deprivation band around the region's mean
    if problem.imd_band is not None and "imd" in units:
        imd = {str(k): float(v) for k, v in units["imd"].items()}
        weight = sum(pop.values())
        mean = problem.imd_reference
        if mean is None:
            mean = sum(imd[u] * pop[u] for u in pop) / weight
        for label, group in sorted(members.items()):
            total = sum(pop[u] for u in group)
            value = sum(imd[u] * pop[u] for u in group) / total if total else mean
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

    return Validation(not problems, problems, island_linked, ground, island_parts)


def _on_the_ground(members: dict[str, set[str]], problem) -> tuple[dict[str, int], dict[str, str]]:
    """Pieces of land of each consortium's area, counting pieces joined by an island link of the graph as one
    when island links are allowed; and each consortium's island parts in words. Both empty when the problem
    has no region with a cell for each of its units."""
    region = getattr(problem, "region", None)
    cells = getattr(region, "cells", None)
    labels = pd.Series({u: label for label, group in members.items() for u in group}, dtype=object)
    if cells is None or not set(labels.index) <= set(map(str, cells.index)):
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
