"""Catchment cells: the area each practice answers for, tiling every local authority exactly.

A consortium must cover an area, not only a list of practices, and the policy papers place a practice by its
main surgery inside a local authority. So cells are built *per LAD*: the Voronoi diagram of the LAD's practice
sites, clipped to the LAD polygon. That gives, by construction,

* every cell inside exactly one LAD (column ``lad``),
* no overlaps (Voronoi cells of one diagram only share edges; LADs were made non-overlapping at build time),
* the union of a region's cells equal to the union of its LADs (each LAD is cut into its cells, nothing else).

Cells depend only on the LAD and its practices, never on the region asked for, so a practice has the same cell
in every region that contains it (an SHA, a list of LADs or a list of CCGs).

**Practices sharing a building** (625 positions hold 1,480 practices after geocoding: health centres, and
coordinates rounded to about 100 m). The Voronoi diagram is built on the distinct positions; the cell of a
shared position is then split into equal-angle sectors around the site: sector ``k`` of ``n`` spans the
bearings ``360*k/n`` to ``360*(k+1)/n`` degrees clockwise from grid north, and the practices take the sectors
in ODS code order. Each co-located practice gets its own non-empty piece touching the shared site; consecutive
sectors share a ray (a boundary of positive length), and :mod:`boundaries.data.graph` also joins every pair of
co-located practices so they are always mutual neighbours. The answer is deterministic and needs no invented
data (such as list-size weighted areas) that would pretend to know where each practice's patients live.

**Cells in one piece.** A Voronoi cell clipped to a concave or ragged LAD boundary can fall into pieces, and a
fragment away from its practice would touch cells that the practice's own piece does not: the graph would get
an edge through a sliver, and a "connected" consortium an area in pieces. So each cell is cleaned, per LAD:

* the practice's own piece is the part of its (sector of its) clipped Voronoi cell holding, or nearest to, its
  site;
* every other part (a *fragment*) goes to the neighbouring cell of the same LAD with which it shares the
  longest border, among the cells whose connected piece it touches along a line; a fragment touching only
  other fragments waits for them, so chains resolve in rounds (:func:`_hand_off`); only same-LAD cells take
  fragments, so every cell stays inside one LAD;
* a part of the LAD polygon holding no practice site (an island of the LAD, or land reached only through a
  corner) is an *island part*: it goes whole to the nearest practice of the LAD (ties: the smaller code) and is
  kept as an extra part of that cell, counted in ``island_parts`` and ``island_km2``. The first part of such a
  MultiPolygon is always the own piece (:func:`main_polygons`), and adjacency is judged on own pieces only, so
  an island part never makes a neighbour.

So every cell is one polygon, or one polygon plus marked island parts; the tiling is unchanged.

**A LAD without any practice** has no cell: it cannot be covered without breaking "every cell inside one LAD".
:func:`build_cells` returns it in ``empty_lads`` and the region drops it from its territory with a note. With
the 2014 data this never happens (every one of the 326 LADs has at least one practice; the build report says
so).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

BNG = "EPSG:27700"
_MAX_STEP = np.pi / 8  # arc resolution of the sector polygons (they are only used to cut, never stored)
GRID_M = 0.01  # precision grid (m) on which shared borders of fragments are measured, as in the graph


@dataclass
class CellResult:
    """The cells (GeoDataFrame, index ``code``, columns ``lad``, ``island_parts``, ``island_km2``) and what
    needs reporting: LADs without a practice, shared positions, island parts and fragments handed over."""

    cells: gpd.GeoDataFrame
    empty_lads: list[str] = field(default_factory=list)
    shared_positions: int = 0
    islands: list[IslandPart] = field(default_factory=list)
    fragments: int = 0


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Drop the points and lines an overlay may leave; always a (Multi)Polygon."""
    if shapely.get_type_id(geom) in (3, 6):
        return geom
    parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (3, 6)]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def sectors(site: tuple[float, float], n: int, radius: float) -> list[shapely.Polygon]:
    """``n`` equal-angle wedges around ``site`` (clockwise from grid north), each reaching past ``radius``.

    Consecutive wedges are built from the very same ray end points, so they share that edge exactly.
    """
    x, y = site
    bearings = 2 * np.pi * np.arange(n + 1) / n
    reach = radius / np.cos(_MAX_STEP / 2) + 1.0
    out = []
    for k in range(n):
        steps = max(2, int(np.ceil((bearings[k + 1] - bearings[k]) / _MAX_STEP)) + 1)
        arc = np.linspace(bearings[k], bearings[k + 1], steps)
        arc[0], arc[-1] = bearings[k], bearings[k + 1]
        ring = [(x, y)] + [(x + reach * np.sin(b), y + reach * np.cos(b)) for b in arc]
        out.append(shapely.Polygon(ring))
    return out


def split_shared(cell: shapely.Geometry, site: tuple[float, float], n: int) -> list[shapely.Geometry]:
    """Cut the cell of a shared site into ``n`` sector pieces (in bearing order)."""
    xmin, ymin, xmax, ymax = cell.bounds
    radius = float(
        np.hypot(max(abs(xmin - site[0]), abs(xmax - site[0])), max(abs(ymin - site[1]), abs(ymax - site[1])))
    )
    wedges = sectors(site, n, radius)
    return [_polygonal(g) for g in shapely.intersection(cell, np.array(wedges, dtype=object))]


def _lad_cells(lad_geom: shapely.Geometry, xy: np.ndarray) -> np.ndarray:
    """Voronoi cells of distinct positions ``xy`` (m x 2) clipped to the LAD, in the order of ``xy``."""
    if len(xy) == 1:
        return np.array([lad_geom], dtype=object)
    diagram = shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=lad_geom, ordered=True)
    parts = shapely.get_parts(diagram)
    clipped = shapely.intersection(parts, lad_geom)
    return np.array([_polygonal(g) for g in clipped], dtype=object)


def _raw_pieces(lad_geom: shapely.Geometry, group: pd.DataFrame) -> tuple[list[shapely.Geometry], int]:
    """Each practice's clipped Voronoi cell (or sector of a shared site's cell), in the order of ``group``,
    before cleaning (possibly in several parts); and the number of shared positions."""
    keys = group[["x", "y"]].to_numpy()
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    cells = _lad_cells(lad_geom, uniq)
    raw: list[shapely.Geometry] = [shapely.Polygon()] * len(group)
    shared = 0
    for u in range(len(uniq)):
        members = np.flatnonzero(inverse == u)
        if len(members) == 1:
            raw[members[0]] = cells[u]
            continue
        shared += 1
        pieces = split_shared(cells[u], (float(uniq[u, 0]), float(uniq[u, 1])), len(members))
        for k, piece in zip(members, pieces, strict=True):
            raw[k] = piece
    return raw, shared


@dataclass
class _LadParts:
    """The polygon parts of one LAD's raw cells: ``owner`` (practice position in the LAD's group), the LAD
    component each lies in, and ``label``: the practice it ends up in (-1 while undecided)."""

    geoms: np.ndarray
    owner: np.ndarray
    component: np.ndarray
    label: np.ndarray


def _explode(raw: list[shapely.Geometry], components: np.ndarray) -> _LadParts:
    """Every polygon part of every raw cell, with its owner and the LAD component (polygon part) it lies in:
    fragments may only move within their component, and components without a site are islands."""
    geoms = np.array([p for g in raw for p in shapely.get_parts(g) if not p.is_empty], dtype=object)
    owner = np.array([k for k, g in enumerate(raw) for p in shapely.get_parts(g) if not p.is_empty], dtype=np.int64)
    # a part lies inside one component: its interior point is nearest (distance 0) to exactly that one
    _, comp = shapely.STRtree(components).query_nearest(shapely.point_on_surface(geoms), all_matches=False)
    return _LadParts(geoms, owner, np.asarray(comp, dtype=np.int64), np.full(len(geoms), -1, dtype=np.int64))


def _own_parts(parts: _LadParts, sites: np.ndarray) -> np.ndarray:
    """Index of each practice's own part: the one holding (or nearest to) its site; ties the larger."""
    distance = shapely.distance(parts.geoms, sites[parts.owner])
    order = np.lexsort((np.arange(len(parts.geoms)), -shapely.area(parts.geoms), distance, parts.owner))
    first = np.ones(len(order), dtype=bool)
    first[1:] = parts.owner[order][1:] != parts.owner[order][:-1]
    own = np.full(len(sites), -1, dtype=np.int64)
    own[parts.owner[order][first]] = order[first]
    return own


def _borders(parts: _LadParts, fragments: np.ndarray) -> dict[int, list[tuple[int, float]]]:
    """For each fragment, the parts of its LAD component that it touches along a line, and the shared length.

    Lengths are measured on a 1 cm grid, as in the graph (cells carry different vertices along one border).
    Contact itself is checked exactly (GEOS relate: the boundaries share a line, or the interiors overlap by a
    hair), because across a hairline channel of a LAD polygon two parts can look adjacent on the grid while
    touching only at points, and their union would not be one piece.
    """
    tree = shapely.STRtree(parts.geoms)
    left, right = tree.query(parts.geoms[fragments], predicate="intersects")
    left = fragments[left]
    keep = (left != right) & (parts.component[left] == parts.component[right])
    left, right = left[keep], right[keep]
    a, b = parts.geoms[left], parts.geoms[right]
    line = shapely.relate_pattern(a, b, "****1****") | shapely.relate_pattern(a, b, "2********")
    left, right = left[line], right[line]
    bounds = shapely.boundary(parts.geoms)
    length = shapely.length(shapely.intersection(bounds[left], bounds[right], grid_size=GRID_M))
    out: dict[int, list[tuple[int, float]]] = {int(f): [] for f in fragments}
    for i, j, m in zip(left.tolist(), right.tolist(), length.tolist(), strict=True):
        out[i].append((j, m))
    return out


def _hand_off(parts: _LadParts, fragments: np.ndarray) -> list[int]:
    """Give every fragment it can to a practice of its component, so that each cell stays in one piece; return
    the fragments left over (they touch the rest of the LAD only at points: island parts).

    In each round a fragment joins the cell with which it shares the longest border (ties: the smaller code),
    among the cells whose connected piece (own part plus the fragments already given to it) it touches along a
    line. A fragment surrounded only by other fragments waits for them, so chains resolve in later rounds;
    within a round every choice is made on the labels the round started with, so the order does not matter.
    """
    touching = _borders(parts, fragments)
    pending = sorted(int(f) for f in fragments)
    while pending:
        labels = parts.label.copy()
        for f in pending:
            score: dict[int, float] = defaultdict(float)
            for other, m in touching[f]:
                if labels[other] >= 0:
                    score[int(labels[other])] += m
            if score:
                parts.label[f] = min(score, key=lambda k: (-score[k], k))
        still = [f for f in pending if parts.label[f] < 0]
        if len(still) == len(pending):
            return still
        pending = still
    return []


@dataclass
class IslandPart:
    """A part of a LAD that holds no practice, given whole to the nearest practice of the LAD."""

    lad: str
    code: str
    area_m2: float
    distance_m: float


def _clean_lad(
    lad: str, lad_geom: shapely.Geometry, codes: np.ndarray, sites: np.ndarray, raw: list[shapely.Geometry]
) -> tuple[list[shapely.Geometry], list[IslandPart], int]:
    """Each practice's cell in one piece plus its island parts; the island parts; the fragments handed over.

    Island parts are the LAD's components (polygon parts) that hold no practice site, taken whole, and any
    fragment that touches the rest of its component only at points; each goes to the nearest practice of the
    LAD (ties: the smaller code).
    """
    components = shapely.get_parts(lad_geom)
    parts = _explode(raw, components)
    own = _own_parts(parts, sites)
    parts.label[own] = np.arange(len(sites))
    held = np.unique(parts.component[own])
    fragments = np.flatnonzero((parts.label < 0) & np.isin(parts.component, held))
    stuck = _hand_off(parts, fragments) if len(fragments) else []
    loose = [components[c] for c in np.setdiff1d(np.arange(len(components)), held)] + list(parts.geoms[stuck])
    islands: list[list[shapely.Polygon]] = [[] for _ in codes]
    reports: list[IslandPart] = []
    for island in loose:
        distance = shapely.distance(island, sites)
        k = int(np.argmin(distance))  # ties: the first, i.e. the smallest code
        islands[k].append(island)
        reports.append(IslandPart(lad, str(codes[k]), float(island.area), float(distance[k])))
    cells = []
    for k in range(len(codes)):
        main = shapely.union_all(parts.geoms[parts.label == k])
        cells.append(shapely.MultiPolygon([main, *islands[k]]) if islands[k] else main)
    return cells, reports, len(fragments) - len(stuck)


def main_polygons(cells: gpd.GeoDataFrame) -> np.ndarray:
    """Each cell without its island parts: the practice's own piece of land (the first part of a cell with
    ``island_parts``). Adjacency and "one piece" are judged on these, so an island never makes a neighbour."""
    geoms = cells.geometry.to_numpy()
    if "island_parts" not in cells:
        return geoms
    out = geoms.copy()
    marked = cells["island_parts"].to_numpy() > 0
    out[marked] = shapely.get_geometry(geoms[marked], 0)
    return out


def build_cells(practices: pd.DataFrame, lads: gpd.GeoDataFrame) -> CellResult:
    """Cells for every practice of ``practices`` (index code; columns x, y, lad) inside ``lads`` (index lad).

    ``practices`` must hold *all* practices of each LAD it touches: the cells of a LAD are a function of all
    its sites. The result has the index and order of ``practices``, columns ``lad``, ``island_parts`` (count)
    and ``island_km2``.
    """
    position = {code: i for i, code in enumerate(practices.index.to_numpy())}
    geom_out = np.empty(len(practices), dtype=object)
    result = CellResult(cells=gpd.GeoDataFrame())
    by_lad = practices.groupby("lad", sort=True)
    for lad, lad_geom in zip(lads.index, lads.geometry.to_numpy(), strict=True):
        if lad not in by_lad.groups:
            result.empty_lads.append(str(lad))
            continue
        group = practices.loc[by_lad.groups[lad], ["x", "y"]].sort_index()  # ODS code order at shared sites
        raw, shared = _raw_pieces(lad_geom, group)
        sites = shapely.points(group.to_numpy())
        cells, islands, moved = _clean_lad(str(lad), lad_geom, group.index.to_numpy(), sites, raw)
        for code, cell in zip(group.index, cells, strict=True):
            geom_out[position[code]] = cell
        result.shared_positions += shared
        result.islands += islands
        result.fragments += moved
    missing = [c for c, g in zip(practices.index, geom_out, strict=True) if g is None]
    if missing:
        raise ValueError(f"practices outside the given LADs: {', '.join(map(str, missing[:5]))}")
    result.cells = _frame(practices, geom_out, result.islands)
    return result


def _frame(practices: pd.DataFrame, geoms: np.ndarray, islands: list[IslandPart]) -> gpd.GeoDataFrame:
    count = pd.Series([i.code for i in islands], dtype=object).value_counts()
    area = pd.Series([i.area_m2 for i in islands], index=[i.code for i in islands], dtype=float)
    area = area.groupby(level=0).sum()
    frame = gpd.GeoDataFrame(
        {
            "lad": practices["lad"].to_numpy(),
            "island_parts": count.reindex(practices.index).fillna(0).astype("int64").to_numpy(),
            "island_km2": (area.reindex(practices.index).fillna(0.0) / 1e6).round(6).to_numpy(),
        },
        geometry=list(geoms),
        crs=BNG,
        index=practices.index.copy(),
    )
    return frame
