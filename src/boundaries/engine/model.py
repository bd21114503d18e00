"""The one consortium model: a problem becomes an integer program both backends solve.

Formulation (Hess-style p-median with roots): ``assign[i, r] = 1`` when unit ``i`` joins the consortium whose
centre is unit ``r``; ``assign[r, r]`` says ``r`` is a centre. Contiguity is not written out in full: the solve
loop adds a separator cut ``assign[a, r] <= sum(assign[c, r] for c in S)`` each time a consortium comes back in
pieces (``contiguity_cuts``), which is exact and stays small because compact plans are nearly connected anyway.

Only pairs ``(i, r)`` that could share a connected consortium are created: there must be a path from ``r`` to
``i`` whose units hold at most the maximum population (an exact restriction), inside ``r``'s local authority or
through whole authorities under strict nesting (there every unit of ``r``'s own authority is a candidate when the
authority can join a union: its units may be joined only through another authority), and within
``candidate_radius_km`` when the planner sets one (a modelling restriction, reported).
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

import networkx as nx
import numpy as np

from boundaries.data.graph import authority_graph
from boundaries.engine.linear import LinearModel
from boundaries.engine.problem import Problem

SCALE = 100  # objective units per patient-km: keeps small weights integral for CP-SAT


@dataclass
class ConsortiumModel:
    """The integer program plus the maps from its variables back to the problem."""

    problem: Problem
    lp: LinearModel
    units: list[str]
    assign: dict[tuple[int, int], int]
    roots_of: dict[int, list[int]] = field(default_factory=dict)
    members_of: dict[int, list[int]] = field(default_factory=dict)
    cuts_added: int = 0
    count_row: int = -1  # the row holding the number of consortia (its bounds are the count range)
    lowest_centre: bool = False  # each consortium's centre is its first member (``centre_free``)

    def set_count(self, lo: int, hi: int) -> None:
        """Ask for between lo and hi consortia (the model is otherwise the same for every count)."""
        idx, coefs, _, _ = self.lp.rows[self.count_row]
        self.lp.rows[self.count_row] = (idx, coefs, lo, hi)

    def decode(self, values: list[int]) -> dict[str, str]:
        """unit -> centre unit, from a solution vector."""
        out: dict[str, str] = {}
        for (i, r), var in self.assign.items():
            if values[var] > 0.5:
                out[self.units[i]] = self.units[r]
        return out

    def encode(self, assignment: dict[str, str]) -> dict[int, int] | None:
        """A hint vector for the assignment variables, when every pair exists."""
        index = {u: k for k, u in enumerate(self.units)}
        if self.lowest_centre:  # the same plan, centred on each consortium's first member
            first: dict = {}
            for unit, root in assignment.items():
                if root not in first or index[unit] < index[first[root]]:
                    first[root] = unit
            assignment = {unit: first[root] for unit, root in assignment.items()}
        hint = {}
        for unit, root in assignment.items():
            var = self.assign.get((index[unit], index[root]))
            if var is None:
                return None
            hint[var] = 1
        return {var: hint.get(var, 0) for var in self.assign.values()}

    def contiguity_cuts(self, assignment: dict[str, str], graph: nx.Graph) -> int:
        """Add separator cuts for every unit cut off from its centre; returns how many were added.

        A piece ``P`` cut off from its centre gives ``assign[a, r] <= sum(assign[c, r] for c in N(P))`` for each
        unit ``a`` in it, and that holds for every centre ``r`` outside ``P`` (any path from ``a`` to ``r`` leaves
        ``P`` through a neighbour), so the cut is added for all of them at once: otherwise the next round often
        hands the same piece to another centre that is no closer to it."""
        index = {u: k for k, u in enumerate(self.units)}
        members: dict[str, list[str]] = defaultdict(list)
        for unit, root in assignment.items():
            members[root].append(unit)
        added = 0
        for root, group in members.items():
            sub = graph.subgraph(group)
            if nx.is_connected(sub):
                continue
            for piece in nx.connected_components(sub):
                if root in piece:
                    continue
                boundary = set().union(*(graph[u] for u in piece)) - piece
                # a centre is reached only through the boundary units on its side of the rest of the graph
                rest = graph.subgraph(set(graph.nodes) - piece)
                side = {u: k for k, part in enumerate(nx.connected_components(rest)) for u in part}
                inside = [index[u] for u in sorted(piece)]
                for r in sorted({r for a in inside for r in self.roots_of.get(a, [])}):
                    if self.units[r] in piece or self.units[r] in boundary:
                        continue  # inside: no cut holds; on the border: its own centre variable meets the cut
                    separator = [
                        self.assign[(index[c], r)]
                        for c in sorted(boundary)
                        if side[c] == side[self.units[r]] and (index[c], r) in self.assign
                    ]
                    for a in inside:
                        if (a, r) in self.assign:
                            self.lp.row([self.assign[(a, r)], *separator], [1] + [-1] * len(separator), hi=0)
                            added += 1
        self.cuts_added += added
        return added


Node = TypeVar("Node", bound=Hashable)


def population_reach(graph: nx.Graph, pop: Mapping[Node, int], source: Node, limit: int) -> dict[Node, int]:
    """Units reachable from ``source`` by a path holding at most ``limit`` patients (node-weighted Dijkstra)."""
    best = {source: pop[source]}
    heap = [(pop[source], source)]
    while heap:
        d, u = heapq.heappop(heap)
        if d > best.get(u, math.inf):
            continue
        for v in graph[u]:
            nd = d + pop[v]
            if nd <= limit and nd < best.get(v, math.inf):
                best[v] = nd
                heapq.heappush(heap, (nd, v))
    return best


def candidate_pairs(problem: Problem) -> dict[str, set[str]]:
    """For each centre, the units that could belong to its consortium (see module docstring)."""
    graph = problem.contiguity_graph()
    units = problem.units
    pop = units["population"].astype(int).to_dict()
    hi = problem.max_population
    radius = problem.candidate_radius_km * 1000 if problem.candidate_radius_km else None
    xy = units[["x", "y"]].to_numpy(float)
    pos = {u: k for k, u in enumerate(units.index)}

    if problem.nesting == "strict":
        lad = units["lad"].to_dict()
        lad_pop = units.groupby("lad")["population"].sum().astype(int).to_dict()
        lad_graph = authority_graph(graph, lad, lad_pop)
        mergeable = {g: set(population_reach(lad_graph, lad_pop, g, hi)) if lad_pop[g] <= hi else {g} for g in lad_pop}
        members = units.groupby("lad").groups
    out: dict[str, set[str]] = {}
    for root in units.index:
        if pop[root] > hi:
            out[root] = {root}
            continue
        if problem.nesting == "strict":
            own = lad[root]
            inside = graph.subgraph(members[own])
            allowed = set(population_reach(inside, pop, root, hi))
            if mergeable[own] - {own}:
                # in a union of whole authorities, all of its own: its units need not be joined inside it
                allowed |= set(members[own])
            for other in mergeable[own] - {own}:
                allowed |= set(members[other])
        else:
            allowed = set(population_reach(graph, pop, root, hi))
        if radius is not None:
            d = np.hypot(*(xy[[pos[u] for u in allowed]] - xy[pos[root]]).T)
            allowed = {u for u, dist in zip(allowed, d) if dist <= radius} | {root}
        out[root] = allowed
    return out


def build_model(problem: Problem, pairs: dict[str, set[str]] | None = None) -> ConsortiumModel:
    """Write the whole consortium model for ``problem`` (contiguity cuts are added later, lazily)."""
    w = problem.weights
    units = list(problem.units.index)
    index = {u: k for k, u in enumerate(units)}
    pop = problem.units["population"].astype(int).to_numpy()
    xy = problem.units[["x", "y"]].to_numpy(float)
    lad = problem.units["lad"].astype(str).tolist() if "lad" in problem.units else None  # codes as text, as elsewhere
    community = problem.units["community"].tolist() if "community" in problem.units else None
    imd = problem.units["imd"].to_numpy(float) if "imd" in problem.units else None
    imd_mean = problem.imd_mean
    pairs = pairs if pairs is not None else candidate_pairs(problem)
    lowest = centre_free(problem)
    if lowest:  # one representation per plan: its first member (in unit order) is each consortium's centre
        pairs = {root: {u for u in pairs[root] if index[u] >= index[root]} for root in units}
    lp = LinearModel(scale=SCALE)
    n = len(units)

    # -- assignment variables, priced by distance to the centre and by health-community mismatch ----------
    assign: dict[tuple[int, int], int] = {}
    roots_of: dict[int, list[int]] = defaultdict(list)
    members_of: dict[int, list[int]] = defaultdict(list)
    for root in units:
        r = index[root]
        for unit in sorted(pairs[root], key=index.__getitem__):
            i = index[unit]
            km = math.hypot(*(xy[i] - xy[r])) / 1000
            var = assign[(i, r)] = lp.var(f"assign[{unit},{root}]")
            lp.price(var, "compactness", SCALE * pop[i] * km, w.compactness)
            if community is not None and community[i] != community[r]:
                lp.price(var, "health", SCALE * pop[i], w.health)
            roots_of[i].append(r)
            members_of[r].append(i)
    centre = {r: assign[(r, r)] for r in range(n) if (r, r) in assign}

    # -- borders between consortia, only when priced: border[a, b] >= assign[a, r] - assign[b, r] ------------
    if w.border or "border" in problem.priorities:
        for (a, b), km in sorted(problem.border_km().items()):
            i, j = index[a], index[b]
            border = lp.var(f"border[{a},{b}]")
            lp.price(border, "border", SCALE * km, w.border)
            for r in roots_of[i]:
                other = assign.get((j, r))
                idx, coefs = [border, assign[(i, r)]], [1, -1]
                if other is not None:
                    idx, coefs = idx + [other], coefs + [1]
                lp.row(idx, coefs, lo=0)
    for var in centre.values():
        lp.price(var, "consortium", SCALE, w.consortium)

    # -- every unit in exactly one consortium; members only join an open centre ---------------------------
    for i in range(n):
        lp.row([assign[(i, r)] for r in roots_of[i]], [1] * len(roots_of[i]), 1, 1)
    for r, members in members_of.items():
        for i in members:
            if i != r:
                lp.row([assign[(i, r)], centre[r]], [1, -1], hi=0)

    # -- population bounds and the number of consortia ----------------------------------------------------
    for r, members in members_of.items():
        idx = [assign[(i, r)] for i in members]
        lp.row(idx + [centre[r]], [int(pop[i]) for i in members] + [-problem.min_population], lo=0)
        lp.row(idx + [centre[r]], [int(pop[i]) for i in members] + [-problem.max_population], hi=0)
        if problem.max_practices is not None:
            lp.row(idx + [centre[r]], [1] * len(idx) + [-problem.max_practices], hi=0)
    k_lo, k_hi = problem.count_range
    count_row = len(lp.rows)
    lp.row(list(centre.values()), [1] * len(centre), k_lo, k_hi)

    # -- local-authority nesting ------------------------------------------------------------------------------
    if problem.nesting != "off":
        assert lad is not None  # Problem refuses nesting without a 'lad' column
        lad_units: dict[str, list[int]] = defaultdict(list)
        for i, g in enumerate(lad):
            lad_units[g].append(i)
        for r, members in members_of.items():
            other_lads = sorted({lad[i] for i in members} - {lad[r]})
            if problem.nesting == "strict":
                own = lad_units[lad[r]]
                for g in other_lads:
                    whole = lp.var(f"whole[{g},{units[r]}]")
                    for i in lad_units[g]:
                        if (i, r) in assign:
                            lp.row([assign[(i, r)], whole], [1, -1], 0, 0)
                        else:
                            lp.row([whole], [1], hi=0)
                    if {g, lad[r]} & problem.lads_beyond:  # (a part of a region) neither is whole here
                        lp.row([whole], [1], hi=0)
                    # a consortium reaching into another authority holds all of its own authority too
                    present = [i for i in own if (i, r) in assign]
                    lp.row([assign[(i, r)] for i in present] + [whole], [1] * len(present) + [-len(own)], lo=0)
            elif other_lads:
                _soft_nesting(lp, problem, assign, r, members, lad, lad_units)

    # -- natural health communities as a floor --------------------------------------------------------------
    if problem.health_floor is not None and community is not None:
        f = problem.health_floor
        for r, members in members_of.items():
            coefs = [math.floor(1000 * pop[i] * ((community[i] == community[r]) - f)) for i in members]
            lp.row([assign[(i, r)] for i in members], coefs, lo=0)

    # -- deprivation: a hard band and/or a priced spread ------------------------------------------------------
    if imd is not None:
        for r, members in members_of.items():
            idx = [assign[(i, r)] for i in members]
            if problem.imd_band is not None:
                band = problem.imd_band
                lp.row(idx, [math.ceil(100 * pop[i] * (imd[i] - imd_mean - band)) for i in members], hi=0)
                lp.row(idx, [math.floor(100 * pop[i] * (imd[i] - imd_mean + band)) for i in members], lo=0)
            if w.deprivation or "deprivation" in problem.priorities:
                ub = int(sum(pop[i] * abs(imd[i] - imd_mean) for i in members)) + 1
                spread = lp.var(f"imd_gap[{units[r]}]", 0, ub)
                lp.price(spread, "deprivation", SCALE, w.deprivation)
                coefs = [round(pop[i] * (imd[i] - imd_mean)) for i in members]
                lp.row(idx + [spread], coefs + [-1], hi=0)
                lp.row(idx + [spread], [-c for c in coefs] + [-1], hi=0)

    # -- planner's wishes -------------------------------------------------------------------------------------
    groups: dict[str, list[int]] = defaultdict(list)
    for unit, name in sorted(problem.fixed.items()):
        groups[f"fixed:{name}"].append(index[unit])
    for k, grp in enumerate(problem.together):
        groups[f"together:{k}"].extend(index[u] for u in grp)
    for members in groups.values():
        _keep_together(lp, assign, roots_of, members)
    apart = [(index[a], index[b]) for a, b in problem.apart]
    anchors = sorted({min(m) for key, m in groups.items() if key.startswith("fixed:")})
    apart += [(a, b) for k, a in enumerate(anchors) for b in anchors[k + 1 :]]
    for i, j in apart:
        for r in set(roots_of[i]) & set(roots_of[j]):
            lp.row([assign[(i, r)], assign[(j, r)]], [1, 1], hi=1)

    # -- stability: few moves from a baseline plan -------------------------------------------------------------
    if problem.baseline is not None:
        _moves(lp, problem, assign, members_of, centre, units)

    return ConsortiumModel(
        problem, lp, units, assign, dict(roots_of), dict(members_of), count_row=count_row, lowest_centre=lowest
    )


def centre_free(problem: Problem) -> bool:
    """True when nothing reads which member is a consortium's centre: no patient-km or health price, no health
    floor, no candidate radius, no baseline. Then every plan has as many representations in the model as its
    consortia have members, and keeping only the first member as centre removes that symmetry (it made a
    16-unit border model take half a minute to prove)."""
    w = problem.weights
    reads = (
        w.compactness
        or (w.health and "community" in problem.units)
        or problem.health_floor is not None
        or problem.candidate_radius_km
        or problem.baseline is not None
        or {"compactness", "health"} & set(problem.priorities)
    )
    return not reads


def _keep_together(lp: LinearModel, assign, roots_of, members: list[int]) -> None:
    anchor, *rest = members
    for other in rest:
        for r in set(roots_of[anchor]) | set(roots_of[other]):
            a, b = assign.get((anchor, r)), assign.get((other, r))
            if a is not None and b is not None:
                lp.row([a, b], [1, -1], 0, 0)
            elif a is not None or b is not None:
                lp.row([a if a is not None else b], [1], hi=0)


def _soft_nesting(lp, problem, assign, r, members, lad, lad_units) -> None:
    """Count the authority pieces a cross-boundary consortium holds without holding the whole authority."""
    units = problem.units.index
    touched = sorted({lad[i] for i in members})
    spans = lp.var(f"spans_lads[{units[r]}]")
    touches = {}
    for g in touched:
        inside = [i for i in members if lad[i] == g]
        touches[g] = lp.var(f"touches[{g},{units[r]}]")
        whole = lp.var(f"whole[{g},{units[r]}]")
        for i in inside:
            lp.row([touches[g], assign[(i, r)]], [1, -1], lo=0)
            lp.row([whole, assign[(i, r)]], [1, -1], hi=0)
        if len(inside) < len(lad_units[g]) or g in problem.lads_beyond:
            lp.row([whole], [1], hi=0)
        split = lp.var(f"split[{g},{units[r]}]")
        lp.price(split, "la_split", SCALE, problem.weights.la_split)
        lp.row([split, touches[g], whole, spans], [1, -1, 1, -1], lo=-1)
    lp.row([spans] + list(touches.values()), [len(touched)] + [-1] * len(touches), lo=-1)


def _moves(lp, problem, assign, members_of, centre, units) -> None:
    """Each baseline consortium continues in at most one new consortium; practices outside it moved."""
    base = problem.baseline.reindex(units).tolist()
    continues: dict[int, int] = {}
    by_label: dict[str, list[int]] = defaultdict(list)
    for r in members_of:
        continues[r] = lp.var(f"continues[{units[r]}]")
        lp.row([continues[r], centre[r]], [1, -1], hi=0)
        by_label[base[r]].append(continues[r])
    for vars_ in by_label.values():
        lp.row(vars_, [1] * len(vars_), hi=1)
    stays = []
    for r, members in members_of.items():
        for i in members:
            if base[i] == base[r]:
                stay = lp.var(f"stays[{units[i]},{units[r]}]")
                lp.price(stay, "moves", -SCALE, problem.weights.moves)
                lp.row([stay, assign[(i, r)]], [1, -1], hi=0)
                lp.row([stay, continues[r]], [1, -1], hi=0)
                stays.append(stay)
    lp.offset += round(SCALE * problem.weights.moves) * len(units)
    if problem.max_moves is not None:
        lp.row(stays, [1] * len(stays), lo=len(units) - problem.max_moves)
