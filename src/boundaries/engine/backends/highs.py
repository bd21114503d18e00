"""HiGHS MIP backend (highspy).

``watchdog.solve`` runs HiGHS in a child process: HiGHS 1.16 can overrun its own time limit by
minutes inside the root node's cut separation, and ignores Ctrl-C while it runs. ``solve_here`` is the same solve
in this process, without that guarantee; both go through ``run`` and ``read_outcome``, so they agree exactly.
``write_model`` writes any model as an MPS or LP file by HiGHS's own writer.
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import highspy
import numpy as np

from boundaries.engine.backends.result import SolveResult
from boundaries.engine.linear import LinearModel, file_names
from boundaries.status import Status


def quiet_highs() -> highspy.Highs:
    """A Highs instance without the banner it prints to stdout when created (it would spoil CLI output)."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 1)
        try:
            h = highspy.Highs()
            h.setOptionValue("output_flag", False)
        finally:
            os.dup2(saved, 1)
            os.close(saved)
    return h


@dataclass
class MatrixForm:
    """A ``LinearModel`` as the flat arrays HiGHS reads (row-wise matrix).

    This is what crosses the pipe to the watchdog child: pickling numpy arrays is a copy, whereas pickling the
    model's Python lists of a 180k-row model costs over a second to load.
    """

    cost: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    starts: np.ndarray
    index: np.ndarray
    value: np.ndarray
    offset: float
    hint: np.ndarray | None  # a full start vector, or None without a hint

    @classmethod
    def of(cls, model: LinearModel) -> MatrixForm:
        rows = model.rows
        inf = highspy.kHighsInf
        lengths = np.fromiter((len(idx) for idx, _, _, _ in rows), dtype=np.int64, count=len(rows))
        hint = None
        if model.hint:
            hint = np.zeros(model.n_vars)
            hint[np.fromiter(model.hint.keys(), dtype=np.int64)] = np.fromiter(model.hint.values(), dtype=float)
        return cls(
            cost=np.asarray(model.cost, dtype=float),
            lower=np.asarray(model.lower, dtype=float),
            upper=np.asarray(model.upper, dtype=float),
            row_lower=np.array([-inf if math.isinf(lo) else lo for _, _, lo, _ in rows], dtype=float),
            row_upper=np.array([inf if math.isinf(hi) else hi for _, _, _, hi in rows], dtype=float),
            starts=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32),
            index=np.fromiter((i for idx, _, _, _ in rows for i in idx), dtype=np.int32),
            value=np.fromiter((c for _, coefs, _, _ in rows for c in coefs), dtype=float),
            offset=float(model.offset),
            hint=hint,
        )

    def to_highs(self) -> highspy.HighsLp:
        lp = highspy.HighsLp()
        n, m = len(self.cost), len(self.row_lower)
        lp.num_col_ = n
        lp.num_row_ = m
        lp.col_cost_ = self.cost
        lp.col_lower_ = self.lower
        lp.col_upper_ = self.upper
        lp.row_lower_ = self.row_lower
        lp.row_upper_ = self.row_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = self.starts
        lp.a_matrix_.index_ = self.index
        lp.a_matrix_.value_ = self.value
        lp.a_matrix_.num_col_ = n
        lp.a_matrix_.num_row_ = m
        lp.offset_ = self.offset
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n
        return lp


def to_highs(model: LinearModel) -> highspy.HighsLp:
    return MatrixForm.of(model).to_highs()


@dataclass
class Outcome:
    """How one HiGHS run ended, in HiGHS's own units (objective and bound still multiplied by ``model.scale``)."""

    status: Status  # never GIVEN
    values: np.ndarray | None
    dual_bound: float | None


def run(
    form: MatrixForm,
    *,
    time_limit: float,
    seed: int,
    gap: float,
    log_path: str,
    on_solution: Callable[[np.ndarray], None] | None = None,
    on_bound: Callable[[float], None] | None = None,
) -> Outcome:
    """One HiGHS run, logging to ``log_path``. ``on_solution`` gets each improving solution (all columns) and
    ``on_bound`` each improvement of the dual bound, as HiGHS finds them: the watchdog streams them to its
    parent, which keeps them if it has to kill this run. The callbacks do not change HiGHS's search."""
    # ``threads`` is not passed on: HiGHS keeps one thread pool per process and refuses a run whose option
    # differs from the pool's, and its branch-and-bound is serial anyway.
    h = quiet_highs()
    options: dict[str, bool | float | str] = {
        "output_flag": True,
        "log_to_console": False,
        "log_file": log_path,
        "time_limit": float(time_limit),
        "random_seed": int(seed),
        "mip_rel_gap": float(gap),
        "mip_abs_gap": 0.5,  # objective coefficients are integers
    }
    for key, value in options.items():
        h.setOptionValue(key, value)
    h.passModel(form.to_highs())
    if form.hint is not None:
        sol = highspy.HighsSolution()
        sol.col_value = form.hint
        sol.value_valid = True
        h.setSolution(sol)
    best = -math.inf

    def bound_seen(event: highspy.HighsCallbackEvent) -> None:
        nonlocal best
        value = event.data_out.mip_dual_bound
        if on_bound is not None and math.isfinite(value) and value > best:
            best = value
            on_bound(value)

    def solution_seen(event: highspy.HighsCallbackEvent) -> None:
        if on_solution is not None:
            on_solution(np.array(event.data_out.mip_solution, dtype=float))
        bound_seen(event)

    if on_solution is not None:
        h.cbMipImprovingSolution.subscribe(solution_seen)
    if on_bound is not None:
        h.cbMipInterrupt.subscribe(bound_seen)  # called at every node and root round: the freshest bound
    h.run()
    status_code = h.getModelStatus()
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    values = np.array(h.getSolution().col_value, dtype=float) if has_solution else None
    h.setOptionValue("log_file", "")  # closes the log
    S = highspy.HighsModelStatus
    if status_code == S.kOptimal:
        status = Status.OPTIMAL
    elif status_code == S.kInfeasible:
        status = Status.INFEASIBLE
    elif has_solution:
        status = Status.FEASIBLE
    else:
        status = Status.TIMED_OUT
    if status == Status.INFEASIBLE:
        values = None
    bound = info.mip_dual_bound if status != Status.INFEASIBLE and math.isfinite(info.mip_dual_bound) else None
    return Outcome(status, values, bound)


def read_outcome(model: LinearModel, outcome: Outcome, seconds: float, log: str) -> SolveResult:
    """The backend-neutral result: integer values, and objective and bound in the model's reporting unit.

    The bound is kept without a solution too (a run that timed out still proved it)."""
    values = objective = None
    if outcome.values is not None:
        values = [int(round(v)) for v in outcome.values]
        objective = model.evaluate(values)
    bound = outcome.dual_bound / model.scale if outcome.dual_bound is not None else None
    return SolveResult(outcome.status, values, objective, bound, seconds, log)


def solve_here(model: LinearModel, *, time_limit: float, seed: int, threads: int = 1, gap: float) -> SolveResult:
    """HiGHS in this process: no deadline guarantee, no Ctrl-C. For comparisons and tests; use ``solve``."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        log_path = os.path.join(tmp, "highs.log")
        outcome = run(MatrixForm.of(model), time_limit=time_limit, seed=seed, gap=gap, log_path=log_path)
        with open(log_path, encoding="utf-8", errors="replace") as fh:
            log = fh.read()
    return read_outcome(model, outcome, time.perf_counter() - started, log)


def write_model(model: LinearModel, path: str | Path) -> Path:
    """Write the model as a standard MPS (``.mps``) or CPLEX LP (``.lp``) file, by HiGHS's own
    writer, so that any solver can be tried on it. Every variable is integer, with the model's bounds and
    (tidied, see ``file_names``) names; rows are ``r0, r1, ...``. The objective is minimised in the model's
    integer units: the reported objective times ``model.scale``, ``model.offset`` included as a constant.
    The hint is not written (neither format holds one). HiGHS and CBC read the constant (tested); PuLP's own
    ``LpProblem.fromMPS`` does not (it fails on it): use ``backends.pulp.to_pulp`` for a PuLP problem."""
    path = Path(path)
    if path.suffix.lower() not in (".mps", ".lp"):
        raise ValueError(f"{path.name}: the file name must end in .mps or .lp")
    lp = to_highs(model)
    lp.col_names_ = file_names(model.names, "x")
    lp.row_names_ = [f"r{k}" for k in range(len(model.rows))]
    lp.model_name_ = "boundaries"
    h = quiet_highs()
    h.passModel(lp)
    status = h.writeModel(str(path))
    if status != highspy.HighsStatus.kOk or not path.exists():
        raise OSError(f"HiGHS could not write {path}")
    return path
