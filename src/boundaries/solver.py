"""``solve(problem)``: find the best plan a backend can, prove how good it is, explain when none exists.

Strict nesting by local authority splits a region into independent authority-sized pieces
(``boundaries.decompose``); everything else is solved as one model. Either way each model is solved with
contiguity cuts added lazily until every consortium is in one piece, and the final plan is re-checked by
``boundaries.validation``, which shares no code with this module.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import pandas as pd

from .backends import solve_model
from .explain import explain_infeasible, precheck
from .model import SCALE, build_model
from .naming import name_consortia
from .plan import Plan
from .problem import Problem
from .repair import reconnect
from .validation import validate


@dataclass
class Outcome:
    """A solved (sub)problem: unit -> centre unit, with the evidence of how good it is."""

    status: str
    centres: dict[str, str] | None
    objective: float | None
    bound: float | None
    seconds: float
    log: list[str] = field(default_factory=list)
    rounds: int = 0
    cuts: int = 0
    values: list[int] | None = None  # the full solution vector, for one model
    # (seconds, objective, bound) each time a better valid plan or a better bound is known
    progress: list[tuple[float, float, float | None]] = field(default_factory=list)


def solve_single(
    problem: Problem,
    backend: str,
    time_limit: float,
    seed: int,
    threads: int = 1,
    hint: dict[str, str] | None = None,
    gap: float = 0.0,
) -> Outcome:
    """Solve one model, adding contiguity cuts until every consortium is connected or time runs out.

    With ``problem.priorities`` the terms are optimised one after another, each held at its optimum while the
    next is optimised, and the weighted objective last. ``hint`` (unit -> centre unit) warm-starts the solver."""
    started = time.perf_counter()
    model = build_model(problem)
    if hint is not None:
        model.lp.hint = model.encode(hint) or {}
    log: list[str] = [f"model: {model.lp.n_vars} variables, {len(model.lp.rows)} rows"]
    weighted = list(model.lp.cost)
    stages = len(problem.priorities) + 1
    for k, term in enumerate(problem.priorities):
        own = model.lp.terms.get(term, {})
        model.lp.cost = [0] * model.lp.n_vars
        for var, coef in own.items():
            model.lp.cost[var] = coef
        share = (time_limit - (time.perf_counter() - started)) / (stages - k)
        stage = _cut_loop(model, problem, backend, share, seed, threads, log, gap)
        if stage.centres is None:
            return stage
        value = model.lp.term_value(term, stage.values)
        model.lp.row(list(own), list(own.values()), hi=value)  # hold this term at its best
        log.append(f"priority {k + 1}, {term}: {value / SCALE:g} ({stage.status})")
    model.lp.cost = weighted
    before = time.perf_counter() - started  # the weighted stage is timed from its own start
    outcome = _cut_loop(model, problem, backend, time_limit - before, seed, threads, log, gap)
    outcome.seconds = time.perf_counter() - started
    outcome.progress = [(before + t, objective, bound) for t, objective, bound in outcome.progress]
    return outcome


def _cut_loop(
    model, problem: Problem, backend: str, time_limit: float, seed: int, threads: int, log: list[str], gap: float = 0.0
) -> Outcome:
    """Solve, cut off consortia in pieces, solve again. Between rounds a plan in pieces is reconnected when
    that is easy (``repair.reconnect``) and kept as the incumbent if the validator accepts it, so a long cut
    loop still ends with a valid plan and a proven bound."""
    started = time.perf_counter()
    graph = problem.contiguity_graph()
    best: tuple[float, dict[str, str], list[int]] | None = None  # connected incumbent from repairs
    progress: list[tuple[float, float, float | None]] = []
    rounds = 0

    def note(objective: float, bound: float | None) -> None:
        """Keep the time of a better plan or bound."""
        last = progress[-1] if progress else None
        if last is None or objective < last[1] or (bound is not None and (last[2] is None or bound > last[2])):
            progress.append((time.perf_counter() - started, objective, bound))

    def finish(status, centres, objective, bound, values=None) -> Outcome:
        if best is not None and (centres is None or best[0] < objective):
            status, objective, centres, values = "feasible", best[0], best[1], best[2]
        # "optimal" only with the proof: a solver stopping within a looser ``gap`` calls its plan optimal too
        proven = bound is not None and objective is not None and objective - bound <= max(1e-6 * abs(objective), 0.01)
        if centres is not None and proven:
            status = "optimal"
        elif status == "optimal":
            status = "feasible"
        if centres is not None:
            note(objective, bound)
        seconds = time.perf_counter() - started
        return Outcome(status, centres, objective, bound, seconds, log, rounds, model.cuts_added, values, progress)

    while True:
        rounds += 1
        remaining = time_limit - (time.perf_counter() - started)
        result = solve_model(model.lp, backend, time_limit=remaining, seed=seed, threads=threads, gap=max(gap, 1e-6))
        log.append(f"round {rounds}: {result.status} objective={result.objective} bound={result.bound}")
        log.append(result.log)
        if not result.has_solution:
            return finish(result.status, None, None, result.bound)
        centres = model.decode(result.values)
        added = model.contiguity_cuts(centres, graph)
        if not added:
            return finish(result.status, centres, result.objective, result.bound, result.values)
        log.append(f"round {rounds}: {added} contiguity cut(s) added")
        model.lp.hint = dict(enumerate(result.values))
        fixed = reconnect(centres, problem, graph)
        if fixed is not None and validate(fixed, problem).ok:
            priced = _objective_of(model, fixed, backend, seed)
            if priced is not None and (best is None or priced[0] < best[0]):
                best = (priced[0], fixed, priced[1])
                note(priced[0], result.bound)
                model.lp.hint = dict(enumerate(priced[1]))
                log.append(f"round {rounds}: reconnected plan kept as incumbent, objective {priced[0]}")
        if best is not None and result.bound is not None and best[0] - result.bound <= gap * abs(best[0]):
            log.append(f"round {rounds}: the reconnected plan is within the gap of the bound")
            return finish("feasible", None, None, result.bound)
        if time.perf_counter() - started >= time_limit:
            # out of time: the repaired incumbent if there is one, else no valid plan
            return finish("timed_out", None, None, result.bound)


def _objective_of(model, centres: dict[str, str], backend: str, seed: int) -> tuple[float, list[int]] | None:
    """The model's objective (and full solution) for a given assignment: the model with it fixed."""
    fixed = model.encode(centres)
    if fixed is None:
        return None
    lp = replace(model.lp, lower=list(model.lp.lower), upper=list(model.lp.upper), hint={})
    for var, value in fixed.items():
        lp.lower[var] = lp.upper[var] = value
    result = solve_model(lp, backend, time_limit=30, seed=seed)
    return (result.objective, result.values) if result.has_solution else None


def solve(
    problem: Problem,
    backend: str = "highs",
    time_limit: float = 60.0,
    seed: int = 0,
    threads: int = 1,
    decompose: bool | None = None,
    gap: float = 0.0,
) -> Plan:
    """Partition the problem's units into consortia. Always returns a Plan; read ``plan.status``.

    The solver stops early once the plan is proven within ``gap`` (relative) of the best possible; 0 asks for
    a proof of optimality (``plan.status`` is "optimal" only then).

    ``decompose=None`` decomposes by local authority whenever that is exact (strict nesting, no wish that
    couples two authorities, no baseline).
    """
    from .decompose import can_decompose, solve_decomposed

    started = time.perf_counter()
    reasons = precheck(problem)
    setup = time.perf_counter() - started  # the solver's progress is timed from its own start
    if reasons:
        return _infeasible(problem, backend, reasons, started)
    if decompose is None:
        decompose = can_decompose(problem)
    if decompose:
        outcome = solve_decomposed(problem, backend, time_limit, seed, threads, gap)
    else:
        outcome = solve_single(problem, backend, time_limit, seed, threads, gap=gap)
    if outcome.centres is None:
        if outcome.status == "infeasible":
            return _infeasible(problem, backend, explain_infeasible(problem), started, outcome)
        return Plan(
            assignment=pd.Series(dtype=object, name="consortium"),
            status="timed_out",
            bound=outcome.bound,
            seconds=time.perf_counter() - started,
            backend=backend,
            log="\n".join(outcome.log),
            explanation=f"no connected plan was found within {time_limit:g} s; give the solver more time",
            problem=problem,
            region=problem.region,
        )
    labels = name_consortia(outcome.centres, problem)
    assignment = pd.Series(labels, name="consortium").reindex(problem.units.index)
    assignment.index.name = "code"
    gap = None
    if outcome.objective is not None and outcome.bound is not None:
        gap = (
            0.0
            if outcome.status == "optimal"
            else max(0.0, outcome.objective - outcome.bound) / max(abs(outcome.objective), 1e-9)
        )
    plan = Plan(
        assignment=assignment,
        status=outcome.status,
        objective=outcome.objective,
        bound=outcome.bound,
        gap=gap,
        seconds=time.perf_counter() - started,
        backend=backend,
        log="\n".join(outcome.log),
        problem=problem,
        region=problem.region,
        details={
            "rounds": outcome.rounds,
            "contiguity_cuts": outcome.cuts,
            "decomposed": bool(decompose),
            "progress": [(setup + t, objective, bound) for t, objective, bound in outcome.progress],
        },
    )
    plan.details["validation"] = validate(plan, problem)
    return plan


def _infeasible(problem, backend, reasons, started, outcome: Outcome | None = None) -> Plan:
    return Plan(
        assignment=pd.Series(dtype=object, name="consortium"),
        status="infeasible",
        seconds=time.perf_counter() - started,
        backend=backend,
        log="\n".join(outcome.log) if outcome else "",
        explanation="\n".join(reasons),
        problem=problem,
        region=problem.region,
    )
