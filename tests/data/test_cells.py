"""Catchment cells tile every SHA region: inside one LAD each, no overlaps, union = the region's LADs; and each
cell is one polygon, or one polygon plus marked island parts."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from boundaries.data.cells import _clean_lad, build_cells, main_polygons, split_shared
from boundaries.data.region import Region, load_region

SHA = [f"Q{n}" for n in range(30, 40)]


@pytest.fixture(scope="session")
def regions() -> dict[str, Region]:
    return {code: load_region(code) for code in SHA}


@pytest.mark.parametrize("code", SHA)
def test_cells_tile_the_region(code, regions):
    region = regions[code]
    cells = region.cells.geometry.to_numpy()
    assert shapely.is_valid(cells).all() and not shapely.is_empty(cells).any()
    assert set(shapely.get_type_id(cells)) <= {3, 6}  # polygons only

    # every cell inside its one LAD
    assert (region.cells["lad"] == region.practices["lad"]).all()
    own_lad = region.lads.geometry.reindex(region.cells["lad"]).to_numpy()
    outside = shapely.area(shapely.difference(cells, own_lad))
    assert outside.sum() < 1.0  # m2 over the whole region

    # no overlaps: pairwise intersection areas ~0
    tree = shapely.STRtree(cells)
    a, b = tree.query(cells, predicate="intersects")
    keep = a < b
    overlap = shapely.area(shapely.intersection(cells[a[keep]], cells[b[keep]]))
    assert overlap.sum() < 1.0

    # the union is the region: areas agree within 0.01 %
    region_area = shapely.area(shapely.union_all(region.lads.geometry.to_numpy()))
    assert abs(shapely.area(cells).sum() / region_area - 1) < 1e-4
    assert abs(shapely.area(shapely.union_all(cells)) / region_area - 1) < 1e-4


@pytest.mark.parametrize("code", SHA)
def test_every_practice_in_exactly_one_cell(code, regions):
    region = regions[code]
    points = region.practices.geometry.to_numpy()
    cells = region.cells.geometry.to_numpy()
    assert region.cells.index.equals(region.practices.index) and region.cells.index.is_unique
    assert shapely.covers(cells, points).all()  # each practice lies in (or on) its own cell
    shared = region.practices.duplicated(["x", "y"], keep=False).to_numpy()
    tree = shapely.STRtree(cells)
    point, cell = tree.query(points, predicate="within")
    hits = np.bincount(point, minlength=len(points))
    assert (hits[~shared] == 1).all()  # strictly inside exactly one cell: its own
    assert (cell[np.argsort(point, kind="stable")] == np.flatnonzero(~shared)).all()
    # a shared site is the common corner of its practices' sectors, strictly inside none of them
    assert (hits[shared] == 0).all()


def test_shared_sites_get_ordered_sectors(regions):
    region = regions["Q36"]
    groups = region.practices.groupby(["x", "y"]).groups
    big = max(groups.values(), key=len)
    members = sorted(big)
    cells = region.cells.loc[members]
    assert len(members) >= 3
    assert not shapely.is_empty(cells.geometry.to_numpy()).any()
    # consecutive sectors share a ray; the first code takes the sector starting at grid north
    site = region.practices.loc[members[0], "geometry"]
    north = shapely.LineString([(site.x, site.y), (site.x + 0.01, site.y + 5)])
    assert cells.geometry.iloc[0].intersection(north).length > 0
    for a, b in zip(members, members[1:], strict=False):
        first, second = region.cells.loc[a, "geometry"], region.cells.loc[b, "geometry"]
        assert first.boundary.intersection(second.boundary).length > 0, (a, b)


def test_split_shared_is_an_exact_partition():
    square = shapely.box(0, 0, 100, 100)
    pieces = split_shared(square, (50.0, 50.0), 4)
    assert [round(p.area) for p in pieces] == [2500] * 4
    assert pieces[0].covers(shapely.Point(75, 75))  # north-east quadrant first (clockwise from north)
    assert pieces[1].covers(shapely.Point(75, 25))
    assert abs(shapely.union_all(pieces).area - square.area) < 1e-6


def _toy(points: dict[str, tuple[float, float, str]], lads: dict[str, shapely.Geometry]):
    practices = pd.DataFrame(
        [(c, x, y, lad) for c, (x, y, lad) in points.items()], columns=["code", "x", "y", "lad"]
    ).set_index("code")
    frame = gpd.GeoDataFrame({"lad": list(lads)}, geometry=list(lads.values()), crs="EPSG:27700")
    return practices, frame.set_index("lad")


def test_toy_cells_with_a_shared_site_and_an_empty_lad():
    sites = {"B": (10, 10, "L1"), "A": (10, 10, "L1"), "C": (80, 50, "L1"), "D": (150, 50, "L2")}
    squares = {
        "L1": shapely.box(0, 0, 100, 100),
        "L2": shapely.box(100, 0, 200, 100),
        "L3": shapely.box(200, 0, 300, 100),
    }
    practices, lads = _toy(sites, squares)
    result = build_cells(practices, lads)
    assert result.empty_lads == ["L3"] and result.shared_positions == 1
    cells = result.cells
    assert list(cells.index) == ["B", "A", "C", "D"]  # the order of the input
    assert abs(cells.loc[["A", "B", "C"]].area.sum() - 10_000) < 1e-6
    assert cells.loc["D"].geometry.equals(lads.loc["L2"].geometry)
    # A (first in ODS order) gets the sector clockwise from north; both pieces are non-empty
    assert cells.loc["A"].geometry.area > 0 and cells.loc["B"].geometry.area > 0
    assert cells.loc["A"].geometry.covers(shapely.Point(12, 30))


def test_cells_are_deterministic(regions):
    region = regions["Q30"]
    practices = region.practices
    again = build_cells(practices, region.lads).cells
    before = shapely.to_wkb(region.cells.geometry.to_numpy())
    assert (shapely.to_wkb(again.geometry.to_numpy()) == before).all()


@pytest.mark.parametrize("code", SHA)
def test_every_cell_is_one_piece_plus_marked_island_parts(code, regions):
    region = regions[code]
    cells = region.cells
    geoms = cells.geometry.to_numpy()
    main = main_polygons(cells)
    # one polygon, holding its practice's site; anything else is a marked island part
    assert (shapely.get_type_id(main) == 3).all()
    assert (shapely.get_num_geometries(geoms) == 1 + cells["island_parts"].to_numpy()).all()
    assert shapely.covers(main, region.practices.geometry.to_numpy()).all()
    marked = cells.index[cells["island_parts"] > 0]
    sites = region.practices.geometry.to_numpy()
    lad_main = {lad: shapely.union_all(main[(cells["lad"] == lad).to_numpy()]) for lad in set(cells.loc[marked, "lad"])}
    for c in marked:
        islands = shapely.get_parts(cells.at[c, "geometry"])[1:]
        assert cells.at[c, "island_km2"] == pytest.approx(shapely.area(islands).sum() / 1e6, abs=1e-6)
        assert not shapely.intersects(islands[:, None], sites[None, :]).any()  # no practice on an island part
        # and no border with the rest of its authority's land: points at most
        assert not shapely.relate_pattern(islands, lad_main[cells.at[c, "lad"]], "****1****").any()
        assert (shapely.area(shapely.intersection(islands, lad_main[cells.at[c, "lad"]])) < 1e-6).all()


def test_island_parts_are_reported(regions):
    north_east = regions["Q30"]
    assert north_east.cells["island_parts"].sum() >= 30  # Lindisfarne, the Farnes, Coquet Island, ...
    assert any(n.startswith("island parts of Northumberland (E06000057)") for n in north_east.notes)
    assert any("cell fragments" in n for n in north_east.notes)


def test_a_fragment_goes_to_the_longest_border_and_chains_resolve():
    """Own pieces A | B | C in a 300 x 100 m LAD; F (of A) touches C over 100 m and B over 15 m; H (of C)
    touches only B's own piece; G (of B) touches only fragments F and H, so it waits a round for them."""
    own = {"A": shapely.box(0, 0, 100, 100), "B": shapely.box(100, 0, 200, 100), "C": shapely.box(200, 0, 300, 70)}
    f, g, h = shapely.box(200, 70, 300, 85), shapely.box(210, 85, 300, 100), shapely.box(200, 85, 210, 100)
    raw = [
        shapely.MultiPolygon([own["A"], f]),
        shapely.MultiPolygon([own["B"], g]),
        shapely.MultiPolygon([own["C"], h]),
    ]
    sites = shapely.points([(50, 50), (150, 50), (250, 35)])
    lad = shapely.box(0, 0, 300, 100)
    cells, islands, moved = _clean_lad("L", lad, np.array(["A", "B", "C"]), sites, raw)
    assert moved == 3 and islands == []
    assert shapely.get_type_id(cells).tolist() == [3, 3, 3]
    assert cells[0].equals(own["A"])
    assert cells[1].equals(shapely.union_all([own["B"], h]))
    assert cells[2].equals(shapely.union_all([own["C"], f, g]))


def test_islands_of_an_authority_go_whole_to_its_nearest_practice():
    """L1 is a mainland square and an islet holding no practice; the islet touches L2's cell, not L1's land."""
    sites = {"A": (10, 50, "L1"), "B": (90, 50, "L1"), "C": (250, 50, "L2")}
    lads = {
        "L1": shapely.MultiPolygon([shapely.box(0, 0, 100, 100), shapely.box(200, 40, 220, 60)]),
        "L2": shapely.box(220, 0, 300, 100),
    }
    practices, frame = _toy(sites, lads)
    result = build_cells(practices, frame)
    cells = result.cells
    assert cells["island_parts"].tolist() == [0, 1, 0]
    assert cells.loc["B", "island_km2"] == pytest.approx(400 / 1e6)
    assert shapely.get_geometry(cells.loc["B", "geometry"], 1).equals(shapely.box(200, 40, 220, 60))
    assert main_polygons(cells)[1].equals(shapely.box(50, 0, 100, 100))
    assert [(i.lad, i.code, i.area_m2) for i in result.islands] == [("L1", "B", 400.0)]
    assert abs(cells.area.sum() - frame.area.sum()) < 1e-6
