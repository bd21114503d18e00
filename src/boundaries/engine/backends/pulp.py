"""CBC through PuLP: the same ``LinearModel`` as a PuLP problem, solved by the CBC binary that PuLP bundles.

PuLP builds the problem (``to_pulp``, which also lets anyone hand it to another PuLP solver: Gurobi, CPLEX ...),
writes it and the warm start (CBC's ``-mips``), and reads CBC's solution and status back. It does not run CBC
here: PuLP waits on CBC with no timeout, and CBC 2.10 overruns its ``-sec`` limit inside its feasibility pump and
root cuts (measured: a 3 s limit ended at 4.7 s; SIGINT is not heeded there either). So ``solve`` starts CBC
itself, with ``-sec`` at the time left, and keeps the promise the HiGHS watchdog keeps, back within
``time_limit + max(2 s, 5%)``: half-way through the slack CBC gets SIGINT (in the tree search it then stops and
still writes its solution), at the end of it SIGKILL.

A killed CBC leaves no solution file, and its log gives the objective of the plans it found but not the plans:
the result is then the warm start, if it is a plan, as "feasible", else "timed_out"; either way with the best
bound in the log. CBC's objective leaves out ``model.offset``: it is added back here, and ``model.scale``
divided out, as the other backends do.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import warnings

import numpy as np
import pulp as _pulp

from boundaries.engine.backends.highs import MatrixForm
from boundaries.engine.backends.result import SolveResult, read_log
from boundaries.engine.backends.watchdog import slack
from boundaries.engine.linear import LinearModel
from boundaries.status import Status

# a PuLP name for each variable and row: ours would be rewritten by PuLP ("[" -> "_") and could then collide
_VAR = "x{}"
_ROW = "r{}"


def to_pulp(model: LinearModel, *, offset: bool = True) -> tuple[_pulp.LpProblem, list[_pulp.LpVariable]]:
    """The model as a PuLP problem (minimise; integer variables ``x0, x1, ...`` in model order, rows ``r0, ...``
    with ``r7_lo`` / ``r7_hi`` for the two sides of a ranged row). The objective is in the model's integer units
    (``model.scale`` times the reported objective), with ``model.offset`` as its constant unless ``offset=False``.
    Each variable's initial value is the model's hint, if it has one (missing entries 0, as HiGHS reads it)."""
    problem = _pulp.LpProblem("boundaries", _pulp.LpMinimize)
    # PuLP 3.3+ adds variables through the problem (and warns about LpVariable(...)); older PuLP cannot
    add = getattr(problem, "add_variable", None) or _pulp.LpVariable
    xs = [add(_VAR.format(k), lo, hi, cat=_pulp.LpInteger) for k, (lo, hi) in enumerate(zip(model.lower, model.upper))]
    problem.setObjective(
        _pulp.LpAffineExpression([(xs[k], c) for k, c in enumerate(model.cost) if c], constant=model.offset * offset)
    )
    for r, (idx, coefs, lo, hi) in enumerate(model.rows):
        terms = [(xs[i], c) for i, c in zip(idx, coefs)]
        name = _ROW.format(r)
        if lo == hi:
            problem.addConstraint(_pulp.LpConstraint(_pulp.LpAffineExpression(terms), _pulp.LpConstraintEQ, name, lo))
            continue
        lo_side, hi_side = not math.isinf(lo), not math.isinf(hi)
        if lo_side:
            label = f"{name}_lo" if hi_side else name
            problem.addConstraint(_pulp.LpConstraint(_pulp.LpAffineExpression(terms), _pulp.LpConstraintGE, label, lo))
        if hi_side:
            label = f"{name}_hi" if lo_side else name
            problem.addConstraint(_pulp.LpConstraint(_pulp.LpAffineExpression(terms), _pulp.LpConstraintLE, label, hi))
    if model.hint:
        for k, x in enumerate(xs):
            x.setInitialValue(model.hint.get(k, 0), check=False)
    return problem, xs


def cbc_command() -> _pulp.COIN_CMD:
    """PuLP's CBC: the binary bundled with PuLP 2.x-3.x, else a ``cbc`` on the path (PuLP 4 bundles none)."""
    for make in (getattr(_pulp, "PULP_CBC_CMD", None), _pulp.COIN_CMD):
        if make is None:
            continue
        with contextlib.suppress(Exception), warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # PuLP 3 on PULP_CBC_CMD: gone in PuLP 4
            cmd = make(msg=False)
            if cmd.available():
                return cmd
    raise RuntimeError("no CBC binary: install PuLP < 4 (it bundles CBC) or put cbc on the PATH")


# the running CBC processes, so that ``cancel`` can stop them from another thread
_lock = threading.Lock()
_running: dict[subprocess.Popen, threading.Event] = {}


def running_pids() -> list[int]:
    """Process ids of the CBC runs going on now."""
    with _lock:
        return [proc.pid for proc in _running]


def cancel() -> None:
    """Kill every CBC run in this process; each waiting ``solve`` raises KeyboardInterrupt (as ``watchdog.cancel``)."""
    with _lock:
        runs = list(_running.items())
    for proc, cancelled in runs:
        cancelled.set()
        with contextlib.suppress(OSError):
            proc.kill()


def solve(model: LinearModel, *, time_limit: float, seed: int, threads: int = 1, gap: float) -> SolveResult:
    """Solve with CBC; back within ``time_limit + max(2 s, 5%)`` whatever CBC does.

    Single-threaded CBC with fixed random seeds is deterministic; with ``threads > 1`` CBC's deterministic
    parallel mode is used. Ctrl-C (or ``cancel``) kills CBC and raises KeyboardInterrupt."""
    start = time.monotonic()
    deadline = start + time_limit
    cbc = cbc_command()
    problem, _ = to_pulp(model, offset=False)
    with tempfile.TemporaryDirectory(prefix="boundaries-cbc-") as tmp:
        mps, sol, mst, log_path = (os.path.join(tmp, f"model.{ext}") for ext in ("mps", "sol", "mst", "log"))
        columns, var_names, row_names, _ = problem.writeMPS(mps, rename=1)
        command = [cbc.path, mps]
        if model.hint:
            cbc.writesol(mst, problem, columns, var_names, row_names)
            command += ["-mips", mst]
        command += [
            *("-sec", f"{max(0.01, deadline - time.monotonic()):.3f}", "-timeMode", "elapsed"),
            *("-ratio", repr(float(gap)), "-allow", "0.5"),  # objective coefficients are integers
            *("-randomCbcSeed", str(seed + 1), "-randomSeed", str(seed + 1)),  # 0 would mean "the time of day"
            *(("-threads", str(100 + threads)) if threads > 1 else ()),  # 100 + n: deterministic parallel
            *("-solve", "-printingOptions", "all", "-solution", sol),
        ]
        launched = time.monotonic() - start  # CBC's clock in its log starts here
        ended, note = _run(command, log_path, *_stops(deadline, time_limit))
        log = read_log(log_path) + (f"\n{note}\n" if note else "")
        seconds = time.monotonic() - start
        if ended and os.path.exists(sol):
            status, values = _read_solution(cbc, sol, problem, columns, var_names, row_names)
        else:
            status, values = Status.TIMED_OUT, None
    return _result(model, status, values, log, seconds, launched)


def _stops(deadline: float, time_limit: float) -> tuple[float, float]:
    """When an overrunning CBC gets SIGINT, and when SIGKILL: half-way through the slack, and at its end."""
    extra = slack(time_limit)
    return deadline + extra / 2, deadline + extra


def _run(command: list[str], log_path: str, interrupt_at: float, kill_at: float) -> tuple[bool, str]:
    """Run CBC until it ends, with SIGINT at ``interrupt_at`` and SIGKILL at ``kill_at`` (``time.monotonic``).
    Whether it ended on its own or at SIGINT (so has written its solution), and a note for the log."""
    cancelled = threading.Event()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            _line_buffered() + command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    with _lock:
        _running[proc] = cancelled
    note = ""
    try:
        try:
            proc.wait(timeout=max(0.0, interrupt_at - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)
            note = "deadline: CBC was still running past its time limit; SIGINT"
            try:
                proc.wait(timeout=max(0.0, kill_at - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                return False, f"{note}, then killed"
        if cancelled.is_set():
            raise KeyboardInterrupt
        return proc.returncode == 0, note
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        with _lock:
            _running.pop(proc, None)


def _line_buffered() -> list[str]:
    """``stdbuf -oL`` where there is one: CBC's log to a file is otherwise block-buffered, and a killed CBC
    would leave none of the bounds it had logged."""
    stdbuf = shutil.which("stdbuf")
    return [stdbuf, "-oL"] if stdbuf else []


def _read_solution(cbc, sol: str, problem, columns, var_names, row_names) -> tuple[Status, list[float] | None]:
    """Status and values from CBC's solution file, read by PuLP."""
    status, values, _, _, _, kind = cbc.readsol_MPS(sol, problem, columns, var_names, row_names)
    if status == _pulp.LpStatusInfeasible:
        return Status.INFEASIBLE, None
    if status == _pulp.LpStatusUnbounded:
        raise RuntimeError("CBC reports the model unbounded: every boundaries model is bounded")
    if status == _pulp.LpStatusOptimal:
        ordered = [values[_VAR.format(k)] for k in range(len(columns))]
        return (Status.OPTIMAL if kind == _pulp.LpSolutionOptimal else Status.FEASIBLE), ordered
    return Status.TIMED_OUT, None  # stopped with no integer solution (its values are the LP relaxation's)


_NUMBER = r"(-?[0-9.]+(?:e[+-]?[0-9]+)?)"
_SOLUTION = re.compile(rf"Integer solution of {_NUMBER} .*\(([0-9.]+) seconds\)")
_START = re.compile(rf"MIPStart provided solution with cost {_NUMBER}")  # the warm start, checked by CBC
_BOUNDS = (  # valid lower bounds, from the LP relaxation to the tree search
    re.compile(rf"Continuous objective value is {_NUMBER} - ([0-9.]+) seconds"),
    re.compile(rf"At root node, .* changed objective from {_NUMBER} to {_NUMBER}"),
    re.compile(rf"best possible {_NUMBER} \(([0-9.]+) seconds\)"),
)
_SUMMARY_BOUND = re.compile(rf"^Lower bound:\s+{_NUMBER}", re.M)


def _progress(log: str) -> tuple[list[tuple[float, float | None, float | None]], float | None]:
    """Each improving objective and bound CBC logged, with CBC's clock; and the best bound, all in CBC's units."""
    points: list[tuple[float, float | None, float | None]] = []
    best: float | None = None
    bound: float | None = None
    clock = 0.0
    for line in log.splitlines():
        objective = found = None
        if m := _SOLUTION.search(line):
            found, clock = float(m.group(1)), float(m.group(2))
        elif m := _START.search(line):
            found = float(m.group(1))
        for pattern in _BOUNDS:
            if m := pattern.search(line):
                groups = m.groups()
                if pattern is _BOUNDS[1]:
                    objective = float(groups[1])
                else:
                    objective = float(groups[0])
                    if len(groups) > 1:
                        clock = float(groups[1])
        improved = False
        if found is not None and (best is None or found < best):
            best, improved = found, True
        if objective is not None and (bound is None or objective > bound):
            bound, improved = objective, True
        if improved:
            points.append((clock, best, bound))
    return points, bound


def _result(
    model: LinearModel, status: Status, raw: list[float] | None, log: str, seconds: float, launched: float
) -> SolveResult:

    def unit(value: float | None) -> float | None:  # CBC's objective leaves out the offset
        return None if value is None else (value + model.offset) / model.scale

    points, cbc_bound = _progress(log)
    values = [int(round(v)) for v in raw] if raw is not None else None
    kept_start = False
    if values is None and status == Status.TIMED_OUT and model.hint:
        # CBC was killed (or stopped before it had a plan): its own plans are lost, the warm start still stands
        start = [int(model.hint.get(k, 0)) for k in range(model.n_vars)]
        if _START.search(log) or _satisfies(model, start):
            values, status, kept_start = start, Status.FEASIBLE, True
            log += "\nthe warm start is returned: CBC left no solution\n"
    objective = model.evaluate(values) if values is not None else None
    summary = _SUMMARY_BOUND.search(log)
    if status == Status.INFEASIBLE:
        bound = None
    elif summary:  # CBC's own final bound: with a gap tolerance, "optimal" ends short of the objective
        bound = unit(float(summary.group(1)))
    elif status == Status.OPTIMAL:
        bound = objective
    else:
        bound = unit(cbc_bound)

    def found(value: float | None) -> float | None:
        if value is None or values is None or kept_start:
            # without CBC's own solution only the plan that came back counts: none, or the warm start throughout
            return None if value is None else objective
        return unit(value)

    progress = [(launched + t, found(o), unit(b)) for t, o, b in points]
    if (objective, bound) != (None, None) and (not progress or progress[-1][1:] != (objective, bound)):
        progress.append((seconds, objective, bound))
    return SolveResult(status, values, objective, bound, seconds, log, progress)


def _satisfies(model: LinearModel, values: list[int]) -> bool:
    """Whether ``values`` is a plan of ``model`` (integer, within bounds, every row kept); vectorised, about
    0.1 s for 100k rows."""
    form = MatrixForm.of(model)
    x = np.asarray(values, dtype=float)
    if np.any(x < form.lower) or np.any(x > form.upper):
        return False
    rows = np.repeat(np.arange(len(form.row_lower)), np.diff(form.starts))
    totals = np.bincount(rows, weights=form.value * x[form.index], minlength=len(form.row_lower))
    return bool(np.all(totals >= form.row_lower - 1e-6) and np.all(totals <= form.row_upper + 1e-6))
