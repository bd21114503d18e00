"""Improve a whole-region plan by re-solving two neighbouring consortia at a time, exactly.

With soft or no nesting the exact model of a whole region is too large to solve in a planner's wait (North
East: 154,056 assignment variables; HiGHS had not solved its first relaxation after 370 s), and the
heuristic's single-unit moves stop at local optima that differ by 20% from one random start to the next. Two
neighbouring consortia, though, are a problem of 20-50 practices in two consortia that the exact model
(``exact.solve_single``, contiguity cuts included) proves optimal in about half a second with CP-SAT. Re-solving
every pair of neighbouring consortia until none improves is a large-neighbourhood search whose moves are whole
redrawings of a shared border, not single practices: measured on North East, nesting off (2 cores, load 2-3),
9.92M patient-km to 9.81M in 48 s, where 69 more random restarts of the heuristic had found nothing better
than 10.12M.

Each pair keeps its two consortia (the plan's count does not change) and every per-consortium rule; a new
pair is kept only when the *whole* plan's objective falls (``heuristic.plan_objective``) and the independent
validator accepts the whole plan, because a part does not see everything the whole problem prices: an
authority split under soft nesting counts the authority's practices outside the pair too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .exact import solve_single
from .heuristic import plan_objective
from .problem import Problem
from .validation import validate

#: The most one pair's exact solve may take: a pair that is not proven by then is left as it is.
PAIR_SECONDS = 10.0
#: The exact model used for the pairs (about 3 times faster than HiGHS on them: 0.59 s a pair against 1.88 s).
PAIR_BACKEND = "cpsat"


def applies(problem: Problem) -> bool:
    """True when a plan's cost is the sum of its consortia's, each read from its own members (and the
    region's fixed IMD reference): no baseline (moves are matched across the whole plan), no priorities (one
    weighted objective) and no reference to beat (stated on the whole plan)."""
    return problem.baseline is None and not problem.priorities and not problem.beat


@dataclass
class Improved:
    """The plan reached (unit -> centre unit), its objective, and when each better plan was found."""

    centres: dict
    objective: float
    pairs_solved: int = 0
    pairs_improved: int = 0
    progress: list[tuple[float, float]] = field(default_factory=list)  # (seconds from the start, objective)

    @property
    def log(self) -> str:
        return (
            f"neighbouring pairs re-solved exactly: {self.pairs_solved} solved, {self.pairs_improved} improved; "
            f"objective {self.objective:,.1f}"
        )


def _neighbouring_pairs(problem: Problem, centres: dict) -> list[tuple]:
    """Each pair of consortia (named by their centres) that share a border, once, in a fixed order."""
    position = {u: k for k, u in enumerate(problem.units.index)}
    pairs = set()
    for a, b in problem.contiguity_graph().edges:
        ca, cb = centres[a], centres[b]
        if ca != cb:
            pairs.add(tuple(sorted((ca, cb), key=position.__getitem__)))
    return sorted(pairs, key=lambda p: (position[p[0]], position[p[1]]))


def improve_pairs(problem: Problem, centres: dict, objective: float, time_limit: float, seed: int = 0) -> Improved:
    """Re-solve neighbouring pairs of consortia of the plan ``centres`` (unit -> centre unit, valid, of
    ``objective`` as ``plan_objective`` counts it) until no pair improves or ``time_limit`` seconds pass."""
    started = time.perf_counter()
    deadline = started + time_limit
    best = Improved(dict(centres), objective)
    tried: set[frozenset] = set()  # pairs whose members were already re-solved: nothing changed in them since
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for first, second in _neighbouring_pairs(problem, best.centres):
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            members = [u for u, c in best.centres.items() if c in (first, second)]
            key = frozenset(members)
            if key in tried:
                continue
            tried.add(key)
            part = problem.subproblem(members, n_consortia=2)
            now = {u: best.centres[u] for u in members}
            solved = solve_single(part, PAIR_BACKEND, min(PAIR_SECONDS, left), seed, start=now)
            best.pairs_solved += 1
            if solved.centres is None or solved.objective >= plan_objective(part, now) - 1e-6:
                continue
            candidate = {**best.centres, **solved.centres}
            value = plan_objective(problem, candidate)
            if value < best.objective - 1e-6 and validate(candidate, problem).ok:
                best.centres, best.objective = candidate, value
                best.pairs_improved += 1
                best.progress.append((time.perf_counter() - started, value))
                improved = True
                break  # the pairs changed: list them again (the ones tried and unchanged are skipped)
    return best
