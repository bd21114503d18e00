"""The Lagrangian bound: never above a proven optimum, never above any valid plan."""

import pytest
from grids import grid_problem

from boundaries.heuristic import first_plan
from boundaries.lagrange import lagrangian_bound
from boundaries.problem import Weights
from boundaries.solver import solve


@pytest.mark.parametrize(
    "settings",
    [
        dict(rows=5, cols=6, n_consortia=(3, 6), lo=20_000, hi=120_000),
        dict(rows=4, cols=4, n_consortia=3, lo=20_000, hi=100_000, weights=Weights(deprivation=0)),
        dict(rows=5, cols=5, n_consortia=(2, 4), lo=40_000, hi=150_000, weights=Weights(consortium=50_000)),
    ],
)
def test_the_bound_is_below_the_proven_optimum(settings):
    problem = grid_problem(**settings)
    optimum = solve(problem, backend="highs", time_limit=120)
    assert optimum.status == "optimal"
    bound = lagrangian_bound(problem, optimum.objective, time_limit=30)
    assert bound is not None
    assert bound <= optimum.objective * (1 + 1e-6)  # the model rounds each coefficient to 0.01 patient-km
    assert bound > 0.5 * optimum.objective  # a bound that means something: patient-km are most of the objective


def test_the_bound_holds_from_a_heuristic_start():
    problem = grid_problem(8, 8, n_consortia=(6, 12))
    plan = first_plan(problem, 30)
    bound = lagrangian_bound(problem, plan.objective, 30, start=plan.centres)
    assert bound is not None and 0 < bound <= plan.objective
