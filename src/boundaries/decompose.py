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


def _counts(pop: int, lo: int, hi: int, share: float) -> tuple[list[int], list[int], list[int]]:
    """Counts to divide an authority into: (first, near, every other that fits)."""
    k_min, k_max = math.ceil(pop / hi), pop // lo
    if k_min > k_max:
        return [], [], []
    first = min(max(round(share), k_min), k_max)
    near = [k for k in (math.floor(share), math.ceil(share)) if k_min <= k <= k_max and k != first]
    rest = [k for k in range(k_min, k_max + 1) if k != first and k not in near]
    return [first], sorted(set(near)), rest


def solve_decomposed(problem: Problem, backend: str, time_limit: float, seed: int, threads: int) -> Outcome:
    """Phases: a first plan (each authority at its fair-share count), then the neighbouring counts, then the
    time left improves divisions not yet proven optimal; every count that fits only if no plan was found."""
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

    counts = {g: _counts(lad_pop[g], problem.min_population, problem.max_population, lad_pop[g] / size)
              for g in sorted(lad_pop, key=lambda g: (-lad_pop[g], g))}
    results: dict[tuple[str, int], Outcome] = {}

    def run(jobs: list[tuple[str, int]], until: float, must: bool = False) -> None:
        """Solve jobs with budgets in proportion to their size, sharing the time up to ``until`` x limit;
        only the jobs that ``must`` run (the first plan) go on past it."""
        weight = {job: len(lad_members[job[0]]) * max(job[1], 1) for job in jobs}
        left = sum(weight.values())
        for job in jobs:
            spare = time_limit * until - (time.perf_counter() - started)
            if spare < 0.5 and not must and job[1] > 1:
                log.append(f"out of time before {job[0]} in {job[1]}")
                break
            budget = max(1.0, spare * weight[job] / max(left, 1))
            left -= weight[job]
            out = _divide(problem, lad_members[job[0]], job[1], backend, budget, seed, threads, results.get(job))
            results[job] = out
            log.append(f"{job[0]} in {job[1]}: {out.status} {out.objective} (bound {out.bound}) {out.seconds:.1f}s")

    def columns_now() -> list:
        cols = list(columns)
        for (g, k), out in sorted(results.items()):
            if out.centres is not None:
                lb = out.bound if out.bound is not None else 0.0
                cols.append(((g,), k, out.objective, min(lb, out.objective), out.centres, out.status))
        return cols

    run([(g, c[0][0]) for g, c in counts.items() if c[0]], 0.35, must=True)
    run([(g, k) for g, c in counts.items() for k in c[1]], 0.55)
    # every count not tried yet is bounded below by the authority's best division with the count left free
    floor: dict[str, float] = {}
    for g, (first, near, rest) in counts.items():
        if rest:
            k_all = first + near + rest
            spare = (time_limit * 0.7 - (time.perf_counter() - started)) / max(1, len(counts))
            if spare < 0.5:
                continue
            sub = problem.subproblem(lad_members[g], n_consortia=(min(k_all), max(k_all)))
            out = solve_single(sub, backend, spare, seed, threads)
            floor[g] = out.bound if out.bound is not None else 0.0
            if out.centres is not None:
                job = (g, len(set(out.centres.values())))
                if job not in results or results[job].objective is None or results[job].objective > out.objective:
                    # the free-count bound holds for this count too
                    known = results[job].bound if job in results else None
                    results[job] = replace(out, bound=max(b for b in (out.bound, known, 0.0) if b is not None))
            log.append(f"{g} with a free count: bound {floor[g]}")
    rest_jobs = sorted(((g, k) for g, c in counts.items() for k in c[2] if (g, k) not in results),
                       key=lambda job: (abs(job[1] - lad_pop[job[0]] / size), job))
    run(rest_jobs, 0.85)
    run([job for job, out in results.items() if out.status != "optimal" and job[1] > 1], 0.95)

    untried = [((g,), k, floor.get(g, 0.0)) for g, c in counts.items() for k in sum(c, [])
               if (g, k) not in results]
    chosen = _choose(columns_now(), untried, lad_pop, problem, backend, seed, threads, log)
    seconds = time.perf_counter() - started
    if chosen is None:
        unproven = any(out.status == "timed_out" for out in results.values())
        return Outcome("timed_out" if unproven else "infeasible", None, None, None, seconds, log)
    cols = columns_now()
    picks, top_status, objective, bound = chosen
    centres: dict[str, str] = {}
    for k in picks:
        centres.update(cols[k][4])
    exact = top_status == "optimal" and bound is not None and bound >= objective * (1 - 1e-9)
    log.append(f"plan: objective {objective}, lower bound {bound} ({len(untried)} counts bounded, not tried)")
    return Outcome("optimal" if exact else "feasible", centres, objective, bound, seconds, log)


def _divide(problem: Problem, members: list[str], k: int, backend: str, budget: float, seed: int, threads: int,
            earlier: Outcome | None) -> Outcome:
    """One authority divided into k consortia (k = 1 is priced directly)."""
    if k == 1:
        priced = _price_single(problem, members)
        if priced is None:
            return Outcome("infeasible", None, None, None, 0.0)
        return Outcome("optimal", dict.fromkeys(members, priced[1]), priced[0], priced[0], 0.0)
    sub = problem.subproblem(members, n_consortia=k)
    hint = earlier.centres if earlier is not None else None
    out = solve_single(sub, backend, budget, seed, threads, hint=hint)
    if earlier is not None and earlier.centres is not None and (out.objective is None or
                                                                 out.objective > earlier.objective):
        return replace(earlier, bound=max(filter(None, [earlier.bound, out.bound]), default=None))
    return out


def _choose(columns, untried, lad_pop, problem, backend, seed, threads, log):
    """Pick columns covering every authority once: (picks, status, objective, lower bound) or None.

    The lower bound re-solves the choice with every column at its own lower bound plus, for each count not
    tried, a stand-in column priced at that authority's free-count bound, so it holds for every plan."""
    if not columns:
        return None
    k_lo, k_hi = problem.count_range

    def top(cols):
        lp = LinearModel(scale=SCALE)
        covers = defaultdict(list)
        for k, (lads, n, cost) in enumerate(cols):
            lp.var(f"use[{'+'.join(lads)}x{n}#{k}]", cost=round(SCALE * cost))
            for g in lads:
                covers[g].append(k)
        for g in sorted(lad_pop):
            lp.row(covers.get(g, []), [1] * len(covers.get(g, [])), 1, 1)
        lp.row(list(range(len(cols))), [n for _, n, _ in cols], k_lo, k_hi)
        return solve_model(lp, backend, time_limit=60, seed=seed, threads=threads)

    if any(not any(g in c[0] for c in columns) for g in lad_pop):
        return None
    best = top([(c[0], c[1], c[2]) for c in columns])
    log.append(f"choice of columns: {best.status} {best.objective}")
    if not best.has_solution:
        return None
    picks = [k for k, v in enumerate(best.values) if v]
    relaxed = top([(c[0], c[1], c[3]) for c in columns] + list(untried))
    bound = relaxed.bound if relaxed.bound is not None else relaxed.objective
    return picks, best.status, best.objective, bound
