"""The HiGHS watchdog: same answers as HiGHS in-process, a deadline that holds, recovery after kills, Ctrl-C.

Timings are checked against loose bounds only (the machine is shared): the promise is ``time_limit + max(2 s,
5%)``, the tests allow 10 s over.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
from hard_models import grid_districting, violated_rows
from interrupts import assert_interrupt_kills

from boundaries.engine.backends import SolveResult, solve_model, watchdog
from boundaries.engine.backends.highs import solve_here
from boundaries.engine.linear import LinearModel


def easy() -> LinearModel:
    """Solved to optimality by HiGHS in about a second, with some branching."""
    return grid_districting(3, 3, 3, tolerance=0.05, seed=1)


def hard(tolerance: float = 0.05) -> LinearModel:
    """With 5% tolerance HiGHS finds a plan within a second or two, then overruns a 3 s limit by about 10 s in
    root cut separation; with 0.5% it finds none and overruns by 20-30 s."""
    return grid_districting(6, 6, 3, tolerance=tolerance, seed=1)


def test_watchdog_gives_the_in_process_answer_and_both_backends_agree():
    model = easy()
    here = solve_here(model, time_limit=60, seed=0, gap=1e-6)
    watched = solve_model(model, "highs", time_limit=60, seed=0)
    cpsat = solve_model(model, "cpsat", time_limit=60, seed=0)
    assert here.status == watched.status == cpsat.status == "optimal"
    assert watched.objective == here.objective == pytest.approx(cpsat.objective)
    assert watched.values == here.values  # same seed, same search
    assert watched.bound == here.bound
    assert "Solving report" in watched.log
    # the stream of improvements ends at the proof
    assert watched.progress and watched.progress[-1][1:] == (watched.objective, watched.bound)
    assert all(earlier[0] <= later[0] for earlier, later in zip(watched.progress, watched.progress[1:]))


def test_infeasible_model_is_reported_as_such():
    model = LinearModel()
    x = model.var("x", 0, 3)
    model.row([x], [2], 3, 3)  # 2x = 3 has no integer solution
    assert solve_model(model, "highs", time_limit=10).status == "infeasible"


@pytest.mark.parametrize("backend", ["cpsat", "highs", "pulp"])
def test_a_model_without_variables_is_answered(backend):
    # the decomposition's choice of columns when no division of some authority can be formed: HiGHS called it
    # "empty", ignored its rows and answered "timed out" with a bound of 0; CBC's reader failed on the other case
    model = LinearModel(scale=100, offset=700)
    model.row([], [], 1, 1)  # the authority must be covered once, and nothing covers it
    assert solve_model(model, backend, time_limit=10).status == "infeasible"
    model.rows = [([], [], 0, 1)]
    result = solve_model(model, backend, time_limit=10)
    assert (result.status, result.values, result.objective, result.bound) == ("optimal", [], 7.0, 7.0)


def test_hint_still_warm_starts_highs():
    model = easy()
    optimum = solve_model(model, "highs", time_limit=60)
    model.hint = dict(enumerate(optimum.values))
    warm = solve_model(model, "highs", time_limit=0.1)  # too short to find anything but the hint
    assert warm.has_solution and warm.objective == optimum.objective


@pytest.mark.parametrize("tolerance", [0.005, 0.05])
def test_deadline_is_kept_when_highs_overruns(tolerance):
    model = hard(tolerance)
    started = time.perf_counter()
    result = solve_model(model, "highs", time_limit=3, seed=0)
    elapsed = time.perf_counter() - started
    assert elapsed < 3 + 10, f"returned after {elapsed:.1f} s"
    assert result.status in ("feasible", "timed_out")
    if result.has_solution:
        assert result.status == "feasible"
        assert violated_rows(model, result.values) == 0
        assert result.objective == model.evaluate(result.values)
        assert result.progress and min(p[1] for p in result.progress if p[1] is not None) == result.objective


def test_child_is_replaced_after_a_kill(monkeypatch):
    # the parent kills at 1 s although HiGHS's own limit is 5 s: a kill whatever HiGHS does
    monkeypatch.setattr(watchdog, "slack", lambda time_limit: 1.0 - time_limit)
    result = solve_model(hard(), "highs", time_limit=5)
    assert result.status in ("feasible", "timed_out") and "killed" in result.log
    assert not watchdog.busy_pids() and not watchdog._idle
    monkeypatch.undo()
    started = watchdog.started
    again = solve_model(easy(), "highs", time_limit=60)
    assert again.status == "optimal" and watchdog.started == started + 1


def _kill_idle_child() -> None:
    (idle,) = watchdog._idle[-1:]
    os.kill(idle.pid, signal.SIGKILL)
    idle.proc.wait()


def test_idle_child_that_died_is_replaced(monkeypatch):
    solve_model(easy(), "highs", time_limit=60)
    _kill_idle_child()  # found dead when taken from the pool
    assert solve_model(easy(), "highs", time_limit=60).status == "optimal"
    _kill_idle_child()
    monkeypatch.setattr(watchdog.Child, "alive", lambda self: True)  # dies just after the check: the send fails
    assert solve_model(easy(), "highs", time_limit=60).status == "optimal"


def _interrupted(action) -> list[int]:
    return assert_interrupt_kills(action, lambda: solve_model(hard(), "highs", time_limit=60), watchdog.busy_pids)


def test_ctrl_c_kills_the_child_and_raises():
    _interrupted(lambda: os.kill(os.getpid(), signal.SIGINT))
    assert solve_model(easy(), "highs", time_limit=60).status == "optimal"


def test_cancel_kills_the_child_and_raises():
    _interrupted(watchdog.cancel)


def test_solve_result_progress_is_optional():
    assert SolveResult("timed_out", None, None, None, 1.0, "").progress == []


def test_ctrl_c_still_raises_after_cpsat():
    """CP-SAT's own SIGINT handler used to leave SIGINT at SIG_DFL: Ctrl-C then killed the process outright."""
    solve_model(easy(), "cpsat", time_limit=60)
    timer = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    started = time.perf_counter()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            solve_model(hard(), "cpsat", time_limit=60)
    finally:
        timer.cancel()
    assert time.perf_counter() - started < 10  # stopped at the interrupt, not at the time limit
