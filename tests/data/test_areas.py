"""Consortium areas and their gap-free simplification, on the synthetic grid and on a real region."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from synthetic import SIZE, by_half, by_lad, make_region, real_region

from boundaries.data.areas import (
    AssignmentError,
    aligned_assignment,
    consortium_areas,
    coverage_defects,
    simplified_layers,
    simplify_coverage,
)
from boundaries.engine.plan import Plan


@pytest.fixture(scope="module")
def region():
    return make_region()


def test_consortium_areas_union_cells(region):
    areas = consortium_areas(by_lad(region), region)
    assert list(areas.index) == ["East", "Middle", "West"]
    assert areas.loc["West", "patients"] == 6 * 1000 + 6 * 2000
    assert areas.loc["East", "practices"] == 13
    assert areas.loc["West"].geometry.area == pytest.approx(12 * SIZE * SIZE)
    assert areas.loc["West"].geometry.geom_type == "Polygon"  # 12 cells dissolved into one block
    assert areas.loc["East"].geometry.geom_type == "MultiPolygon"  # mainland plus the island
    assert areas.crs.to_epsg() == 27700


def test_plan_to_geodataframe_uses_areas(region):
    plan = Plan.from_assignment(by_half(region), region=region)
    gdf = plan.to_geodataframe()
    assert list(gdf.index) == ["North", "South"]
    assert gdf["patients"].sum() == region.population


def test_assignment_errors_are_clear(region):
    labels = by_lad(region)
    with pytest.raises(AssignmentError, match=r"1 practice codes are not in region Synthetic: XYZ"):
        aligned_assignment({**labels.to_dict(), "XYZ": "West"}, region)
    with pytest.raises(AssignmentError, match=r"1 of 37 practices .* unassigned: P00"):
        aligned_assignment(labels.drop("P00"), region)
    blank = labels.copy()
    blank["P11"] = " "
    with pytest.raises(AssignmentError, match="unassigned: P11"):
        consortium_areas(blank, region)
    with pytest.raises(AssignmentError, match="expected a Plan"):
        aligned_assignment([1, 2, 3], region)


def test_aligned_assignment_accepts_plan_mapping_and_shuffled_series(region):
    labels = by_lad(region)
    shuffled = labels.sample(frac=1.0, random_state=1)
    out = aligned_assignment(shuffled, region)
    assert list(out.index) == list(region.practices.index)
    assert aligned_assignment(labels.to_dict(), region).equals(out)
    assert aligned_assignment(Plan.from_assignment(labels), region).equals(out)


def test_simplified_layers_share_edges(region):
    areas, lads = simplified_layers(by_half(region), region, tolerance=500)
    assert list(areas.index) == ["North", "South"]
    assert list(lads.index) == ["E1", "E2", "E3"]
    assert list(lads["lad_name"]) == ["Alphaton", "Betaborough", "Gammaford"]
    for layer in (areas, lads):
        defects = coverage_defects(layer.geometry)
        assert defects["edges_matched"]
        assert defects["overlap"] == pytest.approx(0, abs=1)
        assert defects["gaps"] == pytest.approx(0, abs=1)
    # the two layers are unions of the same pieces: same land, same outline
    assert shapely.union_all(areas.geometry.values).symmetric_difference(
        shapely.union_all(lads.geometry.values)
    ).area == pytest.approx(0, abs=1)


def _wiggly_coverage(n: int = 5, seed: int = 0) -> gpd.GeoSeries:
    """A coverage of n x n cells whose shared edges are noisy polylines with many vertices (real borders)."""
    rng = np.random.default_rng(seed)
    step = 1000.0
    k = 40  # vertices per edge

    # each shared edge is one noisy polyline, computed once from its lower to its upper end point
    def edge(key):
        if key not in cache:
            p, q = np.array(key[0]), np.array(key[1])
            t = np.linspace(0, 1, k + 1)[1:-1]
            pts = np.outer(1 - t, p) + np.outer(t, q)
            normal = np.array([-(q - p)[1], (q - p)[0]]) / np.linalg.norm(q - p)
            noise = rng.normal(0, 25, len(t)) * np.sin(np.pi * t)  # calm near the corners: no crossings
            cache[key] = pts + np.outer(noise, normal)
        return cache[key]

    cache: dict = {}
    polys = []
    for i in range(n):
        for j in range(n):
            corners = [np.array(c, dtype=float) * step for c in ((i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1))]
            ring = []
            for a in range(4):
                p, q = corners[a], corners[(a + 1) % 4]
                key = tuple(sorted((tuple(p), tuple(q))))
                pts = edge(key)
                if tuple(p) != key[0]:  # walk the shared polyline the other way round
                    pts = pts[::-1]
                ring.append(p)
                ring.extend(pts)
            polys.append(shapely.Polygon(np.array(ring)))
    return gpd.GeoSeries(polys, crs=27700)


def test_coverage_simplification_has_no_gaps_where_naive_simplify_does():
    wiggly = _wiggly_coverage()
    # one long area against five small ones: its junctions with them are not corners of its own ring
    cells = gpd.GeoSeries([shapely.union_all(wiggly.values[:5]), *wiggly.values[5:]], crs=27700)
    before = coverage_defects(cells)
    assert before["edges_matched"] and before["gaps"] == pytest.approx(0, abs=1e-6)

    naive = cells.simplify(60)
    naive_defects = coverage_defects(naive)
    assert not naive_defects["edges_matched"]
    assert naive_defects["overlap"] > 1000 and naive_defects["gaps"] > 1000  # the fault this module prevents

    simplified = simplify_coverage(cells, 60)
    after = coverage_defects(simplified)
    assert after["edges_matched"]
    assert after["overlap"] == pytest.approx(0, abs=1e-3)
    assert after["gaps"] == pytest.approx(0, abs=1e-3)
    assert shapely.get_num_coordinates(simplified.values).sum() < 0.5 * shapely.get_num_coordinates(cells.values).sum()


# ------------------------------------------------------------------------------------------- real data


def test_real_region_ccg_areas_simplify_without_faults():
    region = real_region("North East")
    labels = region.ccg_assignment()
    exact = consortium_areas(labels, region)
    assert exact["patients"].sum() == region.population
    areas, lads = simplified_layers(labels, region)
    assert len(areas) == len(exact)
    exact_gaps = coverage_defects(exact.geometry)["gaps"]  # tidal rivers between LAD polygons
    for layer in (areas, lads):
        defects = coverage_defects(layer.geometry)
        # square metres and metres: nothing a reader could see at any zoom
        assert abs(defects["overlap"]) < 1.0
        assert defects["gaps"] <= exact_gaps + 1_000
        assert defects["unmatched_edge_m"] < 1_000
    vertices_exact = shapely.get_num_coordinates(exact.geometry.values).sum()
    vertices_map = shapely.get_num_coordinates(areas.geometry.values).sum()
    assert vertices_map < vertices_exact


def test_geojson_areas_stay_valid_after_reprojection(tmp_path):
    # the 2013 CCG areas of the East of England: 13 of 19 cross themselves by a hair once in degrees
    import geopandas as gpd

    from boundaries.data.areas import consortium_areas, to_wgs84
    from boundaries.data.region import load_region

    region = load_region("East of England")
    areas = consortium_areas(region.ccg_assignment(), region)
    assert (~areas.to_crs(4326).is_valid).sum() > 0  # the defect this guards against is really there
    path = tmp_path / "areas.geojson"
    to_wgs84(areas).to_file(path, driver="GeoJSON", COORDINATE_PRECISION=7)
    back = gpd.read_file(path)
    assert back.is_valid.all() and len(back) == len(areas)
    assert abs(back.to_crs(27700).area.sum() - areas.area.sum()) / areas.area.sum() < 1e-5


def test_a_geos_failure_on_one_area_leaves_the_others_repaired():
    # to_wgs84 repairs and snaps all areas at once; where GEOS fails on one, the others still get theirs
    import numpy as np
    import shapely

    from boundaries.data.areas import _each

    geoms = np.array([shapely.Point(0, 0), shapely.Point(1, 1)], dtype=object)

    def picky(geom):
        if not isinstance(geom, shapely.Geometry) or geom.x == 0:  # fails on the array and on the first point
            raise shapely.errors.GEOSException("no")
        return shapely.buffer(geom, 1)

    out = _each(picky, geoms)
    assert out[0] is None and out[1].equals(shapely.buffer(geoms[1], 1))
    assert list(_each(shapely.make_valid, geoms)) == list(geoms)
