"""Loaders for the raw public files in ``shared/data`` (see shared/README.md for their provenance).

Each loader reads one file, checks what the build relies on (columns, numbers, unique keys) and returns a tidy
frame with short English column names plus ``_row`` (the line the record came from), so later steps can still
name the offending row. Nothing is dropped here without a rule written in the docstring.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from boundaries.data.sources.text import ROW, parse_number, read_delimited, require_text, require_unique
from boundaries.errors import InputError

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"
CHOICES = {"delimiter": "\u00ac", "encoding": "latin-1"}


@dataclass(frozen=True)
class RawFiles:
    """Where each raw file lives under the shared data folder (relative names as in shared/README.md)."""

    root: Path

    @property
    def list_sizes(self) -> Path:
        return self.root / "hscic_2014" / "gp-reg-patients-07-2014.csv"

    @property
    def epraccur(self) -> Path:
        return self.root / "hscic_2014" / "epraccur-2014-10.csv"

    @property
    def ccg_rca(self) -> Path:
        return self.root / "hscic_2014" / "ccg-running-cost-allowance-2013-14.csv"

    @property
    def gp_sites(self) -> Path:
        return self.root / "nhs_choices_2014" / "GP.csv"

    @property
    def hospitals(self) -> Path:
        return self.root / "nhs_choices_2014" / "Hospital.csv"

    @property
    def ccg_choices(self) -> Path:
        return self.root / "nhs_choices_2014" / "CCG.csv"

    @property
    def trusts_2014(self) -> Path:
        return self.root / "nhs_choices_2014" / "Trust.csv"

    @property
    def lads(self) -> Path:
        return self.root / "boundaries" / "lad13_england.topojson"

    @property
    def ccg13(self) -> Path:
        return self.root / "boundaries" / "ccg13_england_bng.geojson"

    @property
    def imd(self) -> Path:
        return self.root / "deprivation" / "fingertips_93553_imd2019_practice.csv"

    @property
    def flows(self) -> Path:
        return self.root / "flows" / "msoa11_trust_flows_cy2018.csv"

    @property
    def msoa_centroids(self) -> Path:
        return self.root / "flows" / "msoa_centroids.csv"

    @property
    def trusts22(self) -> Path:
        return self.root / "flows" / "nhs_trusts22_points.csv"

    @property
    def sha_lookup(self) -> Path:
        return self.root / "lookups" / "sha_2011_lad13.csv"

    @property
    def ccg17_codes(self) -> Path:
        return self.root / "lookups" / "ccg17_codes.csv"

    def all(self) -> dict[str, Path]:
        names = [
            "list_sizes",
            "epraccur",
            "ccg_rca",
            "gp_sites",
            "hospitals",
            "ccg_choices",
            "trusts_2014",
            "lads",
            "ccg13",
            "imd",
            "flows",
            "msoa_centroids",
            "trusts22",
            "sha_lookup",
            "ccg17_codes",
        ]
        return {n: getattr(self, n) for n in names}


def normalise_postcode(values: pd.Series) -> pd.Series:
    """Upper case, single space before the inward code ("ts181hu" -> "TS18 1HU"); blank stays blank."""
    compact = values.fillna("").astype(str).str.upper().str.replace(r"\s+", "", regex=True)
    return compact.where(compact.str.len() < 5, compact.str[:-3] + " " + compact.str[-3:])


def postcode_sector(postcodes: pd.Series) -> pd.Series:
    """ "TS18 1HU" -> "TS18 1" (outward code plus the first digit of the inward code)."""
    return postcodes.where(postcodes.str.len() < 6, postcodes.str[:-2])


def postcode_district(postcodes: pd.Series) -> pd.Series:
    """ "TS18 1HU" -> "TS18" (the outward code)."""
    return postcodes.str.split(" ").str[0]


# --- practices ----------------------------------------------------------------------------------------------


def load_list_sizes(path: str | Path) -> pd.DataFrame:
    """July 2014 registered patients per practice: the list of practices the bundle must account for.

    Refuses a missing column, a blank or duplicate practice code, a non-numeric or negative ``TOTAL_ALL``.
    """
    cols = ["GP_PRACTICE_CODE", "POSTCODE", "CCG_CODE", "NHSE_AREA_TEAM_CODE", "TOTAL_ALL"]
    raw = read_delimited(path, required=cols)
    raw["GP_PRACTICE_CODE"] = require_text(raw, "GP_PRACTICE_CODE", path, "a practice code")
    require_unique(raw, "GP_PRACTICE_CODE", path, "practice code")
    patients = parse_number(raw, "TOTAL_ALL", path, integer=True, minimum=0, what="a list size (whole number)")
    return pd.DataFrame(
        {
            "code": raw["GP_PRACTICE_CODE"],
            "postcode": normalise_postcode(raw["POSTCODE"]),
            "ccg13": require_text(raw, "CCG_CODE", path, "a CCG code"),
            "area_team": raw["NHSE_AREA_TEAM_CODE"].str.strip(),
            "patients": patients,
            ROW: raw[ROW],
        }
    ).reset_index(drop=True)


GP_COLUMNS = [
    "OrganisationID",
    "OrganisationCode",
    "OrganisationName",
    "Postcode",
    "Latitude",
    "Longitude",
    "ParentODSCode",
    "ParentName",
]


def load_gp_sites(path: str | Path) -> pd.DataFrame:
    """NHS Choices GP sites (Feb 2014): several rows per practice code are normal (branch surgeries).

    Coordinates may be blank (kept as NaN: the geocoder then uses the postcode rules); a coordinate that is
    not a number, or not a latitude/longitude at all, is an error naming the row.
    """
    raw = read_delimited(path, required=GP_COLUMNS, **CHOICES)
    lat = parse_number(raw, "Latitude", path, minimum=-90, maximum=90, allow_blank=True, what="a latitude")
    lon = parse_number(raw, "Longitude", path, minimum=-180, maximum=180, allow_blank=True, what="a longitude")
    one_blank = np.isnan(lat.to_numpy()) != np.isnan(lon.to_numpy())
    if one_blank.any():
        i = np.flatnonzero(one_blank)[0]
        field = "Latitude" if np.isnan(lat.to_numpy()[i]) else "Longitude"
        raise InputError("one coordinate given without the other", file=path, row=int(raw[ROW].iloc[i]), field=field)
    frame = pd.DataFrame(
        {
            "code": raw["OrganisationCode"].str.strip(),
            "site_name": raw["OrganisationName"].str.strip(),
            "parent_name": raw["ParentName"].str.strip(),
            "postcode": normalise_postcode(raw["Postcode"]),
            "lat": lat,
            "lon": lon,
            ROW: raw[ROW],
        }
    ).reset_index(drop=True)
    # address lines (optional: only the town is read from them), in address order, postcode excluded
    for column in GP_ADDRESS:
        frame[column.lower()] = raw[column].fillna("").to_numpy() if column in raw.columns else ""
    return frame


GP_ADDRESS = ("Address1", "Address2", "Address3", "City", "County")


def load_choices_points(path: str | Path) -> pd.DataFrame:
    """Postcode and coordinates of any NHS Choices organisation file (Hospital.csv, Trust.csv, CCG.csv).

    Used only as extra reference positions for postcodes (a practice without coordinates whose postcode is a
    hospital's, or its own provider company's, as for H81068 Brockwood). Rows without coordinates are skipped.
    """
    raw = read_delimited(path, required=["OrganisationCode", "Postcode", "Latitude", "Longitude"], **CHOICES)
    lat = parse_number(raw, "Latitude", path, minimum=-90, maximum=90, allow_blank=True, what="a latitude")
    lon = parse_number(raw, "Longitude", path, minimum=-180, maximum=180, allow_blank=True, what="a longitude")
    frame = pd.DataFrame(
        {
            "code": raw["OrganisationCode"].str.strip(),
            "postcode": normalise_postcode(raw["Postcode"]),
            "lat": lat,
            "lon": lon,
            ROW: raw[ROW],
        }
    )
    return frame.dropna(subset=["lat", "lon"]).drop_duplicates(["code", "postcode", "lat", "lon"])


EPRACCUR_NAMES = [
    "code",
    "name",
    "region",
    "area_team",
    "address1",
    "address2",
    "address3",
    "address4",
    "address5",
    "postcode",
    "open_date",
    "close_date",
    "status",
    "setting",
    "ccg",
    "join_date",
    "left_date",
    "phone",
    "f19",
    "f20",
    "f21",
    "amended",
    "f23",
    "f24",
    "f25",
    "prescribing",
    "f27",
]


def load_epraccur(path: str | Path) -> pd.DataFrame:
    """ODS practice file (Oct 2014, no header, 27 fields): the official practice names and address lines."""
    raw = read_delimited(path, names=EPRACCUR_NAMES)
    raw["code"] = require_text(raw, "code", path, "a practice code")
    require_unique(raw, "code", path, "practice code")
    return pd.DataFrame(
        {
            "code": raw["code"],
            "ods_name": raw["name"].str.strip(),
            "ods_postcode": normalise_postcode(raw["postcode"]),
            **{f"address{i}": raw[f"address{i}"].fillna("") for i in range(1, 6)},
            ROW: raw[ROW],
        }
    )


# --- CCGs ---------------------------------------------------------------------------------------------------


def load_ccg_rca(path: str | Path) -> pd.DataFrame:
    """The 211 CCGs of April 2013 (3-character code, name) with their 2013/14 running cost allowance."""
    raw = read_delimited(path, required=["CCG code", "CCG name"])
    raw["CCG code"] = require_text(raw, "CCG code", path, "a CCG code")
    require_unique(raw, "CCG code", path, "CCG code")
    return pd.DataFrame({"ccg13": raw["CCG code"], "ccg13_name": raw["CCG name"].str.strip(), ROW: raw[ROW]})


def load_ccg17_codes(path: str | Path) -> pd.DataFrame:
    """ONS ``E38`` CCG code <-> 3-character code, as of 2017."""
    raw = read_delimited(path, required=["CCG17CD", "CCG17CDH", "CCG17NM"])
    return pd.DataFrame(
        {
            "ccg_cd": raw["CCG17CD"].str.strip(),
            "ccg13": raw["CCG17CDH"].str.strip(),
            "name": raw["CCG17NM"].str.strip(),
            ROW: raw[ROW],
        }
    )


# --- deprivation, flows, trusts -----------------------------------------------------------------------------


def load_imd(path: str | Path) -> pd.DataFrame:
    """Fingertips IMD 2019 score per GP practice (rows with ``Area Type`` = ``GP`` only; the others are the
    England and CCG aggregates of the same indicator)."""
    raw = read_delimited(path, required=["Area Code", "Area Type", "Value"])
    raw = raw[raw["Area Type"].str.strip() == "GP"].reset_index(drop=True)
    raw["Area Code"] = require_text(raw, "Area Code", path, "a practice code")
    require_unique(raw, "Area Code", path, "practice code")
    imd = parse_number(raw, "Value", path, minimum=0, what="an IMD score")
    return pd.DataFrame({"code": raw["Area Code"], "imd": imd, ROW: raw[ROW]})


def load_flows(path: str | Path) -> pd.DataFrame:
    """Share of each MSOA's acute admissions going to each trust (2021 successor trust codes)."""
    raw = read_delimited(path, required=["msoa11_code", "trust_code", "proportion"])
    share = parse_number(raw, "proportion", path, minimum=0, maximum=1, what="a proportion")
    frame = pd.DataFrame(
        {
            "msoa": require_text(raw, "msoa11_code", path, "an MSOA code"),
            "trust": require_text(raw, "trust_code", path, "a trust code"),
            "share": share,
            ROW: raw[ROW],
        }
    )
    pairs = frame.duplicated(["msoa", "trust"]).to_numpy()
    if pairs.any():
        i = np.flatnonzero(pairs)[0]
        raise InputError(
            f"MSOA {frame['msoa'].iloc[i]} lists trust {frame['trust'].iloc[i]} twice",
            file=path,
            row=int(frame[ROW].iloc[i]),
            field="trust_code",
        )
    return frame


def load_msoa_centroids(path: str | Path) -> pd.DataFrame:
    """Population-weighted MSOA centroids (lon/lat)."""
    raw = read_delimited(path, required=["msoa11_code", "lon", "lat"])
    raw["msoa11_code"] = require_text(raw, "msoa11_code", path, "an MSOA code")
    require_unique(raw, "msoa11_code", path, "MSOA code")
    return pd.DataFrame(
        {
            "msoa": raw["msoa11_code"],
            "lon": parse_number(raw, "lon", path, minimum=-180, maximum=180, what="a longitude"),
            "lat": parse_number(raw, "lat", path, minimum=-90, maximum=90, what="a latitude"),
            ROW: raw[ROW],
        }
    )


def load_trusts22(path: str | Path) -> pd.DataFrame:
    """Trust code -> name, status and location (2022), covering the codes used in the flows."""
    raw = read_delimited(path, required=["nhs_trust22_name", "nhs_trust22_code", "status", "lon", "lat"])
    raw["nhs_trust22_code"] = require_text(raw, "nhs_trust22_code", path, "a trust code")
    require_unique(raw, "nhs_trust22_code", path, "trust code")
    return pd.DataFrame(
        {
            "trust": raw["nhs_trust22_code"],
            "name": raw["nhs_trust22_name"].str.strip(),
            "status": raw["status"].str.strip(),
            "lon": parse_number(raw, "lon", path, minimum=-180, maximum=180, what="a longitude"),
            "lat": parse_number(raw, "lat", path, minimum=-90, maximum=90, what="a latitude"),
            ROW: raw[ROW],
        }
    )


def load_trusts_2014(path: str | Path) -> pd.DataFrame:
    """NHS Choices trusts (Feb 2014) with their ``SubType`` (Acute, MentalHealth, ...)."""
    raw = read_delimited(path, required=["OrganisationCode", "SubType", "OrganisationName"], **CHOICES)
    frame = pd.DataFrame(
        {
            "trust": raw["OrganisationCode"].str.strip(),
            "subtype_2014": raw["SubType"].str.strip(),
            ROW: raw[ROW],
        }
    )
    return frame.drop_duplicates("trust").reset_index(drop=True)


# --- areas --------------------------------------------------------------------------------------------------

SHA_CODES = tuple(f"Q{n}" for n in range(30, 40))


def load_sha_lookup(path: str | Path) -> pd.DataFrame:
    """LAD13 -> Strategic Health Authority (Q30..Q39). Each LAD once; SHA codes must be the ten of
    2006-2013."""
    raw = read_delimited(path, required=["LAD13CD", "LAD13NM", "SHA_CODE", "SHA_NAME"])
    raw["LAD13CD"] = require_text(raw, "LAD13CD", path, "a LAD13 code")
    require_unique(raw, "LAD13CD", path, "LAD13 code")
    sha = require_text(raw, "SHA_CODE", path, "an SHA code")
    bad = ~sha.isin(SHA_CODES).to_numpy()
    if bad.any():
        i = np.flatnonzero(bad)[0]
        raise InputError(
            f"unknown SHA code {sha.iloc[i]!r} (expected Q30..Q39)",
            file=path,
            row=int(raw[ROW].iloc[i]),
            field="SHA_CODE",
        )
    return pd.DataFrame(
        {
            "lad": raw["LAD13CD"],
            "lad_name": raw["LAD13NM"].str.strip(),
            "sha_code": sha,
            "sha_name": raw["SHA_NAME"].str.strip(),
            ROW: raw[ROW],
        }
    )


def polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygonal parts of each geometry (make_valid and overlays may add lines and points)."""
    out = np.empty(len(geoms), dtype=object)
    for i, geom in enumerate(geoms):
        if geom is None or geom.is_empty:
            out[i] = shapely.MultiPolygon()
        elif shapely.get_type_id(geom) in (3, 6):
            out[i] = geom
        else:
            parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (3, 6)]
            out[i] = shapely.union_all(parts) if parts else shapely.MultiPolygon()
    return out


def load_lad_polygons(path: str | Path) -> gpd.GeoDataFrame:
    """The 326 LAD13 polygons (TopoJSON object ``lad``, lon/lat) in EPSG:27700, invalid rings repaired.

    Returns columns lad, lad_name, geometry (MultiPolygon) and ``_row`` (feature number), plus the attribute
    ``repaired`` in ``frame.attrs`` (how many needed ``make_valid``). The overlaps between neighbours that the
    repair leaves (lobes of self-intersecting rings, about 0.1 km2 in all) are removed by
    :func:`resolve_overlaps`.
    """
    path = Path(path)
    try:
        frame = gpd.read_file(path, layer="lad", engine="pyogrio")
    except Exception as exc:  # pyogrio raises its own DataSourceError/DataLayerError
        raise InputError(f"cannot read the TopoJSON object 'lad' ({exc})", file=path) from exc
    for col in ("LAD13CD", "LAD13NM"):
        if col not in frame.columns:
            raise InputError("missing property", file=path, field=col)
    frame[ROW] = np.arange(1, len(frame) + 1)
    frame["LAD13CD"] = frame["LAD13CD"].fillna("").astype(str).str.strip()
    require_unique(frame, "LAD13CD", path, "LAD13 code")
    require_text(frame, "LAD13CD", path, "a LAD13 code")
    frame = frame.set_crs(WGS84, allow_override=True).to_crs(BNG)
    geoms = frame.geometry.to_numpy()
    invalid = ~shapely.is_valid(geoms)
    fixed = polygonal(shapely.make_valid(geoms, method="structure", keep_collapsed=False))
    out = gpd.GeoDataFrame(
        {
            "lad": frame["LAD13CD"].to_numpy(),
            "lad_name": frame["LAD13NM"].astype(str).str.strip(),
            ROW: frame[ROW].to_numpy(),
        },
        geometry=gpd.GeoSeries(fixed, crs=BNG).apply(_as_multi),
        crs=BNG,
    )
    out.attrs["repaired"] = int(invalid.sum())
    return out


def _as_multi(geom):
    return geom if geom.geom_type == "MultiPolygon" else shapely.MultiPolygon([geom])


def resolve_overlaps(lads: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, float]:
    """Make the LAD polygons a coverage (no overlaps): an area claimed by two LADs stays with the lower code.

    Deterministic and tiny (about 0.1 km2 over ~30 pairs of all England's 130,000 km2), but it matters:
    catchment cells are clipped to LADs, and two overlapping LADs would give overlapping cells. Returns the
    frame (sorted by code) and the area moved, in m2.
    """
    lads = lads.sort_values("lad").reset_index(drop=True)
    geoms = lads.geometry.to_numpy().copy()
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    moved = 0.0
    for j in np.unique(right[left < right]):
        earlier = left[(right == j) & (left < right)]
        overlap = shapely.intersection(geoms[j], shapely.union_all(geoms[earlier]))
        area = shapely.area(overlap)
        if area > 0:
            moved += float(area)
            rest = shapely.difference(geoms[j], shapely.union_all(geoms[earlier]))
            geoms[j] = polygonal(np.array([rest]))[0]
    lads = lads.copy()
    lads["geometry"] = gpd.GeoSeries(geoms, crs=BNG).apply(_as_multi)
    return lads, moved


def load_ccg13_polygons(path: str | Path) -> gpd.GeoDataFrame:
    """The 211 April-2013 CCG polygons, properties CODE (E38...) and NAME.

    The file declares WGS84 but its numbers are British National Grid metres; the CRS is decided from the
    coordinates themselves (any |x| > 180 means metres), so a corrected copy of the file would also load.
    """
    path = Path(path)
    try:
        frame = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:
        raise InputError(f"cannot read GeoJSON ({exc})", file=path) from exc
    for col in ("CODE", "NAME"):
        if col not in frame.columns:
            raise InputError("missing property", file=path, field=col)
    frame[ROW] = np.arange(1, len(frame) + 1)
    require_unique(frame, "CODE", path, "CCG code")
    xmin, ymin, xmax, ymax = frame.total_bounds
    crs = BNG if max(abs(xmin), abs(xmax), abs(ymin), abs(ymax)) > 180 else WGS84
    frame = frame.set_crs(crs, allow_override=True).to_crs(BNG)
    geoms = polygonal(shapely.make_valid(frame.geometry.to_numpy(), method="structure", keep_collapsed=False))
    out = gpd.GeoDataFrame(
        {
            "ccg_cd": frame["CODE"].astype(str).str.strip(),
            "name": frame["NAME"].astype(str).str.strip(),
            ROW: frame[ROW],
        },
        geometry=gpd.GeoSeries(geoms, crs=BNG).apply(_as_multi),
        crs=BNG,
    )
    out.attrs["declared_crs_ignored"] = crs == BNG
    return out


def read_json(path: Path) -> dict:
    """A small JSON file (build reports), with the file named on failure."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read JSON ({exc})", file=path) from exc
