"""The England bundle (data/geo) and the raw-file loaders behind it.

Checks the counts the issue asks for, the geocoding/imputation report, the geometry layers, that a rebuild
from ../shared/data reproduces the committed bundle byte for byte, and that every kind of bad input raises an
InputError naming file, row and field.
"""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from boundaries.data import bundle as data
from boundaries.data.sources import build, geocode, raw, towns
from boundaries.data.sources.text import read_delimited
from boundaries.errors import InputError

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
PRACTICES = 7_875
PATIENTS = 56_793_044


@pytest.fixture(scope="module")
def practices():
    return data.load_practices()


@pytest.fixture(scope="module")
def lads():
    return data.load_lads()


@pytest.fixture(scope="module")
def report():
    return data.load_report()


# --- counts and report --------------------------------------------------------------------------------------


def test_every_listed_practice_is_kept(practices, report):
    assert len(practices) == PRACTICES
    assert practices.index.is_unique
    assert int(practices["patients"].sum()) == PATIENTS
    assert report["practices"]["listed"] == PRACTICES
    assert report["practices"]["kept_patients"] == PATIENTS
    assert report["practices"]["left_out"] == []
    assert pd.read_csv(data.default_data_dir() / data.LEFT_OUT_CSV).empty


def test_geocoding_rules_are_counted(practices, report):
    rules = report["geocode"]["rules"]
    assert set(rules) <= set(geocode.RULES)
    assert sum(v["practices"] for v in rules.values()) == PRACTICES
    assert sum(v["patients"] for v in rules.values()) == PATIENTS
    counts = practices["geocode"].value_counts()
    for rule, v in rules.items():
        assert counts[rule] == v["practices"]
    # the 77 of shared/README.md less Y02778, whose GP.csv code carries a trailing blank
    no_site = practices["geocode"].isin(geocode.POSTCODE_RULES)
    assert no_site.sum() == report["geocode"]["without_coordinates_in_gp_csv"] == 76
    assert rules["same_postcode"]["practices"] >= 50
    assert {"postcode_sector", "postcode_district"} <= set(rules)
    assert rules["own"]["practices"] > 7_500
    assert len(report["geocode"]["not_own"]) == int((practices["geocode"] != "own").sum())
    assert (practices.loc[practices["geocode"] != "own", "geocode_detail"] != "").all()


def test_snapped_practices_are_reported(practices, report):
    snapped = practices[practices["snapped"]]
    assert sorted(snapped.index) == ["L82022", "M82620"]  # Looe (coast) and Knighton (Welsh postcode)
    assert (snapped["snap_m"] <= geocode.SNAP_LIMIT_M).all()
    assert snapped.loc["M82620", "lad_name"] == "Shropshire"
    assert sorted(r["code"] for r in report["snapped"]["practices"]) == sorted(snapped.index)


def test_imd_imputation_is_flagged(practices, report):
    assert practices["imd"].notna().all()
    assert int(practices["imd_imputed"].sum()) == 1_367 == report["imd"]["imputed"]
    assert report["imd"]["scored"] == PRACTICES - 1_367
    imputed = practices[practices["imd_imputed"]]
    assert report["imd"]["imputed_patients"] == int(imputed["patients"].sum())
    scored = practices.loc[~practices["imd_imputed"], "imd"]
    assert imputed["imd"].between(scored.min(), scored.max()).all()


def test_practice_attributes(practices):
    assert str(practices.crs) == raw.BNG
    for col in data.PRACTICE_COLUMNS[1:]:
        assert col in practices.columns, col
    assert practices["lad"].str.match(r"^E0[6-9]\d{6}$").all()
    assert practices["sha_code"].isin(raw.SHA_CODES).all()
    assert practices["ccg13"].str.len().eq(3).all()
    assert practices["ccg13_name"].notna().all()
    assert practices["lon"].between(-6.5, 2).all() and practices["lat"].between(49.8, 55.9).all()
    x, y = geocode.to_bng(practices["lon"].to_numpy(), practices["lat"].to_numpy())
    assert np.allclose(x, practices.geometry.x, atol=0.2) and np.allclose(y, practices.geometry.y, atol=0.2)
    assert practices["main_trust"].notna().all()
    assert practices["main_trust_share"].between(0, 1).all()


def test_practices_have_a_town(practices, report):
    """Measured on the 2014 files: all 7,875 practices get a town, 7,866 from the HSCIC address and 9 from NHS
    Choices; where both give one (7,780) they agree on 6,843 (88%): the rest name a district or village
    (Ferndown / Wimborne, Bromley / London)."""
    town = practices["town"].fillna("")
    tw = report["towns"]
    assert (town != "").sum() >= PRACTICES - 10  # most practices: measured, none lacks one
    assert tw["none"] == int((town == "").sum()) == len(tw["without_town"])
    assert tw["from_hscic"] + tw["from_nhs_choices"] + tw["none"] == PRACTICES
    assert tw["from_hscic"] > 7_800 and tw["sources_agree"] > 0.85 * tw["both_sources"]
    assert 1_000 < town[town != ""].nunique() == tw["towns"] < 2_000
    named = town[town != ""]
    assert not named.map(towns._key).isin(towns.COUNTIES).any()  # never a county
    assert named.groupby(named.map(towns._key)).nunique().max() == 1  # one spelling per town
    assert not named.str.contains(r"\b[A-Z]{2,}\b|\d|,").any()  # title case, no numbers or commas
    expected = {
        "A81001": "Stockton",  # THE HEALTH CENTRE, LAWSON STREET, STOCKTON, CLEVELAND
        "A83028": "Chester-le-Street",  # ends in STREET, but a town
        "L85029": "Street",  # the town in Somerset
        "G81024": "Forest Row",
        "D83022": "Southwold",
        "M82620": "Knighton",  # KNIGHTON, POWYS
        "B81066": "Kingston upon Hull",
    }
    assert {code: practices.loc[code, "town"] for code in expected} == expected
    assert practices.loc[practices["town"] == "London", "sha_code"].eq("Q36").mean() > 0.95


@pytest.mark.parametrize(
    "lines, town",
    [
        (["THE HEALTH CENTRE", "LAWSON STREET", "STOCKTON", "CLEVELAND", ""], "STOCKTON"),
        (["THE SURGERY,FRONT STREET", "GREAT LUMLEY", "CHESTER-LE-STREET", "CO.DURHAM", ""], "CHESTER-LE-STREET"),
        (["1 HIGH ST", "FERNDOWN, WIMBORNE", "DORSET", "", ""], "WIMBORNE"),  # a comma splits lines
        (["Lodge Surgery", "Louth Lincs", "", "", ""], "LOUTH"),  # a county glued on
        (["Surgery", "Bidford on Avon", "", "", ""], "BIDFORD ON AVON"),  # but not a river
        (["Surgery", "Worthen", "Nr.Shrewsbury", "Salop", ""], "SHREWSBURY"),
        (["St.Austell Health Centre", "St.Austell, Cornwall", "", "", ""], "ST AUSTELL"),
        (["THE SURGERY", "HIGH STREET", "KENT", "", ""], ""),  # a street is no town: the other source is asked
        (["THE SURGERY", "12 MARKET PLACE", "", "", ""], ""),
        (["", "", "", "", ""], ""),
    ],
)
def test_town_from_address_lines(lines, town):
    assert towns.town_from_lines(lines) == town


def test_town_names_are_title_cased_and_unified():
    assert towns.title("STOCKTON-ON-TEES") == "Stockton-on-Tees"
    assert towns.title("NEWCASTLE UPON TYNE") == "Newcastle upon Tyne"
    assert towns.title("KING'S LYNN") == "King's Lynn"
    assert towns.title("ON THE HILL") == "On the Hill"  # a small word starting or ending a name keeps its capital
    names = pd.Series(["Stoke on Trent", "Stoke-on-Trent", "Stoke-on-Trent", "", "Leek"])
    assert list(towns.consistent(names)) == ["Stoke-on-Trent", "Stoke-on-Trent", "Stoke-on-Trent", "", "Leek"]
    ods = pd.DataFrame({"code": ["A1", "A2"], **{f"address{i}": ["", ""] for i in range(1, 6)}}).assign(
        address3=["LEEK", "HIGH STREET"]
    )
    found, info = towns.practice_towns(["A1", "A2", "A3"], ods, pd.Series({"A2": ["Station Rd", "Leek", "Staffs"]}))
    assert list(found) == ["Leek", "Leek", ""]
    assert (info["from_hscic"], info["from_nhs_choices"], info["none"]) == (1, 1, 1)


def test_every_practice_in_exactly_one_lad(practices, lads):
    tree = shapely.STRtree(lads.geometry.to_numpy())
    point, lad = tree.query(practices.geometry.to_numpy(), predicate="intersects")
    assert np.array_equal(np.sort(point), np.arange(len(practices)))  # one hit each
    assert (lads.index.to_numpy()[lad[np.argsort(point)]] == practices["lad"].to_numpy()).all()
    inside = shapely.within(practices.geometry.to_numpy(), lads.geometry.reindex(practices["lad"]).to_numpy())
    assert inside.all()


def test_lads_are_a_valid_coverage(lads):
    assert len(lads) == 326 and lads.index.is_unique
    assert str(lads.crs) == raw.BNG
    geoms = lads.geometry.to_numpy()
    assert shapely.is_valid(geoms).all()
    assert set(lads["sha_code"]) == set(raw.SHA_CODES)
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    keep = a < b
    overlap = shapely.area(shapely.intersection(geoms[a[keep]], geoms[b[keep]]))
    assert overlap.sum() < 1.0  # m2, over all of England
    assert 130_000 < shapely.area(geoms).sum() / 1e6 < 131_000


def test_ccg13_polygons_are_reprojected():
    ccgs = data.load_ccg13()
    assert len(ccgs) == 211 and ccgs.index.is_unique
    assert str(ccgs.crs) == raw.BNG
    xmin, ymin, xmax, ymax = ccgs.total_bounds
    assert xmin > 0 and xmax < 700_000 and ymin > 0 and ymax < 700_000
    assert shapely.is_valid(ccgs.geometry.to_numpy()).all()
    assert set(data.load_practices()["ccg13"]) <= set(ccgs.index)
    assert ccgs["ccg13_cd"].str.startswith("E38").all()


def test_trusts_and_shares(practices):
    trusts = data.load_trusts()
    shares = data.load_trust_shares()
    assert trusts.index.is_unique and str(trusts.crs) == raw.BNG
    assert set(shares["trust"]) <= set(trusts.index)
    assert set(practices["main_trust"]) <= set(trusts.index)
    assert set(shares["practice"]) == set(practices.index)
    totals = shares.groupby("practice")["share"].sum()
    assert np.allclose(totals, 1.0, atol=1e-4)
    top = shares.sort_values(["practice", "share"], ascending=[True, False]).drop_duplicates("practice")
    assert (top.set_index("practice")["trust"].reindex(practices.index) == practices["main_trust"]).all()
    assert practices.loc["J84005", "main_trust"] == "R1F"  # Isle of Wight practice -> Isle of Wight NHS Trust


def test_sha_table(practices):
    sha = data.load_sha()
    assert list(sha.index) == list(raw.SHA_CODES)
    assert sha["practices"].sum() == PRACTICES and sha["patients"].sum() == PATIENTS
    assert sha["lads"].sum() == 326
    assert sha["ccg13"].sum() == 211  # each CCG counted once, in the SHA holding most of its patients
    assert (sha["ccg13_any"] >= sha["ccg13"]).all()


@pytest.mark.skipif(not SHARED.exists(), reason="raw data ../shared/data not present")
def test_rebuild_reproduces_the_committed_bundle(tmp_path):
    report = build.build_bundle(SHARED, tmp_path)
    assert report["practices"]["kept"] == PRACTICES
    for name in data.BUNDLE_FILES:
        assert filecmp.cmp(tmp_path / name, data.default_data_dir() / name, shallow=False), name


# --- input errors: each names file, row and field -----------------------------------------------------------

LIST_HEADER = "GP_PRACTICE_CODE,POSTCODE,CCG_CODE,NHSE_AREA_TEAM_CODE,NHSE_REGION_CODE,TOTAL_ALL"


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def _assert_names(err: pytest.ExceptionInfo, path: Path, row: int | None, field: str) -> None:
    message = str(err.value)
    assert str(path) in message
    if row is not None:
        assert f"row {row}" in message
        assert err.value.row == row
    assert f"field '{field}'" in message
    assert err.value.field == field


def test_missing_column(tmp_path):
    path = _write(tmp_path / "list.csv", "GP_PRACTICE_CODE,POSTCODE,CCG_CODE,NHSE_AREA_TEAM_CODE\nA1,X,00K,Q1\n")
    with pytest.raises(InputError, match="missing column") as err:
        raw.load_list_sizes(path)
    _assert_names(err, path, 1, "TOTAL_ALL")


@pytest.mark.parametrize(
    "value, words",
    [("12x", "expected a list size"), ("-5", "negative"), ("", "empty"), ("3.5", "whole number")],
)
def test_bad_list_size(tmp_path, value, words):
    path = _write(tmp_path / "list.csv", f"{LIST_HEADER}\nA1,TS1 1AA,00K,Q1,Y1,100\nA2,TS1 1AB,00K,Q1,Y1,{value}\n")
    with pytest.raises(InputError, match=words) as err:
        raw.load_list_sizes(path)
    _assert_names(err, path, 3, "TOTAL_ALL")


def test_duplicate_practice_code(tmp_path):
    path = _write(
        tmp_path / "list.csv",
        f"{LIST_HEADER}\nA1,TS1 1AA,00K,Q1,Y1,100\nA2,TS1 1AB,00K,Q1,Y1,5\nA1,TS1 1AA,00K,Q1,Y1,7\n",
    )
    with pytest.raises(InputError, match=r"duplicate practice code 'A1' \(first seen at row 2\)") as err:
        raw.load_list_sizes(path)
    _assert_names(err, path, 4, "GP_PRACTICE_CODE")


def test_truncated_row(tmp_path):
    path = _write(tmp_path / "list.csv", f"{LIST_HEADER}\nA1,TS1 1AA,00K,Q1,Y1,100\nA2,TS1 1AB,00K")
    with pytest.raises(InputError, match="truncated row: 3 of 6 fields") as err:
        raw.load_list_sizes(path)
    _assert_names(err, path, 3, "NHSE_AREA_TEAM_CODE")


def test_truncated_choices_file(tmp_path):
    """The NHS Choices format: byte 0xAC as delimiter, Latin-1 text, cut off in the middle of a record."""
    header = "\u00ac".join(raw.GP_COLUMNS)
    good = "\u00ac".join(["1", "A1", "Caf\u00e9 Surgery", "TS1 1AA", "54.5", "-1.3", "A1", "Caf\u00e9"])
    path = _write(tmp_path / "GP.csv", f"{header}\n{good}\n2\u00acA2\u00acOther\u00acTS1", encoding="latin-1")
    with pytest.raises(InputError, match="truncated") as err:
        raw.load_gp_sites(path)
    _assert_names(err, path, 3, "Latitude")


def test_file_ending_inside_a_quote(tmp_path):
    path = _write(tmp_path / "list.csv", f'{LIST_HEADER}\nA1,TS1 1AA,00K,Q1,Y1,100\nA2,"TS1 1AB,00K,Q1,Y1,5\n')
    with pytest.raises(InputError, match="truncated file") as err:
        read_delimited(path)
    _assert_names(err, path, 3, "POSTCODE")


def test_non_numeric_coordinate(tmp_path):
    header = "\u00ac".join(raw.GP_COLUMNS)
    row = "\u00ac".join(["1", "A1", "Surgery", "TS1 1AA", "north", "-1.3", "A1", "Surgery"])
    path = _write(tmp_path / "GP.csv", f"{header}\n{row}\n", encoding="latin-1")
    with pytest.raises(InputError, match="expected a latitude") as err:
        raw.load_gp_sites(path)
    _assert_names(err, path, 2, "Latitude")


def test_coordinates_outside_england(tmp_path, lads):
    header = "\u00ac".join(raw.GP_COLUMNS)
    rows = [
        "\u00ac".join(["1", "A1", "Surgery", "TS18 1HU", "54.5616", "-1.3195", "A1", "Surgery"]),
        "\u00ac".join(["2", "A2", "Lost", "TS18 2AW", "40.0", "10.0", "A2", "Lost"]),
    ]
    sites_path = _write(tmp_path / "GP.csv", "\n".join([header, *rows]) + "\n", encoding="latin-1")
    list_path = _write(tmp_path / "list.csv", f"{LIST_HEADER}\nA1,TS18 1HU,00K,Q1,Y1,100\nA2,TS18 2AW,00K,Q1,Y1,5\n")
    listed = raw.load_list_sizes(list_path)
    positions = geocode.choose_positions(
        listed, raw.load_gp_sites(sites_path), list_path=list_path, sites_path=sites_path
    )
    with pytest.raises(InputError, match="coordinates outside England: practice A2") as err:
        geocode.place_in_lads(positions, lads.reset_index(), listed, list_path=list_path, sites_path=sites_path)
    _assert_names(err, sites_path, 3, "Latitude")


def test_unknown_lad_code(tmp_path, lads):
    path = _write(
        tmp_path / "sha.csv",
        "LAD13CD,LAD13NM,RGN11CD,RGN11NM,SHA_CODE,SHA_NAME\n"
        "E06000001,Hartlepool,E12000001,North East,Q30,North East\n"
        "E06999999,Atlantis,E12000001,North East,Q30,North East\n",
    )
    lookup = raw.load_sha_lookup(path)
    polygons = lads.reset_index()[["lad", "geometry"]].assign(_row=np.arange(1, len(lads) + 1))
    with pytest.raises(InputError, match="unknown LAD code 'E06999999'") as err:
        build.check_lad_codes(polygons, lookup, tmp_path / "lad13.topojson", path)
    _assert_names(err, path, 3, "LAD13CD")


def test_unknown_sha_code(tmp_path):
    path = _write(tmp_path / "sha.csv", "LAD13CD,LAD13NM,SHA_CODE,SHA_NAME\nE06000001,Hartlepool,Q99,Nowhere\n")
    with pytest.raises(InputError, match="unknown SHA code 'Q99'") as err:
        raw.load_sha_lookup(path)
    _assert_names(err, path, 2, "SHA_CODE")


def test_empty_region(tmp_path):
    """A bundle whose practices were all removed from one LAD: loading that LAD is an empty region."""
    bundle = tmp_path / "geo"
    shutil.copytree(data.default_data_dir(), bundle)
    practices = data.load_practices(bundle)
    kept = practices[practices["lad"] != "E06000001"].reset_index()
    (bundle / data.GPKG).unlink()
    kept.to_file(bundle / data.GPKG, layer="practices", driver="GPKG", engine="pyogrio")
    for layer, frame in (("lads", data.load_lads()), ("trusts", data.load_trusts())):
        frame.reset_index().to_file(bundle / data.GPKG, layer=layer, driver="GPKG", engine="pyogrio")
    from boundaries.data.region import load_region

    with pytest.raises(InputError, match="empty region") as err:
        load_region(["E06000001"], data_dir=bundle, cache=False)
    _assert_names(err, bundle / data.GPKG, None, "lad")


def test_missing_bundle_file(tmp_path):
    with pytest.raises(InputError, match="rebuild it") as err:
        data.load_practices(tmp_path)
    assert str(tmp_path / data.GPKG) in str(err.value)


def test_postcode_helpers():
    pcs = raw.normalise_postcode(pd.Series(["ts181hu", " M20  6BA", "", "SW1A1AA"]))
    assert pcs.tolist() == ["TS18 1HU", "M20 6BA", "", "SW1A 1AA"]
    assert raw.postcode_sector(pcs).tolist() == ["TS18 1", "M20 6", "", "SW1A 1"]
    assert raw.postcode_district(pcs).tolist() == ["TS18", "M20", "", "SW1A"]
