"""``solve(problem)``: the one pipeline from a problem to a plan with the evidence of how good it is.

1. **Precheck**: impossibilities provable without a solver, explained in a planner's words.
2. **Heuristic** (``boundaries.engine.heuristic``): a plan meeting every hard rule within seconds, re-checked by the
   independent validator; it is the incumbent and warm start of the exact search. When it finds none and the
   labelling model states every hard rule, that model with nothing priced finds any plan (then improved by the
   heuristic's local search) or proves that none exists.
3. **Exact search**: by local authority when strict nesting makes that exact (``boundaries.engine.decompose``); the
   labelling model, contiguity inside one CP-SAT search, when nothing in the objective reads a consortium's
   centre (cut edges, ``boundaries.engine.labels``), started from the plan of the set-partitioning bound
   (``boundaries.engine.columns``), whose bound holds where the labelling model's collapses; else one p-median model
   with lazy contiguity cuts (``boundaries.engine.exact``) and a Lagrangian bound (``boundaries.engine.lagrange``). It
   improves the plan and proves a bound. A whole model too large to solve (a region with soft or no nesting)
   is not built: the Lagrangian bound gets its share, then pairs and triples of neighbouring consortia are
   re-solved exactly with the rest (``boundaries.engine.neighbourhood``).
4. **Validation** of the plan returned (``boundaries.check.validation``, which shares no code with the solvers), and,
   when no plan exists, an **explanation** with its own share of the time.

``time_limit`` is one budget passed down: every stage gets what is left of it, and the plan returned is the best
valid one found so far, with the best bound so far.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

import numpy as np
import pandas as pd

from boundaries.check.dominance import describe
from boundaries.check.validation import measures, validate
from boundaries.engine import columns, labels, neighbourhood
from boundaries.engine.decompose import can_beat, can_decompose, solve_decomposed
from boundaries.engine.exact import Outcome, solve_single
from boundaries.engine.explain import explain_beat, explain_infeasible, precheck
from boundaries.engine.heuristic import first_plan, improve_plan, plan_objective
from boundaries.engine.lagrange import lagrangian_bound
from boundaries.engine.model import population_reach
from boundaries.engine.naming import name_consortia
from boundaries.engine.plan import Plan, Progress
from boundaries.engine.problem import Problem
from boundaries.errors import InputError
from boundaries.status import Status, proven, proven_status, relative_gap

#: The heuristic's share of the time for its first plan (at most ``HEURISTIC_SECONDS``), and the share kept
#: back for explaining an infeasible request.
HEURISTIC_SHARE, HEURISTIC_SECONDS, EXPLAIN_SHARE = 0.25, 10.0, 0.15
#: The exact whole model is built only when that takes at most this share of the time; otherwise the
#: Lagrangian bound gets ``BOUND_SHARE`` of it.
BUILD_SHARE, BOUND_SHARE = 0.3, 0.3
#: ... and before a neighbourhood search, at least this many seconds (or all there is): North West, soft nesting
#: at 20 s on a loaded machine, had 1.3 s of its 30% left for a bound, and its set-up alone took longer.
BOUND_SECONDS = 10.0
#: Under soft nesting, the share of the time for a plan of whole authorities (strict nesting, decomposed).
NESTED_SHARE = 0.5
#: ... only with at least this many seconds: below it the heuristic and the bound need all the time there is.
NESTED_MIN_SECONDS = 20.0
#: The share of the time kept for checking and naming the plan at the end.
RESERVE = 0.03
#: Seconds to build one assignment variable of the model with its rows (measured: North West, soft nesting,
#: 1.6 million variables in 66 s on a 2-core machine).
BUILD_SECONDS_PER_PAIR = 4e-5
#: Above this many assignment variables the whole model is not solved; pairs of neighbouring consortia are
#: (``boundaries.engine.neighbourhood``). North East with nesting off has 154,056: HiGHS had not solved its first
#: relaxation after 370 s. Kent's 204 practices in 4 (about 41,000) are within 3% at 60 s whole.
WHOLE_MODEL_PAIRS = 60_000


#: Under the labelling model, the set-partitioning bound's share of the exact search (it improves plans too).
#: Cornwall by cut edges at 60 s, 0.75 against 0.5: within ±0.5% in 4 24 / 22 against 28 / 22, in 6 bounds
#: 35 against 32-34, plans equal or better; the labelling search's own bound collapses there.
COLUMNS_SHARE = 0.75


def _label_search(problem: Problem, time_limit: float, seed: int, threads: int, gap: float, start) -> Outcome:
    """The set-partitioning bound (``boundaries.engine.columns``) from the start, then the labelling model from its best
    plan with the time left: the labelling model alone proves small instances, but its bound collapses with the
    border objective under tight population bounds, where the columns' LP does not (a 6x6 grid in 4 districts of
    9: proven 12 cut edges in 3 s, against a bound of 3 after 30 s)."""
    started = time.perf_counter()
    if start is None:
        return labels.solve_labels(problem, time_limit, seed, threads, gap)
    first = columns.solve_columns(problem, COLUMNS_SHARE * time_limit, start, seed, gap)
    if proven(first.objective, first.bound, gap):
        return first
    rest = time_limit - (time.perf_counter() - started)
    then = labels.solve_labels(problem, rest, seed, threads, gap, start=first.centres)
    bound = max((b for b in (first.bound, then.bound) if b is not None), default=None)
    then_better = then.objective is not None and (first.objective is None or then.objective <= first.objective)
    best = then if then.centres is not None and then_better else first
    progress = [*first.progress, *((first.seconds + t, o, b) for t, o, b in then.progress)]
    return replace(
        best,
        status=proven_status(best.objective, bound),
        bound=bound,
        seconds=time.perf_counter() - started,
        log=[*first.log, *then.log],
        progress=progress,
    )


def estimated_pairs(problem: Problem, samples: int = 24) -> float:
    """How many assignment variables the whole model would have: the candidate pairs of a few evenly spread
    centres (``model.population_reach``, nesting ignored, so an over-estimate) scaled to every centre."""
    units = list(problem.units.index)
    graph = problem.contiguity_graph()
    pop = problem.units["population"].astype(int).to_dict()
    step = max(1, len(units) // samples)
    reach = [len(population_reach(graph, pop, u, problem.max_population)) for u in units[::step]]
    return len(units) * float(np.mean(reach))


def solve(
    problem: Problem,
    backend: str = "highs",
    time_limit: float = 60.0,
    seed: int = 0,
    threads: int = 1,
    decompose: bool | None = None,
    gap: float = 0.0,
    hints: list[dict] | None = None,
) -> Plan:
    """Partition the problem's units into consortia. Always returns a Plan; read ``plan.status``.

    The solver stops early once the plan is proven within ``gap`` (relative) of the best possible; 0 asks for
    a proof of optimality (``plan.status`` is "optimal" only then).

    ``decompose=None`` decomposes by local authority whenever that is exact (strict nesting, no wish that
    couples two authorities, no baseline). ``hints`` (plans as unit -> label) give the decomposition their
    pieces as columns (``decompose.solve_decomposed``); other searches ignore them.
    """
    started = time.perf_counter()
    _check_options(problem, time_limit, gap)

    def left() -> float:
        return time_limit - (time.perf_counter() - started)

    reasons = precheck(problem)
    if reasons:
        return _no_plan(problem, backend, Status.INFEASIBLE, "\n".join(reasons), started)
    problem = problem.with_imd_reference()  # one reference for the heuristic and every model

    log: list[str] = []
    if decompose is None:
        decompose = can_decompose(problem)
    if problem.beat and problem.nesting == "strict" and not decompose:
        raise InputError("beating a reference needs the decomposition by authority: not decompose=False", field="beat")
    use_labels = not decompose and not problem.beat and labels.fits(problem)
    solver_name = "cpsat" if use_labels else backend  # the labelling model is CP-SAT's, whatever was asked
    if use_labels and backend != "cpsat":
        log.append(f"nothing in the objective reads a centre: the labelling model (CP-SAT) is used, not {backend}")
    # A whole-region model that would take a large share of the time just to build is left out: the
    # heuristic gets that time instead. The whole-model path always has a Lagrangian bound.
    pairs = 0.0 if decompose or use_labels else estimated_pairs(problem)
    build = BUILD_SECONDS_PER_PAIR * pairs
    exact = build <= BUILD_SHARE * time_limit
    # too large to solve whole: the heuristic's plan is improved a few neighbouring consortia at a time instead
    # (and always with a reference to beat under soft nesting: the whole model does not state the reference)
    by_pairs = (
        not decompose
        and not use_labels
        and (pairs > WHOLE_MODEL_PAIRS or bool(problem.beat))
        and neighbourhood.applies(problem)
    )
    if by_pairs:
        exact = False
        log.append(
            f"the whole model would have about {pairs:,.0f} variables: pairs and triples of consortia re-solved instead"
        )
    elif not exact:
        log.append(f"the whole model would take about {build:.0f} s to build: heuristic and Lagrangian bound only")
    # Under soft nesting a plan of whole authorities is allowed too, and the decomposition finds a near-optimal
    # one fast: it competes with the heuristic for the start (its bound holds for strict nesting only).
    strict = replace(problem, nesting="strict") if problem.nesting == "soft" else None
    nested = strict is not None and time_limit >= NESTED_MIN_SECONDS and can_decompose(strict)
    nested_time = NESTED_SHARE * time_limit if nested else 0.0
    alone = (1 - BOUND_SHARE) * left() - nested_time  # no exact model: the heuristic has most of the time
    budget = min(HEURISTIC_SECONDS, HEURISTIC_SHARE * time_limit) if exact or by_pairs else alone
    heuristic_started = time.perf_counter() - started  # its progress is timed from its own start
    # the reserve comes off what is left, not off the heuristic's cap: past 333 s it would have left it nothing
    heuristic = first_plan(problem, min(budget, left() - RESERVE * time_limit), seed, attempts=2 if exact else None)
    start, start_objective = None, None
    # the start, or under soft nesting with a reference to beat a plan meeting every other rule, to improve
    closest: tuple[dict, float] | None = None
    near: neighbourhood.Improved | None = None  # ... and where its search ended, short of the reference
    progress: list[Progress] = []
    if heuristic is not None:
        log += heuristic.log
        check = validate(heuristic.centres, problem)
        if check.ok:
            start, start_objective = heuristic.centres, heuristic.objective
            progress += [(heuristic_started + t, objective, None) for t, objective in heuristic.progress]
        else:
            log.append(f"heuristic plan rejected by the validator: {check.violations[:3]}")
            if by_pairs and problem.beat and validate(heuristic.centres, replace(problem, beat={})).ok:
                closest = heuristic.centres, heuristic.objective
    if nested and strict is not None:
        whole = _whole_authorities(problem, strict, backend, nested_time, seed, threads, log)
        if whole is not None and (start_objective is None or whole[0] < start_objective):
            start_objective, start = whole
            progress.append((time.perf_counter() - started, start_objective, None))
    if start is None and not problem.beat and labels.states_rules(problem):
        # construction found nothing: the labelling model with nothing priced finds any plan or proves none exists
        found = labels.find_any_plan(problem, 0.5 * (left() - RESERVE * time_limit), seed)
        log += found.log
        if found.status == Status.INFEASIBLE:
            reasons = explain_infeasible(problem, max(left() - RESERVE * time_limit, 1.0))
            return _no_plan(problem, solver_name, Status.INFEASIBLE, "\n".join(reasons), started, log)
        if found.centres is not None:
            improved = improve_plan(problem, found.centres, min(HEURISTIC_SECONDS, HEURISTIC_SHARE * left()), seed)
            if improved is not None and validate(improved.centres, problem).ok:
                log += improved.log
                start, start_objective = improved.centres, improved.objective
                progress.append((time.perf_counter() - started, start_objective, None))
    if start is not None and start_objective is not None:  # what the bound and the search start from: a valid
        closest = start, start_objective  # plan first (a start plan comes with its objective)
    bound = None
    # (a plan that misses only the reference's values bounds the problem without them, and so this one)
    if not decompose and not use_labels and closest is not None:  # the labelling model proves its own bound
        rest = left() - RESERVE * time_limit
        # beside the exact model its share; alone, all the time left; before a neighbourhood search, a bound on
        # every run first (the search only improves a plan the bound already prices)
        share = BOUND_SHARE * rest if exact else rest
        if by_pairs:  # (with no plan yet that beats a reference, the search for one needs the time more)
            share = min(rest, BOUND_SECONDS) if start is None else max(BOUND_SHARE * rest, min(rest, BOUND_SECONDS))
        bound = lagrangian_bound(problem, closest[1], share, closest[0])
        if bound is not None:
            progress.append((time.perf_counter() - started, start_objective, bound))
            log.append(f"Lagrangian bound: {bound:,.1f}")
    if by_pairs and closest is not None:
        offset = time.perf_counter() - started
        better = neighbourhood.improve(problem, *closest, left() - RESERVE * time_limit, seed)
        log.append(better.log)
        progress += [(offset + t, objective, bound) for t, objective in better.progress]
        if validate(better.centres, problem).ok:
            start, start_objective = better.centres, better.objective
        else:  # (a start always stays valid: only valid plans replace it) still short of the reference
            near = better
            log.append(f"closest plan to the reference found: it still misses {', '.join(better.missed)}")
    if start is not None:
        outcome = Outcome(Status.FEASIBLE, start, start_objective, bound, time.perf_counter() - started)
    else:
        outcome = Outcome(Status.TIMED_OUT, None, None, None, time.perf_counter() - started)
    if exact:
        exact_time = left() - (RESERVE if start is not None else EXPLAIN_SHARE) * time_limit
        offset = time.perf_counter() - started
        if decompose:
            # a heuristic plan that does not beat the reference is no incumbent, but its divisions are good columns
            seeds = heuristic.centres if start is None and problem.beat and heuristic is not None else start
            found = solve_decomposed(problem, backend, exact_time, seed, threads, gap, start=seeds, hints=hints)
        elif use_labels:  # nothing reads a centre: the labelling model's one search is stronger
            found = _label_search(problem, exact_time, seed, threads, gap, start)
        else:
            found = solve_single(problem, backend, exact_time, seed, threads, gap=gap, start=start)
        log += found.log
        progress += [(offset + t, objective, b) for t, objective, b in found.progress]
        best_bound = max((b for b in (bound, found.bound) if b is not None), default=None)
        # the exact search's plan unless it is worse than the start (the same plan priced by the model may differ
        # from the heuristic's count by the model's rounding: ``proven`` is the tolerance)
        if found.centres is not None and (outcome.objective is None or proven(found.objective, outcome.objective)):
            outcome = replace(found, bound=best_bound)
        else:  # the exact search found nothing as good as the start (or could not price it)
            status = found.status if start is None else Status.FEASIBLE
            outcome = replace(outcome, bound=best_bound, status=status, rounds=found.rounds, cuts=found.cuts)
    if outcome.centres is None:
        if outcome.status == Status.INFEASIBLE and exact and found.without is not None:
            return _no_plan(
                problem, solver_name, Status.INFEASIBLE, "\n".join(explain_beat(problem, found.without)), started, log
            )
        if outcome.status == Status.INFEASIBLE:
            reasons = explain_infeasible(problem, max(left() - RESERVE * time_limit, 1.0))
            return _no_plan(problem, solver_name, Status.INFEASIBLE, "\n".join(reasons), started, log)
        why = (
            f"no plan meeting every rule was found within {time_limit:g} s: the heuristic found none and the "
            "exact search has not proven that none exists"
        )
        if problem.beat:
            why = (
                f"no plan that beats the reference ({describe(problem.beat)}) was found within {time_limit:g} s, "
                "and the exact search has not proven that none exists"
            )
        if problem.beat and near is not None:  # under soft nesting: how near the search came
            own = measures(near.centres, problem).plan
            missed = [f"{m.replace('_', ' ')} {own[m]:.4g} (reference {problem.beat[m]:.4g})" for m in near.missed]
            why += f"; the closest plan found still misses {', '.join(missed)}"
        elif not exact:
            why += f" (the whole model is too large to build in that time: about {build:.0f} s)"
        return _no_plan(problem, solver_name, Status.TIMED_OUT, why, started, log, outcome.bound)
    return _plan(problem, solver_name, outcome, decompose, progress, log, started)


def _check_options(problem: Problem, time_limit, gap) -> None:
    """Options that cannot mean anything are refused, not answered "timed out" or "optimal"."""
    if isinstance(time_limit, bool) or not isinstance(time_limit, int | float) or not 0 < time_limit < math.inf:
        raise InputError(f"{time_limit!r} is not a number of seconds above 0", field="time_limit")
    if isinstance(gap, bool) or not isinstance(gap, int | float) or not 0 <= gap < 1:
        raise InputError(f"{gap!r} is not a relative gap: a share from 0 up to (not including) 1", field="gap")
    if problem.count_range[1] < 1:
        raise InputError("a plan needs at least one consortium", field="n_consortia")
    if problem.beat and not can_beat(problem):
        raise InputError(
            "beating a reference needs strict or soft nesting (plans of whole authorities are where the search "
            "starts), no baseline and no wish that joins or parts two authorities",
            field="beat",
        )


def _whole_authorities(
    problem: Problem, strict: Problem, backend, seconds: float, seed, threads, log
) -> tuple[float, dict] | None:
    """(objective, unit -> centre) of a plan of whole authorities for a soft-nesting problem, or None: the strict
    heuristic's plan improved by the decomposition to within 1%, priced and validated under the soft rules
    (it is a plan of the soft problem; the decomposition's bound holds for strict nesting only)."""
    started = time.perf_counter()
    seeded = first_plan(strict, min(HEURISTIC_SECONDS, 0.25 * seconds), seed, attempts=1)
    left = seconds - (time.perf_counter() - started)
    start = seeded.centres if seeded is not None else None
    whole = solve_decomposed(strict, backend, left, seed, threads, gap=0.01, start=start)
    if whole.centres is None or not validate(whole.centres, problem).ok:
        return None
    objective = plan_objective(problem, whole.centres)
    log.append(f"plan of whole authorities (strict nesting, {whole.status}): objective {objective:,.1f}")
    return objective, whole.centres


def _plan(problem, backend, outcome: Outcome, decompose, progress, log, started) -> Plan:
    assert outcome.centres is not None  # a plan to write up (``_no_plan`` otherwise)
    labels = name_consortia(outcome.centres, problem)
    index = problem.units.index
    assignment = pd.Series([labels[u] for u in index], index=index, name="consortium", dtype=object)
    assignment.index.name = index.name or "code"
    status = proven_status(outcome.objective, outcome.bound)
    gap = relative_gap(outcome.objective, outcome.bound)
    plan = Plan(
        assignment=assignment,
        status=status,
        objective=outcome.objective,
        bound=outcome.bound,
        gap=gap,
        seconds=time.perf_counter() - started,
        source=backend,
        log="\n".join(log),
        problem=problem,
        region=problem.region,
        progress=progress,
        decomposed=bool(decompose),
        rounds=outcome.rounds,
        contiguity_cuts=outcome.cuts,
    )
    plan.validation = validate(plan, problem)
    return plan


def _no_plan(problem, backend, status: Status, explanation, started, log=(), bound=None) -> Plan:
    return Plan(
        assignment=pd.Series(dtype=object, name="consortium"),
        status=status,
        bound=bound,
        seconds=time.perf_counter() - started,
        source=backend,
        log="\n".join(log),
        explanation=explanation,
        problem=problem,
        region=problem.region,
    )
