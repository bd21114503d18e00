"""The public API (``import boundaries``): every exported name loads, and type checkers see the same names."""

import ast
import importlib
from pathlib import Path

import pytest

import boundaries

INIT = Path(boundaries.__file__)


def test_every_exported_name_loads_from_its_module():
    for name, module in boundaries._EXPORTS.items():
        value = getattr(boundaries, name)
        assert value is getattr(importlib.import_module(f"boundaries.{module}"), name)
    assert sorted(boundaries.__all__) == sorted(boundaries._EXPORTS)


def test_type_checkers_see_the_names_that_load():
    """The ``if TYPE_CHECKING:`` imports in ``__init__`` name each export once, from the module it loads from."""
    tree = ast.parse(INIT.read_text())
    block = next(n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING")
    seen = {
        alias.name: node.module.removeprefix("boundaries.")
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert seen == boundaries._EXPORTS


def test_a_problem_cannot_change_under_its_plan():
    """A problem is frozen: a change is a new problem, checked again like the first."""
    import dataclasses

    from grids import grid_problem

    problem = grid_problem(2, 2, lo=10_000, hi=40_000)
    with pytest.raises(dataclasses.FrozenInstanceError):
        problem.max_population = 1
    with pytest.raises(ValueError, match="not a range"):
        dataclasses.replace(problem, min_population=50_000)


def test_a_given_plan_has_no_verdict_until_checked():
    plan = boundaries.Plan.from_assignment({"A1": "x"}, source="planner.csv")
    assert plan.has_plan and plan.validation is None and plan.source == "planner.csv"
    assert plan.progress == [] and not plan.decomposed
