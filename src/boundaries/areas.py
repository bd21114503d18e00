"""Consortium areas: the geometry of a plan, and light versions of it for maps.

A consortium's area is the union of its practices' catchment cells. Maps need far fewer vertices than the
cells carry, but simplifying each area on its own would move a shared border differently on each side and open
gaps or overlaps between neighbours. So maps simplify the whole coverage at once
(``shapely.coverage_simplify``): every shared edge is simplified once and both neighbours keep it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

if TYPE_CHECKING:
    from .region import Region

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
