"""A lower bound for whole-region models too large to build: Lagrangian relaxation of the p-median.

With soft or no nesting a consortium may reach across a whole region, so the exact model has a variable for
nearly every pair of practices (1.5 million in the North West) and takes longer to build than a planner waits.
A bound must still be reported. Relax "each unit in exactly one consortium" with a price ``lam[i]`` per unit;
what is left splits by centre:

    L(lam) = sum(lam) + min over the allowed count of chosen centres r of (price per consortium + V_r(lam))
    V_r(lam) = min  sum_i (cost[i, r] - lam[i]) * x[i]   over  0 <= x <= 1,  x[r] = 1,
               lo <= sum_i pop[i] * x[i] <= hi

``V_r`` is a fractional knapsack (solved exactly by sorting on cost per patient), so ``L(lam)`` is below the
optimum of every plan for every ``lam``. It keeps patient-km and health mismatch, and two terms through
relaxations that keep it a knapsack:

- the deprivation price ``D * |sum_i e_i x_i|`` (``e_i``: patients times IMD gap) is at least
  ``D * s_r * sum_i e_i x_i`` for any ``s_r`` in [-1, 1], one per centre, moved each step towards the side its
  consortium leans to (North East, nesting off: 8.66M to 9.25M patient-km);
- nesting: a centre whose authority is too large to be one consortium's whole either keeps its consortium
  inside that authority (a knapsack over its units) or crosses the boundary and so holds a piece of it: one
  split at least (soft nesting's price; not allowed under strict nesting). ``V_r`` is the cheaper of the two.

It drops contiguity, the other hard rules and the other non-negative terms (border, further splits, moves), and
allows every pair of units. Subgradient steps (Polyak, towards the best plan known) raise it; the best value
seen is the bound. This is the bound Validi, Buchanan and Lykhovyd compute first for their Hess models.
"""

from __future__ import annotations

import time

import numpy as np

from boundaries.engine.problem import Problem

#: Units above which the n x n matrices would not fit comfortably in memory (about 10 of n^2 doubles).
MAX_UNITS = 4_000


def lagrangian_bound(
    problem: Problem, upper: float | None, time_limit: float, start: dict | None = None, iterations: int = 300
) -> float | None:
    """The best Lagrangian lower bound reached within ``time_limit`` seconds (None if not even one step).

    ``start`` (unit -> centre, the best plan known) sets the first prices: each unit's cost in that plan, which
    is where the prices of a good bound tend to be."""
    started = time.perf_counter()
    units = problem.units
    n = len(units)
    if n > MAX_UNITS or n == 0:
        return None
    w = problem.weights
    pop = units["population"].to_numpy(float)
    xy = units[["x", "y"]].to_numpy(float)
    km = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1]) / 1000
    cost = w.compactness * pop[:, None] * km  # cost[i, r]: unit i served by centre r
    if "community" in units and w.health:
        community = units["community"].astype(str).to_numpy()
        cost += w.health * pop[:, None] * (community[:, None] != community[None, :])
    if problem.candidate_radius_km:
        cost[km > problem.candidate_radius_km + 1e-9] = np.inf  # a pair the model never has
    # the deprivation price D * |sum_i e_i x_i| of a consortium is at least D * s * sum_i e_i x_i for any s in
    # [-1, 1]: one such s per centre keeps the subproblem a fractional knapsack (model's rounding of e_i)
    excess = None
    if "imd" in units and w.deprivation:
        excess = np.round(pop * (units["imd"].to_numpy(float) - problem.imd_mean))
        tilt, tilt_step, tilt_sign = np.zeros(n), np.full(n, 0.5), np.zeros(n)
    lo, hi = float(problem.min_population), float(problem.max_population)
    k_lo, k_hi = problem.count_range
    # nesting: a consortium whose centre's authority is too large to hold whole either stays inside that
    # authority, or crosses its boundary and so holds a piece of it: one authority split at least (soft
    # nesting's price, or not allowed at all under strict nesting)
    inside = crossing = None
    if problem.nesting != "off" and "lad" in units:
        lad = units["lad"].astype(str).to_numpy()
        same = lad[:, None] == lad[None, :]
        too_large = same.T @ pop > hi  # per centre: its authority cannot be one consortium's whole
        if too_large.any():
            inside = same
            crossing = np.where(too_large, w.la_split if problem.nesting == "soft" else np.inf, 0.0)
    weight = np.maximum(pop, 1e-6)
    diagonal = np.arange(n)
    # any this many units hold at least ``hi`` patients, so no knapsack reaches past its first ``prefix`` units in
    # order: only those are sorted (London: 1,425 units, 0.6-1 s a step with a full sort)
    prefix = min(n, int(np.searchsorted(np.cumsum(np.sort(weight)), hi)) + 1)
    lam = np.zeros(n)
    if start is not None:
        pos = {u: k for k, u in enumerate(units.index)}
        lam = np.array([cost[k, pos[start[u]]] for k, u in enumerate(units.index)])
        lam[~np.isfinite(lam)] = 0.0
    best, theta, stale = -np.inf, 2.0, 0
    step_seconds = 0.0
    for _ in range(iterations):
        began = time.perf_counter()
        if began - started + step_seconds > time_limit:  # the next step would end past the limit
            break
        reduced = cost - lam[:, None]
        if excess is not None:
            reduced = reduced + w.deprivation * excess[:, None] * tilt[None, :]
        ratio = reduced / weight[:, None]
        ratio[diagonal, diagonal] = -np.inf  # the centre always serves itself
        order = _smallest(ratio, prefix)
        value, frac = _knapsacks(np.take_along_axis(reduced, order, axis=0), weight[order], lo, hi)
        if inside is not None:  # the cheaper of staying inside the centre's authority and crossing it
            own = _smallest(np.where(inside, ratio, np.inf), prefix)
            allowed = np.take_along_axis(inside, own, axis=0)
            within, within_frac = _knapsacks(np.take_along_axis(reduced, own, 0), weight[own], lo, hi, allowed)
            value = value + crossing
            stays = within <= value
            value = np.where(stays, within, value)
            order = np.where(stays[None, :], own, order)
            frac = np.where(stays[None, :], within_frac, frac)
        value = value + w.consortium
        chosen = np.argsort(value, kind="stable")
        count = k_lo + int(np.sum(value[chosen[k_lo:k_hi]] < 0))
        pick = chosen[:count]
        if not np.isfinite(value[pick]).all():
            return None if best == -np.inf else float(best)
        bound = float(lam.sum() + value[pick].sum())
        if bound > best + 1e-9:
            best, stale = bound, 0
        else:
            stale += 1
            if stale >= 5:
                theta, stale = theta / 2, 0
        served = np.bincount(order[:, pick].ravel(), weights=frac[:, pick].ravel(), minlength=n)
        if excess is not None:  # each centre's tilt moves towards the side its consortium leans to
            sign = np.sign((excess[order] * frac).sum(axis=0))
            tilt_step = np.where(sign * tilt_sign < 0, tilt_step / 2, np.minimum(tilt_step * 1.2, 1.0))
            tilt, tilt_sign = np.clip(tilt + tilt_step * sign, -1.0, 1.0), sign
        step_dir = 1.0 - served
        norm = float(step_dir @ step_dir)
        if norm < 1e-12 or theta < 1e-4:
            break
        target = upper if upper is not None and upper > best else best + max(abs(best) * 0.01, 1.0)
        lam = lam + theta * (target - bound) / norm * step_dir
        step_seconds = max(step_seconds, time.perf_counter() - began)
    return None if best == -np.inf else float(best)


def _smallest(ratio: np.ndarray, k: int) -> np.ndarray:
    """Per column, the rows of its ``k`` smallest values, in increasing order (ties in row order when whole)."""
    if k >= len(ratio):
        return np.argsort(ratio, axis=0, kind="stable")
    part = np.argpartition(ratio, k - 1, axis=0)[:k]
    return np.take_along_axis(part, np.argsort(np.take_along_axis(ratio, part, 0), axis=0, kind="stable"), 0)


def _knapsacks(
    sorted_reduced: np.ndarray, taken_pop: np.ndarray, lo: float, hi: float, allowed: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each centre's fractional knapsack (a column per centre, units sorted by reduced cost per patient, the
    centre first): every unit that lowers the cost up to ``hi`` patients, and at least ``lo``. ``allowed``
    (same shape) leaves the other units out. Returns each centre's least cost (inf when ``lo`` cannot be
    reached) and the share of each unit taken."""
    if allowed is not None:
        taken_pop = np.where(allowed, taken_pop, 0.0)
    before = np.cumsum(taken_pop, axis=0) - taken_pop
    first = np.zeros(sorted_reduced.shape, dtype=bool)
    first[0] = True
    cap = np.where((sorted_reduced < 0) | first, hi, lo)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.clip((cap - before) / taken_pop, 0.0, 1.0)
    frac[0] = 1.0
    frac[~np.isfinite(sorted_reduced)] = 0.0
    if allowed is not None:
        frac[~allowed] = 0.0
    value = np.where(frac > 0, sorted_reduced * frac, 0.0).sum(axis=0)
    reach = (taken_pop * frac).sum(axis=0)
    value[reach < lo - 1e-6] = np.inf  # not even every allowed unit brings this centre to the minimum
    return value, frac
