"""The validator catches each broken rule on hand-made plans."""

from dataclasses import replace

import pandas as pd
import pytest
from grids import grid_problem

from boundaries.check.validation import count_moves, validate
from boundaries.data.areas import area_pieces
from boundaries.data.region import load_region


def plan_of(problem, groups):
    return pd.Series({u: name for name, units in groups.items() for u in units})


def columns(problem, cols):
    return [u for u in problem.units.index if int(u[3:]) in cols]


def test_a_good_plan_passes():
    problem = grid_problem(2, 4, lo=0, hi=10**6)
    plan = plan_of(problem, {"west": columns(problem, {0, 1}), "east": columns(problem, {2, 3})})
    assert validate(plan, problem).ok


def test_each_broken_rule_is_named():
    problem = grid_problem(2, 4, lo=0, hi=10**6, lads=2, nesting="strict", apart=[("P0000", "P0003")])
    units = list(problem.units.index)
    bad = plan_of(
        problem,
        {
            "a": ["P0000", "P0003", "P0101"],
            "b": [u for u in units if u not in {"P0000", "P0003", "P0101", "P0102"}],
        },
    )
    report = validate(bad, problem)
    text = "\n".join(report.violations)
    assert not report.ok
    assert "in no consortium" in text  # P0102 missing
    assert "separate pieces" in text  # a is not connected
    assert "holds only part of" in text  # a crosses L0/L1 with parts of each
    assert "different consortia" in text  # P0000 and P0003 together


def test_population_bounds_and_counts():
    problem = grid_problem(2, 2, lo=10**6, hi=2 * 10**6, n_consortia=2)
    report = validate(plan_of(problem, {"all": list(problem.units.index)}), problem)
    text = "\n".join(report.violations)
    assert "outside 1,000,000-2,000,000" in text and "the plan has 1 consortia" in text


def test_island_links_are_reported():
    problem = grid_problem(1, 3, lo=0, hi=10**6)
    problem.graph.remove_edge("P0001", "P0002")
    problem.graph.add_edge("P0001", "P0002", island=True)
    report = validate(plan_of(problem, {"all": list(problem.units.index)}), problem)
    assert report.ok and report.island_linked == ["all"]
    problem = replace(problem, use_island_links=False)
    assert not validate(plan_of(problem, {"all": list(problem.units.index)}), problem).ok


def test_moves_use_the_best_matching_of_labels():
    base = {"a": "X", "b": "X", "c": "Y", "d": "Y"}
    assert count_moves({"a": "1", "b": "1", "c": "2", "d": "2"}, base) == 0
    assert count_moves({"a": "1", "b": "2", "c": "2", "d": "2"}, base) == 1


# ------------------------------------------------------------------------------------------- on the ground

SHA = [f"Q{n}" for n in range(30, 40)]
BARROW = "E07000027"  # Walney Island (one practice, joined by an island link) and four islets without one


def _wide_problem(region, **settings):
    from boundaries.engine.problem import Problem

    settings.setdefault("n_consortia", None)
    return Problem.from_region(region, min_population=0, max_population=10**9, nesting="off", **settings)


@pytest.mark.parametrize("code", SHA)
def test_whole_authorities_are_one_piece_on_the_ground(code):
    """One consortium per authority, in every region: each area is one piece of land, island parts aside,
    once pieces joined by an explicit island link count as one; the validator says so and names the island
    parts."""
    region = load_region(code)
    plan = region.practices["lad"].astype(str)
    report = validate(plan, _wide_problem(region))
    assert report.ok, report.violations
    assert set(report.pieces) == set(plan) and set(report.pieces.values()) == {1}
    held = set(region.cells.loc[region.cells["island_parts"] > 0, "lad"])
    assert set(report.island_parts) == held
    names = region.lads["lad_name"]
    assert all(names[lad] in report.island_parts[lad] for lad in held)


@pytest.mark.parametrize("code", SHA)
def test_every_edge_of_the_neighbour_graph_is_a_contact_on_the_ground(code):
    """The heuristic and the models read connectivity off the graph, the validator off the ground: they must
    agree, or a plan the engine finds connected is refused as in pieces. Every pair of neighbours (island
    links aside) is one piece of land on its own, practices sharing a building included (London had 9 pairs
    of practices at one surgery that the ground check joined only through a third practice of the building)."""
    from boundaries.data.areas import land_pieces

    region = load_region(code)
    pending = [(a, b) for a, b, d in region.graph.edges(data=True) if not d.get("island")]
    apart = []
    while pending:  # in rounds of edges that share no practice, each edge a two-practice consortium
        used, batch, later = set(), [], []
        for a, b in pending:
            if a in used or b in used:
                later.append((a, b))
            else:
                batch.append((a, b))
                used |= {a, b}
        labels = pd.Series({u: f"{a}|{b}" for a, b in batch for u in (a, b)})
        apart += [label for label, pieces in land_pieces(labels, region).items() if len(pieces) > 1]
        pending = later
    assert apart == []


@pytest.mark.slow
def test_a_solved_plan_is_in_one_piece_on_the_ground():
    """Barrow-in-Furness in two consortia: whatever valid plan the solver returns, each area is one piece of
    land apart from marked island parts, Walney joined to the mainland only by its island link."""
    from boundaries.engine.solver import solve

    region = load_region([BARROW])
    problem = _wide_problem(region, n_consortia=2)
    problem = replace(problem, min_population=20_000, max_population=60_000)
    plan = solve(problem, time_limit=30)
    assert plan.has_plan, plan.explanation
    report = validate(plan, problem)
    assert report.ok and report.pieces == {label: 1 for label in set(plan.assignment)}
    areas = area_pieces(plan.assignment, region)
    walney = areas.index[[any("A82062" in piece for piece in pieces) for pieces in areas["members"]]][0]
    assert areas.at[walney, "pieces"] == 2 and report.island_linked == [walney]
    assert (areas.drop(index=walney)["pieces"] == 1).all()
    assert areas["island_parts"].sum() == 4


def test_an_edge_without_ground_contact_is_caught():
    """A false neighbour in the graph joins two practices far apart: the graph check passes, the ground
    check does not."""
    region = load_region([BARROW])
    problem = _wide_problem(region)
    problem = replace(problem, graph=problem.graph.copy())
    codes = list(region.practices.index)
    far = max(codes[1:], key=lambda c: region.practices.geometry[c].distance(region.practices.geometry[codes[0]]))
    problem.graph.add_edge(codes[0], far, island=False, length=5.0)
    plan = pd.Series("rest", index=codes)
    plan[[codes[0], far]] = "pair"
    report = validate(plan, problem)
    assert not report.ok and report.pieces["pair"] == 2
    assert any("consortium pair: its area is in 2 pieces on the ground" in v for v in report.violations)
