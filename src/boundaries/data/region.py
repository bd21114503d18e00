"""A region ready to plan: its practices, their catchment cells, the local authorities and the neighbour
graph.

CONTRACT (shared by the engine, metrics, maps and CLI). Everything is in British National Grid metres
(EPSG:27700) unless a column says lon/lat.

``practices`` GeoDataFrame, index ``code`` (ODS practice code, str), point geometry at the main surgery,
    columns:
    name, postcode, lon, lat, geocode (how it was placed: "own", "same_postcode", "postcode_sector",
    "postcode_district", ...), patients (int, July 2014), lad (LAD13CD), lad_name, sha_code, sha_name,
    ccg13 (3-character code of its April 2013 CCG), ccg13_name, imd (float, IMD 2019 score),
    imd_imputed (bool), main_trust (code), main_trust_share (float 0..1)
``cells``  GeoDataFrame, index ``code`` (same codes, same order as practices), polygon geometry,
           column ``lad``; each cell is one Polygon, or a MultiPolygon whose first part is the practice's own
           piece and whose other parts are island parts (counted in ``island_parts``, area ``island_km2``;
           see :mod:`boundaries.data.cells`)
``lads``   GeoDataFrame, index ``lad`` (LAD13CD), columns lad_name, sha_code; polygon geometry (valid)
``graph``  networkx.Graph, nodes = practice codes; edge attributes ``length`` (shared boundary of the two
           cells' own pieces, metres) and ``island`` (True for the explicit links that join islands to the
           mainland, and pieces of one authority that do not touch to each other)
``trust_shares`` DataFrame with columns practice, trust, share (a practice's admissions by acute trust)
``trusts`` GeoDataFrame, index trust code, columns name; point geometry

Also present (added with the real data, see README.md, "Data"): practices x, y (metres), town, geocode_detail,
sites, snapped, snap_m, ccg13_cd, area_team, main_trust_name; lads sha_name, area_km2, practices, patients; graph
edges colocated, cross_lad and (island edges) distance; trusts status, subtype_2014, lon, lat.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import networkx as nx
import pandas as pd

from boundaries.data import bundle as data
from boundaries.data.cells import CellResult, build_cells
from boundaries.data.graph import build_graph
from boundaries.data.sources import cache as region_cache
from boundaries.errors import InputError


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

    def ccg_assignment(self, names: bool = False) -> pd.Series:
        """The real April 2013 CCG map of this region as an assignment: practice code -> CCG code ("00K"), or
        with ``names`` the CCG's name ("NHS Hartlepool and Stockton-on-Tees CCG", unique), for people to read."""
        return self.practices["ccg13_name" if names else "ccg13"].rename("consortium")


# --- building regions from the bundle ---------------------------------------------------------------------

SpecLike = str | Sequence[str]


@dataclass(frozen=True)
class _Spec:
    """A region spec resolved against the bundle: what kind it is and which codes it names."""

    kind: str  # "sha" | "lads" | "ccgs"
    codes: tuple[str, ...]
    name: str
    code: str | None

    @property
    def key(self) -> str:
        return f"{self.kind}:{','.join(self.codes)}"


_SPEC_FILE = "region spec"


def _norm(text: str) -> str:
    return " ".join(str(text).replace("&", " and ").lower().split())


#: The ten SHA regions, code -> name, as in the bundle (a test checks they agree). Kept here so that settings
#: files and region lists can be checked without loading the bundle.
SHA_REGIONS: dict[str, str] = {
    "Q30": "North East",
    "Q31": "North West",
    "Q32": "Yorkshire and the Humber",
    "Q33": "East Midlands",
    "Q34": "West Midlands",
    "Q35": "East of England",
    "Q36": "London",
    "Q37": "South East Coast",
    "Q38": "South Central",
    "Q39": "South West",
}
_SHA_LOOKUP = {_norm(k): v for k, v in SHA_REGIONS.items()} | {_norm(v): v for v in SHA_REGIONS.values()}


def sha_name(text: str) -> str | None:
    """The SHA region's name for its name or code in any case ("q36", "LONDON" -> "London"), else None.

    One spelling per region everywhere (settings tables, folder names, the batch index), so that a region given
    by its code finds the table written under its name, and is never solved or listed twice.
    """
    return _SHA_LOOKUP.get(_norm(text))


def sha_choices() -> str:
    """The SHA regions as a planner can name them, for error messages: "North East (Q30), ..."."""
    return ", ".join(f"{name} ({code})" for code, name in SHA_REGIONS.items())


def _resolve(spec: SpecLike, sha: pd.DataFrame, lads: pd.DataFrame, practices: pd.DataFrame) -> _Spec:
    """Turn an SHA name/code, a list of LAD13 codes or a list of CCG codes into a :class:`_Spec`.

    Unknown names and codes raise InputError ("unknown region ...") naming the item and its position.
    """
    if isinstance(spec, str):
        wanted = _norm(spec)
        for code, name in zip(sha.index, sha["name"], strict=True):
            if wanted in (_norm(code), _norm(name)):
                return _Spec("sha", (str(code),), str(name), str(code))
        items: list[str] = [spec]
    else:
        items = list(spec)
    if not items:
        raise InputError("unknown region: the spec names no SHA, LAD or CCG", file=_SPEC_FILE)
    codes = [str(item).strip().upper() for item in items]
    lad_codes = set(lads.index)
    ccg3 = set(practices["ccg13"])
    ons = dict(zip(practices["ccg13_cd"], practices["ccg13"], strict=True))
    ons.pop("", None)
    if codes[0] in lad_codes:
        for i, c in enumerate(codes):
            if c not in lad_codes:
                raise InputError(
                    f"unknown region: {items[i]!r} is not a LAD13 code of England",
                    file=_SPEC_FILE,
                    row=i + 1,
                    field="lad",
                )
        chosen = tuple(sorted(set(codes)))
        names = lads.loc[list(chosen), "lad_name"].tolist()
        label = ", ".join(names) if len(names) <= 3 else f"{len(names)} local authorities"
        return _Spec("lads", chosen, label, None)
    if codes[0] in ccg3 or codes[0] in ons:
        out = []
        for i, c in enumerate(codes):
            if c in ccg3:
                out.append(c)
            elif c in ons:
                out.append(ons[c])
            else:
                raise InputError(
                    f"unknown region: {items[i]!r} is not a 2013 CCG code (3-character or E38)",
                    file=_SPEC_FILE,
                    row=i + 1,
                    field="ccg13",
                )
        chosen = tuple(sorted(set(out)))
        names = practices.drop_duplicates("ccg13").set_index("ccg13").loc[list(chosen), "ccg13_name"].tolist()
        label = ", ".join(names) if len(names) <= 3 else f"{len(names)} CCGs (2013)"
        return _Spec("ccgs", chosen, label, None)
    known = ", ".join(f"{c} {n}" for c, n in zip(sha.index, sha["name"], strict=True))
    raise InputError(
        f"unknown region {items[0]!r}: give an SHA ({known}), LAD13 codes or 2013 CCG codes",
        file=_SPEC_FILE,
        row=1 if not isinstance(spec, str) else None,
        field="sha" if isinstance(spec, str) else "lad",
    )


def sha_regions(data_dir: str | Path | None = None) -> pd.DataFrame:
    """The ten SHA regions (index ``code``): name, practices, patients, lads, ccgs (2013 CCGs whose patients
    are mostly in the region; they sum to 211), ccgs_any (CCGs with any practice there), area_km2."""
    table = data.load_sha(data_dir)
    table = table.rename(columns={"sha_name": "name", "ccg13": "ccgs", "ccg13_any": "ccgs_any"})
    table.index.name = "code"
    return table[["name", "practices", "patients", "lads", "ccgs", "ccgs_any", "area_km2"]].sort_index()


def load_region(spec: SpecLike, data_dir: str | Path | None = None, cache: bool = True) -> Region:
    """Build (or load from cache) the region named by ``spec``.

    ``spec`` is one of:

    * an SHA name or code, case-insensitive ("North West", "q31");
    * a list of LAD13 codes: the practices located in those LADs; the territory is exactly their union;
    * a list of 2013 CCG codes, 3-character ("00K") or ONS ("E38000075"): the practices registered with those
      CCGs. Their cells are the cells they have in any other region, so the territory is the union of those
      cells, which may cover only parts of the LADs listed in ``lads``.

    Raises InputError for an unknown SHA/LAD/CCG ("unknown region ...") and for a region without any practice.
    """
    sha = sha_regions(data_dir)
    practices = data.load_practices(data_dir)
    lads = data.load_lads(data_dir)
    resolved = _resolve(spec, sha, lads, practices)
    entry = None
    if cache:
        entry = region_cache.key(resolved.key, data.bundle_hash(data_dir))
        hit = region_cache.load(entry)
        if isinstance(hit, Region):
            return hit
    region = _build(resolved, practices, lads, data_dir)
    if cache and entry is not None:
        region_cache.save(entry, region)
    return region


def _cell_notes(result: CellResult, chosen: pd.DataFrame) -> list[str]:
    """Notes on how cells were made one piece: fragments handed over, and island parts (land of an authority
    holding no practice, or touching the rest of it only at points) per authority, with who took them."""
    notes = []
    if result.fragments:
        notes.append(
            f"{result.fragments} cell fragments (parts of a clipped Voronoi cell away from its practice) were "
            "given to the neighbouring cell of the same authority with the longest shared border"
        )
    islands = pd.DataFrame([vars(i) for i in result.islands], columns=["lad", "code", "area_m2", "distance_m"])
    islands = islands[islands["code"].isin(chosen.index)]
    for lad, group in islands.groupby("lad", sort=True):
        name = chosen.loc[group["code"].iloc[0], "lad_name"]
        takers = ", ".join(sorted(set(group["code"])))
        notes.append(
            f"island parts of {name} ({lad}): {len(group)} part(s), {group['area_m2'].sum() / 1e6:.2f} km², of "
            "its land holding no practice and touching its other land at points at most; given to the nearest "
            f"practice of the authority ({takers})"
        )
    return notes


def _build(spec: _Spec, practices: gpd.GeoDataFrame, lads: gpd.GeoDataFrame, data_dir: str | Path | None) -> Region:
    where = data.default_data_dir() if data_dir is None else Path(data_dir)
    if spec.kind == "sha":
        chosen = practices[practices["sha_code"] == spec.code]
        field_name = "sha_code"
    elif spec.kind == "lads":
        chosen = practices[practices["lad"].isin(spec.codes)]
        field_name = "lad"
    else:
        chosen = practices[practices["ccg13"].isin(spec.codes)]
        field_name = "ccg13"
    if chosen.empty:
        raise InputError(
            f"empty region: no practice of the bundle has {field_name} in {', '.join(spec.codes)}",
            file=where / data.GPKG,
            field=field_name,
        )
    notes: list[str] = []
    if spec.kind == "sha":
        region_lads = lads[lads["sha_code"] == spec.code]
    else:
        wanted = set(spec.codes) if spec.kind == "lads" else set(chosen["lad"])
        region_lads = lads[lads.index.isin(wanted)]
    region_lads = region_lads.sort_index()
    generators = practices[practices["lad"].isin(region_lads.index)].sort_index()
    result = build_cells(generators, region_lads)
    if result.empty_lads:
        notes.append(f"LADs without any practice, left out of the territory: {', '.join(result.empty_lads)}")
        region_lads = region_lads.drop(index=result.empty_lads)
    chosen = chosen.sort_index()
    cells = result.cells.loc[chosen.index]
    if spec.kind == "ccgs":
        notes.append(
            "territory = the cells of the CCGs' practices (the same cells as in their SHA region); "
            "`lads` lists every LAD holding one of them, possibly only in part"
        )
    graph = build_graph(chosen, cells)
    for a, b, d in sorted((a, b, e["distance"]) for a, b, e in graph.edges(data=True) if e.get("island")):
        pa, pb = chosen.loc[a], chosen.loc[b]
        notes.append(f"island link {a} ({pa['lad_name']}) - {b} ({pb['lad_name']}): {d / 1000:.1f} km apart")
    notes += _cell_notes(result, chosen)
    shared_sites = int((chosen.groupby(["x", "y"]).size() > 1).sum())
    if shared_sites:
        notes.append(f"{shared_sites} shared sites: their cells are split into equal-angle sectors (ODS code order)")

    region_lads = region_lads.copy()
    counts = chosen.groupby("lad")["patients"].agg(["size", "sum"])
    region_lads["practices"] = counts["size"].reindex(region_lads.index).fillna(0).astype("int64")
    region_lads["patients"] = counts["sum"].reindex(region_lads.index).fillna(0).astype("int64")
    shares = data.load_trust_shares(data_dir)
    shares = shares[shares["practice"].isin(chosen.index)].reset_index(drop=True)
    trusts = data.load_trusts(data_dir)
    used = set(shares["trust"]) | set(chosen["main_trust"].dropna())
    trusts = trusts[trusts.index.isin(used)].sort_index()
    return Region(
        name=spec.name,
        code=spec.code,
        practices=chosen,
        cells=cells,
        lads=region_lads,
        graph=graph,
        trust_shares=shares,
        trusts=trusts,
        notes=notes,
    )
