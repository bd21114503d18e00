"""Integer programs that HiGHS cannot finish in a few seconds, built straight as ``LinearModel`` (no region data,
and independent of ``boundaries.engine.model``, so that these stay fixed while the engine's own model changes).

``grid_districting`` is the shape on which HiGHS 1.16 was seen to overrun its time limit by minutes (see
shared/notes/exact-districting.md): a Hess assignment model (every unit assigned to a centre unit) on a grid of
units, fewest cut edges, each district's population within a tolerance of the mean. HiGHS's root cut
separation does not check the clock: measured on this machine, ``grid_districting(6, 6, 3)`` with a 3 s limit
ran 22-34 s (seeds 1-3, tolerance 0.5-2%) and with 5% tolerance 14 s, having found a plan at about 1 s.
Small ones (3x3, 3 districts, 5%) are solved to optimality in about a second.
"""

from __future__ import annotations

import numpy as np

from boundaries.engine.linear import LinearModel


def grid_districting(
    rows: int = 6, cols: int = 6, parts: int = 4, tolerance: float = 0.005, seed: int = 1
) -> LinearModel:
    """Split a rows x cols grid of units with random populations into ``parts`` districts of near-equal
    population, cutting as few grid edges as possible (contiguity is not imposed)."""
    rng = np.random.default_rng(seed)
    n = rows * cols
    population = [int(p) for p in rng.integers(5_000, 15_000, size=n)]
    edges = [(r * cols + c, r * cols + c + 1) for r in range(rows) for c in range(cols - 1)]
    edges += [(r * cols + c, (r + 1) * cols + c) for r in range(rows - 1) for c in range(cols)]
    mean = sum(population) / parts
    lo, hi = int(mean * (1 - tolerance)), int(mean * (1 + tolerance))
    lp = LinearModel(scale=100.0)
    assign = [[lp.var(f"assign[{i},{j}]") for j in range(n)] for i in range(n)]  # unit i in centre j's district
    for i in range(n):
        lp.row(assign[i], [1] * n, 1, 1)
        for j in range(n):
            if i != j:
                lp.row([assign[i][j], assign[j][j]], [1, -1], hi=0)
    lp.row([assign[j][j] for j in range(n)], [1] * n, parts, parts)
    for j in range(n):
        members = [assign[i][j] for i in range(n) if i != j]
        weights = [population[i] for i in range(n) if i != j]
        lp.row([*members, assign[j][j]], [*weights, population[j] - lo], lo=0)
        lp.row([*members, assign[j][j]], [*weights, population[j] - hi], hi=0)
    for u, v in edges:
        cut = lp.var(f"border[{u},{v}]", cost=200_000)
        for j in range(n):  # cut >= assign[u][j] - assign[v][j], and the other way round
            lp.row([cut, assign[u][j], assign[v][j]], [1, -1, 1], lo=0)
            lp.row([cut, assign[v][j], assign[u][j]], [1, -1, 1], lo=0)
    return lp


def violated_rows(model: LinearModel, values: list[int]) -> int:
    """How many rows and bounds of ``model`` the solution breaks (0 for a feasible one)."""
    broken = sum(not lo <= v <= hi for lo, v, hi in zip(model.lower, values, model.upper))
    for idx, coefs, lo, hi in model.rows:
        total = sum(c * values[i] for i, c in zip(idx, coefs))
        broken += not lo - 1e-6 <= total <= hi + 1e-6
    return broken
