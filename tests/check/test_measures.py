"""One definition per measure (docs/measures.md): the validator and the scorecard, written apart, give the same
numbers on random and real plans; a health floor, an IMD band and a moves cap set on a problem hold on the
scorecard's numbers for the plan the engine returns; and two plans compare measure by measure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from synthetic import by_half, by_lad, make_region, real_region

from boundaries.check.metrics import evaluate
from boundaries.check.validation import measures, validate
from boundaries.data.region import load_region
from boundaries.engine.problem import Problem
from boundaries.engine.solver import solve
from boundaries.presets import PRESETS

EXACT = ("patients", "practices", "main_trust", "coherent_patients", "coterminous")
FLOATS = ("coherence", "imd_mean", "imd_gap", "compactness_km")
PLAN_FLOATS = ("coherence", "imd_reference", "imd_spread", "imd_max_gap", "compactness_km")
PRESET = "consortium"


def close(value: float) -> object:
    """Equal up to the rounding of two different summation orders."""
    return pytest.approx(value, rel=1e-12, abs=1e-12)


def random_split(graph, k: int, rng: np.random.Generator) -> pd.Series:
    """A random split of the graph into ``k`` connected parts: random seeds grown by random frontier edges."""
    nodes = sorted(map(str, graph.nodes))
    label = {nodes[s]: f"C{j:02d}" for j, s in enumerate(rng.choice(len(nodes), size=k, replace=False))}
    frontier = [(u, str(v)) for u in label for v in graph[u]]
    while frontier:
        u, v = frontier.pop(int(rng.integers(len(frontier))))
        if v not in label:
            label[v] = label[u]
            frontier += [(v, str(w)) for w in graph[v] if str(w) not in label]
    for extra, component in enumerate(c for c in _components(graph) if not c & set(label)):
        label.update(dict.fromkeys(component, f"X{extra:02d}"))  # a part of the graph no seed reached
    return pd.Series(label).sort_index()


def _components(graph):
    import networkx as nx

    return [set(map(str, c)) for c in nx.connected_components(graph)]


def random_labels(codes, k: int, rng: np.random.Generator) -> pd.Series:
    """Any labelling at all (consortia in pieces): the definitions do not need connected consortia."""
    return pd.Series([f"L{j}" for j in rng.integers(k, size=len(codes))], index=list(codes))


def assert_agree(plan, region, problem, baseline=None):
    card = evaluate(plan, region, baseline=baseline)
    got = measures(plan, problem, baseline=baseline)
    c = card.consortia
    assert list(got.consortia) == list(c.index)
    for label, row in got.consortia.items():
        for key in EXACT:
            assert row[key] == c.at[label, key], (label, key)
        for key in FLOATS:
            assert row[key] == close(c.at[label, key]), (label, key)
    assert got.authorities == card.authorities["la_splits"].to_dict()
    s = card.summary
    for key in PLAN_FLOATS:
        assert got.plan[key] == close(s[key]), key
    assert got.plan["consortia"] == s["consortia"]
    assert (got.plan["non_coterminous"], got.plan["la_splits"]) == (s["non_coterminous"], s["la_splits"])
    assert got.plan["outside_bounds"] == s["outside_presets"][PRESET]
    if baseline is not None:
        assert got.plan["moved_practices"] == s["moved_practices"]
    return card, got


def region_problem(region) -> Problem:
    return Problem.from_region(region, PRESET, n_consortia=None, nesting="off")


# ------------------------------------------------------------------------- the two implementations agree


@pytest.mark.parametrize("seed", range(6))
def test_random_connected_splits_of_the_north_east_agree(seed):
    region = real_region("North East")
    problem = region_problem(region)
    rng = np.random.default_rng(seed)
    plan = random_split(region.graph, int(rng.integers(2, 40)), rng)
    other = random_split(region.graph, int(rng.integers(2, 40)), rng)
    assert_agree(plan, region, problem, baseline=other)
    assert_agree(plan, region, problem, baseline=region.ccg_assignment())


@pytest.mark.parametrize("seed", range(3))
def test_random_labellings_in_pieces_agree(seed):
    region = real_region("North East")
    rng = np.random.default_rng(100 + seed)
    plan = random_labels(region.practices.index, int(rng.integers(2, 25)), rng)
    assert_agree(plan, region, region_problem(region), baseline=random_labels(region.practices.index, 12, rng))


@pytest.mark.parametrize("name", ["North East", "London", "South West"])
def test_the_2013_ccg_map_agrees(name):
    region = load_region(name)
    card, got = assert_agree(region.ccg_assignment(), region, region_problem(region), region.practices["lad"])
    assert got.plan["la_splits"] > 0 and got.plan["moved_practices"] > 0


def test_the_issues_2013_north_east_numbers():
    """The numbers issue 13 quotes for the real 2013 map of the North East, under the one definition."""
    region = real_region("North East")
    s = evaluate(region.ccg_assignment(), region).summary
    assert round(s["coherence"], 3) == 0.909 and round(s["imd_spread"], 2) == 4.95


def test_ties_go_to_the_lower_trust_code():
    """4,000 patients of TA (four column-0 practices) against 4,000 of TB (P03): TA, in both."""
    region = make_region()
    plan = by_lad(region).copy()
    plan[["P00", "P10", "P20", "P30", "P03"]] = "Tie"
    card, got = assert_agree(plan, region, region_problem(region))
    assert card.consortia.at["Tie", "main_trust"] == got.consortia["Tie"]["main_trust"] == "TA"
    assert card.consortia.at["Tie", "coherence"] == pytest.approx(0.5)


def test_synthetic_plans_agree_with_their_hand_values():
    region = make_region()
    card, got = assert_agree(by_half(region), region, region_problem(region), baseline=by_lad(region))
    assert got.authorities == {"E1": 1, "E2": 1, "E3": 1} and got.plan["moved_practices"] == 24
    assert got.plan["non_coterminous"] == 2


# ------------------------------------------------------------------------- rules hold on the scorecard

DURHAM = ["E06000047", "E06000005"]  # County Durham and Darlington: four trusts, 83 practices
TEES = ["E06000001", "E06000002", "E06000003", "E06000004", "E06000005"]  # 99 practices, three 2013 CCGs


def solved(region, **settings):
    problem = Problem.from_region(region, "hub", **settings)
    plan = solve(problem, time_limit=20, seed=0)
    assert plan.has_plan, plan.explanation
    assert validate(plan, problem).ok
    # the validator's numbers are the scorecard's on the engine's plan too
    baseline = settings.get("baseline")
    assert_agree(plan, region, Problem.from_region(region, PRESET, n_consortia=None, nesting="off"), baseline)
    return plan, evaluate(plan, region, baseline=baseline)


@pytest.mark.slow
def test_a_health_floor_holds_on_the_scorecards_coherence():
    region = load_region(DURHAM)
    plan, card = solved(region, health_floor=0.9)
    assert (card.consortia["coherence"] >= 0.9 - 1e-9).all()
    assert card.summary["coherence"] >= 0.9 - 1e-9


@pytest.mark.slow
def test_an_imd_band_holds_on_the_scorecards_gap_and_bounds_the_spread():
    region = load_region(TEES)
    plan, card = solved(region, imd_band=10.0)
    s = card.summary
    assert s["imd_max_gap"] <= 10.0 + 1e-9
    assert (card.consortia["imd_gap"].abs() <= 10.0 + 1e-9).all()
    reference = float(np.average(region.practices["imd"], weights=region.practices["patients"]))
    assert s["imd_reference"] == close(reference)
    assert s["imd_spread"] <= 10.0 + 1e-9  # a band of b proves a spread of at most b


@pytest.mark.slow
def test_a_moves_cap_holds_on_the_scorecards_moves():
    region = load_region(TEES)
    baseline = region.ccg_assignment()
    plan, card = solved(region, baseline=baseline, max_moves=40)
    assert card.summary["moved_practices"] <= 40
    assert int(card.moved.sum()) == card.summary["moved_practices"]


# ------------------------------------------------------------------------- comparing two plans


def test_a_plan_against_itself_is_equal_on_every_measure():
    region = real_region("North East")
    card = evaluate(region.ccg_assignment(), region, against=region.ccg_assignment(), preset=PRESET)
    assert set(card.comparison["verdict"]) == {"equal"} and card.dominates
    assert list(card.comparison.index) == [
        "hospital coherence",
        "IMD spread",
        "compactness km",
        "not coterminous",
        "LA splits",
        "outside consortium bounds",
    ]


def test_per_measure_verdicts_against_the_2013_map():
    region = real_region("North East")
    ccg = evaluate(region.ccg_assignment(), region)
    lads = region.practices["lad"].astype(str)
    card = evaluate(lads, region, against=ccg, against_name="2013 CCGs", preset=PRESET)
    mine, theirs = card.summary, ccg.summary
    verdict = card.comparison["verdict"].to_dict()
    assert verdict["not coterminous"] == "better" and verdict["LA splits"] == "better"  # whole authorities
    assert verdict["hospital coherence"] == ("better" if mine["coherence"] > theirs["coherence"] else "worse")
    assert verdict["IMD spread"] == ("better" if mine["imd_spread"] < theirs["imd_spread"] else "worse")
    assert verdict["outside consortium bounds"] == "worse"  # Hartlepool: 95,703 patients
    assert card.dominates is False
    assert card.comparison.at["outside consortium bounds", "plan"] == mine["outside_presets"][PRESET]
    text = card.text()
    assert "Against 2013 CCGs" in text and "This plan is worse on" in text
    data = card.to_dict()["against"]
    assert data["name"] == "2013 CCGs" and data["dominates"] is False and len(data["measures"]) == 6


def test_presets_named_in_a_comparison_are_known():
    region = make_region()
    with pytest.raises(ValueError, match="unknown preset"):
        evaluate(by_lad(region), region, against=by_half(region), preset="huge")
    assert set(PRESETS) >= {PRESET}
