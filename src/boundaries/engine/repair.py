"""Turn a plan whose consortia came back in pieces into a connected one, when that is easy.

The exact model adds contiguity cuts and solves again, which can take long on dense cities. Meanwhile a plan in
pieces is usually one small piece away from valid: each cut-off piece joins the adjacent consortium whose centre
is nearest, preferring one with room for it. A consortium that overflows (or one left too small) is then
rebalanced by handing single border units to a neighbour, never cutting either side in two. The result is only
used if the independent validator accepts it; it gives the solve loop a connected incumbent and a warm start for
the next round.
"""

from __future__ import annotations

import math
from collections import defaultdict

import networkx as nx

from boundaries.engine.problem import Problem


def reconnect(centres: dict[str, str], problem: Problem, graph: nx.Graph) -> dict[str, str] | None:
    """unit -> centre with every consortium connected, or None when pieces cannot be placed within bounds."""
    pop = problem.units["population"].to_dict()
    xy = problem.units[["x", "y"]].to_dict("index")
    plan = dict(centres)
    members: dict[str, set[str]] = defaultdict(set)
    for unit, centre in plan.items():
        members[centre].add(unit)
    pieces = []
    for centre, group in members.items():
        for part in nx.connected_components(graph.subgraph(group)):
            if centre not in part:
                pieces.append(part)
    total = {c: sum(pop[u] for u in g) for c, g in members.items()}

    def cost(units: set[str], c: str) -> float:
        return sum(pop[u] * math.hypot(xy[u]["x"] - xy[c]["x"], xy[u]["y"] - xy[c]["y"]) for u in units)

    def move(units: set[str], old: str, new: str) -> None:
        for u in units:
            plan[u] = new
        members[old] -= units
        members[new] |= units
        weight = sum(pop[u] for u in units)
        total[old] -= weight
        total[new] += weight

    for piece in sorted(pieces, key=lambda p: (-len(p), min(p))):
        weight = sum(pop[u] for u in piece)
        old = plan[next(iter(piece))]
        nearby = {plan[v] for u in piece for v in graph[u]} - {old}
        if not nearby:
            return None
        # room first, then distance; an overflow is left to the rebalancing below
        best = min(nearby, key=lambda c: (total[c] + weight > problem.max_population, cost(piece, c), c))
        move(piece, old, best)

    # Rebalance: hand border units from a consortium above the maximum (or to one below the minimum) to a
    # neighbour, cheapest first, keeping both sides connected. Each move mends part of one excess; the cap on
    # the number of moves only guards against cycling.
    lo, hi = problem.min_population, problem.max_population
    for _ in range(len(plan)):
        over = sorted((c for c in total if total[c] > hi), key=lambda c: (-total[c], c))
        under = sorted((c for c in total if 0 < total[c] < lo), key=lambda c: (total[c], c))
        if not over and not under:
            return plan
        options = []
        for c in over[:1]:  # give a unit away: the taker must stay within the maximum
            for u in _movable(members[c], c, graph):
                for d in {plan[v] for v in graph[u]} - {c}:
                    if total[d] + pop[u] <= hi and total[c] - pop[u] >= lo:
                        options.append((cost({u}, d) - cost({u}, c), u, c, d))
        for d in under[:1]:  # take a unit in: the giver must stay within the minimum
            for c in {plan[v] for u in members[d] for v in graph[u]} - {d}:
                for u in _movable(members[c], c, graph):
                    if d in {plan[v] for v in graph[u]} and total[c] - pop[u] >= lo and total[d] + pop[u] <= hi:
                        options.append((cost({u}, d) - cost({u}, c), u, c, d))
        if not options:
            return None
        _, u, c, d = min(options)
        move({u}, c, d)
    return None


def _movable(group: set[str], centre: str, graph: nx.Graph) -> list[str]:
    """Units of a consortium that can leave it without cutting it in two (not its centre, not a cut vertex)."""
    if len(group) < 2:
        return []
    cut = set(nx.articulation_points(graph.subgraph(group)))
    return sorted(u for u in group if u != centre and u not in cut)
