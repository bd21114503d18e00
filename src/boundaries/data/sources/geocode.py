"""Place every practice of the July 2014 list at its main surgery, and say how it was placed.

Why rules rather than "first row of GP.csv": 1,514 practice codes have several sites in NHS Choices and some
branch rows carry another town's postcode and coordinates (D83022 Southwold has branches in Great Yarmouth),
and 77 practices have no coordinates at all. The list-size file's postcode is the practice's registered (main)
address, so every rule is anchored on it:

========================
========================================================================================== ``geocode``
how the point was chosen
========================
========================================================================================== ``own``
an NHS Choices site of the practice whose postcode equals the list postcode ``own_sector``            no such
site: the practice's own site in the same postcode sector (``TS18 1``) ``own_district``          ... else its
own site in the same postcode district (``TS18``) ``own_other``             ... else its own site nearest the
list postcode's position (the practice moved) ``same_postcode``         no own site with coordinates: median
position of the NHS Choices points (GP sites of
                          any practice, hospitals, trusts, CCG offices) sharing the exact list postcode
``postcode_sector``       ... else the median position of all those points in the list postcode's sector
``postcode_district``     ... else the median position of all those points in its district
========================
==========================================================================================

Ties (two own sites at the same level) go to the site nearest the list postcode's position, then file order.
Medians, not means, so one mis-geocoded branch in a sector cannot drag the point away.

A point that is not strictly inside an English LAD is *snapped*: when it lies within :data:`SNAP_LIMIT_M` of
England (simplified coastline, the Welsh border) it moves to a point just inside the nearest LAD and the
practice is reported; farther away it is an :class:`InputError` (coordinates outside England) naming file, row
and field.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.ops import nearest_points

from boundaries.data.sources.raw import BNG, WGS84, postcode_district, postcode_sector
from boundaries.data.sources.text import ROW
from boundaries.errors import InputError

SNAP_LIMIT_M = 5_000.0
SNAP_INSET_M = 25.0
OWN_RULES = ("own", "own_sector", "own_district", "own_other")
POSTCODE_RULES = ("same_postcode", "postcode_sector", "postcode_district")
RULES = OWN_RULES + POSTCODE_RULES

_TO_BNG = Transformer.from_crs(WGS84, BNG, always_xy=True)
_TO_WGS = Transformer.from_crs(BNG, WGS84, always_xy=True)


def to_bng(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """lon/lat -> British National Grid metres; a missing coordinate stays NaN (pyproj would give inf)."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    x, y = _TO_BNG.transform(lon, lat)
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    x, y = np.where(bad, np.nan, x), np.where(bad, np.nan, y)
    return x, y


def to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = _TO_WGS.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lon), np.asarray(lat)


def _reference_positions(sites: pd.DataFrame, others: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    """Median BNG position of the geocoded NHS Choices points per postcode, per sector and per district."""
    located = sites.dropna(subset=["x"])[["postcode", "x", "y"]]
    if others is not None and len(others):
        ox, oy = to_bng(others["lon"].to_numpy(), others["lat"].to_numpy())
        extra = pd.DataFrame({"postcode": others["postcode"].to_numpy(), "x": ox, "y": oy})
        located = pd.concat([located, extra], ignore_index=True)
    located = located[located["postcode"] != ""]
    keys = {
        "postcode": located["postcode"],
        "sector": postcode_sector(located["postcode"]),
        "district": postcode_district(located["postcode"]),
    }
    return {name: located.groupby(key.to_numpy())[["x", "y"]].median() for name, key in keys.items()}


def choose_positions(
    listed: pd.DataFrame,
    sites: pd.DataFrame,
    *,
    list_path: str | Path,
    sites_path: str | Path,
    others: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One position per listed practice: columns code, x, y, geocode, site_row, detail (index = list order).

    ``site_row`` is the GP.csv line of the chosen site (0 when placed from the postcode rules). ``others`` are
    extra NHS Choices points (hospitals, trusts, CCG offices) that help locate a postcode; GP sites come first
    only in the sense that a practice's own site always beats any postcode rule.
    """
    sites = sites.copy()
    sites["x"], sites["y"] = to_bng(sites["lon"].to_numpy(), sites["lat"].to_numpy())
    refs = _reference_positions(sites, others)

    pc = listed["postcode"]
    levels = {"postcode": pc, "sector": postcode_sector(pc), "district": postcode_district(pc)}
    ref_x = np.full(len(listed), np.nan)
    ref_y = np.full(len(listed), np.nan)
    ref_rule = np.full(len(listed), "", dtype=object)
    for rule, (name, keys) in zip(POSTCODE_RULES[::-1], list(levels.items())[::-1], strict=True):
        table = refs[name]
        hit = keys.isin(table.index).to_numpy() & (pc != "").to_numpy()
        ref_x[hit] = table["x"].reindex(keys[hit]).to_numpy()
        ref_y[hit] = table["y"].reindex(keys[hit]).to_numpy()
        ref_rule[hit] = rule

    own = sites.dropna(subset=["x"]).merge(
        pd.DataFrame({"code": listed["code"].to_numpy(), "list_pc": pc.to_numpy(), "rx": ref_x, "ry": ref_y}),
        on="code",
        how="inner",
    )
    level = np.full(len(own), 3)
    own_pc = own["postcode"]
    level[(postcode_district(own_pc) == postcode_district(own["list_pc"])).to_numpy()] = 2
    level[(postcode_sector(own_pc) == postcode_sector(own["list_pc"])).to_numpy()] = 1
    level[(own_pc == own["list_pc"]).to_numpy()] = 0
    own["level"] = level
    own["dist"] = pd.Series(np.hypot(own["x"] - own["rx"], own["y"] - own["ry"]), index=own.index).fillna(np.inf)
    best = own.sort_values(["code", "level", "dist", ROW]).drop_duplicates("code").set_index("code")

    out = pd.DataFrame({"code": listed["code"].to_numpy()})
    chosen = best.reindex(out["code"])
    has_own = chosen["x"].notna().to_numpy()
    out["x"] = np.where(has_own, chosen["x"].to_numpy(), ref_x)
    out["y"] = np.where(has_own, chosen["y"].to_numpy(), ref_y)
    own_rule = [OWN_RULES[int(v)] if v == v else "" for v in chosen["level"].to_numpy()]
    rules = np.where(has_own, own_rule, ref_rule)
    out["geocode"] = rules
    out["site_row"] = np.where(has_own, chosen[ROW].fillna(0).to_numpy(), 0).astype(np.int64)
    n_sites = sites.groupby("code").size().reindex(out["code"]).fillna(0).astype(int).to_numpy()
    out["sites"] = n_sites
    detail = np.full(len(out), "", dtype=object)
    for i in np.flatnonzero(~has_own):
        detail[i] = (
            f"no site with coordinates in GP.csv ({n_sites[i]} rows); list postcode {pc.iloc[i]}" if rules[i] else ""
        )
    for i in np.flatnonzero(has_own & (rules != "own")):
        detail[i] = (
            f"no site at list postcode {pc.iloc[i]}; chose site {chosen['site_name'].iloc[i]!r} at "
            f"{chosen['postcode'].iloc[i]} (GP.csv row {int(chosen[ROW].iloc[i])})"
        )
    out["detail"] = detail
    out["site_name"] = (
        chosen["parent_name"].where(chosen["parent_name"].fillna("") != "", chosen["site_name"]).fillna("").to_numpy()
    )

    unplaced = np.flatnonzero(out["geocode"].to_numpy() == "")
    if len(unplaced):
        i = unplaced[0]
        raise InputError(
            f"practice {out['code'].iloc[i]} has no site with coordinates and its postcode "
            f"{pc.iloc[i]!r} matches no geocoded postcode, sector or district",
            file=list_path,
            row=int(listed[ROW].iloc[i]),
            field="POSTCODE",
        )
    return out


def place_in_lads(
    positions: pd.DataFrame,
    lads: gpd.GeoDataFrame,
    listed: pd.DataFrame,
    *,
    list_path: str | Path,
    sites_path: str | Path,
) -> pd.DataFrame:
    """Find each practice's LAD; snap points just outside England inside the nearest LAD; refuse far ones.

    Adds columns lad, snapped (bool), snap_m (distance moved, metres), lon, lat (of the final point).
    """
    out = positions.copy()
    out["x"], out["y"] = out["x"].round(2), out["y"].round(2)  # centimetres: short, stable CSV numbers
    points = shapely.points(out["x"].to_numpy(), out["y"].to_numpy())
    geoms = lads.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    pi, li = tree.query(points, predicate="within")
    lad_idx = np.full(len(points), -1)
    order = np.lexsort((li, pi))  # lowest LAD index first if a point were inside two
    pi, li = pi[order], li[order]
    first = np.unique(pi, return_index=True)[1]
    lad_idx[pi[first]] = li[first]
    snapped = np.zeros(len(points), dtype=bool)
    snap_m = np.zeros(len(points))
    for i in np.flatnonzero(lad_idx < 0):
        nearest, dist = tree.query_nearest(points[i], return_distance=True, all_matches=False)
        j, d = int(nearest[0]), float(dist[0])
        if d > SNAP_LIMIT_M:
            lon, lat = to_lonlat(out["x"].iloc[i], out["y"].iloc[i])
            code = out["code"].iloc[i]
            if out["site_row"].iloc[i] > 0:
                file, row, field = sites_path, int(out["site_row"].iloc[i]), "Latitude"
            else:
                file, row, field = list_path, int(listed[ROW].iloc[i]), "POSTCODE"
            raise InputError(
                f"coordinates outside England: practice {code} at lon {float(lon):.5f}, "
                f"lat {float(lat):.5f} is {d / 1000:.1f} km from the nearest English district "
                f"(snap limit {SNAP_LIMIT_M / 1000:.0f} km)",
                file=file,
                row=row,
                field=field,
            )
        lad = geoms[j]
        on_edge = nearest_points(lad, points[i])[0]
        inside = shapely.intersection(lad, shapely.buffer(on_edge, SNAP_INSET_M)).representative_point()
        out.loc[out.index[int(i)], ["x", "y"]] = [round(inside.x, 2), round(inside.y, 2)]
        lad_idx[i] = j
        snapped[i] = True
        snap_m[i] = float(shapely.distance(points[i], inside))
    final = shapely.points(out["x"].to_numpy(), out["y"].to_numpy())
    if not shapely.within(final, geoms[lad_idx]).all():  # pragma: no cover - guards the rounding above
        raise AssertionError("a placed practice is not inside its LAD")
    out["lad"] = lads["lad"].to_numpy()[lad_idx]
    out["snapped"] = snapped
    out["snap_m"] = np.round(snap_m, 1)
    lon, lat = to_lonlat(out["x"].to_numpy(), out["y"].to_numpy())
    out["lon"] = np.round(lon, 6)
    out["lat"] = np.round(lat, 6)
    return out
