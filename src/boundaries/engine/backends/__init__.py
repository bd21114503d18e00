"""Solver backends behind one interface: each reads a ``LinearModel`` and returns a ``SolveResult``."""

from __future__ import annotations

from collections.abc import Callable

from boundaries.engine.backends.result import SolveResult
from boundaries.engine.linear import LinearModel

BACKENDS = ("cpsat", "highs", "pulp")


def solve_model(
    model: LinearModel,
    backend: str = "cpsat",
    *,
    time_limit: float = 60.0,
    seed: int = 0,
    threads: int = 1,
    gap: float = 1e-6,
) -> SolveResult:
    """Solve one integer program with the named backend.

    Back within ``time_limit + max(2 s, 5%)`` with every backend: CP-SAT keeps its limit in process; HiGHS
    does not always, so it runs in a watchdog child process (``watchdog``); "pulp" is CBC through PuLP, a
    process of its own that is killed if it overruns (``pulp``). Ctrl-C raises KeyboardInterrupt."""
    runner: Callable[..., SolveResult]
    if backend in BACKENDS and not model.n_vars:
        return _nothing_to_choose(model)
    if backend == "cpsat":
        from boundaries.engine.backends.cpsat import solve as runner
    elif backend == "highs":
        from boundaries.engine.backends.watchdog import solve as runner
    elif backend == "pulp":
        from boundaries.engine.backends.pulp import solve as runner
    else:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    return runner(model, time_limit=max(0.05, time_limit), seed=seed, threads=threads, gap=gap)


def _nothing_to_choose(model: LinearModel) -> SolveResult:
    """A model without variables: whether 0 meets every row is the answer. The decomposition asks this when no
    division of some authority can be formed (a proof that no plan exists); HiGHS calls such a model "empty" and
    ignores its rows (it answered "timed out" with a bound of 0), and CBC's reader fails on it."""
    from boundaries.status import Status

    if all(lo <= 0 <= hi for _, _, lo, hi in model.rows):
        objective = model.offset / model.scale
        return SolveResult(Status.OPTIMAL, [], objective, objective, 0.0, "no variables: every row holds")
    return SolveResult(Status.INFEASIBLE, None, None, None, 0.0, "no variables: a row that 0 does not meet")


__all__ = ["BACKENDS", "SolveResult", "solve_model"]
