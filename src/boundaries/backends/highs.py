"""HiGHS MIP backend (highspy)."""

from __future__ import annotations

import math
import os
import sys
import tempfile
import time

import highspy
import numpy as np

from ..linear import LinearModel
from .result import SolveResult


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


def to_highs(model: LinearModel) -> highspy.HighsLp:
    lp = highspy.HighsLp()
    n = model.n_vars
    lp.num_col_ = n
    lp.num_row_ = len(model.rows)
    lp.col_cost_ = np.asarray(model.cost, dtype=float)
    lp.col_lower_ = np.asarray(model.lower, dtype=float)
    lp.col_upper_ = np.asarray(model.upper, dtype=float)
    inf = highspy.kHighsInf
    lp.row_lower_ = np.array([-inf if math.isinf(lo) else lo for _, _, lo, _ in model.rows], dtype=float)
    lp.row_upper_ = np.array([inf if math.isinf(hi) else hi for _, _, _, hi in model.rows], dtype=float)
    lengths = np.fromiter((len(idx) for idx, _, _, _ in model.rows), dtype=np.int64, count=len(model.rows))
    starts = np.concatenate([[0], np.cumsum(lengths)])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = starts.astype(np.int32)
    lp.a_matrix_.index_ = np.fromiter((i for idx, _, _, _ in model.rows for i in idx), dtype=np.int32)
    lp.a_matrix_.value_ = np.fromiter((c for _, coefs, _, _ in model.rows for c in coefs), dtype=float)
    lp.a_matrix_.num_col_ = n
    lp.a_matrix_.num_row_ = len(model.rows)
    lp.offset_ = float(model.offset)
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n
    return lp


def solve(model: LinearModel, *, time_limit: float, seed: int, threads: int, gap: float) -> SolveResult:
    # ``threads`` is not passed on: HiGHS keeps one thread pool per process and refuses a run whose option
    # differs from the pool's, and its branch-and-bound is serial anyway.
    started = time.perf_counter()
    h = quiet_highs()
    with tempfile.TemporaryDirectory() as tmp:
        log_path = os.path.join(tmp, "highs.log")
        for key, value in {
            "output_flag": True,
            "log_to_console": False,
            "log_file": log_path,
            "time_limit": float(time_limit),
            "random_seed": int(seed),
            "mip_rel_gap": float(gap),
            "mip_abs_gap": 0.5,  # objective coefficients are integers
        }.items():
            h.setOptionValue(key, value)
        h.passModel(to_highs(model))
        if model.hint:
            start = np.zeros(model.n_vars)
            for k, v in model.hint.items():
                start[k] = v
            sol = highspy.HighsSolution()
            sol.col_value = start
            sol.value_valid = True
            h.setSolution(sol)
        h.run()
        status_code = h.getModelStatus()
        info = h.getInfo()
        h.setOptionValue("log_file", "")
        with open(log_path, encoding="utf-8", errors="replace") as fh:
            log = fh.read()
    seconds = time.perf_counter() - started
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    S = highspy.HighsModelStatus
    if status_code == S.kOptimal:
        status = "optimal"
    elif status_code in (S.kInfeasible,):
        status = "infeasible"
    elif has_solution:
        status = "feasible"
    else:
        status = "timed_out"
    if has_solution and status != "infeasible":
        values = [int(round(v)) for v in h.getSolution().col_value]
        objective = model.evaluate(values)
        bound = info.mip_dual_bound / model.scale if math.isfinite(info.mip_dual_bound) else None
    else:
        values, objective, bound = None, None, None
    return SolveResult(status, values, objective, bound, seconds, log)
