"""Why no plan can exist, in a planner's words.

``precheck`` finds the common impossibilities before any solver runs (each is a proof on its own). When a
solver still reports infeasibility, ``explain_infeasible`` names which rule is to blame by dropping the optional
rules one at a time and asking a fast feasibility question again.
"""

from __future__ import annotations

import math
import time
from collections.abc import Hashable
from dataclasses import replace
from typing import Any

import networkx as nx

from boundaries.check.dominance import describe
from boundaries.check.validation import validate
from boundaries.data.graph import authority_graph
from boundaries.engine.decompose import can_decompose, solve_decomposed
from boundaries.engine.exact import solve_single
from boundaries.engine.heuristic import first_plan
from boundaries.engine.labels import find_any_plan, states_rules
from boundaries.engine.problem import Problem
from boundaries.status import Status


def _who(problem: Problem, unit: str) -> str:
    if "name" in problem.units.columns:
        return f"practice {unit} ({str(problem.units.at[unit, 'name'])})"
    return f"unit {unit}"


def _lad_name(problem: Problem, lad: Hashable) -> str:
    return problem.lad_names().get(str(lad), str(lad))


def precheck(problem: Problem) -> list[str]:
    """Reasons that make the problem infeasible, each provable without a solver; empty if none found."""
    lo, hi = problem.min_population, problem.max_population
    pop = problem.units["population"].astype(int)
    reasons: list[str] = []
    for unit in pop[pop > hi].index:
        reasons.append(f"{_who(problem, unit)} alone has {pop[unit]:,} patients, above the maximum of {hi:,}")

    graph = problem.contiguity_graph()
    for part in nx.connected_components(graph):
        total = int(pop[list(part)].sum())
        if total < lo:
            where = ", ".join(_who(problem, u) for u in sorted(part)[:3])
            reasons.append(
                f"{where}{' and others' if len(part) > 3 else ''} hold {total:,} patients, cut off from any "
                f"neighbour, below the {lo:,} minimum"
            )

    total = problem.total_population
    k_lo, k_hi = problem.count_range
    if k_lo > k_hi:  # e.g. the maximum asks for more consortia than there are units, or the minimum for fewer
        reasons.append(
            f"the {total:,} patients need at least {k_lo} consortia of at most {hi:,} patients, but at most {k_hi} "
            f"can be formed from {len(pop)} units with at least {lo:,} patients each"
        )
    elif k_hi * hi < total or (lo and k_lo * lo > total):
        reasons.append(
            f"the {total:,} patients cannot be shared among {k_lo}-{k_hi} consortia of {lo:,}-{hi:,} patients"
        )
    if problem.max_practices is not None and k_hi * problem.max_practices < len(pop):
        reasons.append(
            f"{len(pop)} practices do not fit in {k_hi} consortia of at most {problem.max_practices} practices"
        )
    for group in problem.together:
        size = int(pop[list(group)].sum())
        if size > hi:
            reasons.append(f"practices kept together ({', '.join(group[:4])}...) hold {size:,} patients, above {hi:,}")
    together_pairs = {frozenset(p) for g in problem.together for p in zip(g, g[1:])}
    for a, b in problem.apart:
        if frozenset((a, b)) in together_pairs:
            reasons.append(f"practices {a} and {b} are asked to be both together and apart")
    if problem.nesting == "strict":
        reasons += _strict_nesting_reasons(problem, graph)
    return reasons


def _strict_nesting_reasons(problem: Problem, graph: nx.Graph) -> list[str]:
    """An authority that can neither be divided into consortia nor join whole neighbours."""
    lo, hi = problem.min_population, problem.max_population
    units = problem.units
    lad_pop = units.groupby("lad")["population"].sum().astype(int).to_dict()
    lad_graph = authority_graph(graph, units["lad"].to_dict(), lad_pop)
    reasons = []
    for g, size in sorted(lad_pop.items()):
        divisible = math.ceil(size / hi) <= size // lo if lo else True
        if divisible:
            continue
        neighbours = sorted(lad_graph[g], key=lambda n: lad_pop[n])
        if size > hi:
            reasons.append(
                f"{_lad_name(problem, g)} holds {size:,} patients: no number of consortia of "
                f"{lo:,}-{hi:,} patients divides it exactly under strict nesting"
            )
            continue
        smallest = min((size + lad_pop[n] for n in neighbours), default=None)
        if smallest is None or smallest > hi:
            near = (
                f"every union with a neighbouring authority exceeds {hi:,} (smallest: "
                f"{_lad_name(problem, neighbours[0])}, together {smallest:,})"
                if neighbours
                else "it has no neighbouring authority"
            )
            reasons.append(
                f"{_lad_name(problem, g)} holds {size:,} patients, below the {lo:,} minimum; under strict "
                f"nesting it may only join whole neighbouring authorities, but {near}. Group it with a "
                f"neighbour (lad_groups) or use soft nesting"
            )
    return reasons


def explain_infeasible(problem: Problem, time_limit: float = 60.0) -> list[str]:
    """Name the optional rules whose removal makes a plan possible, within ``time_limit`` seconds in all.

    Each relaxed problem is tried with the heuristic first (a plan found proves the rule is to blame), then
    with the exact search for an equal share of the time left."""
    started = time.perf_counter()
    candidates: dict[str, dict[str, Any]] = {  # rule -> the fields that drop it
        "the health-community floor": dict(health_floor=None),
        "the deprivation band": dict(imd_band=None),
        "the number of consortia asked for": dict(n_consortia=None),
        "the cap on practices per consortium": dict(max_practices=None),
        "the limit on moves from the baseline": dict(max_moves=None),
        "the practices kept apart": dict(apart=[]),
        "the practices kept together": dict(together=[], fixed={}),
    }
    for measure in problem.beat:  # which of the reference's values conflict with the rest
        candidates[_matching(measure)] = dict(beat={m: v for m, v in problem.beat.items() if m != measure})
    active = {
        name: change
        for name, change in candidates.items()
        if any(getattr(problem, key) not in (None, [], {}) for key in change)
    }
    blamed, undecided = [], []
    counts = problem.count_range
    for k, (name, change) in enumerate(active.items()):
        relaxed = replace(problem, **change)
        if precheck(relaxed) or (name == "the number of consortia asked for" and relaxed.count_range == counts):
            continue  # still impossible, or the bounds alone allow no other count: dropping it changes nothing
        share = (time_limit - (time.perf_counter() - started)) / (len(active) - k)
        found = first_plan(relaxed, share / 4)
        if found is None or not validate(found.centres, relaxed).ok:
            share = max(0.1, time_limit - (time.perf_counter() - started)) / (len(active) - k)
            if states_rules(relaxed):  # any plan or a proof that none exists, fastest without prices
                outcome = find_any_plan(relaxed, share)
            else:
                attempt = solve_decomposed if can_decompose(relaxed) else solve_single
                outcome = attempt(relaxed, "highs", share, 0, 1)
            if outcome.centres is None:
                if outcome.status != Status.INFEASIBLE:
                    undecided.append(name)
                continue
        blamed.append(name)
    if blamed:
        return [f"no plan meets every rule at once; it becomes possible without {' or without '.join(blamed)}"]
    rules = _rules(problem)
    if problem.beat:
        rules += f", no worse than the reference ({describe(problem.beat)})"
    if undecided:
        return [
            f"no plan meets every rule at once; within the time given it was not settled whether dropping "
            f"{' or '.join(undecided)} would help, or whether {rules} cannot be formed at all"
        ]
    advice = "widen the bounds" + (" or relax the nesting" if problem.nesting == "strict" else "")
    units = f"{len(problem.units)} {'practices' if 'name' in problem.units.columns else 'units'}"
    return [f"no plan meets every rule at once: {rules} cannot be formed from these {units}; {advice}"]


def _matching(measure: str) -> str:
    return f"matching the reference's {measure.replace('_', ' ')}"


def _rules(problem: Problem) -> str:
    k_lo, k_hi = problem.count_range
    count = f"{k_lo}" if k_lo == k_hi else f"{k_lo}-{k_hi}"
    lo, hi = problem.min_population, problem.max_population
    return f"{count} connected consortia of {lo:,}-{hi:,} patients" + (
        ", each inside one local authority or a union of whole ones" if problem.nesting == "strict" else ""
    )


def explain_beat(problem: Problem, without: dict[str, bool | None]) -> list[str]:
    """Why no plan beats the reference, from the search's own proof: for each of the reference's measures,
    whether dropping it alone makes a plan possible (True), is proven not to (False) or was not settled (None)."""
    rules = _rules(problem)
    rules += "," if problem.nesting == "strict" else ""  # (the rules end with a clause of their own)
    head = f"no plan of {rules} is no worse than the reference on every measure ({describe(problem.beat)})"
    blamed = [_matching(m) for m, possible in without.items() if possible]
    if blamed:
        return [f"{head}; it becomes possible without {' or without '.join(blamed)}"]
    undecided = [_matching(m) for m, possible in without.items() if possible is None]
    if undecided:
        return [
            f"{head}; within the time given it was not settled whether dropping {' or '.join(undecided)} would help"
        ]
    return [f"{head}, and dropping any one of these measures alone does not make it possible"]
