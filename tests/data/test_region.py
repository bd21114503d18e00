"""load_region and sha_regions on the real bundle: specs, the Region contract, errors and the cache."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import networkx as nx
import platformdirs
import pytest

from boundaries.data import bundle as data
from boundaries.data.region import Region, load_region, sha_regions
from boundaries.data.sources import cache as region_cache
from boundaries.errors import InputError

SHA = {
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
PRACTICE_COLUMNS = [
    "name",
    "postcode",
    "town",  # read by the maps' town names
    "lon",
    "lat",
    "geocode",
    "patients",
    "lad",
    "lad_name",
    "sha_code",
    "sha_name",
    "ccg13",
    "ccg13_name",
    "imd",
    "imd_imputed",
    "main_trust",
    "main_trust_share",
]


@pytest.fixture(scope="session")
def regions() -> dict[str, Region]:
    """All ten SHA regions, built once per session (from the cache when it is warm)."""
    return {code: load_region(code) for code in SHA}


def test_sha_regions_table():
    table = sha_regions()
    assert list(table.index) == list(SHA)
    assert table["name"].to_dict() == SHA
    assert {"practices", "patients", "lads", "ccgs"} <= set(table.columns)
    assert table["practices"].sum() == 7_875 and table["patients"].sum() == 56_793_044
    assert table["lads"].sum() == 326 and table["ccgs"].sum() == 211


@pytest.mark.parametrize("spec", ["North West", "north west", "Q31", "q31", "  NORTH   WEST "])
def test_sha_by_name_or_code(spec, regions):
    region = load_region(spec)
    assert region.code == "Q31" and region.name == "North West"
    assert list(region.practices.index) == list(regions["Q31"].practices.index)


def test_ten_regions_partition_england(regions):
    table = sha_regions()
    codes = [c for r in regions.values() for c in r.practices.index]
    assert len(codes) == len(set(codes)) == 7_875
    assert sum(r.population for r in regions.values()) == 56_793_044
    for code, region in regions.items():
        assert region.code == code and region.name == SHA[code]
        assert len(region.practices) == table.loc[code, "practices"]
        assert region.population == table.loc[code, "patients"]
        assert len(region.lads) == table.loc[code, "lads"]
        assert (region.practices["sha_code"] == code).all()


def test_region_contract(regions):
    region = regions["Q30"]
    p = region.practices
    assert p.index.name == "code" and p.index.is_monotonic_increasing
    for col in PRACTICE_COLUMNS:
        assert col in p.columns, col
    assert p["patients"].dtype.kind == "i" and p["imd_imputed"].dtype == bool
    for frame in (p, region.cells, region.lads, region.trusts):
        assert str(frame.crs) == "EPSG:27700"
    assert list(region.cells.index) == list(p.index) and "lad" in region.cells.columns
    assert region.lads.index.name == "lad" and {"lad_name", "sha_code"} <= set(region.lads.columns)
    assert set(region.graph.nodes) == set(p.index)
    assert {"practice", "trust", "share"} <= set(region.trust_shares.columns)
    assert set(region.trust_shares["practice"]) == set(p.index)
    assert set(region.trust_shares["trust"]) <= set(region.trusts.index)
    assert "name" in region.trusts.columns
    assert region.ccg_assignment().index.equals(p.index)


def test_lad_list_spec(regions):
    region = load_region(["E08000003", "e08000006"])  # Manchester, Salford (case-insensitive)
    assert region.code is None and "Manchester" in region.name
    assert set(region.practices["lad"]) == {"E08000003", "E08000006"}
    assert set(region.lads.index) == {"E08000003", "E08000006"}
    nw = regions["Q31"]
    same = nw.practices[nw.practices["lad"].isin(["E08000003", "E08000006"])]
    assert list(region.practices.index) == list(same.index)
    # the same cells as in the SHA region: cells depend on the LAD, not on the spec
    assert region.cells.geometry.geom_equals_exact(nw.cells.geometry.loc[same.index], 1e-6).all()
    assert nx.is_connected(region.graph)


@pytest.mark.parametrize("spec", [["00W", "01M", "01N"], ["E38000075"], ["00k"]])
def test_ccg_list_spec(spec):
    region = load_region(spec)
    practices = data.load_practices()
    wanted = {s.upper() for s in spec if len(s) == 3} | set(practices.loc[practices["ccg13_cd"].isin(spec), "ccg13"])
    assert set(region.practices["ccg13"]) == wanted
    expected = practices[practices["ccg13"].isin(wanted)]
    assert len(region.practices) == len(expected) and region.population == int(expected["patients"].sum())
    assert set(region.lads.index) == set(region.practices["lad"])
    assert nx.is_connected(region.graph)
    assert any("territory" in note for note in region.notes)


@pytest.mark.parametrize(
    "spec, row, field",
    [
        ("Narnia", None, "sha"),
        (["E08000003", "E99999999"], 2, "lad"),
        (["00W", "ZZZ"], 2, "ccg13"),
        ([], None, None),
    ],
)
def test_unknown_region(spec, row, field):
    with pytest.raises(InputError, match="unknown region") as err:
        load_region(spec, cache=False)
    assert "region spec" in str(err.value)
    assert err.value.row == row and err.value.field == field


def test_cache_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv(region_cache.CACHE_ENV, str(tmp_path))
    cold = load_region("Q30")
    assert len(list(tmp_path.glob("region-*.pkl"))) == 1
    started = time.perf_counter()
    warm = load_region("north east")
    seconds = time.perf_counter() - started
    assert seconds < 2.0
    assert list(warm.practices.index) == list(cold.practices.index)
    assert warm.cells.geometry.geom_equals_exact(cold.cells.geometry, 0).all()
    assert sorted(warm.graph.edges) == sorted(cold.graph.edges)
    assert len(list(tmp_path.glob("region-*.pkl"))) == 1  # name and code share one entry


def test_cache_key_follows_the_building_code_and_the_libraries(monkeypatch):
    """An entry built by other code, or with another version of a library that draws the cells or pickles them,
    is never served: its key differs."""
    before = region_cache.key("Q30", "data")
    assert region_cache.key("Q30", "data") == before  # the same code and libraries: the same entry
    real = region_cache._version
    monkeypatch.setattr(region_cache, "_version", lambda lib: "0.0" if lib == "shapely" else real(lib))
    assert region_cache.key("Q30", "data") != before
    monkeypatch.setattr(region_cache, "_version", real)
    monkeypatch.setattr(region_cache, "_CODE_MODULES", region_cache._CODE_MODULES[:-1])
    assert region_cache.key("Q30", "data") != before
    assert all(
        (Path(region_cache.__file__).resolve().parents[2] / name).is_file() for name in region_cache._CODE_MODULES
    ), "every building module the key hashes exists"


def test_cache_folder_is_the_users_unless_set(tmp_path, monkeypatch):
    monkeypatch.delenv(region_cache.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert region_cache.cache_dir() == Path(platformdirs.user_cache_dir("boundaries", appauthor=False))
    if sys.platform.startswith("linux"):
        assert region_cache.cache_dir() == tmp_path / "xdg" / "boundaries"
    monkeypatch.setenv(region_cache.CACHE_ENV, str(tmp_path / "mine"))  # the documented override wins
    assert region_cache.cache_dir() == tmp_path / "mine"


def test_cache_off_and_corrupt_entry(tmp_path, monkeypatch):
    monkeypatch.setenv(region_cache.CACHE_ENV, str(tmp_path))
    load_region("Q30", cache=False)
    assert not list(tmp_path.glob("region-*.pkl"))
    load_region("Q30")
    (entry,) = tmp_path.glob("region-*.pkl")
    entry.write_bytes(b"not a pickle")
    region = load_region("Q30")  # rebuilt, not an error
    assert len(region.practices) == 392
