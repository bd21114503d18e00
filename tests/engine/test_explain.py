"""Infeasible requests are explained in a planner's words."""

from grids import grid_problem

from boundaries.engine.explain import precheck
from boundaries.engine.solver import solve


def test_an_island_too_small_is_named():
    problem = grid_problem(3, 3, lo=20_000, hi=200_000)
    for neighbour in list(problem.graph["P0000"]):
        problem.graph.remove_edge("P0000", neighbour)
    plan = solve(problem, time_limit=5)
    assert plan.status == "infeasible"
    assert "P0000" in plan.explanation and "cut off from any neighbour" in plan.explanation


def test_a_practice_above_the_maximum():
    problem = grid_problem(2, 2, lo=0, hi=6_000)
    assert any("above the maximum of 6,000" in r for r in precheck(problem))


def test_strict_nesting_small_authority_between_big_ones():
    problem = grid_problem(3, 6, lads=3, nesting="strict", lo=20_000, hi=55_000)
    problem.units.loc[problem.units["lad"] == "L1", "population"] = 1_000
    problem.units.loc[problem.units["lad"] != "L1", "population"] = 9_000
    reasons = precheck(problem)
    assert any("L1 holds 6,000 patients, below the 20,000 minimum" in r for r in reasons), reasons


def test_a_rule_to_blame_is_found_by_relaxing():
    # a health floor of 100% with two communities split down the middle of a 5-wide grid cannot hold
    # with only 2 consortia of equal-ish size
    problem = grid_problem(4, 5, lo=20_000, hi=400_000, n_consortia=1, health_floor=1.0)
    plan = solve(problem, time_limit=20)
    assert plan.status == "infeasible"
    assert "health-community floor" in plan.explanation


def test_practices_kept_apart_in_one_consortium_are_blamed_with_the_count():
    # one consortium asked for, two practices to be kept apart: dropping either rule gives a plan
    problem = grid_problem(2, 2, lo=5_000, hi=100_000, n_consortia=1, apart=[("P0000", "P0101")])
    plan = solve(problem, time_limit=20)
    assert plan.status == "infeasible"
    assert plan.explanation == (
        "no plan meets every rule at once; it becomes possible without the number of consortia asked for or "
        "without the practices kept apart"
    )


def test_a_moves_limit_from_a_baseline_too_big_to_keep_is_blamed_alone():
    # the baseline is one consortium of 69k patients, above the 40k maximum: at most one move from it is
    # impossible whatever the count, and possible without the limit
    import pandas as pd

    units = grid_problem(2, 3).units
    baseline = pd.Series("all", index=units.index)
    problem = grid_problem(2, 3, lo=20_000, hi=40_000, n_consortia=(1, 6), baseline=baseline, max_moves=1)
    plan = solve(problem, time_limit=20)
    assert plan.status == "infeasible"
    assert plan.explanation == (
        "no plan meets every rule at once; it becomes possible without the limit on moves from the baseline"
    )


def _path(populations, lo, hi, k):
    import networkx as nx

    from boundaries.engine.problem import Problem

    graph = nx.path_graph(len(populations))
    for node, population in enumerate(populations):
        graph.nodes[node].update(population=population, x=1000.0 * node, y=0.0)
    return Problem.from_graph(graph, lo, hi, n_consortia=k)


def test_contiguity_against_tight_bounds_is_proven_impossible_and_said_so():
    # 2, 2, 1, 1 in a row: two groups of 3 exist ({2, 1} twice) but no cut of the row gives 3 + 3, so neither
    # the precheck nor the heuristic can settle it; the labelling model with nothing priced proves it
    problem = _path([2_000, 2_000, 1_000, 1_000], 3_000, 3_000, 2)
    assert not precheck(problem)
    plan = solve(problem, time_limit=30)
    assert plan.status == "infeasible"
    assert "labelling model, any plan: none exists" in plan.log
    assert plan.explanation == (
        "no plan meets every rule at once: 2 connected consortia of 3,000-3,000 patients cannot be formed from "
        "these 4 units; widen the bounds"
    )


def test_a_count_range_the_units_cannot_reach_is_said_plainly():
    # three units of 1,000 patients and a maximum of 200: at least 15 consortia are needed and 3 can exist
    reasons = precheck(_path([1_000, 1_000, 1_000], 0, 200, None))
    assert "need at least 15 consortia of at most 200 patients, but at most 3 can be formed from 3 units" in reasons[-1]
    assert not any("15-3" in r for r in reasons)
