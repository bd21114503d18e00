"""The labelling model (contiguity inside one CP-SAT search) against enumeration and against the p-median model."""

import itertools
import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from boundaries.check.validation import validate
from boundaries.engine import labels
from boundaries.engine.exact import solve_single
from boundaries.engine.model import SCALE
from boundaries.engine.problem import Problem, Weights
from boundaries.engine.solver import solve
from boundaries.status import Status

BORDER = Weights(compactness=0, border=1.0, health=0, deprivation=0)


def tangled_problem(seed: int, n: int = 10, **settings) -> Problem:
    """``n`` units on a random connected graph whose edges carry random border lengths (no geography to lean
    on), populations 10k-30k."""
    rng = np.random.default_rng(seed)
    codes = [f"T{k}" for k in range(n)]
    units = pd.DataFrame(
        {
            "population": rng.integers(10_000, 30_000, n),
            "x": rng.uniform(0, 20_000, n),
            "y": rng.uniform(0, 20_000, n),
            "imd": rng.uniform(5, 50, n),
        },
        index=codes,
    )
    graph = nx.relabel_nodes(nx.random_labeled_tree(n, seed=seed), dict(enumerate(codes)))
    while graph.number_of_edges() < n + 4:
        a, b = rng.choice(codes, 2, replace=False)
        graph.add_edge(str(a), str(b))
    for a, b in graph.edges:
        graph.edges[a, b]["length"] = float(rng.integers(500, 5_000))
    settings.setdefault("min_population", 40_000)
    settings.setdefault("max_population", 90_000)
    settings.setdefault("n_consortia", 3)
    settings.setdefault("weights", BORDER)
    return Problem(units=units, graph=graph, nesting="off", **settings)


def price(problem: Problem, groups: list[list[str]]) -> int:
    """A plan's objective as the models price it, in ``SCALE`` units: border km and deprivation spread with
    integer coefficients, and a price per group."""
    w = problem.weights
    pop = problem.units["population"].astype(int)
    imd = problem.units["imd"]
    mean = float(np.average(imd, weights=pop))
    excess = {u: round(pop[u] * (imd[u] - mean)) for u in problem.units.index}
    group_of = {u: k for k, g in enumerate(groups) for u in g}
    cost = sum(round(w.border * SCALE * km) for (a, b), km in problem.border_km().items() if group_of[a] != group_of[b])
    cost += len(groups) * round(SCALE * w.consortium)
    cost += sum(round(SCALE * w.deprivation) * abs(sum(excess[u] for u in g)) for g in groups)
    return cost


def enumerated_optimum(problem: Problem) -> tuple[float, set[frozenset[str]]]:
    """Every split into connected groups within the bounds and wishes; the cheapest (``price``)."""
    units, graph = problem.units, problem.graph
    codes = list(units.index)
    pop = units["population"].astype(int).to_numpy()
    k_lo, k_hi = problem.count_range
    best: tuple[float, set] = (math.inf, set())
    for assignment in itertools.product(range(k_hi), repeat=len(codes)):
        used = list(dict.fromkeys(assignment))
        if used != list(range(len(used))) or len(used) < k_lo:
            continue  # each split once: groups numbered in order of first member
        groups = [[i for i, g in enumerate(assignment) if g == label] for label in used]
        if any(not problem.min_population <= pop[g].sum() <= problem.max_population for g in groups):
            continue
        if any(assignment[codes.index(a)] == assignment[codes.index(b)] for a, b in problem.apart):
            continue
        if any(len({assignment[codes.index(u)] for u in grp}) > 1 for grp in problem.together):
            continue
        named = [[codes[i] for i in g] for g in groups]
        if not all(nx.is_connected(graph.subgraph(g)) for g in named):
            continue
        cost = price(problem, named)
        if cost < best[0]:
            best = (cost, {frozenset(g) for g in named})
    return best[0] / SCALE, best[1]


def groups_of(centres: dict) -> set[frozenset[str]]:
    members: dict[str, set[str]] = {}
    for unit, centre in centres.items():
        members.setdefault(centre, set()).add(unit)
    return {frozenset(m) for m in members.values()}


CASES = {
    "border": {},
    "border, count 2-4 with a price per consortium": {
        "n_consortia": (2, 4),
        "weights": Weights(compactness=0, border=1.0, health=0, deprivation=0, consortium=30.0),
    },
    "border and deprivation spread": {"weights": Weights(compactness=0, border=1.0, health=0, deprivation=0.002)},
    "border with wishes": {"together": [["T0", "T5"]], "apart": [("T1", "T2")]},
}


@pytest.mark.parametrize("seed", [3, 7])
@pytest.mark.parametrize("case", list(CASES))
def test_labelling_model_matches_enumeration(seed, case):
    problem = tangled_problem(seed, **CASES[case])
    assert labels.fits(problem)
    cost, _ = enumerated_optimum(problem)
    if math.isinf(cost):
        assert labels.solve_labels(problem, 60).status == Status.INFEASIBLE
        return
    out = labels.solve_labels(problem, 60)
    assert out.status == Status.OPTIMAL
    assert out.objective == pytest.approx(cost) and out.bound == pytest.approx(cost)
    assert validate(out.centres, problem).ok
    assert price(problem, [list(g) for g in groups_of(out.centres)]) / SCALE == pytest.approx(cost)


@pytest.mark.parametrize("seed", [3, 7, 11])
def test_labelling_and_p_median_models_agree_on_the_optimum(seed):
    problem = tangled_problem(seed)
    by_labels = labels.solve_labels(problem, 60)
    by_p_median = solve_single(problem, "highs", 60, 0)
    assert by_labels.status == by_p_median.status == Status.OPTIMAL
    assert by_labels.objective == pytest.approx(by_p_median.objective)


def test_a_start_plan_is_kept_or_bettered_and_every_answer_is_valid():
    problem = tangled_problem(11)
    cost, _ = enumerated_optimum(problem)
    worst = max(
        (c for c in _valid_splits(problem)),
        key=lambda centres: sum(km for (a, b), km in problem.border_km().items() if centres[a] != centres[b]),
    )
    out = labels.solve_labels(problem, 60, start=worst)
    assert out.status == Status.OPTIMAL and out.objective == pytest.approx(cost)


def _valid_splits(problem: Problem):
    codes = list(problem.units.index)
    for assignment in itertools.product(range(3), repeat=len(codes)):
        if list(dict.fromkeys(assignment)) != [0, 1, 2]:
            continue
        centres = {u: codes[assignment.index(g)] for u, g in zip(codes, assignment)}
        if validate(centres, problem).ok:
            yield centres


def test_unit_order_is_breadth_first_over_every_component():
    problem = tangled_problem(3)
    order = labels.unit_order(problem)
    assert sorted(order) == sorted(problem.units.index)
    graph = problem.graph
    for k in range(1, len(order)):  # each unit after the first has a neighbour earlier in the order
        assert any(v in order[:k] for v in graph[order[k]])


def test_the_pipeline_uses_labels_when_nothing_reads_a_centre():
    problem = tangled_problem(7)
    plan = solve(problem, time_limit=60)
    cost, _ = enumerated_optimum(problem)
    assert plan.status == Status.OPTIMAL and plan.objective == pytest.approx(cost)
    assert "labelling model" in plan.log
    compact = tangled_problem(7, weights=Weights(health=0, deprivation=0))
    assert not labels.fits(compact)  # patient-km reads the centre: the p-median model's job


@pytest.mark.parametrize("relabel", [False, True])
def test_a_grid_with_tuple_or_int_ids_is_cut_straight(relabel):
    # a 4 x 6 grid of equal units in two halves: the shortest cut is the straight one across, 4 edges
    graph = nx.grid_2d_graph(4, 6)
    for node in graph.nodes:
        graph.nodes[node].update(population=1, x=1000.0 * node[1], y=1000.0 * node[0])
    nx.set_edge_attributes(graph, 1000.0, "length")
    if relabel:
        graph = nx.convert_node_labels_to_integers(graph, ordering="sorted")
    problem = Problem.from_graph(graph, 12, 12, n_consortia=2, weights=BORDER)
    plan = solve(problem, time_limit=60)
    assert plan.status == Status.OPTIMAL and plan.objective == pytest.approx(4.0)
    assert plan.validation.ok
    assert set(plan.assignment.index) == set(graph.nodes)
