"""LP bounds per count: below the true optimum at every count, supporting lines that really support."""

import math

import pytest

from boundaries.data.region import load_region
from boundaries.engine.bounds import CountBounds
from boundaries.engine.exact import solve_single
from boundaries.engine.problem import Problem

pytestmark = pytest.mark.slow  # every test here solves a real region

STOCKTON = "E06000004"  # Stockton-on-Tees: 29 practices, about 197,000 patients


@pytest.fixture(scope="module")
def stockton():
    region = load_region([STOCKTON])
    problem = Problem.from_region(region, "hub", n_consortia=(1, 6), nesting="strict")
    bounds = CountBounds(problem)
    optimum = {}
    for k in range(2, 5):
        out = solve_single(problem.subproblem(list(problem.units.index), n_consortia=k), "highs", 60, seed=0)
        assert out.status == "optimal"
        optimum[k] = out.objective
    return bounds, optimum


def test_lines_from_the_ends_bound_a_count_between_them_below_its_optimum(stockton):
    bounds, optimum = stockton
    bounds.solve(2)
    bounds.solve(4)
    assert 3 not in bounds.values
    assert 0 < bounds.bound(3) <= optimum[3] * (1 + 1e-9)


def test_lp_values_are_tight_lower_bounds_and_convex_in_the_count(stockton):
    bounds, optimum = stockton
    for k in range(2, 5):
        value = bounds.solve(k)
        assert value <= optimum[k] * (1 + 1e-9)
        assert value >= 0.9 * optimum[k]  # the relaxation is close: it is what makes the bound useful
    # every supporting line lies below every solved value: the dual slope is a true subgradient
    for k0, v0, slope in bounds.lines:
        for k, value in bounds.values.items():
            assert v0 + slope * (k - k0) <= value + 1e-6 * abs(value)


def test_a_count_the_bounds_cannot_allow_is_infinite(stockton):
    bounds, _ = stockton
    assert bounds.solve(7) == math.inf  # 7 x 30,000 patients is more than Stockton holds
