"""The heuristic: a plan meeting every hard rule on real regions and generic graphs, priced like the model."""

import networkx as nx
import numpy as np
import pytest
from grids import grid_problem

from boundaries.app.config import load_config
from boundaries.check.validation import validate
from boundaries.data.region import load_region, sha_regions
from boundaries.engine.exact import _objective_of
from boundaries.engine.heuristic import first_plan, plan_objective
from boundaries.engine.model import build_model
from boundaries.engine.problem import Problem, Weights

REGIONS = list(sha_regions()["name"])


def region_problem(name: str, **overrides) -> Problem:
    config = load_config().for_region(name, **overrides)
    return Problem.from_region(load_region(name), **config.problem_settings())


@pytest.mark.slow
@pytest.mark.parametrize("name", REGIONS)
def test_every_region_gets_a_valid_plan_under_strict_nesting(name):
    problem = region_problem(name)
    plan = first_plan(problem, time_limit=60, seed=0)
    assert plan is not None, f"no heuristic plan for {name}"
    check = validate(plan.centres, problem)
    assert check.ok, check.violations[:5]
    lo, hi = problem.count_range
    assert lo <= len(set(plan.centres.values())) <= hi


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("North West", {"nesting": "soft"}),
        ("London", {"nesting": "off"}),
        ("East Midlands", {"preset": "consortium", "n_consortia": 20}),
        ("South East Coast", {"preset": "consortium", "nesting": "soft"}),
    ],
)
def test_other_settings_get_a_valid_plan_too(name, overrides):
    problem = region_problem(name, **overrides)
    plan = first_plan(problem, time_limit=60, seed=0)
    assert plan is not None
    assert validate(plan.centres, problem).ok


@pytest.mark.slow
def test_the_heuristic_prices_a_plan_as_the_model_does():
    # soft nesting and every priced term, on real practices: the heuristic's objective of its own plan is the
    # model's objective of that plan (up to the model's rounding of coefficients to integers)
    region = load_region(["E06000001", "E06000004", "E06000005"])
    problem = Problem.from_region(
        region, nesting="soft", n_consortia=(3, 5), weights=Weights(border=500.0, consortium=10_000.0)
    )
    plan = first_plan(problem, time_limit=30, seed=3)
    assert plan is not None
    priced = _objective_of(build_model(problem), plan.centres, "highs", 0, 60)
    assert priced is not None
    assert plan.objective == pytest.approx(priced[0], rel=1e-5)
    assert plan_objective(problem, plan.centres) == pytest.approx(plan.objective)


def test_same_seed_same_plan_other_seed_other_start():
    problem = grid_problem(8, 8, n_consortia=(6, 12))
    a, b = first_plan(problem, 30, seed=1), first_plan(problem, 30, seed=1)
    assert a.centres == b.centres and a.objective == b.objective


def test_hard_rules_hold_together_apart_and_caps():
    problem = grid_problem(
        6,
        6,
        n_consortia=(4, 8),
        together=[["P0000", "P0202"]],  # not neighbours: only a consortium reaching from one to the other
        apart=[("P0001", "P0101")],
        max_practices=9,
        lo=20_000,
        hi=200_000,
    )
    plan = first_plan(problem, time_limit=30, seed=0)
    assert plan is not None
    assert validate(plan.centres, problem).ok


def test_a_baseline_with_no_moves_allowed_is_kept():
    problem = grid_problem(5, 5, n_consortia=(2, 5), lo=20_000, hi=120_000)
    baseline = first_plan(problem, 30, seed=4)
    labels = {u: f"B{c}" for u, c in baseline.centres.items()}
    import pandas as pd

    moved = grid_problem(5, 5, n_consortia=(2, 5), lo=20_000, hi=120_000, baseline=pd.Series(labels), max_moves=0)
    moved.units.loc["P0000", "x"] += 30_000  # a pull towards change that the baseline rule must resist
    plan = first_plan(moved, 30, seed=0)
    assert plan is not None and validate(plan.centres, moved).ok


def balanced_grid(rows: int, cols: int, seed: int, ids: str) -> nx.Graph:
    """A grid graph whose nodes are ints or (row, col) tuples, with populations and positions."""
    grid = nx.grid_2d_graph(rows, cols)
    rng = np.random.default_rng(seed)
    for node in grid.nodes:
        grid.nodes[node].update(population=int(rng.integers(800, 1200)), x=node[1] * 1000.0, y=node[0] * 1000.0)
    if ids == "int":
        grid = nx.convert_node_labels_to_integers(grid, ordering="sorted")
    return grid


@pytest.mark.parametrize("ids", ["int", "tuple"])
@pytest.mark.parametrize(("k", "tolerance"), [(2, 0.005), (4, 0.005), (7, 0.02)])
def test_generic_graphs_with_any_ids_in_a_tight_band(ids, k, tolerance):
    graph = balanced_grid(12, 12, seed=k, ids=ids)
    total = sum(p for _, p in graph.nodes(data="population"))
    lo, hi = int(np.ceil(total / k * (1 - tolerance))), int(total / k * (1 + tolerance))
    problem = Problem.from_graph(graph, lo, hi, n_consortia=k, weights=Weights(health=0, deprivation=0))
    plan = first_plan(problem, time_limit=30, seed=0)
    assert plan is not None, f"no plan for k={k} within {tolerance:.1%}"
    assert set(plan.centres) == set(graph.nodes)
    assert validate(plan.centres, problem).ok
