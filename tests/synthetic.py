"""A small synthetic Region whose metrics can be worked out by hand.

A 6x6 grid of 10 km square cells in British National Grid, one practice at the centre of each, plus one island
practice off the east coast joined by an island link. Columns 0-1 are LAD E1, 2-3 are E2, 4-5 and the island
E3.

- patients: 1,000 x (column + 1) per practice; the island has 500.
- IMD: 10 x (column + 1); the island has 60, imputed.
- trusts: TA (site in column 1) and TB (site in column 4). Columns 0-2 send 70% of admissions to TA and 30% to
  TB; columns 3-5 and the island send 90% / 100% to TB and the rest to TA.

Practice codes are ``P{row}{col}`` (``P00`` top-left ... ``P55``) and ``ISL``.
"""

from __future__ import annotations

import functools

import geopandas as gpd
import networkx as nx
import pandas as pd
import pyproj
import pytest
import shapely

from boundaries.data.region import Region

X0, Y0, SIZE = 380_000.0, 420_000.0, 10_000.0
N = 6
LADS = {"E1": "Alphaton", "E2": "Betaborough", "E3": "Gammaford"}
TRUSTS = {"TA": "Alpha Hospitals NHS Trust", "TB": "Beta Acute NHS Trust"}


def code(row: int, col: int) -> str:
    return f"P{row}{col}"


def lad_of(col: int) -> str:
    return ("E1", "E2", "E3")[col // 2]


def cell_box(row: int, col: int) -> shapely.Polygon:
    x = X0 + col * SIZE
    y = Y0 - row * SIZE
    return shapely.box(x, y - SIZE, x + SIZE, y)


ISLAND_BOX = shapely.box(X0 + 6.5 * SIZE, Y0 - 6 * SIZE, X0 + 7.0 * SIZE, Y0 - 5.5 * SIZE)


def make_region(
    names: dict[str, str] | None = None,
    lad_names: dict[str, str] | None = None,
    trust_names: dict[str, str] | None = None,
    postcodes: dict[str, str] | None = None,
) -> Region:
    """Build the synthetic region; ``names``, ``lad_names``, ``trust_names``, ``postcodes`` override texts (for
    escaping)."""
    to_lonlat = pyproj.Transformer.from_crs(27700, 4326, always_xy=True)
    lad_names = {**LADS, **(lad_names or {})}
    trust_names = {**TRUSTS, **(trust_names or {})}
    rows = []
    cells = []
    for r in range(N):
        for c in range(N):
            box = cell_box(r, c)
            main = "TA" if c <= 2 else "TB"
            rows.append(
                dict(
                    code=code(r, c),
                    col=c,
                    patients=1000 * (c + 1),
                    imd=10.0 * (c + 1),
                    imd_imputed=False,
                    lad=lad_of(c),
                    main_trust=main,
                    main_trust_share=0.7 if c <= 2 else 0.9,
                    point=box.centroid,
                    geocode="own",
                )
            )
            cells.append(box)
    rows.append(
        dict(
            code="ISL",
            col=6,
            patients=500,
            imd=60.0,
            imd_imputed=True,
            lad="E3",
            main_trust="TB",
            main_trust_share=1.0,
            point=ISLAND_BOX.centroid,
            geocode="postcode_sector",
        )
    )
    cells.append(ISLAND_BOX)

    frame = pd.DataFrame(rows).set_index("code")
    lon, lat = to_lonlat.transform(shapely.get_x(frame["point"].values), shapely.get_y(frame["point"].values))
    names = names or {}
    practices = gpd.GeoDataFrame(
        {
            "name": [names.get(c, f"Practice {c}") for c in frame.index],
            "postcode": [(postcodes or {}).get(c, f"ZZ{i} 1AA") for i, c in enumerate(frame.index)],
            "lon": lon,
            "lat": lat,
            "geocode": frame["geocode"],
            "patients": frame["patients"].astype(int),
            "lad": frame["lad"],
            "lad_name": frame["lad"].map(lad_names),
            "sha_code": "Q99",
            "sha_name": "Synthetic",
            "ccg13": ["01A" if c < 3 else "02B" for c in frame["col"]],
            "ccg13_name": ["West CCG" if c < 3 else "East CCG" for c in frame["col"]],
            "imd": frame["imd"],
            "imd_imputed": frame["imd_imputed"],
            "main_trust": frame["main_trust"],
            "main_trust_share": frame["main_trust_share"],
        },
        geometry=frame["point"].values,
        index=frame.index,
        crs=27700,
    )
    practices.index.name = "code"
    cell_frame = gpd.GeoDataFrame({"lad": frame["lad"]}, geometry=cells, index=frame.index, crs=27700)
    lads = gpd.GeoDataFrame(
        {"lad_name": [lad_names[k] for k in LADS], "sha_code": "Q99"},
        geometry=[
            shapely.union_all([cell_frame.geometry[i] for i in cell_frame.index[cell_frame["lad"] == k]]) for k in LADS
        ],
        index=pd.Index(list(LADS), name="lad"),
        crs=27700,
    )

    graph = nx.Graph()
    graph.add_nodes_from(frame.index)
    for r in range(N):
        for c in range(N):
            if c + 1 < N:
                graph.add_edge(code(r, c), code(r, c + 1), length=SIZE, island=False)
            if r + 1 < N:
                graph.add_edge(code(r, c), code(r + 1, c), length=SIZE, island=False)
    graph.add_edge("ISL", code(5, 5), length=0.0, island=True)

    shares = []
    for c_code, col in frame["col"].items():
        if col <= 2:
            shares += [(c_code, "TA", 0.7), (c_code, "TB", 0.3)]
        elif col <= 5:
            shares += [(c_code, "TB", 0.9), (c_code, "TA", 0.1)]
        else:
            shares += [(c_code, "TB", 1.0)]
    trust_shares = pd.DataFrame(shares, columns=["practice", "trust", "share"])
    trusts = gpd.GeoDataFrame(
        {"name": [trust_names["TA"], trust_names["TB"]]},
        geometry=[cell_box(2, 1).centroid, cell_box(3, 4).centroid],
        index=pd.Index(["TA", "TB"], name="trust"),
        crs=27700,
    )
    return Region(
        name="Synthetic",
        code="Q99",
        practices=practices,
        cells=cell_frame,
        lads=lads,
        graph=graph,
        trust_shares=trust_shares,
        trusts=trusts,
    )


def by_lad(region: Region) -> pd.Series:
    """Three consortia, one per LAD: coterminous, connected (the island through its link)."""
    return region.practices["lad"].map({"E1": "West", "E2": "Middle", "E3": "East"}).rename("consortium")


def by_half(region: Region) -> pd.Series:
    """Two consortia: rows 0-2 ("North"), rows 3-5 plus the island ("South"); each splits all three LADs."""
    rows = {c: (int(c[1]) if c != "ISL" else 5) for c in region.practices.index}
    return pd.Series({c: "North" if r <= 2 else "South" for c, r in rows.items()}, name="consortium")


@functools.cache
def _load_real(name: str) -> Region | None:
    try:
        from boundaries.data.region import load_region  # type: ignore[attr-defined]
    except ImportError:
        return None
    return load_region(name)


def real_region(name: str = "North East") -> Region:
    """A real SHA region, loaded once per test session; skips while ``load_region`` does not exist yet.

    Once it exists, any loading error fails the test: a broken data bundle must not pass silently.
    """
    region = _load_real(name)
    if region is None:
        pytest.skip("boundaries.data.region.load_region is not available yet")
    return region
