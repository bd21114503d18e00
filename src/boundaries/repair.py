"""Turn a plan whose consortia came back in pieces into a connected one, when that is easy.

The exact model adds contiguity cuts and solves again, which can take long on dense cities. Meanwhile a plan in
pieces is usually one small piece away from valid: each cut-off piece joins the adjacent consortium whose centre
is nearest, within the population bounds. The result is only used if the independent validator accepts it; it
gives the solve loop a connected incumbent and a warm start for the next round.
"""

from __future__ import annotations

import math
from collections import defaultdict

import networkx as nx

from .problem import Problem


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
    for piece in sorted(pieces, key=lambda p: (-len(p), min(p))):
        weight = sum(pop[u] for u in piece)
        old = plan[next(iter(piece))]
        nearby = {plan[v] for u in piece for v in graph[u]} - {old}
        options = [c for c in nearby if total[c] + weight <= problem.max_population]
        if not options:
            return None

        def cost(c: str, piece: set[str] = piece) -> float:
            return sum(pop[u] * math.hypot(xy[u]["x"] - xy[c]["x"], xy[u]["y"] - xy[c]["y"]) for u in piece)

        best = min(options, key=lambda c: (cost(c), c))
        for u in piece:
            plan[u] = best
        total[best] += weight
        total[old] -= weight
    if any(t < problem.min_population for t in total.values() if t > 0):
        return None
    return plan
