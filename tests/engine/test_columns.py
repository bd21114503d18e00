"""The set-partitioning bound (consortia as columns) against enumeration, and its strength where the labelling
model's bound collapses."""

import itertools
import math

import networkx as nx
import pytest
from test_labels import CASES, _valid_splits, enumerated_optimum, groups_of, price, tangled_problem

from boundaries.check.validation import validate
from boundaries.engine import columns
from boundaries.engine.model import SCALE
from boundaries.engine.problem import Problem, Weights
from boundaries.engine.solver import solve
from boundaries.status import Status

BORDER = Weights(compactness=0, border=1.0, health=0, deprivation=0)


def worst_start(problem: Problem) -> dict:
    """The valid plan with the longest border: a start the columns must improve on."""
    return max(
        _valid_splits(problem),
        key=lambda centres: sum(km for (a, b), km in problem.border_km().items() if centres[a] != centres[b]),
    )


@pytest.mark.parametrize("seed", [3, 7, 11])
@pytest.mark.parametrize("case", list(CASES))
def test_the_bound_never_passes_the_enumerated_optimum_and_the_plan_is_priced_right(seed, case):
    problem = tangled_problem(seed, **CASES[case])
    cost, _ = enumerated_optimum(problem)
    if math.isinf(cost):
        pytest.skip("no plan to start from")
    start = next(c for c in _valid_splits(problem) if c)  # the first valid split: any plan
    out = columns.solve_columns(problem, 60, start)
    assert out.bound is not None and out.bound <= cost + 1e-9  # a bound, whatever the prices were
    assert out.objective >= cost - 1e-9
    assert validate(out.centres, problem).ok  # columns in pieces (the relaxation's) never reach a plan
    assert price(problem, [list(g) for g in groups_of(out.centres)]) / SCALE == pytest.approx(out.objective)
    if out.status == Status.OPTIMAL:
        assert out.objective == pytest.approx(cost)


def test_a_consortium_costs_what_the_models_charge():
    # one definition of the objective: the doubled column costs of any plan sum to twice the models' price
    problem = tangled_problem(7, weights=Weights(compactness=0, border=1.0, health=0, deprivation=0.002, consortium=3))
    data = columns._Units.of(problem)
    index = {u: i for i, u in enumerate(data.units)}
    for centres in list(_valid_splits(problem))[:25]:
        groups = groups_of(centres)
        doubled = sum(data.cost2(frozenset(index[u] for u in g)) for g in groups)
        assert doubled == 2 * price(problem, [list(g) for g in groups])


def grid(n: int) -> nx.Graph:
    graph = nx.grid_2d_graph(n, n)
    for node in graph.nodes:
        graph.nodes[node].update(population=1, x=1000.0 * node[1], y=1000.0 * node[0])
    nx.set_edge_attributes(graph, 1000.0, "length")
    return graph


def runs_in_reading_order(problem: Problem, n: int, size: int) -> dict:
    """A poor start on an n x n grid: runs of ``size`` cells in reading order (unit -> its run's first cell)."""
    start = {}
    for node in problem.units.index:
        k = (node[0] * n + node[1]) // size
        start[node] = (k * size // n, k * size % n)
    assert validate(start, problem).ok
    return start


def test_a_grid_in_four_equal_parts_is_proven_where_the_labels_bound_collapses():
    # 6 x 6 in 4 districts of exactly 9: the best plan cuts 12 edges (four 3 x 3 squares), and a set of 9 cells
    # away from the corners has a longer border. The labelling model's bound stood at 3 after 30 s.
    problem = Problem.from_graph(grid(6), 9, 9, n_consortia=4, weights=BORDER)
    out = columns.solve_columns(problem, 120, runs_in_reading_order(problem, 6, 9))
    assert out.status == Status.OPTIMAL
    assert out.objective == pytest.approx(12.0) and out.bound == pytest.approx(12.0)
    assert validate(out.centres, problem).ok


def test_the_first_bound_is_the_count_times_the_cheapest_consortium():
    # 10 x 10 in 4 of exactly 25: no set of 25 cells has a border of fewer than 10 edges (a 5 x 5 corner square),
    # so every plan cuts at least 4 * 10 / 2 = 20, which two straight cuts through the middle meet. The first
    # exact round prices every unit at nothing and so proves 20 at once (the LP's own prices reached 17.985 in
    # 60 s); the rest is finding a plan that cuts 20.
    problem = Problem.from_graph(grid(10), 25, 25, n_consortia=4, weights=BORDER)
    out = columns.solve_columns(problem, 120, runs_in_reading_order(problem, 10, 25))
    bounds = [bound for _, _, bound in out.progress if bound is not None]
    assert bounds[0] == pytest.approx(20.0)
    assert out.status == Status.OPTIMAL and out.objective == pytest.approx(20.0)
    assert validate(out.centres, problem).ok


def test_the_pipeline_starts_the_labelling_search_with_the_columns():
    problem = Problem.from_graph(grid(6), 9, 9, n_consortia=4, weights=BORDER)
    plan = solve(problem, time_limit=120)
    assert plan.status == Status.OPTIMAL and plan.objective == pytest.approx(12.0)
    assert "set partitioning" in plan.log
    assert plan.validation.ok


def test_the_bound_rounds_up_to_what_a_plan_can_cost():
    # cut edges all cost 1 km: a plan's border is whole, so a bound of 11.02 edges means 12
    problem = Problem.from_graph(grid(4), 8, 8, n_consortia=2, weights=BORDER)
    data = columns._Units.of(problem)
    assert data.step == round(SCALE * 1.0)
    assert columns._floor_units(2 * 1102, data.step) == 1200
    assert columns._floor_units(2 * 1100, data.step) == 1100


def test_pricing_finds_the_cheapest_consortium_and_the_relaxation_is_no_dearer():
    # with every unit priced at nothing, the cheapest consortium of 8 cells in a 4 x 4 grid is a half: a border
    # of 4 edges (doubled cost: each cut edge's whole price on this side)
    problem = Problem.from_graph(grid(4), 8, 8, n_consortia=2, weights=BORDER)
    data = columns._Units.of(problem)
    sets, least, exact = columns._Pricing(problem, data, connected=True).price([0] * len(data.units), 30, 0)
    assert exact and least == 4 * SCALE == min(data.cost2(s) for s in sets)
    assert all(data.connected(s) for s in sets)
    _, looser, exact = columns._Pricing(problem, data, connected=False).price([0] * len(data.units), 30, 0)
    assert exact and looser <= least  # in pieces is a relaxation


def test_connected_pricing_cuts_off_sets_in_pieces_and_finds_the_enumerated_minimum():
    # 4 x 4 grid, consortia of 4 cells; the four corners priced high: in pieces the best set is the corners
    # (8 cut edges, against the 4-corner prize), in one piece it has to walk between them
    problem = Problem.from_graph(grid(4), 4, 4, n_consortia=4, weights=BORDER)
    data = columns._Units.of(problem)
    corners = {(0, 0), (0, 3), (3, 0), (3, 3)}
    prices2 = [700 if unit in corners else 0 for unit in data.units]
    cells = range(len(data.units))
    connected_sets = [frozenset(s) for s in itertools.combinations(cells, 4) if data.connected(frozenset(s))]
    least = min(data.cost2(s) - sum(prices2[i] for i in s) for s in connected_sets)
    relaxed = columns._Pricing(problem, data, connected=False)
    sets, in_pieces, exact = relaxed.price(prices2, 30, 0)
    assert exact and in_pieces < least and not data.connected(sets[-1])
    pricing = columns._Pricing(problem, data, connected=True)
    sets, found, exact = pricing.price(prices2, 30, 0)
    assert exact and found == least
    assert pricing.separators  # the set in pieces was cut off, not stated away
    assert sets and all(data.connected(s) for s in sets)
    assert min(data.cost2(s) - sum(prices2[i] for i in s) for s in sets) == least


def test_the_bound_takes_the_count_that_costs_least():
    # a plan of m consortia costs at least sum(prices) + m * least: with least < 0 the most consortia allowed
    # is the worst case, with least >= 0 the fewest
    assert columns.lagrangian([10, 20, 30], -4, (2, 5)) == 60 - 20
    assert columns.lagrangian([10, 20, 30], 4, (2, 5)) == 60 + 8
    assert columns.lagrangian([10, 20, 30], 0, (3, 3)) == 60
