"""The neighbour graph: shared boundaries, connectedness, island links."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import pandas as pd
import pytest
import shapely

from boundaries.data.cells import build_cells, main_polygons
from boundaries.data.graph import MIN_SHARED_M, authority_graph, build_graph, island_edges, shared_boundaries
from boundaries.data.region import Region, load_region

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
    cells = pd.Series(main_polygons(region.cells), index=region.cells.index)  # island parts make no edges
    plain = [(a, b, d["length"]) for a, b, d in region.graph.edges(data=True) if d["length"] > 0]
    for a, b, length in plain[:: max(1, len(plain) // 60)]:
        shared = shapely.intersection(cells[a].boundary, cells[b].boundary, grid_size=0.01).length
        assert shared == pytest.approx(length, abs=0.02)
        assert shapely.distance(cells[a], cells[b]) < 1e-6


def test_island_links(regions):
    """Two links join an island authority to the mainland; every other link joins pieces of one authority
    that do not touch on the ground (Sheppey and the rest of Swale, Runcorn and Widnes), so that the
    authority's practices are connected."""
    found = {code: island_edges(regions[code].graph) for code in SHA}
    crossing = {}
    for code, edges in found.items():
        lad = regions[code].practices["lad"]
        crossing[code] = [(a, b) for a, b in edges if lad[a] != lad[b]]
    assert {code for code, edges in crossing.items() if edges} == {"Q38", "Q39"}
    for code, lad in (("Q38", ISLE_OF_WIGHT), ("Q39", ISLES_OF_SCILLY)):
        region = regions[code]
        ((a, b),) = crossing[code]
        lads = {region.practices.loc[a, "lad"], region.practices.loc[b, "lad"]}
        assert lad in lads and len(lads) == 2  # island to mainland
        mainland = region.graph.copy()
        mainland.remove_edges_from([e for e in mainland.edges if mainland.edges[e]["island"]])
        on_island = set(region.practices.index[region.practices["lad"] == lad])
        assert any(set(c) == on_island for c in nx.connected_components(mainland))
        assert any("island link" in note for note in region.notes)
    swale = regions["Q37"].practices.index[regions["Q37"].practices["lad_name"] == "Swale"]
    assert [e for e in found["Q37"] if e[0] in swale] and sum(map(len, found.values())) == 19


@pytest.mark.parametrize("code", SHA)
def test_every_authority_is_connected(code, regions):
    region = regions[code]
    for lad, codes in region.practices.groupby("lad").groups.items():
        assert nx.is_connected(region.graph.subgraph(codes)), lad


def test_an_island_part_makes_no_edge():
    """L1's islet touches L2's cell over 20 m; the two authorities meet nowhere else, so only an island link
    joins them."""
    practices = pd.DataFrame(
        {
            "x": [10, 90, 250],
            "y": [50, 50, 50],
            "lad": ["L1", "L1", "L2"],
            "patients": [1] * 3,
            "imd": [10.0] * 3,
            "main_trust": ["T"] * 3,
        },
        index=["A", "B", "C"],
    )
    lads = gpd.GeoDataFrame(
        geometry=[
            shapely.MultiPolygon([shapely.box(0, 0, 100, 100), shapely.box(200, 40, 220, 60)]),
            shapely.box(220, 0, 300, 100),
        ],
        index=pd.Index(["L1", "L2"], name="lad"),
        crs="EPSG:27700",
    )
    cells = build_cells(practices, lads).cells
    assert cells.loc["B", "island_parts"] == 1
    graph = build_graph(practices, cells)
    assert graph.edges["B", "C"]["island"] and graph.edges["B", "C"]["distance"] == 160.0
    assert shared_boundaries(cells)[["a", "b"]].values.tolist() == [["A", "B"]]


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


@pytest.mark.parametrize("code", ["Q30", "Q36"])  # the North East; London, the most authorities' borders
def test_authority_graph_is_the_quotient_by_authority(code, regions):
    # the authorities' neighbour graph (heuristic blocks, explanations) is networkx's quotient graph of the
    # practices' graph by authority, with authorities as nodes, in a fixed order
    graph, practices = regions[code].graph, regions[code].practices
    lad = practices["lad"].astype(str).to_dict()
    given = sorted(set(lad.values()), reverse=True)
    ours = authority_graph(graph, lad, given)
    blocks = {name: {u for u in graph if lad[u] == name} for name in given}
    quotient = nx.quotient_graph(graph, blocks, relabel=False)
    name_of = {frozenset(members): name for name, members in blocks.items()}
    assert list(ours.nodes) == given
    assert {frozenset(e) for e in ours.edges} == {frozenset(map(name_of.get, e)) for e in quotient.edges}
    assert nx.number_of_selfloops(ours) == 0
    assert list(authority_graph(graph, lad).nodes) == list(dict.fromkeys(lad[u] for u in graph))
