"""The neighbour graph: shared boundaries, connectedness, island links."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import pandas as pd
import pytest
import shapely

from boundaries.graph import MIN_SHARED_M, build_graph, island_edges, shared_boundaries
from boundaries.region import Region, load_region

SHA = [f"Q{n}" for n in range(30, 40)]
ISLE_OF_WIGHT, ISLES_OF_SCILLY = "E06000046", "E06000053"


@pytest.fixture(scope="session")
def regions() -> dict[str, Region]:
    return {code: load_region(code) for code in SHA}


@pytest.mark.parametrize("code", SHA)
def test_graph_is_connected_with_attributes(code, regions):
    region = regions[code]
    graph = region.graph
    assert set(graph.nodes) == set(region.practices.index)
    assert nx.is_connected(graph)
    node = region.practices.index[0]
    for key in ("patients", "lad", "imd", "main_trust", "x", "y"):
        assert key in graph.nodes[node]
    assert graph.nodes[node]["patients"] == region.practices.loc[node, "patients"]
    for _, _, d in graph.edges(data=True):
        assert {"length", "island", "colocated"} <= set(d)
        if d["island"]:
            assert d["length"] == 0.0 and d["distance"] > 0
        elif not d["colocated"]:
            assert d["length"] >= MIN_SHARED_M


@pytest.mark.parametrize("code", SHA)
def test_edges_are_shared_boundaries(code, regions):
    region = regions[code]
    cells = region.cells.geometry
    plain = [(a, b, d["length"]) for a, b, d in region.graph.edges(data=True) if d["length"] > 0]
    for a, b, length in plain[:: max(1, len(plain) // 60)]:
        shared = shapely.intersection(cells[a].boundary, cells[b].boundary, grid_size=0.01).length
        assert shared == pytest.approx(length, abs=0.02)
        assert shapely.distance(cells[a], cells[b]) < 1e-6


def test_island_links(regions):
    found = {code: island_edges(regions[code].graph) for code in SHA}
    assert {code for code, edges in found.items() if edges} == {"Q38", "Q39"}
    for code, lad in (("Q38", ISLE_OF_WIGHT), ("Q39", ISLES_OF_SCILLY)):
        region = regions[code]
        ((a, b),) = found[code]
        lads = {region.practices.loc[a, "lad"], region.practices.loc[b, "lad"]}
        assert lad in lads and len(lads) == 2  # island to mainland
        mainland = region.graph.copy()
        mainland.remove_edges_from([e for e in mainland.edges if mainland.edges[e]["island"]])
        on_island = set(region.practices.index[region.practices["lad"] == lad])
        assert nx.number_connected_components(mainland) == 2
        assert any(set(c) == on_island for c in nx.connected_components(mainland))
        assert any("island link" in note for note in region.notes)


def test_colocated_practices_are_mutual_neighbours(regions):
    region = regions["Q36"]
    for _, group in region.practices.groupby(["x", "y"]):
        codes = list(group.index)
        for i, a in enumerate(codes):
            for b in codes[i + 1 :]:
                assert region.graph.has_edge(a, b)
                assert region.graph.edges[a, b]["colocated"]


def _grid():
    """A 2 x 2 grid of unit squares (100 m): diagonal neighbours touch at a point only."""
    boxes = {
        "A": shapely.box(0, 0, 100, 100),
        "B": shapely.box(100, 0, 200, 100),
        "C": shapely.box(0, 100, 100, 200),
        "D": shapely.box(100, 100, 200, 200),
    }
    cells = gpd.GeoDataFrame({"lad": ["L"] * 4}, geometry=list(boxes.values()), index=list(boxes), crs="EPSG:27700")
    return cells


def test_points_touching_do_not_count():
    pairs = shared_boundaries(_grid())
    assert [(a, b) for a, b in zip(pairs["a"], pairs["b"], strict=True)] == [
        ("A", "B"),
        ("A", "C"),
        ("B", "D"),
        ("C", "D"),
    ]
    assert pairs["length"].tolist() == [100.0] * 4


def test_islands_are_linked_to_the_nearest_practice():
    cells = _grid()
    cells.loc["E"] = ["L", shapely.box(1000, 0, 1100, 100)]
    practices = pd.DataFrame(
        {
            "x": [50, 150, 50, 150, 1050],
            "y": [50, 50, 150, 150, 50],
            "lad": ["L"] * 5,
            "patients": [1] * 5,
            "imd": [10.0] * 5,
            "main_trust": ["T"] * 5,
        },
        index=list("ABCDE"),
    )
    graph = build_graph(practices, cells)
    assert nx.is_connected(graph)
    assert island_edges(graph) == [("B", "E")]
    assert graph.edges["B", "E"]["distance"] == 900.0
