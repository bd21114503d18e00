"""The heuristic: a plan meeting every hard rule on real regions and generic graphs, priced like the model."""

import networkx as nx
import numpy as np
import pytest
from grids import grid_problem

from boundaries.app.config import load_config
from boundaries.check.validation import validate
from boundaries.data.region import load_region, sha_regions
from boundaries.engine.exact import _objective_of
from boundaries.engine.heuristic import first_plan, improve_plan, plan_objective
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


def strip(lads: str, lo: int, hi: int, **settings) -> Problem:
    """Two rows of practices of 1,000 patients 1 km apart; the practices of column c are in authority lads[c]."""
    graph = nx.grid_2d_graph(2, len(lads))
    for r, c in graph.nodes:
        graph.nodes[(r, c)].update(population=1000, x=c * 1000.0, y=r * 1000.0, lad=lads[c])
    nx.set_edge_attributes(graph, False, "island")
    return Problem.from_graph(graph, lo, hi, lad="lad", weights=Weights(health=0, deprivation=0), **settings)


# Authority A on both sides of B touches itself only through B: under strict nesting A is divided piece by piece,
# or joins whole neighbours into one consortium that is itself in one piece.
@pytest.mark.parametrize(
    ("lads", "lo", "hi", "link", "count"),
    [
        ("AABBBAACCC", 6_000, 14_000, None, 2),  # A's halves too small alone: A joins B, not C (A+C is 2 pieces)
        ("AABBAA", 3_000, 5_000, None, 3),  # A's halves are a consortium each
        ("DAABBBBBAA", 9_000, 20_000, None, 1),  # D joins A, a union in two pieces until B joins too
        ("AABBBAA", 5_000, 14_000, True, 2),  # a sea link between A's halves, allowed: A is one consortium
        ("AABBBAA", 5_000, 14_000, False, 1),  # the same link not allowed: A's halves join B
    ],
)
def test_strict_nesting_keeps_each_consortium_in_one_piece_when_an_authority_is_not(lads, lo, hi, link, count):
    settings = {}
    if link is not None:
        settings["use_island_links"] = link
    problem = strip(lads, lo, hi, **settings)
    if link is not None:
        problem.graph.add_edge((0, 1), (0, 5), island=True)
    plan = first_plan(problem, time_limit=10, seed=0)
    assert plan is not None
    check = validate(plan.centres, problem)
    assert check.ok, check.violations
    assert len(set(plan.centres.values())) == count


def test_a_plan_in_pieces_is_not_valid_by_the_heuristics_own_count():
    # a row of four practices, consortia of exactly 3,000 patients: no move keeps the bounds, so the local search
    # keeps the plan it is given. The outer two with the inner two apart meet every rule but contiguity.
    graph = nx.path_graph(4)
    for node, pop in zip(graph.nodes, (1000, 2000, 1000, 2000)):
        graph.nodes[node].update(population=pop, x=node * 1000.0, y=0.0)
    problem = Problem.from_graph(graph, 3000, 3000, weights=Weights(health=0, deprivation=0))
    assert improve_plan(problem, {0: "a", 1: "a", 2: "b", 3: "b"}, time_limit=5) is not None
    assert improve_plan(problem, {0: "a", 3: "a", 1: "b", 2: "b"}, time_limit=5) is None


@pytest.mark.parametrize("nesting", ["off", "soft"])
@pytest.mark.parametrize("price", [0.0, 50_000.0])
def test_a_count_that_only_fits_on_paper_gives_way_to_one_that_can_be_built(nesting, price):
    # a row of practices of 1,000, 1,000, 3,000 and 3,000 patients, consortia of 2,000-4,000: the bounds allow 2
    # to 4 consortia, but 4 leaves a consortium of 1,000 and 2 one of 5,000 or 6,000; only 3 can be built. The
    # preferred count is 4 (nothing priced per consortium) or 2 (priced): either way 3 must be tried next.
    graph = nx.path_graph(4)
    for node, pop in zip(graph.nodes, (1000, 1000, 3000, 3000)):
        graph.nodes[node].update(population=pop, x=node * 1000.0, y=0.0, lad="AABB"[node])
    weights = Weights(health=0, deprivation=0, consortium=price)
    problem = Problem.from_graph(graph, 2000, 4000, lad="lad", nesting=nesting, weights=weights)
    assert problem.count_range == (2, 4)
    plan = first_plan(problem, time_limit=5, seed=0)
    assert plan is not None
    assert validate(plan.centres, problem).ok
    assert len(set(plan.centres.values())) == 3


@pytest.mark.parametrize(("counts", "built"), [((1, 4), 4), ((1, 2), 2), (1, None)])
def test_a_region_in_pieces_is_divided_piece_by_piece(counts, built):
    # a row of four practices whose middle link is a sea link, not allowed: each shore has its own consortia
    problem = grid_problem(1, 4, lo=5_000, hi=100_000, n_consortia=counts, use_island_links=False)
    problem.graph.edges["P0001", "P0002"]["island"] = True
    plan = first_plan(problem, time_limit=5, seed=0)
    if built is None:  # one consortium cannot hold both shores
        assert plan is None
        return
    assert plan is not None and validate(plan.centres, problem).ok
    assert len(set(plan.centres.values())) == built
