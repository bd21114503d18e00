"""The exact search on one model: solve, cut off consortia in pieces, solve again, until every consortium is
connected and the bound proves the plan, or the time is up.

A start plan (the heuristic's, validated) is the incumbent from the first second, so the search always ends
with a valid plan when it was given one, and with the best bound any round proved.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from boundaries.check.validation import validate
from boundaries.engine.backends import solve_model
from boundaries.engine.model import SCALE, ConsortiumModel, build_model
from boundaries.engine.plan import Progress
from boundaries.engine.problem import Problem
from boundaries.engine.repair import reconnect
from boundaries.status import Status, proven, proven_status


@dataclass
class Outcome:
    """A solved (sub)problem: unit -> centre unit, with the evidence of how good it is."""

    status: Status
    centres: dict | None
    objective: float | None
    bound: float | None
    seconds: float
    log: list[str] = field(default_factory=list)
    rounds: int = 0
    cuts: int = 0
    values: list[int] | None = None  # the full solution vector, for one model
    # (seconds, objective, bound) each time a better valid plan or a better bound is known; the labelling model
    # may know a bound before any plan (objective None)
    progress: Sequence[Progress] = field(default_factory=list)
    # when a reference to beat is proven out of reach: for each of its measures, whether dropping it alone makes
    # a plan possible (True), is proven not to (False) or was not settled (None)
    without: dict[str, bool | None] | None = None


def solve_single(
    problem: Problem,
    backend: str,
    time_limit: float,
    seed: int,
    threads: int = 1,
    hint: dict | None = None,
    gap: float = 0.0,
    start: dict | None = None,
    model: ConsortiumModel | None = None,
) -> Outcome:
    """Solve one model, adding contiguity cuts until every consortium is connected or time runs out.

    ``start`` (unit -> centre unit, a plan meeting every hard rule) is priced by the model and kept as the
    incumbent; ``hint`` only warm-starts the solver. With ``problem.priorities`` the terms are optimised one after
    another, each held at its optimum while the next is optimised, and the weighted objective last (a start
    plan is then only a hint: it need not hold the earlier terms at their optimum).

    ``model`` is a model already built for these units (with any count): its count row is set to the
    problem's count, and the cuts added here stay valid for every other count."""
    started = time.perf_counter()

    def left() -> float:
        return time_limit - (time.perf_counter() - started)

    if model is None:
        model = build_model(problem)
    else:
        model.set_count(*problem.count_range)
    log: list[str] = [f"model: {model.lp.n_vars} variables, {len(model.lp.rows)} rows"]
    incumbent = None
    if start is not None:
        priced = _objective_of(model, start, backend, seed, left())
        if priced is not None:
            incumbent = (priced[0], dict(start), priced[1])
            model.lp.hint = dict(enumerate(priced[1]))
            log.append(f"start plan: objective {priced[0]}")
    elif hint is not None:
        model.lp.hint = model.encode(hint) or {}
    weighted = list(model.lp.cost)
    stages = len(problem.priorities) + 1
    for k, term in enumerate(problem.priorities):
        own = model.lp.terms.get(term, {})
        model.lp.cost = [0] * model.lp.n_vars
        for var, coef in own.items():
            model.lp.cost[var] = coef
        stage = _cut_loop(model, problem, backend, left() / (stages - k), seed, threads, log, gap)
        if stage.centres is None or stage.values is None:  # a plan comes with its solution vector
            return stage
        value = model.lp.term_value(term, stage.values)
        model.lp.row(list(own), list(own.values()), hi=value)  # hold this term at its best
        log.append(f"priority {k + 1}, {term}: {value / SCALE:g} ({stage.status})")
        incumbent = None
    model.lp.cost = weighted
    before = time.perf_counter() - started  # the weighted stage is timed from its own start
    outcome = _cut_loop(model, problem, backend, left(), seed, threads, log, gap, incumbent)
    outcome.seconds = time.perf_counter() - started
    outcome.progress = [(before + t, objective, bound) for t, objective, bound in outcome.progress]
    return outcome


def _cut_loop(
    model,
    problem: Problem,
    backend: str,
    time_limit: float,
    seed: int,
    threads: int,
    log: list[str],
    gap: float = 0.0,
    incumbent: tuple[float, dict, list[int]] | None = None,
) -> Outcome:
    """Solve, cut off consortia in pieces, solve again. Between rounds a plan in pieces is reconnected when
    that is easy (``repair.reconnect``) and kept as the incumbent if the validator accepts it. Every round's
    model is a relaxation of the true one (it has fewer cuts), so the best bound of any round holds."""
    started = time.perf_counter()
    graph = problem.contiguity_graph()
    best = incumbent  # (objective, unit -> centre, solution vector): a connected plan
    bound: float | None = None
    progress: list[tuple[float, float, float | None]] = []
    rounds = 0

    def note() -> None:
        """Keep the time of a better plan or bound."""
        if best is None:
            return
        last = progress[-1] if progress else None
        if last is None or best[0] < last[1] or (bound is not None and (last[2] is None or bound > last[2])):
            progress.append((time.perf_counter() - started, best[0], bound))

    def finish(status: Status) -> Outcome:
        seconds = time.perf_counter() - started
        if best is None:
            return Outcome(status, None, None, bound, seconds, log, rounds, model.cuts_added, None, progress)
        note()
        status = proven_status(best[0], bound)
        return Outcome(status, best[1], best[0], bound, seconds, log, rounds, model.cuts_added, best[2], progress)

    note()
    while True:
        rounds += 1
        remaining = time_limit - (time.perf_counter() - started)
        if remaining <= 0:
            return finish(Status.TIMED_OUT)
        result = solve_model(model.lp, backend, time_limit=remaining, seed=seed, threads=threads, gap=max(gap, 1e-6))
        log.append(f"round {rounds}: {result.status} objective={result.objective} bound={result.bound}")
        log.append(result.log)
        if result.bound is not None and (bound is None or result.bound > bound):
            bound = result.bound
        if result.status == Status.INFEASIBLE:
            if best is not None:  # cannot happen for a start plan that meets the model's rules: say so
                log.append(f"round {rounds}: the model says infeasible although a valid plan is known")
            return finish(Status.INFEASIBLE)
        values, objective = result.values, result.objective
        if values is None or objective is None:  # no solution (a solution always comes with its objective)
            return finish(result.status)
        centres = model.decode(values)
        added = model.contiguity_cuts(centres, graph)
        if not added:
            if best is None or objective < best[0]:
                best = (objective, centres, values)
            return finish(result.status)
        log.append(f"round {rounds}: {added} contiguity cut(s) added")
        model.lp.hint = dict(enumerate(values))
        fixed = reconnect(centres, problem, graph)
        left = time_limit - (time.perf_counter() - started)
        if fixed is not None and left > 0 and validate(fixed, problem).ok:
            priced = _objective_of(model, fixed, backend, seed, left)
            if priced is not None and (best is None or priced[0] < best[0]):
                best = (priced[0], fixed, priced[1])
                log.append(f"round {rounds}: reconnected plan kept as incumbent, objective {priced[0]}")
        note()
        if best is not None:
            model.lp.hint = dict(enumerate(best[2]))
            if proven(best[0], bound, gap):
                log.append(f"round {rounds}: the incumbent is within the gap of the bound")
                return finish(Status.FEASIBLE)


def _objective_of(model, centres: dict, backend: str, seed: int, time_limit: float) -> tuple[float, list[int]] | None:
    """The model's objective (and full solution) for a given assignment: the model with it fixed."""
    fixed = model.encode(centres)
    if fixed is None or time_limit <= 0:
        return None
    lp = replace(model.lp, lower=list(model.lp.lower), upper=list(model.lp.upper), hint={})
    for var, value in fixed.items():
        lp.lower[var] = lp.upper[var] = value
    result = solve_model(lp, backend, time_limit=time_limit, seed=seed)
    if result.values is None or result.objective is None:  # no solution (one always comes with its objective)
        return None
    return result.objective, result.values
