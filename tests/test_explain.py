"""Infeasible requests are explained in a planner's words."""

from grids import grid_problem

from boundaries.explain import precheck
from boundaries.solver import solve


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
