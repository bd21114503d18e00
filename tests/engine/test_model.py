"""The consortium model on tiny graphs whose optimum can be worked out by hand."""

import itertools
import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from grids import grid_problem

from boundaries.engine.exact import solve_single
from boundaries.engine.model import build_model, candidate_pairs, population_reach
from boundaries.engine.problem import Problem, Weights
from boundaries.engine.solver import solve

ONLY_DISTANCE = Weights(health=0, deprivation=0)


def path_problem(pops, lo, hi, **settings):
    units = pd.DataFrame(
        {"population": pops, "x": [1000.0 * k for k in range(len(pops))], "y": 0.0},
        index=[f"U{k}" for k in range(len(pops))],
    )
    graph = nx.path_graph(list(units.index))
    return Problem(
        units=units,
        graph=graph,
        min_population=lo,
        max_population=hi,
        nesting="off",
        weights=ONLY_DISTANCE,
        **settings,
    )


@pytest.mark.parametrize("backend", ["cpsat", "highs"])
def test_path_of_four_pairs_up(backend):
    # 10k patients each, consortia of exactly 20k: the only plan is {U0,U1},{U2,U3};
    # each pair's best centre is one end, the other practice 1 km away: 2 x 10,000 patient-km
    plan = solve(path_problem([10_000] * 4, 20_000, 20_000), backend=backend, time_limit=10)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(20_000)
    groups = {frozenset(g.index) for _, g in plan.assignment.groupby(plan.assignment)}
    assert groups == {frozenset({"U0", "U1"}), frozenset({"U2", "U3"})}


def test_population_reach_is_node_weighted():
    graph = nx.path_graph(["a", "b", "c"])
    reach = population_reach(graph, {"a": 5, "b": 10, "c": 20}, "a", 15)
    assert reach == {"a": 5, "b": 15}


def test_candidate_pairs_respect_the_maximum():
    problem = path_problem([10_000] * 6, 10_000, 30_000)
    pairs = candidate_pairs(problem)
    assert pairs["U0"] == {"U0", "U1", "U2"}
    assert pairs["U3"] == {"U1", "U2", "U3", "U4", "U5"}


def test_strict_nesting_pairs_stay_in_the_authority_or_whole_neighbours():
    problem = grid_problem(4, 6, lads=3, lo=20_000, hi=300_000, nesting="strict")
    pairs = candidate_pairs(problem)
    lad = problem.units["lad"]
    for root, members in pairs.items():
        other = {lad[u] for u in members} - {lad[root]}
        for g in other:  # any other authority is there whole
            assert set(lad[lad == g].index) <= members


@pytest.mark.parametrize("backend", ["cpsat", "highs"])
def test_a_union_of_authorities_joined_only_through_each_other(backend):
    # U0-U1-U2-U3 in a row, L0 = {U0, U2} and L1 = {U1, U3}: neither authority is connected on its own, but the
    # two together are, and that union is the only plan (one consortium of 40k). The whole model once proved
    # "infeasible": each centre's candidates were only the units it reaches inside its own authority.
    problem = path_problem([10_000] * 4, 15_000, 40_000)
    problem = Problem(
        units=problem.units.assign(lad=["L0", "L1", "L0", "L1"]),
        graph=problem.graph,
        min_population=15_000,
        max_population=40_000,
        nesting="strict",
        weights=ONLY_DISTANCE,
    )
    assert all(members == set(problem.units.index) for members in candidate_pairs(problem).values())
    plan = solve(problem, backend=backend, time_limit=60, decompose=False)
    assert plan.status == "optimal" and plan.validation.ok
    assert plan.assignment.nunique() == 1
    assert plan.objective == pytest.approx(40_000)  # centre U1 (or U2): 1 + 1 + 2 km of 10,000 patients


def test_contiguity_cuts_reconnect_a_horseshoe():
    # a U-shaped chain: the two tips are 1 km apart in space but 8 steps apart in the graph
    coords = [(0, 4), (0, 3), (0, 2), (0, 1), (0, 0), (1, 0), (2, 0), (2, 1), (2, 2), (2, 3), (1.2, 4)]
    units = pd.DataFrame(
        {
            "population": [10_000] * len(coords),
            "x": [1000.0 * x for x, _ in coords],
            "y": [1000.0 * y for _, y in coords],
        },
        index=[f"H{k:02d}" for k in range(len(coords))],
    )
    graph = nx.path_graph(list(units.index))
    problem = Problem(
        units=units,
        graph=graph,
        min_population=20_000,
        max_population=40_000,
        n_consortia=4,
        nesting="off",
        weights=ONLY_DISTANCE,
    )
    # the model by hand: a path of 10k-patient units and consortia of at most 40k, so unit i can join centre r
    # only when |i - r| <= 3: 4 + 5 + 6 + 5 x 7 + 6 + 5 + 4 = 65 assignment variables and nothing else priced
    # or needed; rows: 11 "in exactly one consortium", 65 - 11 "only an open centre", 2 x 11 population, 1 count
    model = build_model(problem)
    assert model.lp.n_vars == len(model.assign) == 65
    assert sorted((i, r) for i, r in model.assign) == [(i, r) for i in range(11) for r in range(11) if abs(i - r) <= 3]
    assert len(model.lp.rows) == 11 + 54 + 22 + 1
    outcome = solve_single(problem, "cpsat", 20, 0)
    assert outcome.status == "optimal"
    for centre in set(outcome.centres.values()):
        members = [u for u, c in outcome.centres.items() if c == centre]
        assert nx.is_connected(graph.subgraph(members))
    # brute force: connected groups of a path are runs; 4 runs of 2-4 units, each around its best centre
    xy = units[["x", "y"]].to_numpy() / 1000

    def cost(groups) -> float:
        return sum(min(sum(10_000 * math.dist(xy[i], xy[c]) for i in group) for c in group) for group in groups)

    runs = []
    for sizes in itertools.product(range(2, 5), repeat=4):
        if sum(sizes) == len(coords):
            ends = list(itertools.accumulate(sizes))
            runs.append([range(end - size, end) for size, end in zip(sizes, ends, strict=True)])
    best = min(cost(split) for split in runs)
    assert outcome.objective == pytest.approx(best, abs=1.0)
    found = [
        [units.index.get_loc(u) for u, c in outcome.centres.items() if c == r] for r in set(outcome.centres.values())
    ]
    assert cost(found) == pytest.approx(best, abs=1.0)  # one of the optima (there are ties)


@pytest.mark.parametrize(
    "settings",
    [
        dict(n_consortia=(3, 6)),
        dict(n_consortia=5, max_practices=6),
        dict(n_consortia=(3, 6), health_floor=0.8),
        dict(n_consortia=(3, 6), imd_band=4.0),
        dict(n_consortia=(3, 6), apart=[("P0000", "P0001")], together=[["P0003", "P0204"]]),
        dict(n_consortia=(4, 8), nesting="strict", lads=3),
        dict(n_consortia=(4, 8), nesting="soft", lads=3),
    ],
    ids=["count", "max-practices", "health-floor", "imd-band", "wishes", "strict", "soft"],
)
def test_both_backends_agree_on_the_optimum(settings):
    settings = dict(settings)
    lads = settings.pop("lads", 1)
    problem = grid_problem(5, 5, lads=lads, **settings)
    plans = {b: solve(problem, backend=b, time_limit=60, decompose=False) for b in ("cpsat", "highs")}
    for backend, plan in plans.items():
        assert plan.status == "optimal", (backend, plan.explanation)
        assert plan.validation.ok, plan.validation
    assert plans["cpsat"].objective == pytest.approx(plans["highs"].objective, rel=1e-6)


def scrambled_problem(seed: int) -> Problem:
    """Ten practices scattered at random whose neighbour graph (a random tree plus two edges) ignores geography:
    the most compact groups are usually in pieces, so the optimum depends on the contiguity cuts being exact."""
    rng = np.random.default_rng(seed)
    codes = [f"S{k}" for k in range(10)]
    units = pd.DataFrame(
        {
            "population": rng.integers(10_000, 30_000, 10),
            "x": rng.uniform(0, 20_000, 10),
            "y": rng.uniform(0, 20_000, 10),
        },
        index=codes,
    )
    graph = nx.relabel_nodes(nx.random_labeled_tree(10, seed=seed), dict(enumerate(codes)))
    while graph.number_of_edges() < 11:
        a, b = rng.choice(codes, 2, replace=False)
        graph.add_edge(str(a), str(b))
    return Problem(
        units=units,
        graph=graph,
        min_population=40_000,
        max_population=90_000,
        n_consortia=3,
        nesting="off",
        weights=ONLY_DISTANCE,
    )


def brute_force_optimum(problem: Problem) -> tuple[float, set[frozenset[str]]]:
    """Every split of the units into three connected groups within the bounds; the cheapest, each group around
    its best centre (patient-km)."""
    units, graph = problem.units, problem.graph
    codes = list(units.index)
    pop = units["population"].to_dict()
    xy = units[["x", "y"]].to_numpy()
    km = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) / 1000
    best = (math.inf, set())
    for labels in itertools.product(range(3), repeat=len(codes)):
        if list(dict.fromkeys(labels)) != [0, 1, 2]:
            continue  # each split once: groups numbered in order of first member
        groups = [[k for k, g in enumerate(labels) if g == label] for label in range(3)]
        if any(not problem.min_population <= sum(pop[codes[k]] for k in g) <= problem.max_population for g in groups):
            continue
        if not all(nx.is_connected(graph.subgraph([codes[k] for k in g])) for g in groups):
            continue
        cost = sum(min(sum(pop[codes[i]] * km[i, c] for i in g) for c in g) for g in groups)
        if cost < best[0]:
            best = (cost, {frozenset(codes[k] for k in g) for g in groups})
    return best


@pytest.mark.parametrize("seed", [3, 7, 11])
@pytest.mark.parametrize("backend", ["cpsat", "highs"])
def test_optimum_matches_brute_force_on_a_scrambled_graph(seed, backend):
    problem = scrambled_problem(seed)
    cost, groups = brute_force_optimum(problem)
    plan = solve(problem, backend=backend, time_limit=60, decompose=False)
    assert plan.status == "optimal" and plan.validation.ok
    assert plan.contiguity_cuts > 0  # the unconnected optimum had to be cut off first
    found = {frozenset(plan.assignment.index[plan.assignment == c]) for c in plan.consortia}
    assert found == groups
    assert plan.objective == pytest.approx(cost, rel=1e-4)
