"""Solver backends behind one interface: each reads a ``LinearModel`` and returns a ``SolveResult``."""

from __future__ import annotations

from collections.abc import Callable

from ..linear import LinearModel
from .result import SolveResult

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
    if backend == "cpsat":
        from .cpsat import solve as runner
    elif backend == "highs":
        from .highs import solve as runner
    elif backend == "pulp":
        from .pulp import solve as runner
    else:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    return runner(model, time_limit=max(0.05, time_limit), seed=seed, threads=threads, gap=gap)


__all__ = ["BACKENDS", "SolveResult", "solve_model"]
