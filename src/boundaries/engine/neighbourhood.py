"""Improve a whole-region plan by re-solving two or three neighbouring consortia at a time, exactly.

With soft or no nesting the exact model of a whole region is too large to solve in a planner's wait (North
East: 154,056 assignment variables; HiGHS had not solved its first relaxation after 370 s), and the
heuristic's single-unit moves stop at local optima that differ by 20% from one random start to the next. Two
neighbouring consortia, though, are a problem of 20-50 practices in two consortia that the exact model
(``exact.solve_single``, contiguity cuts included) proves optimal in about half a second with CP-SAT, and three
in under a second. Re-solving such groups until none improves is a large-neighbourhood search whose moves are
whole redrawings of shared borders, not single practices. Measured on North East, nesting off (2 cores, load
2-5): the heuristic's 9.92M patient-km to 9.81M by pairs in 55 s (77 solved), then 9.47M by triples in 155 s
more (198 solved), where 69 more random restarts of the heuristic had found nothing better than 10.12M.

Each group keeps its count of consortia (so does the plan) and every per-consortium rule; a new drawing is
kept only when the *whole* plan's objective falls (``heuristic.plan_objective``) and the independent validator
accepts the whole plan. A group prices what the whole plan does: an authority that also lies outside the group is
never held whole in it (``Problem.lads_beyond``), so a consortium crossing into it pays for a piece, as in the
region (tested: a part's change in objective is the whole plan's).

Where this search ends, larger moves measured found nothing more (issue 12; North East, hub preset, soft
nesting, from the 9,690,809.8 plan every pair and triple of which had been re-solved, 26 consortia; 1 thread,
load 1.4-2.6). Groups of four neighbouring consortia (324 of them): 129 re-solved in 80 s in this order, 0
improved; taken dearest first (the sum of their consortia's own objective), 28 in 80 s (the rural ones take
about 3 s each), 0 improved. Moving a consortium (one group re-solved into one consortium less, a disjoint one
into one more, for pairs and triples): 200 such solves in 150 s, 0 improved. The best pair of these changes
summed over the parts was 33,077 lower (a pair merged: +211,586; another pair in three: -244,664), but the
whole plan was 66,923 higher: 100,000 more, two authority pieces at 50,000 each that the parts did not see
then. So the search stops early there because these moves, too, find nothing, not for want of trying them.
Since the parts price those pieces (``lads_beyond``; 600 s, 2 cores, two solves at once, load 0.5-1.6): North
East ends at the same plan (9,690,809.8); South Central goes on improving to the limit where it stopped at a
local optimum after 355 s, 18,034,755 against 18,063,704 (0.16% lower; bound 16,342,887, gap 9.38%).
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field, replace

from boundaries.check.dominance import TERMS, leaning
from boundaries.check.validation import measures, validate, worse_by
from boundaries.engine.decompose import LEAN
from boundaries.engine.exact import solve_single
from boundaries.engine.heuristic import plan_objective
from boundaries.engine.problem import Problem, Weights

#: The most one group's exact solve may take: a group not proven by then is left as it is.
PART_SECONDS = 10.0
#: The exact model used for the groups (about 3 times faster than HiGHS on pairs: 0.59 s a pair against 1.88 s).
PART_BACKEND = "cpsat"


def applies(problem: Problem) -> bool:
    """True when a plan's cost is the sum of its consortia's, each read from its own members (and the
    region's fixed IMD reference): no baseline (moves are matched across the whole plan) and no priorities (one
    weighted objective). A reference to beat is stated on the whole plan: each new drawing is measured whole
    (``shortfall``)."""
    return problem.baseline is None and not problem.priorities


def _leaning(weights: Weights, missed: list[str]) -> Weights:
    """The weights of a group's re-solve while the plan misses ``missed``: each missed measure's term
    ``LEAN`` times its weight, and the price of an authority split when consortia cross authorities more
    than the reference's do (non-coterminous consortia, authority splits)."""
    leaned = leaning(weights, {m: LEAN for m in missed if m in TERMS})
    if {"non_coterminous", "la_splits"} & set(missed):
        leaned = replace(leaned, la_split=weights.la_split * LEAN)
    return leaned


def shortfall(problem: Problem, centres: dict) -> tuple[float, list[str]]:
    """How far a plan is from beating ``problem.beat``, as the validator measures it: the sum over measures of
    its miss as a share of the reference's value (0: no worse on every one), and the measures it misses."""
    if not problem.beat:
        return 0.0, []
    own = measures(centres, problem).plan
    total, missed = 0.0, []
    for measure, target in problem.beat.items():
        value = own.get(measure)
        if value is None:
            return math.inf, [measure]
        miss = worse_by(measure, value, target)
        if miss:
            total += miss / max(1.0, abs(target))
            missed.append(measure)
    return total, missed


@dataclass
class Improved:
    """The plan reached (unit -> centre unit), its objective, and when each better plan was found."""

    centres: dict
    objective: float
    miss: float = 0.0  # ``shortfall`` from a reference to beat (0 without one) ...
    missed: list[str] = field(default_factory=list)  # ... and the measures it misses
    solved: int = 0  # groups of neighbouring consortia re-solved
    improved: int = 0  # ... that made the plan better
    progress: list[tuple[float, float]] = field(default_factory=list)  # (seconds from the start, objective)

    @property
    def log(self) -> str:
        return (
            f"neighbouring consortia re-solved exactly, two and three at a time: {self.solved} solved, "
            f"{self.improved} improved; objective {self.objective:,.1f}"
        )


def _neighbourhoods(problem: Problem, centres: dict, size: int) -> list[tuple]:
    """Groups of ``size`` (2 or 3) consortia, named by their centres, in one piece: two that share a border, or
    one with two of its neighbours. Each once, in a fixed order."""
    position = {u: k for k, u in enumerate(problem.units.index)}
    neighbours: dict = {}
    for a, b in problem.contiguity_graph().edges:
        ca, cb = centres[a], centres[b]
        if ca != cb:
            neighbours.setdefault(ca, set()).add(cb)
            neighbours.setdefault(cb, set()).add(ca)
    groups = set()
    for centre, around in neighbours.items():
        for others in itertools.combinations(sorted(around, key=position.__getitem__), size - 1):
            groups.add(tuple(sorted((centre, *others), key=position.__getitem__)))
    return sorted(groups, key=lambda g: [position[c] for c in g])


def improve(
    problem: Problem, centres: dict, objective: float, time_limit: float, seed: int = 0, sizes: tuple = (2, 3)
) -> Improved:
    """Re-solve groups of neighbouring consortia of the plan ``centres`` (unit -> centre unit, valid, of
    ``objective`` as ``plan_objective`` counts it), pairs first, until no group improves or ``time_limit``
    seconds pass. After any improvement the pairs are looked at again: they are the cheaper solves.

    With a reference to beat, ``centres`` need only meet the other rules: a plan is better when it misses the
    reference by less (``shortfall``), then when it costs less, and while it misses, each group is re-solved
    leaning on the measures missed (their terms ``decompose.LEAN`` times their weight)."""
    started = time.perf_counter()
    deadline = started + time_limit
    rules = replace(problem, beat={})  # every rule but the reference's values, which ``shortfall`` measures
    best = Improved(dict(centres), objective, *shortfall(problem, centres))
    tried: set[frozenset] = set()  # groups whose members were already re-solved: nothing changed in them since

    def better_group(size: int) -> bool:
        """Re-solve untried groups of ``size`` until one improves the plan (True) or none is left (False)."""
        for group in _neighbourhoods(problem, best.centres, size):
            left = deadline - time.perf_counter()
            if left <= 0:
                return False
            members = [u for u, c in best.centres.items() if c in group]
            key = frozenset(members)
            if key in tried:
                continue
            tried.add(key)
            part = problem.subproblem(members, n_consortia=size)
            if best.missed:
                part = replace(part, weights=_leaning(part.weights, best.missed))
            now = {u: best.centres[u] for u in members}
            solved = solve_single(part, PART_BACKEND, min(PART_SECONDS, left), seed, start=now)
            best.solved += 1
            # the part's two plans counted alike: the model's rounded price of the old one can differ from this
            if solved.centres is None or plan_objective(part, solved.centres) >= plan_objective(part, now) - 1e-6:
                continue
            candidate = {**best.centres, **solved.centres}
            value = plan_objective(problem, candidate)
            less, less_missed = shortfall(problem, candidate)
            closer = less < best.miss - 1e-9
            if (closer or (less <= best.miss + 1e-9 and value < best.objective - 1e-6)) and validate(
                candidate, rules
            ).ok:
                best.centres, best.objective, best.miss, best.missed = candidate, value, less, less_missed
                best.improved += 1
                if not less:  # a plan of the problem: progress is a plan's
                    best.progress.append((time.perf_counter() - started, value))
                return True
        return False

    while time.perf_counter() < deadline and any(better_group(size) for size in sizes):
        pass  # ``any`` stops at the first size that improved: the pairs come first again
    return best
