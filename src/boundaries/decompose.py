"""Decomposition by local authority, exact under strict nesting.

Under strict nesting every consortium is either inside one authority or a union of whole authorities, and the
objective adds up consortium by consortium. So a plan is a choice of *columns* that cover each authority once:
"authority A divided into k consortia" (its best division, solved as its own model) or "authorities A+B+C
as one consortium" (priced directly). A small set-partitioning model, solved by the same backend, picks the best
columns under the count of consortia. The per-authority counts tried are those near the authority's fair share
(widened to all that fit if that leaves no plan); ``details`` and the log say which were tried.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from dataclasses import replace

import networkx as nx
import numpy as np

from .backends import solve_model
from .linear import LinearModel
from .model import SCALE
from .problem import Problem
from .solve import Outcome, solve_single

MAX_UNION_COLUMNS = 20_000


def can_decompose(problem: Problem) -> bool:
    """True when no rule couples two authorities, so the decomposition loses nothing."""
    if problem.nesting != "strict" or problem.baseline is not None:
        return False
    lad = problem.units["lad"]
    named = defaultdict(set)
    for unit, name in problem.fixed.items():
        named[name].add(lad[unit])
    if len({n for n in problem.fixed.values()}) > 1:
        return False  # different named groups must be apart, possibly across authorities
    if any(len(g) > 1 for g in named.values()):
        return False
    if any(len({lad[u] for u in grp}) > 1 for grp in problem.together):
        return False
    return all(lad[a] == lad[b] for a, b in problem.apart)


def _union_columns(problem: Problem, lad_pop: dict[str, int], lad_graph: nx.Graph) -> list[tuple[str, ...]]:
    """Connected sets of two or more whole authorities whose patients fit the bounds."""
    lo, hi = problem.min_population, problem.max_population
    found: set[tuple[str, ...]] = set()
    frontier = [frozenset([g]) for g in sorted(lad_pop) if lad_pop[g] < hi]
    seen = set(frontier)
    while frontier and len(found) < MAX_UNION_COLUMNS:
        nxt = []
        for group in frontier:
            total = sum(lad_pop[g] for g in group)
            for g in sorted(set().union(*(lad_graph[m] for m in group)) - group):
                bigger = group | {g}
                if bigger in seen or total + lad_pop[g] > hi:
                    continue
                seen.add(bigger)
                nxt.append(bigger)
                if total + lad_pop[g] >= lo:
                    found.add(tuple(sorted(bigger)))
        frontier = nxt
    return sorted(found)


def _price_single(problem: Problem, units: list[str]) -> tuple[float, str] | None:
    """The objective of ``units`` as one consortium with its best centre, or None if not allowed."""
    u = problem.units.loc[units]
    pop = u["population"].to_numpy(float)
    if not (problem.min_population <= pop.sum() <= problem.max_population):
        return None
    if problem.max_practices is not None and len(units) > problem.max_practices:
        return None
    if not nx.is_connected(problem.contiguity_graph().subgraph(units)):
        return None
    if any(a in units and b in units for a, b in problem.apart):
        return None
    w = problem.weights
    xy = u[["x", "y"]].to_numpy(float)
    km = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1]) / 1000
    cost = w.compactness * (pop[:, None] * km).sum(axis=0)
    community = u["community"].to_numpy() if "community" in u else None
    if community is not None:
        same = community[:, None] == community[None, :]
        if w.health:
            cost += w.health * (pop[:, None] * ~same).sum(axis=0)
        if problem.health_floor is not None:
            share = (pop[:, None] * same).sum(axis=0) / pop.sum()
            cost[share < problem.health_floor - 1e-12] = np.inf
    if "imd" in u:
        mean = problem.imd_reference
        imd = np.average(u["imd"], weights=pop)
        if problem.imd_band is not None and abs(imd - mean) > problem.imd_band:
            return None
        cost += w.deprivation * abs(((u["imd"] - mean) * pop).sum())
    cost += w.consortium
    best = int(np.argmin(cost))
    if not math.isfinite(cost[best]):
        return None
    return float(cost[best]), units[best]


def _counts_to_try(pop: int, lo: int, hi: int, share: float, wide: bool) -> list[int]:
    k_min, k_max = math.ceil(pop / hi), pop // lo
    if k_min > k_max:
        return []
    if wide:
        return list(range(k_min, k_max + 1))
    near = range(max(k_min, math.floor(share * 0.75)), min(k_max, math.ceil(share * 1.25)) + 1)
    return list(near) or [min(max(round(share), k_min), k_max)]


def solve_decomposed(problem: Problem, backend: str, time_limit: float, seed: int, threads: int) -> Outcome:
    started = time.perf_counter()
    units = problem.units
    if problem.imd_reference is None and "imd" in units:
        mean = float(np.average(units["imd"], weights=units["population"].clip(lower=1)))
        problem = replace(problem, imd_reference=mean)
    lad_members = {g: sorted(m) for g, m in units.groupby("lad").groups.items()}
    lad_pop = units.groupby("lad")["population"].sum().astype(int).to_dict()
    graph = problem.contiguity_graph()
    lad_graph = nx.Graph()
    lad_graph.add_nodes_from(lad_pop)
    lad = units["lad"].to_dict()
    lad_graph.add_edges_from((lad[a], lad[b]) for a, b in graph.edges if lad[a] != lad[b])
    k_lo, k_hi = problem.count_range
    size = problem.total_population / ((k_lo + k_hi) / 2)
    log = [f"decomposition: {len(lad_pop)} authorities, target about {size:,.0f} patients a consortium"]

    # columns: (authorities, consortia, cost, lower bound, unit -> centre, status)
    columns: list[tuple[tuple[str, ...], int, float, float, dict[str, str], str]] = []
    for union in _union_columns(problem, lad_pop, lad_graph):
        members = [u for g in union for u in lad_members[g]]
        priced = _price_single(problem, members)
        if priced:
            cost, centre = priced
            columns.append((union, 1, cost, cost, dict.fromkeys(members, centre), "optimal"))
    log.append(f"{len(columns)} unions of whole authorities fit the bounds")

    def divide(wide: bool) -> None:
        jobs = []
        done = {(c[0], c[1]) for c in columns}
        for g in sorted(lad_pop, key=lambda g: (-lad_pop[g], g)):
            for k in _counts_to_try(lad_pop[g], problem.min_population, problem.max_population,
                                    lad_pop[g] / size, wide):
                if ((g,), k) not in done:
                    jobs.append((g, k))
        weight = {job: len(lad_members[job[0]]) for job in jobs}
        left = sum(weight.values())
        for g, k in jobs:
            budget = max(1.0, (time_limit * 0.9 - (time.perf_counter() - started)) * weight[(g, k)] / max(left, 1))
            left -= weight[(g, k)]
            sub = problem.subproblem(lad_members[g], n_consortia=k)
            if k == 1:
                priced = _price_single(sub, lad_members[g])
                if priced:
                    columns.append(((g,), 1, priced[0], priced[0], dict.fromkeys(lad_members[g], priced[1]),
                                    "optimal"))
                continue
            out = solve_single(sub, backend, budget, seed, threads)
            log.append(f"{g} in {k}: {out.status} {out.objective} (bound {out.bound}) {out.seconds:.1f}s")
            if out.centres is not None:
                lb = out.bound if out.bound is not None else 0.0
                columns.append(((g,), k, out.objective, min(lb, out.objective), out.centres, out.status))

    divide(wide=False)
    chosen = _choose(columns, lad_pop, problem, backend, seed, threads, log)
    if chosen is None:
        log.append("no plan from the counts near each fair share: trying every count that fits")
        divide(wide=True)
        chosen = _choose(columns, lad_pop, problem, backend, seed, threads, log)
    seconds = time.perf_counter() - started
    if chosen is None:
        return Outcome("infeasible", None, None, None, seconds, log)
    picks, top_status, objective, bound = chosen
    centres: dict[str, str] = {}
    for k in picks:
        centres.update(columns[k][4])
    exact = top_status == "optimal" and all(c[5] == "optimal" for c in columns)
    return Outcome("optimal" if exact else "feasible", centres, objective, bound, seconds, log)


def _choose(columns, lad_pop, problem, backend, seed, threads, log):
    """Pick columns covering every authority once; returns (picks, status, objective, lower bound)."""
    if not columns:
        return None
    k_lo, k_hi = problem.count_range

    def top(costs):
        lp = LinearModel(scale=SCALE)
        for k, col in enumerate(columns):
            lp.var(f"use[{'+'.join(col[0])}x{col[1]}#{k}]", cost=round(SCALE * costs[k]))
        covers = defaultdict(list)
        for k, col in enumerate(columns):
            for g in col[0]:
                covers[g].append(k)
        for g in sorted(lad_pop):
            lp.row(covers.get(g, []), [1] * len(covers.get(g, [])), 1, 1)
        lp.row(list(range(len(columns))), [c[1] for c in columns], k_lo, k_hi)
        return solve_model(lp, backend, time_limit=60, seed=seed, threads=threads)

    if any(not covers for covers in [[c for c in columns if g in c[0]] for g in lad_pop]):
        return None
    best = top([c[2] for c in columns])
    log.append(f"choice of columns: {best.status} {best.objective}")
    if not best.has_solution:
        return None
    picks = [k for k, v in enumerate(best.values) if v]
    if all(c[5] == "optimal" for c in columns):
        bound = best.bound
    else:
        relaxed = top([c[3] for c in columns])
        bound = relaxed.bound if relaxed.bound is not None else relaxed.objective
    return picks, best.status, best.objective, bound
