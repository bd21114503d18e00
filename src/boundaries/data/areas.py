"""Consortium areas: the geometry of a plan, and light versions of it for maps.

A consortium's area is the union of its practices' catchment cells. Maps need far fewer vertices than the
cells carry, but simplifying each area on its own would move a shared border differently on each side and open
gaps or overlaps between neighbours. So maps simplify the whole coverage at once
(``shapely.coverage_simplify``): every shared edge is simplified once and both neighbours keep it.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

if TYPE_CHECKING:
    from boundaries.data.region import Region

#: Default simplification for maps, in metres (EPSG:27700). Roughly the side of the smallest triangle removed:
#: invisible at the zoom a whole region is read at, and it keeps a North West map light.
MAP_TOLERANCE_M = 120.0


class AssignmentError(ValueError):
    """An assignment that does not fit the region: unknown codes, unassigned practices, blank labels."""


def _sample(items: Any, n: int = 5) -> str:
    items = sorted(map(str, items))
    more = f" and {len(items) - n} more" if len(items) > n else ""
    return ", ".join(items[:n]) + more


def aligned_assignment(assignment: Any, region: Region) -> pd.Series:
    """The assignment as a Series of str labels in the region's practice order, or a clear AssignmentError.

    Accepts a Plan (anything with ``.assignment``), a Series or a mapping practice code -> label. Plans come
    from solvers, the 2013 CCG map and planners' CSV files, so every metric and map starts here and fails
    loudly on codes the region does not know, practices left out, or blank labels, instead of silently scoring
    a subset.
    """
    raw = getattr(assignment, "assignment", assignment)
    if isinstance(raw, Mapping) and not isinstance(raw, pd.Series):
        raw = pd.Series(dict(raw), dtype=object)
    if not isinstance(raw, pd.Series):
        raise AssignmentError(f"expected a Plan, a pandas Series or a mapping code -> label, got {type(raw)!r}")
    series = raw.copy()
    series.index = series.index.astype(str).str.strip()
    duplicated = series.index[series.index.duplicated()]
    if len(duplicated):
        raise AssignmentError(f"{len(set(duplicated))} practice codes appear twice: {_sample(set(duplicated))}")
    known = region.practices.index.astype(str)
    unknown = series.index.difference(known)
    if len(unknown):
        raise AssignmentError(f"{len(unknown)} practice codes are not in region {region.name}: {_sample(unknown)}")
    series = series.reindex(known)
    blank = series.isna() | (series.astype(str).str.strip() == "")
    if blank.any():
        raise AssignmentError(
            f"{int(blank.sum())} of {len(series)} practices of region {region.name} are unassigned: "
            f"{_sample(series.index[blank])}"
        )
    out = series.astype(str).str.strip().rename("consortium")
    out.index.name = "code"
    return out


def consortium_areas(assignment: Any, region: Region) -> gpd.GeoDataFrame:
    """One row per consortium (index = label, sorted): the union of its practices' cells, patients, practices.

    Exact (unsimplified) geometry in the region's CRS; maps use :func:`simplified_layers` instead.
    """
    labels = aligned_assignment(assignment, region)
    cells = region.cells.geometry.reindex(labels.index)
    if cells.isna().any():
        raise AssignmentError(f"practices without a cell: {_sample(cells.index[cells.isna()])}")
    patients = region.practices["patients"].reindex(labels.index)
    rows = []
    for label, codes in labels.groupby(labels, sort=True).groups.items():
        rows.append(
            {
                "consortium": label,
                "patients": int(patients.loc[codes].sum()),
                "practices": len(codes),
                "geometry": shapely.union_all(cells.loc[codes].values),
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=region.cells.crs).set_index("consortium")


#: Precision grid (m) on which a consortium's land is united to count its pieces: cells clipped to two
#: neighbouring LADs carry different vertices along the same border (the graph measures borders on it too).
PIECES_GRID_M = 0.01
#: Shorter contacts are corner touches blown up by that grid, not a way across (the graph's rule too).
MIN_CONTACT_M = 1.0


def own_pieces(region: Region) -> tuple[np.ndarray, list[list[shapely.Polygon]]]:
    """Each cell's own piece of land, and its detached parts when they are *not* all marked as island parts.

    The own piece is the part holding (or nearest to) the practice's site, the larger on a tie; the other parts
    of a cell should be exactly its ``island_parts``, and then they are left out. When the count differs, every
    other part is returned as land in pieces. Worked out here from the geometry, not taken from the code that
    builds cells and graph, so that a check built on it is independent of them.
    """
    geoms = region.cells.geometry.to_numpy()
    marked = region.cells["island_parts"].to_numpy() if "island_parts" in region.cells else np.zeros(len(geoms))
    sites = region.practices.geometry.reindex(region.cells.index).to_numpy()
    own = geoms.copy()
    loose: list[list[shapely.Polygon]] = [[] for _ in geoms]
    for i in np.flatnonzero(shapely.get_num_geometries(geoms) > 1):
        parts = shapely.get_parts(geoms[i])
        order = np.lexsort((-shapely.area(parts), shapely.distance(parts, sites[i])))
        own[i] = parts[order[0]]
        if len(parts) - 1 != int(marked[i]):
            loose[i] = list(parts[order[1:]])
    return own, loose


@dataclass
class _Land:
    """The region's land as nodes (each cell's own piece, plus any detached part not marked as an island part)
    and the pairs of nodes that share at least :data:`MIN_CONTACT_M` of boundary on the 1 cm grid."""

    practice: np.ndarray  # practice code of each node
    pairs: pd.DataFrame  # a, b: node numbers


_LAND: dict[int, tuple[weakref.ref, _Land]] = {}


def _land(region: Region) -> _Land:
    """The region's land and contacts, computed once per cells table (validation runs many times a solve)."""
    key = id(region.cells)
    hit = _LAND.get(key)
    if hit is not None and hit[0]() is region.cells:
        return hit[1]
    own, loose = own_pieces(region)
    codes = region.cells.index.astype(str).to_numpy()
    nodes = np.array(list(own) + [p for rest in loose for p in rest], dtype=object)
    extra = [c for c, rest in zip(codes, loose, strict=True) for _ in rest]
    practice = np.concatenate([codes.astype(object), np.array(extra, dtype=object)])
    left, right = shapely.STRtree(nodes).query(nodes, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    bounds = shapely.boundary(nodes)
    length = shapely.length(shapely.intersection(bounds[left], bounds[right], grid_size=PIECES_GRID_M))
    touch = length >= MIN_CONTACT_M
    pairs = pd.concat([pd.DataFrame({"a": left[touch], "b": right[touch]}), _shared_sites(region)])
    land = _Land(practice, pairs.drop_duplicates().sort_values(["a", "b"]).reset_index(drop=True))
    _LAND.clear()  # one region at a time is all a run needs; keeps the memory bounded
    _LAND[key] = (weakref.ref(region.cells), land)
    return land


def _shared_sites(region: Region) -> pd.DataFrame:
    """Every pair of practices (cell numbers) at one surgery: their sectors meet there, the building joins
    them. Every pair, not a star through one of them: two practices of a building can share a consortium
    without the third (a star made such a pair two pieces while the neighbour graph joined them)."""
    sites = region.practices.geometry.reindex(region.cells.index)
    number = pd.Series(np.arange(len(sites)), index=sites.index)
    groups = number.groupby([sites.x.to_numpy(), sites.y.to_numpy()], sort=True)
    pairs = [pair for _, group in groups if len(group) > 1 for pair in itertools.combinations(group.tolist(), 2)]
    return pd.DataFrame(pairs, columns=["a", "b"], dtype=np.int64)


def land_pieces(labels: pd.Series, region: Region) -> dict[str, tuple[tuple[str, ...], ...]]:
    """The practices on each piece of land of each consortium (``labels``: practice code -> label, any subset
    of the region's practices), island parts aside; sorted, so deterministic.

    Two pieces of land are one when they share at least 1 m of boundary (measured on a 1 cm grid, as cells
    clipped to two LADs carry different vertices along one border; a corner touch does not join). Practices
    sharing a surgery join too: their sectors meet at the building. A detached part of a cell that is not a
    marked island part is land, a piece of its own unless it touches the rest.
    """
    land = _land(region)
    label_of = {str(k): str(v) for k, v in labels.items()}
    node_label = np.array([label_of.get(c) for c in land.practice], dtype=object)
    graph = nx.Graph()
    graph.add_nodes_from(int(i) for i in np.flatnonzero(node_label != None))  # noqa: E711 (element-wise)
    a, b = land.pairs["a"].to_numpy(), land.pairs["b"].to_numpy()
    same = (node_label[a] != None) & (node_label[a] == node_label[b])  # noqa: E711 (element-wise)
    graph.add_edges_from(zip(a[same].tolist(), b[same].tolist(), strict=True))
    out: dict[str, list[tuple[str, ...]]] = {label: [] for label in sorted(set(label_of.values()))}
    for component in nx.connected_components(graph):
        codes = tuple(sorted({str(land.practice[i]) for i in component}))
        out[label_of[codes[0]]].append(codes)
    return {label: tuple(sorted(pieces)) for label, pieces in out.items()}


def area_pieces(assignment: Any, region: Region) -> pd.DataFrame:
    """Per consortium of a plan (index = label, sorted): ``pieces``, the pieces of land its area is in, island
    parts aside (:func:`land_pieces`); ``members``, the practices on each piece; and its island parts:
    ``island_parts`` (count), ``island_km2``, ``island_lads`` (names of their authorities)."""
    labels = aligned_assignment(assignment, region)
    pieces = land_pieces(labels, region)
    cells = pd.DataFrame(region.cells.drop(columns=region.cells.geometry.name)).reindex(labels.index)
    for column, default in (("island_parts", 0), ("island_km2", 0.0)):
        if column not in cells:
            cells[column] = default
    names = region.lads["lad_name"] if "lad_name" in region.lads else pd.Series(dtype=str)
    cells["lad_name"] = [str(names.get(lad, lad)) for lad in cells["lad"]]
    islands = cells[cells["island_parts"] > 0].groupby(labels[cells["island_parts"] > 0], sort=True)
    out = pd.DataFrame(index=pd.Index(sorted(pieces), name="consortium"))
    out["pieces"] = [len(pieces[label]) for label in out.index]
    out["members"] = pd.Series([pieces[label] for label in out.index], index=out.index, dtype=object)
    out["island_parts"] = islands["island_parts"].sum().reindex(out.index).fillna(0).astype(int)
    out["island_km2"] = islands["island_km2"].sum().reindex(out.index).fillna(0.0)
    lads = {label: tuple(sorted(set(in_label))) for label, in_label in islands["lad_name"]}
    out["island_lads"] = [lads.get(label, ()) for label in out.index]
    return out


def simplify_coverage(geometries: gpd.GeoSeries, tolerance: float) -> gpd.GeoSeries:
    """Simplify polygons that tile a region so that neighbours stay edge-matched (no gaps, no overlaps).

    Each shared edge is simplified once and reused by both sides. Input that is not quite a coverage (tiny
    overlaps or slivers from upstream overlays) is cleaned first, because coverage simplification of a broken
    coverage can itself produce overlaps.
    """
    values = np.asarray(geometries.values, dtype=object)
    if len(values) == 0:
        return geometries.copy()
    values = shapely.make_valid(values)
    if not bool(shapely.coverage_is_valid(values)):
        values = shapely.coverage_clean(values)
    simplified = shapely.coverage_simplify(values, tolerance, simplify_boundary=True)
    return gpd.GeoSeries(simplified, index=geometries.index, crs=geometries.crs)


def coverage_defects(geometries: gpd.GeoSeries) -> dict[str, float]:
    """Measure what would show as a fault between neighbouring areas: overlap area and enclosed gap area (m²).

    ``overlap`` is the area counted twice (sum of areas minus the area of the union); ``gaps`` is the area of
    holes in the union, i.e. land no area covers although areas surround it. ``edges_matched`` is GEOS's own
    check that every shared edge has identical vertices on both sides; ``unmatched_edge_m`` the length of the
    edges failing it (real data carries a few, at slivers beside the tidal-river gaps between LAD polygons).
    """
    values = shapely.make_valid(np.asarray(geometries.values, dtype=object))  # naive simplification breaks rings
    union = shapely.union_all(values)
    holes = [
        shapely.Polygon(ring) for part in getattr(union, "geoms", [union]) for ring in getattr(part, "interiors", [])
    ]
    unmatched = shapely.coverage_invalid_edges(values)
    return {
        "overlap": float(shapely.area(values).sum() - union.area),
        "gaps": float(sum(h.area for h in holes)),
        "edges_matched": bool(shapely.coverage_is_valid(values)),
        "unmatched_edge_m": float(shapely.length(unmatched[~shapely.is_empty(unmatched)]).sum()),
    }


def simplified_layers(
    assignment: Any, region: Region, tolerance: float = MAP_TOLERANCE_M
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Simplified consortium areas and local-authority outlines that share the same simplified edges.

    The cells are first dissolved into pieces, one per (consortium, LAD) pair, and the pieces' coverage is
    simplified once; areas and LAD outlines are then both unions of those pieces. So a consortium that is
    coterminous with a LAD is drawn with exactly the LAD's outline, and neighbouring areas share their
    borders. Returns (areas indexed by consortium with patients and practices, lads indexed by LAD code), CRS
    EPSG:27700.
    """
    labels = aligned_assignment(assignment, region)
    cells = region.cells.reindex(labels.index)
    frame = gpd.GeoDataFrame(
        {"consortium": labels.values, "lad": cells["lad"].astype(str).values},
        geometry=cells.geometry.values,
        crs=region.cells.crs,
    )
    pieces = frame.dissolve(by=["consortium", "lad"], method="coverage" if _is_coverage(frame) else "unary")
    pieces["geometry"] = simplify_coverage(pieces.geometry, tolerance)
    pieces = pieces.reset_index()

    def union_by(key: str) -> gpd.GeoSeries:
        groups = pieces.groupby(key, sort=True).geometry
        return gpd.GeoSeries({k: shapely.coverage_union_all(g.values) for k, g in groups}, crs=region.cells.crs)

    areas = gpd.GeoDataFrame(geometry=union_by("consortium"))
    areas.index.name = "consortium"
    patients = region.practices["patients"].reindex(labels.index).groupby(labels.values).sum()
    areas.insert(0, "patients", patients.reindex(areas.index).astype(int))
    areas.insert(1, "practices", labels.value_counts().reindex(areas.index).astype(int))
    lads = gpd.GeoDataFrame(geometry=union_by("lad"))
    lads.index.name = "lad"
    names = region.lads["lad_name"] if "lad_name" in region.lads else pd.Series(dtype=str)
    lads.insert(0, "lad_name", names.reindex(lads.index).fillna(pd.Series(lads.index, index=lads.index)))
    return areas, lads


def _is_coverage(frame: gpd.GeoDataFrame) -> bool:
    """Whether the cells tile without overlaps or unmatched edges (so the fast coverage union applies)."""
    return bool(shapely.coverage_is_valid(np.asarray(frame.geometry.values, dtype=object)))


def to_wgs84(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reprojected for GeoJSON: parts of a consortium that touch at a point in metres can cross by a hair in
    degrees, which is invalid. Each such area is repaired the gentlest way GEOS manages (the first of
    ``make_valid`` keeping the structure, ``make_valid``, ``buffer(0)`` that gives a valid area), then every
    area is snapped to the 1e-7 degree grid (about 1 cm) the file is written with, so that it reads back valid
    (an area that snapping would break stays as it was). Shapely's array functions do each step for all the
    areas at once."""
    wgs = areas.to_crs(4326)
    geoms = np.asarray(wgs.geometry.values, dtype=object)
    todo = ~shapely.is_valid(geoms)
    for repair in (
        lambda g: shapely.make_valid(g, method="structure", keep_collapsed=False),
        shapely.make_valid,
        lambda g: shapely.buffer(g, 0),
    ):
        fixed = _each(repair, geoms[todo])
        good = shapely.is_valid(fixed) & ~shapely.is_empty(fixed)
        done = np.flatnonzero(todo)[good]
        geoms[done], todo[done] = fixed[good], False
    if todo.any():
        raise ValueError("an area could not be made valid in longitude/latitude")
    snapped = _each(lambda g: shapely.set_precision(g, 1e-7), geoms)
    wgs["geometry"] = np.where(shapely.is_valid(snapped) & ~shapely.is_empty(snapped), snapped, geoms)
    return wgs


def _each(operation, geoms):
    """``operation`` on an array of geometries at once; if GEOS fails on one, one by one, None where it fails."""
    try:
        return operation(geoms)
    except shapely.errors.GEOSException:
        out = np.empty(len(geoms), dtype=object)
        for k, geom in enumerate(geoms):
            try:
                out[k] = operation(geom)
            except shapely.errors.GEOSException:
                out[k] = None
        return out
