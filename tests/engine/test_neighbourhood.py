"""Groups of neighbouring consortia re-solved exactly: the plan only gets better, stays valid, keeps its count."""

import re
from dataclasses import replace

import numpy as np
import pytest
from grids import grid_problem

from boundaries.check.validation import validate
from boundaries.engine import solver
from boundaries.engine.heuristic import first_plan, plan_objective
from boundaries.engine.neighbourhood import _neighbourhoods, applies, improve
from boundaries.engine.problem import Weights
from boundaries.engine.solver import solve


def _centres(problem, groups: list[list[str]]) -> dict:
    """unit -> centre for a plan given as groups (each group's first unit is its label: the search re-centres)."""
    return {u: group[0] for group in groups for u in group}


def test_with_two_consortia_the_one_pair_is_the_whole_problem_and_reaches_its_optimum():
    # a 4x4 grid whose two health communities are its left and right halves: from the top/bottom split, the one
    # pair re-solved is the whole problem, so the search must end at the whole model's proven optimum
    problem = grid_problem(4, 4, lo=60_000, hi=110_000, n_consortia=2, weights=Weights(health=5.0))
    rows = [[f"P{r:02d}{c:02d}" for r in rows for c in range(4)] for rows in ((0, 1), (2, 3))]
    start = _centres(problem, rows)
    assert validate(start, problem).ok
    before = plan_objective(problem, start)
    optimum = solve(problem, backend="cpsat", time_limit=120)
    assert optimum.status == "optimal"
    assert before > optimum.objective * 1.01  # the start is not already the best plan

    found = improve(problem.with_imd_reference(), start, before, time_limit=120)
    assert found.solved == 1 and found.improved == 1  # the same sixteen units are not solved twice
    assert found.objective == pytest.approx(optimum.objective, rel=1e-6)
    assert validate(found.centres, problem).ok


@pytest.mark.parametrize("nesting", ["off", "soft"])
def test_every_step_lowers_the_objective_keeps_the_count_and_the_plan_valid(nesting):
    problem = grid_problem(6, 6, lo=40_000, hi=90_000, lads=3, n_consortia=5, nesting=nesting).with_imd_reference()
    start = first_plan(problem, 30, seed=3, attempts=1)
    found = improve(problem, start.centres, start.objective, time_limit=120)
    assert validate(found.centres, problem).ok
    assert len(set(found.centres.values())) == len(set(start.centres.values()))
    values = [start.objective] + [value for _, value in found.progress]
    assert all(later < earlier for earlier, later in zip(values, values[1:]))
    assert found.objective == pytest.approx(plan_objective(problem, found.centres), rel=1e-9)
    assert found.improved == len(found.progress)
    # it stopped because nothing was left to try (not the clock): every pair and triple of its plan was re-solved
    groups = [_neighbourhoods(problem, found.centres, size) for size in (2, 3)]
    assert all(groups) and found.solved >= sum(map(len, groups))


def test_what_a_part_cannot_see_is_not_re_solved_by_pairs():
    problem = grid_problem(4, 4, n_consortia=2)
    assert applies(problem)
    assert not applies(problem.subproblem(list(problem.units.index), priorities=("health",)))
    baseline = problem.units["lad"].rename("consortium")
    assert not applies(grid_problem(4, 4, n_consortia=2, baseline=baseline))


def test_a_whole_model_too_large_to_solve_gives_way_to_pairs_and_a_bound(monkeypatch):
    # the threshold is the whole model's size: at 0 every problem takes the pairs' road, as a region does
    monkeypatch.setattr(solver, "WHOLE_MODEL_PAIRS", 0)
    problem = grid_problem(6, 6, lo=40_000, hi=90_000, n_consortia=5)
    plan = solve(problem, time_limit=60)
    assert "pairs and triples of consortia re-solved instead" in plan.log
    found = re.search(r"re-solved exactly, two and three at a time: (\d+) solved", plan.log)
    assert found and int(found.group(1)) > 0, plan.log[-2000:]
    assert plan.validation.ok
    assert plan.bound is not None and 0 < plan.bound <= plan.objective


@pytest.mark.parametrize("seed", [3, 4])
def test_a_part_prices_a_redrawing_as_the_whole_plan_does(seed):
    # under soft nesting an authority split counts the authority's units outside the group too: the part's
    # change in objective (as the heuristic counts it, and as the exact model prices it) is the whole plan's
    from boundaries.engine.exact import _objective_of
    from boundaries.engine.model import build_model

    problem = grid_problem(6, 6, lo=1_000, hi=400_000, lads=3, n_consortia=5, nesting="soft").with_imd_reference()
    plan = first_plan(problem, 30, seed=seed, attempts=1).centres
    rng = np.random.default_rng(seed)
    compared = 0
    for group in _neighbourhoods(problem, plan, 2):
        members = [u for u, c in plan.items() if c in group]
        part = problem.subproblem(members, n_consortia=2)
        everywhere = problem.units["lad"].value_counts()
        assert part.lads_beyond == {g for g, n in part.units["lad"].value_counts().items() if n < everywhere[g]}
        model = build_model(part)
        old = {u: plan[u] for u in members}
        for _ in range(3):
            new = {u: (u if u in group else group[rng.integers(2)]) for u in members}
            whole = plan_objective(problem, {**plan, **new}) - plan_objective(problem, plan)
            assert plan_objective(part, new) - plan_objective(part, old) == pytest.approx(whole, abs=1e-6)
            priced_new, priced_old = (_objective_of(model, p, "cpsat", 0, 30)[0] for p in (new, old))
            assert priced_new - priced_old == pytest.approx(whole, abs=2.0)  # (the model rounds each term)
            compared += 1
    assert compared >= 6


def test_under_strict_nesting_a_part_of_an_authority_never_joins_another():
    problem = grid_problem(4, 4, lo=10_000, hi=200_000, lads=2, nesting="strict")
    left_half = [u for u in problem.units.index if u.endswith(("00", "01"))]  # all of L0
    piece = [u for u in problem.units.index if u.endswith(("00", "01", "02"))]  # all of L0 and part of L1
    part = problem.subproblem(piece, n_consortia=1)
    assert part.lads_beyond == {"L1"} and not problem.subproblem(left_half).lads_beyond
    one = {u: piece[0] for u in piece}
    assert not validate(one, part).ok  # whole in the part, but not in the region
    assert validate(one, replace(part, lads_beyond=frozenset())).ok
    assert solve(part, backend="cpsat", time_limit=60).status == "infeasible"


def test_a_part_of_a_part_keeps_only_the_authorities_it_holds_beyond():
    problem = grid_problem(4, 4, lo=10_000, hi=200_000, lads=2, nesting="strict")
    piece = [u for u in problem.units.index if u.endswith(("00", "01", "02"))]  # all of L0 and part of L1
    part = problem.subproblem(piece)
    assert part.subproblem([u for u in piece if u.endswith("02")]).lads_beyond == {"L1"}
    assert not part.subproblem([u for u in piece if u.endswith(("00", "01"))]).lads_beyond  # all of L0
