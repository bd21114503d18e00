"""Build the England bundle in ``boundaries/data/geo/`` from the raw files in ``shared/data``.

One function, :func:`build_bundle`, so that ``scripts/build_data.py`` stays a thin command line and the tests
can call the same steps. Every practice of the July 2014 list is kept; anything that cannot be used raises
:class:`~boundaries.errors.InputError` instead of being dropped, and whatever was estimated (geocoding rules
other than ``own``, snapped points, imputed IMD, repaired polygons) is counted in the build report.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from boundaries.atomic import atomic_folder
from boundaries.data import bundle
from boundaries.data.sources import enrich, geocode, raw, towns
from boundaries.data.sources.text import ROW
from boundaries.errors import InputError

FIXED_DATE = "2014-07-01T00:00:00Z"  # GeoPackage timestamps: fixed so a rebuild is byte-identical


def _name_key(name: str) -> str:
    """Loose key to match CCG names across files ("NHS West London (K&C & QPP) CCG" style differences)."""
    text = name.lower().replace("&", " and ")
    text = re.sub(r"\b(nhs|ccg)\b", " ", text)
    return re.sub(r"[^a-z]", "", text)


def check_lad_codes(
    lads: gpd.GeoDataFrame, lookup: pd.DataFrame, lads_path: str | Path, lookup_path: str | Path
) -> None:
    """Every LAD polygon needs an SHA and every LAD of the lookup a polygon (else: unknown LAD code)."""
    known = set(lads["lad"])
    unknown = ~lookup["lad"].isin(known).to_numpy()
    if unknown.any():
        i = np.flatnonzero(unknown)[0]
        raise InputError(
            f"unknown LAD code {lookup['lad'].iloc[i]!r}: no such polygon in {Path(lads_path).name}",
            file=lookup_path,
            row=int(lookup[ROW].iloc[i]),
            field="LAD13CD",
        )
    orphan = ~lads["lad"].isin(set(lookup["lad"])).to_numpy()
    if orphan.any():
        i = np.flatnonzero(orphan)[0]
        raise InputError(
            f"LAD {lads['lad'].iloc[i]!r} has no SHA in {Path(lookup_path).name}",
            file=lads_path,
            row=int(lads[ROW].iloc[i]),
            field="LAD13CD",
        )


def _ccg_polygons(
    polys: gpd.GeoDataFrame, rca: pd.DataFrame, codes17: pd.DataFrame, files: raw.RawFiles
) -> tuple[gpd.GeoDataFrame, dict]:
    """Give each 2013 CCG polygon its 3-character code: by ONS code (2017 lookup), else by name."""
    by_cd = codes17.set_index("ccg_cd")["ccg13"]
    by_name = {_name_key(n): c for c, n in zip(rca["ccg13"], rca["ccg13_name"], strict=True)}
    code = polys["ccg_cd"].map(by_cd)
    via_name = code.isna() | ~code.isin(set(rca["ccg13"]))
    code = code.where(~via_name, polys["name"].map(lambda n: by_name.get(_name_key(n))))
    missing = code.isna().to_numpy()
    if missing.any():
        i = np.flatnonzero(missing)[0]
        raise InputError(
            f"CCG {polys['name'].iloc[i]!r} matches no 2013 CCG code or name",
            file=files.ccg13,
            row=int(polys[ROW].iloc[i]),
            field="CODE",
        )
    dup = code.duplicated().to_numpy()
    if dup.any():
        i = np.flatnonzero(dup)[0]
        raise InputError(
            f"two polygons for CCG {code.iloc[i]}",
            file=files.ccg13,
            row=int(polys[ROW].iloc[i]),
            field="CODE",
        )
    names = rca.set_index("ccg13")["ccg13_name"]
    out = gpd.GeoDataFrame(
        {
            "ccg13": code.to_numpy(),
            "ccg13_cd": polys["ccg_cd"].to_numpy(),
            "ccg13_name": names.reindex(code).to_numpy(),
        },
        geometry=polys.geometry.to_numpy(),
        crs=raw.BNG,
    )
    out = out.sort_values("ccg13").reset_index(drop=True)
    info = {
        "polygons": int(len(out)),
        "matched_by_ons_code": int((~via_name).sum()),
        "matched_by_name": sorted(polys.loc[via_name.to_numpy(), "name"].tolist()),
        "declared_crs_ignored": bool(polys.attrs.get("declared_crs_ignored", False)),
        "missing": sorted(set(rca["ccg13"]) - set(out["ccg13"])),
    }
    return out, info


def _trusts(
    flows: pd.DataFrame, trusts22: pd.DataFrame, trusts14: pd.DataFrame, files: raw.RawFiles
) -> gpd.GeoDataFrame:
    """The acute trusts named in the flows, with name, status and location from the 2022 trust points."""
    unknown = ~flows["trust"].isin(set(trusts22["trust"])).to_numpy()
    if unknown.any():
        i = np.flatnonzero(unknown)[0]
        raise InputError(
            f"trust {flows['trust'].iloc[i]!r} has no name/location in {files.trusts22.name}",
            file=files.flows,
            row=int(flows[ROW].iloc[i]),
            field="trust_code",
        )
    table = trusts22[trusts22["trust"].isin(set(flows["trust"]))].sort_values("trust").reset_index(drop=True)
    table["subtype_2014"] = table["trust"].map(trusts14.set_index("trust")["subtype_2014"]).fillna("")
    x, y = geocode.to_bng(table["lon"].to_numpy(), table["lat"].to_numpy())
    return gpd.GeoDataFrame(
        table[["trust", "name", "status", "subtype_2014", "lon", "lat"]],
        geometry=shapely.points(x, y),
        crs=raw.BNG,
    )


def _sha_table(practices: pd.DataFrame, lads: pd.DataFrame) -> pd.DataFrame:
    """The ten SHA regions: LADs, practices, patients, area, and 2013 CCGs (by majority of patients and
    any)."""
    by_ccg = practices.groupby(["ccg13", "sha_code"])["patients"].sum().reset_index()
    home = by_ccg.sort_values(["ccg13", "patients", "sha_code"], ascending=[True, False, True])
    home = home.drop_duplicates("ccg13")
    table = lads.groupby(["sha_code", "sha_name"]).agg(lads=("lad", "size"), area_km2=("area_km2", "sum")).reset_index()
    table = table.set_index("sha_code")
    table["practices"] = practices.groupby("sha_code").size()
    table["patients"] = practices.groupby("sha_code")["patients"].sum()
    table["ccg13"] = home.groupby("sha_code").size()
    table["ccg13_any"] = by_ccg.groupby("sha_code").size()
    table = table.fillna(0)
    for col in ("practices", "patients", "ccg13", "ccg13_any", "lads"):
        table[col] = table[col].astype("int64")
    table["area_km2"] = table["area_km2"].round(1)
    return table.reset_index()[
        ["sha_code", "sha_name", "lads", "practices", "patients", "ccg13", "ccg13_any", "area_km2"]
    ]


def _file_info(path: Path, root: Path) -> dict:
    data = path.read_bytes()
    return {
        "file": path.relative_to(root).as_posix(),
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def build_bundle(shared: str | Path, out: str | Path) -> dict:
    """Read every raw file under ``shared`` (the ``shared/data`` folder), write the bundle to ``out``.

    Returns the build report (also written as build_report.json and build_report.md).
    """
    files = raw.RawFiles(Path(shared))
    for name, path in files.all().items():
        if not path.exists():
            raise InputError(f"raw input {name!r} not found (is --shared pointing at shared/data?)", file=path)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)

    listed = raw.load_list_sizes(files.list_sizes)
    if listed.empty:
        raise InputError("no practice in the list", file=files.list_sizes, row=2, field="GP_PRACTICE_CODE")
    sites = raw.load_gp_sites(files.gp_sites)
    others = pd.concat(
        [raw.load_choices_points(p) for p in (files.hospitals, files.trusts_2014, files.ccg_choices)],
        ignore_index=True,
    )
    ods = raw.load_epraccur(files.epraccur)
    rca = raw.load_ccg_rca(files.ccg_rca)
    lookup = raw.load_sha_lookup(files.sha_lookup)
    lads = raw.load_lad_polygons(files.lads)
    repaired = lads.attrs.get("repaired", 0)
    check_lad_codes(lads, lookup, files.lads, files.sha_lookup)
    lads, moved_m2 = raw.resolve_overlaps(lads)

    unknown_ccg = ~listed["ccg13"].isin(set(rca["ccg13"])).to_numpy()
    if unknown_ccg.any():
        i = np.flatnonzero(unknown_ccg)[0]
        raise InputError(
            f"unknown CCG code {listed['ccg13'].iloc[i]!r} (not one of the 211 CCGs of 2013)",
            file=files.list_sizes,
            row=int(listed[ROW].iloc[i]),
            field="CCG_CODE",
        )

    # -- place every practice
    positions = geocode.choose_positions(
        listed, sites, list_path=files.list_sizes, sites_path=files.gp_sites, others=others
    )
    placed = geocode.place_in_lads(positions, lads, listed, list_path=files.list_sizes, sites_path=files.gp_sites)

    # -- attributes
    p = listed.drop(columns=[ROW]).reset_index(drop=True)
    for col in ("x", "y", "lon", "lat", "geocode", "sites", "snapped", "snap_m", "lad"):
        p[col] = placed[col].to_numpy()
    p["geocode_detail"] = placed["detail"].to_numpy()
    ods_name = p["code"].map(ods.set_index("code")["ods_name"]).fillna("").str.title()
    site_name = pd.Series(placed["site_name"].to_numpy(), index=p.index).fillna("")
    p["name"] = site_name.where(site_name != "", ods_name).where(lambda s: s != "", p["code"])
    chosen_site = sites.set_index(ROW).reindex(placed["site_row"].to_numpy())  # NaN rows: no own site
    site_lines = pd.Series(
        [list(r) for r in chosen_site[[c.lower() for c in raw.GP_ADDRESS]].fillna("").itertuples(index=False)],
        index=p["code"].to_numpy(),
    )
    town, town_info = towns.practice_towns(p["code"], ods, site_lines)
    p["town"] = town.to_numpy()
    lad_info = lookup.set_index("lad")
    p["lad_name"] = p["lad"].map(lads.set_index("lad")["lad_name"])
    p["sha_code"] = p["lad"].map(lad_info["sha_code"])
    p["sha_name"] = p["lad"].map(lad_info["sha_name"])
    p["ccg13_name"] = p["ccg13"].map(rca.set_index("ccg13")["ccg13_name"])

    imd = enrich.impute_imd(p, raw.load_imd(files.imd))
    p["imd"], p["imd_imputed"] = imd["imd"], imd["imd_imputed"]

    flows = raw.load_flows(files.flows)
    shares, profile_info = enrich.trust_profiles(
        p,
        flows,
        raw.load_msoa_centroids(files.msoa_centroids),
        flows_path=files.flows,
        centroids_path=files.msoa_centroids,
    )
    trusts = _trusts(flows, raw.load_trusts22(files.trusts22), raw.load_trusts_2014(files.trusts_2014), files)
    main = enrich.main_trusts(shares)
    p["main_trust"] = p["code"].map(main["main_trust"])
    p["main_trust_share"] = p["code"].map(main["main_trust_share"])
    p["main_trust_name"] = p["main_trust"].map(trusts.set_index("trust")["name"])

    ccg_polys, ccg_info = _ccg_polygons(
        raw.load_ccg13_polygons(files.ccg13), rca, raw.load_ccg17_codes(files.ccg17_codes), files
    )
    p["ccg13_cd"] = p["ccg13"].map(ccg_polys.set_index("ccg13")["ccg13_cd"]).fillna("")

    p = p.sort_values("code").reset_index(drop=True)[bundle.PRACTICE_COLUMNS]
    lads = lads.merge(lookup[["lad", "sha_code", "sha_name"]], on="lad", how="left")
    lads["area_km2"] = (lads.geometry.area / 1e6).round(3)
    lads = lads[["lad", "lad_name", "sha_code", "sha_name", "area_km2", "geometry"]]
    sha = _sha_table(p, lads)

    # -- nothing lost
    left_out = pd.DataFrame(columns=["code", "patients", "reason"])
    if len(p) != len(listed) or int(p["patients"].sum()) != int(listed["patients"].sum()):
        raise AssertionError("practices lost in the build")  # every loss path above raises InputError instead
    empty = sha[sha["practices"] == 0]
    if len(empty):
        raise InputError(
            f"empty region: SHA {empty['sha_code'].iloc[0]} has no practice",
            file=files.sha_lookup,
            field="SHA_CODE",
        )

    report = _report(
        files,
        listed,
        p,
        placed,
        lads,
        repaired,
        moved_m2,
        profile_info,
        ccg_info,
        trusts,
        shares,
        sha,
        left_out,
        town_info,
    )
    _write(out, p, lads, ccg_polys, trusts, shares, sha, left_out, report)
    return report


def _report(
    files, listed, p, placed, lads, repaired, moved_m2, profile_info, ccg_info, trusts, shares, sha, left_out, town_info
) -> dict:
    rules = p.groupby("geocode").agg(practices=("code", "size"), patients=("patients", "sum"))
    rules = rules.reindex([r for r in geocode.RULES if r in rules.index])
    not_own = p[p["geocode"] != "own"][["code", "name", "postcode", "geocode", "geocode_detail", "lad", "patients"]]
    snapped = p[p["snapped"]][["code", "name", "postcode", "lad", "lad_name", "snap_m", "patients", "geocode"]]
    positions = p.groupby(["x", "y"]).size()
    shared_sites = positions[positions > 1]
    imputed = p[p["imd_imputed"]]
    no_ccg_cd = sorted(p.loc[p["ccg13_cd"] == "", "ccg13"].unique())
    return {
        "inputs": {name: _file_info(path, files.root) for name, path in files.all().items()},
        "practices": {
            "listed": int(len(listed)),
            "listed_patients": int(listed["patients"].sum()),
            "kept": int(len(p)),
            "kept_patients": int(p["patients"].sum()),
            "left_out": left_out.to_dict("records"),
        },
        "geocode": {
            "rules": {r: {"practices": int(v.practices), "patients": int(v.patients)} for r, v in rules.iterrows()},
            "multi_site_practices": int((p["sites"] > 1).sum()),
            "without_coordinates_in_gp_csv": int((~p["geocode"].str.startswith("own")).sum()),
            "not_own": not_own.to_dict("records"),
        },
        "snapped": {"limit_m": geocode.SNAP_LIMIT_M, "practices": snapped.to_dict("records")},
        "shared_positions": {
            "positions": int(len(shared_sites)),
            "practices": int(shared_sites.sum()),
            "largest": int(shared_sites.max()) if len(shared_sites) else 0,
        },
        "imd": {
            "scored": int((~p["imd_imputed"]).sum()),
            "imputed": int(len(imputed)),
            "imputed_patients": int(imputed["patients"].sum()),
            "method": f"mean of the IMD 2019 scores of the {enrich.IMD_K} nearest practices with a score",
        },
        "trust_profile": profile_info
        | {"acute_trusts": int(len(trusts)), "main_trusts_used": int(p["main_trust"].nunique())},
        "lads": {
            "polygons": int(len(lads)),
            "repaired_make_valid": int(repaired),
            "overlap_resolved_m2": round(float(moved_m2), 1),
            "without_practice": sorted(set(lads["lad"]) - set(p["lad"])),
            "area_km2": round(float(lads.geometry.area.sum() / 1e6), 1),
        },
        "ccg13": ccg_info | {"practices_without_polygon_code": no_ccg_cd},
        "towns": town_info
        | {
            "without_town": p.loc[p["town"] == "", ["code", "name", "postcode", "patients"]].to_dict("records"),
        },
        "sha": sha.to_dict("records"),
    }


def _markdown(report: dict) -> str:
    pr = report["practices"]
    lines = [
        "# Bundle build report",
        "",
        f"Practices: {pr['kept']:,} of {pr['listed']:,} listed (July 2014), "
        f"{pr['kept_patients']:,} of {pr['listed_patients']:,} patients. "
        f"Left out: {len(pr['left_out'])}.",
        "",
        "## How practices were placed",
        "",
        "| rule | practices | patients |",
        "|---|---:|---:|",
    ]
    for rule, v in report["geocode"]["rules"].items():
        lines.append(f"| {rule} | {v['practices']:,} | {v['patients']:,} |")
    lines += [
        "",
        f"{report['geocode']['multi_site_practices']:,} practices have several NHS Choices sites; "
        f"{report['geocode']['without_coordinates_in_gp_csv']} have no site with coordinates.",
        "",
        "### Practices placed without a site at their own postcode",
        "",
        "| code | name | postcode | rule | LAD | patients |",
        "|---|---|---|---|---|---:|",
    ]
    for r in report["geocode"]["not_own"]:
        lines.append(
            f"| {r['code']} | {r['name']} | {r['postcode']} | {r['geocode']} | {r['lad']} | {r['patients']:,} |"
        )
    lines += [
        "",
        f"## Snapped into England (limit {report['snapped']['limit_m']:.0f} m)",
        "",
        "| code | name | postcode | LAD | moved (m) |",
        "|---|---|---|---|---:|",
    ]
    for r in report["snapped"]["practices"]:
        lines.append(
            f"| {r['code']} | {r['name']} | {r['postcode']} | {r['lad']} {r['lad_name']} | {r['snap_m']:.0f} |"
        )
    sp, imd, tp, la, cc, tw = (
        report[k] for k in ("shared_positions", "imd", "trust_profile", "lads", "ccg13", "towns")
    )
    lines += [
        "",
        "## Other estimates and repairs",
        "",
        f"- Shared positions: {sp['positions']} positions hold {sp['practices']} practices "
        f"(up to {sp['largest']} at one site).",
        f"- IMD 2019: {imd['scored']:,} scored, {imd['imputed']:,} imputed "
        f"({imd['imputed_patients']:,} patients): {imd['method']}.",
        f"- Hospital profile: {tp['method']}; {tp['acute_trusts']} acute trusts, "
        f"{tp['rows']:,} practice-trust rows, mean dropped share {tp['dropped_share_mean']:.4f}.",
        f"- LADs: {la['polygons']} polygons, {la['repaired_make_valid']} repaired with make_valid, "
        f"{la['overlap_resolved_m2']:,.0f} m2 of overlap given to the lower code; "
        f"without practice: {', '.join(la['without_practice']) or 'none'}.",
        f"- CCG 2013 polygons: {cc['polygons']}, declared CRS ignored (coordinates are EPSG:27700): "
        f"{cc['declared_crs_ignored']}; matched by name: {', '.join(cc['matched_by_name'])}.",
        f"- Towns: {tw['from_hscic']:,} from the HSCIC address, {tw['from_nhs_choices']:,} from NHS Choices, "
        f"{tw['none']} without a town ({', '.join(r['code'] for r in tw['without_town']) or 'none'}); "
        f"{tw['towns']:,} distinct towns; where both sources give one they agree for "
        f"{tw['sources_agree']:,} of {tw['both_sources']:,}. Method: {tw['method']}.",
        "",
        "## SHA regions",
        "",
        "| code | name | LADs | practices | patients | CCGs 2013 |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in report["sha"]:
        lines.append(
            f"| {r['sha_code']} | {r['sha_name']} | {r['lads']} | {r['practices']:,} | "
            f"{r['patients']:,} | {r['ccg13']} |"
        )
    return "\n".join(lines) + "\n"


def _write(final: Path, p, lads, ccg_polys, trusts, shares, sha, left_out, report) -> None:
    """Write the bundle whole or not at all (``atomic_folder``): a failed or interrupted build leaves the old
    bundle as it was, never half of a new one."""
    with atomic_folder(final) as out:
        _write_files(out, p, lads, ccg_polys, trusts, shares, sha, left_out, report)


def _write_files(out: Path, p, lads, ccg_polys, trusts, shares, sha, left_out, report) -> None:
    gpkg = out / bundle.GPKG
    points = gpd.GeoDataFrame(p, geometry=shapely.points(p["x"].to_numpy(), p["y"].to_numpy()), crs=raw.BNG)
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FIXED_DATE})
    try:
        for name, frame in (("practices", points), ("lads", lads), ("ccg13", ccg_polys), ("trusts", trusts)):
            frame.to_file(gpkg, layer=name, driver="GPKG", engine="pyogrio", SPATIAL_INDEX="NO")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
    p.to_csv(out / bundle.PRACTICES_CSV, index=False, lineterminator="\n")
    lads.drop(columns="geometry").to_csv(out / bundle.LADS_CSV, index=False, lineterminator="\n")
    trusts.drop(columns="geometry").to_csv(out / bundle.TRUSTS_CSV, index=False, lineterminator="\n")
    shares.to_csv(out / bundle.TRUST_SHARES_CSV, index=False, lineterminator="\n")
    sha.to_csv(out / bundle.SHA_CSV, index=False, lineterminator="\n")
    left_out.to_csv(out / bundle.LEFT_OUT_CSV, index=False, lineterminator="\n")
    (out / bundle.REPORT_JSON).write_text(json.dumps(report, indent=1, default=_jsonable) + "\n", encoding="utf-8")
    (out / bundle.REPORT_MD).write_text(_markdown(report), encoding="utf-8")


def _jsonable(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    raise TypeError(type(value))
