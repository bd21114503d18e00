"""The validator catches each broken rule on hand-made plans."""

import pandas as pd
from grids import grid_problem

from boundaries.validation import count_moves, validate


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
    problem.use_island_links = False
    assert not validate(plan_of(problem, {"all": list(problem.units.index)}), problem).ok


def test_moves_use_the_best_matching_of_labels():
    base = {"a": "X", "b": "X", "c": "Y", "d": "Y"}
    assert count_moves({"a": "1", "b": "1", "c": "2", "d": "2"}, base) == 0
    assert count_moves({"a": "1", "b": "2", "c": "2", "d": "2"}, base) == 1
