"""The neighbour graph of a region's practices: who can be in a contiguous consortium with whom.

Two practices are neighbours when their catchment cells share a stretch of boundary. The shared length
(metres) goes on the edge as ``length`` so that compactness measures can weigh a long common border above a
short one.

* Lengths are measured on the overlay of the two cell boundaries with a 1 cm precision grid (GEOS
  snap-rounding): cells clipped to two neighbouring LADs carry different vertices along the same LAD border,
  and a plain floating-point intersection would see only points there. Contacts shorter than
  :data:`MIN_SHARED_M` are corner touches blown up by that rounding and do not count ("points touching don't
  count").
* Practices sharing a building are always mutual neighbours: their sector pieces meet at the site, and pairs
  of sectors that touch only at that point get an edge with ``length = 0`` and ``colocated = True``.
* A region's graph is always connected. Islands (Isle of Wight, Isles of Scilly, ...) and any other piece cut
  off from the rest are joined by explicit edges with ``island = True`` and ``length = 0`` between the nearest
  pair of practices (surgery to surgery, ``distance`` in metres): the smallest component is linked to the rest
  first, and so on until one component remains. A plan can list these edges and report them as exceptions.

Edge attributes: ``length`` (float m), ``island`` (bool), ``colocated`` (bool), ``cross_lad`` (bool: the two
cells lie in different LADs), and ``distance`` on island edges. Node attributes: patients, lad, imd,
main_trust, x, y (copied from the practices table).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from boundaries.data.cells import main_polygons

MIN_SHARED_M = 1.0
GRID_M = 0.01
NODE_ATTRIBUTES = ("patients", "lad", "imd", "main_trust", "x", "y")


def shared_boundaries(cells: gpd.GeoDataFrame) -> pd.DataFrame:
    """Pairs of cells sharing at least :data:`MIN_SHARED_M` of boundary: columns a, b (codes, a < b),
    length. Only each cell's own piece counts (:func:`boundaries.data.cells.main_polygons`): an island part
    touching another cell is not a way between the two practices on the ground."""
    geoms = main_polygons(cells)
    codes = cells.index.to_numpy()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    bounds = shapely.boundary(geoms)
    length = shapely.length(shapely.intersection(bounds[left], bounds[right], grid_size=GRID_M))
    ok = length >= MIN_SHARED_M
    a, b = codes[left[ok]], codes[right[ok]]
    swap = a > b
    a, b = np.where(swap, b, a), np.where(swap, a, b)
    frame = pd.DataFrame({"a": a, "b": b, "length": np.round(length[ok], 2)})
    return frame.sort_values(["a", "b"]).reset_index(drop=True)


def _colocated_groups(practices: pd.DataFrame) -> list[list[str]]:
    groups = practices.groupby(["x", "y"], sort=True).groups
    return [sorted(map(str, idx)) for idx in groups.values() if len(idx) > 1]


def link_islands(graph: nx.Graph, practices: pd.DataFrame) -> list[tuple[str, str, float]]:
    """Join the components of ``graph`` with island edges until it is connected; return the edges added.

    Always the smallest component first (ties: the one with the smallest code), linked by the closest pair of
    surgeries between it and every other practice, so the result does not depend on set ordering.
    """
    added: list[tuple[str, str, float]] = []
    xy = practices[["x", "y"]]
    lad = practices["lad"]
    while True:
        components = sorted((sorted(c) for c in nx.connected_components(graph)), key=lambda c: (len(c), c[0]))
        if len(components) <= 1:
            return added
        island = components[0]
        rest = sorted(set(graph.nodes) - set(island))
        tree = cKDTree(xy.loc[rest].to_numpy())
        dist, idx = tree.query(xy.loc[island].to_numpy(), k=1)
        best = int(np.lexsort((np.arange(len(island)), dist))[0])
        a, b, d = island[best], rest[int(idx[best])], float(dist[best])
        graph.add_edge(
            a,
            b,
            length=0.0,
            island=True,
            colocated=False,
            cross_lad=lad[a] != lad[b],
            distance=round(d, 1),
        )
        added.append((a, b, round(d, 1)))


def build_graph(practices: pd.DataFrame, cells: gpd.GeoDataFrame) -> nx.Graph:
    """The connected neighbour graph of the practices (index code) whose cells (same index) are given."""
    graph = nx.Graph()
    rows = practices[list(NODE_ATTRIBUTES)].itertuples(index=False)
    for code, row in zip(practices.index, rows, strict=True):
        attrs = dict(zip(NODE_ATTRIBUTES, row))
        attrs["patients"] = int(attrs["patients"])
        graph.add_node(str(code), **attrs)
    lad = practices["lad"]
    pairs = shared_boundaries(cells)
    for a, b, length in pairs.itertuples(index=False):
        graph.add_edge(a, b, length=float(length), island=False, colocated=False, cross_lad=lad[a] != lad[b])
    for group in _colocated_groups(practices):
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                if graph.has_edge(a, b):
                    graph.edges[a, b]["colocated"] = True
                else:
                    graph.add_edge(a, b, length=0.0, island=False, colocated=True, cross_lad=False)
    link_within_lads(graph, practices)
    link_islands(graph, practices)
    return graph


def link_within_lads(graph: nx.Graph, practices: pd.DataFrame) -> list[tuple[str, str, float]]:
    """Join the pieces of each authority that hold practices but do not touch each other (Sheppey and the
    rest of Swale, Runcorn and Widnes across the Mersey in Halton) with island links inside the authority.

    Without them a consortium of the whole authority could not be contiguous, and strict nesting would have to
    merge it with its neighbours; with them it is, through an explicit link that plans report. Authorities in
    code order, each joined as :func:`link_islands` joins a region.
    """
    added: list[tuple[str, str, float]] = []
    for _, codes in practices.groupby("lad", sort=True).groups.items():
        inside = graph.subgraph(sorted(map(str, codes)))
        if nx.is_connected(inside):
            continue
        inside = inside.copy()
        links = link_islands(inside, practices)
        for a, b, _ in links:
            graph.add_edge(a, b, **inside.edges[a, b])
        added += links
    return added


def island_edges(graph: nx.Graph) -> list[tuple[str, str]]:
    """The explicit island links of a graph, sorted (for reports)."""
    return sorted((min(a, b), max(a, b)) for a, b, d in graph.edges(data=True) if d.get("island"))


def connected_pieces(members, neighbours) -> list[set]:
    """The connected pieces of ``members`` (any iterable of nodes) where ``neighbours[node]`` lists a node's
    neighbours: plain lists or sets, for the inner loops (local search, column checks) where a networkx
    subgraph per call would cost more than the search itself."""
    left, out = set(members), []
    while left:
        start = min(left)
        piece, stack = {start}, [start]
        while stack:
            for v in neighbours[stack.pop()]:
                if v in left and v not in piece:
                    piece.add(v)
                    stack.append(v)
        left -= piece
        out.append(piece)
    return out


def authority_graph(
    graph: nx.Graph, lad: Mapping[Hashable, Hashable], authorities: Iterable[Hashable] = ()
) -> nx.Graph:
    """The local authorities' neighbour graph of a graph of units (``lad``: each unit's authority): two
    authorities are neighbours where a unit of one is a neighbour of a unit of the other.

    This is ``nx.quotient_graph`` of the partition by authority, with authorities as nodes; built here in one
    pass over the edges because ``quotient_graph`` tests every pair of authorities (2.3 s for London against
    9 ms). Its nodes are ``authorities`` in their order, then any other authority of a unit, in ``graph``'s
    order; its edges come in ``graph``'s edge order, so that it iterates the same way on every run.
    """
    out = nx.Graph()
    out.add_nodes_from(authorities)
    out.add_nodes_from(lad[u] for u in graph)
    out.add_edges_from((lad[a], lad[b]) for a, b in graph.edges if lad[a] != lad[b])
    return out
