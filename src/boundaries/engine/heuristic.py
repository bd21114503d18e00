"""A valid plan in seconds, whatever is asked: spanning-tree construction, then local search.

The exact model proves how good a plan is, but on a loaded machine, a dense city or a tight population band it
can take minutes to find any plan at all. A planner's tool must hand back a valid plan at once and improve it
afterwards, so every solve starts here:

1. **Blocks.** Under strict nesting every consortium is inside one local authority or a union of whole ones, so
   the region is cut into *blocks*: an authority divided into ``k`` consortia (each of its pieces apart, when its
   units meet only through another's), or a union of small neighbouring authorities that form one consortium
   in one piece. With soft or no nesting the whole region is one block (each of its pieces, when island links
   are not allowed), divided into the preferred count of consortia, or into each other count the bounds allow
   in turn when that one fails.
2. **Construction** (recursive spanning-tree bisection, as in ReCom): draw a random spanning tree of a block,
   cut off a subtree whose patients fit the bounds while the rest can still be divided, and repeat. Every piece
   is connected by construction and the population bounds hold, even in a ±0.5% band, when units are small.
3. **Local search.** Border units move to a neighbouring consortium of the same block when the move keeps both
   sides in one piece: first to remove what breaks a hard rule (bounds, practices per consortium, IMD band,
   health floor, together/apart, moves from a baseline), then to lower the model's own objective. Centres are
   re-chosen between sweeps (a Lloyd step for the p-median), so the search improves exactly what the exact
   model optimises: patient-km to the centre, health-community mismatch, deprivation gap, border length,
   authority splits and the price per consortium.

The plan returned has no violation left by this module's count; the caller still re-checks it with the
independent validator before using it. The search is deterministic for a seed and stops at its deadline.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from collections.abc import Hashable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order, minimum_spanning_tree

from boundaries.data.graph import authority_graph, connected_pieces
from boundaries.engine.problem import Problem

HARD = 1_000_000.0  # penalty per broken pair rule (together, apart, named groups): any such break dominates


@dataclass
class HeuristicPlan:
    """unit -> centre unit, with the objective in the model's unit (patient-km)."""

    centres: dict[Hashable, Hashable]
    objective: float
    seconds: float
    log: list[str]
    progress: list[tuple[float, float]]  # (seconds, objective) each time a better valid plan was found


class UnitData:
    """The problem as arrays over unit positions 0..n-1, for fast sums."""

    def __init__(self, problem: Problem):
        units = problem.units
        self.problem = problem
        self.ids = list(units.index)
        self.pos = {u: k for k, u in enumerate(self.ids)}
        self.n = len(self.ids)
        self.pop = units["population"].to_numpy(float)
        self.xy = units[["x", "y"]].to_numpy(float)
        self.lad = units["lad"].astype(str).to_numpy() if "lad" in units else None
        self.community = units["community"].astype(str).to_numpy() if "community" in units else None
        self.imd = units["imd"].to_numpy(float) if "imd" in units else None
        self.imd_mean = problem.imd_mean
        if self.imd is not None:
            self.excess = self.pop * (self.imd - self.imd_mean)  # patient x IMD points above the reference
        self.graph = graph = problem.contiguity_graph()  # by unit id; ``adj`` by position
        self.adj: list[list[int]] = [[] for _ in range(self.n)]
        for a, b in graph.edges:
            i, j = self.pos[a], self.pos[b]
            self.adj[i].append(j)
            self.adj[j].append(i)
        for nbrs in self.adj:
            nbrs.sort()
        self.border: dict[tuple[int, int], float] = {}
        w = problem.weights
        if w.border:
            for (a, b), km in problem.border_km().items():
                i, j = sorted((self.pos[a], self.pos[b]))
                self.border[(i, j)] = km
        # units per authority; one with units beyond a part of a region is never held whole here
        self.lad_size: dict[str, float] = dict(Counter(self.lad)) if self.lad is not None else {}
        self.lad_size.update({g: math.inf for g in problem.lads_beyond})
        self.radius_m = problem.candidate_radius_km * 1000 if problem.candidate_radius_km else None
        # pair rules: unit -> list of (other unit, must be together?)
        self.pairs: dict[int, list[tuple[int, bool]]] = defaultdict(list)
        groups: dict[str, list[int]] = defaultdict(list)
        for unit, name in sorted(problem.fixed.items(), key=lambda kv: (str(kv[1]), str(kv[0]))):
            groups[f"fixed:{name}"].append(self.pos[unit])
        for k, grp in enumerate(problem.together):
            groups[f"together:{k}"].extend(self.pos[u] for u in grp)
        for members in groups.values():
            for a in members:
                for b in members:
                    if a != b:
                        self.pairs[a].append((b, True))
        anchors = [m[0] for key, m in sorted(groups.items()) if key.startswith("fixed:")]
        apart = [(self.pos[a], self.pos[b]) for a, b in problem.apart]
        apart += [(a, b) for k, a in enumerate(anchors) for b in anchors[k + 1 :]]
        for a, b in apart:
            self.pairs[a].append((b, False))
            self.pairs[b].append((a, False))

    def km(self, i: int, members: np.ndarray) -> np.ndarray:
        return np.hypot(*(self.xy[members] - self.xy[i]).T) / 1000


def district_cost(data: UnitData, members: np.ndarray, centres: np.ndarray | None = None) -> tuple[float, int]:
    """(cost, centre) of one consortium at its best centre: the model's objective terms that belong to a
    consortium (patient-km, health mismatch, deprivation gap, price per consortium), borders and splits aside.

    ``centres`` limits the centres considered (default: every member allowed by the candidate radius and the
    health floor); the cost is ``inf`` when none is allowed."""
    w = data.problem.weights
    pop = data.pop[members]
    xy = data.xy[members]
    options = members if centres is None else centres
    oxy = data.xy[options]
    dist = np.hypot(xy[:, None, 0] - oxy[None, :, 0], xy[:, None, 1] - oxy[None, :, 1])
    cost = w.compactness * (pop[:, None] * dist / 1000).sum(axis=0)
    if data.radius_m is not None:
        cost[(dist > data.radius_m + 1e-6).any(axis=0)] = np.inf
    if data.community is not None:
        same = data.community[members][:, None] == data.community[options][None, :]
        if w.health:
            cost += w.health * (pop[:, None] * ~same).sum(axis=0)
        floor = data.problem.health_floor
        if floor is not None:
            share = (pop[:, None] * same).sum(axis=0) / max(pop.sum(), 1e-9)
            cost[share < floor - 1e-12] = np.inf
    if data.imd is not None and w.deprivation:
        cost += w.deprivation * abs(data.excess[members].sum())
    cost += w.consortium
    best = int(np.argmin(cost))
    return float(cost[best]), int(options[best])


# -- blocks ---------------------------------------------------------------------------------------------------


@dataclass
class _Block:
    units: list[int]
    k: int


def _divisions(data: UnitData) -> list[list[_Block]]:
    """The divisions of the region into blocks to try, the preferred first (none: no count fits). With soft or
    no nesting each connected piece of the region is a block (the whole region, unless island links are not
    allowed), once for each count :func:`_counts` names that the pieces can share; under strict nesting the
    authorities fix the blocks and their counts (:func:`_nested_blocks`)."""
    problem = data.problem
    if problem.nesting == "strict":
        blocks = _nested_blocks(data)
        return [] if blocks is None else [blocks]
    lo, hi = problem.min_population, problem.max_population
    k_lo, k_hi = problem.count_range
    pieces = [sorted(p) for p in connected_pieces(range(data.n), data.adj)]
    sizes = [float(data.pop[p].sum()) for p in pieces]
    ranges = [_count_range(p, len(u), lo, hi) for p, u in zip(sizes, pieces)]
    if any(a > b for a, b in ranges):
        return []
    total = sum(sizes)
    divisions = []
    for k in _counts(total, lo, hi, k_lo, k_hi, problem.weights.consortium):
        ks = _share(sizes, ranges, k, k, total / k)
        if ks is not None:
            divisions.append([_Block(u, kp) for u, kp in zip(pieces, ks)])
    return divisions


def _nested_blocks(data: UnitData) -> list[_Block] | None:
    """Under strict nesting, how the region splits into independent blocks, with a count for each (None: no
    count fits).

    Construction and the local search keep every consortium inside its block and take each block to be in one
    piece, so every block is connected in the contiguity graph (island links as the problem allows them)."""
    problem = data.problem
    lo, hi = problem.min_population, problem.max_population
    k_lo, k_hi = problem.count_range
    total = float(data.pop.sum())
    assert data.lad is not None  # Problem refuses nesting without a 'lad' column
    lad_units: dict[str, list[int]] = defaultdict(list)
    for i, g in enumerate(data.lad):
        lad_units[g].append(i)
    lad_pop = {g: float(data.pop[m].sum()) for g, m in lad_units.items()}
    lad_graph = authority_graph(data.graph, dict(zip(data.ids, data.lad)), lad_units)
    # An authority's units need not meet inside it (an exclave; a town across an estuary when island links are not
    # allowed). Its consortia are then inside one of its pieces each, or it joins whole neighbours in one
    # consortium, and that union is in one piece only through the units of the authorities between.
    pieces = {g: [sorted(p) for p in connected_pieces(m, data.adj)] for g, m in lad_units.items()}

    def size(grp: AbstractSet[str]) -> float:
        return sum(lad_pop[h] for h in grp)

    def in_pieces(grp: AbstractSet[str]) -> int:
        return len(connected_pieces([i for h in grp for i in lad_units[h]], data.adj))

    def stands_alone(grp: AbstractSet[str]) -> bool:
        """An authority alone: each piece divides into consortia; a union (one consortium): the bounds, one piece."""
        if len(grp) == 1:
            a_b = [_count_range(float(data.pop[p].sum()), len(p), lo, hi) for p in pieces[next(iter(grp))]]
            return all(a <= b for a, b in a_b)
        return size(grp) >= lo and in_pieces(grp) == 1

    # authorities that cannot stand alone join whole neighbours, smallest first, the smallest union first (the one
    # that leaves the union in fewest pieces first, when an authority is in pieces)
    group_of = {g: frozenset([g]) for g in lad_units}
    for g in sorted(lad_units, key=lambda g: (lad_pop[g], g)):
        grp = group_of[g]
        while not stands_alone(grp):
            near = {group_of[h] for m in grp for h in lad_graph[m]} - {grp}
            # (an authority with units beyond a part of a region is never whole in it: it joins no union)
            fits = [o for o in near if size(grp) + size(o) <= hi and not (grp | o) & problem.lads_beyond]
            if not fits:
                return None
            grp = grp | min(fits, key=lambda o: (in_pieces(grp | o), size(o), sorted(o)))
            for h in grp:
                group_of[h] = grp
    groups = sorted(set(group_of.values()), key=lambda grp: sorted(grp))
    target = total / ((k_lo + k_hi) / 2)
    while True:
        # a union of whole authorities is one block and one consortium (dividing it would split its authorities);
        # an authority alone is one block per piece
        units = [
            [sorted(i for h in grp for i in lad_units[h])] if len(grp) > 1 else pieces[next(iter(grp))]
            for grp in groups
        ]
        blocks = [(x, u) for x, us in enumerate(units) for u in us]
        sizes = [float(data.pop[u].sum()) for _, u in blocks]
        ranges = [_count_range(p, len(u), lo, hi) for p, (_, u) in zip(sizes, blocks)]
        ranges = [(a, min(b, 1)) if len(groups[x]) > 1 else (a, b) for (a, b), (x, _) in zip(ranges, blocks)]
        if any(a > b for a, b in ranges):
            return None
        ks = _share(sizes, ranges, k_lo, k_hi, target)
        if ks is not None:
            break
        if sum(b for _, b in ranges) < k_lo:  # too few consortia even with each block divided the most
            return None
        # still too many consortia: join the two smallest neighbouring groups that fit in one and are one piece
        pairs = sorted(
            (size(groups[x]) + size(groups[y]), sorted(groups[x]), x, y)
            for x in range(len(groups))
            for y in range(x + 1, len(groups))
            if size(groups[x]) + size(groups[y]) <= hi
            and any(lad_graph.has_edge(g, h) for g in groups[x] for h in groups[y])
        )
        pair = next(((x, y) for _, _, x, y in pairs if in_pieces(groups[x] | groups[y]) == 1), None)
        if pair is None:
            return None
        x, y = pair
        groups = sorted([g for k, g in enumerate(groups) if k not in (x, y)] + [groups[x] | groups[y]], key=sorted)
    return [_Block(u, k) for (_, u), k in zip(blocks, ks)]


def _count_range(p: float, units: int, lo: int, hi: int) -> tuple[int, int]:
    """How many consortia a connected piece of p patients in ``units`` units can make (none when a > b)."""
    return max(1, math.ceil(p / hi - 1e-9)), min(units, math.floor(p / lo + 1e-9)) if lo else units


def _share(sizes: list[float], ranges: list[tuple[int, int]], k_lo: int, k_hi: int, target: float) -> list[int] | None:
    """A count for each block within its range, k_lo to k_hi in all, near ``target`` patients per consortium;
    None when the ranges cannot meet the total."""
    ks = [min(max(round(p / target), a), b) if target else a for p, (a, b) in zip(sizes, ranges)]
    # meet the region's count: add or remove consortia where the average size moves least
    while sum(ks) < k_lo or sum(ks) > k_hi:
        step = 1 if sum(ks) < k_lo else -1
        options = [k for k, (a, b) in enumerate(ranges) if a <= ks[k] + step <= b]
        if not options:
            return None
        best = min(options, key=lambda k: (abs(sizes[k] / (ks[k] + step) - target), k))
        ks[best] += step
    return ks


def _counts(total: float, lo: int, hi: int, k_lo: int, k_hi: int, price: float) -> list[int]:
    """The counts to try, in order: the most consortia the bounds allow first (compactness favours them), or the
    fewest when each is priced, then the others in turn. The bounds allow a count on paper that no plan may meet
    (a heavy unit, a narrow neck between two parts of the region), so each other count is a fallback."""
    feasible = [k for k in range(k_lo, k_hi + 1) if k * lo <= total <= k * hi]
    return feasible if price > 0 else feasible[::-1]


# -- construction: recursive spanning-tree bisection ----------------------------------------------------------


def _tree_partition(
    data: UnitData, units: list[int], k: int, rng: np.random.Generator, deadline: float, tries: int = 60
) -> list[list[int]] | None:
    """``units`` cut into ``k`` connected pieces within the population bounds, or None."""
    lo, hi = data.problem.min_population, data.problem.max_population
    remaining = np.array(sorted(units))
    parts: list[list[int]] = []
    while k > 1:
        total = float(data.pop[remaining].sum())
        cut = None
        for _ in range(tries):
            if time.perf_counter() > deadline:
                return None
            cut = _cut_subtree(data, remaining, k, lo, hi, total, rng)
            if cut is not None:
                break
        if cut is None:
            return None
        parts.append(sorted(cut))
        remaining = np.setdiff1d(remaining, cut, assume_unique=True)
        k -= 1
    total = float(data.pop[remaining].sum())
    if not lo - 1e-9 <= total <= hi + 1e-9:
        return None
    parts.append(sorted(remaining.tolist()))
    return parts


def _cut_subtree(data, nodes: np.ndarray, k: int, lo: float, hi: float, total: float, rng) -> list[int] | None:
    """One random spanning tree of ``nodes``; a subtree holding one consortium's worth of patients."""
    local = {int(u): t for t, u in enumerate(nodes)}
    rows, cols = [], []
    for t, u in enumerate(nodes):
        for v in data.adj[int(u)]:
            s = local.get(v)
            if s is not None and s > t:
                rows.append(t)
                cols.append(s)
    m = len(nodes)
    if not rows:
        return None
    weights = rng.random(len(rows)) + 1e-3
    tree = minimum_spanning_tree(coo_matrix((weights, (rows, cols)), shape=(m, m)).tocsr())
    tree = tree + tree.T
    root = int(rng.integers(m))
    order, parent = breadth_first_order(tree, root, directed=False, return_predecessors=True)
    if len(order) < m:
        return None  # the block is not connected
    sub = data.pop[nodes].astype(float).copy()
    for t in order[::-1][:-1]:
        sub[parent[t]] += sub[t]
    rest = total - sub
    ok = (sub >= lo - 1e-9) & (sub <= hi + 1e-9) & (rest >= (k - 1) * lo - 1e-9) & (rest <= (k - 1) * hi + 1e-9)
    ok[root] = False
    if not ok.any():
        return None
    candidates = np.flatnonzero(ok)
    aim = total / k
    closeness = np.abs(sub[candidates] - aim)
    pick = int(candidates[np.lexsort((rng.random(len(candidates)), closeness))[0]])
    children: dict[int, list[int]] = defaultdict(list)
    for t in order[1:]:
        children[int(parent[t])].append(int(t))
    out, stack = [], [pick]
    while stack:
        t = stack.pop()
        out.append(int(nodes[t]))
        stack.extend(children[t])
    return out


# -- local search ------------------------------------------------------------------------------------------


class _Search:
    """A plan as labels over unit positions, with the aggregates a move needs, kept up to date."""

    def __init__(self, data: UnitData, parts: list[list[int]], block_of_part: list[int], home: np.ndarray | None):
        self.d = data
        self.label = np.empty(data.n, dtype=int)
        for p, members in enumerate(parts):
            self.label[members] = p
        self.block = block_of_part
        self.members = [set(m) for m in parts]
        self.size = [float(data.pop[m].sum()) for m in parts]
        self.excess = [float(data.excess[m].sum()) if data.imd is not None else 0.0 for m in parts]
        self.lads = [Counter(data.lad[m]) if data.lad is not None else Counter() for m in parts]
        self.home = home  # the baseline's consortium of each unit (as a part number), for counting moves
        self.moved = int((self.label != home).sum()) if home is not None else 0
        self.centre = [district_cost(data, np.array(sorted(m)))[1] for m in parts]

    # penalties: what breaks a hard rule, zero for a valid plan
    def part_penalty(self, p: int, size: float, count: int, excess: float, same_trust: float) -> float:
        prob = self.d.problem
        lo, hi = prob.min_population, prob.max_population
        pen = max(0.0, lo - size) + max(0.0, size - hi)
        if prob.max_practices is not None:
            pen += 10_000 * max(0, count - prob.max_practices)
        if prob.imd_band is not None and size > 0:
            pen += max(0.0, abs(excess) - prob.imd_band * size)
        if prob.health_floor is not None:
            pen += max(0.0, prob.health_floor * size - same_trust)
        return pen

    def same_trust(self, p: int, members) -> float:
        if self.d.community is None:
            return 0.0
        c = self.d.community[self.centre[p]]
        return float(sum(self.d.pop[i] for i in members if self.d.community[i] == c))

    def moves_penalty(self, moved: int) -> float:
        cap = self.d.problem.max_moves
        return 0.0 if cap is None else 10_000.0 * max(0, moved - cap)

    def penalty(self) -> float:
        total = self.moves_penalty(self.moved)
        for p, m in enumerate(self.members):
            total += self.part_penalty(p, self.size[p], len(m), self.excess[p], self.same_trust(p, m))
            # a consortium in pieces breaks contiguity. No move cuts one (``connected_without``), so only the start
            # can hold one, such as a plan handed to ``improve_plan``
            total += HARD * max(0, len(connected_pieces(m, self.d.adj)) - 1)
        for i, rules in self.d.pairs.items():
            for j, together in rules:
                if i < j and (self.label[i] == self.label[j]) != together:
                    total += HARD
        return total

    def objective(self) -> float:
        """The model's objective for this plan (patient-km): per-consortium costs, borders, splits, moves."""
        d, w = self.d, self.d.problem.weights
        total = sum(
            district_cost(d, np.array(sorted(m)), np.array([self.centre[p]]))[0] for p, m in enumerate(self.members)
        )
        total += w.border * sum(km for (i, j), km in d.border.items() if self.label[i] != self.label[j])
        if d.problem.nesting == "soft":
            total += w.la_split * sum(self._splits(p) for p in range(len(self.members)))
        if self.home is not None:
            total += w.moves * self.moved
        return total

    def _splits(self, p: int, lads: Counter | None = None) -> int:
        lads = self.lads[p] if lads is None else lads
        if len(lads) <= 1:
            return 0
        return sum(1 for g, c in lads.items() if c < self.d.lad_size[g])

    def recentre(self) -> bool:
        """Move each centre to its consortium's best (a Lloyd step); True if any moved."""
        changed = False
        for p, m in enumerate(self.members):
            _, c = district_cost(self.d, np.array(sorted(m)))
            if c != self.centre[p]:
                self.centre[p], changed = c, True
        return changed

    def connected_without(self, p: int, i: int) -> bool:
        """Is consortium p still in one piece once unit i leaves it?"""
        group = self.members[p]
        if len(group) <= 1:
            return False
        start = next(u for u in group if u != i)
        seen, stack = {start, i}, [start]
        while stack:
            u = stack.pop()
            for v in self.d.adj[u]:
                if v not in seen and self.label[v] == p:
                    seen.add(v)
                    stack.append(v)
        return len(seen) == len(group)

    def delta(self, i: int, a: int, b: int) -> tuple[float, float]:
        """(penalty change, objective change) of moving unit i from consortium a to b, centres held."""
        d, w = self.d, self.d.problem.weights
        pi = d.pop[i]
        ei = d.excess[i] if d.imd is not None else 0.0
        ma, mb = self.members[a], self.members[b]
        # penalty
        sa, sb = self.same_trust(a, ma), self.same_trust(b, mb)
        ti_a = pi if d.community is not None and d.community[i] == d.community[self.centre[a]] else 0.0
        ti_b = pi if d.community is not None and d.community[i] == d.community[self.centre[b]] else 0.0
        pen = (
            self.part_penalty(a, self.size[a] - pi, len(ma) - 1, self.excess[a] - ei, sa - ti_a)
            + self.part_penalty(b, self.size[b] + pi, len(mb) + 1, self.excess[b] + ei, sb + ti_b)
            - self.part_penalty(a, self.size[a], len(ma), self.excess[a], sa)
            - self.part_penalty(b, self.size[b], len(mb), self.excess[b], sb)
        )
        for j, together in d.pairs.get(i, ()):
            before = bool(self.label[j] == a) != together
            after = bool(self.label[j] == b) != together
            pen += HARD * (int(after) - int(before))
        if self.home is not None:
            moved = self.moved + int(b != self.home[i]) - int(a != self.home[i])
            pen += self.moves_penalty(moved) - self.moves_penalty(self.moved)
        # objective
        ca, cb = self.centre[a], self.centre[b]
        obj = w.compactness * pi * (math.dist(d.xy[i], d.xy[cb]) - math.dist(d.xy[i], d.xy[ca])) / 1000
        if d.community is not None and w.health:
            obj += w.health * ((pi - ti_b) - (pi - ti_a))
        if d.imd is not None and w.deprivation:
            obj += w.deprivation * (
                abs(self.excess[a] - ei) + abs(self.excess[b] + ei) - abs(self.excess[a]) - abs(self.excess[b])
            )
        if d.border and w.border:
            for j in d.adj[i]:
                km = d.border.get((min(i, j), max(i, j)), 0.0)
                obj += w.border * km * (int(self.label[j] == a) - int(self.label[j] == b))
        if d.problem.nesting == "soft" and w.la_split and d.lad is not None:
            g = d.lad[i]
            la, lb = Counter(self.lads[a]), Counter(self.lads[b])
            la[g] -= 1
            if not la[g]:
                del la[g]
            lb[g] += 1
            obj += w.la_split * (self._splits(a, la) + self._splits(b, lb) - self._splits(a) - self._splits(b))
        if self.home is not None and w.moves:
            obj += w.moves * (int(b != self.home[i]) - int(a != self.home[i]))
        return pen, obj

    def move(self, i: int, a: int, b: int) -> None:
        d = self.d
        self.label[i] = b
        self.members[a].discard(i)
        self.members[b].add(i)
        self.size[a] -= d.pop[i]
        self.size[b] += d.pop[i]
        if d.imd is not None:
            self.excess[a] -= d.excess[i]
            self.excess[b] += d.excess[i]
        if d.lad is not None:
            self.lads[a][d.lad[i]] -= 1
            if not self.lads[a][d.lad[i]]:
                del self.lads[a][d.lad[i]]
            self.lads[b][d.lad[i]] += 1
        if self.home is not None:
            self.moved += int(b != self.home[i]) - int(a != self.home[i])

    def sweep(self, rng: np.random.Generator, deadline: float) -> bool:
        """One pass over the border units in random order, taking every move that lowers (penalty,
        objective) lexicographically; True if any move was made."""
        improved = False
        order: list[int] = rng.permutation(self.d.n).tolist()
        for i in order:
            if time.perf_counter() > deadline:
                break
            a = self.label[i]
            if i == self.centre[a]:
                continue
            targets = sorted({self.label[j] for j in self.d.adj[i]} - {a})
            targets = [b for b in targets if self.block[b] == self.block[a]]
            if not targets:
                continue
            scored = sorted((self.delta(i, a, b), b) for b in targets)
            (pen, obj), b = scored[0]
            if (pen < -1e-9 or (pen <= 1e-9 and obj < -1e-9)) and self.connected_without(a, i):
                self.move(i, a, b)
                improved = True
        return improved


def first_plan(problem: Problem, time_limit: float, seed: int = 0, attempts: int | None = 2) -> HeuristicPlan | None:
    """A plan meeting every hard rule, as good as ``time_limit`` seconds of local search make it; None when
    none was found in time (the exact model then decides whether one exists).

    Each attempt builds a plan from new random spanning trees (the first from the baseline plan, when there
    is one) and improves it until no move helps; ``attempts=None`` keeps starting new ones until the time is
    up and keeps the best. An attempt that gives no valid plan hands over to the next division into blocks
    (:func:`_divisions`; with soft or no nesting, the next count), and after the last back to the first."""
    started = time.perf_counter()
    deadline = started + max(0.0, time_limit)
    rng = np.random.default_rng(seed)
    data = UnitData(problem)
    log: list[str] = []
    divisions = _divisions(data)
    if not divisions:
        log.append("heuristic: no division into blocks meets the bounds and the count")
        return None
    best: _Search | None = None
    best_objective = math.inf
    progress: list[tuple[float, float]] = []
    attempt = 0
    choice = 0  # which of the divisions this attempt uses
    while time.perf_counter() < deadline and (best is None or attempts is None or attempt < attempts):
        attempt += 1
        blocks = divisions[choice]
        block_of_unit = np.empty(data.n, dtype=int)
        for b, block in enumerate(blocks):
            block_of_unit[block.units] = b
        parts = _baseline_parts(data, blocks, block_of_unit) if attempt == 1 and problem.baseline is not None else None
        if parts is None:
            parts = []
            for block in blocks:
                pieces = _tree_partition(data, block.units, block.k, rng, deadline)
                if pieces is None:
                    parts = None
                    break
                parts += pieces
        if parts is None:
            count = sum(block.k for block in blocks)
            log.append(f"heuristic attempt {attempt}: no balanced spanning-tree cut found into {count} consortia")
            choice = (choice + 1) % len(divisions)
            continue
        home = _match_baseline(data, parts) if problem.baseline is not None else None
        search = _Search(data, parts, [int(block_of_unit[p[0]]) for p in parts], home)
        _descend(search, rng, deadline)
        pen, objective = search.penalty(), search.objective()
        log.append(f"heuristic attempt {attempt}: {len(parts)} consortia, penalty {pen:g}, objective {objective:,.1f}")
        if pen > 1e-9:
            choice = (choice + 1) % len(divisions)
        elif objective < best_objective:
            best, best_objective = search, objective
            progress.append((time.perf_counter() - started, objective))
    if best is None:
        return None
    centres = {data.ids[i]: data.ids[best.centre[best.label[i]]] for i in range(data.n)}
    return HeuristicPlan(centres, best_objective, time.perf_counter() - started, log, progress)


def _descend(search: _Search, rng: np.random.Generator, deadline: float) -> None:
    """Sweep and re-centre until no move helps or the deadline passes."""
    while time.perf_counter() < deadline:
        moved = search.sweep(rng, deadline)
        if not search.recentre() and not moved:
            break


def improve_plan(problem: Problem, groups: dict, time_limit: float, seed: int = 0) -> HeuristicPlan | None:
    """The local search started from a given plan (unit -> any label, e.g. a plan the labelling model found
    when construction failed), with nesting soft or off (the whole region one block); None if the plan breaks
    a hard rule by this module's count. Centres are chosen by the search, so the plan comes back priced as
    the model prices it."""
    if problem.nesting == "strict":
        raise ValueError("improve_plan keeps plans of one block: nesting soft or off")
    started = time.perf_counter()
    data = UnitData(problem)
    by_label: dict = defaultdict(list)
    for unit, label in groups.items():
        by_label[label].append(data.pos[unit])
    parts = sorted((sorted(m) for m in by_label.values()), key=lambda m: m[0])
    home = _match_baseline(data, parts) if problem.baseline is not None else None
    search = _Search(data, parts, [0] * len(parts), home)
    _descend(search, np.random.default_rng(seed), started + max(0.0, time_limit))
    if search.penalty() > 1e-9:
        return None
    objective = search.objective()
    centres = {data.ids[i]: data.ids[search.centre[search.label[i]]] for i in range(data.n)}
    seconds = time.perf_counter() - started
    log = [f"local search from the labelling model's plan: objective {objective:,.1f} in {seconds:.1f} s"]
    return HeuristicPlan(centres, objective, seconds, log, [(seconds, objective)])


def _baseline_parts(data: UnitData, blocks: list[_Block], block_of_unit: np.ndarray) -> list[list[int]] | None:
    """The baseline plan's consortia (each connected piece apart) as a start, when each lies in one block and,
    under strict nesting with several blocks, every block holds as many as it should (so moves inside a block
    keep the nesting; with soft or no nesting the blocks are the region's pieces, which no move crosses)."""
    baseline = data.problem.baseline
    assert baseline is not None  # called only for a problem with a baseline plan
    base = baseline.reindex(data.ids).astype(str).to_numpy()
    parts: list[list[int]] = []
    for label in sorted(set(base)):
        parts += [sorted(piece) for piece in connected_pieces(np.flatnonzero(base == label).tolist(), data.adj)]
    if any(len(set(block_of_unit[p])) > 1 for p in parts):
        return None
    k_lo, k_hi = data.problem.count_range
    if len(blocks) == 1 or data.problem.nesting != "strict":
        return parts if k_lo <= len(parts) <= k_hi else None
    per_block = Counter(int(block_of_unit[p[0]]) for p in parts)
    if any(per_block[b] != block.k for b, block in enumerate(blocks)):
        return None
    return parts


def _match_baseline(data: UnitData, parts: list[list[int]]) -> np.ndarray:
    """Each unit's 'home' part: the part matched (by most shared units) to its baseline consortium."""
    from scipy.optimize import linear_sum_assignment

    baseline = data.problem.baseline
    assert baseline is not None  # called only for a problem with a baseline plan
    base = baseline.reindex(data.ids).astype(str).to_numpy()
    labels = sorted(set(base))
    col = {x: k for k, x in enumerate(labels)}
    overlap = np.zeros((len(parts), len(labels)))
    for p, members in enumerate(parts):
        for i in members:
            overlap[p, col[base[i]]] += 1
    rows, cols = linear_sum_assignment(overlap, maximize=True)
    part_of_label = {labels[c]: r for r, c in zip(rows, cols)}
    return np.array([part_of_label.get(base[i], -1) for i in range(data.n)])


def plan_objective(problem: Problem, centres: dict) -> float:
    """The model's objective of a plan given as unit -> centre unit (the heuristic's own count of it)."""
    data = UnitData(problem)
    order = sorted(set(centres.values()), key=lambda c: data.pos[c])
    part = {c: p for p, c in enumerate(order)}
    parts: list[list[int]] = [[] for _ in order]
    for unit, centre in centres.items():
        parts[part[centre]].append(data.pos[unit])
    home = _match_baseline(data, parts) if problem.baseline is not None else None
    search = _Search(data, parts, [0] * len(parts), home)
    search.centre = [data.pos[c] for c in order]
    return search.objective()
