"""The "pulp" backend (CBC through PuLP) and the MPS / LP export: same optima as HiGHS and CP-SAT on small models,
infeasible reported, a deadline that holds, Ctrl-C; exported files re-read by HiGHS and CBC give the same optimum.

Timings are checked against loose bounds only (the machine is shared), as in ``test_backends``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time

import pytest
from grids import grid_problem
from hard_models import grid_districting, violated_rows
from interrupts import assert_interrupt_kills

from boundaries.engine.backends import BACKENDS, solve_model
from boundaries.engine.backends import pulp as cbc
from boundaries.engine.backends.highs import quiet_highs, write_model
from boundaries.engine.linear import LinearModel, file_names
from boundaries.engine.model import build_model


def districting_with_offset() -> LinearModel:
    """Fewest cut edges on a 3x3 grid (CBC proves it in under a second), with an objective constant: large and
    negative, so that a bound that left it out would lie above the optimum (16,000 without it, 1,000 with)."""
    model = grid_districting(3, 3, 3, tolerance=0.05, seed=1)
    model.offset = -1_500_000
    return model


def consortium(rows: int, cols: int, **settings) -> LinearModel:
    """The engine's own model (patient distance to a centre) of a small grid, without contiguity cuts."""
    return build_model(grid_problem(rows, cols, **settings)).lp


SMALL = {
    "cut-edges-offset": districting_with_offset,
    "consortia-4x4": lambda: consortium(4, 4, n_consortia=(2, 4)),
    "consortia-5x5": lambda: consortium(5, 5, n_consortia=(3, 6)),
}


def strips(rows: int, cols: int, parts: int, model: LinearModel) -> dict[int, int]:
    """A plan of ``grid_districting``: vertical strips of ``cols // parts`` columns, each centred on its top-left
    unit, with every edge between strips cut. Feasible for a loose population tolerance."""
    width = cols // parts
    centre = {r * cols + c: (c // width) * width for r in range(rows) for c in range(cols)}
    on = {f"assign[{i},{j}]" for i, j in centre.items()}
    for name in model.names:
        if (m := re.fullmatch(r"border\[(\d+),(\d+)\]", name)) and centre[int(m[1])] != centre[int(m[2])]:
            on.add(name)
    return {k: int(name in on) for k, name in enumerate(model.names)}


def test_pulp_is_a_backend():
    assert "pulp" in BACKENDS
    with pytest.raises(ValueError, match="pulp"):
        solve_model(LinearModel(), "gurobi")


@pytest.mark.parametrize("make", SMALL.values(), ids=SMALL.keys())
def test_cbc_agrees_with_highs_and_cpsat_on_small_optima(make):
    model = make()
    results = {backend: solve_model(model, backend, time_limit=60, seed=0) for backend in ("highs", "cpsat", "pulp")}
    for backend, result in results.items():
        assert result.status == "optimal", (backend, result.log[-2000:])
    ours = results["pulp"]
    assert ours.objective == pytest.approx(results["highs"].objective, rel=1e-9)
    assert ours.objective == pytest.approx(results["cpsat"].objective, rel=1e-9)
    assert ours.bound == ours.objective and ours.gap == 0.0
    assert violated_rows(model, ours.values) == 0
    assert ours.objective == model.evaluate(ours.values)
    # the progress ends at the proof, in time order, and never claims a bound above the optimum
    assert ours.progress and ours.progress[-1][1:] == (ours.objective, ours.bound)
    assert all(earlier[0] <= later[0] for earlier, later in zip(ours.progress, ours.progress[1:]))
    assert all(b <= ours.objective + 1e-9 for _, _, b in ours.progress if b is not None)
    assert "Result - Optimal solution found" in ours.log


def test_cbc_is_deterministic():
    model = districting_with_offset()
    first = solve_model(model, "pulp", time_limit=60, seed=3)
    again = solve_model(model, "pulp", time_limit=60, seed=3)
    assert first.status == again.status == "optimal"
    assert first.values == again.values


def test_infeasible_models_are_reported_as_such():
    integer = LinearModel()
    x = integer.var("x", 0, 3)
    integer.row([x], [2], 3, 3)  # 2x = 3: the LP relaxation is feasible, no integer point is
    linear = LinearModel()
    a, b = linear.var("a"), linear.var("b")
    linear.row([a, b], [1, 1], lo=3)  # a + b >= 3 with binaries: not even the LP is feasible
    for model in (integer, linear):
        result = solve_model(model, "pulp", time_limit=10)
        assert result.status == "infeasible"
        assert result.values is None and result.objective is None and result.bound is None


def test_warm_start_is_taken():
    model = districting_with_offset()
    optimum = solve_model(model, "highs", time_limit=60)
    model.hint = dict(enumerate(optimum.values))
    warm = solve_model(model, "pulp", time_limit=0.1)  # too short to find anything but the hint
    assert warm.has_solution and warm.objective == optimum.objective
    assert "MIPStart provided solution" in warm.log


@pytest.mark.parametrize("tolerance", [0.005, 0.05])
def test_deadline_is_kept_on_a_hard_instance(tolerance):
    # CBC overruns its own -sec limit on this one (in its feasibility pump) and is killed
    model = grid_districting(6, 6, 3, tolerance=tolerance, seed=1)
    started = time.perf_counter()
    result = solve_model(model, "pulp", time_limit=2, seed=0)
    elapsed = time.perf_counter() - started
    assert elapsed < 2 + 10, f"returned after {elapsed:.1f} s"
    assert result.status in ("feasible", "timed_out", "optimal")
    if result.has_solution:
        assert violated_rows(model, result.values) == 0
        assert result.objective == model.evaluate(result.values)
    else:
        assert result.status == "timed_out" and result.objective is None
    if result.bound is not None and result.objective is not None:
        assert result.bound <= result.objective + 1e-9


def test_a_killed_cbc_returns_the_warm_start(monkeypatch):
    model = grid_districting(6, 6, 3, tolerance=0.5, seed=1)
    plan = strips(6, 6, 3, model)
    assert violated_rows(model, [plan[k] for k in range(model.n_vars)]) == 0
    model.hint = plan
    # SIGINT 0.5 s into the call (not heeded before the tree search) and killed at 1 s, although CBC's own
    # limit is 30 s: CBC is still in its root node then
    monkeypatch.setattr(
        cbc, "_stops", lambda deadline, time_limit: (deadline - time_limit + 0.5, deadline - time_limit + 1)
    )
    result = solve_model(model, "pulp", time_limit=30)
    assert result.status in ("feasible", "optimal")
    assert violated_rows(model, result.values) == 0
    if "killed" in result.log:
        assert result.status == "feasible" and result.values == [plan[k] for k in range(model.n_vars)]
        assert min(p[1] for p in result.progress if p[1] is not None) == result.objective
    assert not cbc.running_pids()


def test_only_a_plan_is_kept_as_the_warm_start():
    model = grid_districting(6, 6, 3, tolerance=0.5, seed=1)
    plan = strips(6, 6, 3, model)
    values = [plan[k] for k in range(model.n_vars)]
    assert cbc._satisfies(model, values)
    border = next(k for k, name in enumerate(model.names) if name.startswith("border") and values[k])
    values[border] = 0  # a cut edge not counted
    assert not cbc._satisfies(model, values)
    values[border] = 2  # out of bounds
    assert not cbc._satisfies(model, values)


def _interrupted(action) -> None:
    hard = grid_districting(6, 6, 3, tolerance=0.005, seed=1)
    assert_interrupt_kills(action, lambda: solve_model(hard, "pulp", time_limit=60), cbc.running_pids)


def test_ctrl_c_kills_cbc_and_raises():
    _interrupted(lambda: os.kill(os.getpid(), signal.SIGINT))


def test_cancel_kills_cbc_and_raises():
    _interrupted(cbc.cancel)


def test_file_names_are_tidy_and_distinct():
    names = file_names(["assign[A81001,A81002]", "assign[A81001,A81002]", "1st", "", "a b", "a_b"], "x")
    assert names == ["assign_A81001_A81002_", "x1", "x2", "x3", "a_b", "x5"]


@pytest.mark.parametrize("suffix", [".mps", ".lp"])
def test_exported_model_gives_the_same_optimum(tmp_path, suffix):
    model = districting_with_offset()
    optimum = solve_model(model, "highs", time_limit=60)
    path = write_model(model, tmp_path / f"model{suffix}")
    h = quiet_highs()
    h.readModel(str(path))
    h.run()
    assert h.getModelStatus().name == "kOptimal"
    assert h.getInfo().objective_function_value / model.scale == pytest.approx(optimum.objective, rel=1e-9)
    assert h.getLp().num_col_ == model.n_vars
    text = path.read_text()
    assert "assign_0_0_" in text and "[" not in text


def test_exported_mps_is_read_by_cbc_too(tmp_path):
    model = districting_with_offset()
    optimum = solve_model(model, "highs", time_limit=60)
    path = write_model(model, tmp_path / "model.mps")
    out = subprocess.run(
        [cbc.cbc_command().path, str(path), "-sec", "60", "-solve"], capture_output=True, text=True, timeout=120
    ).stdout
    assert "Optimal solution found" in out
    value = float(re.search(r"Objective value:\s+(\S+)", out)[1])
    assert value / model.scale == pytest.approx(optimum.objective, rel=1e-9)  # the offset is read too


def test_export_wants_a_known_suffix(tmp_path):
    with pytest.raises(ValueError, match=".mps or .lp"):
        write_model(districting_with_offset(), tmp_path / "model.txt")
