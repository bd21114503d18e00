"""Lower bounds on an authority's best division into k consortia, for every k, from one LP relaxation.

The decomposition must know, for counts it has not solved, how good a division could at best be. The LP
relaxation of the consortium model (contiguity left out, so still a relaxation) is tight for these p-median
models (within about 0.1% on Birmingham), and its value as a function of the count, ``phi(k)``, is convex: the
count is the right-hand side of one row. So each LP solve at ``k0`` gives its value and, from the dual of the
count row, a supporting line ``phi(k) >= phi(k0) + dual * (k - k0)`` that bounds every other count at once.
Later solves at other counts re-use the simplex basis (only one row's bounds change), so they are quick.

The LP is solved by HiGHS's simplex whichever backend solves the integer models: it is only a bound.
"""

from __future__ import annotations

import math

import highspy

from boundaries.engine.backends.highs import quiet_highs, to_highs
from boundaries.engine.model import ConsortiumModel, build_model
from boundaries.engine.problem import Problem


class CountBounds:
    """``phi(k)`` for one subproblem: exact LP values where solved, supporting lines everywhere else."""

    def __init__(self, problem: Problem, model: ConsortiumModel | None = None):
        model = model if model is not None else build_model(problem)
        self.scale = model.lp.scale
        self.count_row = model.count_row
        lp = to_highs(model.lp)
        lp.integrality_ = []
        self.highs = quiet_highs()
        self.highs.passModel(lp)
        self.values: dict[int, float] = {}  # k -> phi(k), solved to optimality
        self.lines: list[tuple[int, float, float]] = []  # (k0, phi(k0), slope)

    def solve(self, k: int, time_limit: float = 60.0) -> float | None:
        """phi(k), adding its supporting line; None (and no line) if the LP is not solved to optimality
        within ``time_limit`` seconds."""
        if k in self.values:
            return self.values[k]
        if time_limit <= 0:
            return None
        self.highs.setOptionValue("time_limit", float(time_limit))
        self.highs.changeRowBounds(self.count_row, k, k)
        self.highs.run()
        status = self.highs.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            self.values[k] = math.inf
            return math.inf
        if status != highspy.HighsModelStatus.kOptimal:
            return None
        value = self.highs.getInfo().objective_function_value / self.scale
        slope = self.highs.getSolution().row_dual[self.count_row] / self.scale
        self.values[k] = value
        self.lines.append((k, value, slope))
        return value

    def bound(self, k: int) -> float:
        """The best lower bound known for count k (0 when nothing is known yet)."""
        if k in self.values:
            return self.values[k]
        return max((v + s * (k - k0) for k0, v, s in self.lines), default=0.0)
