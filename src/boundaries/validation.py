"""An independent re-check of every hard rule of a problem on any plan.

This module deliberately shares no code with the model, the backends or the decomposition: it reads the plan's
assignment and the problem's raw data and recomputes everything its own way (plain breadth-first search, its own
sums), so a bug in the solver path cannot also hide here.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

from scipy.optimize import linear_sum_assignment


@dataclass
class Validation:
    ok: bool
    violations: list[str] = field(default_factory=list)
    island_linked: list[str] = field(default_factory=list)  # consortia connected only through island links

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        if self.ok:
            extra = f" ({len(self.island_linked)} joined through island links)" if self.island_linked else ""
            return "valid: every hard rule holds" + extra
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
    for label, group in sorted(members.items()):
        if _pieces(group, allowed) > 1:
            problems.append(f"consortium {label} is in {_pieces(group, allowed)} separate pieces")
        elif _pieces(group, mainland) > 1:
            island_linked.append(label)

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

    return Validation(not problems, problems, island_linked)


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
