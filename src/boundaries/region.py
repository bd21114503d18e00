"""A region ready to plan: its practices, their catchment cells, the local authorities and the neighbour graph.

CONTRACT (shared by the engine, metrics, maps and CLI). Everything is in British National Grid metres
(EPSG:27700) unless a column says lon/lat.

``practices`` GeoDataFrame, index ``code`` (ODS practice code, str), point geometry at the main surgery, columns:
    name, postcode, lon, lat, geocode (how it was placed: "own", "same_postcode", "postcode_sector",
    "postcode_district", ...), patients (int, July 2014), lad (LAD13CD), lad_name, sha_code, sha_name,
    ccg13 (3-character code of its April 2013 CCG), ccg13_name, imd (float, IMD 2019 score),
    imd_imputed (bool), main_trust (code), main_trust_share (float 0..1)
``cells``  GeoDataFrame, index ``code`` (same codes, same order as practices), polygon geometry, column ``lad``
``lads``   GeoDataFrame, index ``lad`` (LAD13CD), columns lad_name, sha_code; polygon geometry (valid)
``graph``  networkx.Graph, nodes = practice codes; edge attributes ``length`` (shared boundary, metres) and
           ``island`` (True for the explicit links that join islands to the mainland)
``trust_shares`` DataFrame with columns practice, trust, share (a practice's admissions by acute trust)
``trusts`` GeoDataFrame, index trust code, columns name; point geometry
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import networkx as nx
import pandas as pd


@dataclass
class Region:
    name: str
    code: str | None
    practices: gpd.GeoDataFrame
    cells: gpd.GeoDataFrame
    lads: gpd.GeoDataFrame
    graph: nx.Graph
    trust_shares: pd.DataFrame
    trusts: gpd.GeoDataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def population(self) -> int:
        return int(self.practices["patients"].sum())

    def ccg_assignment(self) -> pd.Series:
        """The real April 2013 CCG map of this region as an assignment: practice code -> CCG code."""
        return self.practices["ccg13"].rename("consortium")
