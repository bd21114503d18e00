"""The labelling model: consortia as numbered labels, contiguity inside one CP-SAT search.

Why a second formulation: when nothing in the objective reads which member is a consortium's centre (fewest
cut edges or shortest border, the deprivation spread, a price per consortium), the p-median model
(``boundaries.engine.model``) has one variable per unit and possible centre, its cut-edge rows
``border[a, b] >= assign[a, r] - assign[b, r]`` repeat for every centre and relax to nothing, and contiguity
needs a restart after each round of cuts. Here:

- ``label[i]`` in ``0 .. k-1`` with one boolean ``in_label[i, j]`` per label: k variables per unit, not n;
- symmetry is broken by numbering labels in order of their first unit (the partitioning orbitope's
  first-occurrence rule): unit ``i`` may take label ``j`` only if an earlier unit took label ``j - 1``, so
  every plan has exactly one labelling and each consortium's first unit is its root;
- contiguity is inside the search: every unit other than its consortium's root picks a ``parent``, a neighbour
  with the same label and a smaller ``depth`` (a spanning tree of the consortium hanging from its root), one
  boolean per direction of each edge;
- ``cut[a, b]`` is true when neighbours ``a`` and ``b`` are in different consortia, priced by the border length
  the edge carries; ``cut >= |in_label[a, j] - in_label[b, j]|`` for every label keeps the LP relaxation honest.

The objective is the same number the p-median model and the heuristic compute for the same plan (integer
coefficients in ``SCALE`` units per patient-km), so plans and bounds from either model compare directly.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from dataclasses import fields, replace

import networkx as nx
import numpy as np
from ortools.sat.python import cp_model

from boundaries.engine.backends.cpsat import _Progress, _stop_on_ctrl_c
from boundaries.engine.exact import Outcome
from boundaries.engine.model import SCALE, centre_free
from boundaries.engine.problem import Problem, Weights
from boundaries.status import Status, proven_status


def fits(problem: Problem) -> bool:
    """True when the labelling model states the whole problem: nothing reads a consortium's centre
    (``model.centre_free``), nesting is off, no priorities (one weighted objective) and no health floor."""
    return centre_free(problem) and problem.nesting == "off" and not problem.priorities


def states_rules(problem: Problem) -> bool:
    """True when the labelling model states every hard rule of the problem (what a plan must meet whatever it
    costs), so that its answer to "is there any plan at all?" is the problem's answer. Soft nesting only prices
    authority splits; a health floor and a moves cap are stated on a centre or a matching the model has not."""
    return problem.nesting != "strict" and problem.health_floor is None and problem.max_moves is None


def unit_order(problem: Problem) -> list:
    """The order that numbers the labels: breadth-first from the unit furthest from the region's middle, so a
    label's first unit and its neighbours come early and the first-occurrence rule fixes many variables."""
    units = problem.units
    xy = units[["x", "y"]].to_numpy(float)
    far = units.index[int(np.argmax(np.hypot(*(xy - xy.mean(axis=0)).T)))]
    graph = problem.contiguity_graph()
    position = {u: k for k, u in enumerate(units.index)}  # the index is unique (``Problem``)
    order: list = []
    seen: set = set()
    for start in [far, *units.index]:  # every component, the furthest unit's first
        if start in seen:
            continue
        seen.add(start)
        queue = deque([start])
        while queue:
            unit = queue.popleft()
            order.append(unit)
            for other in sorted(graph[unit], key=position.__getitem__):
                if other not in seen:
                    seen.add(other)
                    queue.append(other)
    return order


class LabelModel:
    """The CP-SAT model of one problem, with its variables named for what they mean."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.units = unit_order(problem)
        units, n = self.units, len(self.units)
        frame = problem.units.loc[units]
        pop = frame["population"].astype(int).tolist()
        k_lo, k_hi = problem.count_range
        k_hi = min(k_hi, n)
        self.k = k_hi
        labels = range(k_hi)
        w = problem.weights
        m = self.cp = cp_model.CpModel()
        index = {u: i for i, u in enumerate(units)}
        graph = problem.contiguity_graph()
        neighbours = {i: sorted(index[v] for v in graph[units[i]]) for i in range(n)}

        # -- labels, numbered by their first unit ---------------------------------------------------------------
        self.in_label = {
            (i, j): m.new_bool_var(f"in_label[{units[i]},{j}]") for i in range(n) for j in labels if j <= i
        }
        self.label = [m.new_int_var(0, min(i, k_hi - 1), f"label[{units[i]}]") for i in range(n)]
        seen: dict[tuple[int, int], cp_model.IntVar] = {}  # seen[i, j]: some unit up to i has label j
        for i in range(n):
            own = [(j, self.in_label[i, j]) for j in labels if j <= i]
            m.add_exactly_one(var for _, var in own)
            m.add(self.label[i] == sum(j * var for j, var in own))
            for j in labels:
                if j > i:
                    continue
                here = self.in_label[i, j]
                if j > 0:  # label j only after label j-1 has appeared
                    m.add_implication(here, seen[i - 1, j - 1])
                seen[i, j] = m.new_bool_var(f"seen[{units[i]},{j}]")
                before = seen.get((i - 1, j))
                if before is None:
                    m.add(seen[i, j] == here)
                else:
                    m.add_bool_or([before, here]).only_enforce_if(seen[i, j])
                    m.add_implication(before, seen[i, j])
                    m.add_implication(here, seen[i, j])
        self.used = [seen[n - 1, j] for j in labels]  # k_hi <= n: every label may be seen by the last unit
        for j in labels:
            if j < k_lo:
                m.add(self.used[j] == 1)
        # root[i]: unit i is the first of its label (the consortium's centre in the p-median model's terms)
        self.root = []
        for i in range(n):
            parts = []
            for j in labels:
                if j > i:
                    continue
                if (i - 1, j) not in seen:
                    parts.append(self.in_label[i, j])
                else:
                    r = m.new_bool_var(f"root[{units[i]},{j}]")
                    m.add_bool_and([self.in_label[i, j], seen[i - 1, j].Not()]).only_enforce_if(r)
                    m.add_bool_or([self.in_label[i, j].Not(), seen[i - 1, j]]).only_enforce_if(r.Not())
                    parts.append(r)
            is_root = m.new_bool_var(f"root[{units[i]}]")
            m.add(is_root == sum(parts))
            self.root.append(is_root)

        # -- population and practices per consortium --------------------------------------------------------
        for j in labels:
            members = [(pop[i], self.in_label[i, j]) for i in range(j, n)]
            total = sum(p * var for p, var in members)
            m.add(total >= problem.min_population).only_enforce_if(self.used[j])
            m.add(total <= problem.max_population)
            if problem.max_practices is not None:
                m.add(sum(var for _, var in members) <= problem.max_practices)

        # -- contiguity: a tree inside each consortium, hanging from its root -------------------------------
        self.depth = [m.new_int_var(0, n - 1, f"depth[{units[i]}]") for i in range(n)]
        self.parent = {}
        for i in range(n):
            choices = []
            for p in neighbours[i]:
                arc = self.parent[i, p] = m.new_bool_var(f"parent[{units[i]},{units[p]}]")
                m.add(self.label[i] == self.label[p]).only_enforce_if(arc)
                m.add(self.depth[i] >= self.depth[p] + 1).only_enforce_if(arc)
                choices.append(arc)
            m.add_exactly_one([*choices, self.root[i]])
            m.add(self.depth[i] == 0).only_enforce_if(self.root[i])

        # -- borders between consortia -----------------------------------------------------------------------
        objective: list[cp_model.LinearExprT] = []
        self.cut = {}
        edges = sorted((min(index[a], index[b]), max(index[a], index[b])) for a, b in problem.graph.edges)
        km = {tuple(sorted((index[a], index[b]))): d for (a, b), d in problem.border_km().items()}
        for a, b in edges:
            price = round(w.border * SCALE * km.get((a, b), 0.0))
            if not price:
                continue
            cut = self.cut[a, b] = m.new_bool_var(f"cut[{units[a]},{units[b]}]")
            m.add(self.label[a] == self.label[b]).only_enforce_if(cut.Not())
            for j in labels:
                x, y = self.in_label.get((a, j)), self.in_label.get((b, j))
                m.add(cut >= (x if x is not None else 0) - (y if y is not None else 0))
                m.add(cut >= (y if y is not None else 0) - (x if x is not None else 0))
            objective.append(price * cut)

        # -- deprivation: a hard band and a priced spread ----------------------------------------------------
        if "imd" in frame and (problem.imd_band is not None or w.deprivation):
            imd = frame["imd"].to_numpy(float)
            mean = problem.imd_mean
            excess = [round(p * (v - mean)) for p, v in zip(pop, imd)]
            for j in labels:
                may_take = range(j, n)  # the units that may take label j
                if problem.imd_band is not None:
                    band = problem.imd_band
                    lo = sum(math.ceil(100 * pop[i] * (imd[i] - mean - band)) * self.in_label[i, j] for i in may_take)
                    hi = sum(math.floor(100 * pop[i] * (imd[i] - mean + band)) * self.in_label[i, j] for i in may_take)
                    m.add(lo <= 0)
                    m.add(hi >= 0)
                price = round(SCALE * w.deprivation)
                if price:
                    bound = sum(abs(e) for e in excess) + 1
                    spread = m.new_int_var(0, bound, f"imd_gap[{j}]")
                    signed = sum(excess[i] * self.in_label[i, j] for i in may_take)
                    m.add(spread >= signed)
                    m.add(spread >= -signed)
                    objective.append(price * spread)
        if w.consortium:
            objective.append(round(SCALE * w.consortium) * sum(self.used))

        # -- planner's wishes ----------------------------------------------------------------------------------
        same, apart = wish_pairs(problem, index)
        for a, b in same:
            m.add(self.label[a] == self.label[b])
        for a, b in apart:
            m.add(self.label[a] != self.label[b])

        m.minimize(sum(objective))
        self.index = index

    def hint(self, centres: dict) -> None:
        """Hint a plan (unit -> centre unit): its labels, cuts and one spanning tree per consortium."""
        m, units = self.cp, self.units
        group = {u: centres[u] for u in units}
        number: dict = {}
        for u in units:
            number.setdefault(group[u], len(number))
        labels = [number[group[u]] for u in units]
        if max(labels) >= self.k:
            return
        for i, j in enumerate(labels):
            m.add_hint(self.label[i], j)
            for jj in range(min(i, self.k - 1) + 1):
                m.add_hint(self.in_label[i, jj], int(jj == j))
        for (a, b), cut in self.cut.items():
            m.add_hint(cut, int(labels[a] != labels[b]))
        graph = self.problem.contiguity_graph()
        depth, parent = [0] * len(units), {}
        for j in set(labels):
            members = [units[i] for i in range(len(units)) if labels[i] == j]
            tree = nx.bfs_predecessors(graph.subgraph(members), members[0])
            depths = nx.single_source_shortest_path_length(graph.subgraph(members), members[0])
            for child, pred in tree:
                parent[self.index[child]] = self.index[pred]
            for u, d in depths.items():
                depth[self.index[u]] = d
        for i in range(len(units)):
            m.add_hint(self.root[i], int(i not in parent))
            m.add_hint(self.depth[i], depth[i])
        for (i, p), arc in self.parent.items():
            m.add_hint(arc, int(parent.get(i) == p))

    def decode(self, solver: cp_model.CpSolver) -> dict:
        """unit -> centre unit (each consortium's first unit), as the p-median model reports plans."""
        first: dict[int, str] = {}
        out = {}
        for i, u in enumerate(self.units):
            j = solver.value(self.label[i])
            out[u] = first.setdefault(j, u)
        return out


def wish_pairs(problem: Problem, index: dict) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The planner's wishes as pairs of unit numbers (``index``): pairs in the same consortium (groups kept
    together, practices fixed to one named group) and pairs in different ones (pairs kept apart, one practice of
    each named group against each other's)."""
    same = []
    for group in [*problem.together, *_by_name(problem.fixed).values()]:
        first, *rest = (index[u] for u in group)
        same += [(first, other) for other in rest]
    anchors = [index[g[0]] for g in _by_name(problem.fixed).values()]
    apart = [(index[a], index[b]) for a, b in problem.apart]
    apart += [(a, b) for x, a in enumerate(anchors) for b in anchors[x + 1 :]]
    return same, apart


def _by_name(fixed: dict) -> dict[str, list]:
    groups: dict[str, list] = defaultdict(list)
    for unit, name in sorted(fixed.items()):
        groups[name].append(unit)
    return dict(groups)


def find_any_plan(problem: Problem, time_limit: float, seed: int = 0) -> Outcome:
    """Any plan meeting every hard rule, or a proof that none exists, when ``states_rules(problem)``: the
    labelling model with nothing priced. Why: the heuristic builds plans from random spanning trees and can miss
    every plan of a tight band on an awkward graph (Cornwall's 69 practices in 10 districts within ±0.5%), and a
    model that optimises from the start spends its time on bounds before it has a plan. Without an objective
    CP-SAT either finds a plan or proves there is none.

    The plan comes back as unit -> its consortium's first unit, with no objective: price it with the heuristic."""
    if not states_rules(problem):
        raise ValueError("the labelling model does not state every rule of this problem")
    started = time.perf_counter()
    unpriced = replace(problem, weights=Weights(**{f.name: 0.0 for f in fields(Weights)}), priorities=())
    model = LabelModel(unpriced)
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.max_time_in_seconds = max(0.0, time_limit - (time.perf_counter() - started))
    params.random_seed = seed
    # Two workers interleaved: deterministic, and on Cornwall within ±0.5% they proved 10, 9 and 8 districts
    # impossible in 3.4, 5.5 and 33 s where one worker took 11 s, 32 s and more than 60 s.
    params.num_workers = 2
    params.interleave_search = True
    params.catch_sigint_signal = False
    with _stop_on_ctrl_c(solver):
        code = solver.solve(model.cp)
    seconds = time.perf_counter() - started
    if code == cp_model.INFEASIBLE:
        log = [f"{_ANY} none exists (proven in {seconds:.1f} s)"]
        return Outcome(Status.INFEASIBLE, None, None, None, seconds, log)
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        log = [f"{_ANY} found one in {seconds:.1f} s"]
        return Outcome(Status.FEASIBLE, model.decode(solver), None, None, seconds, log)
    return Outcome(Status.TIMED_OUT, None, None, None, seconds, [f"{_ANY} undecided after {seconds:.1f} s"])


_ANY = "labelling model, any plan:"


def solve_labels(
    problem: Problem, time_limit: float, seed: int = 0, threads: int = 1, gap: float = 0.0, start: dict | None = None
) -> Outcome:
    """Solve the labelling model in one CP-SAT search; ``start`` (unit -> centre, a valid plan) is the hint."""
    started = time.perf_counter()
    model = LabelModel(problem)
    if start is not None:
        model.hint(start)
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.max_time_in_seconds = max(0.0, time_limit - (time.perf_counter() - started))
    params.random_seed = seed
    # Measured on grids with the border objective: one worker with the full LP relaxation proved a 36-unit,
    # 3-district instance in 6 s; two interleaved workers proved nothing in 30 s (bound 0). One worker is also
    # deterministic, so ``threads`` is not used here.
    params.num_workers = 1
    params.linearization_level = 2
    params.relative_gap_limit = gap
    params.catch_sigint_signal = False
    progress = _Progress(SCALE, started)
    solver.best_bound_callback = progress.bound_found
    with _stop_on_ctrl_c(solver):
        code = solver.solve(model.cp, progress)
    seconds = time.perf_counter() - started
    log = [
        f"labelling model (CP-SAT): {len(model.units)} units, {model.k} labels, "
        f"{len(model.cp.proto.variables):,} variables; {solver.status_name(code)} in {seconds:.1f} s"
    ]
    if code == cp_model.INFEASIBLE:
        return Outcome(Status.INFEASIBLE, None, None, None, seconds, log)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        bound = solver.best_objective_bound / SCALE if code != cp_model.MODEL_INVALID else None
        return Outcome(Status.TIMED_OUT, None, None, bound, seconds, log, progress=progress.points)
    objective = solver.objective_value / SCALE
    bound = solver.best_objective_bound / SCALE
    status = Status.OPTIMAL if code == cp_model.OPTIMAL else proven_status(objective, bound)
    return Outcome(status, model.decode(solver), objective, bound, seconds, log, progress=progress.points)
