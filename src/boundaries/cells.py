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
sectors share a ray (a boundary of positive length), and :mod:`boundaries.graph` also joins every pair of
co-located practices so they are always mutual neighbours. The answer is deterministic and needs no invented
data (such as list-size weighted areas) that would pretend to know where each practice's patients live.

**A LAD without any practice** has no cell: it cannot be covered without breaking "every cell inside one LAD".
:func:`build_cells` returns it in ``empty_lads`` and the region drops it from its territory with a note. With
the 2014 data this never happens (every one of the 326 LADs has at least one practice; the build report says
so).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

BNG = "EPSG:27700"
_MAX_STEP = np.pi / 8  # arc resolution of the sector polygons (they are only used to cut, never stored)


@dataclass
class CellResult:
    """The cells (GeoDataFrame, index ``code``, column ``lad``) and what needs reporting."""

    cells: gpd.GeoDataFrame
    empty_lads: list[str] = field(default_factory=list)
    shared_positions: int = 0


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


def build_cells(practices: pd.DataFrame, lads: gpd.GeoDataFrame) -> CellResult:
    """Cells for every practice of ``practices`` (index code; columns x, y, lad) inside ``lads`` (index lad).

    ``practices`` must hold *all* practices of each LAD it touches: the cells of a LAD are a function of all
    its sites. The result has the index and order of ``practices``.
    """
    codes = practices.index.to_numpy()
    geom_out = np.empty(len(practices), dtype=object)
    position = {code: i for i, code in enumerate(codes)}
    empty: list[str] = []
    shared = 0
    by_lad = practices.groupby("lad", sort=True)
    for lad, lad_geom in zip(lads.index, lads.geometry.to_numpy(), strict=True):
        if lad not in by_lad.groups:
            empty.append(str(lad))
            continue
        group = practices.loc[by_lad.groups[lad], ["x", "y"]]
        group = group.sort_index()  # ODS code order inside each shared site
        keys = group.to_numpy()
        uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        cells = _lad_cells(lad_geom, uniq)
        for u in range(len(uniq)):
            members = group.index.to_numpy()[inverse == u]
            if len(members) == 1:
                geom_out[position[members[0]]] = cells[u]
                continue
            shared += 1
            pieces = split_shared(cells[u], (float(uniq[u, 0]), float(uniq[u, 1])), len(members))
            for code, piece in zip(members, pieces, strict=True):
                geom_out[position[code]] = piece
    missing = [c for c, g in zip(codes, geom_out, strict=True) if g is None]
    if missing:
        raise ValueError(f"practices outside the given LADs: {', '.join(map(str, missing[:5]))}")
    cells = gpd.GeoDataFrame(
        {"lad": practices["lad"].to_numpy()}, geometry=list(geom_out), crs=BNG, index=practices.index.copy()
    )
    return CellResult(cells=cells, empty_lads=empty, shared_positions=shared)
