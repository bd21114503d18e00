"""The bundled England data set in ``boundaries/data/geo/``: where it is, how to read it, how to fingerprint it.

The bundle is written by ``scripts/build_data.py`` (see :mod:`boundaries.data.sources.build`) and committed, so the
product never needs the raw files at run time. One GeoPackage holds every geometry (practices, LADs, 2013
CCGs, acute trusts; EPSG:27700) and plain CSV files hold the same practice attributes, the trust shares and
the SHA table for anyone without a GIS. Field meanings are in README.md ("Data").
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd

from boundaries.errors import InputError

DATA_ENV = "BOUNDARIES_DATA_DIR"
GPKG = "england.gpkg"
PRACTICES_CSV = "practices.csv"
TRUST_SHARES_CSV = "trust_shares.csv"
TRUSTS_CSV = "trusts.csv"
SHA_CSV = "sha.csv"
LADS_CSV = "lads.csv"
REPORT_JSON = "build_report.json"
REPORT_MD = "build_report.md"
LEFT_OUT_CSV = "left_out.csv"
BUNDLE_FILES = (
    GPKG,
    PRACTICES_CSV,
    TRUST_SHARES_CSV,
    TRUSTS_CSV,
    SHA_CSV,
    LADS_CSV,
    LEFT_OUT_CSV,
    REPORT_JSON,
    REPORT_MD,
)
#: the files a region is built from; their bytes make the cache key
HASHED_FILES = (GPKG, TRUST_SHARES_CSV)

PRACTICE_COLUMNS = [
    "code",
    "name",
    "postcode",
    "town",
    "lon",
    "lat",
    "x",
    "y",
    "geocode",
    "geocode_detail",
    "sites",
    "snapped",
    "snap_m",
    "patients",
    "lad",
    "lad_name",
    "sha_code",
    "sha_name",
    "ccg13",
    "ccg13_name",
    "ccg13_cd",
    "area_team",
    "imd",
    "imd_imputed",
    "main_trust",
    "main_trust_name",
    "main_trust_share",
]


def default_data_dir() -> Path:
    """``$BOUNDARIES_DATA_DIR`` if set, else the bundle shipped inside this package (``boundaries/data/geo``:
    package data, so an installed wheel plans all England with no checkout)."""
    env = os.environ.get(DATA_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parent / "geo"


def _dir(data_dir: str | Path | None) -> Path:
    return Path(data_dir) if data_dir is not None else default_data_dir()


def _need(path: Path) -> Path:
    if not path.exists():
        raise InputError("bundle file missing: rebuild it with `python scripts/build_data.py`", file=path)
    return path


def _layer(data_dir: str | Path | None, layer: str, index: str) -> gpd.GeoDataFrame:
    path = _need(_dir(data_dir) / GPKG)
    try:
        frame = gpd.read_file(path, layer=layer, engine="pyogrio", use_arrow=True)
    except Exception as exc:  # pyogrio's errors do not share a base class with ours
        raise InputError(f"cannot read layer {layer!r} ({exc})", file=path) from exc
    if index not in frame.columns:
        raise InputError("missing column", file=f"{path}:{layer}", row=1, field=index)
    return frame.set_index(index)


def load_practices(data_dir: str | Path | None = None) -> gpd.GeoDataFrame:
    """All 7,875 practices (index ``code``), columns as :data:`PRACTICE_COLUMNS`, points in EPSG:27700."""
    frame = _layer(data_dir, "practices", "code")
    frame["patients"] = frame["patients"].astype("int64")
    frame["imd_imputed"] = frame["imd_imputed"].astype(bool)
    frame["snapped"] = frame["snapped"].astype(bool)
    return frame


def load_lads(data_dir: str | Path | None = None) -> gpd.GeoDataFrame:
    """The 326 LAD13 polygons (index ``lad``; lad_name, sha_code, sha_name, area_km2), valid, no overlaps."""
    return _layer(data_dir, "lads", "lad")


def load_ccg13(data_dir: str | Path | None = None) -> gpd.GeoDataFrame:
    """The 211 CCG polygons of April 2013 (index ``ccg13``, 3-character code; ccg13_cd, ccg13_name)."""
    return _layer(data_dir, "ccg13", "ccg13")


def load_trusts(data_dir: str | Path | None = None) -> gpd.GeoDataFrame:
    """Acute trusts of the flow data (index trust code; columns name, status, subtype_2014, lon, lat)."""
    frame = _layer(data_dir, "trusts", "trust")
    frame.index.name = "trust"
    return frame


def load_trust_shares(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Long table practice, trust, share (a practice's estimated acute admissions by trust; sums to 1)."""
    path = _need(_dir(data_dir) / TRUST_SHARES_CSV)
    return pd.read_csv(path, dtype={"practice": str, "trust": str, "share": float})


def load_sha(data_dir: str | Path | None = None) -> pd.DataFrame:
    """The ten SHA regions (index ``sha_code``) with practices, patients, LAD and 2013 CCG counts."""
    path = _need(_dir(data_dir) / SHA_CSV)
    return pd.read_csv(path, dtype={"sha_code": str, "sha_name": str}).set_index("sha_code")


def load_report(data_dir: str | Path | None = None) -> dict:
    """The build report (geocoding rules, imputation, snaps, repairs) as written by the build."""
    from boundaries.data.sources.raw import read_json

    return read_json(_need(_dir(data_dir) / REPORT_JSON))


def bundle_hash(data_dir: str | Path | None = None) -> str:
    """SHA-256 over the bytes of the files regions are built from (the cache key's data part)."""
    digest = hashlib.sha256()
    for name in HASHED_FILES:
        digest.update(name.encode())
        digest.update(_need(_dir(data_dir) / name).read_bytes())
    return digest.hexdigest()
